#include "util/sql_split.h"

#include <cctype>

namespace {

bool ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Length of the dollar-quote tag at `i` ("$$" or "$name$"), 0 when there is none.
std::size_t dollar_tag(std::string_view s, std::size_t i) {
  if (s[i] != '$') return 0;
  // $1 (a parameter) is not a quote; a tag does not start with a digit.
  if (i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) return 0;
  std::size_t j = i + 1;
  while (j < s.size() && ident_char(s[j])) ++j;
  return j < s.size() && s[j] == '$' ? j - i + 1 : 0;
}

bool only_blank(std::string_view s) {
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

bool has_no_transaction_marker(std::string_view text) {
  constexpr std::string_view kMarker = "-- todo-api: no-transaction";
  std::string_view first = text.substr(0, text.find('\n'));
  if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
  return first == kMarker;
}

std::vector<SqlStatement> split_sql_statements(std::string_view s) {
  std::vector<SqlStatement> out;
  std::string current;  // the statement so far, comments left out
  int line = 1, start_line = 1;
  bool started = false;
  auto flush = [&]() {
    if (!only_blank(current)) out.push_back(SqlStatement{current, start_line});
    current.clear();
    started = false;
  };
  // Leading blanks are left out, so that an error position inside the text maps to
  // start_line + its line within the text.
  auto keep = [&](std::string_view part) {
    if (!started) {
      if (only_blank(part)) return;
      started = true;
      start_line = line;
    }
    current.append(part);
  };
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    std::size_t end = i + 1;
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      end = s.find('\n', i);
      i = end == std::string_view::npos ? s.size() : end;  // drop the comment
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      int depth = 0;
      for (end = i; end < s.size(); ++end) {
        if (s.compare(end, 2, "/*") == 0)
          ++depth, ++end;
        else if (s.compare(end, 2, "*/") == 0 && --depth == 0) {
          end += 2;
          break;
        } else if (s[end] == '\n')
          ++line;
      }
      i = end > s.size() ? s.size() : end;
      if (started) current += ' ';
      continue;
    }
    if (c == '\'' || c == '"') {
      bool backslash = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                       (i < 2 || !ident_char(s[i - 2]));
      for (end = i + 1; end < s.size(); ++end) {
        if (backslash && s[end] == '\\') {
          ++end;
          continue;
        }
        if (s[end] == c) {
          if (end + 1 < s.size() && s[end + 1] == c) {
            ++end;
            continue;
          }  // '' or ""
          ++end;
          break;
        }
      }
    } else if (std::size_t tag = dollar_tag(s, i); tag && (i == 0 || !ident_char(s[i - 1]))) {
      std::size_t close = s.find(s.substr(i, tag), i + tag);
      end = close == std::string_view::npos ? s.size() : close + tag;
    } else if (c == ';') {
      flush();
      i = end;
      continue;
    }
    if (end > s.size()) end = s.size();
    std::string_view part = s.substr(i, end - i);
    keep(part);
    for (char p : part) line += p == '\n';
    i = end;
  }
  flush();
  return out;
}
