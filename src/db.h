// One libpq connection per worker: opened at start, every statement prepared once
// per (re)connection, statement_timeout set, reconnected with back-off when lost.
// Errors come back as values, classified by SQLSTATE, never by message text.
#pragma once

#include <cstdint>
#include <string>

#include "c_handles.h"
#include "config.h"
#include "statements.h"

enum class DbStatus {
  ok,
  unavailable,  // no connection (class 08, server gone) or statement timeout: 503
  invalid,      // data rejected by a CHECK or a data exception (23514, 22xxx): 422
  conflict,     // unique violation etc. (23xxx)
  error,        // anything else: 500, SQLSTATE logged
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

  // Connects if not connected and the back-off allows an attempt now.
  // Returns true when a usable connection is there.
  bool ensure_connected();
  bool connected() const;

  // Runs statement `id` with text parameters (nullptr = SQL NULL). One round trip.
  DbResult exec(StatementId id, const char* const* params, int nparams);

  // A trivial query for readiness checks.
  bool ping();

  ConnectFailure last_connect_failure() const { return last_failure_; }
  // libpq's message for it, on one line (no password: libpq never prints one).
  const std::string& last_connect_error() const { return last_error_; }

 private:
  bool connect_now();
  void drop_connection(const char* why);
  void note_connect_failure(ConnectFailure kind, const char* error);

  const Config& config_;
  PgConnPtr conn_;
  std::int64_t next_attempt_ms_ = 0;  // monotonic ms; no attempt before this
  std::int64_t backoff_ms_ = 0;
  bool failure_logged_ = false;
  ConnectFailure last_failure_ = ConnectFailure::none;
  std::string last_error_;
};

std::int64_t monotonic_ms();
