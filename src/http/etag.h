// Entity tags of conditional requests (RFC 9110 §13.1): reading If-Match and
// If-None-Match (tasks.cpp writes the ETag). Our entity tags are "<version>". Pure code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// If-Match: `*` or a list of entity tags. W/"3" is accepted like "3": nginx weakens
// a strong ETag when it compresses, and clients echo what they received. Tags that
// are not a version number are ignored; a header with no usable tag matches nothing.
//   absent -> no condition; any (`*`) -> the task must exist (it must anyway);
//   list -> `versions` lists the acceptable versions, possibly none (matches
//   nothing: 412 when the task exists).
enum class IfMatch { absent, any, list };
IfMatch parse_if_match(std::string_view header, std::vector<std::int32_t>& versions);

// If-None-Match on GET (weak comparison): true when `*` or one of the listed tags,
// W/ or not, is "<version>". False for an empty header.
bool if_none_match_hits(std::string_view header, std::string_view version);
