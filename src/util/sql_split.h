// Splits a migration file into its statements, for the files that run outside a
// transaction (`-- todo-api: no-transaction` on the first line, see migrate.h):
// PostgreSQL runs a multi-statement query string as one implicit transaction, in
// which CREATE INDEX CONCURRENTLY is refused, so each statement is sent alone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

struct SqlStatement {
  std::string text;  // from its first non-blank character, without the ';' or comments
  int line = 1;      // 1-based line of its first character in the file, for messages
};

// Splits at top-level ';'. Knows '...' (with '' and E'\'' escapes), "...",
// $tag$...$tag$, -- and nested /* */ comments, so a ';' inside them does not split.
// Statements that are only whitespace and comments are dropped.
std::vector<SqlStatement> split_sql_statements(std::string_view text);

// True when the first line of `text` is exactly the no-transaction marker.
bool has_no_transaction_marker(std::string_view text);
