// The shared segment and its readers: a request recorded through the metrics hooks
// shows up in /metrics text and /status JSON; the file a running pool leaves is
// found by `todo-api status`, and a removed or foreign one is not.
#include <cjson/cJSON.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "api/metrics_labels.h"
#include "api/status_report.h"
#include "http/http.h"
#include "http/router.h"
#include "ops/metrics.h"
#include "ops/shared_state.h"
#include "util/c_handles.h"

namespace {

TEST(Scoreboard, RequestShowsInMetricsAndStatus) {
  std::string error;
  SharedMapping m = create_shared_state("", error);
  ASSERT_NE(m.get(), nullptr) << error;
  int slot = metrics::claim_slot();
  ASSERT_EQ(slot, 0);
  metrics::worker_attach(slot);
  metrics::worker_ready();
  metrics::request_begin();
  metrics::request_route(static_cast<int>(Endpoint::task), static_cast<int>(Method::get),
                         "/api/tasks/{id}", "GET");
  { metrics::StageScope db(metrics::Stage::db); }
  metrics::request_end(404, "rid", 0);
  metrics::db_error("08006");
  metrics::db_error("57014");
  metrics::db_error("23514");

  std::string text;
  render_metrics(*m.get(), text);
  EXPECT_NE(
      text.find(
          "todo_api_requests_total{route=\"/api/tasks/{id}\",method=\"GET\",code=\"404\"} 1\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("todo_api_request_duration_seconds_count{route=\"/api/tasks/{id}\"} 1\n"),
            std::string::npos);
  EXPECT_NE(
      text.find(
          "todo_api_request_duration_seconds_bucket{route=\"/api/tasks/{id}\",le=\"+Inf\"} 1\n"),
      std::string::npos);
  EXPECT_NE(text.find("todo_api_db_errors_total{class=\"connection\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("todo_api_db_errors_total{class=\"timeout\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("todo_api_db_errors_total{class=\"invalid\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("todo_api_workers{state=\"idle\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("todo_api_accepted_connections_total 1\n"), std::string::npos);

  std::string json;
  render_status_json(*m.get(), true, unix_ms_now(), json);
  JsonPtr doc{cJSON_Parse(json.c_str())};
  ASSERT_TRUE(doc) << json;
  EXPECT_EQ(cJSON_GetObjectItem(doc.get(), "accepted conn")->valueint, 1);
  EXPECT_EQ(cJSON_GetObjectItem(doc.get(), "idle processes")->valueint, 1);
  EXPECT_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(doc.get(), "requests"), "4xx")->valueint, 1);
  cJSON* procs = cJSON_GetObjectItem(doc.get(), "processes");
  ASSERT_EQ(cJSON_GetArraySize(procs), 1);
  cJSON* w = cJSON_GetArrayItem(procs, 0);
  EXPECT_EQ(cJSON_GetObjectItem(w, "pid")->valueint, getpid());
  EXPECT_STREQ(cJSON_GetObjectItem(w, "request route")->valuestring, "/api/tasks/{id}");

  metrics::worker_exited(slot, "signal Killed");
  json.clear();
  render_status_json(*m.get(), true, unix_ms_now(), json);
  EXPECT_NE(json.find("\"processes\":[]"), std::string::npos) << json;
  EXPECT_EQ(metrics::claim_slot(), 0);  // the slot is free again
}

TEST(Scoreboard, CodesWithoutTheirOwnSeriesCountByClass) {
  EXPECT_STREQ(metrics::code_label(metrics::code_index(201)), "201");
  EXPECT_STREQ(metrics::code_label(metrics::code_index(429)), "429");
  EXPECT_STREQ(metrics::code_label(metrics::code_index(418)), "4xx");
  EXPECT_STREQ(metrics::code_label(metrics::code_index(599)), "5xx");
  EXPECT_STREQ(metrics::code_label(metrics::code_index(99)), "5xx");
}

TEST(Scoreboard, StatusFileIsFoundWhileItsMasterRunsAndNotAfter) {
  std::string path = "/tmp/todo-api-unit-status-" + std::to_string(getpid());
  std::string error;
  {
    SharedMapping m = create_shared_state(path, error);
    ASSERT_NE(m.get(), nullptr) << error;
    SharedMapping seen = open_shared_state(path, error);
    ASSERT_NE(seen.get(), nullptr) << error;
    EXPECT_EQ(seen.get()->header.master_pid.load(), getpid());
    m.remove_file();
  }
  SharedMapping gone = open_shared_state(path, error);
  EXPECT_EQ(gone.get(), nullptr);
  EXPECT_NE(error.find("no such file"), std::string::npos) << error;
  // A file of the right size but not ours is refused.
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::string zeros(sizeof(SharedState), '\0');
  std::fwrite(zeros.data(), 1, zeros.size(), f);
  std::fclose(f);
  SharedMapping foreign = open_shared_state(path, error);
  EXPECT_EQ(foreign.get(), nullptr);
  EXPECT_NE(error.find("not a status file"), std::string::npos) << error;
  unlink(path.c_str());
}

TEST(Scoreboard, HooksAreNoOpsWithoutASegment) {
  ASSERT_EQ(shared_state(), nullptr);
  metrics::count(metrics::Counter::accepted_conn);
  metrics::request_begin();
  metrics::request_end(200, "x", 1);
  EXPECT_EQ(metrics::claim_slot(), -1);
}

}  // namespace
