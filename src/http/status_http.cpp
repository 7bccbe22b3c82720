#include "http/status_http.h"

#include <array>
#include <string>

namespace {

// HTTP statuses, in StatusCode order.
constexpr std::array<int, kStatusCodeCount> kHttpStatuses = {
    200, 400, 401, 401, 403, 404, 405, 409, 410, 412, 413, 415, 422, 422, 422, 429, 500, 503, 504,
};

}  // namespace

int http_status_of(StatusCode code) {
  return kHttpStatuses[static_cast<std::size_t>(code)];
}

void write_status(const Status& s, Response& res) {
  if (s.ok()) return;
  write_error_body(res, http_status(s), s.code(), s.message(), s.errors());
  switch (s.kind()) {
    case StatusCode::unauthenticated:
      res.add_header("WWW-Authenticate", "Bearer");
      break;
    case StatusCode::invalid_token:
      res.add_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      break;
    default:
      break;
  }
  if (s.retry_after_seconds() > 0) {
    res.add_header("Retry-After", std::to_string(s.retry_after_seconds()));
  }
}
