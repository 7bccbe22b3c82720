// Endpoint handlers. The dispatcher (dispatch.cpp) has already checked, in the
// order of API.md §1: route, method, authentication, path user, content type and
// body size. A handler parses the body and query, runs at most one statement,
// and renders the response.
#pragma once

#include "auth/auth.h"
#include "core/config.h"
#include "http/http.h"
#include "http/router.h"
#include "store/db.h"
#include "store/task_store.h"

struct RequestContext {
  const Config& config;
  Database& db;      // health checks only; task data goes through `store`
  TaskStore& store;  // PgTaskStore in production, a fake in in-process tests
  const Request& req;
  Response& res;
  const RouteMatch& route;
  const Identity& identity;  // empty user_id on unauthenticated routes
};

void handle_health(RequestContext& ctx);  // health and health_ready
void handle_health_live(RequestContext& ctx);
void handle_openapi(RequestContext& ctx);
void handle_me(RequestContext& ctx);
void handle_task_collection(RequestContext& ctx);  // GET list, POST create, DELETE bulk
void handle_task_item(RequestContext& ctx);        // GET, PUT, PATCH, DELETE one task
void handle_task_complete(RequestContext& ctx);    // PATCH .../complete
void handle_status(RequestContext& ctx);           // GET /status[?full] (ops_endpoints.cpp)
void handle_metrics(RequestContext& ctx);          // GET /metrics

// Sets 503 (database unavailable), 422 or 500 from a failed DbResult, logging the
// details under the request id. Never shows internals to the client.
void set_db_error(RequestContext& ctx, const DbResult& result);
