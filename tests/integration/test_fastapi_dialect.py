"""The FastAPI dialect (API.md §3, §4, §5; issue 12) through nginx over TLS.

- /api/{user_id}/tasks... (every prefix form): unknown and read-only body fields
  are ignored, the known ones validated exactly; PUT updates only the fields it
  carries; the canonical /api/tasks (and /api/todos, /api/v1) stay strict (422);
- on every route: `due_date` = `due_at` and `is_completed` = `completed` (both
  spellings must agree), a date alone is 00:00 UTC of that day, `status=active`
  and `status=done`, and PATCH .../{id}/toggle = PATCH .../{id}/complete.
"""

import secrets
import unittest

import harness
from harness.taskapi import ApiTestCase, MISSING_ID, quote, sql_literal

setUpModule, tearDownModule = harness.module_fixtures(workers=2)

READ_ONLY = {"id": MISSING_ID, "user_id": "someone-else", "created_at": "2020-01-01T00:00:00Z",
             "updated_at": "2020-01-01T00:00:00Z", "completed_at": None, "version": 99}
# What the replayed frontends send besides our fields.
EXTRAS = {"category": "work", "dueDate": "", "isEditing": True, "Title": None, "": 1,
          "meta": {"source": "form", "title": 5}}
STRICT_BASES = ["/api/tasks", "/api/todos", "/api/v1/tasks", "/api/v1/todos"]


class DialectCase(ApiTestCase):
    def compat_bases(self):
        q = quote(self.sub)
        return ["/api/%s/tasks" % q, "/api/%s/todos" % q, "/api/v1/%s/tasks" % q,
                "/api/v1/%s/todos" % q]

    def all_bases(self):
        return STRICT_BASES + self.compat_bases()

    def data(self, r, status=200):
        """The task (or list) of a success on any route form: wrapped or bare."""
        self.assertEqual(r.status, status, r)
        self.assertCommonHeaders(r)
        return r.json["data"] if isinstance(r.json, dict) and "data" in r.json else r.json

    def stored(self, task_id):
        """The task as GET /api/tasks/{id} returns it (the database's view)."""
        return self.fetch(task_id)


class CompatIgnoresUnknownAndReadOnly(DialectCase):
    def test_create_ignores_extra_and_read_only_fields(self):
        for base in self.compat_bases():
            body = dict(EXTRAS, **READ_ONLY)
            body.update({"title": " Buy milk ", "priority": "high", "tags": ["home"]})
            r = self.call("POST", base, body=body)
            task = self.assertTask(self.data(r, 201))
            self.assertNotEqual(task["id"], MISSING_ID)
            self.assertEqual((task["title"], task["priority"], task["tags"], task["version"],
                              task["completed"], task["description"], task["due_at"]),
                             ("Buy milk", "high", ["home"], 1, False, None, None))
            self.assertNotEqual(task["created_at"][:4], "2020")
            self.assertEqual(r.headers.get("Location"), "/api/tasks/" + task["id"])
            self.assertEqual(self.stored(task["id"]), task)
        # The owner is the token's sub, never the body's user_id.
        self.assertEqual(self.count_rows("user_id = 'someone-else'"), 0)
        self.assertEqual(self.count_rows("user_id = %s" % sql_literal(self.sub)), 4)

    def test_edit_form_echoing_the_task_back_is_accepted(self):
        other = self.create(title="other")
        for base in self.compat_bases():
            task = self.create(description="d", tags=["a"])
            echo = dict(task, title="edited", id=other["id"], version=42, user_id="x")
            for method in ("PUT", "PATCH"):
                r = self.call(method, "%s/%s" % (base, task["id"]), body=echo)
                new = self.assertTask(self.data(r))
                self.assertEqual((new["id"], new["title"], new["description"], new["tags"]),
                                 (task["id"], "edited", "d", ["a"]))
                self.assertEqual(new["version"], task["version"] + (1 if method == "PUT" else 2))
                self.assertEqual(new["created_at"], task["created_at"])
            self.assertEqual(self.stored(task["id"])["version"], 3)
        self.assertEqual(self.stored(other["id"]), other)  # the echoed id changed nothing

    def test_complete_and_toggle_ignore_other_members(self):
        for base in self.compat_bases():
            task = self.create()
            for verb in ("complete", "toggle"):
                url = "%s/%s/%s" % (base, task["id"], verb)
                r = self.call("PATCH", url, body={"completed": True, "title": "x", "id": "y"})
                self.assertEqual(self.data(r)["completed"], True)
                r = self.call("PATCH", url, body={"title": "x", "version": 1})  # toggles
                self.assertEqual(self.data(r)["completed"], False)
            done = self.stored(task["id"])
            self.assertEqual((done["title"], done["version"]), ("task", 5))

    def test_known_fields_are_validated_exactly(self):
        task = self.create(title="keep", completed=True)
        base = self.compat_bases()[0]
        url = "%s/%s" % (base, task["id"])
        cases = [("POST", base, {"title": "  ", "category": "x", "id": 1}, ["title"]),
                 ("POST", base, {"category": "x"}, ["title"]),
                 ("POST", base, {"title": "x", "priority": "urgent", "version": 1}, ["priority"]),
                 ("PUT", url, {"priority": "urgent", "id": "x"}, ["priority"]),
                 ("PUT", url, {"title": "x" * 201, "tags": [1], "extra": 1},
                  ["title", "tags[0]"]),
                 ("PUT", url, {"due_at": "tomorrow"}, ["due_at"]),
                 ("PUT", url, {"dueDate": "", "due_date": ""}, ["due_date"]),
                 ("PATCH", url, {"completed": "yes", "created_at": None}, ["completed"]),
                 ("PATCH", url, {"title": "a", "description": 5}, ["description"]),
                 ("PATCH", url + "/complete", {"completed": None, "x": 1}, ["completed"])]
        for method, path, body, fields in cases:
            self.assertError(self.call(method, path, body=body), 422, fields=fields)
        # Invalid JSON is still 400, however lenient the fields are.
        r = self.call("POST", base, body=b'{"title":"x","extra":}',
                      headers={"Content-Type": "application/json"})
        self.assertError(r, 400)
        self.assertEqual(self.stored(task["id"]), task)
        self.assertEqual(self.count_rows("user_id = %s" % sql_literal(self.sub)), 1)


class CanonicalStaysStrict(DialectCase):
    def test_canonical_routes_reject_unknown_and_read_only_fields(self):
        task = self.create()
        for base in STRICT_BASES:
            url = "%s/%s" % (base, task["id"])
            for name, value in list(READ_ONLY.items()) + [("category", "work"),
                                                          ("dueDate", "")]:
                for method, path, body, also in (
                        ("POST", base, {"title": "x"}, []),
                        ("PUT", url, {"title": "x"}, []),
                        ("PUT", url, {"completed": True}, ["title"]),
                        ("PATCH", url, {"title": "x"}, []),
                        ("PATCH", url + "/complete", {"completed": True}, []),
                        ("PATCH", url + "/toggle", {}, [])):
                    r = self.call(method, path, body=dict(body, **{name: value}))
                    self.assertError(r, 422, fields=[name] + also)
        self.assertEqual(self.stored(task["id"]), task)
        self.assertEqual(self.count_rows("user_id = %s" % sql_literal(self.sub)), 1)

    def test_canonical_put_is_still_a_full_replace(self):
        for base in STRICT_BASES:
            task = self.create(description="d", completed=True, priority="high", tags=["t"],
                               due_at="2030-01-01T00:00:00Z")
            r = self.call("PUT", "%s/%s" % (base, task["id"]), body={"title": "new"})
            new = self.data(r)
            self.assertEqual((new["title"], new["description"], new["completed"],
                              new["completed_at"], new["priority"], new["tags"], new["due_at"]),
                             ("new", None, False, None, "medium", [], None))


class CompatPutUpdatesOnlyWhatItCarries(DialectCase):
    def setUp(self):
        super().setUp()
        self.task = self.create(title="Write report", description="draft", completed=True,
                                priority="low", tags=["work"], due_at="2030-01-01T09:00:00Z")

    def put(self, body, base=None, headers=None):
        url = "%s/%s" % (base or self.compat_bases()[0], self.task["id"])
        return self.call("PUT", url, body=body, headers=headers)

    def test_board_moves_a_card_without_a_title(self):
        for base in self.compat_bases():
            before = self.stored(self.task["id"])
            new = self.assertTask(self.data(self.put({"completed": False, "priority": "high"},
                                                     base)))
            keep = ("title", "description", "tags", "due_at", "created_at")
            self.assertEqual({k: new[k] for k in keep}, {k: before[k] for k in keep})
            self.assertEqual((new["completed"], new["completed_at"], new["priority"],
                              new["version"]), (False, None, "high", before["version"] + 1))
            self.assertEqual(self.stored(self.task["id"]), new)
            self.put({"completed": True}, base)

    def test_edit_form_without_completed_does_not_reopen_the_task(self):
        new = self.data(self.put({"title": "Final report", "description": "v2"}))
        self.assertEqual((new["title"], new["description"], new["completed"],
                          new["completed_at"], new["priority"], new["tags"], new["due_at"]),
                         ("Final report", "v2", True, self.task["completed_at"], "low",
                          ["work"], "2030-01-01T09:00:00.000Z"))

    def test_an_empty_put_changes_nothing_but_the_version(self):
        new = self.data(self.put({}))
        self.assertEqual(new, dict(self.task, version=2, updated_at=new["updated_at"]))

    def test_null_follows_the_merge_patch_rules(self):
        new = self.data(self.put({"description": None, "due_at": None}))
        self.assertEqual((new["description"], new["due_at"], new["title"], new["tags"]),
                         (None, None, "Write report", ["work"]))
        new = self.data(self.put({"due_date": "2031-05-06"}))
        self.assertEqual(new["due_at"], "2031-05-06T00:00:00.000Z")
        new = self.data(self.put({"due_date": None}))
        self.assertIsNone(new["due_at"])
        before = self.stored(self.task["id"])
        for field in ("title", "completed", "is_completed", "priority", "tags"):
            self.assertError(self.put({field: None}), 422, fields=[field])
        self.assertEqual(self.stored(self.task["id"]), before)

    def test_if_match_missing_and_foreign_tasks(self):
        r = self.put({"priority": "high"}, headers={"If-Match": '"7"'})
        self.assertError(r, 412)
        r = self.put({"priority": "high"}, headers={"If-Match": '"1"'})
        self.assertEqual(self.data(r)["version"], 2)
        base = self.compat_bases()[0]
        for task_id in (MISSING_ID, "not-a-uuid"):
            self.assertError(self.call("PUT", "%s/%s" % (base, task_id), body={}), 404)
        other = "other-" + secrets.token_hex(4)
        r = self.call("PUT", "/api/%s/tasks/%s" % (other, self.task["id"]), body={}, sub=other)
        self.assertError(r, 404)
        self.assertEqual(self.stored(self.task["id"])["version"], 2)


class Aliases(DialectCase):
    def test_due_date_and_is_completed_on_create(self):
        for base in self.all_bases():
            r = self.call("POST", base, body={"title": base, "due_date": "2026-12-01",
                                              "is_completed": True})
            task = self.assertTask(self.data(r, 201))
            self.assertEqual((task["due_at"], task["completed"]),
                             ("2026-12-01T00:00:00.000Z", True))
            self.assertIsNotNone(task["completed_at"])
            self.assertEqual(self.stored(task["id"]), task)

    def test_aliases_on_put_patch_and_complete(self):
        for base in self.all_bases():
            task = self.create()
            url = "%s/%s" % (base, task["id"])
            new = self.data(self.call("PATCH", url, body={"is_completed": True,
                                                          "due_date": "2027-03-04T05:06:07Z"}))
            self.assertEqual((new["completed"], new["due_at"]),
                             (True, "2027-03-04T05:06:07.000Z"))
            new = self.data(self.call("PUT", url, body={"title": "t", "is_completed": False,
                                                        "due_date": "2027-03-05"}))
            self.assertEqual((new["completed"], new["due_at"]),
                             (False, "2027-03-05T00:00:00.000Z"))
            new = self.data(self.call("PATCH", url, body={"due_date": None}))
            self.assertIsNone(new["due_at"])
            new = self.data(self.call("PATCH", url + "/complete", body={"is_completed": True}))
            self.assertEqual(new["completed"], True)
            self.assertEqual(self.stored(task["id"]), new)

    def test_both_spellings_must_agree(self):
        task = self.create()
        for base in self.all_bases():
            url = "%s/%s" % (base, task["id"])
            agree = {"title": "t", "completed": True, "is_completed": True,
                     "due_at": "2026-12-01T01:00:00+01:00", "due_date": "2026-12-01"}
            created = self.data(self.call("POST", base, body=agree), 201)
            self.assertEqual((created["completed"], created["due_at"]),
                             (True, "2026-12-01T00:00:00.000Z"))
            for method, path, body, field in (
                    ("POST", base, {"title": "t", "completed": True, "is_completed": False},
                     "is_completed"),
                    ("POST", base, {"title": "t", "due_at": "2026-12-01T09:00:00Z",
                                    "due_date": "2026-12-01"}, "due_date"),
                    ("PATCH", url, {"due_at": None, "due_date": "2026-12-01"}, "due_date"),
                    ("PUT", url, {"title": "t", "is_completed": True, "completed": False},
                     "is_completed"),
                    ("PATCH", url + "/complete", {"completed": False, "is_completed": True},
                     "is_completed"),
                    ("PATCH", url + "/toggle", {"completed": True, "is_completed": False},
                     "is_completed")):
                body = self.assertError(self.call(method, path, body=body), 422, fields=[field])
                other = "completed" if field == "is_completed" else "due_at"
                self.assertIn(other, body["errors"][0]["message"])
        self.assertEqual(self.stored(task["id"]), task)
        self.assertEqual(self.count_rows("user_id = %s" % sql_literal(self.sub)),
                         1 + len(self.all_bases()))


class DateAlone(DialectCase):
    def test_a_date_alone_is_midnight_utc(self):
        cases = {"2026-12-01": "2026-12-01T00:00:00.000Z",
                 "2028-02-29": "2028-02-29T00:00:00.000Z",
                 "0001-01-01": "0001-01-01T00:00:00.000Z",
                 "9999-12-31": "9999-12-31T00:00:00.000Z"}
        for base in (STRICT_BASES[0], self.compat_bases()[0]):
            for field in ("due_at", "due_date"):
                for raw, stored in cases.items():
                    task = self.data(self.call("POST", base, body={"title": "x", field: raw}),
                                     201)
                    self.assertEqual(task["due_at"], stored, (base, field, raw))
                    self.assertEqual(self.stored(task["id"])["due_at"], stored)

    def test_impossible_or_malformed_dates_are_422(self):
        task = self.create(due_at="2030-01-01T00:00:00Z")
        for base in (STRICT_BASES[0], self.compat_bases()[0]):
            for field in ("due_at", "due_date"):
                for raw in ("2026-02-30", "2027-02-29", "2026-13-01", "2026-04-31", "0000-01-01",
                            "2026-12-1", "2026/12/01", "01-12-2026", "2026-12-01T", "",
                            " 2026-12-01"):
                    r = self.call("POST", base, body={"title": "x", field: raw})
                    body = self.assertError(r, 422, fields=[field])
                    self.assertIn("2026-12-01", body["errors"][0]["message"])
                    r = self.call("PATCH", "%s/%s" % (base, task["id"]), body={field: raw})
                    self.assertError(r, 422, fields=[field])
        r = self.call("POST", "/api/tasks", body={"title": "x", "due_at": "2026-02-30"})
        self.assertIn("day does not exist", r.json["errors"][0]["message"])
        self.assertEqual(self.stored(task["id"]), task)
        self.assertEqual(self.count_rows("user_id = %s" % sql_literal(self.sub)), 1)


class StatusAliases(DialectCase):
    def test_active_and_done_on_every_list_route(self):
        done = [self.create(title="done%d" % i, completed=True) for i in range(2)]
        pending = [self.create(title="open%d" % i) for i in range(3)]
        for base in self.all_bases():
            for value, expected in (("active", pending), ("pending", pending),
                                    ("done", done), ("completed", done),
                                    ("all", pending + done)):
                r = self.call("GET", base + "?status=" + value)
                items = self.data(r)
                self.assertEqual(sorted(t["id"] for t in items),
                                 sorted(t["id"] for t in expected), (base, value))
            for query in ("status=active&completed=true", "status=done&completed=false"):
                self.assertError(self.call("GET", base + "?" + query), 400, fields=["status"])
            for query in ("status=Active", "status=finished"):
                body = self.assertError(self.call("GET", base + "?" + query), 400,
                                        fields=["status"])
                self.assertIn("pending (or active)", body["errors"][0]["message"])
            r = self.call("GET", base + "?status=done&completed=true")
            self.assertEqual(len(self.data(r)), 2)


class Toggle(DialectCase):
    def test_toggle_is_complete_on_every_prefix_form(self):
        for base in self.all_bases():
            task = self.create()
            url = "%s/%s/toggle" % (base, task["id"])
            on = self.assertTask(self.data(self.call("PATCH", url)))
            self.assertEqual((on["completed"], on["version"]), (True, 2))
            self.assertIsNotNone(on["completed_at"])
            off = self.data(self.call("PATCH", url, body=b"",
                                      headers={"Content-Length": "0"}))
            self.assertEqual((off["completed"], off["completed_at"], off["version"]),
                             (False, None, 3))
            kept = self.data(self.call("PATCH", url, body={"completed": False}))
            self.assertEqual((kept["completed"], kept["version"]), (False, 4))
            r = self.call("PATCH", url, body=b'{"completed":true}',
                          headers={"Content-Type": "application/merge-patch+json"})
            self.assertEqual(self.data(r)["completed"], True)
            self.assertEqual(self.stored(task["id"])["version"], 5)

    def test_toggle_answers_like_complete(self):
        task = self.create()
        for base in (STRICT_BASES[0], self.compat_bases()[0]):
            for suffix in ("complete", "toggle"):
                url = "%s/%s/%s" % (base, task["id"], suffix)
                r = self.call("GET", url)
                self.assertError(r, 405)
                self.assertEqual(r.headers.get("Allow"), "PATCH, OPTIONS")
                self.assertError(self.call("PATCH", url, headers={"If-Match": '"9"'}), 412)
                self.assertError(self.call("PATCH", "%s/%s/%s" % (base, MISSING_ID, suffix)),
                                 404)
                self.assertError(self.call("PATCH", url, body={"completed": "yes"}), 422,
                                 fields=["completed"])
                self.assertError(self.call("PATCH", url, token=False), 401)
        self.assertEqual(self.stored(task["id"]), task)
        other = self.compat_bases()[0].replace(quote(self.sub), quote(self.sub + "-x"))
        self.assertError(self.call("PATCH", "%s/%s/toggle" % (other, task["id"])), 403)
        for path in ("/api/tasks/%s/Toggle" % task["id"], "/api/tasks/%s/toggle/x" % task["id"]):
            self.assertError(self.call("PATCH", path), 404)


if __name__ == "__main__":
    unittest.main()
