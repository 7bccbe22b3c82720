#include "api/user_rate_limit.h"

#include <string>

#include "http/status_http.h"
#include "ops/metrics.h"
#include "ops/shared_state.h"
#include "util/clock.h"

bool admit_user(const Config& config, std::string_view user_id, Response& res) {
  SharedState* s = shared_state();
  if (config.user_rate_limit == 0 || s == nullptr) return true;
  std::int64_t now_ns = monotonic_ns();
  RateDecision d = rate_limit_check(s->limiter, rate_limit_key(user_id, shared_key_seed()), now_ns,
                                    config.user_rate_limit, config.user_rate_burst);
  if (d.failed_open) metrics::count(metrics::Counter::rate_limit_fail_open);
  if (d.allowed) return true;
  metrics::count(metrics::Counter::rate_limited);
  write_status(Status::retry_after(
                   StatusCode::too_many_requests,
                   "Too many requests; retry after " + std::to_string(d.retry_after_seconds) + " s",
                   d.retry_after_seconds),
               res);
  return false;
}
