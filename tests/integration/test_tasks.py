"""Every task endpoint of API.md §4 through real nginx over TLS against real
PostgreSQL: create, get (ETag, If-None-Match), the default list page, PUT, PATCH
(merge patch), complete (toggle/set), DELETE, bulk delete, If-Match on every
write, /api/me, /api/openapi.json, and 20 concurrent toggles of one task.

The list query parameters have their own module (test_list_query).
"""

import datetime
import threading
import time
import unittest

import harness
from harness.taskapi import ApiTestCase, MISSING_ID, TIMESTAMP_RE

setUpModule, tearDownModule = harness.module_fixtures(workers=2)


def parse_ts(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


class Create(ApiTestCase):
    def test_create_with_only_a_title_returns_defaults_location_and_etag(self):
        before = datetime.datetime.now(datetime.timezone.utc)
        r = self.call("POST", "/api/tasks", body={"title": "Buy milk"})
        data = self.assertEnvelope(r, 201)
        task = self.assertTask(data)
        self.assertEqual(r.headers.get("Location"), "/api/tasks/" + task["id"])
        self.assertEqual(r.headers.get("ETag"), '"1"')
        self.assertEqual(
            {k: task[k] for k in ("title", "description", "completed", "priority", "due_at",
                                  "tags", "completed_at", "version")},
            {"title": "Buy milk", "description": None, "completed": False,
             "priority": "medium", "due_at": None, "tags": [], "completed_at": None,
             "version": 1})
        self.assertEqual(task["created_at"], task["updated_at"])
        created = parse_ts(task["created_at"])
        self.assertLess(abs((created - before).total_seconds()), 30)
        # The body is what is stored: GET returns the same object.
        self.assertEqual(self.fetch(task["id"]), task)

    def test_create_with_every_field(self):
        body = {"title": "Buy milk", "description": "2 litres\nsemi-skimmed",
                "completed": True, "priority": "high",
                "due_at": "2026-12-01T10:00:00.5+01:00", "tags": ["home", "errands"]}
        r = self.call("POST", "/api/tasks", body=body)
        task = self.assertTask(self.assertEnvelope(r, 201))
        self.assertEqual(task["title"], "Buy milk")
        self.assertEqual(task["description"], "2 litres\nsemi-skimmed")
        self.assertIs(task["completed"], True)
        self.assertEqual(task["priority"], "high")
        self.assertEqual(task["due_at"], "2026-12-01T09:00:00.500Z")
        self.assertEqual(task["tags"], ["home", "errands"])
        # completed_at is set at creation too.
        self.assertRegex(task["completed_at"], TIMESTAMP_RE)
        self.assertGreaterEqual(task["completed_at"], task["created_at"])
        self.assertEqual(self.fetch(task["id"]), task)

    def test_user_id_is_stored_but_never_returned(self):
        r = self.call("POST", "/api/tasks", body={"title": "mine"})
        self.assertEqual(r.status, 201, r)
        self.assertNotIn(b"user_id", r.body)
        self.assertNotIn(self.sub.encode(), r.body)
        task = r.json["data"]
        self.assertEqual(self.psql_value("SELECT user_id FROM todo.tasks WHERE id = '%s'"
                                         % task["id"]), self.sub)
        for path in ("/api/tasks/" + task["id"], "/api/tasks"):
            body = self.call("GET", path).body
            self.assertNotIn(b"user_id", body)
            self.assertNotIn(self.sub.encode(), body)

    def test_first_write_creates_the_users_row_with_the_token_email(self):
        where = "SELECT coalesce(email, '<null>') FROM todo.users WHERE id = '%s'" % self.sub
        self.assertEqual(self.psql_value(where), "")
        r = self.call("POST", "/api/tasks", body={"title": "a"},
                      token=self.token(email="first@example.com"))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.psql_value(where), "first@example.com")


class Get(ApiTestCase):
    def test_get_returns_task_and_etag(self):
        task = self.create(title="one")
        r = self.call("GET", "/api/tasks/" + task["id"])
        self.assertEqual(self.assertEnvelope(r, 200), task)
        self.assertEqual(r.headers.get("ETag"), '"1"')

    def test_uppercase_id_finds_the_task(self):
        task = self.create()
        r = self.call("GET", "/api/tasks/" + task["id"].upper())
        self.assertEqual(self.assertEnvelope(r, 200), task)

    def test_if_none_match_matching_is_304_with_empty_body(self):
        task = self.create()
        for header in ('"1"', 'W/"1"', '"7", "1"', "*"):
            r = self.call("GET", "/api/tasks/" + task["id"], headers={"If-None-Match": header})
            self.assertEqual(r.status, 304, (header, r))
            self.assertEqual(r.body, b"")
            self.assertEqual(r.headers.get("ETag"), '"1"')

    def test_if_none_match_stale_is_200(self):
        task = self.create()
        self.call("PATCH", "/api/tasks/%s" % task["id"], body={"title": "v2"})
        r = self.call("GET", "/api/tasks/" + task["id"], headers={"If-None-Match": '"1"'})
        self.assertEqual(self.assertEnvelope(r, 200)["title"], "v2")
        self.assertEqual(r.headers.get("ETag"), '"2"')

    def test_missing_and_malformed_ids_are_404(self):
        for task_id in (MISSING_ID, "nope", "1", "00000000-0000-4000-8000-00000000000",
                        "00000000000040008000000000000000", "%7B" + MISSING_ID + "%7D",
                        "g0000000-0000-4000-8000-000000000000"):
            r = self.call("GET", "/api/tasks/" + task_id)
            body = self.assertError(r, 404)
            self.assertEqual(body["detail"], "Task not found", task_id)


class List(ApiTestCase):
    def test_empty_list(self):
        r = self.call("GET", "/api/tasks")
        self.assertEqual(r.json, {"data": [], "meta": {"total": 0, "limit": 50, "offset": 0}})
        self.assertCommonHeaders(r)

    def test_default_page_is_newest_first_with_meta(self):
        made = [self.create_apart(title="t%d" % i) for i in range(3)]
        r = self.call("GET", "/api/tasks")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(list(r.json), ["data", "meta"])
        self.assertEqual(r.json["meta"], {"total": 3, "limit": 50, "offset": 0})
        data = r.json["data"]
        for task in data:
            self.assertTask(task)
        self.assertEqual(data, list(reversed(made)))

    def test_default_page_holds_fifty_and_total_counts_all(self):
        values = ",".join("('%s', 't%d')" % (self.sub, i) for i in range(55))
        self.call("POST", "/api/tasks", body={"title": "first"})  # creates the users row
        self.stack.psql("INSERT INTO todo.tasks (user_id, title) VALUES %s;"
                        "SELECT todo.recount_tasks('%s')" % (values, self.sub))
        r = self.call("GET", "/api/tasks")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json["data"]), 50)
        self.assertEqual(r.json["meta"], {"total": 56, "limit": 50, "offset": 0})


class Replace(ApiTestCase):
    def test_put_is_a_full_replace(self):
        task = self.create(title="old", description="d", completed=True, priority="high",
                           due_at="2030-01-01T00:00:00Z", tags=["x"])
        time.sleep(0.01)
        r = self.call("PUT", "/api/tasks/" + task["id"], body={"title": "  new  "})
        new = self.assertTask(self.assertEnvelope(r, 200))
        self.assertEqual(r.headers.get("ETag"), '"2"')
        self.assertEqual(
            {k: new[k] for k in ("id", "title", "description", "completed", "priority",
                                 "due_at", "tags", "completed_at", "version", "created_at")},
            {"id": task["id"], "title": "new", "description": None, "completed": False,
             "priority": "medium", "due_at": None, "tags": [], "completed_at": None,
             "version": 2, "created_at": task["created_at"]})
        self.assertGreater(new["updated_at"], task["updated_at"])
        self.assertEqual(self.fetch(task["id"]), new)

    def test_put_with_every_field(self):
        task = self.create()
        body = {"title": "T", "description": None, "completed": True, "priority": "low",
                "due_at": "2031-05-06T07:08:09.010-02:00", "tags": ["A", "a", "b"]}
        new = self.assertEnvelope(self.call("PUT", "/api/tasks/" + task["id"], body=body), 200)
        self.assertEqual((new["title"], new["description"], new["completed"], new["priority"],
                          new["due_at"], new["tags"], new["version"]),
                         ("T", None, True, "low", "2031-05-06T09:08:09.010Z", ["A", "b"], 2))
        self.assertIsNotNone(new["completed_at"])

    def test_put_same_values_still_bumps_version_and_keeps_completed_at(self):
        task = self.create(title="x", completed=True)
        body = {"title": "x", "completed": True}
        new = self.call("PUT", "/api/tasks/" + task["id"], body=body).json["data"]
        self.assertEqual(new["version"], 2)
        self.assertEqual(new["completed_at"], task["completed_at"])
        new = self.call("PUT", "/api/tasks/" + task["id"], body=body).json["data"]
        self.assertEqual(new["version"], 3)
        self.assertEqual(new["completed_at"], task["completed_at"])

    def test_put_needs_a_title(self):
        task = self.create()
        r = self.call("PUT", "/api/tasks/" + task["id"], body={"description": "d"})
        self.assertError(r, 422, fields=["title"])
        self.assertEqual(self.fetch(task["id"]), task)

    def test_put_of_missing_task_is_404(self):
        r = self.call("PUT", "/api/tasks/" + MISSING_ID, body={"title": "x"})
        self.assertError(r, 404)
        self.assertEqual(self.count_rows("id = '%s'" % MISSING_ID), 0)


class Patch(ApiTestCase):
    def test_patch_changes_only_present_fields(self):
        task = self.create(title="t", description="d", priority="high",
                           due_at="2030-01-01T00:00:00Z", tags=["a"])
        r = self.call("PATCH", "/api/tasks/" + task["id"], body={"priority": "low"})
        new = self.assertTask(self.assertEnvelope(r, 200))
        self.assertEqual(r.headers.get("ETag"), '"2"')
        expected = dict(task, priority="low", version=2, updated_at=new["updated_at"])
        self.assertEqual(new, expected)
        self.assertGreaterEqual(new["updated_at"], task["updated_at"])

    def test_null_clears_description_and_due_at(self):
        task = self.create(description="d", due_at="2030-01-01T00:00:00Z")
        new = self.call("PATCH", "/api/tasks/" + task["id"],
                        body={"description": None, "due_at": None}).json["data"]
        self.assertIsNone(new["description"])
        self.assertIsNone(new["due_at"])
        self.assertEqual(self.fetch(task["id"]), new)

    def test_title_null_is_422_and_nothing_changes(self):
        task = self.create(title="keep")
        for field in ("title", "completed", "priority", "tags"):
            r = self.call("PATCH", "/api/tasks/" + task["id"], body={field: None})
            self.assertError(r, 422, fields=[field])
        self.assertEqual(self.fetch(task["id"]), task)

    def test_merge_patch_content_type(self):
        task = self.create(description="d")
        r = self.call("PATCH", "/api/tasks/" + task["id"],
                      body=b'{"title":"mp","description":null}',
                      headers={"Content-Type": "application/merge-patch+json"})
        new = self.assertEnvelope(r, 200)
        self.assertEqual((new["title"], new["description"], new["version"]), ("mp", None, 2))

    def test_empty_patch_bumps_version(self):
        task = self.create()
        new = self.assertEnvelope(self.call("PATCH", "/api/tasks/" + task["id"], body={}), 200)
        self.assertEqual(new, dict(task, version=2, updated_at=new["updated_at"]))

    def test_patch_completed_sets_and_clears_completed_at_only_on_change(self):
        task = self.create()
        url = "/api/tasks/" + task["id"]
        done = self.call("PATCH", url, body={"completed": True}).json["data"]
        self.assertIsNotNone(done["completed_at"])
        again = self.call("PATCH", url, body={"completed": True, "title": "x"}).json["data"]
        self.assertEqual(again["completed_at"], done["completed_at"])
        self.assertEqual(again["version"], 3)
        undone = self.call("PATCH", url, body={"completed": False}).json["data"]
        self.assertIsNone(undone["completed_at"])
        self.assertFalse(undone["completed"])

    def test_patch_tags_replaces_the_array(self):
        task = self.create(tags=["a", "b"])
        new = self.call("PATCH", "/api/tasks/" + task["id"], body={"tags": ["c"]}).json["data"]
        self.assertEqual(new["tags"], ["c"])
        new = self.call("PATCH", "/api/tasks/" + task["id"], body={"tags": []}).json["data"]
        self.assertEqual(new["tags"], [])


class Complete(ApiTestCase):
    def complete(self, task_id, body=None, headers=None):
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Type", "application/json")
        return self.call("PATCH", "/api/tasks/%s/complete" % task_id, body=body, headers=hdrs)

    def test_empty_body_toggles(self):
        task = self.create()
        r = self.complete(task["id"])
        on = self.assertTask(self.assertEnvelope(r, 200))
        self.assertEqual(r.headers.get("ETag"), '"2"')
        self.assertEqual((on["completed"], on["version"]), (True, 2))
        self.assertRegex(on["completed_at"], TIMESTAMP_RE)
        self.assertGreaterEqual(on["completed_at"], task["created_at"])
        off = self.assertEnvelope(self.complete(task["id"]), 200)
        self.assertEqual((off["completed"], off["completed_at"], off["version"]),
                         (False, None, 3))
        # An empty JSON body, whitespace, and `{}` carry no instruction either.
        for body in (b"", b" \n", b"{}"):
            r = self.complete(task["id"], body=body)
            self.assertEqual(r.status, 200, (body, r))
        self.assertEqual(self.fetch(task["id"])["completed"], True)  # 3 more toggles

    def test_body_sets_and_completed_at_changes_only_on_change(self):
        task = self.create()
        on = self.complete(task["id"], b'{"completed":true}').json["data"]
        self.assertEqual((on["completed"], on["version"]), (True, 2))
        time.sleep(0.01)
        same = self.complete(task["id"], b'{"completed":true}').json["data"]
        self.assertEqual((same["completed"], same["version"]), (True, 3))
        self.assertEqual(same["completed_at"], on["completed_at"])
        self.assertGreater(same["updated_at"], on["updated_at"])
        off = self.complete(task["id"], b'{"completed": false}').json["data"]
        self.assertEqual((off["completed"], off["completed_at"], off["version"]),
                         (False, None, 4))
        off2 = self.complete(task["id"], b'{"completed": false}').json["data"]
        self.assertEqual((off2["completed"], off2["completed_at"], off2["version"]),
                         (False, None, 5))
        self.assertEqual(self.fetch(task["id"]), off2)

    def test_bad_complete_bodies(self):
        task = self.create()
        self.assertError(self.complete(task["id"], b'{"completed":"yes"}'), 422,
                         fields=["completed"])
        self.assertError(self.complete(task["id"], b'{"completed":null}'), 422,
                         fields=["completed"])
        self.assertError(self.complete(task["id"], b'{"title":"x","version":3}'), 422,
                         fields=["title", "version"])
        self.assertError(self.complete(task["id"], b'{"completed":'), 400)
        self.assertError(self.complete(task["id"], b'true'), 400)
        self.assertError(self.complete(task["id"], b'{"completed":true}',
                                       headers={"Content-Type": "text/plain"}), 415)
        self.assertEqual(self.fetch(task["id"]), task)

    def test_complete_of_missing_task_is_404(self):
        self.assertError(self.complete(MISSING_ID), 404)
        self.assertError(self.complete("not-a-uuid"), 404)


class Delete(ApiTestCase):
    def test_delete_is_204_empty_then_404(self):
        task = self.create()
        r = self.call("DELETE", "/api/tasks/" + task["id"])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        self.assertTrue(r.headers.get("X-Request-Id"))
        self.assertError(self.call("GET", "/api/tasks/" + task["id"]), 404)
        self.assertError(self.call("DELETE", "/api/tasks/" + task["id"]), 404)
        self.assertEqual(self.count_rows("id = '%s'" % task["id"]), 0)

    def test_bulk_delete_completed(self):
        keep = self.create(title="pending")
        for i in range(3):
            self.create(title="done%d" % i, completed=True)
        r = self.call("DELETE", "/api/tasks?completed=true")
        self.assertEqual(self.assertEnvelope(r, 200), {"deleted": 3})
        listing = self.call("GET", "/api/tasks").json
        self.assertEqual(listing["data"], [keep])
        self.assertEqual(listing["meta"]["total"], 1)
        r = self.call("DELETE", "/api/tasks?completed=true")
        self.assertEqual(r.json, {"data": {"deleted": 0}})

    def test_bulk_delete_without_confirmation_is_422_and_deletes_nothing(self):
        self.create(completed=True)
        self.create()
        for query in ("", "?completed=false", "?completed="):
            r = self.call("DELETE", "/api/tasks" + query)
            self.assertError(r, 422, fields=["completed"])
        for query in ("?completed=yes", "?completed=1", "?completed=TRUE",
                      "?completed=true&completed=true", "?completed=true&all=1", "?x=1"):
            r = self.call("DELETE", "/api/tasks" + query)
            self.assertError(r, 400)
        self.assertEqual(self.count_rows("user_id = '%s'" % self.sub), 2)


class IfMatch(ApiTestCase):
    """API.md §4: If-Match mismatch -> 412 and nothing changed; missing task -> 404."""

    def writes(self, task_id):
        url = "/api/tasks/" + task_id
        return [("PUT", url, {"title": "replaced"}),
                ("PATCH", url, {"title": "patched"}),
                ("PATCH", url + "/complete", None),
                ("PATCH", url + "/complete", {"completed": True}),
                ("DELETE", url, None)]

    def test_mismatch_is_412_and_the_row_is_unchanged(self):
        task = self.create(title="orig")
        rows = self.task_rows(self.sub)
        for method, url, body in self.writes(task["id"]):
            for header in ('"2"', 'W/"9"', '"0", "2"', "3", '"abc"', '""'):
                r = self.call(method, url, body=body, headers={"If-Match": header})
                self.assertError(r, 412)
                self.assertEqual(r.json["code"], "precondition_failed")
        self.assertEqual(self.fetch(task["id"]), task)
        self.assertEqual(self.task_rows(self.sub), rows)

    def test_match_succeeds(self):
        task = self.create(title="orig")
        url = "/api/tasks/" + task["id"]
        version = 1
        for method, u, body in self.writes(task["id"])[:4]:
            for header in ('"%d"' % version, 'W/"%d"' % (version + 1), '"99", "%d"' % (version + 2),
                           "*"):
                r = self.call(method, u, body=body, headers={"If-Match": header})
                self.assertEqual(r.status, 200, (method, u, header, r))
                version += 1
                self.assertEqual(r.json["data"]["version"], version)
                self.assertEqual(r.headers.get("ETag"), '"%d"' % version)
        r = self.call("DELETE", url, headers={"If-Match": '"%d"' % version})
        self.assertEqual(r.status, 204, r)

    def test_missing_task_stays_404(self):
        for task_id in (MISSING_ID, "not-a-uuid"):
            for method, url, body in self.writes(task_id):
                for header in ('"1"', "*", '"2"'):
                    r = self.call(method, url, body=body, headers={"If-Match": header})
                    self.assertError(r, 404)

    def test_stale_etag_after_someone_elses_write_is_412(self):
        task = self.create(title="v1")
        url = "/api/tasks/" + task["id"]
        self.assertEqual(self.call("PATCH", url, body={"title": "v2"},
                                   headers={"If-Match": '"1"'}).status, 200)
        r = self.call("PATCH", url, body={"title": "lost update"}, headers={"If-Match": '"1"'})
        self.assertError(r, 412)
        self.assertEqual(self.fetch(task["id"])["title"], "v2")


class Me(ApiTestCase):
    def test_me_stats_and_email(self):
        past = iso(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1))
        future = iso(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1))
        self.create(title="overdue", due_at=past)
        self.create(title="done late", due_at=past, completed=True)
        self.create(title="future", due_at=future)
        self.create(title="no due")
        self.create(title="done", completed=True)
        r = self.call("GET", "/api/me", token=self.token(email="me@example.com"))
        data = self.assertEnvelope(r, 200)
        self.assertEqual(data, {"id": self.sub, "email": "me@example.com",
                                "stats": {"total": 5, "completed": 2, "pending": 3,
                                          "overdue": 1}})
        self.assertEqual(list(data), ["id", "email", "stats"])

    def test_me_without_email_claim_is_null(self):
        r = self.call("GET", "/api/me")
        self.assertEqual(self.assertEnvelope(r, 200),
                         {"id": self.sub, "email": None,
                          "stats": {"total": 0, "completed": 0, "pending": 0, "overdue": 0}})

    def test_me_follows_writes(self):
        task = self.create()
        self.call("PATCH", "/api/tasks/%s/complete" % task["id"])
        stats = self.call("GET", "/api/me").json["data"]["stats"]
        self.assertEqual(stats, {"total": 1, "completed": 1, "pending": 0, "overdue": 0})
        self.call("DELETE", "/api/tasks?completed=true")
        stats = self.call("GET", "/api/me").json["data"]["stats"]
        self.assertEqual(stats, {"total": 0, "completed": 0, "pending": 0, "overdue": 0})


class OpenApi(ApiTestCase):
    def test_openapi_document_without_auth(self):
        r = self.stack.request("GET", "/api/openapi.json")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"), r)
        doc = r.json
        self.assertEqual(doc["openapi"], "3.1.0")
        self.assertIn("/api/tasks", doc["paths"])
        self.assertIn("/api/tasks/{id}", doc["paths"])
        self.assertIn("/api/me", doc["paths"])
        self.assertNotIn("data", doc)  # returned as it is, not wrapped

    def test_openapi_ignores_a_bad_token(self):
        r = self.stack.request("GET", "/api/openapi.json",
                               headers={"Authorization": "Bearer nope"})
        self.assertEqual(r.status, 200, r)


class Concurrency(ApiTestCase):
    def test_twenty_concurrent_toggles(self):
        task = self.create()
        url = "/api/tasks/%s/complete" % task["id"]
        token = self.token()
        barrier = threading.Barrier(20)
        results, errors = [], []

        def toggle():
            try:
                conn = self.stack.connection(timeout=30)
                conn.connect()  # TLS handshake before the barrier
                barrier.wait(timeout=30)
                r = self.stack.request("PATCH", url, token=token, conn=conn)
                conn.close()
                results.append((r.status, r.json["data"]["version"] if r.status == 200
                                else r.body))
            except Exception as e:  # reported below, not lost in the thread
                errors.append(e)
        threads = [threading.Thread(target=toggle) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(sorted(results), [(200, v) for v in range(2, 22)])
        final = self.fetch(task["id"])
        self.assertEqual((final["version"], final["completed"], final["completed_at"]),
                         (21, False, None))
        row = self.psql_value("SELECT version, completed, completed_at IS NULL FROM todo.tasks "
                              "WHERE id = '%s'" % task["id"])
        self.assertEqual(row, "21|f|t")
        stats = self.call("GET", "/api/me").json["data"]["stats"]
        self.assertEqual((stats["total"], stats["completed"]), (1, 0))


if __name__ == "__main__":
    unittest.main()
