#include <gtest/gtest.h>

#include <cstdint>

#include "store/migrate.h"

TEST(Migrate, ParsesMigrationNames) {
  std::int64_t v = -1;
  EXPECT_TRUE(parse_migration_name("001_init.sql", v));
  EXPECT_EQ(v, 1);
  EXPECT_TRUE(parse_migration_name("20260101_add_x.sql", v));
  EXPECT_EQ(v, 20260101);
  for (const char* bad : {"init.sql", "001init.sql", "001_.sql", "001_init.sql.bak",
                          "roles.sql.example", "_001_init.sql", "001_init.SQL", ""}) {
    EXPECT_FALSE(parse_migration_name(bad, v)) << bad;
  }
}

TEST(Migrate, ErrorPositionToLine) {
  // PostgreSQL positions are 1-based characters.
  EXPECT_EQ(line_of_position("select 1;\nselect x;\n", 1), 1);
  EXPECT_EQ(line_of_position("select 1;\nselect x;\n", 10), 1);
  EXPECT_EQ(line_of_position("select 1;\nselect x;\n", 11), 2);
  EXPECT_EQ(line_of_position("-- \xc3\xa9t\xc3\xa9\nbad", 9), 2);
}
