#include "util/utf8.h"

namespace {

bool is_continuation(unsigned char b) {
  return (b & 0xC0) == 0x80;
}

// Simple lowercase mapping (UnicodeData.txt field 13) for the blocks listed in
// utf8.h. Blocks with regular case pairs are expressed as ranges instead of a table.
char32_t simple_lower(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c < 0x100) return (c >= 0xC0 && c <= 0xDE && c != 0xD7) ? c + 32 : c;
  if (c < 0x180) {                // Latin Extended-A
    if (c == 0x130) return 0x69;  // İ -> i
    if (c == 0x178) return 0xFF;  // Ÿ -> ÿ
    bool even = (c % 2) == 0;
    if ((c <= 0x137 && even) || (c >= 0x14A && c <= 0x177 && even)) return c + 1;
    if ((c >= 0x139 && c <= 0x148 && !even) || (c >= 0x179 && c <= 0x17E && !even)) return c + 1;
    return c;
  }
  if (c >= 0x370 && c < 0x400) {  // Greek and Coptic
    if (c == 0x370 || c == 0x372 || c == 0x376 || c == 0x3F7 || c == 0x3FA) return c + 1;
    if (c == 0x37F) return 0x3F3;
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 37;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 63;
    if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) return c + 32;
    if (c == 0x3CF) return 0x3D7;
    if (c >= 0x3D8 && c <= 0x3EF && c % 2 == 0) return c + 1;
    if (c == 0x3F4) return 0x3B8;
    if (c == 0x3F9) return 0x3F2;
    if (c >= 0x3FD && c <= 0x3FF) return c - 130;  // Ͻ Ͼ Ͽ -> ͻ ͼ ͽ
    return c;
  }
  if (c >= 0x400 && c < 0x530) {  // Cyrillic and Cyrillic Supplement
    if (c <= 0x40F) return c + 80;
    if (c <= 0x42F) return c + 32;
    if (c == 0x4C0) return 0x4CF;
    bool even = (c % 2) == 0;
    if (even && ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || c >= 0x4D0)) {
      return c + 1;
    }
    if (!even && c >= 0x4C1 && c <= 0x4CE) return c + 1;
    return c;
  }
  return c;
}

}  // namespace

bool utf8_next(std::string_view text, std::size_t& pos, char32_t& cp) {
  if (pos >= text.size()) return false;
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char b0 = byte(pos);
  if (b0 < 0x80) {
    cp = b0;
    pos += 1;
    return true;
  }
  std::size_t need;
  char32_t value;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1, value = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2, value = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong below U+0800
    if (b0 == 0xED) hi = 0x9F;  // surrogates U+D800..U+DFFF
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3, value = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong below U+10000
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return false;  // continuation byte, C0/C1 overlong lead, or F5..FF
  }
  if (text.size() - pos <= need) return false;  // truncated
  unsigned char b1 = byte(pos + 1);
  if (b1 < lo || b1 > hi) return false;
  value = (value << 6) | (b1 & 0x3F);
  for (std::size_t i = 2; i <= need; ++i) {
    unsigned char b = byte(pos + i);
    if (!is_continuation(b)) return false;
    value = (value << 6) | (b & 0x3F);
  }
  cp = value;
  pos += need + 1;
  return true;
}

bool utf8_valid(std::string_view text) {
  std::size_t pos = 0;
  char32_t cp;
  while (pos < text.size()) {
    // Fast path for ASCII runs.
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    if (!utf8_next(text, pos, cp)) return false;
  }
  return true;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += is_continuation(static_cast<unsigned char>(c)) ? 0 : 1;
  return n;
}

bool unicode_is_white_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

bool unicode_is_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

std::string_view utf8_trim(std::string_view text) {
  std::size_t pos = 0, begin = text.size(), end = 0;
  char32_t cp;
  while (pos < text.size()) {
    std::size_t start = pos;
    if (!utf8_next(text, pos, cp)) return text;  // precondition violated: leave as is
    if (!unicode_is_white_space(cp)) {
      if (begin == text.size()) begin = start;
      end = pos;
    }
  }
  return begin < end ? text.substr(begin, end - begin) : std::string_view{};
}

bool utf8_has_control(std::string_view text, std::string_view allowed) {
  std::size_t pos = 0;
  char32_t cp;
  while (pos < text.size()) {
    if (!utf8_next(text, pos, cp)) return true;  // treat garbage as disallowed
    if (unicode_is_control(cp) &&
        (cp >= 0x80 || allowed.find(static_cast<char>(cp)) == std::string_view::npos)) {
      return true;
    }
  }
  return false;
}

std::string utf8_lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  char32_t cp;
  while (pos < text.size()) {
    if (!utf8_next(text, pos, cp)) {
      out += text[pos++];  // precondition violated: copy the byte unchanged
      continue;
    }
    utf8_append(out, simple_lower(cp));
  }
  return out;
}
