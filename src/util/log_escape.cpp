#include "util/log_escape.h"

#include <cstdint>

#include "util/text_util.h"
#include "util/utf8.h"

namespace {

void append_hex(std::string& out, std::uint32_t value, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
    out.push_back(kHexLower[(value >> shift) & 0xf]);
}

bool bare_logfmt_byte(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

// The quoted-logfmt escapes, shared by values and free text. `quote_chars` says
// whether `"` is escaped (inside quotes it must be; in free text it is harmless).
void append_escaped_text(std::string& out, std::string_view text, bool quote_chars) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto u = static_cast<unsigned char>(text[pos]);
    char32_t cp = u;
    std::size_t start = pos;
    if (u >= 0x80) {
      if (!utf8_next(text, pos, cp)) {
        out += "\\x";
        append_hex(out, u, 2);
        pos = start + 1;
        continue;
      }
    } else {
      ++pos;
    }
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\\' || (quote_chars && cp == '"')) {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (log_must_escape(cp)) {
      out += "\\u{";
      append_hex(out, static_cast<std::uint32_t>(cp), cp > 0xff ? 4 : 2);
      out.push_back('}');
    } else {
      out.append(text.substr(start, pos - start));
    }
  }
}

}  // namespace

bool log_must_escape(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0x200e ||
         cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void append_log_json(std::string& out, std::string_view text) {
  out.push_back('"');
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto u = static_cast<unsigned char>(text[pos]);
    char32_t cp = u;
    std::size_t start = pos;
    if (u >= 0x80) {
      if (!utf8_next(text, pos, cp)) {
        out += "\\ufffd";
        pos = start + 1;
        continue;
      }
    } else {
      ++pos;
    }
    if (cp == '"' || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (log_must_escape(cp)) {
      out += "\\u";
      append_hex(out, static_cast<std::uint32_t>(cp), 4);
    } else {
      out.append(text.substr(start, pos - start));
    }
  }
  out.push_back('"');
}

void append_logfmt_value(std::string& out, std::string_view text) {
  bool bare = !text.empty();
  for (char c : text) bare = bare && bare_logfmt_byte(static_cast<unsigned char>(c));
  if (bare) {
    out.append(text);
    return;
  }
  out.push_back('"');
  append_escaped_text(out, text, true);
  out.push_back('"');
}

void append_log_text(std::string& out, std::string_view text) {
  append_escaped_text(out, text, false);
}
