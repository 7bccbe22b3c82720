// PostgreSQL's SQLSTATE codes in the classes this project acts on: once, here. The
// store answers by them (store/db.cpp: unavailable -> 503, invalid -> 422, else 500)
// and the metrics count by them (ops/scoreboard.h), so the two cannot disagree.
#pragma once

#include <cstdint>
#include <string_view>

enum class SqlStateClass : std::uint8_t {
  connection,   // 08: the connection is gone
  timeout,      // 57014: statement timeout (also what a worker-side deadline reports)
  unavailable,  // other 57, 53, 40001, 40P01: the server is shutting down, busy or retryable
  invalid,      // 22, 23502, 23514: a value the database refused (a CHECK, a range)
  conflict,     // other 23: integrity errors (none is expected: answered 500)
  other
};
inline constexpr int kSqlStateClassCount = 6;

SqlStateClass classify_sqlstate(std::string_view sqlstate);
const char* sqlstate_class_name(SqlStateClass c);
// connection, timeout and unavailable: the request may succeed if retried.
constexpr bool is_transient(SqlStateClass c) {
  return c == SqlStateClass::connection || c == SqlStateClass::timeout ||
         c == SqlStateClass::unavailable;
}
