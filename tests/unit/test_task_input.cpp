#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "http/status_http.h"
#include "tasks/task_input.h"
#include "test_util.h"

using namespace std::string_literals;

namespace {

std::string title_body(const std::string& raw_json_title) {
  return "{\"title\":\"" + raw_json_title + "\"}";
}

std::map<std::string, std::string> errors_of(const Status& r) {
  std::map<std::string, std::string> out;
  for (const FieldError& e : r.errors()) out[e.field] = e.message;
  return out;
}

const char* mode_name(BodyMode m) {
  return m == BodyMode::create ? "create" : m == BodyMode::replace ? "replace" : "patch";
}

}  // namespace

TEST(TaskBody, BadRequestCases) {
  struct Case {
    std::string body;
    const char* what;
  };
  const Case cases[] = {
      {"", "empty body"},
      {"   ", "whitespace only"},
      {"null", "JSON null"},
      {"[]", "array"},
      {"[{\"title\":\"x\"}]", "array of objects"},
      {"\"title\"", "string"},
      {"42", "number"},
      {"true", "boolean"},
      {"{", "unterminated object"},
      {"{\"title\":\"x\"", "missing brace"},
      {"{\"title\":\"x}", "unterminated string"},
      {"{\"title\":\"x\"} x", "trailing garbage"},
      {"{\"title\":\"x\"}{}", "two objects"},
      {"{\"title\":\"x\"}\0"s, "trailing NUL byte"},
      {"{\"title\":\"x\"}\0{}"s, "bytes after a NUL"},
      {"{\"title\":\"x\",}", "trailing comma"},
      {"{'title':'x'}", "single quotes"},
      {"{title:\"x\"}", "bare key"},
      {"{\"title\":\"a\tb\"}", "raw tab inside a string"},
      {"{\"title\":\"a\nb\"}", "raw newline inside a string"},
      {"{\"title\":\"a\x01"
       "b\"}",
       "raw U+0001 inside a string"},
      {"{\"title\":\"\\x41\"}", "invalid escape"},
      {"{\"title\":\"\\u12\"}", "short \\u escape"},
      {"{\"title\":\"\\ud800\"}", "lone high surrogate escape"},
      {"{\"title\":\"\\udc00\"}", "lone low surrogate escape"},
      {"{\"title\":\"\\ud800\\u0041\"}", "high surrogate then non-surrogate"},
      {"\x0B{\"title\":\"x\"}", "vertical tab as whitespace"},
      {"{\"completed\":01}", "leading zero"},
      {"{\"completed\":1.}", "number ending in a dot"},
      {"{\"completed\":.5}", "number starting with a dot"},
      {"{\"completed\":+1}", "plus sign"},
      {"{\"completed\":1e}", "empty exponent"},
      {"{\"completed\":NaN}", "NaN"},
      {"{\"completed\":True}", "capitalized literal"},
      {"{\"title\":\"\xC3\xA9\xFF\"}", "0xFF byte"},
      {"{\"title\":\"\xC0\xAF\"}", "overlong"},
      {"{\"title\":\"\xED\xA0\x80\"}", "encoded surrogate"},
      {"{\"title\":\"\xE2\x82\"}", "truncated sequence"},
      {"{\"title\":\"x\"}\xFF", "invalid UTF-8 after the object"},
      {repeat("[", 2000) + repeat("]", 2000), "deep nesting"},
      {"{\"a\":" + repeat("[", 5000) + repeat("]", 5000) + "}", "deep nesting in a member"},
  };
  for (BodyMode mode : {BodyMode::create, BodyMode::replace, BodyMode::patch}) {
    for (const Case& c : cases) {
      TaskInput in;
      Status r = parse_task_body(c.body, mode, in);
      EXPECT_EQ(http_status(r), 400) << c.what << " / " << mode_name(mode);
      EXPECT_FALSE(r.message().empty()) << c.what;
      EXPECT_TRUE(r.errors().empty()) << c.what;
    }
  }
}

TEST(TaskBody, BadRequestDetails) {
  TaskInput in;
  EXPECT_EQ(parse_task_body("{\"title\":\"\xFF\"}", BodyMode::create, in).message(),
            "The request body is not valid UTF-8.");
  EXPECT_EQ(parse_task_body("[]", BodyMode::create, in).message(),
            "The request body must be a JSON object.");
  EXPECT_EQ(parse_task_body("{", BodyMode::create, in).message(),
            "The request body is not valid JSON.");
}

TEST(TaskBody, CreateFillsDefaults) {
  for (BodyMode mode : {BodyMode::create, BodyMode::replace}) {
    TaskInput in;
    Status r = parse_task_body("{\"title\":\"Buy milk\"}", mode, in);
    ASSERT_EQ(http_status(r), 200) << mode_name(mode);
    EXPECT_EQ(in.title.value, "Buy milk");
    ASSERT_TRUE(in.description.present);
    EXPECT_FALSE(in.description.value.has_value());
    ASSERT_TRUE(in.completed.present);
    EXPECT_EQ(in.completed.value, false);
    ASSERT_TRUE(in.priority.present);
    EXPECT_EQ(in.priority.value, "medium");
    ASSERT_TRUE(in.due_at.present);
    EXPECT_FALSE(in.due_at.value.has_value());
    ASSERT_TRUE(in.tags.present);
    ASSERT_TRUE(in.tags.value.has_value());
    EXPECT_TRUE(in.tags.value->empty());
  }
}

TEST(TaskBody, FullBodyIsParsed) {
  TaskInput in;
  Status r = parse_task_body(
      R"({"title":"  Buy milk ","description":"2 litres\n\tfull fat\r\n","completed":true,
          "priority":"high","due_at":"2026-12-01T09:00:00+02:00","tags":[" home ","errands"]})",
      BodyMode::create, in);
  ASSERT_EQ(http_status(r), 200) << r.message();
  EXPECT_EQ(in.title.value, "Buy milk");
  EXPECT_EQ(in.description.value, "2 litres\n\tfull fat\r\n");  // not trimmed
  EXPECT_EQ(in.completed.value, true);
  EXPECT_EQ(in.priority.value, "high");
  EXPECT_EQ(in.due_at.value, "2026-12-01T07:00:00Z");
  EXPECT_EQ(in.tags.value, (std::vector<std::string>{"home", "errands"}));
}

TEST(TaskBody, TitleLengthInCodePoints) {
  struct Case {
    std::string title;  // raw UTF-8, no JSON escapes needed
    bool ok;
    const char* what;
  };
  const Case cases[] = {
      {"x", true, "one character"},
      {repeat("a", 200), true, "200 ASCII"},
      {repeat("a", 201), false, "201 ASCII"},
      {repeat("\xC3\xA9", 200), true, "200 x e-acute (400 bytes)"},
      {repeat("\xC3\xA9", 201), false, "201 x e-acute"},
      {repeat("\xF0\x9F\x98\x80", 200), true, "200 x emoji (800 bytes)"},
      {repeat("\xF0\x9F\x98\x80", 201), false, "201 x emoji"},
      {"  " + repeat("a", 200) + "  ", true, "200 after trimming spaces"},
      {"\xE3\x80\x80" + repeat("\xE4\xB8\x80", 200) + "\xE3\x80\x80", true, "U+3000 trimmed"},
      {"\xC2\xA0"
       "Buy\xC2\xA0",
       true, "U+00A0 trimmed"},
      {"", false, "empty"},
      {"   ", false, "spaces only"},
      {"\xE3\x80\x80\xC2\xA0\xE2\x80\x80", false, "Unicode spaces only"},
      {"\xE2\x80\x8B", true, "U+200B is not White_Space"},
  };
  for (const Case& c : cases) {
    TaskInput in;
    Status r = parse_task_body(title_body(c.title), BodyMode::create, in);
    EXPECT_EQ(http_status(r), c.ok ? 200 : 422) << c.what;
    if (!c.ok) {
      ASSERT_EQ(r.errors().size(), 1u) << c.what;
      EXPECT_EQ(r.errors()[0].field, "title") << c.what;
    }
  }
  TaskInput in;
  parse_task_body(title_body("\xE3\x80\x80"
                             "Buy milk\xC2\xA0"),
                  BodyMode::create, in);
  EXPECT_EQ(in.title.value, "Buy milk");
  Status r = parse_task_body(title_body(repeat("\xC3\xA9", 201)), BodyMode::create, in);
  EXPECT_EQ(errors_of(r)["title"], "must be at most 200 characters (got 201)");
}

TEST(TaskBody, ControlCharactersAndNul) {
  struct Case {
    std::string body;
    const char* field;
    const char* what;
  };
  const Case cases[] = {
      {R"({"title":"a\u0000b"})", "title", "escaped NUL in title"},
      {R"({"title":"\u0000"})", "title", "title is only NUL"},
      {R"({"title":"Buy\u0000"})", "title", "NUL at the end (would truncate silently)"},
      {R"({"title":"x","description":"a\u0000b"})", "description", "NUL in description"},
      {R"({"title":"x","tags":["ok","a\u0000"]})", "tags[1]", "NUL in a tag"},
      {R"({"title":"x","priority":"low\u0000"})", "priority", "NUL after a valid enum"},
      {R"({"title":"x","due_at":"2026-12-01T09:00:00Z\u0000"})", "due_at", "NUL after a date"},
      {R"({"title\u0000":"x"})", "title\x01", "NUL in a key is not the title key"},
      {R"({"title":"a\u0007b"})", "title", "BEL"},
      {R"({"title":"a\u001bb"})", "title", "ESC"},
      {R"({"title":"a\u007fb"})", "title", "DEL"},
      {R"({"title":"a\u0085b"})", "title", "NEL inside (C1)"},
      {R"({"title":"a\u009fb"})", "title", "U+009F"},
      {R"({"title":"a\nb"})", "title", "escaped newline inside the title"},
      {R"({"title":"a\tb"})", "title", "escaped tab inside the title"},
      {R"({"title":"x","description":"a\u000bb"})", "description", "VT in description"},
      {R"({"title":"x","description":"a\u0085b"})", "description", "C1 in description"},
      {R"({"title":"x","tags":["a\tb"]})", "tags[0]", "tab inside a tag"},
  };
  for (const Case& c : cases) {
    TaskInput in;
    Status r = parse_task_body(c.body, BodyMode::create, in);
    EXPECT_EQ(http_status(r), 422) << c.what;
    auto errors = errors_of(r);
    EXPECT_EQ(errors.count(c.field), 1u) << c.what;
  }
  // Escaped backslash before "u0000" is literal text, not a NUL escape.
  TaskInput in;
  ASSERT_EQ(http_status(parse_task_body(R"({"title":"C:\\u0000"})", BodyMode::create, in)), 200);
  EXPECT_EQ(in.title.value, "C:\\u0000");
  // Trailing whitespace controls are trimmed before the control check.
  ASSERT_EQ(http_status(parse_task_body(R"({"title":"\tBuy milk\n\u0085"})", BodyMode::create, in)),
            200);
  EXPECT_EQ(in.title.value, "Buy milk");
}

TEST(TaskBody, FieldErrorsInEveryMode) {
  struct Case {
    std::string member;  // one JSON member added next to a valid title
    const char* field;
    const char* message;
  };
  const Case cases[] = {
      {R"("id":"0b6f1c9e-3b8a-4a51-9f3e-2b1a7c0d9e11")", "id", "read-only field"},
      {R"("user_id":"u1")", "user_id", "read-only field"},
      {R"("created_at":"2026-11-22T10:00:00Z")", "created_at", "read-only field"},
      {R"("updated_at":null)", "updated_at", "read-only field"},
      {R"("completed_at":null)", "completed_at", "read-only field"},
      {R"("version":1)", "version", "read-only field"},
      {R"("titel":"typo")", "titel", "unknown field"},
      {R"("Title":"x")", "Title", "unknown field"},
      {R"("dueDate":"2026-12-01T09:00:00Z")", "dueDate", "unknown field"},
      {R"("isCompleted":true)", "isCompleted", "unknown field"},
      {R"("due_date":"2026-02-30")", "due_date", nullptr},
      {R"("due_date":"")", "due_date", nullptr},
      {R"("due_date":5)", "due_date", nullptr},
      {R"("is_completed":null)", "is_completed", "must not be null"},
      {R"("is_completed":"yes")", "is_completed", "must be a boolean (true or false)"},
      {R"("is_completed":true,"is_completed":true)", "is_completed", "duplicate field"},
      {R"("completed":true,"is_completed":false)", "is_completed", nullptr},
      {R"("due_at":null,"due_date":"2026-12-01")", "due_date", nullptr},
      {R"("":1)", "", "unknown field"},
      {R"("description":5)", "description", "must be a string or null"},
      {R"("description":[])", "description", "must be a string or null"},
      {R"("completed":null)", "completed", "must not be null"},
      {R"("completed":"true")", "completed", "must be a boolean (true or false)"},
      {R"("completed":1)", "completed", "must be a boolean (true or false)"},
      {R"("priority":null)", "priority", "must not be null"},
      {R"("priority":"High")", "priority", "must be one of \"low\", \"medium\" or \"high\""},
      {R"("priority":"urgent")", "priority", "must be one of \"low\", \"medium\" or \"high\""},
      {R"("priority":2)", "priority", "must be one of \"low\", \"medium\" or \"high\""},
      {R"("due_at":"tomorrow")", "due_at", nullptr},
      {R"("due_at":"2026-02-30T09:00:00Z")", "due_at", nullptr},
      {R"("due_at":"2026-13-01T09:00:00Z")", "due_at", nullptr},
      {R"("due_at":1764579600)", "due_at", nullptr},
      {R"("tags":null)", "tags", "must not be null (use [] for no tags)"},
      {R"("tags":"home")", "tags", "must be an array of strings"},
      {R"("tags":{"a":1})", "tags", "must be an array of strings"},
      {R"("tags":["ok",1])", "tags[1]", "must be a string"},
      {R"("tags":["ok",null])", "tags[1]", "must be a string"},
      {R"("tags":["ok",["x"]])", "tags[1]", "must be a string"},
      {R"("tags":["ok","  "])", "tags[1]", "must not be empty"},
      {R"("tags":[""])", "tags[0]", "must not be empty"},
      {"\"tags\":[\"" + repeat("x", 51) + "\"]", "tags[0]",
       "must be at most 50 characters (got 51)"},
      {"\"description\":\"" + repeat("\xC3\xA9", 2001) + "\"", "description",
       "must be at most 2000 characters (got 2001)"},
      {R"("title":"dup")", "title", "duplicate field"},
  };
  for (BodyMode mode : {BodyMode::create, BodyMode::replace, BodyMode::patch}) {
    for (const Case& c : cases) {
      std::string body = "{\"title\":\"ok\"," + c.member + "}";
      TaskInput in;
      Status r = parse_task_body(body, mode, in);
      ASSERT_EQ(http_status(r), 422) << body << " / " << mode_name(mode);
      ASSERT_EQ(r.errors().size(), 1u) << body;
      EXPECT_EQ(r.errors()[0].field, c.field) << body;
      if (c.message != nullptr) {
        EXPECT_EQ(r.errors()[0].message, c.message) << body;
      }
      EXPECT_FALSE(r.message().empty());
    }
  }
}

TEST(TaskBody, BoundaryLengthsAccepted) {
  std::string body = "{\"title\":\"ok\",\"description\":\"" + repeat("\xF0\x9F\x98\x80", 2000) +
                     "\",\"tags\":[\"" + repeat("\xC3\xA9", 50) + "\"]}";
  TaskInput in;
  ASSERT_EQ(http_status(parse_task_body(body, BodyMode::create, in)), 200);
  EXPECT_EQ(in.tags.value->at(0).size(), 100u);
}

TEST(TaskBody, EveryFailingFieldIsListed) {
  std::string body = R"({"id":"x","version":2,"title":"   ","description":7,"completed":null,
    "priority":"urgent","due_at":"2026-02-29T00:00:00Z","tags":["a",3,"","ok"],"bogus":true,
    "user_id":"me"})";
  TaskInput in;
  in.title = {true, "unchanged"};
  Status r = parse_task_body(body, BodyMode::create, in);
  ASSERT_EQ(http_status(r), 422);
  auto errors = errors_of(r);
  const char* expected[] = {"id",     "version", "title",   "description", "completed", "priority",
                            "due_at", "tags[1]", "tags[2]", "bogus",       "user_id"};
  EXPECT_EQ(errors.size(), std::size(expected));
  for (const char* field : expected) EXPECT_EQ(errors.count(field), 1u) << field;
  EXPECT_EQ(r.message(), "Validation failed: 11 fields are invalid.");
  EXPECT_EQ(in.title.value, "unchanged");  // output untouched on failure
  // Errors follow the body's order.
  EXPECT_EQ(r.errors().front().field, "id");
  EXPECT_EQ(r.errors().back().field, "user_id");
}

TEST(TaskBody, TitleRequiredOnCreateAndReplaceOnly) {
  for (BodyMode mode : {BodyMode::create, BodyMode::replace}) {
    TaskInput in;
    Status r = parse_task_body("{}", mode, in);
    ASSERT_EQ(http_status(r), 422);
    EXPECT_EQ(errors_of(r)["title"], "is required");
    r = parse_task_body(R"({"description":"x","tags":[1]})", mode, in);
    auto errors = errors_of(r);
    EXPECT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors["title"], "is required");
    EXPECT_EQ(errors.count("tags[0]"), 1u);
  }
  TaskInput in;
  EXPECT_EQ(http_status(parse_task_body("{}", BodyMode::patch, in)), 200);
}

TEST(TaskBody, MergePatchSemantics) {
  TaskInput in;
  ASSERT_EQ(
      http_status(parse_task_body(R"({"description":null,"due_at":null})", BodyMode::patch, in)),
      200);
  EXPECT_FALSE(in.title.present);
  EXPECT_FALSE(in.completed.present);
  EXPECT_FALSE(in.priority.present);
  EXPECT_FALSE(in.tags.present);
  EXPECT_TRUE(in.description.present);
  EXPECT_FALSE(in.description.value.has_value());
  EXPECT_TRUE(in.due_at.present);
  EXPECT_FALSE(in.due_at.value.has_value());

  TaskInput only_tags;
  ASSERT_EQ(http_status(parse_task_body(R"({"tags":[]})", BodyMode::patch, only_tags)), 200);
  EXPECT_TRUE(only_tags.tags.present);
  EXPECT_TRUE(only_tags.tags.value->empty());
  EXPECT_FALSE(only_tags.description.present);

  // Non-nullable fields cannot be cleared with null.
  for (const char* field : {"title", "completed", "priority", "tags"}) {
    std::string body = std::string("{\"") + field + "\":null}";
    TaskInput t;
    Status r = parse_task_body(body, BodyMode::patch, t);
    ASSERT_EQ(http_status(r), 422) << field;
    EXPECT_EQ(errors_of(r).count(field), 1u) << field;
  }
  // Replace: null for a nullable field is the same as omitting it.
  TaskInput rep;
  ASSERT_EQ(
      http_status(parse_task_body(R"({"title":"t","description":null})", BodyMode::replace, rep)),
      200);
  EXPECT_TRUE(rep.description.present);
  EXPECT_FALSE(rep.description.value.has_value());
}

TEST(TaskBody, AliasesSetTheirField) {
  for (BodyMode mode : {BodyMode::create, BodyMode::replace, BodyMode::patch}) {
    TaskInput in;
    Status r =
        parse_task_body(R"({"title":"t","is_completed":true,"due_date":"2026-12-01"})", mode, in);
    ASSERT_EQ(http_status(r), 200) << r.message() << " / " << mode_name(mode);
    EXPECT_EQ(in.completed.value, true);
    EXPECT_EQ(in.due_at.value, "2026-12-01T00:00:00Z");
  }
  // In a merge patch an alias keeps the field's null rule: due_date null clears.
  TaskInput in;
  ASSERT_EQ(http_status(parse_task_body(R"({"due_date":null})", BodyMode::patch, in)), 200);
  EXPECT_TRUE(in.due_at.present);
  EXPECT_FALSE(in.due_at.value.has_value());
  EXPECT_FALSE(in.completed.present);
}

TEST(TaskBody, BothSpellingsMustAgree) {
  struct Case {
    const char* body;
    bool ok;
  };
  const Case cases[] = {
      {R"({"title":"t","completed":true,"is_completed":true})", true},
      {R"({"title":"t","is_completed":false,"completed":false})", true},
      {R"({"title":"t","due_at":"2026-12-01T00:00:00Z","due_date":"2026-12-01"})", true},
      {R"({"title":"t","due_at":"2026-12-01T02:00:00+02:00","due_date":"2026-12-01"})", true},
      {R"({"title":"t","due_at":null,"due_date":null})", true},
      {R"({"title":"t","completed":true,"is_completed":false})", false},
      {R"({"title":"t","due_at":"2026-12-01T09:00:00Z","due_date":"2026-12-01"})", false},
      {R"({"title":"t","due_at":null,"due_date":"2026-12-01"})", false},
      {R"({"title":"t","due_date":"2026-12-02","due_at":"2026-12-01"})", false},
  };
  for (BodyDialect dialect : {BodyDialect::strict, BodyDialect::fastapi}) {
    for (const Case& c : cases) {
      TaskInput in;
      Status r = parse_task_body(c.body, BodyMode::create, in, dialect);
      EXPECT_EQ(http_status(r), c.ok ? 200 : 422) << c.body;
      if (c.ok) continue;
      ASSERT_EQ(r.errors().size(), 1u) << c.body;
      bool completed = std::string(c.body).find("completed") != std::string::npos;
      EXPECT_EQ(r.errors()[0].field, completed ? "is_completed" : "due_date") << c.body;
      EXPECT_NE(r.errors()[0].message.find(completed ? "completed" : "due_at"), std::string::npos)
          << r.errors()[0].message;
    }
  }
}

TEST(TaskBody, DueAcceptsADateAlone) {
  TaskInput in;
  ASSERT_EQ(
      http_status(parse_task_body(R"({"title":"t","due_at":"2024-02-29"})", BodyMode::create, in)),
      200);
  EXPECT_EQ(in.due_at.value, "2024-02-29T00:00:00Z");
  for (const char* date : {"2026-02-30", "2026-02-29", "2026-13-01", "0000-01-01", "2026-12-1",
                           "12/01/2026", "2026-12-01T", ""}) {
    for (const char* field : {"due_at", "due_date"}) {
      std::string body = std::string(R"({"title":"t",")") + field + R"(":")" + date + R"("})";
      Status r = parse_task_body(body, BodyMode::create, in);
      ASSERT_EQ(http_status(r), 422) << body;
      EXPECT_EQ(errors_of(r).count(field), 1u) << body;
    }
  }
  Status r = parse_task_body(R"({"due_at":"2026-02-30"})", BodyMode::patch, in);
  EXPECT_EQ(errors_of(r)["due_at"],
            "must be an RFC 3339 date-time such as 2026-12-01T09:00:00Z or a date such as "
            "2026-12-01 (day does not exist in that month)");
}

// The FastAPI dialect of the compatibility routes (API.md §5).
TEST(TaskBodyFastApi, IgnoresUnknownAndReadOnlyFields) {
  const std::string extras =
      R"("id":"0b6f1c9e-3b8a-4a51-9f3e-2b1a7c0d9e11","user_id":"someone","created_at":"x",)"
      R"("updated_at":null,"completed_at":5,"version":"v","category":"work","dueDate":"",)"
      R"("Title":null,"":[],"nested":{"title":7},"category":"twice")";
  for (BodyMode mode : {BodyMode::create, BodyMode::replace, BodyMode::patch}) {
    TaskInput in;
    Status r = parse_task_body("{" + extras + R"(,"title":" Buy milk ","priority":"high"})", mode,
                               in, BodyDialect::fastapi);
    ASSERT_EQ(http_status(r), 200) << r.message() << " / " << mode_name(mode);
    EXPECT_EQ(in.title.value, "Buy milk");
    EXPECT_EQ(in.priority.value, "high");
    // The strict dialect lists each of them.
    r = parse_task_body("{" + extras + R"(,"title":"t"})", mode, in, BodyDialect::strict);
    ASSERT_EQ(http_status(r), 422);
    auto errors = errors_of(r);
    for (const char* field : {"id", "user_id", "created_at", "updated_at", "completed_at",
                              "version", "category", "dueDate", "Title", "", "nested"}) {
      EXPECT_EQ(errors.count(field), 1u) << field;
    }
  }
}

TEST(TaskBodyFastApi, KnownFieldsAreValidatedExactly) {
  std::string body = R"({"id":"x","title":"   ","description":7,"completed":null,
    "priority":"urgent","due_at":"2026-02-29","tags":["a",3],"due_date":"","is_completed":1,
    "extra":true})";
  for (BodyMode mode : {BodyMode::create, BodyMode::replace, BodyMode::patch}) {
    TaskInput in;
    Status r = parse_task_body(body, mode, in, BodyDialect::fastapi);
    ASSERT_EQ(http_status(r), 422);
    auto errors = errors_of(r);
    const char* expected[] = {"title",  "description", "completed", "priority",
                              "due_at", "tags[1]",     "due_date",  "is_completed"};
    EXPECT_EQ(errors.size(), std::size(expected));
    for (const char* field : expected) EXPECT_EQ(errors.count(field), 1u) << field;
  }
  // Duplicates of a known field, nulls of non-nullable fields and the 400s stay.
  for (const char* bad : {R"({"title":"a","title":"b"})", R"({"title":null})",
                          R"({"priority":null})", R"({"tags":null})", R"({"completed":null})"}) {
    TaskInput in;
    EXPECT_EQ(http_status(parse_task_body(bad, BodyMode::patch, in, BodyDialect::fastapi)), 422)
        << bad;
  }
  TaskInput in;
  EXPECT_EQ(http_status(parse_task_body("[]", BodyMode::patch, in, BodyDialect::fastapi)), 400);
  EXPECT_EQ(http_status(parse_task_body(R"({"x":1,})", BodyMode::patch, in, BodyDialect::fastapi)),
            400);
  EXPECT_EQ(
      http_status(parse_task_body(R"({"x":"\ud800"})", BodyMode::patch, in, BodyDialect::fastapi)),
      400);
}

TEST(TaskBodyFastApi, CreateStillNeedsATitle) {
  TaskInput in;
  Status r =
      parse_task_body(R"({"id":"x","completed":true})", BodyMode::create, in, BodyDialect::fastapi);
  ASSERT_EQ(http_status(r), 422);
  EXPECT_EQ(errors_of(r), (std::map<std::string, std::string>{{"title", "is required"}}));
}

TEST(TaskBodyFastApi, PutUpdatesOnlyTheFieldsItCarries) {
  EXPECT_EQ(put_mode(BodyDialect::strict), BodyMode::replace);
  EXPECT_EQ(put_mode(BodyDialect::fastapi), BodyMode::patch);
  // A drag-and-drop board moves a card: no title, and nothing else is reset.
  TaskInput in;
  ASSERT_EQ(http_status(parse_task_body(R"({"completed":true,"priority":"high"})",
                                        put_mode(BodyDialect::fastapi), in, BodyDialect::fastapi)),
            200);
  EXPECT_FALSE(in.title.present);
  EXPECT_FALSE(in.description.present);
  EXPECT_FALSE(in.due_at.present);
  EXPECT_FALSE(in.tags.present);
  EXPECT_EQ(in.completed.value, true);
  EXPECT_EQ(in.priority.value, "high");
  // An edit form echoing the whole task back: the read-only fields are dropped.
  TaskInput echo;
  ASSERT_EQ(
      http_status(parse_task_body(R"({"id":"0b6f1c9e-3b8a-4a51-9f3e-2b1a7c0d9e11","title":"New",
      "description":null,"completed":false,"priority":"low","due_at":null,"tags":[],
      "created_at":"2026-11-22T10:00:00.123Z","updated_at":"2026-11-22T10:00:00.123Z",
      "completed_at":null,"version":3})",
                                  put_mode(BodyDialect::fastapi), echo, BodyDialect::fastapi)),
      200);
  EXPECT_EQ(echo.title.value, "New");
  EXPECT_TRUE(echo.description.present);
  EXPECT_FALSE(echo.description.value.has_value());
  // The strict PUT still needs the title.
  EXPECT_EQ(
      http_status(parse_task_body(R"({"completed":true})", put_mode(BodyDialect::strict), in)),
      422);
}
