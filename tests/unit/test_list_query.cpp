#include <gtest/gtest.h>

#include <string>

#include "http/status_http.h"
#include "tasks/list_query.h"
#include "test_util.h"
#include "util/percent_decode.h"

using namespace std::string_literals;

namespace {

ListQuery parse_ok(std::string_view qs) {
  ListQuery q;
  Status e = parse_list_query(qs, q);
  EXPECT_TRUE(e.ok()) << qs << ": " << e.message();
  return q;
}

}  // namespace

TEST(ListQuery, Defaults) {
  for (const char* qs : {"", "&", "&&", "q=", "search=", "limit=&offset=", "status=all"}) {
    ListQuery q = parse_ok(qs);
    EXPECT_FALSE(q.completed.has_value()) << qs;
    EXPECT_FALSE(q.priority || q.tag || q.q || q.due_before || q.due_after) << qs;
    EXPECT_FALSE(q.overdue);
    EXPECT_EQ(q.sort, SortKey::created_at);
    EXPECT_TRUE(q.descending);
    EXPECT_EQ(q.limit, 50);
    EXPECT_EQ(q.offset, 0);
  }
}

TEST(ListQuery, Filters) {
  EXPECT_EQ(parse_ok("completed=true").completed, true);
  EXPECT_EQ(parse_ok("completed=false").completed, false);
  EXPECT_EQ(parse_ok("status=completed").completed, true);
  EXPECT_EQ(parse_ok("status=pending").completed, false);
  EXPECT_EQ(parse_ok("status=all&completed=true").completed, true);
  EXPECT_EQ(parse_ok("status=pending&completed=false").completed, false);
  // The spellings of common frontends.
  EXPECT_EQ(parse_ok("status=active").completed, false);
  EXPECT_EQ(parse_ok("status=done").completed, true);
  EXPECT_EQ(parse_ok("status=done&completed=true").completed, true);
  EXPECT_EQ(parse_ok("priority=low").priority, "low");
  EXPECT_EQ(parse_ok("priority=high").priority, "high");
  EXPECT_EQ(parse_ok("tag=home").tag, "home");
  EXPECT_EQ(parse_ok("tag=+Home+").tag, "Home");
  EXPECT_EQ(parse_ok("tag=%E3%80%80caf%C3%A9%C2%A0").tag, "caf\xC3\xA9");
  EXPECT_EQ(parse_ok("tag=" + repeat("%C3%A9", 50)).tag, repeat("\xC3\xA9", 50));
  EXPECT_EQ(parse_ok("q=buy+milk").q, "buy milk");
  EXPECT_EQ(parse_ok("search=buy%20milk").q, "buy milk");
  EXPECT_EQ(parse_ok("q=100%25_done").q, "100%_done");
  EXPECT_EQ(parse_ok("q=++milk++").q, "milk");
  EXPECT_FALSE(parse_ok("q=+++").q.has_value());
  EXPECT_EQ(parse_ok("q=" + repeat("%F0%9F%98%80", 200)).q, repeat("\xF0\x9F\x98\x80", 200));
  EXPECT_TRUE(parse_ok("overdue=true").overdue);
  EXPECT_FALSE(parse_ok("overdue=false").overdue);
  EXPECT_EQ(parse_ok("due_before=2026-12-01T09:00:00Z").due_before, "2026-12-01T09:00:00Z");
  EXPECT_EQ(parse_ok("due_after=2026-12-01T09:00:00%2B02:00").due_after, "2026-12-01T07:00:00Z");
  EXPECT_EQ(parse_ok("due_after=2026-12-01T09:00:00+02:00").due_after, "2026-12-01T07:00:00Z");
  EXPECT_EQ(parse_ok("due_before=2026-12-01t09%3A00%3A00.5-01:00").due_before,
            "2026-12-01T10:00:00.5Z");
  EXPECT_EQ(parse_ok("&&completed=true&").completed, true);
}

TEST(ListQuery, SortAndOrder) {
  struct Case {
    const char* qs;
    SortKey key;
    bool descending;
  };
  const Case cases[] = {
      {"", SortKey::created_at, true},
      {"sort=created_at", SortKey::created_at, false},
      {"sort=-created_at", SortKey::created_at, true},
      {"sort=created", SortKey::created_at, false},
      {"sort=-created", SortKey::created_at, true},
      {"sort=updated_at", SortKey::updated_at, false},
      {"sort=-updated_at", SortKey::updated_at, true},
      {"sort=due_at", SortKey::due_at, false},
      {"sort=-due_date", SortKey::due_at, true},
      {"sort=due_date", SortKey::due_at, false},
      {"sort=priority", SortKey::priority, false},
      {"sort=-priority", SortKey::priority, true},
      {"sort=title", SortKey::title, false},
      {"sort=-title", SortKey::title, true},
      {"sort_by=title", SortKey::title, false},
      {"sort_by=-due_at", SortKey::due_at, true},
      {"sort=title&order=desc", SortKey::title, true},
      {"sort=title&order=asc", SortKey::title, false},
      {"order=desc&sort_by=priority", SortKey::priority, true},
      {"order=asc", SortKey::created_at, false},
      {"order=desc", SortKey::created_at, true},
      {"sort=-title&order=asc", SortKey::title, false},  // order wins
      {"sort=-title&order=desc", SortKey::title, true},
      {"sort=&order=asc", SortKey::created_at, false},
  };
  for (const Case& c : cases) {
    ListQuery q = parse_ok(c.qs);
    EXPECT_EQ(q.sort, c.key) << c.qs;
    EXPECT_EQ(q.descending, c.descending) << c.qs;
  }
}

TEST(ListQuery, Paging) {
  EXPECT_EQ(parse_ok("limit=1").limit, 1);
  EXPECT_EQ(parse_ok("limit=100").limit, 100);
  EXPECT_EQ(parse_ok("limit=007").limit, 7);
  EXPECT_EQ(parse_ok("offset=0").offset, 0);
  EXPECT_EQ(parse_ok("offset=100000").offset, 100000);
  EXPECT_EQ(parse_ok("limit=20&offset=40").offset, 40);
}

TEST(ListQuery, BadParametersAreNamed) {
  struct Case {
    std::string qs;
    const char* parameter;
  };
  const Case cases[] = {
      {"foo=1", "foo"},
      {"Limit=10", "Limit"},
      {"page=2", "page"},
      {"completed=yes", "completed"},
      {"completed=True", "completed"},
      {"completed=1", "completed"},
      {"status=finished", "status"},
      {"status=Active", "status"},
      {"status=active&completed=true", "status"},
      {"status=done&completed=false", "status"},
      {"status=pending&completed=true", "status"},
      {"completed=false&status=completed", "status"},
      {"priority=urgent", "priority"},
      {"priority=HIGH", "priority"},
      {"tag=+++", "tag"},
      {"tag=" + repeat("a", 51), "tag"},
      {"q=" + repeat("%C3%A9", 201), "q"},
      {"search=" + repeat("x", 201), "search"},
      {"due_before=tomorrow", "due_before"},
      {"due_after=2026-02-30T00:00:00Z", "due_after"},
      {"due_after=2026-12-01", "due_after"},
      {"due_after=2026-12-01T09:00:00%20Z", "due_after"},
      {"overdue=yes", "overdue"},
      {"overdue=1", "overdue"},
      {"sort=name", "sort"},
      {"sort=-", "sort"},
      {"sort=--title", "sort"},
      {"sort=Title", "sort"},
      {"sort=title,created_at", "sort"},
      {"sort_by=bogus", "sort_by"},
      {"order=up", "order"},
      {"order=DESC", "order"},
      {"limit=0", "limit"},
      {"limit=101", "limit"},
      {"limit=-1", "limit"},
      {"limit=+5", "limit"},
      {"limit=1e2", "limit"},
      {"limit=5.0", "limit"},
      {"limit=%205", "limit"},
      {"limit=99999999999999999999999", "limit"},
      {"offset=100001", "offset"},
      {"offset=-0", "offset"},
      {"offset=0x10", "offset"},
      {"limit=5&limit=5", "limit"},
      {"q=a&q=b", "q"},
      {"q=a&search=b", "search"},
      {"sort=title&sort_by=title", "sort_by"},
      {"q=&q=", "q"},
      {"q=%", "q"},
      {"q=%4", "q"},
      {"q=%zz", "q"},
      {"q=%FF", "q"},
      {"q=%C0%AF", "q"},
      {"q=%ED%A0%80", "q"},
      {"q=a%00b", "q"},
      {"q=a%0Ab", "q"},
      {"tag=a%09b", "tag"},
      {"q=%C2%85", "q"},
      {"q=%7F", "q"},
      {"%71=%00", "q"},  // the name is decoded, then the value is checked
      {"ca%C3%A9=1", "ca\xC3\xA9"},
      {"a%00b=1", "a%00b"},
      {"%FF=1", "%FF"},
      {"%=1", "%"},
      {"limit=10&bogus", "bogus"},
  };
  for (const Case& c : cases) {
    ListQuery q;
    q.limit = 77;
    Status e = parse_list_query(c.qs, q);
    ASSERT_FALSE(e.ok()) << c.qs;
    EXPECT_EQ(http_status(e), 400) << c.qs;
    ASSERT_EQ(e.errors().size(), 1u) << c.qs;
    EXPECT_EQ(e.errors()[0].field, c.parameter) << c.qs;
    EXPECT_FALSE(e.errors()[0].message.empty()) << c.qs;
    EXPECT_EQ(q.limit, 77) << "output untouched on error: " << c.qs;
  }
}

TEST(ListQuery, FirstBadParameterInQueryOrderWins) {
  ListQuery q;
  Status e = parse_list_query("limit=0&foo=1&priority=x", q);
  ASSERT_EQ(e.errors().size(), 1u);
  EXPECT_EQ(e.errors()[0].field, "limit");
  EXPECT_EQ(e.errors()[0].message, "must be an integer from 1 to 100");
  EXPECT_EQ(e.message(), "Invalid query parameter 'limit': must be an integer from 1 to 100");
}

TEST(ListQuery, LongUnknownNamesAreShortened) {
  ListQuery q;
  Status e = parse_list_query(repeat("\xC3\xA9", 100) + "=1", q);
  ASSERT_EQ(e.errors().size(), 1u);
  EXPECT_EQ(e.errors()[0].field, repeat("\xC3\xA9", 32) + "...");
}

TEST(BulkDeleteQuery, OnlyCompletedTrue) {
  EXPECT_TRUE(parse_bulk_delete_query("completed=true").ok());
  EXPECT_TRUE(parse_bulk_delete_query("&completed=%74rue&").ok());
  struct Case {
    std::string qs;
    bool validation;
    const char* parameter;
  };
  const Case cases[] = {
      {"", true, "completed"},
      {"completed=false", true, "completed"},
      {"completed=", true, "completed"},
      {"completed", true, "completed"},
      {"completed=yes", false, "completed"},
      {"completed=TRUE", false, "completed"},
      {"completed=1", false, "completed"},
      {"completed=%ZZ", false, "completed"},
      {"completed=true&completed=true", false, "completed"},
      {"completed=true&status=completed", false, "status"},
      {"completed=true&priority=low", false, "priority"},
      {"foo=1", false, "foo"},  // 400 for the unknown parameter beats the 422
      {"foo=1&completed=false", false, "foo"},
      {"completed=false&foo=1", false, "foo"},
  };
  for (const Case& c : cases) {
    Status e = parse_bulk_delete_query(c.qs);
    ASSERT_FALSE(e.ok()) << c.qs;
    EXPECT_EQ(http_status(e), c.validation ? 422 : 400) << c.qs;
    ASSERT_EQ(e.errors().size(), 1u) << c.qs;
    EXPECT_EQ(e.errors()[0].field, c.parameter) << c.qs;
    EXPECT_FALSE(e.errors()[0].message.empty()) << c.qs;
  }
}

TEST(PercentDecode, Table) {
  struct Case {
    const char* in;
    bool plus_is_space;
    bool ok;
    std::string out;
  };
  const Case cases[] = {
      {"", true, true, ""},         {"abc", true, true, "abc"},
      {"a+b", true, true, "a b"},   {"a+b", false, true, "a+b"},
      {"a%2Bb", true, true, "a+b"}, {"%41%62%6a%6A", true, true, "Abjj"},
      {"%25", true, true, "%"},     {"%2525", true, true, "%25"},
      {"%00", true, true, "\0"s},   {"%E2%82%AC", true, true, "\xE2\x82\xAC"},
      {"%FF", true, true, "\xFF"},  // bytes are returned as they are
      {"%", true, false, ""},       {"%4", true, false, ""},
      {"a%", true, false, ""},      {"%G0", true, false, ""},
      {"%0G", true, false, ""},     {"%%41", true, false, ""},
      {"%-1", true, false, ""},
  };
  for (const Case& c : cases) {
    std::string out = "junk";
    EXPECT_EQ(percent_decode(c.in, out, c.plus_is_space), c.ok) << c.in;
    if (c.ok) {
      EXPECT_EQ(out, c.out) << c.in;
    }
  }
}
