// The one error value of the request path (LevelDB's Status is the model): ok, or
// an HTTP status with API.md §1's machine code, a human message and the failing
// fields. Parsers (task_input, list_query) return it, handlers turn a failed one
// into the response with write_to(). An ok Status is a null pointer: returning
// success allocates nothing.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http.h"

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

  // `http` is 4xx/5xx; the machine code is the one API.md §1 gives that status.
  static Status error(int http, std::string message, std::vector<FieldError> errors = {});
  // The same with a specific machine code (e.g. 422 "quota_exceeded").
  static Status coded(int http, std::string_view code, std::string message);

  bool ok() const { return state_ == nullptr; }
  int http() const { return state_ ? state_->http : 200; }
  std::string_view code() const;                  // "" when ok
  const std::string& message() const;             // "" when ok
  const std::vector<FieldError>& errors() const;  // empty unless a validation failure

  // The API.md §1 error body and status into `res` (nothing when ok).
  void write_to(Response& res) const;

 private:
  struct State {
    int http = 500;
    std::string code;  // empty: derived from `http`
    std::string message;
    std::vector<FieldError> errors;
  };
  std::unique_ptr<State> state_;
};
