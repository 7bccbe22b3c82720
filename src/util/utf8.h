// Strict UTF-8 (RFC 3629) and the few Unicode properties the validators need.
// Pure code, no allocation except where a std::string is returned.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// True when `text` is well-formed UTF-8: shortest form only (no overlongs), no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF. The empty string is valid.
bool utf8_valid(std::string_view text);

// Decodes the code point starting at `pos` and advances `pos` past it. On a
// malformed sequence returns false and leaves `pos` and `cp` unchanged.
bool utf8_next(std::string_view text, std::size_t& pos, char32_t& cp);

// Appends the UTF-8 encoding of `cp` (which must be a scalar value).
void utf8_append(std::string& out, char32_t cp);

// Number of code points in valid UTF-8 `text` (counts lead bytes).
std::size_t utf8_length(std::string_view text);

// Unicode White_Space property (Unicode 15 PropList.txt, all 25 code points).
bool unicode_is_white_space(char32_t cp);

// General category Cc: C0 controls, DEL and the C1 controls U+0080..U+009F.
bool unicode_is_control(char32_t cp);

// `text` (valid UTF-8) without leading and trailing White_Space.
std::string_view utf8_trim(std::string_view text);

// True when valid UTF-8 `text` contains a Cc character other than those in
// `allowed` (ASCII only, e.g. "\n\r\t").
bool utf8_has_control(std::string_view text, std::string_view allowed = {});

// Unicode simple lowercase mapping for ASCII, Latin-1, Latin Extended-A, Greek
// and Cyrillic (U+0400..U+052F); every other code point maps to itself. Used as
// the key for case-insensitive comparison. `text` must be valid UTF-8.
std::string utf8_lower(std::string_view text);
