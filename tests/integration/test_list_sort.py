"""GET /api/tasks through nginx over TLS: every sort key in both directions (ties by id,
due_at nulls last), the sort aliases, and paging through whole lists with limit/offset —
API.md §4/§5, against a real PostgreSQL. Timestamps are set through psql so ties are exact.
"""

import datetime
import unittest
import urllib.parse

import harness

from harness.listapi import PRIORITY_RANK, SORT_KEYS, ListTestCase, new_sub, parse_ts, sql_str

setUpModule, tearDownModule = harness.module_fixtures(workers=2)


class Sorting(ListTestCase):
    N = 24

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sub = new_sub("sort")
        cls.other = new_sub("sort-other")
        ids = []
        for i in range(cls.N):
            ids.append(cls.create(cls.sub, title="t%d" % i)["id"])
            cls.create(cls.other, title="other %d" % i)
        # Controlled values with many ties (through psql: the API sets timestamps
        # itself). `completed` is untouched, so the counters stay as the API left them.
        base = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
        titles = ["alpha", "bravo", "charlie", "delta"]
        priorities = ["low", "medium", "high"]
        rows = []
        for i, tid in enumerate(ids):
            created = base + datetime.timedelta(minutes=i % 5)
            updated = base + datetime.timedelta(seconds=(i * 7) % 4, milliseconds=i % 2)
            due = None if i % 4 == 0 else base + datetime.timedelta(days=i % 3)
            rows.append((tid, created, updated, due, priorities[i % 3], titles[(i * 5) % 4]))
        values = ",".join(
            "(%s::uuid, %s::timestamptz, %s::timestamptz, %s::timestamptz, %s, %s)" % (
                sql_str(tid), sql_str(c.isoformat()), sql_str(u.isoformat()),
                sql_str(d.isoformat()) if d else "NULL", sql_str(p), sql_str(t))
            for tid, c, u, d, p, t in rows)
        harness.current().psql(
            "UPDATE todo.tasks t SET created_at = v.c, updated_at = v.u, due_at = v.d,"
            " priority = v.p::todo.task_priority, title = v.t"
            " FROM (VALUES %s) v(id, c, u, d, p, t)"
            " WHERE t.user_id = %s AND t.id = v.id" % (values, sql_str(cls.sub)))
        cls.rows = {tid: dict(created_at=c, updated_at=u, due_at=d, priority=p, title=t)
                    for tid, c, u, d, p, t in rows}

    def expected(self, key, desc, ids=None):
        """The contract's order: key, then id, both in the direction; due_at NULLs last."""
        ids = list(self.rows) if ids is None else ids

        def sort_value(tid):
            v = self.rows[tid][key]
            return PRIORITY_RANK[v] if key == "priority" else v
        present = [i for i in ids if self.rows[i][key] is not None]
        missing = [i for i in ids if self.rows[i][key] is None]
        # uuid order in PostgreSQL is the order of the lower-case hex text.
        present.sort(key=lambda i: (sort_value(i), i), reverse=desc)
        missing.sort(reverse=desc)
        return present + missing

    def order(self, query, sub=None):
        data, meta = self.list(sub or self.sub, "limit=100&" + query)
        self.assertEqual(meta["total"], len(data), query)
        return [t["id"] for t in data]

    def test_the_seed_has_ties_and_nulls(self):
        for key in SORT_KEYS:
            values = [r[key] for r in self.rows.values()]
            self.assertLess(len(set(values)), len(values), key)
        self.assertIn(None, [r["due_at"] for r in self.rows.values()])
        # What the API returns is what was set.
        data, _ = self.list(self.sub, "limit=100")
        for t in data:
            row = self.rows[t["id"]]
            self.assertEqual(parse_ts(t["created_at"]), row["created_at"])
            self.assertEqual(parse_ts(t["updated_at"]), row["updated_at"])
            self.assertEqual(t["due_at"] and parse_ts(t["due_at"]), row["due_at"])
            self.assertEqual((t["priority"], t["title"]), (row["priority"], row["title"]))

    def test_each_key_both_directions(self):
        for key in SORT_KEYS:
            self.assertEqual(self.order("sort=" + key), self.expected(key, False), key)
            self.assertEqual(self.order("sort=-" + key), self.expected(key, True), "-" + key)

    def test_default_is_newest_first(self):
        self.assertEqual(self.order(""), self.expected("created_at", True))

    def test_each_key_both_directions_with_a_filter(self):
        # The filtered statements sort the same way (completed=false matches all).
        for key in SORT_KEYS:
            for sign, desc in (("", False), ("-", True)):
                self.assertEqual(self.order("completed=false&sort=%s%s" % (sign, key)),
                                 self.expected(key, desc), sign + key)
                self.assertEqual(self.order("due_after=2000-01-01T00:00:00Z&sort=%s%s"
                                            % (sign, key)),
                                 [i for i in self.expected(key, desc)
                                  if self.rows[i]["due_at"] is not None], sign + key)

    def test_aliases(self):
        asc = lambda k: self.expected(k, False)  # noqa: E731
        desc = lambda k: self.expected(k, True)  # noqa: E731
        cases = [
            ("sort=created", asc("created_at")),
            ("sort=-created", desc("created_at")),
            ("sort=due_date", asc("due_at")),
            ("sort=-due_date", desc("due_at")),
            ("sort_by=title", asc("title")),
            ("sort_by=-priority", desc("priority")),
            ("sort=title&order=desc", desc("title")),
            ("sort=title&order=asc", asc("title")),
            ("sort_by=due_date&order=desc", desc("due_at")),
            ("sort_by=updated_at&order=asc", asc("updated_at")),
            ("order=asc", asc("created_at")),
            ("order=desc", desc("created_at")),
            # Documented decision: order overrides a '-' prefix.
            ("sort=-title&order=asc", asc("title")),
        ]
        for query, want in cases:
            self.assertEqual(self.order(query), want, query)
        self.assertEqual(self.order("sort_by=created&order=asc&search=ALPHA"),
                         [i for i in asc("created_at") if self.rows[i]["title"] == "alpha"])

    def test_bad_sort_and_order(self):
        for v in ("id", "name", "--title", "+title", "TITLE", "due", "created_at,title"):
            self.assertBadParam(self.sub, "sort=" + urllib.parse.quote(v), "sort")
        self.assertBadParam(self.sub, "sort_by=bogus", "sort_by")
        for v in ("up", "ASC", "descending", "-1"):
            self.assertBadParam(self.sub, "order=" + v, "order")
        self.assertBadParam(self.sub, "sort=title&sort_by=title", "sort_by")
        self.assertBadParam(self.sub, "order=asc&order=asc", "order")

    def test_paging_walks_the_whole_list(self):
        for query, key, desc in (("", "created_at", True), ("sort=priority", "priority", False),
                                 ("sort=-due_at", "due_at", True),
                                 ("sort=title&completed=false", "title", False),
                                 ("sort=updated_at", "updated_at", False)):
            want = self.expected(key, desc)
            for limit in (1, 5, 7, 24, 100):
                got, offset = [], 0
                while True:
                    q = "limit=%d&offset=%d%s" % (limit, offset, "&" + query if query else "")
                    data, meta = self.list(self.sub, q)
                    self.assertEqual(meta, {"total": self.N, "limit": limit, "offset": offset}, q)
                    self.assertEqual(len(data), max(0, min(limit, self.N - offset)), q)
                    if not data:
                        break
                    got += [t["id"] for t in data]
                    offset += limit
                self.assertEqual(len(got), len(set(got)), "duplicates: " + query)
                self.assertEqual(set(got), set(self.rows), "gaps: " + query)
                self.assertEqual(got, want, "%s limit=%d" % (query, limit))

    def test_page_past_the_end_keeps_the_total(self):
        for q in ("offset=24", "offset=100000", "offset=23&limit=100"):
            data, meta = self.list(self.sub, q)
            self.assertEqual(meta["total"], self.N, q)
            self.assertEqual(len(data), 1 if q.startswith("offset=23") else 0, q)
        data, meta = self.list(self.sub, "offset=5&limit=3&completed=false")
        self.assertEqual(meta, {"total": self.N, "limit": 3, "offset": 5})
        self.assertEqual([t["id"] for t in data], self.expected("created_at", True)[5:8])

    def test_limit_and_offset_bounds(self):
        data, meta = self.list(self.sub)
        self.assertEqual((meta["limit"], meta["offset"], len(data)), (50, 0, self.N))
        for limit in (1, 100):
            data, meta = self.list(self.sub, "limit=%d" % limit)
            self.assertEqual((meta["limit"], len(data)), (limit, min(limit, self.N)))
        for offset in (0, 100000):
            _, meta = self.list(self.sub, "offset=%d" % offset)
            self.assertEqual(meta["offset"], offset)
        for v in ("0", "101", "-1", "abc", "1.5", "+5", "%205", "1e2", "99999999999999999999"):
            self.assertBadParam(self.sub, "limit=" + v, "limit")
        for v in ("-1", "100001", "abc", "0x10", "1.0", "99999999999999999999"):
            self.assertBadParam(self.sub, "offset=" + v, "offset")
        # The same on the filtered statements and the compatibility route.
        self.assertBadParam(self.sub, "completed=true&limit=0", "limit")
        self.assertBadParam(self.sub, "offset=-1", "offset", prefix="/api/%s/tasks" % self.sub)

    def test_unknown_and_repeated_parameters(self):
        for name in ("foo", "Limit", "page", "user_id", "sort%5B%5D", "filter"):
            body = self.assertBadParam(self.sub, name + "=1",
                                       urllib.parse.unquote(name))
            self.assertIn("unknown", body["detail"].lower())
        self.assertBadParam(self.sub, "limit=10&foo=bar", "foo")
        for query, name in (("limit=1&limit=2", "limit"), ("offset=0&offset=0", "offset"),
                            ("completed=true&completed=true", "completed"),
                            ("q=a&search=b", "search"), ("search=a&q=a", "q"),
                            ("tag=a&tag=b", "tag"), ("priority=low&priority=high", "priority"),
                            ("status=all&status=all", "status"),
                            ("due_before=2030-01-01T00:00:00Z&due_before=2030-01-01T00:00:00Z",
                             "due_before"),
                            ("sort=title&sort=title", "sort"), ("limit=&limit=5", "limit")):
            self.assertBadParam(self.sub, query, name)

    def test_users_do_not_mix(self):
        mine = set(self.order(""))
        theirs = set(self.order("", sub=self.other))
        self.assertEqual(mine, set(self.rows))
        self.assertEqual(len(theirs), self.N)
        self.assertFalse(mine & theirs)
        for key in SORT_KEYS:
            self.assertEqual(set(self.order("sort=" + key)), mine)


# ---------------------------------------------------------------------------
# Totals: counters and counts agree with the rows, per user


if __name__ == "__main__":
    unittest.main()
