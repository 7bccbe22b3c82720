// Small helpers shared by the unit tests.
#pragma once

#include <string>
#include <string_view>

// `s` repeated `n` times: strings at exactly a limit, and one past it.
inline std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}
