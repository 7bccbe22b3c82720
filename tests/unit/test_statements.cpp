#include <gtest/gtest.h>

#include <string_view>

#include "store/statements.h"

// The table is indexed by StatementId: a row out of place would run the wrong SQL.
TEST(Statements, TableIsIndexedById) {
  for (std::size_t i = 0; i < statement_count(); ++i) {
    const Statement& s = statement(static_cast<StatementId>(i));
    EXPECT_EQ(static_cast<std::size_t>(s.id), i) << s.name;
    EXPECT_FALSE(std::string_view(s.sql).empty());
  }
}

// Issue #9: statements return typed columns; the worker renders the JSON. No
// statement formats anything (to_char, to_json, string_agg, JSON text literals).
TEST(Statements, NoStatementBuildsJson) {
  for (std::size_t i = 0; i < statement_count(); ++i) {
    const Statement& s = statement(static_cast<StatementId>(i));
    std::string_view sql = s.sql;
    for (std::string_view banned :
         {"to_char", "to_json", "array_to_json", "string_agg", "json_build", "'{\"", "::text ||"}) {
      EXPECT_EQ(sql.find(banned), std::string_view::npos) << s.name << " uses " << banned;
    }
    EXPECT_EQ(s.result_format, 1) << s.name << ": results are decoded as binary";
  }
}

// The page subquery (ORDER BY ... LIMIT/OFFSET) selects plain columns: an
// expression computed inside it would be evaluated for every row OFFSET skips too.
TEST(Statements, ListPagesSelectPlainColumns) {
  int lists = 0;
  for (std::size_t i = 0; i < statement_count(); ++i) {
    const Statement& s = statement(static_cast<StatementId>(i));
    std::string_view sql = s.sql;
    std::size_t end = sql.find(" offset $3::integer");
    if (!sql.starts_with("select") || end == std::string_view::npos) continue;
    ++lists;
    std::size_t start = sql.rfind("(select ", end);
    ASSERT_NE(start, std::string_view::npos) << s.name;
    std::string_view page = sql.substr(start, end - start);
    EXPECT_TRUE(page.starts_with("(select t.id, t.title, t.description, t.completed,"))
        << s.name << ": " << page;
  }
  EXPECT_EQ(lists, 20);
}
