#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "util/rfc3339.h"

namespace {

struct Good {
  const char* in;
  const char* utc;
};

struct Bad {
  const char* in;
  const char* what;
};

}  // namespace

TEST(Rfc3339, AcceptsAndNormalizesToUtc) {
  const Good cases[] = {
      {"2026-12-01T09:00:00Z", "2026-12-01T09:00:00Z"},
      {"2026-12-01t09:00:00z", "2026-12-01T09:00:00Z"},
      {"2026-12-01T09:00:00+00:00", "2026-12-01T09:00:00Z"},
      {"2026-12-01T09:00:00-00:00", "2026-12-01T09:00:00Z"},
      {"2026-12-01T09:00:00+02:00", "2026-12-01T07:00:00Z"},
      {"2026-12-01T09:00:00.123456+02:00", "2026-12-01T07:00:00.123456Z"},
      {"2026-12-01T09:00:00.5Z", "2026-12-01T09:00:00.5Z"},
      {"2026-12-01T09:00:00.120Z", "2026-12-01T09:00:00.12Z"},
      {"2026-12-01T09:00:00.000Z", "2026-12-01T09:00:00Z"},
      {"2026-12-01T09:00:00.1234567891234Z", "2026-12-01T09:00:00.123456Z"},  // truncated
      {"2026-12-01T09:00:00.9999999Z", "2026-12-01T09:00:00.999999Z"},        // not rounded up
      {"2026-12-01T09:30:00+05:30", "2026-12-01T04:00:00Z"},
      {"2026-12-01T09:00:00-09:45", "2026-12-01T18:45:00Z"},
      {"2026-01-01T01:00:00+02:00", "2025-12-31T23:00:00Z"},  // crosses the year back
      {"2026-12-31T23:00:00-01:00", "2027-01-01T00:00:00Z"},  // crosses the year forward
      {"2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00Z"},  // lands on a leap day
      {"2023-03-01T00:30:00+01:00", "2023-02-28T23:30:00Z"},  // no leap day in 2023
      {"2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z"},
      {"2000-02-29T12:00:00Z", "2000-02-29T12:00:00Z"},       // divisible by 400
      {"2026-12-01T00:00:00+23:59", "2026-11-30T00:01:00Z"},  // extreme offsets
      {"2026-12-01T00:00:00-23:59", "2026-12-01T23:59:00Z"},
      {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"},
      {"9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"},
      {"0001-01-01T01:00:00+01:00", "0001-01-01T00:00:00Z"},
      {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
      {"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"},
  };
  for (const Good& c : cases) {
    std::string out = "untouched";
    const char* reason = nullptr;
    EXPECT_TRUE(parse_rfc3339(c.in, out, &reason)) << c.in << ": " << (reason ? reason : "");
    EXPECT_EQ(out, c.utc) << c.in;
  }
}

TEST(Rfc3339, RejectsWithAReason) {
  const Bad cases[] = {
      {"", "empty"},
      {"2026-12-01", "date only"},
      {"09:00:00Z", "time only"},
      {"2026-12-01 09:00:00Z", "space separator"},
      {"2026-12-01T09:00:00", "no offset"},
      {"2026-12-01T09:00Z", "no seconds"},
      {"2026-12-01T09:00:00+0200", "offset without colon"},
      {"2026-12-01T09:00:00+02", "offset without minutes"},
      {"2026-12-01T09:00:00.Z", "dot without digits"},
      {"2026-12-01T09:00:00,5Z", "comma fraction"},
      {"2026-12-01T09:00:00ZZ", "trailing byte"},
      {" 2026-12-01T09:00:00Z", "leading space"},
      {"2026-12-01T09:00:00Z ", "trailing space"},
      {"26-12-01T09:00:00Z", "two-digit year"},
      {"+2026-12-01T09:00:00Z", "signed year"},
      {"2026-1-01T09:00:00Z", "one-digit month"},
      {"2026-00-01T09:00:00Z", "month 00"},
      {"2026-13-01T09:00:00Z", "month 13"},
      {"2026-12-00T09:00:00Z", "day 00"},
      {"2026-12-32T09:00:00Z", "day 32"},
      {"2026-04-31T09:00:00Z", "April 31"},
      {"2026-02-29T09:00:00Z", "Feb 29 outside a leap year"},
      {"1900-02-29T09:00:00Z", "1900 is not a leap year"},
      {"2024-02-30T09:00:00Z", "Feb 30"},
      {"2026-12-01T24:00:00Z", "hour 24"},
      {"2026-12-01T09:60:00Z", "minute 60"},
      {"2026-12-31T23:59:60Z", "leap second"},
      {"2026-12-01T09:00:61Z", "second 61"},
      {"2026-12-01T09:00:00+24:00", "offset hour 24"},
      {"2026-12-01T09:00:00+02:60", "offset minute 60"},
      {"0000-01-01T00:00:00Z", "year 0"},
      {"0001-01-01T00:00:00+00:01", "UTC year 0 after the offset"},
      {"9999-12-31T23:59:59-00:01", "UTC year 10000 after the offset"},
      {"2026-12-01T09:00:00\xEF\xBC\xBA", "fullwidth Z"},
      {"\xD9\xA2\xD9\xA0\xD9\xA2\xD9\xA6-12-01T09:00:00Z", "Arabic-Indic digits"},
  };
  for (const Bad& c : cases) {
    std::string out = "untouched";
    const char* reason = nullptr;
    EXPECT_FALSE(parse_rfc3339(c.in, out, &reason)) << c.what;
    EXPECT_EQ(out, "untouched") << c.what;
    EXPECT_NE(reason, nullptr) << c.what;
  }
  std::string out;
  EXPECT_FALSE(parse_rfc3339(std::string("2026-12-01T09:00:00Z\0", 21), out));
}

TEST(Rfc3339, SpecificReasons) {
  std::string out;
  const char* reason = nullptr;
  ASSERT_FALSE(parse_rfc3339("2026-13-01T09:00:00Z", out, &reason));
  EXPECT_STREQ(reason, "month must be 01-12");
  ASSERT_FALSE(parse_rfc3339("2026-12-31T23:59:60Z", out, &reason));
  EXPECT_STREQ(reason, "leap seconds (:60) are not supported");
  EXPECT_FALSE(parse_rfc3339("2026-12-31T23:59:60Z", out));  // reason is optional
}

// Every calendar day of a span of years, at an offset that moves it to the
// previous UTC day: checks the month/leap-year tables and the day arithmetic.
TEST(Rfc3339, EveryDayRoundTrips) {
  auto days_in = [](int y, int m) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : kDays[m - 1];
  };
  std::string prev;  // the UTC text of the previous day at 23:00
  int checked = 0;
  for (int y = 1895; y <= 2105; ++y) {
    for (int m = 1; m <= 12; ++m) {
      for (int d = 1; d <= 31; ++d) {
        char in[40], same[40];
        std::snprintf(in, sizeof in, "%04d-%02d-%02dT00:00:00+01:00", y, m, d);
        std::snprintf(same, sizeof same, "%04d-%02d-%02dT23:00:00Z", y, m, d);
        std::string out;
        bool ok = parse_rfc3339(in, out);
        ASSERT_EQ(ok, d <= days_in(y, m)) << in;
        if (!ok) continue;
        if (!prev.empty()) {
          ASSERT_EQ(out, prev) << in;
        }
        prev = same;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 77066);
}

// A due time may also be a date alone (API.md §3): 00:00 UTC of that day.
TEST(Rfc3339OrDate, DateAloneIsMidnightUtc) {
  const Good cases[] = {
      {"2026-12-01", "2026-12-01T00:00:00Z"},
      {"2024-02-29", "2024-02-29T00:00:00Z"},
      {"2000-02-29", "2000-02-29T00:00:00Z"},
      {"0001-01-01", "0001-01-01T00:00:00Z"},
      {"9999-12-31", "9999-12-31T00:00:00Z"},
      // Date-times go through parse_rfc3339 unchanged.
      {"2026-12-01T09:00:00+02:00", "2026-12-01T07:00:00Z"},
      {"2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z"},
  };
  for (const Good& c : cases) {
    std::string out = "untouched";
    const char* reason = nullptr;
    EXPECT_TRUE(parse_rfc3339_or_date(c.in, out, &reason))
        << c.in << ": " << (reason ? reason : "");
    EXPECT_EQ(out, c.utc) << c.in;
    std::string again;  // the normalized text is a date-time the strict parser keeps as it is
    EXPECT_TRUE(parse_rfc3339(out, again) && again == out) << c.in;
  }
}

TEST(Rfc3339OrDate, RejectsImpossibleOrMalformedDates) {
  const Bad cases[] = {
      {"2026-02-30", "Feb 30"},
      {"2026-02-29", "Feb 29 outside a leap year"},
      {"1900-02-29", "1900 is not a leap year"},
      {"2026-04-31", "April 31"},
      {"2026-13-01", "month 13"},
      {"2026-00-10", "month 00"},
      {"2026-12-00", "day 00"},
      {"0000-01-01", "year 0"},
      {"2026-1-01", "one-digit month"},
      {"2026-12-1", "one-digit day"},
      {"20261201", "no dashes"},
      {"2026/12/01", "slashes"},
      {"01-12-2026", "day first"},
      {"2026-12-01T", "T without a time"},
      {"2026-12-01 ", "trailing space"},
      {" 2026-12-01", "leading space"},
      {"2026-12-01Z", "date with a zone"},
      {"2026-12-01T09:00:00", "date-time without an offset"},
      {"", "empty"},
      {"+026-12-01", "signed year"},
  };
  for (const Bad& c : cases) {
    std::string out = "untouched";
    const char* reason = nullptr;
    EXPECT_FALSE(parse_rfc3339_or_date(c.in, out, &reason)) << c.what;
    EXPECT_EQ(out, "untouched") << c.what;
    EXPECT_NE(reason, nullptr) << c.what;
  }
  std::string out;
  const char* reason = nullptr;
  ASSERT_FALSE(parse_rfc3339_or_date("2026-02-30", out, &reason));
  EXPECT_STREQ(reason, "day does not exist in that month");
  ASSERT_FALSE(parse_rfc3339_or_date("2026/12/01", out, &reason));
  EXPECT_STREQ(reason, "expected a date YYYY-MM-DD or a date-time YYYY-MM-DDTHH:MM:SSZ");
  // The strict parser still takes no date alone (list filters are RFC 3339 date-times).
  EXPECT_FALSE(parse_rfc3339("2026-12-01", out));
}
