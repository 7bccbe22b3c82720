"""Helpers for the task-API integration tests (test_tasks, test_validation,
test_isolation, test_compat): a test case with one user per test, calls with
that user's token, and assertions for API.md's task object and error body.

Not a test module itself (no `test_` prefix): CMake registers test_*.py only.
"""

import json
import re
import secrets
import time
import urllib.parse

from .fixtures import StackTestCase

JSON_TYPE = "application/json; charset=utf-8"
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# API.md §3, in its order (the worker renders the keys in this order).
TASK_KEYS = ["id", "title", "description", "completed", "priority", "due_at", "tags",
             "created_at", "updated_at", "completed_at", "version"]
ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 412: "precondition_failed",
               413: "payload_too_large", 415: "unsupported_media_type",
               422: "validation_failed", 503: "service_unavailable", 500: "internal_error"}
MISSING_ID = "00000000-0000-4000-8000-000000000000"


def quote(segment):
    """Percent-encodes a path segment (everything but unreserved characters)."""
    return urllib.parse.quote(segment, safe="")


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


class ApiTestCase(StackTestCase):
    """`self.sub` is a user id of this test alone, so tests never see each
    other's tasks (the database is shared by the module)."""

    def setUp(self):
        self.sub = "u-%s-%s" % (self._testMethodName[5:40], secrets.token_hex(4))

    # -- calls
    def token(self, sub=None, **claims):
        return self.stack.token(sub=self.sub if sub is None else sub, **claims)

    def call(self, method, path, body=None, sub=None, token=None, headers=None, conn=None):
        """A request as `sub` (default: this test's user); token=False sends none."""
        if token is None:
            token = self.token(sub)
        elif token is False:
            token = None
        return self.stack.request(method, path, body=body, headers=headers, token=token,
                                  conn=conn)

    def create(self, sub=None, path="/api/tasks", **fields):
        """POSTs a task (title defaults to "task") and returns the stored task."""
        fields.setdefault("title", "task")
        r = self.call("POST", path, body=fields, sub=sub)
        self.assertEqual(r.status, 201, r)
        return r.json["data"] if path.startswith("/api/tasks") else r.json

    def create_apart(self, **fields):
        """create(), then a pause, so that the next task's created_at (milliseconds)
        is later and the default order (-created_at, then id) is known."""
        task = self.create(**fields)
        time.sleep(0.003)
        return task

    def fetch(self, task_id, sub=None):
        """GET /api/tasks/{id} -> the task (asserting 200 and its ETag)."""
        r = self.call("GET", "/api/tasks/" + task_id, sub=sub)
        self.assertEqual(r.status, 200, r)
        task = r.json["data"]
        self.assertEqual(r.headers.get("ETag"), '"%d"' % task["version"])
        return task

    def psql_value(self, sql):
        return self.stack.psql(sql).strip()

    def task_rows(self, sub):
        """Every stored column of `sub`'s tasks, as psql prints them (ordered by id)."""
        return self.psql_value(
            "SELECT t.* FROM todo.tasks t WHERE user_id = %s ORDER BY id" % sql_literal(sub))

    def count_rows(self, where="true"):
        return int(self.psql_value("SELECT count(*) FROM todo.tasks WHERE " + where))

    # -- assertions
    def assertCommonHeaders(self, r):
        self.assertTrue(r.headers.get("X-Request-Id"), r.headers)
        if r.status not in (204, 304):
            self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE, r)
            self.assertEqual(r.headers.get("Cache-Control"), "no-store", r)

    def assertError(self, r, status, fields=None, code=None):
        """The error body of API.md §1; `fields`: the exact set of `errors[].field`."""
        self.assertEqual(r.status, status, r)
        self.assertCommonHeaders(r)
        body = r.json
        self.assertEqual(body.get("code"), code or ERROR_CODES[status], body)
        self.assertIsInstance(body.get("detail"), str, body)
        self.assertTrue(body["detail"], body)
        if fields is None:
            self.assertEqual(set(body), {"detail", "code"} | ({"errors"} & set(body)), body)
        else:
            self.assertEqual(set(body), {"detail", "code", "errors"}, body)
            for e in body["errors"]:
                self.assertEqual(set(e), {"field", "message"}, e)
                self.assertIsInstance(e["message"], str)
                self.assertTrue(e["message"])
            self.assertEqual({e["field"] for e in body["errors"]}, set(fields), body)
            self.assertEqual(len(body["errors"]), len(set(fields)), body)
        return body

    def assertTask(self, task):
        """A task object of API.md §3: every field, in order, with its type; no user_id."""
        self.assertEqual(list(task), TASK_KEYS, task)
        self.assertRegex(task["id"], UUID_RE)
        self.assertIsInstance(task["title"], str)
        self.assertIsInstance(task["description"], (str, type(None)))
        self.assertIsInstance(task["completed"], bool)
        self.assertIn(task["priority"], ("low", "medium", "high"))
        self.assertIsInstance(task["tags"], list)
        for name in ("created_at", "updated_at"):
            self.assertRegex(task[name], TIMESTAMP_RE)
        for name in ("due_at", "completed_at"):
            if task[name] is not None:
                self.assertRegex(task[name], TIMESTAMP_RE)
        self.assertEqual(task["completed_at"] is not None, task["completed"], task)
        self.assertIsInstance(task["version"], int)
        self.assertNotIsInstance(task["version"], bool)
        self.assertGreaterEqual(task["version"], 1)
        self.assertNotIn("user_id", task)
        return task

    def assertEnvelope(self, r, status):
        """A canonical success: {"data": ...} only; returns the data."""
        self.assertEqual(r.status, status, r)
        self.assertCommonHeaders(r)
        body = r.json
        self.assertEqual(list(body), ["data"] if "meta" not in body else ["data", "meta"], body)
        return body["data"]


def dumps(value):
    return json.dumps(value, ensure_ascii=False).encode("utf-8")
