// Health endpoints (API.md §4) and the OpenAPI document: no authentication.
#include <string_view>

#include "tasks/handlers.h"

std::string_view openapi_document();  // generated from docs/openapi.json at build time

namespace {

// A load balancer's check must get its answer in under a second whatever the
// database does (frozen, black-holed): connecting and the ping share this budget.
constexpr int kHealthBudgetMs = 700;

void render_health(Response& res, bool database_ok) {
  res.status = database_ok ? 200 : 503;
  res.body = database_ok ? R"({"status":"ok","database":"ok","version":")"
                         : R"({"status":"unavailable","database":"unreachable","version":")";
  res.body += TODO_API_VERSION;
  res.body += "\"}";
  if (!database_ok) res.add_header("Retry-After", "1");
}

}  // namespace

void handle_health(RequestContext& ctx) {
  render_health(ctx.res, ctx.db.ping(kHealthBudgetMs));
}

void handle_health_live(RequestContext& ctx) {
  ctx.res.status = 200;
  ctx.res.body = R"({"status":"ok","version":")" TODO_API_VERSION "\"}";
}

void handle_openapi(RequestContext& ctx) {
  ctx.res.status = 200;
  ctx.res.body.assign(openapi_document());
}
