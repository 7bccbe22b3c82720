// Every SQL text the workers run, with its name and parameter count. Prepared once
// per connection (DB_PREPARED=on) or sent as unnamed statements (off).
// Every statement that touches tasks takes the caller's user id as $1.
#pragma once

#include <cstddef>

enum class StatementId : int {
  ping,
  // The task statements are listed in statements.cpp; keep this enum in step.
  count_placeholder_,
};

struct Statement {
  StatementId id;
  const char* name;
  const char* sql;
  int nparams;
  // True when running it twice is harmless: after a lost connection the worker
  // reconnects and retries it once instead of answering 503.
  bool idempotent;
};

// All statements, indexed by StatementId.
const Statement& statement(StatementId id);
std::size_t statement_count();
