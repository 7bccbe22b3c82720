// The domain types (API.md §3, §4): what the parsers produce, the store speaks and
// the renderers read. Plain structs; nothing of libpq or HTTP.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/contract.h"

// A field that may be absent (patch), present with a value, or present as null.
template <class T>
struct Field {
  bool present = false;
  std::optional<T> value;  // nullopt with present == true means JSON null
};

struct TaskInput {
  Field<std::string> title;        // trimmed, 1..200 code points
  Field<std::string> description;  // <= 2000 code points; null allowed
  Field<bool> completed;           // also spelled `is_completed`
  Field<std::string> priority;     // "low" | "medium" | "high"
  Field<std::string> due_at;       // also `due_date`; RFC 3339 or a date alone, normalized to UTC
                                   // text PostgreSQL parses exactly; null allowed
  Field<std::vector<std::string>> tags;  // trimmed, deduplicated case-insensitively, <= 20

  // For create/replace the parser fills every absent field with its default, so
  // all fields are `present` afterwards.
};

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

// A task as stored (API.md §3). Timestamps are µs since 2000-01-01 UTC, PostgreSQL's
// own epoch: its whole range (4713 BC .. 294276 AD) fits an int64 only that way.
struct Task {
  static constexpr std::size_t kMaxTags = contract::kMaxTags;  // enforced by a CHECK too
  std::array<unsigned char, 16> id{};
  std::string_view title;
  std::optional<std::string_view> description;
  bool completed = false;
  std::string_view priority;  // "low" | "medium" | "high"
  std::optional<std::int64_t> due_at;
  std::array<std::string_view, kMaxTags> tags{};
  std::size_t tag_count = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> completed_at;
  std::int32_t version = 0;
};

// Who writes. `email` is the token's claim, nullptr when it has none.
struct StoreUser {
  std::string_view id;
  const std::string* email = nullptr;
};

// If-Match: `active` false means no condition (absent or `*`); otherwise the
// task's version must be one of `versions` (possibly none: always 412).
struct VersionCondition {
  bool active = false;
  std::vector<std::int32_t> versions;
};
