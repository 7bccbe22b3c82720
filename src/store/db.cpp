#include "store/db.h"

#include <algorithm>
#include <string>
#include <vector>

#include "ops/log.h"
#include "ops/metrics.h"
#include "store/db_error.h"
#include "store/pg_async.h"
#include "util/sqlstate.h"

namespace {

constexpr std::int64_t kFirstBackoffMs = 50;
constexpr std::int64_t kMaxBackoffMs = 1000;     // requests succeed again within ~1 s of recovery
constexpr std::int64_t kConnectBudgetMs = 1000;  // libpq's connect_timeout cannot go below 2 s
// Past statement_timeout, the time left for the server's own cancellation (57014,
// connection kept) to arrive before the worker stops waiting and drops the connection.
constexpr std::int64_t kDeadlineSlackMs = 300;

DbStatus classify(std::string_view sqlstate) {
  SqlStateClass c = classify_sqlstate(sqlstate);
  if (is_transient(c)) return DbStatus::unavailable;  // connection, timeout, busy, retryable
  return c == SqlStateClass::invalid ? DbStatus::invalid : DbStatus::error;
}

DbResult unavailable(const char* sqlstate, std::string message) {
  DbResult out;
  out.status = DbStatus::unavailable;
  out.sqlstate = sqlstate;
  out.message = std::move(message);
  return out;
}

}  // namespace

Database::Database(const Config& config) : config_(config) {}

bool Database::connected() const {
  return conn_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

bool Database::ensure_connected() {
  return ensure_connected(monotonic_ms() + kConnectBudgetMs);
}

bool Database::ensure_connected(std::int64_t deadline) {
  if (connected()) return true;
  if (conn_) drop_connection("connection lost");
  if (monotonic_ms() < next_attempt_ms_) return false;
  if (connect_now(std::min(deadline, monotonic_ms() + kConnectBudgetMs))) {
    backoff_ms_ = 0;
    return true;
  }
  back_off();
  return false;
}

void Database::back_off() {
  backoff_ms_ = backoff_ms_ == 0 ? kFirstBackoffMs : std::min(backoff_ms_ * 2, kMaxBackoffMs);
  next_attempt_ms_ = monotonic_ms() + backoff_ms_;
}

// One line per outage, not one per attempt: attempts come every second per worker.
void Database::note_connect_failure(ConnectFailure kind, const std::string& error) {
  last_failure_ = kind;
  last_error_ = error;
  if (failure_logged_) return;
  failure_logged_ = true;
  log_warn("database connect failed; retrying with back-off", {{"error", error}});
}

// PQfinish does not wait: the connection is non-blocking, so its goodbye message
// is sent if the socket takes it and dropped otherwise.
void Database::drop_connection(const char* why) {
  if (conn_) log_warn("database connection dropped", {{"reason", why}});
  if (conn_) metrics::count(metrics::Counter::db_reconnects);
  conn_.reset();
}

// Connect and session setup share one budget of at most 1 s, so a database that
// accepts connections but never answers costs a quick 503, not a stuck worker.
bool Database::connect_now(std::int64_t deadline) {
  std::string error;
  bool tls_failed = false;
  PgConnPtr conn = pg_connect(config_.database_url, deadline, error, &tls_failed);
  if (!conn) {
    note_connect_failure(tls_failed ? ConnectFailure::tls : ConnectFailure::unreachable, error);
    return false;
  }
  if (!setup_session(conn.get(), deadline)) return false;
  conn_ = std::move(conn);
  failure_logged_ = false;
  last_failure_ = ConnectFailure::none;
  last_error_.clear();
  log_info("database connected", {{"statements", config_.db_prepared ? "prepared" : "unnamed"}});
  return true;
}

// statement_timeout and every PREPARE go out together in one pipeline: one round
// trip per (re)connection, however far the database is. The role's own
// statement_timeout (ALTER ROLE, docs/DATABASE.md) is what holds behind a
// transaction-mode pooler; this SET covers a direct connection.
bool Database::setup_session(PGconn* conn, std::int64_t deadline) {
  std::string setup = "SET statement_timeout = " + std::to_string(config_.db_statement_timeout_ms);
  std::vector<const char*> names{"statement_timeout"};
  bool sent = PQenterPipelineMode(conn) == 1 &&
              PQsendQueryParams(conn, setup.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  for (std::size_t i = 0; sent && config_.db_prepared && i < statement_count(); ++i) {
    const Statement& s = statement(static_cast<StatementId>(i));
    if (s.plan_per_call) continue;  // sent with its values each time (see statements.h)
    sent = PQsendPrepare(conn, s.name, s.sql, s.nparams, nullptr) == 1;
    names.push_back(s.name);
  }
  if (!sent || PQpipelineSync(conn) != 1) {
    note_connect_failure(ConnectFailure::unreachable,
                         "session setup: " + first_line(PQerrorMessage(conn)));
    return false;
  }
  for (const char* name : names) {
    PgResultPtr res;
    if (pg_last_result(conn, deadline, res) != PgWait::ok || !res) {
      note_connect_failure(ConnectFailure::unreachable,
                           "session setup: no answer before the connect deadline");
      return false;
    }
    ExecStatusType st = PQresultStatus(res.get());
    if (st == PGRES_FATAL_ERROR) {
      // A statement that does not prepare is a bug or a missing migration: say which.
      const char* state = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
      log_error("database setup failed", {{"statement", name},
                                          {"sqlstate", state ? state : ""},
                                          {"error", loggable_pg_error(res.get())}});
      return false;
    }
    if (st != PGRES_COMMAND_OK) return false;  // aborted after an error logged above
  }
  if (pg_wait_ready(conn, deadline) != PgWait::ok) return false;
  PgResultPtr sync{PQgetResult(conn)};
  return PQresultStatus(sync.get()) == PGRES_PIPELINE_SYNC && PQexitPipelineMode(conn) == 1;
}

DbResult Database::exec(StatementId id, const char* const* params, int nparams) {
  std::int64_t deadline = monotonic_ms() + config_.db_statement_timeout_ms + kDeadlineSlackMs;
  return exec_until(id, params, nparams, deadline);
}

DbResult Database::exec_until(StatementId id, const char* const* params, int nparams,
                              std::int64_t deadline) {
  metrics::StageScope db_stage(metrics::Stage::db);
  const Statement& s = statement(id);
  DbResult out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!ensure_connected(deadline)) {
      metrics::db_error("08006");
      return unavailable("08006", "no database connection");
    }
    PGconn* conn = conn_.get();
    bool sent =
        config_.db_prepared && !s.plan_per_call
            ? PQsendQueryPrepared(conn, s.name, nparams, params, nullptr, nullptr, s.result_format)
            : PQsendQueryParams(conn, s.sql, nparams, nullptr, params, nullptr, nullptr,
                                s.result_format);
    PgResultPtr res;
    PgWait waited = sent ? pg_last_result(conn, deadline, res) : PgWait::lost;
    if (waited == PgWait::timed_out) {
      // Nothing can be learnt from this connection in time: drop it (the server's
      // statement_timeout ends the statement) and let the back-off pace reconnects.
      drop_connection("no answer before the statement deadline");
      back_off();
      metrics::db_error("57014");
      return unavailable("57014", "no answer within " +
                                      std::to_string(config_.db_statement_timeout_ms) +
                                      " ms (+ slack); connection dropped");
    }
    ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (waited == PgWait::ok && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
      out.status = DbStatus::ok;
      out.result = std::move(res);
      return out;
    }
    const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
    out.sqlstate = state ? state : "08006";
    out.message = state ? loggable_pg_error(res.get()) : first_line(PQerrorMessage(conn));
    out.status = classify(out.sqlstate);
    metrics::db_error(out.sqlstate.c_str());
    bool lost = waited == PgWait::lost || PQstatus(conn) != CONNECTION_OK;
    if (lost) {
      drop_connection("connection lost during a statement");
      out.status = DbStatus::unavailable;
      // The server may have died before or after running it: only a statement that
      // is harmless twice is retried on a fresh connection.
      if (s.idempotent && attempt == 0) continue;
    }
    return out;
  }
  return out;
}

bool Database::ping(int budget_ms) {
  return exec_until(StatementId::ping, nullptr, 0, monotonic_ms() + budget_ms).status ==
         DbStatus::ok;
}
