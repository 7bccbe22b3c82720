// The JSON of a task (API.md §3), rendered by the worker from a typed Task. The
// bytes are exactly what PostgreSQL's old rendering produced (to_json for
// strings, to_char for timestamps; tests/integration/test_render_oracle.py keeps
// that SQL as the oracle). Pure code.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/task_store.h"

// Appends `text` as a JSON string escaped like PostgreSQL's escape_json (to_json):
// `"` `\` \b \f \n \r \t by name, other bytes below 0x20 as \u00xx (lowercase
// hex); everything else verbatim (`/`, DEL, U+2028, any non-ASCII).
void append_pg_json_string(std::string& out, std::string_view text);

// Appends `"YYYY-MM-DDTHH:MM:SS.mmmZ"` for µs since 2000-01-01 UTC, like
// to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'): sub-millisecond
// digits are dropped toward the past (floor, also before 2000), years before 1
// print as to_char's YYYY does (1 BC -> 0001), years past 9999 in full.
void append_timestamp(std::string& out, std::int64_t pg_us);

// Appends the canonical lowercase 8-4-4-4-12 text of a 16-byte UUID.
void append_uuid(std::string& out, const std::array<unsigned char, 16>& id);

// Appends the task object, keys in API.md §3 order.
void append_task_json(std::string& out, const Task& task);
