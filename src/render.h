// Rendering helpers of the task handlers: PostgreSQL array literals and the
// response envelopes. (Request-side parsing lives in etag.h and text_util.h.)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http.h"

// Appends a PostgreSQL text[] literal: {"a","b \"c\""} (every element quoted, so
// commas, braces, spaces and the word NULL stay data).
void append_pg_text_array(std::string& out, const std::vector<std::string>& items);

// Success bodies: {"data":<json>} on canonical routes, the bare JSON on the
// compatibility routes (API.md §5).
void set_data(Response& res, int status, std::string_view json, bool bare);
