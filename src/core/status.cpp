#include "core/status.h"

#include <array>
#include <utility>

namespace {

const std::string kEmpty;
const std::vector<FieldError> kNoErrors;

// API.md §1's machine codes, in StatusCode order.
constexpr std::array<std::string_view, kStatusCodeCount> kStatusCodes = {
    "",
    "bad_request",
    "unauthorized",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "gone",
    "precondition_failed",
    "payload_too_large",
    "unsupported_media_type",
    "validation_failed",
    "quota_exceeded",
    "idempotency_key_reused",
    "too_many_requests",
    "internal_error",
    "service_unavailable",
    "outcome_unknown",
};

}  // namespace

Status Status::error(StatusCode code, std::string message, std::vector<FieldError> errors) {
  Status s;
  s.state_ = std::make_unique<State>(State{code, 0, std::move(message), std::move(errors)});
  return s;
}

Status Status::retry_after(StatusCode code, std::string message, int seconds) {
  Status s = error(code, std::move(message));
  s.state_->retry_after = seconds;
  return s;
}

std::string_view Status::status_code_name(StatusCode code) {
  return kStatusCodes[static_cast<std::size_t>(code)];
}

const std::string& Status::message() const {
  return state_ ? state_->message : kEmpty;
}

const std::vector<FieldError>& Status::errors() const {
  return state_ ? state_->errors : kNoErrors;
}
