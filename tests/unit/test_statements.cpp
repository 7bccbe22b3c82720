#include <gtest/gtest.h>

#include <string_view>

#include "statements.h"

// The table is indexed by StatementId: a row out of place would run the wrong SQL.
TEST(Statements, TableIsIndexedById) {
  for (std::size_t i = 0; i < statement_count(); ++i) {
    const Statement& s = statement(static_cast<StatementId>(i));
    EXPECT_EQ(static_cast<std::size_t>(s.id), i) << s.name;
    EXPECT_FALSE(std::string_view(s.sql).empty());
  }
}

// The page subquery (ORDER BY ... LIMIT/OFFSET) must select plain columns: an
// expression computed inside it is evaluated for every row OFFSET skips too, so the
// task JSON is rendered above it (docs/DATABASE.md, "Lists").
TEST(Statements, ListsRenderOnlyThePageRows) {
  int lists = 0;
  for (std::size_t i = 0; i < statement_count(); ++i) {
    const Statement& s = statement(static_cast<StatementId>(i));
    std::string_view sql = s.sql;
    if (!sql.starts_with("select") || sql.find(" offset $3::integer") == std::string_view::npos) {
      continue;
    }
    ++lists;
    std::size_t end = sql.find(" offset $3::integer");
    std::size_t start = sql.rfind("(select ", end);
    ASSERT_NE(start, std::string_view::npos) << s.name;
    std::string_view page = sql.substr(start, end - start);
    EXPECT_TRUE(page.starts_with("(select t.* from todo.tasks t where")) << s.name << ": " << page;
    EXPECT_EQ(page.find("to_char"), std::string_view::npos) << s.name;
    EXPECT_EQ(page.find("to_json"), std::string_view::npos) << s.name;
    EXPECT_NE(sql.substr(0, start).find("to_char"), std::string_view::npos) << s.name;
  }
  EXPECT_EQ(lists, 20);
}
