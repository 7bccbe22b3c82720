// The checks every request goes through, in the order of API.md §1 (route ->
// method -> authentication -> path user -> content type -> size), CORS, and the
// call of the endpoint's handler. One Dispatcher per worker.
#pragma once

#include <cstdint>

#include "auth/auth.h"
#include "core/config.h"
#include "http/http.h"
#include "http/router.h"
#include "store/db.h"
#include "store/task_store.h"

class Dispatcher {
 public:
  // The task handlers use a PgTaskStore on `db`.
  Dispatcher(const Config& config, Database& db, Authenticator& auth);
  // The task handlers use `store` (e.g. a fake in in-process tests); it must outlive this.
  Dispatcher(const Config& config, Database& db, Authenticator& auth, TaskStore& store);
  void handle(const Request& req, Response& res);
  // The clock tokens are checked against (exp, nbf, iat): unix_seconds_now()
  // unless a test fixes it.
  using SecondsClock = std::int64_t (*)();
  void set_clock(SecondsClock now_seconds) { now_seconds_ = now_seconds; }

 private:
  bool origin_allowed(const std::string& origin) const;
  void add_cors(const Request& req, Response& res) const;
  void preflight(const Request& req, Response& res) const;
  bool authenticate(const Request& req, Response& res);
  bool check_body_headers(const Request& req, Response& res) const;

  const Config& config_;
  Database& db_;
  Authenticator& auth_;
  PgTaskStore pg_store_;
  TaskStore& store_;
  RouteMatch route_;   // reused across requests
  Identity identity_;  // the caller, once authenticated
  SecondsClock now_seconds_;
};
