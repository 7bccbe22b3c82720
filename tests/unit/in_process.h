// The in-process test layer (cgimap's test_request is the model): the real
// Dispatcher, router, Authenticator (HS256 secret) and handlers, with a
// FakeTaskStore instead of PostgreSQL and a fixed clock, driven by Request
// objects built here. No socket, no nginx, no database: each request takes
// microseconds. The Database object exists (the Dispatcher needs one) but is
// never connected; only /api/health would use it.
#pragma once

#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/dispatch.h"
#include "auth/auth.h"
#include "core/config.h"
#include "fake_task_store.h"
#include "http/http.h"
#include "store/db.h"
#include "util/text_util.h"

namespace in_process {

inline constexpr std::int64_t kNow = 1'800'000'000;  // the fixed clock, unix seconds
inline const std::string kSecret = "in-process-test-secret-0123456789abcdef";

// A request as fcgi_params.cpp would build it: `target` is path?query.
class TestRequest {
 public:
  TestRequest(Method method, std::string_view target) {
    req_.method = method;
    auto q = target.find('?');
    req_.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req_.query = std::string(target.substr(q + 1));
    req_.request_id = "test";
  }
  TestRequest& token(const std::string& t) {
    req_.authorization = "Bearer " + t;
    return *this;
  }
  // A body with its Content-Type (application/json unless given).
  TestRequest& body(std::string_view b, std::string_view type = "application/json") {
    req_.body = std::string(b);
    req_.content_length = static_cast<std::int64_t>(b.size());
    req_.content_type = std::string(type);
    return *this;
  }
  TestRequest& content_type(std::string_view type) {
    req_.content_type = std::string(type);
    return *this;
  }
  // What fcgi_params.cpp sets when CONTENT_LENGTH exceeds MAX_BODY_BYTES.
  TestRequest& too_large() {
    req_.body_too_large = true;
    req_.content_length = 1 << 20;
    return *this;
  }
  TestRequest& if_match(std::string_view v) {
    req_.if_match = std::string(v);
    return *this;
  }
  TestRequest& if_none_match(std::string_view v) {
    req_.if_none_match = std::string(v);
    return *this;
  }
  TestRequest& origin(std::string_view v) {
    req_.origin = std::string(v);
    return *this;
  }
  const Request& get() const { return req_; }

 private:
  Request req_;
};

struct JsonDeleter {
  void operator()(cJSON* p) const { cJSON_Delete(p); }
};
using Json = std::unique_ptr<cJSON, JsonDeleter>;

inline Json parse_json(const std::string& text) {
  return Json(cJSON_ParseWithLength(text.data(), text.size()));
}

// The value of header `name` in `res` ("" when absent).
inline std::string header(const Response& res, std::string_view name) {
  for (const auto& [k, v] : res.headers) {
    if (iequals_ascii(k, name)) return v;
  }
  return {};
}

// The error body's `code` ("" when the body is not an error object).
inline std::string error_code(const Response& res) {
  Json doc = parse_json(res.body);
  const cJSON* code = cJSON_GetObjectItemCaseSensitive(doc.get(), "code");
  return cJSON_IsString(code) ? code->valuestring : "";
}

inline Config test_config() {
  Config c;
  c.jwt_secret = kSecret;
  c.database_url = "postgresql://127.0.0.1:1/unused";  // never connected by these tests
  c.cors_origins = {"https://app.example"};
  c.max_body_bytes = 65536;
  c.max_tasks_per_user = 3;
  c.user_rate_limit = 0;
  return c;
}

class InProcess : public ::testing::Test {
 protected:
  InProcess() {
    dispatcher_.set_clock([] { return kNow; });
    store_.max_tasks = config_.max_tasks_per_user;
  }

  Response send(const TestRequest& r) {
    Response res;
    res.clear();
    dispatcher_.handle(r.get(), res);
    return res;
  }

  // A token for `sub`, valid at kNow for an hour.
  static std::string token(std::string_view sub = "alice") {
    return mint_hs256_token(kSecret, sub, "alice@example.com", kNow, 3600);
  }

  Config config_ = test_config();
  Database db_{config_};
  Authenticator auth_{config_};
  FakeTaskStore store_;
  Dispatcher dispatcher_{config_, db_, auth_, store_};
};

}  // namespace in_process
