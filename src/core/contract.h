// The contract's limits and enums (API.md §3 and §4), in one place. Body
// validation (task_input.cpp), the list parser (list_query.cpp), the store
// (pg_task_store.cpp), JWT claims (jwt.cpp) and the tests read them from here.
// sql/001_init.sql repeats them as CHECK constraints, and docs/openapi.json as
// maxLength/maxItems/enum: tests/unit/test_contract.cpp parses both and fails
// when either drifts from this header.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace contract {

// Task fields (API.md §3). Lengths are in Unicode code points, as char_length()
// counts them in PostgreSQL.
inline constexpr std::size_t kTitleMaxChars = 200;  // and at least 1, after trimming
inline constexpr std::size_t kDescriptionMaxChars = 2000;
inline constexpr std::size_t kTagMaxChars = 50;  // and at least 1, after trimming
inline constexpr std::size_t kMaxTags = 20;      // distinct, case-insensitively

// Priorities in sort order (the declaration order of todo.task_priority).
inline constexpr std::array<std::string_view, 3> kPriorities = {"low", "medium", "high"};
// A literal, so .data() is NUL-terminated (a libpq text parameter).
inline constexpr std::string_view kDefaultPriority = "medium";

constexpr bool is_priority(std::string_view p) {
  for (std::string_view known : kPriorities) {
    if (p == known) return true;
  }
  return false;
}

// GET /api/tasks (API.md §4).
inline constexpr int kPageLimitMin = 1;
inline constexpr int kPageLimitMax = 100;
inline constexpr int kPageLimitDefault = 50;
inline constexpr int kMaxOffset = 100000;               // deeper pages: narrow the filter instead
inline constexpr std::size_t kQueryTextMaxChars = 200;  // q=
// tag= filters by one tag: the same bound as a stored tag.
inline constexpr std::size_t kTagFilterMaxChars = kTagMaxChars;

// The JWT `sub`, stored as todo.users.id (octet_length between 1 and 255).
inline constexpr std::size_t kUserIdMaxBytes = 255;

}  // namespace contract
