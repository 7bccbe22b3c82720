#include <gtest/gtest.h>

#include "http/http.h"
#include "util/text_util.h"

TEST(Http, ErrorBodyHasDetailCodeAndEveryFieldError) {
  Response res;
  set_error(res, 422, "Validation failed", {{"title", "is required"}, {"tags[1]", "too \"long\""}});
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.body, R"({"detail":"Validation failed","code":"validation_failed","errors":[)"
                      R"({"field":"title","message":"is required"},)"
                      R"({"field":"tags[1]","message":"too \"long\""}]})");
}

TEST(Http, ErrorCodesFollowTheContract) {
  EXPECT_EQ(error_code_for(400), "bad_request");
  EXPECT_EQ(error_code_for(401), "unauthorized");
  EXPECT_EQ(error_code_for(403), "forbidden");
  EXPECT_EQ(error_code_for(404), "not_found");
  EXPECT_EQ(error_code_for(405), "method_not_allowed");
  EXPECT_EQ(error_code_for(412), "precondition_failed");
  EXPECT_EQ(error_code_for(413), "payload_too_large");
  EXPECT_EQ(error_code_for(415), "unsupported_media_type");
  EXPECT_EQ(error_code_for(422), "validation_failed");
  EXPECT_EQ(error_code_for(503), "service_unavailable");
  EXPECT_EQ(error_code_for(500), "internal_error");
}

TEST(Http, JsonStringEscapesControlCharacters) {
  std::string out;
  append_json_string(out, std::string_view("a\"b\\c\n\x01\x7f", 8));
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001\u007f")");
}

TEST(Http, JsonContentTypeAcceptsOnlyJsonInUtf8) {
  EXPECT_TRUE(is_json_content_type("application/json", false));
  EXPECT_TRUE(is_json_content_type("Application/JSON; charset=utf-8", false));
  EXPECT_TRUE(is_json_content_type(" application/json ; Charset=\"UTF-8\"", false));
  EXPECT_TRUE(is_json_content_type("application/json; boundary=x", false));
  EXPECT_TRUE(is_json_content_type("application/merge-patch+json", true));
  EXPECT_FALSE(is_json_content_type("application/merge-patch+json", false));
  EXPECT_FALSE(is_json_content_type("application/json; charset=iso-8859-1", false));
  EXPECT_FALSE(is_json_content_type("application/json; charset=utf-8x", false));
  EXPECT_FALSE(is_json_content_type("application/json; xcharset=utf-8; charset=latin1", false));
  EXPECT_FALSE(is_json_content_type("text/json", false));
  EXPECT_FALSE(is_json_content_type("application/jsonx", false));
  EXPECT_FALSE(is_json_content_type("", false));
}

TEST(Http, TrimAndCaseInsensitiveEquality) {
  EXPECT_EQ(trim_ows(" \t a b \t"), "a b");
  EXPECT_EQ(trim_ows(""), "");
  EXPECT_TRUE(iequals_ascii("Bearer", "bEARER"));
  EXPECT_FALSE(iequals_ascii("Bearer", "Bearer "));
}

TEST(Http, ParseMethod) {
  EXPECT_EQ(parse_method("GET"), Method::get);
  EXPECT_EQ(parse_method("DELETE"), Method::del);
  EXPECT_EQ(parse_method("OPTIONS"), Method::options);
  EXPECT_EQ(parse_method("get"), Method::other);
  EXPECT_EQ(parse_method("BREW"), Method::other);
}

TEST(Http, JsonStringReplacesBytesThatAreNotUtf8) {
  std::string out;
  append_json_string(out, "caf\xC3\xA9 \xFF\xC3 \xE2\x82\xAC");
  EXPECT_EQ(out, "\"caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD \xE2\x82\xAC\"");
}
