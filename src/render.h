// Pure helpers of the task handlers: task-id syntax, entity tags (ETag, If-Match,
// If-None-Match), PostgreSQL array literals, and the response envelopes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http.h"

// A task id is a UUID in its canonical text form, 8-4-4-4-12 hex digits (either
// case). Anything else is "Task not found" without asking the database.
bool is_uuid(std::string_view text);

// Conditional requests (RFC 9110 §13.1). Our entity tags are "<version>".
//   If-Match: `*` or a list of entity tags. W/"3" is accepted like "3": nginx weakens
//   a strong ETag when it compresses, and clients echo what they received. Tags that
//   are not a version number are ignored; a header with no usable tag matches nothing.
//   absent -> no condition; any (`*`) -> the task must exist (it must anyway);
//   list -> `pg_array` is the integer array literal of acceptable versions, "{2,3}",
//   possibly "{}" (matches nothing: 412 when the task exists).
enum class IfMatch { absent, any, list };
IfMatch parse_if_match(std::string_view header, std::string& pg_array);
// The same, as the list of acceptable versions (empty for absent and `*`).
IfMatch parse_if_match(std::string_view header, std::vector<std::int32_t>& versions);

// If-None-Match on GET (weak comparison): true when `*` or one of the listed tags,
// W/ or not, is "<version>". False for an empty header.
bool if_none_match_hits(std::string_view header, std::string_view version);

// Appends `"<version>"` (the ETag header value).
void append_etag(std::string& out, std::string_view version);

// Appends a PostgreSQL text[] literal: {"a","b \"c\""} (every element quoted, so
// commas, braces, spaces and the word NULL stay data).
void append_pg_text_array(std::string& out, const std::vector<std::string>& items);

// Success bodies: {"data":<json>} on canonical routes, the bare JSON on the
// compatibility routes (API.md §5).
void set_data(Response& res, int status, std::string_view json, bool bare);
