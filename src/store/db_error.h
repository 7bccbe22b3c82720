// What of a PostgreSQL error reaches the log: never user data.
//
// PQerrorMessage() carries the DETAIL (`Failing row contains (...)` repeats a whole
// row, titles and descriptions included) and CONTEXT: never logged. The primary
// message names constraints, columns and types, except in class 22 (data
// exception), whose primary messages quote the rejected input
// (`invalid input syntax for type uuid: "..."`), and P0001 (RAISE), whose text a
// function formats from anything: for those only the names of the constraint,
// column and type are kept. The SQLSTATE is logged next to this, as its own field.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <string_view>

struct PgErrorFields {
  std::string_view sqlstate;
  std::string_view primary;     // PG_DIAG_MESSAGE_PRIMARY
  std::string_view constraint;  // PG_DIAG_CONSTRAINT_NAME
  std::string_view column;      // PG_DIAG_COLUMN_NAME
  std::string_view datatype;    // PG_DIAG_DATATYPE_NAME
};

// The loggable text for one error (pure: the policy above).
std::string loggable_pg_error(const PgErrorFields& fields);

// The same, read from a failed result.
std::string loggable_pg_error(const PGresult* result);

// The first line of a libpq connection-level message (no server error fields:
// a lost or refused connection), without its trailing newline.
std::string first_line(const char* message);
