// libFuzzer target for the body parsers (task_input.h). Not part of the CMake
// build; see fuzz/build.sh. Besides "never crashes", it checks the parser's
// promises on every accepted input and aborts when one is broken.
#include <cjson/cJSON.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/contract.h"
#include "http/http.h"
#include "http/status_http.h"
#include "tasks/task_input.h"
#include "util/c_handles.h"
#include "util/rfc3339.h"
#include "util/utf8.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// The tags as a JSON array, rendered with append_json_string (http.h) as task_json.cpp does.
std::string tags_json(const std::vector<std::string>& tags) {
  std::string out = "[";
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, tags[i]);
  }
  out += ']';
  return out;
}

void check_text(const std::string& s, std::size_t min, std::size_t max, bool allow_newlines) {
  check(utf8_valid(s));
  check(utf8_length(s) >= min && utf8_length(s) <= max);
  check(!utf8_has_control(s, allow_newlines ? "\n\r\t" : ""));
}

void check_input(const TaskInput& in, BodyMode mode) {
  if (mode != BodyMode::patch) {
    check(in.title.present && in.description.present && in.completed.present &&
          in.priority.present && in.due_at.present && in.tags.present);
    check(in.title.value && in.completed.value && in.priority.value && in.tags.value);
  }
  if (in.title.present) {
    check(in.title.value.has_value());
    check_text(*in.title.value, 1, contract::kTitleMaxChars, false);
    check(utf8_trim(*in.title.value) == *in.title.value);
  }
  if (in.description.value)
    check_text(*in.description.value, 0, contract::kDescriptionMaxChars, true);
  if (in.priority.present) {
    const std::string& p = in.priority.value.value();
    check(p == "low" || p == "medium" || p == "high");
  }
  if (in.due_at.value) {
    std::string again;
    check(parse_rfc3339(*in.due_at.value, again) && again == *in.due_at.value);
  }
  if (in.tags.value) {
    check(in.tags.value->size() <= contract::kMaxTags);
    for (const std::string& t : *in.tags.value) check_text(t, 1, contract::kTagMaxChars, false);
    std::string json = tags_json(*in.tags.value);
    JsonPtr parsed{cJSON_ParseWithLength(json.c_str(), json.size())};
    check(parsed && cJSON_GetArraySize(parsed.get()) == static_cast<int>(in.tags.value->size()));
  }
}

template <class T>
bool same(const Field<T>& a, const Field<T>& b) {
  return a.present == b.present && a.value == b.value;
}

bool same(const TaskInput& a, const TaskInput& b) {
  return same(a.title, b.title) && same(a.description, b.description) &&
         same(a.completed, b.completed) && same(a.priority, b.priority) &&
         same(a.due_at, b.due_at) && same(a.tags, b.tags);
}

void check_result(const Status& r) {
  check(((http_status(r) == 422)) == !r.errors().empty());
  check(r.ok() || !r.message().empty());
  check(r.errors().size() <= 100);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto mode = static_cast<BodyMode>(data[0] % 3);
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  TaskInput in;
  Status r = parse_task_body(body, mode, in);
  check_result(r);
  if (r.ok()) check_input(in, mode);
  // Accepted bodies are valid UTF-8 JSON objects.
  if (http_status(r) != 400) check(utf8_valid(body));

  // The FastAPI dialect only ignores members: it accepts everything the strict one
  // does, with the same result, and the same bodies are 400.
  TaskInput lenient;
  Status l = parse_task_body(body, mode, lenient, BodyDialect::fastapi);
  check_result(l);
  if (l.ok()) check_input(lenient, mode);
  check(((l.http() == 400)) == ((r.http() == 400)));
  if (r.ok()) check(l.ok() && same(in, lenient));

  std::optional<bool> set;
  Status c = parse_complete_body(body, set);
  check_result(c);
  std::optional<bool> set_lenient;
  Status cl = parse_complete_body(body, set_lenient, BodyDialect::fastapi);
  check_result(cl);
  if (c.ok()) check(cl.ok() && set == set_lenient);

  // The escaper must turn arbitrary bytes into valid JSON.
  std::string json = tags_json({std::string(body)});
  check(utf8_valid(json));
  JsonPtr parsed{cJSON_ParseWithLength(json.c_str(), json.size())};
  check(parsed != nullptr && cJSON_IsArray(parsed.get()));

  std::string utc;
  if (parse_rfc3339(body, utc)) {
    std::string again;
    check(parse_rfc3339(utc, again) && again == utc);
  }
  // A date alone normalizes to a date-time the strict parser keeps as it is.
  std::string due;
  if (parse_rfc3339_or_date(body, due)) {
    std::string again;
    check(parse_rfc3339(due, again) && again == due);
  }
  return 0;
}
