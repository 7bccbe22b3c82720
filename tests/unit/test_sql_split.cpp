#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/sql_split.h"

namespace {
std::vector<std::string> texts(const char* sql) {
  std::vector<std::string> out;
  for (const SqlStatement& s : split_sql_statements(sql)) out.push_back(s.text);
  return out;
}
}  // namespace

TEST(SqlSplit, SplitsAtTopLevelSemicolons) {
  EXPECT_EQ(texts("select 1; select 2;\nselect 3"),
            (std::vector<std::string>{"select 1", "select 2", "select 3"}));
  EXPECT_TRUE(texts("  ;\n -- only a comment; here\n;").empty());
}

TEST(SqlSplit, SemicolonsInsideQuotesAndCommentsDoNotSplit) {
  auto v = texts(
      "select 'a;b''c;', \"x;y\";\n"
      "select E'it\\'s; fine';\n"
      "create function f() returns int language sql as $$ select 1; $$;\n"
      "create function g() returns int language sql as $body$ select ';'; $body$;\n"
      "select /* a; /* nested; */ b; */ 1;\n"
      "select $1::int -- trailing; comment\n;");
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[0], "select 'a;b''c;', \"x;y\"");
  EXPECT_EQ(v[1], "select E'it\\'s; fine'");
  EXPECT_NE(v[2].find("$$ select 1; $$"), std::string::npos);
  EXPECT_NE(v[3].find("$body$ select ';'; $body$"), std::string::npos);
  EXPECT_EQ(v[4], "select   1");
  EXPECT_EQ(v[5], "select $1::int \n");
}

TEST(SqlSplit, ReportsTheLineWhereEachStatementStarts) {
  auto v = split_sql_statements("-- header\n\nselect 1;\n/* two\nlines */ select\n2; select 3;");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].line, 3);
  EXPECT_EQ(v[1].line, 5);
  EXPECT_EQ(v[2].line, 6);
}

TEST(SqlSplit, NoTransactionMarkerOnlyOnTheFirstLine) {
  EXPECT_TRUE(has_no_transaction_marker("-- todo-api: no-transaction\nselect 1;"));
  EXPECT_TRUE(has_no_transaction_marker("-- todo-api: no-transaction\r\n"));
  EXPECT_FALSE(has_no_transaction_marker("\n-- todo-api: no-transaction\n"));
  EXPECT_FALSE(has_no_transaction_marker("-- todo-api: no-transaction please\n"));
  EXPECT_FALSE(has_no_transaction_marker("-- 001_init\n"));
}
