// The worker's task rendering: PostgreSQL's to_json escaping and to_char's
// timestamps (the integration test test_render_oracle compares with the SQL itself).
#include <gtest/gtest.h>

#include "tasks/task_json.h"

namespace {

constexpr std::int64_t kUnix2000 = 946684800000000;  // 2000-01-01 in Unix µs

std::string ts(std::int64_t unix_us) {
  std::string out;
  append_timestamp(out, unix_us - kUnix2000);
  return out;
}

std::string js(std::string_view text) {
  std::string out;
  append_pg_json_string(out, text);
  return out;
}

TEST(TaskJson, TimestampsMillisecondsFlooredLikeToChar) {
  EXPECT_EQ(ts(0), "\"1970-01-01T00:00:00.000Z\"");
  EXPECT_EQ(ts(1999), "\"1970-01-01T00:00:00.001Z\"");
  EXPECT_EQ(ts(-1), "\"1969-12-31T23:59:59.999Z\"");
  EXPECT_EQ(ts(-500), "\"1969-12-31T23:59:59.999Z\"");
  EXPECT_EQ(ts(-1000), "\"1969-12-31T23:59:59.999Z\"");
  EXPECT_EQ(ts(-1001), "\"1969-12-31T23:59:59.998Z\"");
  EXPECT_EQ(ts(1764581400123999), "\"2025-12-01T09:30:00.123Z\"");
  EXPECT_EQ(ts(253402300799999999), "\"9999-12-31T23:59:59.999Z\"");
  EXPECT_EQ(ts(-62135596800000000), "\"0001-01-01T00:00:00.000Z\"");
  // 1 BC (astronomical year 0) prints as to_char's YYYY does: 0001.
  EXPECT_EQ(ts(-62135596800000000 - 1), "\"0001-12-31T23:59:59.999Z\"");
  EXPECT_EQ(ts(253402300800000000), "\"10000-01-01T00:00:00.000Z\"");
  EXPECT_EQ(ts(951782400000000), "\"2000-02-29T00:00:00.000Z\"");
  // PostgreSQL's extremes (µs since 2000 directly): 4714-11-24 BC (Julian day 0) and 294276-12-31.
  std::string lo, hi;
  append_timestamp(lo, -211813488000000000);
  append_timestamp(hi, 9223371331199999999);
  EXPECT_EQ(lo, "\"4714-11-24T00:00:00.000Z\"");
  EXPECT_EQ(hi, "\"294276-12-31T23:59:59.999Z\"");
}

TEST(TaskJson, StringsEscapedLikeToJson) {
  EXPECT_EQ(js("plain"), "\"plain\"");
  EXPECT_EQ(js("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
  EXPECT_EQ(js("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(js(std::string_view("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(js("\u00e9\u2028\U0001F389"), "\"\u00e9\u2028\U0001F389\"");
  EXPECT_EQ(js(""), "\"\"");
}

TEST(TaskJson, TaskKeysInApiOrder) {
  Task t;
  t.id = {0x0b, 0x6f, 0x1c, 0x9e, 0x3b, 0x8a, 0x4a, 0x51,
          0x9f, 0x3e, 0x2b, 0x1a, 0x7c, 0x0d, 0x9e, 0x11};
  t.title = "Buy milk";
  t.description = "2 litres";
  t.priority = "medium";
  t.due_at = 1764579600000000 - kUnix2000;
  t.tags[0] = "home";
  t.tags[1] = "errands";
  t.tag_count = 2;
  t.created_at = t.updated_at = 1763805600123000 - kUnix2000;
  t.version = 1;
  std::string out;
  append_task_json(out, t);
  EXPECT_EQ(out,
            "{\"id\":\"0b6f1c9e-3b8a-4a51-9f3e-2b1a7c0d9e11\",\"title\":\"Buy milk\","
            "\"description\":\"2 litres\",\"completed\":false,\"priority\":\"medium\","
            "\"due_at\":\"2025-12-01T09:00:00.000Z\",\"tags\":[\"home\",\"errands\"],"
            "\"created_at\":\"2025-11-22T10:00:00.123Z\",\"updated_at\":"
            "\"2025-11-22T10:00:00.123Z\",\"completed_at\":null,\"version\":1}");
}

}  // namespace
