"""The worker renders each task's JSON from typed (binary) columns; before, PostgreSQL
rendered it in SQL. This module keeps that old SQL rendering as the oracle and proves
the responses byte-identical to it for edge-case tasks inserted directly by SQL (as the
owner, so values the API would never produce but the CHECKs allow are covered too):
non-ASCII, quotes, backslashes, `/`, U+2028, the control characters a description may
hold, nulls, 20 tags, sub-millisecond instants before and after 1970, and timestamps
from 4713 BC to 294276 AD. Fetched through nginx: one task, the list (canonical and
a compatibility route's bare body), and a write (PATCH) and a create.
"""

import json
import unittest

import harness
from harness.taskapi import ApiTestCase, sql_literal

setUpModule, tearDownModule = harness.module_fixtures(workers=2)


def ts(col):
    return ("to_char(%s at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24\":\"MI\":\"SS.MS\"Z\"')"
            % col)


# src/statements.cpp's TODO_TASK_JSON as it was before the worker rendered tasks.
ORACLE_TASK_JSON = (
    "'{\"id\":\"' || t.id || '\",\"title\":' || to_json(t.title)::text"
    " || ',\"description\":' || coalesce(to_json(t.description)::text, 'null')"
    " || ',\"completed\":' || t.completed::text"
    " || ',\"priority\":\"' || t.priority::text"
    " || '\",\"due_at\":' || coalesce('\"' || " + ts("t.due_at") + " || '\"', 'null')"
    " || ',\"tags\":' || array_to_json(t.tags)::text"
    " || ',\"created_at\":\"' || " + ts("t.created_at") +
    " || '\",\"updated_at\":\"' || " + ts("t.updated_at") +
    " || '\",\"completed_at\":' || coalesce('\"' || " + ts("t.completed_at") +
    " || '\"', 'null')"
    " || ',\"version\":' || t.version || '}'")

TRICKY = 'Ünïcödé 日本語 🎉 "quoted" back\\slash a/b \u2028\u2029 </script> \u00a0'
TAGS = ["t%02d" % i for i in range(14)] + [
    "Ünï", "\"q\"", "b\\s", "a/b", "\u2028x", "🎉"]

# (id suffix, title, description, completed, priority, due_at, tags, created_at,
#  updated_at, completed_at, version): SQL literals.
ROWS = [
    ("1", TRICKY, "tab\there\nnew line\r\nCR \"q\" \\ / \u2028 é", True, "high",
     "2026-12-01 09:00:00.123999+00", TAGS, "2026-01-01 00:00:00.0005+00",
     "2026-01-02 03:04:05.999999+00", "9999-12-31 23:59:59.999999+00", 2147483647),
    ("2", "minimal", None, False, "medium", None, [], "2025-06-01 12:00:00+00",
     "2025-06-01 12:00:00+00", None, 1),
    ("3", "pre-epoch sub-ms", "", False, "low", "1969-12-31 23:59:59.9995+00", ["x"],
     "1969-12-31 23:59:59.999999+00", "1960-01-01 00:00:00.000001+00", None, 7),
    ("4", "far past", None, True, "low", "0001-01-01 00:00:00+00", [],
     "4713-11-24 00:00:00+00 BC", "0044-03-15 12:00:00.0005+00 BC",
     "0001-12-31 23:59:59.999+00 BC", 3),
    ("5", "far future", None, False, "high", "294276-12-31 23:59:59.999999+00", [],
     "12345-06-07 08:09:10.011+00", "10000-01-01 00:00:00+00", None, 2),
    ("6", "epoch exactly", "x" * 2000, False, "medium", "1970-01-01 00:00:00+00", [],
     "1970-01-01 00:00:00+00", "1999-12-31 23:59:59.9999+00", None, 1),
]


def literal(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "array[%s]::text[]" % ",".join(sql_literal(x) for x in v) if v else "'{}'"
    return sql_literal(v)


class RenderOracle(ApiTestCase):
    def oracle(self, where, order="t.created_at desc, t.id desc"):
        """The old SQL rendering of the caller's tasks matching `where`, as bytes."""
        out = self.stack.psql(
            "select encode(convert_to(%s, 'UTF8'), 'hex') from todo.tasks t"
            " where t.user_id = %s and (%s) order by %s"
            % (ORACLE_TASK_JSON, sql_literal(self.sub), where, order))
        return [bytes.fromhex(line) for line in out.split()]

    def seed(self):
        rows = []
        for n, title, desc, done, prio, due, tags, created, updated, done_at, ver in ROWS:
            rows.append("(%s, '00000000-0000-4000-8000-00000000000%s', %s)" % (
                sql_literal(self.sub), n, ", ".join(literal(v) for v in (
                    title, desc, done, prio, due, tags, created, updated, done_at, ver))))
        self.stack.psql(
            "insert into todo.users (id) values (%s);"
            "insert into todo.tasks (user_id, id, title, description, completed, priority,"
            " due_at, tags, created_at, updated_at, completed_at, version) values %s;"
            "select todo.recount_tasks(%s)"
            % (sql_literal(self.sub), ",".join(rows), sql_literal(self.sub)),
            user=harness.OWNER_ROLE)

    def test_get_list_and_writes_are_byte_identical_to_the_sql_rendering(self):
        self.seed()
        ids = ["00000000-0000-4000-8000-00000000000%s" % r[0] for r in ROWS]
        # GET one: {"data":<task>} exactly.
        for task_id in ids:
            expected = self.oracle("t.id = '%s'" % task_id)
            self.assertEqual(len(expected), 1)
            r = self.call("GET", "/api/tasks/" + task_id)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, b'{"data":' + expected[0] + b"}", task_id)
        # The list, default order, and sorted by title ascending.
        page = self.oracle("true")
        self.assertEqual(len(page), len(ROWS))
        r = self.call("GET", "/api/tasks?limit=100")
        self.assertEqual(r.status, 200, r)
        head = b'{"data":[' + b",".join(page) + b'],"meta":'
        self.assertEqual(r.body[:len(head)], head)
        self.assertEqual(json.loads(r.body)["meta"], {"total": len(ROWS), "limit": 100,
                                                      "offset": 0})
        by_title = self.oracle("true", "t.title asc, t.id asc")
        r = self.call("GET", "/api/tasks?sort=title&limit=3&offset=2")
        self.assertEqual(r.body[:r.body.index(b'],"meta":') + 1],
                         b'{"data":[' + b",".join(by_title[2:5]) + b"]")
        # A compatibility route: the bare array.
        r = self.call("GET", "/api/v1/%s/todos?limit=100" % self.sub)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b"[" + b",".join(page) + b"]")
        self.assertEqual(r.headers.get("X-Total-Count"), str(len(ROWS)))
        # An empty page past the end still has the total.
        r = self.call("GET", "/api/tasks?offset=50")
        self.assertEqual(r.body, b'{"data":[],"meta":{"total":%d,"limit":50,"offset":50}}'
                         % len(ROWS))
        # Writes return the task as stored: an empty merge patch (version +1) and a toggle.
        for task_id in ids[1:4]:
            r = self.call("PATCH", "/api/tasks/" + task_id, body={})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, b'{"data":' + self.oracle("t.id = '%s'" % task_id)[0]
                             + b"}")
            r = self.call("PATCH", "/api/tasks/%s/complete" % task_id)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, b'{"data":' + self.oracle("t.id = '%s'" % task_id)[0]
                             + b"}")

    def test_create_renders_like_the_sql(self):
        r = self.call("POST", "/api/tasks", body={
            "title": TRICKY.strip(), "description": "a\tb\nc\r\"\\/\u2028",
            "tags": TAGS, "due_at": "1969-07-20T20:17:40.1239-05:00", "completed": True})
        self.assertEqual(r.status, 201, r)
        task_id = json.loads(r.body)["data"]["id"]
        self.assertEqual(r.body, b'{"data":' + self.oracle("t.id = '%s'" % task_id)[0] + b"}")
        self.assertEqual(r.headers.get("Location"), "/api/tasks/" + task_id)


if __name__ == "__main__":
    unittest.main()
