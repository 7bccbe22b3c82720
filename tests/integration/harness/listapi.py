"""Helpers shared by the list modules (test_list.py, test_list_sort.py): a keep-alive
client, timestamp parsing, and the base TestCase with its assertions on list responses."""

import datetime
import http.client
import secrets

from .fixtures import StackTestCase, current

JSON_TYPE = "application/json; charset=utf-8"
SORT_KEYS = ("created_at", "updated_at", "due_at", "priority", "title")
PRIORITY_RANK = {"low": 0, "medium": 1, "high": 2}


def new_sub(name):
    return "list-%s-%s" % (name, secrets.token_hex(4))


def parse_ts(text):
    """API.md §1 output form, 2026-11-22T10:00:00.123Z -> aware datetime."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def parse_param_ts(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


class Client:
    """One keep-alive HTTPS connection to nginx, reopened after any error."""

    def __init__(self, s):
        self.stack = s
        self.conn = None

    def request(self, method, path, sub, body=None, headers=None):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = self.stack.connection()
            try:
                return self.stack.request(method, path, body=body, headers=headers,
                                          token=self.stack.token(sub=sub), conn=self.conn)
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


class ListTestCase(StackTestCase):
    client = None

    @classmethod
    def setUpClass(cls):
        cls.client = Client(current())

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    # -- helpers
    @classmethod
    def create(cls, sub, **fields):
        r = cls.client.request("POST", "/api/tasks", sub, body=fields)
        if r.status != 201:
            raise AssertionError("create %r: %r" % (fields, r))
        return r.json["data"]

    def get(self, sub, query="", prefix="/api/tasks"):
        path = prefix + ("?" + query if query else "")
        return self.client.request("GET", path, sub)

    def list(self, sub, query=""):
        """(data, meta) of a 200 list, checking the envelope."""
        r = self.get(sub, query)
        self.assertEqual(r.status, 200, "%s: %r" % (query, r))
        self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE)
        body = r.json
        self.assertEqual(sorted(body), ["data", "meta"], query)
        self.assertIsInstance(body["data"], list)
        self.assertEqual(sorted(body["meta"]), ["limit", "offset", "total"], query)
        return body["data"], body["meta"]

    def all_ids(self, sub, query=""):
        """Ids of every match (one page of 100, which must hold them all) and the total."""
        q = "limit=100" + ("&" + query if query else "")
        data, meta = self.list(sub, q)
        self.assertLessEqual(meta["total"], 100, "test data must fit one page")
        self.assertEqual(len(data), meta["total"], "page of 100 holds every match: " + q)
        return [t["id"] for t in data], meta["total"]

    def assertBadParam(self, sub, query, param, prefix="/api/tasks"):
        r = self.get(sub, query, prefix=prefix)
        self.assertEqual(r.status, 400, "%s: %r" % (query, r))
        self.assertEqual(r.headers.get("Content-Type"), JSON_TYPE)
        body = r.json
        self.assertEqual(body.get("code"), "bad_request", r)
        self.assertIn("'%s'" % param, body.get("detail", ""), "%s: detail must name %s: %r"
                      % (query, param, body))
        self.assertIn({"field": param}, [{"field": e.get("field")}
                                         for e in body.get("errors", [])], body)
        return body
