// Prints every statement of statements.cpp as a psql PREPARE, so that SQL checks
// (tests/integration/explain_checks.sql) run the very texts the workers run:
//   print_statements | psql ... ; psql -f tests/integration/explain_checks.sql
#include <cstdio>

#include "store/statements.h"

int main() {
  for (std::size_t i = 0; i < statement_count(); ++i) {
    const Statement& s = statement(static_cast<StatementId>(i));
    std::printf("PREPARE %s AS %s;\n", s.name, s.sql);
  }
  return 0;
}
