// One libpq connection per worker: opened at start, every statement prepared once
// per (re)connection, statement_timeout set, reconnected with back-off when lost.
// Errors come back as values, classified by SQLSTATE, never by message text.
//
// Every call has a deadline the worker enforces itself (pg_async.h): a server that
// stops answering costs a 503 after DB_STATEMENT_TIMEOUT_MS plus a little slack,
// never a stuck worker. Past the deadline the connection is dropped (libpq 15 has
// no cancel that cannot block; the server's own statement_timeout ends the
// statement) and the next attempt waits for the back-off.
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"
#include "store/pg_handles.h"
#include "store/statements.h"

enum class DbStatus {
  ok,
  unavailable,  // no connection (class 08, server gone) or statement timeout: 503
  invalid,      // data rejected by a CHECK or a data exception (23514, 22xxx): 422
  error,        // anything else (a unique violation too: our statements cannot cause one
                // from client input): 500, SQLSTATE logged
};

// Why the last connection attempt failed. `tls`: during the TLS handshake or the
// verification of the server's certificate and host name (sslmode=verify-full with a
// wrong CA or name, a server without TLS): a configuration error, not an outage.
enum class ConnectFailure { none, unreachable, tls };

struct DbResult {
  DbStatus status = DbStatus::ok;
  PgResultPtr result;    // set when status == ok (tuples or command ok)
  std::string sqlstate;  // set on failure, for the log
  std::string message;   // server message, for the log only
};

class Database {
 public:
  explicit Database(const Config& config);

  // Connects if not connected and the back-off allows an attempt now (within 1 s).
  // Returns true when a usable connection is there.
  bool ensure_connected();
  bool connected() const;

  // Runs statement `id` with text parameters (nullptr = SQL NULL). One round trip.
  // Answers within DB_STATEMENT_TIMEOUT_MS + 300 ms, reconnecting included.
  DbResult exec(StatementId id, const char* const* params, int nparams);

  // A trivial query for readiness checks; answers within `budget_ms`, connecting
  // included, whatever the database does.
  bool ping(int budget_ms = 1000);

  ConnectFailure last_connect_failure() const { return last_failure_; }
  // libpq's message for it, on one line (no password: libpq never prints one).
  const std::string& last_connect_error() const { return last_error_; }

 private:
  DbResult exec_until(StatementId id, const char* const* params, int nparams,
                      std::int64_t deadline_ms);
  bool ensure_connected(std::int64_t deadline_ms);
  bool connect_now(std::int64_t deadline_ms);
  bool setup_session(PGconn* conn, std::int64_t deadline_ms);
  void drop_connection(const char* why);
  void back_off();
  void note_connect_failure(ConnectFailure kind, const std::string& error);

  const Config& config_;
  PgConnPtr conn_;
  std::int64_t next_attempt_ms_ = 0;  // monotonic ms; no attempt before this
  std::int64_t backoff_ms_ = 0;
  bool failure_logged_ = false;
  ConnectFailure last_failure_ = ConnectFailure::none;
  std::string last_error_;
};
