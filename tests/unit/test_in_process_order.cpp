// API.md §1's check order, in process: route (404) -> method (405) ->
// authentication (401) -> path user (403) -> content type (415) -> size (413) ->
// JSON (400) -> query (400) -> body fields (422) -> the task (404, 412). Each case
// breaks its own check and every later one, so only the order makes it pass.
#include "in_process.h"

using in_process::error_code;
using in_process::header;
using in_process::InProcess;
using in_process::TestRequest;

namespace {

class CheckOrder : public InProcess {};

TEST_F(CheckOrder, UnknownRouteIs404BeforeMethodAndAuth) {
  Response res = send(TestRequest(Method::put, "/api/nothing").body("{", "text/plain"));
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(error_code(res), "not_found");
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(CheckOrder, WrongMethodIs405WithAllowBeforeAuth) {
  Response res = send(TestRequest(Method::put, "/api/tasks").body("{", "text/plain"));
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(error_code(res), "method_not_allowed");
  EXPECT_EQ(header(res, "Allow"), "GET, HEAD, POST, DELETE, OPTIONS");
}

TEST_F(CheckOrder, MissingTokenIs401BeforePathUserAndContentType) {
  Response res = send(TestRequest(Method::post, "/api/bob/tasks").body("{", "text/plain"));
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(error_code(res), "unauthorized");
  EXPECT_EQ(header(res, "WWW-Authenticate"), "Bearer");
}

TEST_F(CheckOrder, ExpiredTokenAtTheFixedClockIs401) {
  std::string old =
      mint_hs256_token(in_process::kSecret, "alice", "", in_process::kNow - 7200, 3600);
  Response res = send(TestRequest(Method::get, "/api/tasks").token(old));
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(header(res, "WWW-Authenticate"), "Bearer error=\"invalid_token\"");
}

TEST_F(CheckOrder, OtherPathUserIs403BeforeContentType) {
  Response res =
      send(TestRequest(Method::post, "/api/bob/tasks").token(token()).body("{", "text/plain"));
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(error_code(res), "forbidden");
}

TEST_F(CheckOrder, WrongContentTypeIs415BeforeSize) {
  Response res = send(TestRequest(Method::post, "/api/tasks")
                          .token(token())
                          .content_type("text/plain")
                          .too_large());
  EXPECT_EQ(res.status, 415);
  EXPECT_EQ(error_code(res), "unsupported_media_type");
}

TEST_F(CheckOrder, OversizedBodyIs413BeforeJson) {
  Response res = send(TestRequest(Method::post, "/api/tasks")
                          .token(token())
                          .content_type("application/json")
                          .too_large());
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(error_code(res), "payload_too_large");
}

TEST_F(CheckOrder, BadJsonIs400BeforeTaskId) {
  Response res =
      send(TestRequest(Method::put, "/api/tasks/not-a-uuid").token(token()).body("{\"title\":"));
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(error_code(res), "bad_request");
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(CheckOrder, BadQueryIs400) {
  Response res = send(TestRequest(Method::get, "/api/tasks?limit=0").token(token()));
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(res.body.find("\"field\":\"limit\""), std::string::npos) << res.body;
  EXPECT_TRUE(store_.calls.empty());
}

TEST_F(CheckOrder, BadFieldIs422BeforeTaskId) {
  Response res = send(
      TestRequest(Method::put, "/api/tasks/not-a-uuid").token(token()).body(R"({"title":""})"));
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(error_code(res), "validation_failed");
  EXPECT_NE(res.body.find("\"field\":\"title\""), std::string::npos) << res.body;
}

TEST_F(CheckOrder, MalformedTaskIdIs404Last) {
  Response res = send(
      TestRequest(Method::put, "/api/tasks/not-a-uuid").token(token()).body(R"({"title":"x"})"));
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.body, R"({"detail":"Task not found","code":"not_found"})");
  EXPECT_TRUE(store_.calls.empty()) << "a malformed id never reaches the store";
}

TEST_F(CheckOrder, StaleIfMatchIs412AndChangesNothing) {
  std::string id = store_.seed("alice", "one");
  Response res = send(TestRequest(Method::patch, "/api/tasks/" + id)
                          .token(token())
                          .if_match("\"7\"")
                          .body(R"({"title":"two"})"));
  EXPECT_EQ(res.status, 412);
  EXPECT_EQ(error_code(res), "precondition_failed");
  Response again = send(TestRequest(Method::get, "/api/tasks/" + id).token(token()));
  EXPECT_NE(again.body.find("\"title\":\"one\""), std::string::npos) << again.body;
}

TEST_F(CheckOrder, AnotherUsersTaskIs404) {
  std::string id = store_.seed("bob", "bob's");
  Response res = send(TestRequest(Method::get, "/api/tasks/" + id).token(token("alice")));
  EXPECT_EQ(res.status, 404);
  ASSERT_FALSE(store_.calls.empty());
  EXPECT_EQ(store_.calls.back(), "get alice " + id) << "the store is asked for the caller's task";
}

TEST_F(CheckOrder, PreflightNeedsNoTokenAndDerivesFromAllow) {
  Response res = send(TestRequest(Method::options, "/api/tasks/x").origin("https://app.example"));
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(header(res, "Allow"), header(res, "Access-Control-Allow-Methods"));
  EXPECT_EQ(header(res, "Access-Control-Allow-Origin"), "https://app.example");
}

TEST_F(CheckOrder, NotFoundCarriesCorsForAnAllowedOrigin) {
  Response res = send(TestRequest(Method::get, "/nowhere").origin("https://app.example"));
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(header(res, "Access-Control-Allow-Origin"), "https://app.example");
  Response other = send(TestRequest(Method::get, "/nowhere").origin("https://evil.example"));
  EXPECT_EQ(header(other, "Access-Control-Allow-Origin"), "");
}

}  // namespace
