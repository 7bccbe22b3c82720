#include "util/rfc3339.h"

#include <cstddef>
#include <cstdint>
#include <utility>

#include "util/calendar.h"

namespace {

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && is_leap(y)) ? 29 : kDays[m - 1];
}

// A cursor over the input that reads fixed-width digit fields and literals.
struct Cursor {
  std::string_view s;
  std::size_t pos = 0;

  bool digits(int width, int& value) {
    if (s.size() - pos < static_cast<std::size_t>(width)) return false;
    value = 0;
    for (int i = 0; i < width; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    pos += width;
    return true;
  }
  bool literal(char a, char b = '\0') {
    if (pos >= s.size() || (s[pos] != a && (b == '\0' || s[pos] != b))) return false;
    ++pos;
    return true;
  }
  bool at_digit() const { return pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; }
};

void append_padded(std::string& out, int64_t value, int width) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buf, static_cast<std::size_t>(width));
}

bool invalid_because(const char** reason, const char* why) {
  if (reason != nullptr) *reason = why;
  return false;
}

}  // namespace

bool parse_rfc3339(std::string_view text, std::string& utc, const char** reason) {
  constexpr const char* kShape = "expected the form YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM)";
  Cursor c{text};
  int year, month, day, hour, minute, second;
  if (!c.digits(4, year) || !c.literal('-') || !c.digits(2, month) || !c.literal('-') ||
      !c.digits(2, day) || !c.literal('T', 't') || !c.digits(2, hour) || !c.literal(':') ||
      !c.digits(2, minute) || !c.literal(':') || !c.digits(2, second)) {
    return invalid_because(reason, kShape);
  }
  // Fraction: at least one digit after '.', any number of digits, keep 6.
  std::string fraction;
  if (c.literal('.')) {
    if (!c.at_digit()) return invalid_because(reason, "a '.' must be followed by fraction digits");
    while (c.at_digit()) {
      if (fraction.size() < 6) fraction += c.s[c.pos];
      ++c.pos;
    }
  }
  int offset_minutes = 0;
  if (!c.literal('Z', 'z')) {
    int sign = c.literal('+') ? 1 : (c.literal('-') ? -1 : 0);
    int oh, om;
    if (sign == 0 || !c.digits(2, oh) || !c.literal(':') || !c.digits(2, om)) {
      return invalid_because(reason, "expected a time zone: Z or an offset such as +02:00");
    }
    if (oh > 23 || om > 59)
      return invalid_because(reason, "time zone offset must be within -23:59..+23:59");
    offset_minutes = sign * (oh * 60 + om);
  }
  if (c.pos != text.size()) return invalid_because(reason, kShape);
  if (month < 1 || month > 12) return invalid_because(reason, "month must be 01-12");
  if (day < 1 || day > days_in_month(year, month))
    return invalid_because(reason, "day does not exist in that month");
  if (hour > 23) return invalid_because(reason, "hour must be 00-23");
  if (minute > 59) return invalid_because(reason, "minute must be 00-59");
  if (second == 60) return invalid_because(reason, "leap seconds (:60) are not supported");
  if (second > 59) return invalid_because(reason, "second must be 00-59");

  int64_t minutes = static_cast<int64_t>(days_from_civil(year, month, day)) * 1440 +
                    hour * int64_t{60} + minute - offset_minutes;
  int64_t days = minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440);
  int64_t minute_of_day = minutes - days * 1440;
  int64_t y;
  int m, d;
  civil_from_days(days, y, m, d);
  if (y < 1 || y > 9999) return invalid_because(reason, "year must be within 0001-9999 in UTC");

  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string out;
  out.reserve(32);
  append_padded(out, y, 4);
  out += '-';
  append_padded(out, m, 2);
  out += '-';
  append_padded(out, d, 2);
  out += 'T';
  append_padded(out, minute_of_day / 60, 2);
  out += ':';
  append_padded(out, minute_of_day % 60, 2);
  out += ':';
  append_padded(out, second, 2);
  if (!fraction.empty()) out += '.' + fraction;
  out += 'Z';
  utc = std::move(out);
  return true;
}

bool parse_rfc3339_or_date(std::string_view text, std::string& utc, const char** reason) {
  // Only a text of exactly the date's shape is read as a date; anything longer or
  // shorter keeps the date-time parser's reasons ("expected a time zone", ...).
  constexpr std::size_t kDateLength = 10;  // YYYY-MM-DD
  if (text.size() != kDateLength) return parse_rfc3339(text, utc, reason);
  Cursor c{text};
  int year, month, day;
  if (!c.digits(4, year) || !c.literal('-') || !c.digits(2, month) || !c.literal('-') ||
      !c.digits(2, day)) {
    return invalid_because(reason,
                           "expected a date YYYY-MM-DD or a date-time YYYY-MM-DDTHH:MM:SSZ");
  }
  if (year < 1) return invalid_because(reason, "year must be within 0001-9999");
  if (month < 1 || month > 12) return invalid_because(reason, "month must be 01-12");
  if (day < 1 || day > days_in_month(year, month)) {
    return invalid_because(reason, "day does not exist in that month");
  }
  utc.assign(text);
  utc += "T00:00:00Z";
  return true;
}
