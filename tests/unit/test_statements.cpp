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
