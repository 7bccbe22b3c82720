#include "db.h"

#include <poll.h>
#include <time.h>

#include <algorithm>
#include <string>

#include "log.h"
#include "metrics.h"

namespace {

constexpr std::int64_t kFirstBackoffMs = 50;
constexpr std::int64_t kMaxBackoffMs = 1000;  // requests succeed again within ~1 s of recovery
constexpr int kConnectBudgetMs = 1000;        // libpq's connect_timeout cannot go below 2 s

DbStatus classify(std::string_view sqlstate) {
  if (sqlstate.starts_with("08") || sqlstate.starts_with("57") || sqlstate.starts_with("53") ||
      sqlstate == "40001" || sqlstate == "40P01") {
    return DbStatus::unavailable;  // connection, shutdown, timeout, resources, retryable
  }
  if (sqlstate == "23514" || sqlstate == "23502" || sqlstate.starts_with("22")) {
    return DbStatus::invalid;
  }
  if (sqlstate.starts_with("23")) return DbStatus::conflict;
  return DbStatus::error;
}

}  // namespace

std::int64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

Database::Database(const Config& config) : config_(config) {}

bool Database::connected() const {
  return conn_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

bool Database::ensure_connected() {
  if (connected()) return true;
  if (conn_) drop_connection("connection lost");
  if (monotonic_ms() < next_attempt_ms_) return false;
  if (connect_now()) {
    backoff_ms_ = 0;
    return true;
  }
  backoff_ms_ = backoff_ms_ == 0 ? kFirstBackoffMs : std::min(backoff_ms_ * 2, kMaxBackoffMs);
  next_attempt_ms_ = monotonic_ms() + backoff_ms_;
  return false;
}

// One line per outage, not one per attempt: attempts come every second per worker.
void Database::note_connect_failure(ConnectFailure kind, const char* error) {
  last_failure_ = kind;
  last_error_ = error;
  while (!last_error_.empty() && last_error_.back() == '\n') last_error_.pop_back();
  std::replace(last_error_.begin(), last_error_.end(), '\n', ' ');
  if (failure_logged_) return;
  failure_logged_ = true;
  log_warn("database connect failed; retrying with back-off", {{"error", error}});
}

void Database::drop_connection(const char* why) {
  if (conn_) log_warn("database connection dropped", {{"reason", why}});
  if (conn_) metrics::count(metrics::Counter::db_reconnects);
  conn_.reset();
}

// Non-blocking connect with our own 1 s budget, so a black-holed database host
// turns into a quick 503 instead of a stuck worker.
bool Database::connect_now() {
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"2", "todo-api", config_.database_url.c_str(), nullptr};
  PgConnPtr conn{PQconnectStartParams(keys, values, 1)};
  if (!conn || PQstatus(conn.get()) == CONNECTION_BAD) {
    note_connect_failure(ConnectFailure::unreachable,
                         conn ? PQerrorMessage(conn.get()) : "out of memory");
    return false;
  }
  std::int64_t deadline = monotonic_ms() + kConnectBudgetMs;
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  // The stage libpq was in when the attempt failed tells a TLS/verification failure
  // from an unreachable server without reading message text (libpq gives no code).
  ConnStatusType stage = PQstatus(conn.get());
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      note_connect_failure(
          stage == CONNECTION_SSL_STARTUP ? ConnectFailure::tls : ConnectFailure::unreachable,
          PQerrorMessage(conn.get()));
      return false;
    }
    std::int64_t left = deadline - monotonic_ms();
    if (left <= 0) {
      note_connect_failure(ConnectFailure::unreachable, "timed out after 1000 ms");
      return false;
    }
    pollfd pfd{PQsocket(conn.get()),
               state == PGRES_POLLING_READING ? short(POLLIN) : short(POLLOUT), 0};
    if (poll(&pfd, 1, static_cast<int>(left)) < 0 && errno != EINTR) return false;
    stage = PQstatus(conn.get());
    state = PQconnectPoll(conn.get());
  }

  std::string setup = "SET statement_timeout = " + std::to_string(config_.db_statement_timeout_ms);
  PgResultPtr set{PQexec(conn.get(), setup.c_str())};
  if (PQresultStatus(set.get()) != PGRES_COMMAND_OK) {
    log_warn("database setup failed", {{"error", PQerrorMessage(conn.get())}});
    return false;
  }
  if (config_.db_prepared) {
    for (std::size_t i = 0; i < statement_count(); ++i) {
      const Statement& s = statement(static_cast<StatementId>(i));
      if (s.plan_per_call) continue;  // sent with its values each time (see statements.h)
      PgResultPtr res{PQprepare(conn.get(), s.name, s.sql, s.nparams, nullptr)};
      if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
        // A statement that does not prepare is a bug or a missing migration: say which.
        log_error("prepare failed", {{"statement", s.name}, {"error", PQerrorMessage(conn.get())}});
        return false;
      }
    }
  }
  conn_ = std::move(conn);
  failure_logged_ = false;
  last_failure_ = ConnectFailure::none;
  last_error_.clear();
  log_info("database connected", {{"statements", config_.db_prepared ? "prepared" : "unnamed"}});
  return true;
}

DbResult Database::exec(StatementId id, const char* const* params, int nparams) {
  metrics::StageScope db_stage(metrics::Stage::db);
  const Statement& s = statement(id);
  DbResult out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!ensure_connected()) {
      out.status = DbStatus::unavailable;
      out.sqlstate = "08006";
      out.message = "no database connection";
      metrics::db_error(out.sqlstate.c_str());
      return out;
    }
    PgResultPtr res{
        config_.db_prepared && !s.plan_per_call
            ? PQexecPrepared(conn_.get(), s.name, nparams, params, nullptr, nullptr,
                             s.result_format)
            : PQexecParams(conn_.get(), s.sql, nparams, nullptr, params, nullptr, nullptr,
                           s.result_format)};
    ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
      out.status = DbStatus::ok;
      out.result = std::move(res);
      return out;
    }
    const char* state = res ? PQresultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
    out.sqlstate = state ? state : "08006";
    out.message = PQerrorMessage(conn_.get());
    out.status = classify(out.sqlstate);
    metrics::db_error(out.sqlstate.c_str());
    bool lost = PQstatus(conn_.get()) != CONNECTION_OK;
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

bool Database::ping() {
  return exec(StatementId::ping, nullptr, 0).status == DbStatus::ok;
}
