"""The API over HTTP/2 through nginx, as browsers speak to it (curl --http2): the
worker's answers, headers and bodies are the same as over HTTP/1.1, and nginx's own
errors are the same JSON (test_nginx_site.py covers those without a pool)."""

import json
import time
import unittest

import harness

setUpModule, tearDownModule = harness.module_fixtures(workers=2)

JSON_TYPE = "application/json; charset=utf-8"


class Http2Api(harness.StackTestCase):
    def h2(self, method, path, **kw):
        r = harness.curl(self.stack, method, path, **kw)
        self.assertEqual(r.http_version, "2", r)
        self.assertEqual(r.exit_code, 0, r)
        self.assertEqual(r.headers.get("Server"), "nginx", r.headers)
        return r

    def test_health(self):
        r = self.h2("GET", "/api/health")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE)
        self.assertRegex(r.headers.get("X-Request-Id", ""), r"^[0-9a-f]{32}$")

    def test_create_read_list_delete(self):
        sub = "h2-user-%d" % time.monotonic_ns()
        token = self.stack.token(sub=sub)
        r = self.h2("POST", "/api/tasks", body={"title": "over h2", "tags": ["web"]},
                    token=token)
        self.assertEqual(r.status, 201, r)
        task = r.json["data"]
        self.assertEqual(task["title"], "over h2")
        self.assertEqual(r.headers.get("ETag"), '"1"')
        self.assertEqual(r.headers.get("Location"), "/api/tasks/" + task["id"])
        r = self.h2("GET", "/api/tasks/" + task["id"], token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["data"], task)
        r = self.h2("GET", "/api/tasks", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([t["id"] for t in r.json["data"]], [task["id"]])
        r = self.h2("PATCH", "/api/tasks/" + task["id"], body={"completed": True},
                    token=token, headers={"If-Match": '"1"'})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["data"]["completed"])
        r = self.h2("DELETE", "/api/tasks/" + task["id"], token=token)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")

    def test_worker_errors_are_json(self):
        r = self.h2("GET", "/api/tasks")
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.headers.get("WWW-Authenticate"), "Bearer")
        self.assertEqual(r.json["code"], "unauthorized")
        r = self.h2("POST", "/api/tasks", body=b"{not json",
                    headers={"Content-Type": "application/json"},
                    token=self.stack.token(sub="h2-bad-json"))
        self.assertIn(r.status, (400, 422), r)
        self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE)
        self.assertIn("code", r.json)

    def test_nginx_413_is_json_with_a_pool_behind(self):
        r = self.h2("POST", "/api/tasks", body=b"x" * (64 * 1024 + 1),
                    headers={"Content-Type": "application/json"},
                    token=self.stack.token(sub="h2-big"))
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE, r)
        self.assertEqual(json.loads(r.body)["code"], "payload_too_large")


if __name__ == "__main__":
    unittest.main()
