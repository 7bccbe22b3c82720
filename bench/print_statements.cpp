// Prints the workers' statement table (src/statements.cpp) as JSON, so that the
// database ceiling of `make bench` runs the very SQL the endpoints run. Built on the
// fly by bench/extract_statements.py from src/statements.cpp alone; not part of the
// product build.
#include <cstdio>

#include "statements.h"

namespace {
void put_json_string(const char* s) {
  std::putchar('"');
  for (; *s; ++s) {
    unsigned char c = static_cast<unsigned char>(*s);
    if (c == '"' || c == '\\') {
      std::printf("\\%c", c);
    } else if (c < 0x20) {
      std::printf("\\u%04x", c);
    } else {
      std::putchar(c);
    }
  }
  std::putchar('"');
}
}  // namespace

int main() {
  std::putchar('[');
  for (std::size_t i = 0; i < statement_count(); ++i) {
    const Statement& s = statement(static_cast<StatementId>(i));
    std::printf("%s\n{\"index\":%zu,\"name\":", i ? "," : "", i);
    put_json_string(s.name);
    std::printf(",\"nparams\":%d,\"idempotent\":%s,\"plan_per_call\":%s,\"sql\":", s.nparams,
                s.idempotent ? "true" : "false", s.plan_per_call ? "true" : "false");
    put_json_string(s.sql);
    std::putchar('}');
  }
  std::puts("]");
  return 0;
}
