// Task body validation (API.md §3). Decisions the contract leaves open:
//  - A key that appears twice in the body is a 422 "duplicate field" for that key
//    (JSON allows it, but which value wins would be a guess).
//  - Title and tags are trimmed first and then checked for control characters,
//    so a trailing "\n" or tab from a text area is trimmed, not an error.
//  - The description is stored as sent (not trimmed); "" is allowed.
//  - Tag duplicates are detected on the utf8_lower() key: ASCII, Latin-1, Latin
//    Extended-A, Greek and Cyrillic fold; other scripts compare exactly.
//  - At most kMaxErrors errors are listed (one per field, first reason wins), so a
//    hostile array of thousands of bad tags cannot blow up the response.
//  - Aliases (`is_completed` for `completed`, `due_date` for `due_at`) are fields of
//    their own for the duplicate rule; when both spellings are sent they must agree
//    after normalization (`due_date: "2026-12-01"` agrees with
//    `due_at: "2026-12-01T00:00:00Z"`), else the 422 names the alias.
//  - The FastAPI dialect ignores a member it does not know whatever its value, even
//    a repeated one, but validates every member it knows exactly like the strict
//    dialect: `due_date: ""` (an empty date input) is a 422, as it is for pydantic.
#include "tasks/task_input.h"

#include <cjson/cJSON.h>

#include <cstddef>
#include <unordered_set>
#include <utility>

#include "core/contract.h"
#include "util/c_handles.h"
#include "util/json_strict.h"
#include "util/rfc3339.h"
#include "util/text_util.h"
#include "util/utf8.h"

namespace {

constexpr std::size_t kMaxErrors = 100;
using contract::kDescriptionMaxChars;
using contract::kMaxTags;
using contract::kTagMaxChars;
using contract::kTitleMaxChars;

constexpr const char* kReadOnly[] = {"id",         "user_id",      "created_at",
                                     "updated_at", "completed_at", "version"};

void add_error(std::vector<FieldError>& errors, std::string field, std::string message) {
  if (errors.size() >= kMaxErrors) return;
  for (const FieldError& e : errors) {
    if (e.field == field) return;
  }
  errors.push_back({std::move(field), std::move(message)});
}

bool is_read_only(std::string_view key) {
  for (const char* name : kReadOnly) {
    if (key == name) return true;
  }
  return false;
}

Status bad_request(std::string detail) {
  return Status::bad_request(std::move(detail));
}

// Syntax, UTF-8 and "top level is an object" (400s) for every body route.
Status parse_object(std::string_view body, JsonPtr& root) {
  if (!utf8_valid(body)) return bad_request("The request body is not valid UTF-8.");
  std::string text(body);
  // cJSON needs the terminating NUL inside the length to reject trailing bytes.
  if (json_strict_prepare(text)) {
    root.reset(cJSON_ParseWithLengthOpts(text.c_str(), text.size() + 1, nullptr, true));
  }
  if (!root) return bad_request("The request body is not valid JSON.");
  if (!cJSON_IsObject(root.get())) return bad_request("The request body must be a JSON object.");
  return {};
}

// A text value: re-validated (decoded escapes), optionally trimmed, checked for
// control characters and length. Returns an error message, empty when valid.
std::string check_text(std::string_view raw, bool trim, std::size_t min, std::size_t max,
                       std::string_view allowed_controls, std::string& out) {
  if (!utf8_valid(raw)) return "must be valid Unicode text";
  std::string_view text = trim ? utf8_trim(raw) : raw;
  if (utf8_has_control(text, allowed_controls)) {
    return allowed_controls.empty()
               ? "must not contain control characters (U+0000-U+001F, U+007F-U+009F)"
               : "must not contain control characters other than line feed, carriage return "
                 "and tab";
  }
  std::size_t length = utf8_length(text);
  if (length < min) return "must not be empty";
  if (length > max) {
    return "must be at most " + std::to_string(max) + " characters (got " + std::to_string(length) +
           ")";
  }
  out.assign(text);
  return {};
}

void parse_title(const cJSON* v, const char* name, TaskInput& in, std::vector<FieldError>& errors) {
  if (cJSON_IsNull(v)) return add_error(errors, name, "must not be null: a task needs a title");
  if (!cJSON_IsString(v)) return add_error(errors, name, "must be a string");
  std::string value;
  std::string why = check_text(v->valuestring, true, 1, kTitleMaxChars, {}, value);
  if (!why.empty()) return add_error(errors, name, std::move(why));
  in.title = {true, std::move(value)};
}

void parse_description(const cJSON* v, const char* name, TaskInput& in,
                       std::vector<FieldError>& errors) {
  if (cJSON_IsNull(v)) {
    in.description = {true, std::nullopt};
    return;
  }
  if (!cJSON_IsString(v)) return add_error(errors, name, "must be a string or null");
  std::string value;
  std::string why = check_text(v->valuestring, false, 0, kDescriptionMaxChars, "\n\r\t", value);
  if (!why.empty()) return add_error(errors, name, std::move(why));
  in.description = {true, std::move(value)};
}

void parse_completed(const cJSON* v, const char* name, TaskInput& in,
                     std::vector<FieldError>& errors) {
  if (cJSON_IsNull(v)) return add_error(errors, name, "must not be null");
  if (!cJSON_IsBool(v)) return add_error(errors, name, "must be a boolean (true or false)");
  in.completed = {true, cJSON_IsTrue(v) != 0};
}

void parse_priority(const cJSON* v, const char* name, TaskInput& in,
                    std::vector<FieldError>& errors) {
  if (cJSON_IsNull(v)) return add_error(errors, name, "must not be null");
  std::string_view p = cJSON_IsString(v) ? v->valuestring : "";
  if (!contract::is_priority(p)) {
    return add_error(errors, name, "must be one of \"low\", \"medium\" or \"high\"");
  }
  in.priority = {true, std::string(p)};
}

void parse_due_at(const cJSON* v, const char* name, TaskInput& in,
                  std::vector<FieldError>& errors) {
  if (cJSON_IsNull(v)) {
    in.due_at = {true, std::nullopt};
    return;
  }
  constexpr const char* kExample =
      "must be an RFC 3339 date-time such as 2026-12-01T09:00:00Z or a date such as 2026-12-01";
  if (!cJSON_IsString(v)) return add_error(errors, name, std::string(kExample) + ", or null");
  std::string utc;
  const char* reason = nullptr;
  if (!parse_rfc3339_or_date(v->valuestring, utc, &reason)) {
    return add_error(errors, name, std::string(kExample) + " (" + reason + ")");
  }
  in.due_at = {true, std::move(utc)};
}

void parse_tags(const cJSON* v, const char* name, TaskInput& in, std::vector<FieldError>& errors) {
  if (cJSON_IsNull(v)) return add_error(errors, name, "must not be null (use [] for no tags)");
  if (!cJSON_IsArray(v)) return add_error(errors, name, "must be an array of strings");
  std::vector<std::string> tags;
  std::unordered_set<std::string> seen;  // utf8_lower() keys
  bool all_valid = true;
  int index = 0;
  for (const cJSON* item = v->child; item != nullptr; item = item->next, ++index) {
    std::string field = std::string(name) + "[" + std::to_string(index) + "]";
    std::string tag;
    std::string why = cJSON_IsString(item)
                          ? check_text(item->valuestring, true, 1, kTagMaxChars, {}, tag)
                          : std::string("must be a string");
    if (!why.empty()) {
      add_error(errors, std::move(field), std::move(why));
      all_valid = false;
    } else if (seen.insert(utf8_lower(tag)).second) {
      tags.push_back(std::move(tag));
    }
  }
  if (tags.size() > kMaxTags) {
    return add_error(errors, name,
                     "must contain at most " + std::to_string(kMaxTags) + " distinct tags (got " +
                         std::to_string(tags.size()) + ")");
  }
  if (all_valid) in.tags = {true, std::move(tags)};
}

struct FieldRule {
  const char* name;
  void (*parse)(const cJSON*, const char*, TaskInput&, std::vector<FieldError>&);
  const char* alias_of;  // the field this name is another spelling of, or nullptr
};

// `title` first: its bit in `seen` is the "title is required" check.
constexpr FieldRule kFields[] = {
    {"title", parse_title, nullptr},
    {"description", parse_description, nullptr},
    {"completed", parse_completed, nullptr},
    {"priority", parse_priority, nullptr},
    {"due_at", parse_due_at, nullptr},
    {"tags", parse_tags, nullptr},
    {"is_completed", parse_completed, "completed"},
    {"due_date", parse_due_at, "due_at"},
};
static_assert(std::size(kFields) <= 32, "one bit of `seen` per field");

struct BodyParse {
  TaskInput in;       // fields sent under their own names
  TaskInput aliased;  // fields sent under an alias, merged into `in` at the end
  unsigned seen = 0;  // bit i: kFields[i] was in the body
  std::vector<FieldError> errors;
};

int find_field(std::string_view key) {
  for (std::size_t i = 0; i < std::size(kFields); ++i) {
    if (key == kFields[i].name) return static_cast<int>(i);
  }
  return -1;
}

// The field kFields[i] sets: its own name, or the one it is another spelling of.
std::string_view field_of(int i) {
  return kFields[i].alias_of != nullptr ? kFields[i].alias_of : kFields[i].name;
}

void parse_field(const cJSON* item, int i, BodyParse& p) {
  const FieldRule& rule = kFields[i];
  if ((p.seen & (1u << i)) != 0) return add_error(p.errors, rule.name, "duplicate field");
  p.seen |= 1u << i;
  rule.parse(item, rule.name, rule.alias_of ? p.aliased : p.in, p.errors);
}

// A member no rule takes: pydantic's default in the FastAPI dialect is to ignore it.
void reject_member(std::string_view key, BodyDialect dialect, std::vector<FieldError>& errors,
                   const char* unknown = "unknown field") {
  if (dialect == BodyDialect::fastapi) return;
  add_error(errors, std::string(key), is_read_only(key) ? "read-only field" : unknown);
}

template <class T>
void merge_alias(Field<T>& field, const Field<T>& alias, const char* field_name,
                 const char* alias_name, std::vector<FieldError>& errors) {
  if (!alias.present) return;
  if (field.present && field.value != alias.value) {
    return add_error(errors, alias_name,
                     std::string("is another spelling of ") + field_name +
                         ", and the two disagree: send one, or the same value in both");
  }
  field = alias;
}

void merge_aliases(BodyParse& p) {
  merge_alias(p.in.completed, p.aliased.completed, "completed", "is_completed", p.errors);
  merge_alias(p.in.due_at, p.aliased.due_at, "due_at", "due_date", p.errors);
}

void fill_defaults(TaskInput& in) {
  if (!in.description.present) in.description = {true, std::nullopt};
  if (!in.completed.present) in.completed = {true, false};
  if (!in.priority.present) in.priority = {true, std::string(contract::kDefaultPriority)};
  if (!in.due_at.present) in.due_at = {true, std::nullopt};
  if (!in.tags.present) in.tags = {true, std::vector<std::string>{}};
}

Status validation_failed(std::vector<FieldError> errors) {
  std::string detail = errors.size() == 1 ? "1 field is invalid."
                                          : std::to_string(errors.size()) + " fields are invalid.";
  return Status::invalid("Validation failed: " + detail, std::move(errors));
}

}  // namespace

Status parse_task_body(std::string_view body, BodyMode mode, TaskInput& out, BodyDialect dialect) {
  JsonPtr root;
  if (Status s = parse_object(body, root); !s.ok()) return s;

  BodyParse p;
  for (const cJSON* item = root->child; item != nullptr; item = item->next) {
    int i = find_field(item->string);
    if (i >= 0) {
      parse_field(item, i, p);
    } else {
      reject_member(item->string, dialect, p.errors);
    }
  }
  merge_aliases(p);
  if (mode != BodyMode::patch) {
    if ((p.seen & 1u) == 0) add_error(p.errors, "title", "is required");
    fill_defaults(p.in);
  }
  if (!p.errors.empty()) return validation_failed(std::move(p.errors));
  out = std::move(p.in);
  return {};
}

Status parse_complete_body(std::string_view body, std::optional<bool>& set, BodyDialect dialect) {
  std::size_t i = 0;
  while (i < body.size() && is_json_space(body[i])) ++i;
  if (i == body.size()) {  // no body: toggle
    set.reset();
    return {};
  }
  JsonPtr root;
  if (Status s = parse_object(body, root); !s.ok()) return s;

  // `{}` carries no instruction, like an empty body: it toggles.
  BodyParse p;
  for (const cJSON* item = root->child; item != nullptr; item = item->next) {
    int field = find_field(item->string);
    if (field >= 0 && field_of(field) == "completed") {
      parse_field(item, field, p);
    } else {
      reject_member(item->string, dialect, p.errors,
                    "unknown field (this route accepts only \"completed\")");
    }
  }
  merge_aliases(p);
  if (!p.errors.empty()) return validation_failed(std::move(p.errors));
  set = p.in.completed.value;
  return {};
}
