// Parsing and validation of task request bodies (API.md §1 and §3). Pure code:
// bytes in, a validated TaskInput or the contract's error out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http.h"

enum class BodyMode {
  create,   // POST: title required, omitted fields take defaults
  replace,  // PUT: like create — omitted optional fields go back to their defaults
  patch,    // PATCH: JSON merge patch — only present fields change
};

// A field that may be absent (patch), present with a value, or present as null.
template <class T>
struct Field {
  bool present = false;
  std::optional<T> value;  // nullopt with present == true means JSON null
};

struct TaskInput {
  Field<std::string> title;        // trimmed, 1..200 code points
  Field<std::string> description;  // <= 2000 code points; null allowed
  Field<bool> completed;
  Field<std::string> priority;  // "low" | "medium" | "high"
  Field<std::string> due_at;    // normalized RFC 3339 text PostgreSQL parses exactly; null allowed
  Field<std::vector<std::string>> tags;  // trimmed, deduplicated case-insensitively, <= 20

  // For create/replace the parser fills every absent field with its default, so
  // all fields are `present` afterwards.
};

enum class BodyStatus {
  ok,
  bad_request,        // 400: invalid JSON, invalid UTF-8, top level not an object
  validation_failed,  // 422: `errors` lists every failing field
};

struct BodyResult {
  BodyStatus status = BodyStatus::ok;
  std::string detail;              // human message for 400/422
  std::vector<FieldError> errors;  // 422 only
};

BodyResult parse_task_body(std::string_view body, BodyMode mode, TaskInput& out);

// PATCH .../complete: empty body (or only whitespace) -> toggle (`set` stays nullopt);
// {"completed": true|false} -> set. Anything else is 400/422 as above.
BodyResult parse_complete_body(std::string_view body, std::optional<bool>& set);

// The tags as a JSON array text, e.g. ["home","errands"] (for a jsonb/text[] parameter).
std::string tags_to_json(const std::vector<std::string>& tags);
