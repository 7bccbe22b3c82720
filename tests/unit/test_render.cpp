#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "http/etag.h"
#include "http/render.h"
#include "store/pg_text_array.h"
#include "util/text_util.h"

TEST(Render, UuidSyntax) {
  EXPECT_TRUE(is_uuid("0b6f1c9e-3b8a-4a51-9f3e-2b1a7c0d9e11"));
  EXPECT_TRUE(is_uuid("0B6F1C9E-3B8A-4A51-9F3E-2B1A7C0D9E11"));
  for (const char* bad :
       {"", "not-a-uuid", "0b6f1c9e3b8a4a519f3e2b1a7c0d9e11",
        "{0b6f1c9e-3b8a-4a51-9f3e-2b1a7c0d9e11}", "0b6f1c9e-3b8a-4a51-9f3e-2b1a7c0d9e1g",
        "0b6f1c9e-3b8a-4a51-9f3e-2b1a7c0d9e111", "0b6f1c9e_3b8a-4a51-9f3e-2b1a7c0d9e11"}) {
    EXPECT_FALSE(is_uuid(bad)) << bad;
  }
}

TEST(Render, IfMatchForms) {
  struct Case {
    const char* header;
    IfMatch kind;
    const char* array;
  } cases[] = {
      {"", IfMatch::absent, ""},
      {"  ", IfMatch::absent, ""},
      {"*", IfMatch::any, ""},
      {" * ", IfMatch::any, ""},
      {"\"3\"", IfMatch::list, "{3}"},
      {"W/\"3\"", IfMatch::list, "{3}"},  // accepted like "3" (nginx gzip weakens ETags)
      {"\"2\", \"3\"", IfMatch::list, "{2,3}"},
      {"\"2\",W/\"3\" ,\t\"4\"", IfMatch::list, "{2,3,4}"},
      {"3", IfMatch::list, "{}"},        // unquoted: not an entity tag, matches nothing
      {"\"abc\"", IfMatch::list, "{}"},  // not one of our versions
      {"\"03\"", IfMatch::list, "{}"},   // versions have no leading zero
      {"\"0\"", IfMatch::list, "{}"},
      {"\"1234567890\"", IfMatch::list, "{}"},  // beyond integer
      {"\"2\", garbage, \"5\"", IfMatch::list, "{2,5}"},
      {"\"2", IfMatch::list, "{}"},
      {"\"2\"x", IfMatch::list, "{}"},
  };
  std::vector<std::int32_t> versions;
  for (const Case& c : cases) {
    EXPECT_EQ(parse_if_match(c.header, versions), c.kind) << c.header;
    std::string array = c.kind == IfMatch::list ? "{" : "";
    for (std::size_t i = 0; i < versions.size(); ++i) {
      array += (i > 0 ? "," : "") + std::to_string(versions[i]);
    }
    if (c.kind == IfMatch::list) array += "}";
    EXPECT_EQ(array, c.array) << c.header;
  }
}

TEST(Render, IfNoneMatch) {
  EXPECT_TRUE(if_none_match_hits("\"3\"", "3"));
  EXPECT_TRUE(if_none_match_hits("W/\"3\"", "3"));
  EXPECT_TRUE(if_none_match_hits("\"1\", \"3\"", "3"));
  EXPECT_TRUE(if_none_match_hits("*", "3"));
  EXPECT_FALSE(if_none_match_hits("", "3"));
  EXPECT_FALSE(if_none_match_hits("\"4\"", "3"));
  EXPECT_FALSE(if_none_match_hits("\"33\"", "3"));
  EXPECT_FALSE(if_none_match_hits("3", "3"));
}

TEST(Render, PgTextArrayLiteral) {
  std::string out;
  append_pg_text_array(out, {});
  EXPECT_EQ(out, "{}");
  out.clear();
  append_pg_text_array(out, {"home", "a,b", "NULL", "say \"hi\"", "back\\slash", "{x}", " sp "});
  EXPECT_EQ(out, R"({"home","a,b","NULL","say \"hi\"","back\\slash","{x}"," sp "})");
}

TEST(Render, Envelopes) {
  Response res;
  set_data(res, 201, R"({"id":"x"})", false);
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.body, R"({"data":{"id":"x"}})");
  set_data(res, 200, "[]", true);
  EXPECT_EQ(res.body, "[]");
}
