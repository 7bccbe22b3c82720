// Query-string parsing for the list and bulk-delete routes (API.md §4 "List query
// parameters" and the aliases of §5). Pure code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/contract.h"
#include "core/status.h"
#include "core/task.h"

// Accepts the aliases `search` (= q), `sort_by` (= sort), `order` (asc|desc), the
// sort aliases `created`, `due_date` and the status aliases `active` (= pending),
// `done` (= completed). Unknown parameters or bad values -> 400 naming the parameter
// (as sent, made printable) in errors()[0].field.
Status parse_list_query(std::string_view query_string, ListQuery& out);

// DELETE /api/tasks?completed=true. `completed` absent or false -> 422, other bad
// values or unknown parameters -> 400.
Status parse_bulk_delete_query(std::string_view query_string);
