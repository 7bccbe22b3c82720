#include "util/json_strict.h"

#include <cstddef>
#include <string_view>

#include "util/text_util.h"

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool in_number_run(char c) {
  return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// RFC 8259 §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view n) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < n.size() && is_digit(n[i])) ++i;
    return i > start;
  };
  if (i < n.size() && n[i] == '-') ++i;
  if (i < n.size() && n[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n.size() && n[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n.size() && (n[i] == 'e' || n[i] == 'E')) {
    ++i;
    if (i < n.size() && (n[i] == '+' || n[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n.size();
}

// Checks the string whose opening quote is at text[i - 1]; returns the index just
// past the closing quote, or npos when the string is malformed or unterminated.
std::size_t scan_string(std::string& text, std::size_t i) {
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"') return i + 1;
    if (c < 0x20) return std::string::npos;
    if (c != '\\') {
      ++i;
      continue;
    }
    if (i + 1 >= text.size()) return std::string::npos;
    char e = text[i + 1];
    if (e == 'u') {
      if (text.size() - i < 6) return std::string::npos;
      for (std::size_t k = 2; k < 6; ++k) {
        if (!is_hex_digit(text[i + k])) return std::string::npos;
      }
      if (text.compare(i + 2, 4, "0000") == 0) text[i + 5] = '1';
      i += 6;
    } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
               e == 't') {
      i += 2;
    } else {
      return std::string::npos;
    }
  }
  return std::string::npos;
}

}  // namespace

bool json_strict_prepare(std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      i = scan_string(text, i + 1);
      if (i == std::string::npos) return false;
    } else if (c == '-' || is_digit(c)) {
      std::size_t start = i;
      while (i < text.size() && in_number_run(text[i])) ++i;
      if (!is_json_number(std::string_view(text).substr(start, i - start))) return false;
    } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      return false;
    } else {
      ++i;
    }
  }
  return true;
}
