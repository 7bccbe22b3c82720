// libpq without blocking: every wait on the server has a deadline.
//
// A PostgreSQL server that stops answering (a paused VM, a network path that drops
// packets silently) is not seen by the server-side statement_timeout, and libpq's
// blocking calls (PQexec*, PQprepare, PQcancel, even PQfinish with unsent data)
// would wait for it forever. Everything here polls PQsocket() until a deadline
// on the monotonic clock (monotonic_ms()), and tells "the server is gone" (lost)
// from "the server did not answer in time" (timed_out) so the caller can drop
// the connection instead of waiting on it.
#pragma once

#include <cstdint>
#include <string>

#include "store/pg_handles.h"
#include "util/clock.h"

enum class PgWait {
  ok,         // done: the next PQgetResult() does not block
  lost,       // the connection failed (the server closed it, a socket error)
  timed_out,  // the deadline passed first; the connection is in an unknown state
};

// Starts a connection to `database_url` (a URI or conninfo string) without
// waiting. Under it go our defaults: application_name, connect_timeout (libpq's
// own backstop; the real budget is pg_connect's deadline), TCP keepalives and
// tcp_user_timeout (see docs/DATABASE.md for the values). libpq lets what comes
// later in the keyword list override what comes earlier, and the URL comes last:
// anything DATABASE_URL sets explicitly wins. Null only when out of memory.
PgConnPtr pg_connect_start(const std::string& database_url);

// Connects within the deadline and puts the connection in non-blocking mode.
// Null on failure, with `error` set (one line, no secrets: libpq's message), and
// `*tls_failed` (when given) true if it failed in the TLS stage (handshake,
// certificate or host-name verification).
PgConnPtr pg_connect(const std::string& database_url, std::int64_t deadline_ms, std::string& error,
                     bool* tls_failed = nullptr);

// Flushes what libpq has buffered and reads until a result, or the end of the
// current query's results, is ready.
PgWait pg_wait_ready(PGconn* conn, std::int64_t deadline_ms);

// Reads every result of the query sent last, up to the end of its results (for a
// statement outside a pipeline: past ReadyForQuery, so a write has committed).
// `out` is the statement's result, or the error that ended it; it is set with
// whatever arrived also when the wait is lost.
PgWait pg_last_result(PGconn* conn, std::int64_t deadline_ms, PgResultPtr& out);
