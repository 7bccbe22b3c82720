#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/fcgi_params.h"

namespace {

Request parse(std::vector<std::string> items) {
  std::vector<char*> envp;
  for (auto& item : items) envp.push_back(item.data());
  envp.push_back(nullptr);
  Request req;
  parse_fcgi_params(envp.data(), req);
  return req;
}

TEST(FcgiParams, ReadsTheFieldsTheHandlersNeed) {
  Request req = parse({"REQUEST_METHOD=PATCH", "REQUEST_URI=/api/u%40x/tasks/1?limit=5&q=a%20b",
                       "QUERY_STRING=ignored", "REQUEST_ID=abc-123", "HTTP_AUTHORIZATION=Bearer t",
                       "CONTENT_TYPE=application/json", "CONTENT_LENGTH=42", "HTTP_IF_MATCH=\"3\"",
                       "HTTP_IF_NONE_MATCH=\"4\"", "HTTP_ORIGIN=https://app.example",
                       "HTTP_ACCESS_CONTROL_REQUEST_METHOD=PUT", "SOMETHING_ELSE=1"});
  EXPECT_EQ(req.method, Method::patch);
  EXPECT_EQ(req.path, "/api/u%40x/tasks/1");  // still encoded: the router decodes segments
  EXPECT_EQ(req.query, "limit=5&q=a%20b");
  EXPECT_EQ(req.request_id, "abc-123");
  EXPECT_EQ(req.authorization, "Bearer t");
  EXPECT_EQ(req.content_type, "application/json");
  EXPECT_EQ(req.content_length, 42);
  EXPECT_EQ(req.if_match, "\"3\"");
  EXPECT_EQ(req.if_none_match, "\"4\"");
  EXPECT_EQ(req.origin, "https://app.example");
}

TEST(FcgiParams, FallsBackToDocumentUriAndQueryString) {
  Request req = parse({"REQUEST_METHOD=GET", "DOCUMENT_URI=/api/tasks", "QUERY_STRING=limit=1"});
  EXPECT_EQ(req.path, "/api/tasks");
  EXPECT_EQ(req.query, "limit=1");
}

TEST(FcgiParams, HeadIsServedAsGet) {
  EXPECT_EQ(parse({"REQUEST_METHOD=HEAD"}).method, Method::get);
  EXPECT_EQ(parse({"REQUEST_METHOD=BREW"}).method, Method::other);
}

TEST(FcgiParams, RejectsUnsafeRequestIdsAndBadLengths) {
  EXPECT_EQ(parse({"REQUEST_ID=a b"}).request_id, "");
  EXPECT_EQ(parse({"REQUEST_ID=x\r\nSet-Cookie: y"}).request_id, "");
  EXPECT_EQ(parse({"REQUEST_ID=" + std::string(200, 'a')}).request_id, "");
  EXPECT_EQ(parse({"CONTENT_LENGTH=99999999999999999999999"}).content_length,
            INT64_MAX);  // saturates: far over any body limit, so the body is never read
  EXPECT_EQ(parse({"CONTENT_LENGTH=12abc"}).content_length, INT64_MAX);
  EXPECT_EQ(parse({"CONTENT_LENGTH=0"}).content_length, 0);
  EXPECT_EQ(parse({"NOEQUALSIGN"}).method, Method::other);
}

}  // namespace
