// Every task handler's mapping of the store's answer to HTTP, in process: each
// StoreStatus (and each database verdict behind db_error) for each operation, and
// the success shapes of API.md §4/§5 (envelopes, ETag, Location, X-Total-Count).
#include <string>
#include <vector>

#include "in_process.h"

using in_process::error_code;
using in_process::header;
using in_process::InProcess;
using in_process::parse_json;
using in_process::TestRequest;

namespace {

class Handlers : public InProcess {
 protected:
  // The request of operation `op` on task `id` (valid bodies throughout).
  TestRequest op_request(const std::string& op, const std::string& id) {
    std::string task = "/api/tasks/" + id;
    if (op == "create") return TestRequest(Method::post, "/api/tasks").body(R"({"title":"a"})");
    if (op == "get") return TestRequest(Method::get, task);
    if (op == "replace") return TestRequest(Method::put, task).body(R"({"title":"b"})");
    if (op == "patch") return TestRequest(Method::patch, task).body(R"({"title":"c"})");
    if (op == "complete") return TestRequest(Method::patch, task + "/complete");
    if (op == "toggle") return TestRequest(Method::patch, task + "/toggle");
    if (op == "remove") return TestRequest(Method::del, task);
    if (op == "remove_completed") return TestRequest(Method::del, "/api/tasks?completed=true");
    if (op == "list") return TestRequest(Method::get, "/api/tasks");
    return TestRequest(Method::get, "/api/me");  // stats
  }
};

struct Mapping {
  StoreStatus status;
  DbStatus db;
  int http;
  const char* code;
};

constexpr Mapping kDbMappings[] = {
    {StoreStatus::db_error, DbStatus::unavailable, 503, "service_unavailable"},
    {StoreStatus::db_error, DbStatus::invalid, 422, "validation_failed"},
    {StoreStatus::db_error, DbStatus::error, 500, "internal_error"},
};

TEST_F(Handlers, EveryOperationMapsDatabaseFailures) {
  const std::vector<std::string> ops = {"create", "get",    "replace",          "patch", "complete",
                                        "toggle", "remove", "remove_completed", "list",  "stats"};
  std::string id = store_.seed("alice", "seeded");
  for (const std::string& op : ops) {
    for (const Mapping& m : kDbMappings) {
      SCOPED_TRACE(op + " -> " + std::to_string(m.http));
      store_.fail_next(m.status, m.db);
      Response res = send(op_request(op, id).token(token()));
      EXPECT_EQ(res.status, m.http);
      EXPECT_EQ(error_code(res), m.code);
      EXPECT_EQ(header(res, "Retry-After"), m.http == 503 ? "1" : "");
      EXPECT_EQ(res.body.find("XX000"), std::string::npos) << "no internals: " << res.body;
      EXPECT_EQ(res.body.find("injected"), std::string::npos) << "no internals: " << res.body;
    }
  }
}

TEST_F(Handlers, TaskOperationsMapNotFoundAndVersionMismatch) {
  std::string id = store_.seed("alice", "seeded");
  for (const std::string op : {"get", "replace", "patch", "complete", "toggle", "remove"}) {
    SCOPED_TRACE(op);
    store_.fail_next(StoreStatus::not_found);
    Response missing = send(op_request(op, id).token(token()));
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body, R"({"detail":"Task not found","code":"not_found"})");
    if (op == "get") continue;  // a read has no precondition
    store_.fail_next(StoreStatus::version_mismatch);
    Response stale = send(op_request(op, id).token(token()));
    EXPECT_EQ(stale.status, 412);
    EXPECT_EQ(error_code(stale), "precondition_failed");
  }
}

TEST_F(Handlers, QuotaExceededIs422QuotaExceededNamingTheLimit) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(send(op_request("create", "").token(token())).status, 201);
  }
  Response res = send(op_request("create", "").token(token()));
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(error_code(res), "quota_exceeded");
  EXPECT_NE(res.body.find("at most 3 tasks"), std::string::npos) << res.body;
  EXPECT_EQ(store_.size(), 3u);
  // Another user's quota is their own.
  EXPECT_EQ(send(op_request("create", "").token(token("bob"))).status, 201);
}

TEST_F(Handlers, CreateAnswers201WithLocationEtagAndDefaults) {
  Response res =
      send(TestRequest(Method::post, "/api/tasks").token(token()).body(R"({"title":" a "})"));
  ASSERT_EQ(res.status, 201) << res.body;
  auto doc = parse_json(res.body);
  const cJSON* data = cJSON_GetObjectItemCaseSensitive(doc.get(), "data");
  ASSERT_TRUE(cJSON_IsObject(data)) << res.body;
  const cJSON* id = cJSON_GetObjectItemCaseSensitive(data, "id");
  ASSERT_TRUE(cJSON_IsString(id));
  EXPECT_EQ(header(res, "Location"), std::string("/api/tasks/") + id->valuestring);
  EXPECT_EQ(header(res, "ETag"), "\"1\"");
  EXPECT_STREQ(cJSON_GetObjectItemCaseSensitive(data, "title")->valuestring, "a");
  EXPECT_STREQ(cJSON_GetObjectItemCaseSensitive(data, "priority")->valuestring, "medium");
  EXPECT_EQ(store_.calls.back(), "create alice");
}

TEST_F(Handlers, CompatibilityRoutesAnswerBareBodiesAndTotalHeader) {
  store_.seed("alice", "one");
  store_.seed("alice", "two");
  store_.seed("bob", "not mine");
  Response list = send(TestRequest(Method::get, "/api/alice/tasks?limit=1").token(token()));
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(header(list, "X-Total-Count"), "2");
  auto doc = parse_json(list.body);
  ASSERT_TRUE(cJSON_IsArray(doc.get())) << list.body;
  EXPECT_EQ(cJSON_GetArraySize(doc.get()), 1);

  Response canonical = send(TestRequest(Method::get, "/api/v1/todos?limit=1").token(token()));
  auto env = parse_json(canonical.body);
  const cJSON* meta = cJSON_GetObjectItemCaseSensitive(env.get(), "meta");
  ASSERT_TRUE(cJSON_IsObject(meta)) << canonical.body;
  EXPECT_EQ(cJSON_GetObjectItemCaseSensitive(meta, "total")->valueint, 2);
  EXPECT_EQ(cJSON_GetObjectItemCaseSensitive(meta, "limit")->valueint, 1);
}

TEST_F(Handlers, ToggleIsCompleteAndAnExplicitSetIsIdempotent) {
  std::string id = store_.seed("alice", "one");
  Response a = send(TestRequest(Method::patch, "/api/tasks/" + id + "/toggle").token(token()));
  EXPECT_NE(a.body.find("\"completed\":true"), std::string::npos) << a.body;
  Response b = send(TestRequest(Method::patch, "/api/tasks/" + id + "/complete").token(token()));
  EXPECT_NE(b.body.find("\"completed\":false"), std::string::npos) << b.body;
  for (int i = 0; i < 2; ++i) {
    Response set = send(TestRequest(Method::patch, "/api/tasks/" + id + "/complete")
                            .token(token())
                            .body(R"({"completed":true})"));
    EXPECT_NE(set.body.find("\"completed\":true"), std::string::npos) << set.body;
  }
}

TEST_F(Handlers, GetHonoursIfNoneMatchWith304) {
  std::string id = store_.seed("alice", "one");
  Response res =
      send(TestRequest(Method::get, "/api/tasks/" + id).token(token()).if_none_match("W/\"1\""));
  EXPECT_EQ(res.status, 304);
  EXPECT_TRUE(res.body.empty());
  EXPECT_EQ(header(res, "ETag"), "\"1\"");
}

TEST_F(Handlers, DeleteAnswers204AndBulkDeleteCounts) {
  std::string id = store_.seed("alice", "one");
  store_.seed("alice", "done", true);
  store_.seed("bob", "bob's done", true);
  EXPECT_EQ(send(TestRequest(Method::del, "/api/tasks/" + id).token(token())).status, 204);
  Response bulk = send(TestRequest(Method::del, "/api/tasks?completed=true").token(token()));
  EXPECT_EQ(bulk.status, 200);
  EXPECT_EQ(bulk.body, R"({"data":{"deleted":1}})");
  EXPECT_EQ(store_.size(), 1u) << "bob's task stays";
  Response refused = send(TestRequest(Method::del, "/api/tasks").token(token()));
  EXPECT_EQ(refused.status, 422);
}

TEST_F(Handlers, MeReportsTheTokenAndTheCounters) {
  store_.seed("alice", "one");
  store_.seed("alice", "two", true);
  Response res = send(TestRequest(Method::get, "/api/me").token(token()));
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.body, R"({"data":{"id":"alice","email":"alice@example.com","stats":{"total":2,)"
                      R"("completed":1,"pending":1,"overdue":0}}})");
}

TEST_F(Handlers, LiveHealthNeedsNeitherTokenNorDatabase) {
  Response res = send(TestRequest(Method::get, "/api/health/live"));
  EXPECT_EQ(res.status, 200);
  EXPECT_NE(res.body.find("\"status\":\"ok\""), std::string::npos);
}

}  // namespace
