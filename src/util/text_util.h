// Small byte-level text helpers shared by the parsers and renderers: hex digits,
// the two whitespace sets we meet (HTTP's OWS and JSON's), and reading a whole
// file. Pure code, no allocation except read_file's output.
#pragma once

#include <string>
#include <string_view>

inline constexpr char kHexLower[] = "0123456789abcdef";
inline constexpr char kHexUpper[] = "0123456789ABCDEF";

constexpr bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The value of a hex digit (either case), or -1.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// HTTP optional whitespace (RFC 9110 §5.6.3): space and horizontal tab.
constexpr bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

// JSON's insignificant whitespace (RFC 8259 §2).
constexpr bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// A task id is a UUID in its canonical text form, 8-4-4-4-12 hex digits (either
// case). Anything else is "Task not found" without asking the database.
bool is_uuid(std::string_view text);

// ASCII case-insensitive equality (header names, schemes, media types, host names).
bool iequals_ascii(std::string_view a, std::string_view b);

// `s` without leading and trailing OWS.
std::string_view trim_ows(std::string_view s);

// The whole file into `out`; false when it cannot be opened or read.
bool read_file(const std::string& path, std::string& out);
