// Query-string parsing for the list and bulk-delete routes (API.md §4 "List query
// parameters" and the aliases of §5). Pure code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "contract.h"
#include "status.h"

enum class SortKey { created_at, updated_at, due_at, priority, title };

struct ListQuery {
  std::optional<bool> completed;          // `completed`, or `status` (and its aliases)
  std::optional<std::string> priority;    // "low" | "medium" | "high"
  std::optional<std::string> tag;         // matched case-insensitively
  std::optional<std::string> q;           // <= kQueryTextMaxChars code points, matched literally
  std::optional<std::string> due_before;  // normalized RFC 3339
  std::optional<std::string> due_after;   // normalized RFC 3339
  bool overdue = false;
  SortKey sort = SortKey::created_at;
  bool descending = true;
  int limit = contract::kPageLimitDefault;
  int offset = 0;
};

// Accepts the aliases `search` (= q), `sort_by` (= sort), `order` (asc|desc), the
// sort aliases `created`, `due_date` and the status aliases `active` (= pending),
// `done` (= completed). Unknown parameters or bad values -> 400 naming the parameter
// (as sent, made printable) in errors()[0].field.
Status parse_list_query(std::string_view query_string, ListQuery& out);

// DELETE /api/tasks?completed=true. `completed` absent or false -> 422, other bad
// values or unknown parameters -> 400.
Status parse_bulk_delete_query(std::string_view query_string);
