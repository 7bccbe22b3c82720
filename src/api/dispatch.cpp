#include "api/dispatch.h"

#include "api/endpoints.h"
#include "api/metrics_labels.h"
#include "api/user_rate_limit.h"
#include "http/status_http.h"
#include "ops/log.h"
#include "ops/metrics.h"
#include "tasks/handlers.h"
#include "util/clock.h"

Dispatcher::Dispatcher(const Config& config, Database& db, Authenticator& auth)
    : Dispatcher(config, db, auth, pg_store_) {}

// pg_store_ is constructed before store_ binds to it (declaration order), and
// only used when no other store is given.
Dispatcher::Dispatcher(const Config& config, Database& db, Authenticator& auth, TaskStore& store)
    : config_(config),
      db_(db),
      auth_(auth),
      pg_store_(db, config.max_tasks_per_user),
      store_(store),
      now_seconds_(unix_seconds_now) {}

void Dispatcher::handle(const Request& req, Response& res) {
  // CORS headers go on every answer to an allowed origin, the 404 of an unknown
  // route included: without them a browser hides the status from the frontend.
  metrics::stage(metrics::Stage::render);
  add_cors(req, res);
  match_route(req.path, route_);
  int endpoint = static_cast<int>(route_.endpoint), method = static_cast<int>(req.method);
  metrics::request_route(endpoint, method, metrics::route_label(endpoint),
                         metrics::method_label(method));
  if (route_.endpoint == Endpoint::none) {
    write_status(Status::not_found("Not found"), res);
    return;
  }
  if (!method_allowed(route_.endpoint, req.method)) {
    write_status(Status::error(StatusCode::method_not_allowed, "Method not allowed"), res);
    res.add_header("Allow", std::string(allow_header(route_.endpoint)));
    return;
  }
  if (req.method == Method::options) {
    preflight(req, res);
    return;
  }
  identity_ = Identity{};
  if (requires_auth(route_.endpoint, req.method) && !authenticate(req, res)) return;
  // Per-user rate limit (API.md §1): right after we know who it is, before any work.
  if (!identity_.user_id.empty() && !admit_user(config_, identity_.user_id, res)) return;
  if (route_.has_path_user && route_.path_user != identity_.user_id) {
    write_status(Status::error(StatusCode::forbidden, "This path belongs to another user"), res);
    return;
  }
  if (!check_body_headers(req, res)) return;

  RequestContext ctx{config_, db_, store_, req, res, route_, identity_};
  endpoint_spec(route_.endpoint)->handler(ctx);
}

bool Dispatcher::authenticate(const Request& req, Response& res) {
  metrics::StageScope auth_stage(metrics::Stage::auth);
  AuthResult result = auth_.authenticate(req.authorization, now_seconds_());
  switch (result.status) {
    case AuthStatus::ok:
      identity_ = std::move(result.identity);
      return true;
    case AuthStatus::missing:
      write_status(Status::error(StatusCode::unauthenticated, "Not authenticated"), res);
      return false;
    case AuthStatus::invalid:
      log_line(LogLevel::info, "token rejected",
               {{"request_id", req.request_id}, {"reason", result.reason}});
      write_status(Status::error(StatusCode::invalid_token, "Invalid or expired token"), res);
      return false;
    case AuthStatus::unavailable:
      log_warn("no verification keys", {{"request_id", req.request_id}, {"reason", result.reason}});
      write_status(
          Status::retry_after(StatusCode::unavailable, "Authentication keys are unavailable", 5),
          res);
      return false;
  }
  return false;
}

// API.md §1: a request with a body must be JSON (415), at most MAX_BODY_BYTES (413).
bool Dispatcher::check_body_headers(const Request& req, Response& res) const {
  bool may_have_body =
      req.method == Method::post || req.method == Method::put || req.method == Method::patch;
  if (!may_have_body) return true;
  // PATCH .../complete without a body toggles: no Content-Type needed for nothing.
  bool body_optional = endpoint_spec(route_.endpoint)->body == BodyPolicy::json_optional;
  bool has_body = req.content_length > 0 || req.body_too_large;
  if (has_body || !body_optional) {
    if (!is_json_content_type(req.content_type, req.method == Method::patch)) {
      write_status(Status::error(StatusCode::unsupported_media_type,
                                 "Content-Type must be application/json"),
                   res);
      return false;
    }
  }
  if (req.body_too_large) {
    write_status(Status::error(StatusCode::payload_too_large,
                               "Request body is larger than " +
                                   std::to_string(config_.max_body_bytes) + " bytes"),
                 res);
    return false;
  }
  return true;
}

bool Dispatcher::origin_allowed(const std::string& origin) const {
  if (origin.empty()) return false;
  for (const auto& allowed : config_.cors_origins) {
    if (allowed == origin) return true;
  }
  return false;
}

void Dispatcher::add_cors(const Request& req, Response& res) const {
  if (!origin_allowed(req.origin)) return;
  res.add_header("Access-Control-Allow-Origin", req.origin);
  res.add_header("Vary", "Origin");
  res.add_header("Access-Control-Expose-Headers", "ETag, Location, X-Request-Id, X-Total-Count");
}

void Dispatcher::preflight(const Request& req, Response& res) const {
  res.status = 204;
  res.add_header("Allow", std::string(allow_header(route_.endpoint)));
  if (!origin_allowed(req.origin)) return;
  res.add_header("Access-Control-Allow-Methods", std::string(allow_header(route_.endpoint)));
  res.add_header("Access-Control-Allow-Headers",
                 "Authorization, Content-Type, If-Match, If-None-Match");
  res.add_header("Access-Control-Max-Age", "600");
}

void set_db_error(RequestContext& ctx, const DbResult& result) {
  switch (result.status) {
    case DbStatus::unavailable:
      log_warn("database unavailable", {{"request_id", ctx.req.request_id},
                                        {"sqlstate", result.sqlstate},
                                        {"error", result.message}});
      write_status(Status::retry_after(StatusCode::unavailable,
                                       "The database is unavailable; retry shortly", 1),
                   ctx.res);
      return;
    case DbStatus::invalid:
      log_info("database rejected a value", {{"request_id", ctx.req.request_id},
                                             {"sqlstate", result.sqlstate},
                                             {"error", result.message}});
      write_status(Status::invalid("A value is out of range", {}), ctx.res);
      return;
    default:
      log_error("database error", {{"request_id", ctx.req.request_id},
                                   {"sqlstate", result.sqlstate},
                                   {"error", result.message}});
      write_status(Status::internal(), ctx.res);
      return;
  }
}
