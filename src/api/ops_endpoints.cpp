// GET /status and GET /metrics: the scoreboard, answered by whichever worker nginx
// reaches. No authentication here: the nginx site exposes them to loopback only,
// and they hold no token, user id or task content.
#include <string_view>

#include "api/status_report.h"
#include "http/status_http.h"
#include "ops/shared_state.h"
#include "tasks/handlers.h"

namespace {

// php-fpm's query: `?full` (also with `json`, `html`... which change nothing here).
bool wants_full(std::string_view query) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    if (item.substr(0, item.find('=')) == "full") return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

const SharedState* state_or_503(RequestContext& ctx) {
  const SharedState* s = shared_state();
  if (s == nullptr)
    write_status(Status::error(StatusCode::unavailable, "No scoreboard in this process"), ctx.res);
  return s;
}

}  // namespace

void handle_status(RequestContext& ctx) {
  const SharedState* s = state_or_503(ctx);
  if (s == nullptr) return;
  ctx.res.status = 200;
  render_status_json(*s, wants_full(ctx.req.query), unix_ms_now(), ctx.res.body);
}

void handle_metrics(RequestContext& ctx) {
  const SharedState* s = state_or_503(ctx);
  if (s == nullptr) return;
  ctx.res.status = 200;
  ctx.res.content_type = kMetricsContentType;
  render_metrics(*s, ctx.res.body);
}
