"""The list at 100,000 tasks for one user (QUALITY.md "data size").

Seeds, with one SQL statement per group (then todo.recount_tasks sets the counters): `scale-big` with 100,000 tasks, `scale-small` with 50 of the same shape, and
60 other users with 50 each. Then:

- EXPLAIN of the very statements the workers run (the PREPAREs printed by
  build/tests/print_statements), with the plan they get in production (generic for
  the prepared plain lists, custom for the per-call filtered ones): the default page,
  sort=due_at, completed=false and q= read `tasks` through their index, never by a
  Seq Scan, and the default page reads 50 rows, not 100,000.
- Through nginx over TLS: the default page of the big user against the small one,
  interleaved sequential requests on one keep-alive connection, medians compared.
  The bar is 1.5 x (QUALITY.md; `make bench` measures it under load); this shared
  2-core machine is noisy, so the test fails above LATENCY_RATIO_LIMIT and prints
  the measured ratio.
"""

import json
import os
import statistics
import subprocess
import time
import unittest

import harness

setUpModule, tearDownModule = harness.module_fixtures(workers=2)

BIG, SMALL = "scale-big", "scale-small"
BIG_N, SMALL_N, OTHERS, OTHER_N = 100000, 50, 60, 50
LATENCY_ROUNDS, WARMUP = 200, 40
LATENCY_RATIO_BAR = 1.5
LATENCY_RATIO_LIMIT = float(os.environ.get("TODO_API_SCALE_RATIO_LIMIT", "3.0"))


def seed_sql():
    """One INSERT per group; the shape of a task depends on its number only, so the
    first page of the big user and the small user's tasks look alike."""
    def tasks(user_expr, series, n_expr):
        return """
insert into todo.tasks (user_id, title, description, completed, completed_at, priority,
                        due_at, tags, created_at, updated_at)
select {user}, 'Task ' || i || case when i % 1000 = 0 then ' needle' else '' end,
       case when i % 3 = 0 then 'notes for task ' || md5(i::text) end,
       i % 4 = 0, case when i % 4 = 0 then now() - i * interval '1 second' end,
       (array['low', 'medium', 'high'])[1 + i % 3]::todo.task_priority,
       case when i % 2 = 0 then now() + ({n} / 2 - i) * interval '1 minute' end,
       case when i % 500 = 0 then '{{Rare}}'::text[] when i % 5 = 0 then '{{work,home}}'
            else '{{}}' end,
       now() - i * interval '1 second', now() - i * interval '1 second'
  from {series};""".format(user=user_expr, series=series, n=n_expr)
    return "\n".join([
        "begin;",
        "insert into todo.users (id) values ('%s'), ('%s');" % (BIG, SMALL),
        "insert into todo.users (id) select 'scale-other-' || g from generate_series(1, %d) g;"
        % OTHERS,
        tasks("'%s'" % BIG, "generate_series(1, %d) i" % BIG_N, BIG_N),
        tasks("'%s'" % SMALL, "generate_series(1, %d) i" % SMALL_N, SMALL_N),
        tasks("'scale-other-' || u", "generate_series(1, %d) u, generate_series(1, %d) i"
              % (OTHERS, OTHER_N), OTHER_N),
        # Direct inserts count themselves (sql/002: only the create statement counts).
        "select todo.recount_tasks(id) from todo.users where id like 'scale-%';",
        "commit;",
        "vacuum analyze todo.users, todo.tasks;",
    ])


def print_statements_binary():
    """build/tests/print_statements, next to the todo-api binary under test."""
    build = os.path.dirname(os.path.abspath(harness.BIN))
    path = os.path.join(build, "tests", "print_statements")
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s not found: build the print_statements target" % path)
    return path


def plan_nodes(node, out=None):
    """Flattens an EXPLAIN (FORMAT JSON) plan into a list of its nodes."""
    out = [] if out is None else out
    out.append(node)
    for child in node.get("Plans", []):
        plan_nodes(child, out)
    return out


def describe(node):
    text = node["Node Type"]
    if node.get("Index Name"):
        text += " using " + node["Index Name"]
    if node.get("Relation Name"):
        text += " on " + node["Relation Name"]
    return text


class Scale(harness.StackTestCase):
    @classmethod
    def setUpClass(cls):
        s = harness.current()
        t0 = time.monotonic()
        s.psql(seed_sql(), timeout=300)
        cls.seed_seconds = time.monotonic() - t0
        harness.log("seeded %d tasks in %.1f s" % (BIG_N + SMALL_N + OTHERS * OTHER_N,
                                                  cls.seed_seconds))
        cls.prepares = subprocess.run([print_statements_binary()], check=True,
                                      capture_output=True, text=True).stdout

    # -- helpers
    def explain(self, cases, options=""):
        """{label: plan JSON} for [(label, plan_cache_mode, 'execute ...')], one session
        that first prepares every statement of the server."""
        parts = [self.prepares, "set client_min_messages = warning;"]
        for label, mode, execute in cases:
            parts.append("set plan_cache_mode = %s;" % mode)
            parts.append("\\echo '@@@ %s'" % label)
            parts.append("explain (format json%s) %s;" % (options, execute))
        out = self.stack.psql("\n".join(parts), timeout=120)
        plans = {}
        for chunk in out.split("@@@ ")[1:]:
            label, _, body = chunk.partition("\n")
            plans[label.strip()] = json.loads(body)[0]["Plan"]
        self.assertEqual(sorted(plans), sorted(c[0] for c in cases), out[-2000:])
        return plans

    def assertIndexPlan(self, label, plan, index):
        nodes = plan_nodes(plan)
        shown = [describe(n) for n in nodes]
        print("EXPLAIN %s: %s" % (label, " | ".join(shown)))
        on_tasks = [n for n in nodes if n.get("Relation Name") == "tasks" or
                    (n.get("Index Name") or "").startswith("tasks_")]
        self.assertTrue(on_tasks, "%s: no node reads tasks: %s" % (label, shown))
        seq = [n for n in on_tasks if n["Node Type"] == "Seq Scan"]
        self.assertEqual(seq, [], "%s reads tasks by Seq Scan: %s" % (label, shown))
        indexes = (index,) if isinstance(index, str) else index
        self.assertTrue(set(indexes) & {n.get("Index Name") for n in on_tasks},
                        "%s uses none of %s: %s" % (label, indexes, shown))
        return nodes

    def api(self, conn, sub, query=""):
        r = self.stack.request("GET", "/api/tasks" + ("?" + query if query else ""),
                               token=self.stack.token(sub=sub), conn=conn)
        self.assertEqual(r.status, 200, r)
        return r.json

    # -- tests
    def test_seed_went_through_the_counters(self):
        out = self.stack.psql(
            "select u.id, u.task_count, u.completed_count, count(t.*),"
            " count(t.*) filter (where t.completed) from todo.users u"
            " left join todo.tasks t on t.user_id = u.id"
            " where u.id like 'scale-%' group by u.id")
        rows = [line.split("|") for line in out.split()]
        self.assertEqual(len(rows), 2 + OTHERS)
        for uid, tc, cc, n, done in rows:
            self.assertEqual((tc, cc), (n, done), uid)
        self.assertIn([BIG, str(BIG_N), str(BIG_N // 4), str(BIG_N), str(BIG_N // 4)], rows)

    def test_list_plans_use_an_index(self):
        u = "'%s'" % BIG
        filtered = "execute list_filtered_%s(" + u + ", 50, 0, %s)"
        cases = [
            # The plain lists are prepared: generic plans once PostgreSQL switches
            # (checked with the custom plan of the first executions as well).
            ("default page [generic]", "force_generic_plan",
             "execute list_created_at_desc(%s, 50, 0)" % u, "tasks_created"),
            ("default page [custom]", "force_custom_plan",
             "execute list_created_at_desc(%s, 50, 0)" % u, "tasks_created"),
            ("default page, offset 5000 [generic]", "force_generic_plan",
             "execute list_created_at_desc(%s, 50, 5000)" % u, "tasks_created"),
            ("sort=due_at [generic]", "force_generic_plan",
             "execute list_due_at_asc(%s, 50, 0)" % u, "tasks_due"),
            ("sort=due_at [custom]", "force_custom_plan",
             "execute list_due_at_asc(%s, 50, 0)" % u, "tasks_due"),
            # The filtered lists are sent with their values: custom plans.
            # completed has no index of its own (sql/003: it would stop toggles being
            # HOT): the created index with a filter reads about 50 / share rows.
            ("completed=false", "force_custom_plan",
             filtered % ("created_at_desc", "'false', null, null, null, null, null, null"),
             "tasks_created"),
            ("completed=true", "force_custom_plan",
             filtered % ("created_at_desc", "'true', null, null, null, null, null, null"),
             "tasks_created"),
            ("q=needle", "force_custom_plan",
             filtered % ("created_at_desc", "null, null, null, 'needle', null, null, null"),
             "tasks_search"),
            ("q=Needle&sort=due_at", "force_custom_plan",
             filtered % ("due_at_asc", "null, null, null, 'Needle', null, null, null"),
             "tasks_search"),
            ("tag=RARE", "force_custom_plan",
             filtered % ("created_at_desc", "null, null, 'RARE', null, null, null, null"),
             "tasks_tags"),
            ("sort=due_at&completed=false", "force_custom_plan",
             filtered % ("due_at_asc", "'false', null, null, null, null, null, null"),
             "tasks_due"),
        ]
        plans = self.explain([c[:3] for c in cases])
        for label, _, _, index in cases:
            self.assertIndexPlan(label, plans[label], index)

    def test_default_page_reads_one_page_of_rows(self):
        # EXPLAIN ANALYZE: the index scan stops after the page (plus the rows a
        # filter skips); the total comes from the counters, not from counting
        # 100,000 rows.
        u = "'%s'" % BIG
        cases = [("default page", "force_generic_plan",
                  "execute list_created_at_desc(%s, 50, 0)" % u, 50),
                 ("sort=due_at", "force_generic_plan",
                  "execute list_due_at_asc(%s, 50, 0)" % u, 50),
                 ("completed=false", "force_custom_plan",
                  "execute list_filtered_created_at_desc(%s, 50, 0, 'false', null, null, null,"
                  " null, null, null)" % u, 100),
                 ("completed=true", "force_custom_plan",
                  "execute list_filtered_created_at_desc(%s, 50, 0, 'true', null, null, null,"
                  " null, null, null)" % u, 250)]
        plans = self.explain([c[:3] for c in cases], ", analyze, timing off")
        for label, _, _, most in cases:
            nodes = plan_nodes(plans[label])
            read = sum((n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) *
                       n.get("Actual Loops", 1) for n in nodes
                       if n.get("Relation Name") == "tasks")
            print("EXPLAIN ANALYZE %s: %d rows read from tasks" % (label, read))
            self.assertGreaterEqual(read, 50, label)
            self.assertLessEqual(read, most, "%s: %s" % (label, [describe(n) for n in nodes]))

    def test_deep_offset_renders_only_the_page(self):
        # offset=99950 has to walk 99,950 index entries; no node computes anything
        # per row: the statements return plain columns and the worker renders the
        # 50 tasks it gets (issue #9: no to_char/to_json/string_agg in SQL).
        u = "'%s'" % BIG
        cases = [("plain", "force_generic_plan",
                  "execute list_created_at_desc(%s, 50, 99950)" % u),
                 ("filtered", "force_custom_plan",
                  "execute list_filtered_due_at_desc(%s, 50, 74950, 'false', null, null, null,"
                  " null, null, null)" % u)]
        plans = self.explain(cases, ", verbose")
        for label, _, _ in cases:
            nodes = plan_nodes(plans[label])
            limits = [n for n in nodes if n["Node Type"] == "Limit"]
            self.assertEqual(len(limits), 1, label)
            below = plan_nodes(limits[0])
            self.assertTrue([n for n in below if n.get("Relation Name") == "tasks"], label)
            for n in nodes:
                output = " ".join(n.get("Output", []))
                for fn in ("to_char", "to_json", "string_agg"):
                    self.assertNotIn(fn, output, "%s: %s formats in SQL" % (label, describe(n)))
        conn = self.stack.connection(timeout=30)
        try:
            for q in ("", "offset=99950", "completed=false&sort=-due_at&offset=74950"):
                self.api(conn, BIG, q)  # warm
                t0 = time.perf_counter()
                body = self.api(conn, BIG, q)
                print("GET /api/tasks?%s (100,000 tasks): %.1f ms"
                      % (q, (time.perf_counter() - t0) * 1000))
                self.assertEqual(len(body["data"]), 50, q)
        finally:
            conn.close()

    def test_filtered_pages_at_scale_are_right(self):
        conn = self.stack.connection(timeout=30)
        try:
            cases = [("completed=false", BIG_N - BIG_N // 4),
                     ("q=needle", BIG_N // 1000),
                     ("q=NEEDLE&sort=due_at", BIG_N // 1000),
                     ("tag=rare", BIG_N // 500),
                     ("sort=due_at", BIG_N),
                     ("sort=-due_at&limit=100&offset=99950", BIG_N)]
            for q, total in cases:
                t0 = time.perf_counter()
                body = self.api(conn, BIG, q)
                ms = (time.perf_counter() - t0) * 1000
                print("GET /api/tasks?%s (100,000 tasks): %.1f ms" % (q, ms))
                self.assertEqual(body["meta"]["total"], total, q)
                self.assertEqual(len(body["data"]), min(body["meta"]["limit"],
                                                        total - body["meta"]["offset"]), q)
            # due_at ascending: the earliest dates first; descending ends in the undated.
            body = self.api(conn, BIG, "sort=due_at&limit=3")
            dues = [t["due_at"] for t in body["data"]]
            self.assertEqual(dues, sorted(dues))
            self.assertNotIn(None, dues)
            body = self.api(conn, BIG, "sort=-due_at&limit=100&offset=99950")
            self.assertEqual([t["due_at"] for t in body["data"]], [None] * 50)
            body = self.api(conn, BIG, "q=needle&limit=100")
            self.assertTrue(all("needle" in t["title"] for t in body["data"]))
        finally:
            conn.close()

    def test_sorts_without_an_index_stay_reasonable(self):
        # sql/003 dropped the indexes of sort=-due_at, priority, title and updated_at
        # (no bar; each cost 50-90 us per write): a top-N sort over the user's
        # 100,000 rows. Right order, and within a generous limit on this machine.
        conn = self.stack.connection(timeout=30)
        try:
            for q, key in (("sort=-due_at", "due_at"), ("sort=priority", "priority"),
                           ("sort=-title", "title"), ("sort=-updated_at", "updated_at")):
                self.api(conn, BIG, q)  # warm
                t0 = time.perf_counter()
                body = self.api(conn, BIG, q)
                ms = (time.perf_counter() - t0) * 1000
                print("GET /api/tasks?%s (100,000 tasks, no index): %.1f ms" % (q, ms))
                self.assertEqual((body["meta"]["total"], len(body["data"])), (BIG_N, 50), q)
                values = [t[key] for t in body["data"]]
                if key == "priority":
                    self.assertEqual(values, ["low"] * 50, q)
                else:
                    self.assertEqual(values, sorted(values, reverse=True), q)
                    self.assertNotIn(None, values, q)
                self.assertLess(ms, 3000, q)
        finally:
            conn.close()

    def test_default_page_latency_big_vs_small(self):
        conn = self.stack.connection(timeout=30)
        try:
            for sub, total in ((BIG, BIG_N), (SMALL, SMALL_N)):
                body = self.api(conn, sub)
                self.assertEqual((body["meta"]["total"], len(body["data"])), (total, 50), sub)
            tokens = {sub: "Bearer " + self.stack.token(sub=sub) for sub in (BIG, SMALL)}

            def once(sub):
                t0 = time.perf_counter()
                conn.request("GET", "/api/tasks", headers={"Authorization": tokens[sub]})
                resp = conn.getresponse()
                body = resp.read()
                elapsed = time.perf_counter() - t0
                if resp.status != 200 or len(body) < 1000:
                    raise AssertionError("%s: %d %r" % (sub, resp.status, body[:200]))
                return elapsed
            for _ in range(WARMUP):
                once(BIG)
                once(SMALL)
            times = {BIG: [], SMALL: []}
            for i in range(LATENCY_ROUNDS):
                order = (BIG, SMALL) if i % 2 == 0 else (SMALL, BIG)
                for sub in order:
                    times[sub].append(once(sub))
        finally:
            conn.close()
        big, small = statistics.median(times[BIG]), statistics.median(times[SMALL])
        ratio = big / small
        print("default page, median of %d: %d tasks %.3f ms, %d tasks %.3f ms, ratio %.2f "
              "(bar %.1f, test limit %.1f)" % (LATENCY_ROUNDS, BIG_N, big * 1000, SMALL_N,
                                                small * 1000, ratio, LATENCY_RATIO_BAR,
                                                LATENCY_RATIO_LIMIT))
        if ratio > LATENCY_RATIO_BAR:
            print("note: ratio above the %.1f bar on this run (noisy machine?)"
                  % LATENCY_RATIO_BAR)
        self.assertLessEqual(ratio, LATENCY_RATIO_LIMIT)


if __name__ == "__main__":
    unittest.main()
