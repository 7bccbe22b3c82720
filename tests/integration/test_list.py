"""GET /api/tasks through nginx over TLS: the filters, totals and compatibility route of
API.md §4/§5, against a real PostgreSQL (sorting and paging: test_list_sort.py).

Every filter is checked against a model of the contract (`expected_ids`) over a
seeded set of tasks chosen to tell the literal reading from the tempting wrong one
(`%`/`_`/`\\` as wildcards, `<=` vs `<` at the window's edges, case). Every query is
also run for a second user holding copies of the same tasks: nothing of theirs may
appear or be counted. Sorts use timestamps set through psql (so ties are exact),
paging walks whole lists, and the compatibility route must agree with the wrapped one.
"""

import datetime
import unittest
import urllib.parse

import harness

from harness.listapi import (JSON_TYPE, SORT_KEYS, ListTestCase, new_sub, parse_param_ts,
                             parse_ts, sql_str)

setUpModule, tearDownModule = harness.module_fixtures(workers=2)


# The seeded tasks. Each carries a key for the assertions; `B` (the other user)
# gets a copy of every one of them.
FILTER_TASKS = [
    ("milk", dict(title="Buy milk", description="2 litres", priority="high",
                  tags=["Home", "errands"], due_at="2030-01-10T09:00:00Z")),
    ("report", dict(title="Write report", description="Quarterly NUMBERS", priority="medium",
                    tags=["work"], due_at="2030-01-20T00:00:00Z", completed=True)),
    ("literal", dict(title="100% _done_ \\x", priority="low")),
    ("sale", dict(title="Plain title", description="has 50% off", priority="low",
                  due_at="2020-01-01T00:00:00Z")),
    ("pastdone", dict(title="Past but done", priority="high", due_at="2020-01-02T00:00:00Z",
                      completed=True)),
    ("mixed", dict(title="MIXED Case Title", tags=["hOmE"], due_at="2030-01-10T08:59:59.999Z")),
    ("underscore", dict(title="under_score", description="x", priority="medium")),
    ("apples", dict(title="50 apples", description="100 percent done",
                    due_at="2030-01-10T09:00:00.001Z")),
    ("ecole", dict(title="Aller à l'École", priority="low", tags=["Écoles"])),
    ("later", dict(title="Someday", description="maybe", completed=True, tags=["work", "home"],
                   due_at="2031-06-01T12:00:00+02:00")),
]


class Filters(ListTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a, cls.b = new_sub("filter-a"), new_sub("filter-b")
        cls.tasks = {}  # key -> A's task as returned
        for key, fields in FILTER_TASKS:
            cls.tasks[key] = cls.create(cls.a, **fields)
            cls.create(cls.b, **fields)
        # B also has tasks A has no copy of, so that any leak shows in totals too.
        for i in range(3):
            cls.create(cls.b, title="b only %d 100%% _done_ \\x" % i, tags=["home"],
                       priority="low", due_at="2020-01-01T00:00:00Z")
        cls.by_id = {t["id"]: k for k, t in cls.tasks.items()}

    def keys(self, ids):
        unknown = [i for i in ids if i not in self.by_id]
        self.assertEqual(unknown, [], "ids that are not A's tasks (another user's?)")
        return sorted(self.by_id[i] for i in ids)

    def check(self, query, expected_keys):
        """The query's matches are exactly `expected_keys`, total included, for A; and
        B, who holds copies of A's tasks, sees its own copies only."""
        ids, total = self.all_ids(self.a, query)
        self.assertEqual(self.keys(ids), sorted(expected_keys), query)
        self.assertEqual(total, len(expected_keys), query)
        self.assertEqual(len(set(ids)), len(ids), query)
        # The total counts every match, not the page: one item per page.
        data, meta = self.list(self.a, "limit=1" + ("&" + query if query else ""))
        self.assertEqual(meta["total"], len(expected_keys), query)
        self.assertEqual(len(data), min(1, len(expected_keys)), query)
        b_ids, b_total = self.all_ids(self.b, query)
        self.assertFalse(set(b_ids) & set(self.by_id), "B sees A's tasks: " + query)
        self.assertGreaterEqual(b_total, len(expected_keys), query)
        return ids

    def model(self, **p):
        """Keys of A's tasks that the contract says match the (decoded) parameters."""
        now = datetime.datetime.now(datetime.timezone.utc)
        out = []
        for key, t in self.tasks.items():
            due = parse_ts(t["due_at"]) if t["due_at"] else None
            if "completed" in p and t["completed"] != p["completed"]:
                continue
            if "priority" in p and t["priority"] != p["priority"]:
                continue
            if "tag" in p and p["tag"].lower() not in [x.lower() for x in t["tags"]]:
                continue
            if "q" in p:
                needle = p["q"].lower()
                if needle not in t["title"].lower() and \
                        needle not in (t["description"] or "").lower():
                    continue
            if "due_before" in p and not (due and due < parse_param_ts(p["due_before"])):
                continue
            if "due_after" in p and not (due and due >= parse_param_ts(p["due_after"])):
                continue
            if p.get("overdue") and not (due and due < now and not t["completed"]):
                continue
            out.append(key)
        return out

    def check_model(self, **p):
        query = urllib.parse.urlencode({k: (str(v).lower() if isinstance(v, bool) else v)
                                        for k, v in p.items()}, quote_via=urllib.parse.quote)
        return self.check(query, self.model(**p))

    def test_unfiltered_lists_own_tasks_only(self):
        self.check("", list(self.tasks))
        _, meta = self.list(self.b)
        self.assertEqual(meta["total"], len(FILTER_TASKS) + 3)

    def test_completed(self):
        self.check("completed=true", ["report", "pastdone", "later"])
        self.check("completed=false", [k for k in self.tasks
                                       if k not in ("report", "pastdone", "later")])
        self.check_model(completed=True)
        self.check_model(completed=False)

    def test_status(self):
        done = ["report", "pastdone", "later"]
        self.check("status=completed", done)
        self.check("status=pending", [k for k in self.tasks if k not in done])
        self.check("status=all", list(self.tasks))
        # status agreeing with completed is fine; disagreeing is a 400 naming status.
        self.check("status=completed&completed=true", done)
        self.assertBadParam(self.a, "status=pending&completed=true", "status")
        self.check("status=done", done)  # the spellings of common frontends
        self.check("status=active", [k for k in self.tasks if k not in done])
        self.assertBadParam(self.a, "status=active&completed=true", "status")
        self.assertBadParam(self.a, "status=finished", "status")
        self.assertBadParam(self.a, "status=ALL", "status")

    def test_completed_bad_values(self):
        for v in ("yes", "1", "TRUE", "null"):
            self.assertBadParam(self.a, "completed=" + v, "completed")

    def test_priority(self):
        self.check("priority=high", ["milk", "pastdone"])
        self.check("priority=medium", ["report", "mixed", "underscore", "apples", "later"])
        self.check("priority=low", ["literal", "sale", "ecole"])
        for v in ("urgent", "HIGH", "2"):
            self.assertBadParam(self.a, "priority=" + v, "priority")

    def test_tag_is_case_insensitive_and_exact(self):
        for v in ("home", "HOME", "Home", "hOmE", "%20home%20"):
            self.check("tag=" + v, ["milk", "mixed", "later"])
        self.check("tag=errands", ["milk"])
        self.check("tag=WORK", ["report", "later"])
        self.check("tag=hom", [])          # a tag, not a substring
        self.check("tag=%C3%A9coles", ["ecole"])  # écoles = Écoles
        self.check("tag=nope", [])
        self.assertBadParam(self.a, "tag=%20", "tag")
        self.assertBadParam(self.a, "tag=" + "x" * 51, "tag")
        self.check("tag=" + "x" * 50, [])

    def test_q_is_a_case_insensitive_substring_of_title_or_description(self):
        self.check("q=MILK", ["milk"])
        self.check("q=numbers", ["report"])           # description only
        self.check("q=title", ["sale", "mixed"])      # title, either case
        self.check("q=done", ["literal", "pastdone", "apples"])  # title or description
        self.check("q=l%27%C3%A9cole", ["ecole"])     # non-ASCII case folding: 'École'
        self.check("q=nothing+like+this", [])
        self.check_model(q="Case t")
        self.check("search=MILK", ["milk"])           # §5 alias

    def test_q_percent_underscore_backslash_are_literal(self):
        self.check("q=%25", ["literal", "sale"])      # '%'
        self.check("q=_", ["literal", "underscore"])  # '_'
        self.check("q=%5C", ["literal"])              # '\'
        self.check("q=%5Cx", ["literal"])             # '\x'
        self.check("q=_done_", ["literal"])
        self.check("q=50%25", ["sale"])               # '50%': not "50 apples"
        self.check("q=50_", [])                       # not "50 " of "50 apples"
        self.check("q=d_ne", [])                      # not "done"
        self.check("q=%25done", [])                   # not "...done"
        self.check("q=0%25+_d", ["literal"])
        self.check("q=%5C%25", [])                    # '\%' is nowhere
        self.check("search=%25", ["literal", "sale"])

    def test_q_bounds(self):
        self.check("q=" + "a" * 200, [])
        self.check("q=%20%20", list(self.tasks))      # blank q: no filter
        self.assertBadParam(self.a, "q=" + "a" * 201, "q")
        self.assertBadParam(self.a, "search=" + "a" * 201, "search")

    def test_due_window_is_half_open(self):
        # due_after <= due_at < due_before, at millisecond precision.
        self.check("due_after=2030-01-10T09:00:00Z", ["milk", "report", "apples", "later"])
        self.check("due_before=2030-01-10T09:00:00Z", ["sale", "pastdone", "mixed"])
        self.check("due_after=2030-01-10T09:00:00Z&due_before=2030-01-20T00:00:00Z",
                   ["milk", "apples"])
        self.check("due_after=2030-01-10T09:00:00.001Z&due_before=2030-01-20T00:00:00.001Z",
                   ["report", "apples"])
        self.check("due_after=2030-01-10T08:59:59.999Z&due_before=2030-01-10T09:00:00.001Z",
                   ["milk", "mixed"])
        # Offsets are honoured: 10:00+01:00 is 09:00Z ('+' may be sent unencoded).
        self.check("due_after=2030-01-10T10:00:00+01:00&due_before=2030-01-10T10:00:00.001%2B01:00",
                   ["milk"])
        self.check("due_before=2031-06-01T10:00:00.001Z&due_after=2031-06-01T10:00:00Z",
                   ["later"])
        # An empty window matches nothing; tasks without due_at never match.
        self.check("due_after=2030-01-20T00:00:00Z&due_before=2030-01-20T00:00:00Z", [])
        with_due = [k for k, t in self.tasks.items() if t["due_at"]]
        self.check("due_after=1970-01-01T00:00:00Z", with_due)
        self.check("due_before=9999-12-31T23:59:59Z", with_due)
        for p in ("due_before", "due_after"):
            for v in ("2030-01-10", "tomorrow", "2030-13-01T00:00:00Z", "2030-01-10T09:00:00"):
                self.assertBadParam(self.a, "%s=%s" % (p, v), p)

    def test_overdue(self):
        # In the past and not completed; future, done and undated tasks are not.
        self.check("overdue=true", ["sale"])
        self.check("overdue=false", list(self.tasks))  # documented: no filter
        self.check("overdue=true&completed=true", [])
        self.assertBadParam(self.a, "overdue=1", "overdue")

    def test_filters_combine(self):
        self.check("completed=false&tag=home", ["milk", "mixed"])
        self.check("priority=low&q=%25", ["literal", "sale"])
        self.check("priority=medium&due_after=2030-01-01T00:00:00Z&completed=false",
                   ["mixed", "apples"])
        self.check("status=completed&tag=work&q=report", ["report"])
        for params in (dict(completed=False, priority="medium"),
                       dict(tag="home", due_before="2030-06-01T00:00:00Z"),
                       dict(q="e", priority="low"),
                       dict(q="e", completed=True, tag="WORK"),
                       dict(overdue=True, priority="low"),
                       dict(due_after="2020-01-01T00:00:00Z", due_before="2030-01-10T09:00:00Z",
                            completed=False)):
            self.check_model(**params)

    def test_every_filter_with_every_sort(self):
        # The filtered statements exist per sort: each must filter the same way.
        for key in SORT_KEYS:
            for sign in ("", "-"):
                self.check("sort=%s%s&q=%%25" % (sign, key), ["literal", "sale"])
                self.check("sort=%s%s&tag=HOME&completed=false" % (sign, key), ["milk", "mixed"])
                self.check("sort=%s%s&overdue=true" % (sign, key), ["sale"])

    def test_empty_values_are_not_sent(self):
        self.check("completed=&priority=&tag=&q=&due_before=&due_after=&overdue=&sort=",
                   list(self.tasks))


# ---------------------------------------------------------------------------
# Sorting and paging over tasks with controlled timestamps


class Totals(ListTestCase):
    def test_totals_follow_writes(self):
        sub, other = new_sub("totals"), new_sub("totals-other")
        _, meta = self.list(sub)
        self.assertEqual(meta["total"], 0)  # no users row yet
        ids = [self.create(sub, title="task %d" % i, priority="high" if i % 2 else "low")["id"]
               for i in range(7)]
        for i in range(5):
            self.create(other, title="task %d" % i, completed=True, priority="high")

        def totals():
            out = {}
            for q in ("", "completed=true", "completed=false", "status=pending",
                      "status=completed", "priority=high", "q=task", "priority=high&completed=true"):
                data, meta = self.list(sub, "limit=1&" + q)
                full, _ = self.list(sub, "limit=100&" + q)
                self.assertEqual(meta["total"], len(full), q)  # total = real matches
                out[q] = meta["total"]
            return out
        self.assertEqual(totals(), {"": 7, "completed=true": 0, "completed=false": 7,
                                    "status=pending": 7, "status=completed": 0,
                                    "priority=high": 3, "q=task": 7,
                                    "priority=high&completed=true": 0})
        for tid in ids[:3]:  # complete three (two low, one high)
            r = self.client.request("PATCH", "/api/tasks/%s/complete" % tid, sub)
            self.assertEqual(r.status, 200, r)
        r = self.client.request("DELETE", "/api/tasks/%s" % ids[3], sub)  # a pending high
        self.assertEqual(r.status, 204, r)
        self.assertEqual(totals(), {"": 6, "completed=true": 3, "completed=false": 3,
                                    "status=pending": 3, "status=completed": 3,
                                    "priority=high": 2, "q=task": 6,
                                    "priority=high&completed=true": 1})
        r = self.client.request("DELETE", "/api/tasks?completed=true", sub)
        self.assertEqual((r.status, r.json), (200, {"data": {"deleted": 3}}))
        self.assertEqual(totals(), {"": 3, "completed=true": 0, "completed=false": 3,
                                    "status=pending": 3, "status=completed": 0,
                                    "priority=high": 1, "q=task": 3,
                                    "priority=high&completed=true": 0})
        # The other user's counters were never touched.
        _, meta = self.list(other, "completed=true")
        self.assertEqual(meta["total"], 5)
        # And the counters equal the rows.
        out = harness.current().psql(
            "SELECT u.task_count, u.completed_count, count(t.*), count(t.*) FILTER "
            "(WHERE t.completed) FROM todo.users u LEFT JOIN todo.tasks t ON t.user_id = u.id "
            "WHERE u.id IN (%s, %s) GROUP BY u.id ORDER BY u.id" % (sql_str(sub), sql_str(other)))
        for line in out.split():
            tc, cc, n, done = line.split("|")
            self.assertEqual((tc, cc), (n, done), out)


# ---------------------------------------------------------------------------
# Compatibility route: a bare array and X-Total-Count


class Compat(ListTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sub = new_sub("compat")
        cls.other = new_sub("compat-other")
        for i in range(12):
            cls.create(cls.sub, title="compat %d%s" % (i, " 100%" if i % 4 == 0 else ""),
                       completed=i % 3 == 0, priority=["low", "medium", "high"][i % 3],
                       tags=["Even"] if i % 2 == 0 else [])
            cls.create(cls.other, title="compat other %d 100%%" % i, tags=["even"])

    def test_array_and_total_match_the_wrapped_route(self):
        queries = ["", "limit=5", "limit=5&offset=10", "offset=100", "completed=true",
                   "status=pending&limit=2", "tag=EVEN", "search=100%25",
                   "sort_by=title&order=desc&limit=4", "sort=priority&order=asc",
                   "order=asc&limit=3&offset=1", "priority=high&sort=-due_date"]
        for prefix in ("/api/%s/tasks", "/api/%s/todos", "/api/v1/%s/tasks",
                       "/api/v1/%s/todos"):
            for q in queries:
                wrapped_prefix = "/api/todos" if "todos" in prefix else "/api/tasks"
                if "/v1/" in prefix:
                    wrapped_prefix = "/api/v1" + wrapped_prefix[4:]
                w = self.get(self.sub, q, prefix=wrapped_prefix)
                self.assertEqual(w.status, 200, w)
                r = self.get(self.sub, q, prefix=prefix % urllib.parse.quote(self.sub))
                self.assertEqual(r.status, 200, "%s?%s: %r" % (prefix, q, r))
                self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE)
                body = r.json
                self.assertIsInstance(body, list, q)
                self.assertEqual(body, w.json["data"], q)
                self.assertEqual(r.headers.get("X-Total-Count"), str(w.json["meta"]["total"]), q)
        # Spot values, so that the comparison above is not vacuous.
        r = self.get(self.sub, "tag=even&limit=2", prefix="/api/%s/tasks" % self.sub)
        self.assertEqual((len(r.json), r.headers.get("X-Total-Count")), (2, "6"))
        r = self.get(self.sub, "search=100%25", prefix="/api/%s/tasks" % self.sub)
        self.assertEqual((len(r.json), r.headers.get("X-Total-Count")), (3, "3"))

    def test_errors_and_other_users(self):
        self.assertBadParam(self.sub, "foo=1", "foo", prefix="/api/%s/tasks" % self.sub)
        self.assertBadParam(self.sub, "limit=101", "limit", prefix="/api/%s/todos" % self.sub)
        self.assertBadParam(self.sub, "sort=x", "sort", prefix="/api/v1/%s/tasks" % self.sub)
        r = self.get(self.sub, "", prefix="/api/%s/tasks" % self.other)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json.get("code"), "forbidden")
        self.assertIsNone(r.headers.get("X-Total-Count"))


if __name__ == "__main__":
    unittest.main()
