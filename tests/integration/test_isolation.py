"""QUALITY.md Security: every route, compatibility routes included, isolated
between two users; SQL-injection-shaped input stored literally or rejected.

User B runs every route against user A's task id: 404 on B's own paths
(canonical, /api/todos, /api/v1, /api/{B}/...), 403 on /api/{A}/... paths. A's
tasks are then compared with a snapshot (API JSON, ETag, every stored column).
"""

import unittest

import harness
from harness.taskapi import ApiTestCase, quote, sql_literal

setUpModule, tearDownModule = harness.module_fixtures(workers=2)

# Every way of naming the task collection on paths that are the caller's own.
def own_bases(sub):
    q = quote(sub)
    return ["/api/tasks", "/api/todos", "/api/v1/tasks", "/api/v1/todos",
            "/api/%s/tasks" % q, "/api/%s/todos" % q, "/api/v1/%s/tasks" % q,
            "/api/v1/%s/todos" % q]


def other_user_bases(sub):
    q = quote(sub)
    return ["/api/%s/tasks" % q, "/api/%s/todos" % q, "/api/v1/%s/tasks" % q,
            "/api/v1/%s/todos" % q, "/api/%s/tasks" % sub.replace("-", "%2D")]


def task_routes(base, task_id):
    """(method, path, body, headers) for every route that names one task."""
    url = "%s/%s" % (base, task_id)
    routes = []
    for headers in ({}, {"If-Match": '"1"'}, {"If-Match": "*"}):
        routes += [("GET", url, None, headers),
                   ("HEAD", url, None, headers),
                   ("PUT", url, {"title": "hijacked", "completed": False}, headers),
                   ("PATCH", url, {"title": "hijacked", "description": None}, headers),
                   ("PATCH", url + "/complete", None, headers),
                   ("PATCH", url + "/complete", {"completed": False}, headers),
                   ("DELETE", url, None, headers)]
    routes.append(("GET", url, None, {"If-None-Match": "*"}))
    routes.append(("GET", url, None, {"If-None-Match": '"1"'}))
    return routes


def collection_routes(base):
    return [("GET", base, None, {}),
            ("GET", base + "?completed=true", None, {}),
            ("HEAD", base, None, {}),
            ("POST", base, {"title": "b's task"}, {}),
            ("DELETE", base + "?completed=true", None, {})]


class Isolation(ApiTestCase):
    def setUp(self):
        super().setUp()
        self.a, self.b = self.sub + "-a", self.sub + "-b"
        self.a_tasks = [self.create(sub=self.a, title="a pending", description="secret",
                                    tags=["x"]),
                        self.create(sub=self.a, title="a done", completed=True),
                        self.create(sub=self.a, title="a done 2", completed=True)]
        self.b_task = self.create(sub=self.b, title="b's own", completed=True)
        self.snapshot = self.a_state()
        self.conn = self.stack.connection()
        self.addCleanup(self.conn.close)

    def a_state(self):
        listing = self.call("GET", "/api/tasks", sub=self.a).json
        gets = []
        for t in self.a_tasks:
            r = self.call("GET", "/api/tasks/" + t["id"], sub=self.a)
            gets.append((r.status, r.headers.get("ETag"), r.body))
        me = self.call("GET", "/api/me", sub=self.a).json
        return {"list": listing, "gets": gets, "me": me, "rows": self.task_rows(self.a),
                "count": self.count_rows("user_id = %s" % sql_literal(self.a))}

    def assertAUntouched(self):
        state = self.a_state()
        self.assertEqual(state["count"], 3)
        self.assertEqual(state["rows"], self.snapshot["rows"])
        self.assertEqual(state["gets"], self.snapshot["gets"])
        self.assertEqual(state["list"], self.snapshot["list"])
        self.assertEqual(state["me"], self.snapshot["me"])
        self.assertEqual([t["version"] for t in state["list"]["data"]], [1, 1, 1])

    def send(self, method, path, body, headers, sub):
        """One request on a kept-alive connection (hundreds per test)."""
        hdrs = dict(headers)
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        return self.call(method, path, body=body, headers=hdrs, sub=sub, conn=self.conn)

    def test_b_gets_404_for_every_route_naming_a_task_of_a(self):
        seen = 0
        for base in own_bases(self.b):
            for task in self.a_tasks:
                for method, path, body, headers in task_routes(base, task["id"]):
                    r = self.send(method, path, body, headers, self.b)
                    self.assertEqual(r.status, 404, (method, path, headers, r))
                    if method != "HEAD":
                        self.assertError(r, 404)
                        self.assertEqual(r.json["detail"], "Task not found")
                    self.assertNotIn(b"secret", r.body)
                    seen += 1
        self.assertEqual(seen, 8 * 3 * 23)
        self.assertAUntouched()

    def test_b_gets_403_on_every_route_under_a_user_path(self):
        for base in other_user_bases(self.a):
            routes = collection_routes(base) + task_routes(base, self.a_tasks[0]["id"]) + \
                task_routes(base, self.b_task["id"])
            for method, path, body, headers in routes:
                r = self.send(method, path, body, headers, self.b)
                self.assertEqual(r.status, 403, (method, path, r))
                if method != "HEAD":
                    self.assertError(r, 403)
        self.assertAUntouched()
        self.assertEqual(self.fetch(self.b_task["id"], sub=self.b), self.b_task)

    def test_b_lists_only_its_own_tasks_on_every_list_route(self):
        for base in own_bases(self.b):
            r = self.call("GET", base, sub=self.b)
            self.assertEqual(r.status, 200, (base, r))
            body = r.json
            if isinstance(body, dict):
                self.assertEqual(body["data"], [self.b_task], base)
                self.assertEqual(body["meta"]["total"], 1)
            else:
                self.assertEqual(body, [self.b_task], base)
                self.assertEqual(r.headers.get("X-Total-Count"), "1")
            for query in ("?completed=true", "?q=a%20done", "?tag=x", "?status=completed",
                          "?sort=title&limit=100"):
                r = self.call("GET", base + query, sub=self.b)
                self.assertEqual(r.status, 200, (base, query, r))
                self.assertNotIn(b"a done", r.body)
                self.assertNotIn(b"a pending", r.body)
        self.assertAUntouched()

    def test_b_bulk_delete_does_not_delete_a_completed_tasks(self):
        r = self.call("DELETE", "/api/tasks?completed=true", sub=self.b)
        self.assertEqual(r.json, {"data": {"deleted": 1}})
        for base in own_bases(self.b):
            r = self.call("DELETE", base + "?completed=true", sub=self.b)
            self.assertEqual(r.status, 200, (base, r))
            self.assertIn(r.json, ({"data": {"deleted": 0}}, {"deleted": 0}))
        self.assertEqual(self.count_rows("user_id = %s AND completed" % sql_literal(self.a)), 2)
        self.assertAUntouched()

    def test_b_me_counts_only_b(self):
        r = self.call("GET", "/api/me", sub=self.b)
        self.assertEqual(r.json["data"]["stats"],
                         {"total": 1, "completed": 1, "pending": 0, "overdue": 0})
        self.assertEqual(r.json["data"]["id"], self.b)
        self.assertEqual(self.snapshot["me"]["data"]["stats"],
                         {"total": 3, "completed": 2, "pending": 1, "overdue": 0})

    def test_b_cannot_write_a_user_id_or_id_in_a_body(self):
        for body in ({"title": "x", "user_id": self.a}, {"title": "x", "id": self.a_tasks[0]["id"]}):
            r = self.call("POST", "/api/tasks", body=body, sub=self.b)
            self.assertError(r, 422, fields=[next(k for k in body if k != "title")])
            r = self.call("PUT", "/api/tasks/" + self.b_task["id"], body=body, sub=self.b)
            self.assertEqual(r.status, 422, r)
        self.assertEqual(self.count_rows("user_id = %s" % sql_literal(self.b)), 1)
        self.assertAUntouched()

    def test_a_query_for_b_user_id_is_not_a_filter(self):
        # The user id comes from the token alone; a query naming one is a 400.
        for query in ("?user_id=" + quote(self.a), "?user=" + quote(self.a), "?sub=" + quote(self.a)):
            self.assertError(self.call("GET", "/api/tasks" + query, sub=self.b), 400)
        self.assertAUntouched()


INJECTIONS = ["' OR 1=1 --", "'); DROP TABLE tasks; --", "Robert'); DROP TABLE todo.tasks;--",
              "\\'; DELETE FROM todo.tasks; --", "\" OR \"\"=\"", "1; SELECT pg_sleep(5)",
              "$1", "'::text", "E'\\x00'", "%_\\%", "\\", "\\\\", "{a,b}", "NULL", "a,b",
              "}\"{", "'||(SELECT max(user_id) FROM todo.tasks)||'"]


class Injection(ApiTestCase):
    def tables_intact(self):
        self.assertEqual(self.psql_value("SELECT to_regclass('todo.tasks') IS NOT NULL AND "
                                         "to_regclass('todo.users') IS NOT NULL"), "t")
        return self.count_rows()

    def test_injection_shaped_ids_are_404(self):
        task = self.create()
        before = self.tables_intact()
        ids = ["%27%20OR%201%3D1%20--", "%27", "'OR'1'='1", "%27)%3B%20DROP%20TABLE%20tasks%3B--",
               task["id"] + "%27", task["id"] + "'--", task["id"] + "%20OR%201=1",
               "%5C", "*", "%25"]
        conn = self.stack.connection()
        self.addCleanup(conn.close)
        for task_id in ids:
            for method, path, body, headers in task_routes("/api/tasks", task_id):
                hdrs = dict(headers)
                if body is not None:
                    hdrs["Content-Type"] = "application/json"
                r = self.call(method, path, body=body, headers=hdrs, conn=conn)
                self.assertEqual(r.status, 404, (method, path, r))
        self.assertEqual(self.tables_intact(), before)
        self.assertEqual(self.fetch(task["id"]), task)

    def test_injection_shaped_path_user_ids_are_403(self):
        for user in ("' OR 1=1 --", "%", "*", self.sub + "' OR '1'='1"):
            r = self.call("GET", "/api/%s/tasks" % quote(user))
            self.assertError(r, 403)
        r = self.call("GET", "/api/%25/tasks")
        self.assertError(r, 403)

    def test_bodies_are_stored_literally(self):
        before = self.tables_intact()
        made = []
        for text in INJECTIONS:
            r = self.call("POST", "/api/tasks",
                          body={"title": text, "description": text + "\n" + text,
                                "tags": [text, "t-" + text]})
            self.assertEqual(r.status, 201, (text, r))
            task = r.json["data"]
            self.assertEqual((task["title"], task["description"], task["tags"]),
                             (text.strip(), text + "\n" + text, [text.strip(), "t-" + text]))
            self.assertEqual(self.fetch(task["id"]), task)
            made.append(task)
        # PUT and PATCH take the same values literally.
        for text in INJECTIONS:
            url = "/api/tasks/" + made[0]["id"]
            r = self.call("PATCH", url, body={"title": "p" + text, "tags": [text]})
            self.assertEqual((r.json["data"]["title"], r.json["data"]["tags"]),
                             ("p" + text, [text.strip()]))
            r = self.call("PUT", url, body={"title": "u" + text, "description": text})
            self.assertEqual((r.json["data"]["title"], r.json["data"]["description"]),
                             ("u" + text, text))
        stored = self.psql_value("SELECT title FROM todo.tasks WHERE id = '%s'" % made[1]["id"])
        self.assertEqual(stored, INJECTIONS[1])
        listing = self.call("GET", "/api/tasks?limit=100").json
        self.assertEqual(listing["meta"]["total"], len(INJECTIONS))
        self.assertEqual(self.tables_intact(), before + len(INJECTIONS))

    def test_injection_shaped_query_values(self):
        self.create(title="' OR 1=1 --")
        self.create(title="plain", tags=["'); DROP TABLE tasks; --"])
        self.create(title="100%_done\\")
        before = self.tables_intact()
        cases = {
            "q=%27%20OR%201%3D1%20--": ["' OR 1=1 --"],
            "q=%27": ["' OR 1=1 --"],
            "q=%25": ["100%_done\\"],
            "q=_": ["100%_done\\"],
            "q=%5C": ["100%_done\\"],
            "q=%27)%3B%20DROP%20TABLE%20tasks%3B%20--": [],
            "tag=%27)%3B%20DROP%20TABLE%20tasks%3B%20--": ["plain"],
            "tag=%27%20OR%201%3D1": [],
            "search=%27%20OR%20%27%27%3D%27": [],
        }
        for query, titles in cases.items():
            r = self.call("GET", "/api/tasks?" + query)
            self.assertEqual(r.status, 200, (query, r))
            self.assertEqual([t["title"] for t in r.json["data"]], titles, query)
        for query in ("sort=title%3B%20DROP%20TABLE%20tasks", "sort=title%20--", "sort=%27",
                      "limit=1%20OR%201%3D1", "offset=0%3B", "priority=high%27%20OR%20%271",
                      "completed=true%27%20OR%20%271", "due_before=%27%20OR%201%3D1",
                      "%27%20OR%201%3D1=1"):
            r = self.call("GET", "/api/tasks?" + query)
            self.assertError(r, 400)
        for query in ("completed=true%27%20OR%201%3D1", "completed=true;", "completed=%27"):
            r = self.call("DELETE", "/api/tasks?" + query)
            self.assertError(r, 400)
        self.assertEqual(self.tables_intact(), before)

    def test_injection_shaped_subs_are_just_user_ids(self):
        victim = self.create(title="victim's")
        total = self.tables_intact()
        for sub in ("x' OR '1'='1", "'); DROP TABLE todo.users; --", "\\", "%", "a,b"):
            r = self.call("POST", "/api/tasks", body={"title": "mine"}, sub=sub)
            self.assertEqual(r.status, 201, (sub, r))
            own = r.json["data"]
            r = self.call("GET", "/api/tasks", sub=sub)
            self.assertEqual(r.json["data"], [own], sub)
            r = self.call("GET", "/api/%s/tasks" % quote(sub), sub=sub)
            self.assertEqual(r.status, 200, (sub, r))
            self.assertEqual(r.json, [own], sub)
            self.assertEqual(self.call("GET", "/api/me", sub=sub).json["data"],
                             {"id": sub, "email": None,
                              "stats": {"total": 1, "completed": 0, "pending": 1,
                                        "overdue": 0}})
            self.assertError(self.call("GET", "/api/tasks/" + victim["id"], sub=sub), 404)
            self.assertEqual(self.psql_value("SELECT count(*) FROM todo.users WHERE id = %s"
                                             % sql_literal(sub)), "1")
        self.assertEqual(self.tables_intact(), total + 5)
        self.assertEqual(self.fetch(victim["id"]), victim)


if __name__ == "__main__":
    unittest.main()
