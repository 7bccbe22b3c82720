// PostgreSQL's text[] input syntax, for array parameters sent as text.
#pragma once

#include <string>
#include <vector>

// Appends a PostgreSQL text[] literal: {"a","b \"c\""} (every element quoted, so
// commas, braces, spaces and the word NULL stay data).
void append_pg_text_array(std::string& out, const std::vector<std::string>& items);
