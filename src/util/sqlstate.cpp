#include "util/sqlstate.h"

#include <iterator>

SqlStateClass classify_sqlstate(std::string_view s) {
  if (s.size() != 5) return SqlStateClass::other;
  if (s.starts_with("08")) return SqlStateClass::connection;
  if (s == "57014") return SqlStateClass::timeout;
  if (s.starts_with("57") || s.starts_with("53") || s == "40001" || s == "40P01") {
    return SqlStateClass::unavailable;
  }
  if (s.starts_with("22") || s == "23502" || s == "23514") return SqlStateClass::invalid;
  if (s.starts_with("23")) return SqlStateClass::conflict;
  return SqlStateClass::other;
}

const char* sqlstate_class_name(SqlStateClass c) {
  constexpr const char* kNames[] = {"connection", "timeout",  "unavailable",
                                    "invalid",    "conflict", "other"};
  static_assert(std::size(kNames) == kSqlStateClassCount);
  auto i = static_cast<unsigned>(c);
  return i < std::size(kNames) ? kNames[i] : "other";
}
