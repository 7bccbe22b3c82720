// Status (core/status.h) and its HTTP edge (http/status_http.h): ok is free and
// writes nothing; an error writes API.md §1's body and the headers of its code.
#include <gtest/gtest.h>

#include <string>

#include "core/status.h"
#include "http/status_http.h"

namespace {

std::string header(const Response& res, const std::string& name) {
  for (const auto& [n, v] : res.headers) {
    if (n == name) return v;
  }
  return "";
}

}  // namespace

TEST(Status, OkWritesNothing) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(http_status(s), 200);
  EXPECT_EQ(s.code(), "");
  EXPECT_TRUE(s.message().empty());
  EXPECT_TRUE(s.errors().empty());
  EXPECT_EQ(sizeof(Status), sizeof(void*)) << "ok must be one null pointer";
  Response res;
  res.status = 201;
  write_status(s, res);
  EXPECT_EQ(res.status, 201);
  EXPECT_TRUE(res.body.empty());
}

TEST(Status, ErrorWritesTheBodyWithTheCodeOfItsStatus) {
  Status s = Status::invalid("Validation failed: 1 field is invalid.", {{"title", "is required"}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), "validation_failed");
  Status copy = s;
  Response res;
  write_status(copy, res);
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.body,
            R"({"detail":"Validation failed: 1 field is invalid.","code":"validation_failed",)"
            R"("errors":[{"field":"title","message":"is required"}]})");
}

TEST(Status, CodedErrorKeepsItsCode) {
  Status s = Status::error(StatusCode::quota_exceeded, "Task quota reached");
  EXPECT_EQ(s.code(), "quota_exceeded");
  Response res;
  write_status(s, res);
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.body, R"({"detail":"Task quota reached","code":"quota_exceeded"})");
}

// Every domain code has its HTTP status, machine code and headers (API.md §1, §2, §8).
TEST(Status, EveryCodeMapsToItsHttpStatusCodeAndHeaders) {
  struct Case {
    StatusCode code;
    int http;
    const char* machine;
    const char* www_authenticate;
    const char* retry_after;
  };
  const Case cases[] = {
      {StatusCode::bad_request, 400, "bad_request", "", ""},
      {StatusCode::unauthenticated, 401, "unauthorized", "Bearer", ""},
      {StatusCode::invalid_token, 401, "unauthorized", "Bearer error=\"invalid_token\"", ""},
      {StatusCode::forbidden, 403, "forbidden", "", ""},
      {StatusCode::not_found, 404, "not_found", "", ""},
      {StatusCode::method_not_allowed, 405, "method_not_allowed", "", ""},
      {StatusCode::conflict, 409, "conflict", "", ""},
      {StatusCode::gone, 410, "gone", "", ""},
      {StatusCode::precondition_failed, 412, "precondition_failed", "", ""},
      {StatusCode::payload_too_large, 413, "payload_too_large", "", ""},
      {StatusCode::unsupported_media_type, 415, "unsupported_media_type", "", ""},
      {StatusCode::invalid, 422, "validation_failed", "", ""},
      {StatusCode::quota_exceeded, 422, "quota_exceeded", "", ""},
      {StatusCode::idempotency_key_reused, 422, "idempotency_key_reused", "", ""},
      {StatusCode::internal, 500, "internal_error", "", ""},
      {StatusCode::outcome_unknown, 504, "outcome_unknown", "", ""},
  };
  for (const Case& c : cases) {
    Response res;
    write_status(Status::error(c.code, "m"), res);
    EXPECT_EQ(res.status, c.http) << c.machine;
    EXPECT_NE(res.body.find(std::string("\"code\":\"") + c.machine + "\""), std::string::npos)
        << res.body;
    EXPECT_EQ(header(res, "WWW-Authenticate"), c.www_authenticate) << c.machine;
    EXPECT_EQ(header(res, "Retry-After"), c.retry_after) << c.machine;
  }
  Response res;
  write_status(Status::retry_after(StatusCode::unavailable, "later", 3), res);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(header(res, "Retry-After"), "3");
  Response limited;
  write_status(Status::retry_after(StatusCode::too_many_requests, "slow down", 2), limited);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(header(limited, "Retry-After"), "2");
}
