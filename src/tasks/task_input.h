// Parsing and validation of task request bodies (API.md §1 and §3). Pure code:
// bytes in, a validated TaskInput or the contract's error out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/task.h"

enum class BodyMode {
  create,   // POST: title required, omitted fields take defaults
  replace,  // PUT: like create — omitted optional fields go back to their defaults
  patch,    // PATCH: JSON merge patch — only present fields change
};

// How a route reads request bodies (API.md §1 and §5). The fields we know, and
// their aliases (`is_completed`, `due_date`), are validated the same way in both.
enum class BodyDialect {
  strict,   // /api/tasks (and its /api/todos, /api/v1 aliases): unknown and read-only fields -> 422
  fastapi,  // /api/{user_id}/tasks...: unknown and read-only fields are ignored, as pydantic
            // does, and PUT updates only the fields it carries (see put_mode)
};

// PUT is a full replace on the strict routes; in the FastAPI dialect it updates only
// the fields it carries, with PATCH's rules (`null` clears description/due_at, and
// is 422 for every other field).
constexpr BodyMode put_mode(BodyDialect dialect) {
  return dialect == BodyDialect::fastapi ? BodyMode::patch : BodyMode::replace;
}

// Ok, or 400 (invalid JSON, invalid UTF-8, top level not an object) or 422 with
// every failing field in errors(). `out` is written only on success.
Status parse_task_body(std::string_view body, BodyMode mode, TaskInput& out,
                       BodyDialect dialect = BodyDialect::strict);

// PATCH .../complete (and .../toggle): empty body (or only whitespace) -> toggle
// (`set` stays nullopt); {"completed": true|false} (or `is_completed`) -> set; `{}`
// toggles too. Other members are 422 in the strict dialect and ignored in the
// FastAPI one. Anything else is 400/422 as above.
Status parse_complete_body(std::string_view body, std::optional<bool>& set,
                           BodyDialect dialect = BodyDialect::strict);
