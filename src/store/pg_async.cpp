#include "store/pg_async.h"

#include <poll.h>

#include <cerrno>
#include <ctime>

#include "store/db_error.h"

namespace {

// Waits until the socket is ready for `events` or the deadline passes. EINTR
// (a signal) only recomputes the time left.
PgWait wait_socket(PGconn* conn, short events, std::int64_t deadline) {
  int fd = PQsocket(conn);
  if (fd < 0) return PgWait::lost;
  for (;;) {
    std::int64_t left = deadline - monotonic_ms();
    if (left <= 0) return PgWait::timed_out;
    pollfd pfd{fd, events, 0};
    int n = poll(&pfd, 1, static_cast<int>(left));
    if (n > 0) return PgWait::ok;
    if (n == 0) return PgWait::timed_out;
    if (errno != EINTR) return PgWait::lost;
  }
}

}  // namespace

PgConnPtr pg_connect_start(const std::string& database_url) {
  // Keepalives find a dead idle connection in about 10 + 5 s, so the next request
  // reconnects (and retries a read) instead of spending its deadline on it;
  // tcp_user_timeout ends a connection whose sent data stays unacknowledged for
  // 10 s. Neither applies to a unix socket.
  static const char* const kKeys[] = {"application_name",
                                      "connect_timeout",
                                      "keepalives",
                                      "keepalives_idle",
                                      "keepalives_interval",
                                      "keepalives_count",
                                      "tcp_user_timeout",
                                      "dbname",
                                      nullptr};
  const char* values[] = {"todo-api",           "2",    "1", "10", "5", "3", "10000",
                          database_url.c_str(), nullptr};
  return PgConnPtr{PQconnectStartParams(kKeys, values, 1)};
}

PgConnPtr pg_connect(const std::string& database_url, std::int64_t deadline, std::string& error,
                     bool* tls_failed) {
  PgConnPtr conn = pg_connect_start(database_url);
  if (!conn) return error = "out of memory", nullptr;
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  // The stage libpq was in when the attempt failed tells a TLS/verification failure
  // from an unreachable server without reading message text (libpq gives no code).
  ConnStatusType stage = PQstatus(conn.get());
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED || PQstatus(conn.get()) == CONNECTION_BAD) {
      if (tls_failed) *tls_failed = stage == CONNECTION_SSL_STARTUP;
      return error = first_line(PQerrorMessage(conn.get())), nullptr;
    }
    short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    PgWait waited = wait_socket(conn.get(), events, deadline);
    if (waited == PgWait::timed_out)
      return error = "no answer before the connect deadline", nullptr;
    if (waited == PgWait::lost) return error = "socket error while connecting", nullptr;
    stage = PQstatus(conn.get());
    state = PQconnectPoll(conn.get());
  }
  // From here PQsend* only buffers and PQflush never waits: the waits are ours.
  if (PQsetnonblocking(conn.get(), 1) != 0) {
    return error = first_line(PQerrorMessage(conn.get())), nullptr;
  }
  return conn;
}

PgWait pg_wait_ready(PGconn* conn, std::int64_t deadline) {
  for (;;) {
    int unsent = PQflush(conn);  // 0: all sent, 1: some left, -1: failed
    if (unsent < 0) return PgWait::lost;
    if (unsent == 0 && PQisBusy(conn) == 0) return PgWait::ok;
    PgWait waited = wait_socket(conn, unsent ? POLLIN | POLLOUT : POLLIN, deadline);
    if (waited != PgWait::ok) return waited;
    // Readable or writable: read what is there (also when we were only waiting to
    // write: the server may be sending an error instead of reading).
    if (PQconsumeInput(conn) == 0) return PgWait::lost;
  }
}

PgWait pg_last_result(PGconn* conn, std::int64_t deadline, PgResultPtr& out) {
  out.reset();
  for (;;) {
    PgWait waited = pg_wait_ready(conn, deadline);
    if (waited != PgWait::ok) return waited;
    PgResultPtr next{PQgetResult(conn)};
    if (!next) return PgWait::ok;
    // One statement gives one result; should more come, an error outranks the rest.
    if (!out || PQresultStatus(next.get()) == PGRES_FATAL_ERROR) out = std::move(next);
  }
}
