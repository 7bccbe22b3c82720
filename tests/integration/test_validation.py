"""Every input rule of API.md §1 and §3 through nginx over TLS: content type (415),
size (413), JSON syntax and UTF-8 (400), field rules (422, `errors` naming every
failing field), and the order in which the checks answer.

The pool runs with MAX_BODY_BYTES=16384, below nginx's 64 KiB, so the worker's
own 413 is what answers.
"""

import unittest

import harness
from harness.taskapi import ApiTestCase, MISSING_ID, dumps

MAX_BODY = 16384
setUpModule, tearDownModule = harness.module_fixtures(
    workers=2, env={"MAX_BODY_BYTES": str(MAX_BODY)})

READ_ONLY = ["id", "user_id", "created_at", "updated_at", "completed_at", "version"]


class ValidationCase(ApiTestCase):
    def post(self, body, headers=None, path="/api/tasks"):
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        if not isinstance(body, bytes):
            body = dumps(body)
        return self.call("POST", path, body=body, headers=hdrs)

    def accepted(self, body):
        r = self.post(body)
        self.assertEqual(r.status, 201, (body, r))
        return self.assertTask(r.json["data"])

    def rejected(self, body, fields, status=422):
        r = self.post(body)
        self.assertError(r, status, fields=fields)
        return r.json

    def assertNoTasks(self):
        self.assertEqual(self.count_rows("user_id = '%s'" % self.sub), 0)


class ContentType(ValidationCase):
    def test_missing_or_other_content_type_is_415(self):
        for headers in ({}, {"Content-Type": "text/plain"},
                        {"Content-Type": "application/x-www-form-urlencoded"},
                        {"Content-Type": "application/jsonp"},
                        {"Content-Type": "application/json; charset=latin1"},
                        {"Content-Type": "application/merge-patch+json"}):
            r = self.call("POST", "/api/tasks", body=b'{"title":"x"}', headers=headers)
            body = self.assertError(r, 415)
            self.assertEqual(body["code"], "unsupported_media_type")
        self.assertNoTasks()

    def test_json_with_parameters_and_any_case_is_accepted(self):
        for ctype in ("application/json; charset=utf-8", "Application/JSON",
                      "application/json;charset=UTF-8", "application/json; charset=\"utf-8\""):
            r = self.call("POST", "/api/tasks", body=b'{"title":"x"}',
                          headers={"Content-Type": ctype})
            self.assertEqual(r.status, 201, (ctype, r))

    def test_merge_patch_only_on_patch(self):
        task = self.create()
        url = "/api/tasks/" + task["id"]
        mp = {"Content-Type": "application/merge-patch+json"}
        self.assertError(self.call("PUT", url, body=b'{"title":"x"}', headers=mp), 415)
        self.assertError(self.call("PATCH", url, body=b'{"title":"x"}',
                                   headers={"Content-Type": "text/plain"}), 415)
        self.assertError(self.call("PATCH", url, body=b'{"title":"x"}', headers={}), 415)
        r = self.call("PATCH", url, body=b'{"title":"x"}', headers=mp)
        self.assertEqual(r.status, 200, r)
        r = self.call("PATCH", url + "/complete", body=b'{"completed":true}', headers=mp)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.fetch(task["id"])["version"], 3)

    def test_put_without_body_is_415_then_400(self):
        task = self.create()
        url = "/api/tasks/" + task["id"]
        self.assertError(self.call("PUT", url, headers={}), 415)
        self.assertError(self.call("PUT", url, body=b"",
                                   headers={"Content-Type": "application/json"}), 400)
        self.assertError(self.call("POST", "/api/tasks", body=b"",
                                   headers={"Content-Type": "application/json"}), 400)


class Size(ValidationCase):
    def test_body_over_max_body_bytes_is_413(self):
        body = dumps({"title": "x", "description": "d" * MAX_BODY})
        r = self.post(body)
        detail = self.assertError(r, 413)["detail"]
        self.assertIn(str(MAX_BODY), detail)  # the worker answered, naming its limit
        self.assertNoTasks()

    def test_body_of_exactly_max_body_bytes_is_read(self):
        # Exactly MAX_BODY bytes: not too large; the description rule answers (422).
        head, tail = b'{"title":"x","description":"', b'"}'
        body = head + b"d" * (MAX_BODY - len(head) - len(tail)) + tail
        self.assertEqual(len(body), MAX_BODY)
        self.assertError(self.post(body), 422, fields=["description"])
        # One more byte is 413.
        self.assertError(self.post(body[:-2] + b'd"}'), 413)

    def test_413_on_put_patch_and_complete(self):
        task = self.create()
        url = "/api/tasks/" + task["id"]
        big = dumps({"title": "x" * (MAX_BODY + 1)})
        for method, u in (("PUT", url), ("PATCH", url), ("PATCH", url + "/complete")):
            r = self.call(method, u, body=big, headers={"Content-Type": "application/json"})
            self.assertError(r, 413)
        self.assertEqual(self.fetch(task["id"]), task)


class Syntax(ValidationCase):
    def test_invalid_json_is_400(self):
        for body in (b'{"title":', b'{"title":"x",}', b"{'title':'x'}", b'{"title":"x"}x',
                     b'{"title":"x"}{}', b'{"title":01}', b'{"title":"\\x"}', b"{title:1}",
                     b'{"title":"a\nb"}', b'{"title":"x"} \x0c',
                     b'{"title":NaN}', b'{"a":[' * 2000):
            r = self.post(body)
            self.assertError(r, 400)
            self.assertEqual(r.json["code"], "bad_request")
        self.assertNoTasks()

    def test_top_level_not_an_object_is_400(self):
        for body in (b"null", b"[]", b'[{"title":"x"}]', b'"x"', b"1", b"true", b" null "):
            self.assertError(self.post(body), 400)
        self.assertNoTasks()

    def test_invalid_utf8_anywhere_is_400(self):
        for body in (b'{"title":"\xff"}', b'{"title":"caf\xe9"}', b'{"title":"\xc0\xaf"}',
                     b'{"title":"\xed\xa0\x80"}', b'{"title":"x","\xfe":1}',
                     b'{"title":"\xf4\x90\x80\x80"}', b'{"title":"x"}\x80',
                     b'{"title":"\xe2\x82"}'):
            r = self.post(body)
            self.assertError(r, 400)
        self.assertNoTasks()

    def test_escaped_lone_surrogate_is_rejected(self):
        r = self.post(b'{"title":"a\\ud800b"}')
        self.assertIn(r.status, (400, 422), r)
        self.assertError(r, r.status, fields=["title"] if r.status == 422 else None)
        self.assertNoTasks()

    def test_escaped_pair_is_one_code_point(self):
        task = self.accepted(b'{"title":"\\ud83d\\ude00 \\u00e9\\/"}')
        self.assertEqual(task["title"], "\U0001F600 \u00e9/")


class Fields(ValidationCase):
    def test_unknown_fields_are_422(self):
        body = self.rejected({"title": "x", "titel": "y", "Title": "z", "done": True},
                             ["titel", "Title", "done"])
        self.assertEqual(body["code"], "validation_failed")
        self.assertNoTasks()

    def test_each_read_only_field_is_422(self):
        values = {"id": MISSING_ID, "user_id": "someone", "created_at": "2026-01-01T00:00:00Z",
                  "updated_at": "2026-01-01T00:00:00Z", "completed_at": None, "version": 1}
        for name in READ_ONLY:
            self.rejected({"title": "x", name: values[name]}, [name])
        task = self.create()
        for name in READ_ONLY:
            for method, url in (("PUT", ""), ("PATCH", ""), ("PATCH", "/complete")):
                r = self.call(method, "/api/tasks/" + task["id"] + url,
                              body={"completed": True, name: values[name]})
                self.assertError(r, 422, fields=[name] + (["title"] if method == "PUT" else []))
        self.assertEqual(self.fetch(task["id"]), task)

    def test_every_failing_field_is_listed(self):
        body = {"title": 5, "description": 7, "completed": "yes", "priority": "urgent",
                "due_at": "tomorrow", "tags": "home", "id": "x", "version": 2, "extra": 1}
        self.rejected(body, list(body))
        self.rejected({"description": None}, ["title"])  # required

    def test_wrong_types(self):
        for field, value in (("title", 1), ("title", True), ("title", ["x"]), ("title", {}),
                             ("description", 1), ("description", False), ("description", []),
                             ("completed", "true"), ("completed", 1), ("completed", 0),
                             ("priority", 1), ("priority", ["low"]), ("due_at", 1700000000),
                             ("due_at", {}), ("tags", "a,b"), ("tags", {"a": 1})):
            body = {"title": "x", field: value}
            self.rejected(body, [field])
        self.rejected({"title": "x", "tags": ["a", 1, None, ["b"]]},
                      ["tags[1]", "tags[2]", "tags[3]"])
        self.assertNoTasks()

    def test_null_only_for_description_and_due_at(self):
        for field in ("title", "completed", "priority", "tags"):
            self.rejected({"title": "x", field: None} if field != "title" else {"title": None},
                          [field])
        task = self.accepted({"title": "x", "description": None, "due_at": None})
        self.assertEqual((task["description"], task["due_at"]), (None, None))

    def test_duplicate_key_is_422(self):
        self.rejected(b'{"title":"a","title":"b"}', ["title"])

    def test_nul_escape_is_rejected_in_every_string(self):
        self.rejected(b'{"title":"ab\\u0000"}', ["title"])
        self.rejected(b'{"title":"\\u0000ab"}', ["title"])
        self.rejected(b'{"title":"x","description":"a\\u0000b"}', ["description"])
        self.rejected(b'{"title":"x","tags":["a\\u0000"]}', ["tags[0]"])
        self.rejected(b'{"title":"x","priority":"low\\u0000"}', ["priority"])
        self.rejected(b'{"title":"x","due_at":"2026-01-01T00:00:00Z\\u0000"}', ["due_at"])
        # A NUL in a key does not shorten it to a known field.
        r = self.post(b'{"title":"x","title\\u0000":"y"}')
        self.assertEqual(r.status, 422, r)
        self.assertNotIn("title", [e["field"] for e in r.json["errors"]])
        self.assertNoTasks()


class Title(ValidationCase):
    def test_exactly_200_code_points_accepted_201_rejected(self):
        for char in ("a", "\u00e9", "\u20ac", "\U0001F600"):
            self.assertEqual(self.accepted({"title": char * 200})["title"], char * 200)
            body = self.rejected({"title": char * 201}, ["title"])
            self.assertIn("200", body["errors"][0]["message"])

    def test_combining_characters_count_as_code_points(self):
        title = "e\u0301" * 100  # 200 code points, 100 graphemes
        self.assertEqual(self.accepted({"title": title})["title"], title)
        self.rejected({"title": title + "e"}, ["title"])

    def test_trimmed_with_unicode_white_space(self):
        cases = {"  Buy milk  ": "Buy milk", "\tx\n": "x", "\u00a0x\u3000": "x",
                 "\u2003x\u2028\u2029": "x", "\u0085x\u0085": "x", "a  b": "a  b",
                 "\ufeffx": "\ufeffx"}  # U+FEFF is not White_Space: kept
        for raw, stored in cases.items():
            self.assertEqual(self.accepted({"title": raw})["title"], stored, raw)

    def test_length_counts_after_trimming(self):
        self.accepted({"title": "   " + "a" * 200 + "\u3000\u3000"})

    def test_empty_or_blank_title_is_422(self):
        for title in ("", " ", "\t\n", "\u3000\u00a0"):
            self.rejected({"title": title}, ["title"])
        self.assertNoTasks()

    def test_control_characters_are_422(self):
        for title in ("a\u0007b", "a\u007fb", "a\u0080b", "a\u009fb", "a\u001bb", "a\nb",
                      "a\tb", "a\rb", "a\u0085b"):
            self.rejected({"title": title}, ["title"])
        self.assertNoTasks()

    def test_non_control_format_characters_are_kept(self):
        title = "a\u200bb\u200dc\u00adD\U0001F468\u200d\U0001F469"
        self.assertEqual(self.accepted({"title": title})["title"], title)


class Description(ValidationCase):
    def test_2000_accepted_2001_rejected(self):
        for char in ("d", "\u00e9", "\U0001F600"):
            self.assertEqual(self.accepted({"title": "x", "description": char * 2000})[
                "description"], char * 2000)
            self.rejected({"title": "x", "description": char * 2001}, ["description"])

    def test_newline_cr_tab_allowed_and_kept_verbatim(self):
        text = "  line 1\r\n\tline 2\n  "
        self.assertEqual(self.accepted({"title": "x", "description": text})["description"],
                         text)
        self.assertEqual(self.accepted({"title": "x", "description": ""})["description"], "")

    def test_other_control_characters_rejected(self):
        for text in ("a\u0001", "a\u000b", "a\u000c", "a\u007f", "a\u0085", "a\u009b"):
            self.rejected({"title": "x", "description": text}, ["description"])
        self.assertNoTasks()


class Tags(ValidationCase):
    def test_trim_and_case_insensitive_dedup_keeps_the_first(self):
        task = self.accepted({"title": "x",
                              "tags": [" Home ", "home", "HOME", "errands", "\u00c9t\u00e9",
                                       "\u00e9T\u00c9", "\u0394", "\u03b4", "\tErrands\n"]})
        self.assertEqual(task["tags"], ["Home", "errands", "\u00c9t\u00e9", "\u0394"])

    def test_tag_length_1_to_50(self):
        for char in ("t", "\u00e9", "\U0001F600"):
            self.assertEqual(self.accepted({"title": "x", "tags": [char * 50]})["tags"],
                             [char * 50])
            self.rejected({"title": "x", "tags": ["ok", char * 51]}, ["tags[1]"])
        self.rejected({"title": "x", "tags": [""]}, ["tags[0]"])
        self.rejected({"title": "x", "tags": ["a", " \u3000 "]}, ["tags[1]"])

    def test_control_characters_rejected(self):
        self.rejected({"title": "x", "tags": ["a\u0001b", "ok", "c\nd"]}, ["tags[0]", "tags[2]"])

    def test_at_most_20_after_collapsing(self):
        twenty = ["t%02d" % i for i in range(20)]
        self.assertEqual(self.accepted({"title": "x", "tags": twenty})["tags"], twenty)
        dupes = twenty + [t.upper() for t in twenty] + [" t00 "]
        self.assertEqual(self.accepted({"title": "x", "tags": dupes})["tags"], twenty)
        body = self.rejected({"title": "x", "tags": twenty + ["t20"]}, ["tags"])
        self.assertIn("20", body["errors"][0]["message"])

    def test_tags_on_patch_and_put_follow_the_same_rules(self):
        task = self.create()
        url = "/api/tasks/" + task["id"]
        r = self.call("PATCH", url, body={"tags": ["B", "b", " c "]})
        self.assertEqual(r.json["data"]["tags"], ["B", "c"])
        r = self.call("PUT", url, body={"title": "x", "tags": ["t%d" % i for i in range(21)]})
        self.assertError(r, 422, fields=["tags"])


class Priority(ValidationCase):
    def test_enum(self):
        for p in ("low", "medium", "high"):
            self.assertEqual(self.accepted({"title": "x", "priority": p})["priority"], p)
        for p in ("urgent", "HIGH", "Low", " low", "", "medium "):
            self.rejected({"title": "x", "priority": p}, ["priority"])


class DueAt(ValidationCase):
    def test_offsets_are_stored_and_returned_in_utc(self):
        cases = {"2026-12-01T09:00:00Z": "2026-12-01T09:00:00.000Z",
                 "2026-12-01T09:00:00z": "2026-12-01T09:00:00.000Z",
                 "2026-12-01t09:00:00.1Z": "2026-12-01T09:00:00.100Z",
                 "2026-12-01T10:00:00+01:00": "2026-12-01T09:00:00.000Z",
                 "2026-12-01T03:30:00.123-05:30": "2026-12-01T09:00:00.123Z",
                 "2027-01-01T00:30:00.999+00:45": "2026-12-31T23:45:00.999Z",
                 "2026-12-01T09:00:00.123456789Z": "2026-12-01T09:00:00.123Z",
                 "2026-12-01T09:00:00-00:00": "2026-12-01T09:00:00.000Z",
                 "2028-02-29T23:59:59+14:00": "2028-02-29T09:59:59.000Z"}
        for raw, stored in cases.items():
            task = self.accepted({"title": "x", "due_at": raw})
            self.assertEqual(task["due_at"], stored, raw)
            self.assertEqual(self.fetch(task["id"])["due_at"], stored)

    def test_not_rfc3339_is_422(self):
        # A date alone is accepted (test_fastapi_dialect.py), but only a real one.
        for raw in ("2026-02-30", "2026-12-1", "2026-12-01T", "2026-12-01T09:00:00",
                    "2026-12-01 09:00:00Z",
                    "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2027-02-29T00:00:00Z",
                    "2026-12-01T24:00:00Z", "2026-12-01T09:60:00Z", "2026-12-01T09:00Z",
                    "26-12-01T09:00:00Z", "2026-12-01T09:00:00+0100", "2026-12-01T09:00:00+25:00",
                    "2026-12-01T09:00:00.Z", "tomorrow", "", " 2026-12-01T09:00:00Z",
                    "2026-12-01T09:00:00Z ", "+2026-12-01T09:00:00Z"):
            self.rejected({"title": "x", "due_at": raw}, ["due_at"])
        self.assertNoTasks()

    def test_range_and_precision(self):
        # Sub-millisecond digits are cut, never rounded into the next second/year.
        cases = {"9999-12-31T23:59:59.999Z": "9999-12-31T23:59:59.999Z",
                 "9999-12-31T23:59:59.9999Z": "9999-12-31T23:59:59.999Z",
                 "0001-01-01T00:00:00Z": "0001-01-01T00:00:00.000Z",
                 "1969-12-31T23:59:59.9995Z": "1969-12-31T23:59:59.999Z"}
        for raw, stored in cases.items():
            self.assertEqual(self.accepted({"title": "x", "due_at": raw})["due_at"], stored)
        # Outside 0001..9999 once in UTC: the output could not be RFC 3339.
        for raw in ("9999-12-31T23:59:59.999-23:59", "0000-01-01T00:00:00Z",
                    "0001-01-01T00:00:00+23:59", "10000-01-01T00:00:00Z"):
            self.rejected({"title": "x", "due_at": raw}, ["due_at"])

    def test_patch_due_at_with_offset(self):
        task = self.create()
        r = self.call("PATCH", "/api/tasks/" + task["id"],
                      body={"due_at": "2030-06-01T12:00:00+02:00"})
        self.assertEqual(r.json["data"]["due_at"], "2030-06-01T10:00:00.000Z")


class Order(ValidationCase):
    """API.md §1: route 404 -> 405 -> 401 -> 403 -> 415 -> 413 -> 400 -> 422 -> 404/412."""

    def test_unknown_route_before_method_and_auth(self):
        self.assertError(self.call("DELETE", "/api/nope", token=False), 404)
        self.assertError(self.call("POST", "/api/tasks/x/y/z", token=False), 404)

    def test_method_before_auth(self):
        r = self.call("DELETE", "/api/me", token=False)
        self.assertError(r, 405)
        self.assertIn("GET", r.headers.get("Allow", ""))
        r = self.call("POST", "/api/tasks/" + MISSING_ID, body=b"x", token=False,
                      headers={"Content-Type": "text/plain"})
        self.assertError(r, 405)
        self.assertEqual([m.strip() for m in r.headers["Allow"].split(",")],
                         ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
        r = self.call("GET", "/api/tasks/%s/complete" % MISSING_ID, token=False)
        self.assertError(r, 405)
        self.assertEqual(r.headers.get("Allow"), "PATCH, OPTIONS")

    def test_auth_before_content_type_size_and_syntax(self):
        for body, ctype in ((b'{"title":"x"}', "text/plain"),
                            (b"x" * (MAX_BODY + 10), "application/json"),
                            (b"{", "application/json")):
            r = self.call("POST", "/api/tasks", body=body, token=False,
                          headers={"Content-Type": ctype})
            self.assertError(r, 401)
            self.assertEqual(r.headers.get("WWW-Authenticate"), "Bearer")
        r = self.call("POST", "/api/tasks", body=b"{", token="not.a.token",
                      headers={"Content-Type": "text/plain"})
        self.assertError(r, 401)
        self.assertEqual(r.headers.get("WWW-Authenticate"), 'Bearer error="invalid_token"')
        self.assertNoTasks()

    def test_content_type_before_size(self):
        r = self.post(b"x" * (MAX_BODY + 10), headers={"Content-Type": "text/plain"})
        self.assertError(r, 415)

    def test_size_before_syntax(self):
        self.assertError(self.post(b"{" * (MAX_BODY + 10)), 413)
        self.assertError(self.post(b"\xff" * (MAX_BODY + 10)), 413)

    def test_syntax_before_fields(self):
        self.assertError(self.post(b'{"titel":1,'), 400)
        self.assertError(self.post(b'{"titel":"\xff"}'), 400)

    def test_fields_before_the_task_404_and_412(self):
        task = self.create()
        for task_id in ("not-a-uuid", MISSING_ID, "%27%20OR%201%3D1--"):
            url = "/api/tasks/" + task_id
            self.assertError(self.call("PUT", url, body={"titel": "x"}), 422,
                             fields=["titel", "title"])
            self.assertError(self.call("PATCH", url, body={"version": 3}), 422,
                             fields=["version"])
            self.assertError(self.call("PATCH", url + "/complete", body={"completed": 1}), 422,
                             fields=["completed"])
            self.assertError(self.call("PATCH", url, body=b"[]",
                                       headers={"Content-Type": "application/json"}), 400)
            self.assertError(self.call("PATCH", url, body={"title": "ok"}), 404)
        url = "/api/tasks/" + task["id"]
        r = self.call("PATCH", url, body={"title": None}, headers={"If-Match": '"9"'})
        self.assertError(r, 422, fields=["title"])
        r = self.call("PATCH", url, body={"title": "y"}, headers={"If-Match": '"9"'})
        self.assertError(r, 412)
        self.assertEqual(self.fetch(task["id"]), task)

    def test_bulk_delete_query_400_before_422(self):
        self.assertError(self.call("DELETE", "/api/tasks?completed=false&x=1"), 400)
        self.assertError(self.call("DELETE", "/api/tasks?x=1", token=False), 401)


class Wire(ValidationCase):
    """Bodies nginx receives chunked (no Content-Length) reach the same rules."""

    def chunked_post(self, body, chunk=7):
        head = ("POST /api/tasks HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                "Connection: close\r\n\r\n" % self.token()).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + chunk]), body[i:i + chunk])
                          for i in range(0, len(body), chunk))
        raw = self.stack.raw(head + chunks + b"0\r\n\r\n")
        status = int(raw.split(b" ", 2)[1])
        return status, raw.split(b"\r\n\r\n", 1)[1]

    def test_chunked_body(self):
        status, body = self.chunked_post(dumps({"title": "chunked \u00e9", "tags": ["a"]}))
        self.assertEqual(status, 201, body)
        self.assertIn("chunked \u00e9", body.decode())
        status, body = self.chunked_post(b'{"title":"x","foo":1}')
        self.assertEqual(status, 422, body)
        status, body = self.chunked_post(dumps({"title": "x" * (MAX_BODY + 1)}), chunk=4096)
        self.assertEqual(status, 413, body)
        self.assertEqual(self.count_rows("user_id = '%s'" % self.sub), 1)


class NeverA500(ValidationCase):
    def test_odd_bodies_get_a_4xx_with_the_error_body(self):
        bodies = [b'{"title":"x","tags":[' + b'"t",' * 5000 + b'"t"]}',
                  b'{"title":"x","tags":[' + b'1,' * 3000 + b'1]}',
                  b'{"title":' + b'[' * 500 + b']' * 500 + b'}',
                  b'{"title":1e999}', b'{"title":"x","completed":1e400}',
                  b'{"":1}', b'{"title":"x","tags":[""]}' ]
        for body in bodies:
            r = self.post(body)
            self.assertTrue(r.status in (201, 400, 413, 422), (body[:80], r))
            if r.status != 201:
                self.assertError(r, r.status, fields=None if r.status != 422 else
                                 [e["field"] for e in r.json["errors"]])


if __name__ == "__main__":
    unittest.main()
