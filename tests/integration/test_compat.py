"""API.md §5 compatibility routes and §6 CORS, through nginx over TLS.

- /api/{user_id}/tasks...: bare success bodies (task object; list = JSON array +
  X-Total-Count; bulk delete {"deleted": N}), canonical status codes and error
  bodies, 403 when {user_id} (percent-decoded) is not the token's sub;
- /api/todos... and /api/v1/... aliases, composed (/api/v1/{user_id}/todos/{id});
- Location always names /api/tasks/{id}; query aliases search/sort_by/order;
- CORS with CORS_ORIGINS set: allowed origins get the headers on every answer,
  preflight needs no auth, other origins get none.
"""

import unittest

import harness
from harness.taskapi import ApiTestCase, MISSING_ID, quote

ORIGIN = "https://app.example"
OTHER_ORIGIN = "https://other.example"
MAX_BODY = 16384  # below nginx's 64 KiB: the worker's 413 is the one ordered after 403
setUpModule, tearDownModule = harness.module_fixtures(
    workers=2, env={"CORS_ORIGINS": ORIGIN + "," + OTHER_ORIGIN, "MAX_BODY_BYTES": str(MAX_BODY)})

EXPOSED = {"ETag", "Location", "X-Request-Id", "X-Total-Count"}
PREFLIGHT_HEADERS = {"Authorization", "Content-Type", "If-Match", "If-None-Match"}


def header_set(value):
    return {v.strip() for v in (value or "").split(",") if v.strip()}


class CompatCase(ApiTestCase):
    def bases(self, sub=None):
        """Every spelling of the caller's compatibility collection."""
        q = quote(self.sub if sub is None else sub)
        return ["/api/%s/tasks" % q, "/api/%s/todos" % q, "/api/v1/%s/tasks" % q,
                "/api/v1/%s/todos" % q]

    def assertBareTask(self, r, status=200):
        self.assertEqual(r.status, status, r)
        self.assertCommonHeaders(r)
        task = self.assertTask(r.json)
        self.assertEqual(r.headers.get("ETag"), '"%d"' % task["version"])
        return task


class Dialect(CompatCase):
    def test_create_is_a_bare_201_with_the_canonical_location(self):
        for base in self.bases():
            r = self.call("POST", base, body={"title": base, "tags": ["t"]})
            task = self.assertBareTask(r, 201)
            self.assertEqual((task["title"], task["tags"], task["version"]), (base, ["t"], 1))
            self.assertEqual(r.headers.get("Location"), "/api/tasks/" + task["id"])
            self.assertEqual(self.fetch(task["id"]), task)

    def test_list_is_a_json_array_with_x_total_count(self):
        made = [self.create_apart(title="t%d" % i) for i in range(3)]
        canonical = self.call("GET", "/api/tasks").json["data"]
        for base in self.bases():
            r = self.call("GET", base)
            self.assertEqual(r.status, 200, r)
            self.assertCommonHeaders(r)
            self.assertIsInstance(r.json, list)
            self.assertEqual(r.json, canonical)
            self.assertEqual(r.json, list(reversed(made)))
            self.assertEqual(r.headers.get("X-Total-Count"), "3")
            r = self.call("GET", base + "?limit=2&offset=1")
            self.assertEqual(r.json, canonical[1:3])
            self.assertEqual(r.headers.get("X-Total-Count"), "3")
            r = self.call("GET", base + "?completed=true")
            self.assertEqual((r.json, r.headers.get("X-Total-Count")), ([], "0"))
        self.assertIsNone(self.call("GET", "/api/tasks").headers.get("X-Total-Count"))

    def test_empty_list_is_an_empty_array(self):
        r = self.call("GET", self.bases()[0])
        self.assertEqual((r.status, r.body, r.headers.get("X-Total-Count")), (200, b"[]", "0"))

    def test_get_put_patch_complete_are_bare(self):
        for base in self.bases():
            task = self.create(description="d")
            url = "%s/%s" % (base, task["id"])
            self.assertEqual(self.assertBareTask(self.call("GET", url)), task)
            r = self.call("GET", url, headers={"If-None-Match": '"1"'})
            self.assertEqual((r.status, r.body, r.headers.get("ETag")), (304, b"", '"1"'))
            # PUT updates only what it carries here (test_fastapi_dialect.py has the rest).
            put = self.assertBareTask(self.call("PUT", url, body={"title": "put"}))
            self.assertEqual((put["title"], put["description"], put["version"]), ("put", "d", 2))
            patch = self.assertBareTask(self.call("PATCH", url, body={"priority": "high"}))
            self.assertEqual((patch["title"], patch["priority"], patch["version"]),
                             ("put", "high", 3))
            r = self.call("PATCH", url, body=b'{"description":"mp"}',
                          headers={"Content-Type": "application/merge-patch+json"})
            self.assertEqual(self.assertBareTask(r)["description"], "mp")
            done = self.assertBareTask(self.call("PATCH", url + "/complete"))
            self.assertEqual((done["completed"], done["version"]), (True, 5))
            undone = self.assertBareTask(self.call("PATCH", url + "/complete",
                                                   body={"completed": False}))
            self.assertEqual((undone["completed"], undone["completed_at"]), (False, None))
            self.assertEqual(self.fetch(task["id"]), undone)

    def test_delete_is_204_and_bulk_delete_is_bare(self):
        for base in self.bases():
            task = self.create()
            r = self.call("DELETE", "%s/%s" % (base, task["id"]))
            self.assertEqual((r.status, r.body), (204, b""))
            self.assertError(self.call("GET", "/api/tasks/" + task["id"]), 404)
            self.create(completed=True)
            self.create(completed=True)
            r = self.call("DELETE", base + "?completed=true")
            self.assertEqual(r.status, 200, r)
            self.assertCommonHeaders(r)
            self.assertEqual(r.json, {"deleted": 2})
        self.assertEqual(self.count_rows("user_id = '%s'" % self.sub), 0)

    def test_errors_are_the_canonical_ones(self):
        task = self.create()
        base = self.bases()[0]
        # Only known fields: unknown and read-only ones are ignored here but 422 on
        # /api/tasks (test_fastapi_dialect.py).
        cases = [("POST", "", {"title": "", "priority": "urgent"}, {}, 422),
                 ("PUT", "/" + task["id"], {"title": "  ", "tags": [1]}, {}, 422),
                 ("PATCH", "/" + task["id"], {"title": None}, {}, 422),
                 ("GET", "/" + MISSING_ID, None, {}, 404),
                 ("GET", "/not-a-uuid", None, {}, 404),
                 ("DELETE", "/" + MISSING_ID, None, {}, 404),
                 ("PATCH", "/" + task["id"], {"title": "x"}, {"If-Match": '"7"'}, 412),
                 ("DELETE", "/" + task["id"], None, {"If-Match": '"7"'}, 412),
                 ("POST", "", b'{"title":"x"}', {"Content-Type": "text/plain"}, 415),
                 ("POST", "", b'{"title":', {"Content-Type": "application/json"}, 400),
                 ("GET", "?sort=nope", None, {}, 400),
                 ("GET", "?limit=0", None, {}, 400),
                 ("DELETE", "", None, {}, 422),
                 ("DELETE", "?completed=yes", None, {}, 400),
                 ("PUT", "", {"title": "x"}, {}, 405)]
        for method, suffix, body, headers, status in cases:
            canonical = self.call(method, "/api/tasks" + suffix, body=body, headers=headers)
            compat = self.call(method, base + suffix, body=body, headers=headers)
            self.assertError(compat, status,
                             fields=[e["field"] for e in compat.json.get("errors", [])]
                             if status == 422 else None)
            self.assertEqual(compat.json, canonical.json, (method, suffix))
            self.assertEqual(compat.headers.get("Allow"), canonical.headers.get("Allow"))
        self.assertEqual(self.fetch(task["id"]), task)

    def test_unauthenticated_is_401(self):
        r = self.call("GET", self.bases()[0], token=False)
        self.assertError(r, 401)
        self.assertEqual(r.headers.get("WWW-Authenticate"), "Bearer")


class PathUser(CompatCase):
    def test_another_user_id_is_403_forbidden(self):
        task = self.create()
        for other in (self.sub + "x", self.sub.upper(), self.sub[:-1], "x", self.sub + " ",
                      " " + self.sub):
            for base in self.bases(other):
                for method, suffix in (("GET", ""), ("POST", ""), ("GET", "/" + task["id"]),
                                       ("DELETE", "/" + task["id"]),
                                       ("PATCH", "/%s/complete" % task["id"])):
                    body = {"title": "x"} if method == "POST" else None
                    r = self.call(method, base + suffix, body=body)
                    body = self.assertError(r, 403)
                    self.assertEqual(body["code"], "forbidden")
        self.assertEqual(self.fetch(task["id"]), task)

    def test_percent_encoded_ids_that_decode_to_the_sub_are_allowed(self):
        cases = {"user@example.com": ["user%40example.com", "user@example.com",
                                      "%75ser%40example%2Ecom", "user%40EXAMPLE.com"],
                 "John Doe": ["John%20Doe"],
                 "a/b": ["a%2Fb", "a%2fb"],
                 "a+b": ["a+b", "a%2Bb"],
                 "j\u00f3zef \U0001F600": [quote("j\u00f3zef \U0001F600")],
                 "50%": ["50%25"]}
        for sub, paths in cases.items():
            task = self.create(sub=sub, title=sub)
            for segment in paths:
                r = self.call("GET", "/api/%s/tasks" % segment, sub=sub)
                if "EXAMPLE" in segment:  # compared exactly, after decoding
                    self.assertError(r, 403)
                    continue
                self.assertEqual(r.status, 200, (sub, segment, r))
                self.assertEqual(r.json, [task])
                r = self.call("GET", "/api/v1/%s/todos/%s" % (segment, task["id"]), sub=sub)
                self.assertEqual(self.assertBareTask(r), task)
        # "+" is not a space in a path.
        self.assertError(self.call("GET", "/api/John+Doe/tasks", sub="John Doe"), 403)
        # A decoded "/" stays inside the user id: it cannot change the route.
        self.assertError(self.call("GET", "/api/a%2Fb/tasks", sub="a"), 403)

    def test_malformed_percent_encoding_is_never_allowed(self):
        for segment in ("%zz", "%4", "%"):
            r = self.call("GET", "/api/%s/tasks" % segment, sub=segment)
            self.assertIn(r.status, (400, 403, 404), (segment, r))
            self.assertError(r, r.status)

    def test_403_comes_after_401_and_before_415_413_400_422_404(self):
        other = self.bases(self.sub + "-other")[0]
        self.assertError(self.call("POST", other, body={"title": "x"}, token=False), 401)
        for body, ctype in ((b'{"title":"x"}', "text/plain"), (b"{", "application/json"),
                            (b'{"foo":1}', "application/json"),
                            (b"x" * (MAX_BODY + 1), "application/json")):
            r = self.call("POST", other, body=body, headers={"Content-Type": ctype})
            self.assertError(r, 403)
        r = self.call("POST", self.bases()[0], body=b"x" * (MAX_BODY + 1),
                      headers={"Content-Type": "application/json"})
        self.assertError(r, 413)  # the same body on the caller's own path
        self.assertError(self.call("GET", other + "/" + MISSING_ID), 403)
        self.assertError(self.call("GET", other + "?sort=nope"), 403)
        self.assertError(self.call("PUT", other, body={"title": "x"}), 405)


class Aliases(CompatCase):
    def test_todos_alias_is_canonical_and_wrapped(self):
        for base in ("/api/todos", "/api/v1/tasks", "/api/v1/todos"):
            r = self.call("POST", base, body={"title": base})
            task = self.assertTask(self.assertEnvelope(r, 201))
            self.assertEqual(r.headers.get("Location"), "/api/tasks/" + task["id"])
            url = "%s/%s" % (base, task["id"])
            self.assertEqual(self.assertEnvelope(self.call("GET", url), 200), task)
            patched = self.assertEnvelope(self.call("PATCH", url, body={"title": "p"}), 200)
            self.assertEqual(patched["version"], 2)
            done = self.assertEnvelope(self.call("PATCH", url + "/complete"), 200)
            self.assertEqual((done["completed"], done["version"]), (True, 3))
            put = self.assertEnvelope(self.call("PUT", url, body={"title": "u"}), 200)
            self.assertEqual((put["completed"], put["version"]), (False, 4))
            listing = self.call("GET", base).json
            self.assertEqual(listing["data"], [put])
            self.assertEqual(listing["meta"], {"total": 1, "limit": 50, "offset": 0})
            self.assertEqual(self.call("DELETE", url).status, 204)
            self.assertEqual(self.call("GET", base).json["meta"]["total"], 0)
        self.create(completed=True)
        r = self.call("DELETE", "/api/v1/todos?completed=true")
        self.assertEqual(r.json, {"data": {"deleted": 1}})

    def test_v1_me_and_health_and_openapi(self):
        r = self.call("GET", "/api/v1/me")
        self.assertEqual(self.assertEnvelope(r, 200)["id"], self.sub)
        self.assertEqual(self.stack.request("GET", "/api/v1/health").status, 200)
        r = self.stack.request("GET", "/api/v1/openapi.json")
        self.assertEqual((r.status, r.json["openapi"]), (200, "3.1.0"))

    def test_v1_user_todos_id_composes(self):
        task = self.create()
        url = "/api/v1/%s/todos/%s" % (quote(self.sub), task["id"])
        self.assertEqual(self.assertBareTask(self.call("GET", url)), task)
        self.assertEqual(self.assertBareTask(self.call("PATCH", url + "/complete"))["version"], 2)
        self.assertEqual(self.call("DELETE", url).status, 204)
        self.assertError(self.call("GET", url), 404)

    def test_unknown_prefixes_are_404(self):
        for path in ("/api/v2/x/tasks/extra/more", "/api/v1/v1/me", "/api/tasks/%s/done"
                     % MISSING_ID, "/api/items", "/api/todo"):
            self.assertError(self.call("GET", path), 404)

    def test_query_aliases_on_every_list_route(self):
        titles = ["banana", "apple milk", "cherry milk"]
        for t in titles:
            self.create_apart(title=t)
        newest_first = list(reversed(titles))
        cases = {"search=milk": ["cherry milk", "apple milk"],
                 "sort_by=title": ["apple milk", "banana", "cherry milk"],
                 "sort_by=title&order=desc": ["cherry milk", "banana", "apple milk"],
                 "sort=title&order=desc": ["cherry milk", "banana", "apple milk"],
                 "sort=title&order=asc": ["apple milk", "banana", "cherry milk"],
                 "order=asc": titles,
                 "order=desc": newest_first,
                 "sort_by=created&order=asc": titles,
                 "search=MILK&sort_by=title&order=desc": ["cherry milk", "apple milk"]}
        for base in self.bases() + ["/api/tasks", "/api/todos", "/api/v1/tasks"]:
            for query, expected in cases.items():
                r = self.call("GET", base + "?" + query)
                self.assertEqual(r.status, 200, (base, query, r))
                data = r.json if isinstance(r.json, list) else r.json["data"]
                self.assertEqual([t["title"] for t in data], expected, (base, query))
            self.assertError(self.call("GET", base + "?order=sideways"), 400)


class Cors(CompatCase):
    def assertCors(self, r, origin=ORIGIN):
        self.assertEqual(r.headers.get("Access-Control-Allow-Origin"), origin, r.headers)
        self.assertIn("Origin", header_set(r.headers.get("Vary")))
        self.assertEqual(header_set(r.headers.get("Access-Control-Expose-Headers")), EXPOSED)
        self.assertIsNone(r.headers.get("Access-Control-Allow-Credentials"))

    def assertNoCors(self, r):
        cors = [k for k in r.headers if k.lower().startswith("access-control-")]
        self.assertEqual(cors, [], r.headers)

    def test_allowed_origins_get_the_headers(self):
        task = self.create()
        for origin in (ORIGIN, OTHER_ORIGIN):
            h = {"Origin": origin}
            self.assertCors(self.call("GET", "/api/tasks", headers=h), origin)
            self.assertCors(self.call("GET", self.bases()[0], headers=h), origin)
            r = self.call("POST", "/api/tasks", body={"title": "x"}, headers=h)
            self.assertEqual(r.status, 201)
            self.assertCors(r, origin)
            r = self.call("DELETE", "/api/tasks/%s" % self.create()["id"], headers=h)
            self.assertEqual(r.status, 204)
            self.assertCors(r, origin)
            r = self.call("GET", "/api/tasks/" + task["id"],
                          headers=dict(h, **{"If-None-Match": '"1"'}))
            self.assertEqual(r.status, 304)
            self.assertCors(r, origin)
            self.assertCors(self.stack.request("GET", "/api/openapi.json", headers=h), origin)

    def test_errors_carry_the_headers_too(self):
        h = {"Origin": ORIGIN}
        for method, path, token, status in (
                ("GET", "/api/tasks", False, 401),
                ("GET", "/api/tasks/" + MISSING_ID, None, 404),
                ("GET", "/api/no-such-route", None, 404),
                ("DELETE", "/api/me", None, 405),
                ("GET", "/api/%s-x/tasks" % self.sub, None, 403),
                ("POST", "/api/tasks", None, 422),
                ("GET", "/api/tasks?nope=1", None, 400)):
            body = {"foo": 1} if method == "POST" else None
            r = self.call(method, path, body=body, headers=h, token=token)
            self.assertError(r, status)
            self.assertCors(r)

    def test_preflight_is_204_without_auth(self):
        task = self.create()
        routes = {"/api/tasks": {"GET", "POST", "DELETE"},
                  "/api/tasks/" + task["id"]: {"GET", "PUT", "PATCH", "DELETE"},
                  "/api/tasks/%s/complete" % task["id"]: {"PATCH"},
                  "/api/v1/%s-someone-else/todos/x" % self.sub: {"GET", "PUT", "PATCH",
                                                                  "DELETE"},
                  "/api/me": {"GET"}}
        for path, methods in routes.items():
            r = self.stack.request("OPTIONS", path, headers={
                "Origin": ORIGIN, "Access-Control-Request-Method": sorted(methods)[0],
                "Access-Control-Request-Headers": "authorization, content-type, if-match"})
            self.assertEqual((r.status, r.body), (204, b""), (path, r))
            self.assertCors(r)
            allowed = header_set(r.headers.get("Access-Control-Allow-Methods"))
            self.assertTrue(methods <= allowed, (path, allowed))
            self.assertNotIn("POST", allowed - methods - {"HEAD", "OPTIONS"})
            self.assertEqual(header_set(r.headers.get("Access-Control-Allow-Headers")),
                             PREFLIGHT_HEADERS)
            self.assertEqual(r.headers.get("Access-Control-Max-Age"), "600")
        self.assertEqual(self.fetch(task["id"]), task)

    def test_other_origins_get_no_cors_headers(self):
        task = self.create()
        for origin in ("https://evil.example", "https://app.example.evil.com",
                       "http://app.example", "https://app.example:443", "https://app.examplE",
                       "null", "https://app.example/", ORIGIN + "," + OTHER_ORIGIN, ""):
            h = {"Origin": origin}
            r = self.call("GET", "/api/tasks/" + task["id"], headers=h)
            self.assertEqual(r.status, 200)
            self.assertNoCors(r)
            self.assertNoCors(self.call("GET", "/api/tasks", headers=h, token=False))
            r = self.stack.request("OPTIONS", "/api/tasks", headers={
                "Origin": origin, "Access-Control-Request-Method": "POST"})
            self.assertNotEqual(r.status, 500)
            self.assertNoCors(r)
        self.assertNoCors(self.call("GET", "/api/tasks"))  # no Origin at all


if __name__ == "__main__":
    unittest.main()
