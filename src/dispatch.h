// The checks every request goes through, in the order of API.md §1 (route ->
// method -> authentication -> path user -> content type -> size), CORS, and the
// call of the endpoint's handler. One Dispatcher per worker.
#pragma once

#include "auth.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "router.h"

class Dispatcher {
 public:
  Dispatcher(const Config& config, Database& db, Authenticator& auth);
  void handle(const Request& req, Response& res);

 private:
  bool origin_allowed(const std::string& origin) const;
  void add_cors(const Request& req, Response& res) const;
  void preflight(const Request& req, Response& res) const;
  bool authenticate(const Request& req, Response& res);
  bool check_body_headers(const Request& req, Response& res) const;

  const Config& config_;
  Database& db_;
  Authenticator& auth_;
  RouteMatch route_;   // reused across requests
  Identity identity_;  // the caller, once authenticated
};
