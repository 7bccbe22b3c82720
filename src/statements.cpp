#include "statements.h"

#include <array>

namespace {
constexpr std::array kStatements{
    Statement{StatementId::ping, "ping", "select 1", 0, true},
};
}  // namespace

const Statement& statement(StatementId id) {
  return kStatements[static_cast<int>(id)];
}
std::size_t statement_count() {
  return kStatements.size();
}
