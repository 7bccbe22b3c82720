#include "status.h"

#include <utility>

namespace {

const std::string kEmpty;
const std::vector<FieldError> kNoErrors;

}  // namespace

Status Status::error(int http, std::string message, std::vector<FieldError> errors) {
  Status s;
  s.state_ = std::make_unique<State>(State{http, {}, std::move(message), std::move(errors)});
  return s;
}

Status Status::coded(int http, std::string_view code, std::string message) {
  Status s;
  s.state_ = std::make_unique<State>(State{http, std::string(code), std::move(message), {}});
  return s;
}

std::string_view Status::code() const {
  if (!state_) return {};
  return state_->code.empty() ? error_code_for(state_->http) : std::string_view(state_->code);
}

const std::string& Status::message() const {
  return state_ ? state_->message : kEmpty;
}

const std::vector<FieldError>& Status::errors() const {
  return state_ ? state_->errors : kNoErrors;
}

void Status::write_to(Response& res) const {
  if (!state_) return;
  if (state_->code.empty()) {
    set_error(res, state_->http, state_->message, state_->errors);
  } else {
    set_coded_error(res, state_->http, state_->code, state_->message);
  }
}
