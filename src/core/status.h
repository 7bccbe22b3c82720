// The one error value of every layer (LevelDB's Status is the model): ok, or a
// domain code with a human message, the failing fields and, for the codes that
// promise a retry, how long to wait. Parsers, auth, the store and the handlers
// return it; nothing here knows HTTP: http/status_http.h is the one place that
// turns a Status into a status line, the API.md §1 body and its headers. An ok
// Status is a null pointer: returning success allocates nothing.
//
// A new failure mode is one value of StatusCode and one row of kStatusCodes
// (status.cpp) and of http/status_http.cpp's table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct FieldError {
  std::string field;
  std::string message;
};

enum class StatusCode : std::uint8_t {
  ok,
  bad_request,             // malformed: JSON syntax, UTF-8, a query parameter
  unauthenticated,         // no credentials, or another scheme than Bearer
  invalid_token,           // credentials present but rejected
  forbidden,               // authenticated, but not this path's user
  not_found,               // no such route or object (for this user)
  method_not_allowed,      // a known route, another method
  conflict,                // the same write is still running (Idempotency-Key)
  gone,                    // a sync cursor past the horizon, or of another database
  precondition_failed,     // If-Match names none of the object's versions
  payload_too_large,       // a body over MAX_BODY_BYTES
  unsupported_media_type,  // a body that is not JSON
  invalid,                 // field errors (validation_failed)
  quota_exceeded,          // a create past a per-user quota
  idempotency_key_reused,  // the key came with another request
  too_many_requests,       // past the per-user rate (retry after)
  internal,                // a bug or an unexpected database error: details in the log only
  unavailable,             // the database or the keys cannot be reached now (retry after)
  outcome_unknown,         // a write was sent and its answer lost: retry with its key
};
inline constexpr int kStatusCodeCount = static_cast<int>(StatusCode::outcome_unknown) + 1;

class Status {
 public:
  Status() = default;  // ok
  Status(const Status& other)
      : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  static Status error(StatusCode code, std::string message, std::vector<FieldError> errors = {});
  // unavailable and too_many_requests: the client may retry after `seconds`.
  static Status retry_after(StatusCode code, std::string message, int seconds);

  static Status invalid(std::string message, std::vector<FieldError> errors) {
    return error(StatusCode::invalid, std::move(message), std::move(errors));
  }
  static Status bad_request(std::string message, std::vector<FieldError> errors = {}) {
    return error(StatusCode::bad_request, std::move(message), std::move(errors));
  }
  static Status not_found(std::string message) {
    return error(StatusCode::not_found, std::move(message));
  }
  static Status internal() { return error(StatusCode::internal, "Internal server error"); }

  bool ok() const { return state_ == nullptr; }
  StatusCode kind() const { return state_ ? state_->code : StatusCode::ok; }
  // API.md §1's machine code ("validation_failed", ...); "" when ok.
  std::string_view code() const { return status_code_name(kind()); }
  const std::string& message() const;             // "" when ok
  const std::vector<FieldError>& errors() const;  // empty unless field errors
  int retry_after_seconds() const { return state_ ? state_->retry_after : 0; }

  static std::string_view status_code_name(StatusCode code);

 private:
  struct State {
    StatusCode code = StatusCode::internal;
    int retry_after = 0;
    std::string message;
    std::vector<FieldError> errors;
  };
  std::unique_ptr<State> state_;
};
