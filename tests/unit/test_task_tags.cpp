// Tags, the /complete body, JSON string escaping of tags and the strict JSON pre-scan.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http/status_http.h"
#include "tasks/task_input.h"
#include "test_util.h"
#include "util/json_strict.h"

using namespace std::string_literals;

namespace {

std::map<std::string, std::string> errors_of(const Status& r) {
  std::map<std::string, std::string> out;
  for (const FieldError& e : r.errors()) out[e.field] = e.message;
  return out;
}

}  // namespace

TEST(TaskTags, DeduplicateCaseInsensitivelyKeepingTheFirst) {
  struct Case {
    const char* tags_json;
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      {R"(["Home","home","HOME"," home "])", {"Home"}},
      {R"(["work","Home","WORK","home","errands"])", {"work", "Home", "errands"}},
      {R"([" \u00c9t\u00e9 ","\u00e9T\u00c9"])", {"\xC3\x89t\xC3\xA9"}},  // Été / éTÉ
      {R"(["\u0414\u043e\u043c","\u0434\u041e\u041c"])", {"\xD0\x94\xD0\xBE\xD0\xBC"}},  // Дом
      {R"(["\u03a3\u03c0\u03af\u03c4\u03b9","\u03c3\u03a0\u038a\u03a4\u0399"])",
       {"\xCE\xA3\xCF\x80\xCE\xAF\xCF\x84\xCE\xB9"}},  // Σπίτι
      {R"(["a","b","a "])", {"a", "b"}},
      {R"(["stra\u00dfe","STRASSE"])",
       {"stra\xC3\x9F"
        "e",
        "STRASSE"}},  // no full folding
  };
  for (const Case& c : cases) {
    TaskInput in;
    std::string body = std::string("{\"title\":\"t\",\"tags\":") + c.tags_json + "}";
    Status r = parse_task_body(body, BodyMode::create, in);
    ASSERT_EQ(http_status(r), 200) << body << " " << r.message();
    EXPECT_EQ(in.tags.value, c.expected) << body;
  }
}

TEST(TaskTags, AtMostTwentyTagsAfterCollapsing) {
  auto tags_body = [](int distinct, int duplicates) {
    std::string body = "{\"title\":\"t\",\"tags\":[";
    for (int i = 0; i < distinct + duplicates; ++i) {
      if (i > 0) body += ',';
      int n = i < distinct ? i : i - distinct;
      body += (i < distinct ? "\"tag" : "\"TAG") + std::to_string(n) + "\"";
    }
    return body + "]}";
  };
  TaskInput in;
  ASSERT_EQ(http_status(parse_task_body(tags_body(20, 0), BodyMode::create, in)), 200);
  EXPECT_EQ(in.tags.value->size(), 20u);

  Status r = parse_task_body(tags_body(21, 0), BodyMode::create, in);
  ASSERT_EQ(http_status(r), 422);
  EXPECT_EQ(errors_of(r)["tags"], "must contain at most 20 distinct tags (got 21)");

  TaskInput collapsed;
  ASSERT_EQ(http_status(parse_task_body(tags_body(20, 5), BodyMode::create, collapsed)), 200);
  ASSERT_EQ(collapsed.tags.value->size(), 20u);
  EXPECT_EQ(collapsed.tags.value->front(), "tag0");
  EXPECT_EQ(collapsed.tags.value->back(), "tag19");
}

TEST(TaskTags, ErrorListIsBounded) {
  std::string body = "{\"title\":\"t\",\"tags\":[" + repeat("1,", 5000) + "1]}";
  TaskInput in;
  Status r = parse_task_body(body, BodyMode::create, in);
  ASSERT_EQ(http_status(r), 422);
  EXPECT_EQ(r.errors().size(), 100u);
  EXPECT_EQ(r.errors()[99].field, "tags[99]");
}

TEST(CompleteBody, ToggleSetOrReject) {
  struct Case {
    std::string body;
    int status;  // HTTP
    std::optional<bool> set;
    const char* field;  // expected error field for 422
  };
  const Case cases[] = {
      {"", 200, std::nullopt, nullptr},
      {" \r\n\t", 200, std::nullopt, nullptr},
      {"{}", 200, std::nullopt, nullptr},
      {R"({"completed":true})", 200, true, nullptr},
      {R"( {"completed":false} )", 200, false, nullptr},
      {"null", 400, std::nullopt, nullptr},
      {"[]", 400, std::nullopt, nullptr},
      {"true", 400, std::nullopt, nullptr},
      {"{", 400, std::nullopt, nullptr},
      {"\xE3\x80\x80", 400, std::nullopt, nullptr},
      {"{\"completed\":true}\xFF", 400, std::nullopt, nullptr},
      {R"({"completed":null})", 422, std::nullopt, "completed"},
      {R"({"completed":"yes"})", 422, std::nullopt, "completed"},
      {R"({"completed":true,"completed":false})", 422, std::nullopt, "completed"},
      {R"({"completed":true,"title":"x"})", 422, std::nullopt, "title"},
      {R"({"version":3})", 422, std::nullopt, "version"},
      {R"({"done":true})", 422, std::nullopt, "done"},
      {R"({"is_completed":true})", 200, true, nullptr},
      {R"({"is_completed":false,"completed":false})", 200, false, nullptr},
      {R"({"is_completed":true,"completed":false})", 422, std::nullopt, "is_completed"},
      {R"({"is_completed":null})", 422, std::nullopt, "is_completed"},
  };
  for (const Case& c : cases) {
    std::optional<bool> set = !c.set.value_or(false);  // a value the parser must overwrite
    if ((c.status != 200)) set = true;
    Status r = parse_complete_body(c.body, set);
    EXPECT_EQ(http_status(r), c.status) << c.body;
    if ((c.status == 200)) {
      EXPECT_EQ(set, c.set) << c.body;
    }
    if ((c.status != 200)) {
      EXPECT_EQ(set, true) << "untouched on error: " << c.body;
    }
    if (c.field != nullptr) {
      EXPECT_EQ(errors_of(r).count(c.field), 1u) << c.body;
    }
  }
  std::optional<bool> set;
  Status r = parse_complete_body(R"({"id":1,"completed":"x","x":2})", set);
  EXPECT_EQ(r.errors().size(), 3u);
  EXPECT_EQ(errors_of(r)["id"], "read-only field");
}

// The FastAPI dialect ignores every member but completed / is_completed.
TEST(CompleteBody, FastApiIgnoresOtherMembers) {
  struct Case {
    const char* body;
    int status;  // HTTP
    std::optional<bool> set;
  };
  const Case cases[] = {
      {R"({"completed":true,"title":"x","id":"y","version":3})", 200, true},
      {R"({"done":true})", 200, std::nullopt},
      {R"({"is_completed":false,"extra":[1,2]})", 200, false},
      {R"({"completed":"yes","extra":1})", 422, std::nullopt},
      {R"({"completed":true,"is_completed":false})", 422, std::nullopt},
      {"[]", 400, std::nullopt},
  };
  for (const Case& c : cases) {
    std::optional<bool> set = !c.set.value_or(false);
    Status r = parse_complete_body(c.body, set, BodyDialect::fastapi);
    EXPECT_EQ(http_status(r), c.status) << c.body;
    if ((c.status == 200)) {
      EXPECT_EQ(set, c.set) << c.body;
    }
  }
  std::optional<bool> set;
  Status r =
      parse_complete_body(R"({"completed":"x","title":"y","id":1})", set, BodyDialect::fastapi);
  EXPECT_EQ(errors_of(r).size(), 1u);
  EXPECT_EQ(errors_of(r).count("completed"), 1u);
}

// Tags are rendered with append_json_string (http.h): any bytes become valid JSON.
static std::string render_tags(const std::vector<std::string>& tags) {
  std::string out = "[";
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, tags[i]);
  }
  out += ']';
  return out;
}

TEST(TagsJson, EscapesAnything) {
  struct Case {
    std::vector<std::string> tags;
    std::string json;
  };
  const Case cases[] = {
      {{}, "[]"},
      {{"home", "errands"}, R"(["home","errands"])"},
      {{"a\"b", "c\\d"}, R"(["a\"b","c\\d"])"},
      {{"\n\r\t", "\x01\x1F\x7F"}, R"(["\n\r\t","\u0001\u001f\u007f"])"},
      {{"\0"s}, R"(["\u0000"])"},
      {{"\xC3\xA9t\xC3\xA9", "\xF0\x9F\x98\x80"}, "[\"\xC3\xA9t\xC3\xA9\",\"\xF0\x9F\x98\x80\"]"},
      {{"bad\xFF", "\xC0\xAF"}, "[\"bad\xEF\xBF\xBD\",\"\xEF\xBF\xBD\xEF\xBF\xBD\"]"},
      {{"</script>"}, R"(["</script>"])"},
  };
  for (const Case& c : cases) EXPECT_EQ(render_tags(c.tags), c.json);
}

TEST(JsonStrict, LexicalRules) {
  struct Case {
    std::string in;
    bool ok;
    std::string out;  // after rewriting; empty = same as `in`
  };
  const Case cases[] = {
      {R"({"a":[0,-0,1.5,-2e10,3E+2,4e-1,10]})", true, ""},
      {R"({"a":"\"\\\/\b\f\n\r\t\u00e9"})", true, ""},
      {" \t\r\n{}", true, ""},
      {R"(["\u0000"])", true, R"(["\u0001"])"},
      {R"(["\\u0000"])", true, ""},  // escaped backslash: literal text
      {R"(["\\\u0000"])", true, R"(["\\\u0001"])"},
      {R"({"k\u0000":1})", true, R"({"k\u0001":1})"},
      {"[\"a\x01\"]", false, ""},
      {"[\"a\x1f\"]", false, ""},
      {"[\"a\x7f\"]", true, ""},  // DEL is allowed raw by RFC 8259
      {"[1]\0"s, false, ""},
      {"\x0c{}", false, ""},
      {R"(["\q"])", false, ""},
      {R"(["\u00g0"])", false, ""},
      {R"(["\u00)", false, ""},
      {R"(["abc)", false, ""},
      {R"(["abc\)", false, ""},
      {"[01]", false, ""},
      {"[-]", false, ""},
      {"[1.]", false, ""},
      {"[1e]", false, ""},
      {"[1e+]", false, ""},
      {"[--1]", false, ""},
      {"[1.2.3]", false, ""},
      {"[0x10]", true, ""},  // left to cJSON, which rejects the 'x'
  };
  for (const Case& c : cases) {
    std::string text = c.in;
    EXPECT_EQ(json_strict_prepare(text), c.ok) << c.in;
    if (c.ok) {
      EXPECT_EQ(text, c.out.empty() ? c.in : c.out) << c.in;
    }
  }
}
