#include "store/db_probe.h"

#include <time.h>

std::string connect_problem(const Database& db) {
  if (db.last_connect_failure() == ConnectFailure::tls) {
    return "DATABASE_URL: TLS connection to the database refused (certificate, CA or host "
           "name verification, or no TLS on the server): " +
           db.last_connect_error();
  }
  std::string line = "DATABASE_URL: cannot reach the database";
  line += db.last_connect_error().empty() ? " (see log above)" : ": " + db.last_connect_error();
  return line;
}

std::string database_start_problem(const Config& config) {
  std::string problem;
  // Twice, 200 ms apart: a server that drops a connection mid-handshake (restarting)
  // is an outage; a certificate that does not verify fails the same way again.
  for (int attempt = 0; attempt < 2; ++attempt) {
    Database db(config);
    if (db.ensure_connected() || db.last_connect_failure() != ConnectFailure::tls) return {};
    problem = connect_problem(db);
    timespec pause{0, 200L * 1000 * 1000};
    if (attempt == 0) nanosleep(&pause, nullptr);
  }
  return problem;
}
