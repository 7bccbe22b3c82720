#include "store/migrate.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "store/pg_handles.h"
#include "util/sql_split.h"
#include "util/text_util.h"

namespace {

// pg_advisory_lock key: "todo-mig" in ASCII. Any other tool using the same key
// would wait for us, which is the point.
constexpr const char* kLockKey = "8390891591426402663";

constexpr const char* kCreateLedger =
    "create table if not exists public.schema_migrations ("
    " version bigint primary key,"
    " name text not null,"
    " checksum text not null,"
    " applied_at timestamptz not null default now())";

// Server and libpq messages span lines; ours are one line each.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void print_error(const std::string& what) {
  std::fprintf(stderr, "todo-api migrate: %s\n", what.c_str());
}

// The server's primary message on one line, with its SQLSTATE.
std::string pg_error(const PGresult* res, PGconn* conn) {
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string msg = one_line(primary ? primary : PQerrorMessage(conn));
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  if (state) msg += std::string(" (SQLSTATE ") + state + ")";
  return msg;
}

bool exec_ok(PGconn* conn, const char* sql, std::string& error) {
  PgResultPtr res{PQexec(conn, sql)};
  ExecStatusType st = PQresultStatus(res.get());
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return true;
  error = pg_error(res.get(), conn);
  return false;
}

// True when `version` is recorded. Warns (does not fail) when the recorded
// checksum differs: an applied migration was edited afterwards.
bool is_applied(PGconn* conn, const MigrationFile& m, const std::string& text, bool& applied,
                std::string& error) {
  std::string version = std::to_string(m.version);
  const char* params[] = {version.c_str(), text.c_str()};
  PgResultPtr res{PQexecParams(conn,
                               "select checksum = md5($2::text) from public.schema_migrations"
                               " where version = $1::bigint",
                               2, nullptr, params, nullptr, nullptr, 0)};
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
    error = pg_error(res.get(), conn);
    return false;
  }
  applied = PQntuples(res.get()) == 1;
  if (applied && PQgetvalue(res.get(), 0, 0)[0] != 't') {
    print_error("warning: " + m.name + " was changed after it was applied; not re-applied");
  }
  return true;
}

// A no-transaction file (sql_split.h): each statement alone, committed on its own,
// then its ledger row. On error the statements before it stay applied and the file
// stays unrecorded, so it runs again from its first statement: such files must be
// written to be re-runnable (IF [NOT] EXISTS; see sql/003_writes_touch_less.sql).
bool apply_each(PGconn* conn, const MigrationFile& m, const std::string& text, std::string& error) {
  for (const SqlStatement& st : split_sql_statements(text)) {
    PgResultPtr res{PQexec(conn, st.text.c_str())};
    ExecStatusType status = PQresultStatus(res.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) continue;
    int line = st.line;
    const char* pos = PQresultErrorField(res.get(), PG_DIAG_STATEMENT_POSITION);
    if (pos) line += line_of_position(st.text, std::atol(pos)) - 1;
    error = m.path + ":" + std::to_string(line) + ": " + pg_error(res.get(), conn);
    return false;
  }
  std::string version = std::to_string(m.version);
  const char* params[] = {version.c_str(), m.name.c_str(), text.c_str()};
  PgResultPtr res{PQexecParams(conn,
                               "insert into public.schema_migrations (version, name, checksum)"
                               " values ($1::bigint, $2::text, md5($3::text))",
                               3, nullptr, params, nullptr, nullptr, 0)};
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    error = m.path + ": recording it: " + pg_error(res.get(), conn);
    return false;
  }
  return true;
}

// BEGIN; the file; its ledger row; COMMIT. On error: ROLLBACK and a message
// naming the file and, when the server gives a position, the line.
bool apply(PGconn* conn, const MigrationFile& m, const std::string& text, std::string& error) {
  if (has_no_transaction_marker(text)) return apply_each(conn, m, text, error);
  if (!exec_ok(conn, "begin", error)) return false;
  PgResultPtr res{PQexec(conn, text.c_str())};
  ExecStatusType st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
    error = pg_error(res.get(), conn);
    const char* pos = PQresultErrorField(res.get(), PG_DIAG_STATEMENT_POSITION);
    std::string where = m.path;
    if (pos) where += ":" + std::to_string(line_of_position(text, std::atol(pos)));
    error = where + ": " + error;
    std::string ignored;
    exec_ok(conn, "rollback", ignored);
    return false;
  }
  std::string version = std::to_string(m.version);
  const char* params[] = {version.c_str(), m.name.c_str(), text.c_str()};
  res.reset(PQexecParams(conn,
                         "insert into public.schema_migrations (version, name, checksum)"
                         " values ($1::bigint, $2::text, md5($3::text))",
                         3, nullptr, params, nullptr, nullptr, 0));
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    error = m.path + ": recording it: " + pg_error(res.get(), conn);
    std::string ignored;
    exec_ok(conn, "rollback", ignored);
    return false;
  }
  if (!exec_ok(conn, "commit", error)) {
    error = m.path + ": commit: " + error;
    return false;
  }
  return true;
}

}  // namespace

bool parse_migration_name(std::string_view file_name, std::int64_t& version) {
  std::size_t digits = 0;
  while (digits < file_name.size() && file_name[digits] >= '0' && file_name[digits] <= '9') {
    ++digits;
  }
  constexpr std::string_view kExt = ".sql";
  if (digits == 0 || digits > 15 || digits >= file_name.size() || file_name[digits] != '_' ||
      !file_name.ends_with(kExt) || file_name.size() < digits + 1 + 1 + kExt.size()) {
    return false;
  }
  version = 0;
  for (std::size_t i = 0; i < digits; ++i) version = version * 10 + (file_name[i] - '0');
  return true;
}

int line_of_position(std::string_view text, long position) {
  // PostgreSQL counts characters, not bytes: skip UTF-8 continuation bytes.
  int line = 1;
  long chars = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) == 0x80) continue;
    if (++chars >= position) break;
    if (c == '\n') ++line;
  }
  return line;
}

bool list_migrations(const std::string& dir, std::vector<MigrationFile>& out, std::string& error) {
  namespace fs = std::filesystem;
  out.clear();
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    error = dir + ": " + ec.message();
    return false;
  }
  for (const fs::directory_entry& entry : it) {
    std::string name = entry.path().filename().string();
    MigrationFile m;
    if (!parse_migration_name(name, m.version) || !entry.is_regular_file(ec)) continue;
    m.name = name;
    m.path = entry.path().string();
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(),
            [](const MigrationFile& a, const MigrationFile& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].version == out[i - 1].version) {
      error = out[i - 1].path + " and " + out[i].path + " have the same version";
      return false;
    }
  }
  return true;
}

int run_migrate(const Config& config, const std::string& sql_dir) {
  std::vector<MigrationFile> files;
  std::string error;
  if (!list_migrations(sql_dir, files, error)) {
    print_error(error);
    return 1;
  }
  if (files.empty()) {
    print_error(sql_dir + ": no NNN_name.sql files");
    return 1;
  }
  PgConnPtr conn{PQconnectdb(config.database_url.c_str())};
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    print_error("DATABASE_URL: cannot connect: " + one_line(PQerrorMessage(conn.get())));
    return 1;
  }
  PGconn* c = conn.get();
  std::string lock = std::string("select pg_advisory_lock(") + kLockKey + ")";
  if (!exec_ok(c, "set client_min_messages = warning", error) ||
      !exec_ok(c, "set statement_timeout = 0", error) || !exec_ok(c, lock.c_str(), error) ||
      !exec_ok(c, kCreateLedger, error)) {
    print_error("schema_migrations: " + error);
    return 1;
  }
  int applied_now = 0;
  for (const MigrationFile& m : files) {
    std::string text;
    if (!read_file(m.path, text)) {
      print_error(m.path + ": cannot read");
      return 1;
    }
    bool applied = false;
    if (!is_applied(c, m, text, applied, error)) {
      print_error(m.path + ": " + error);
      return 1;
    }
    if (applied) continue;
    if (!apply(c, m, text, error)) {
      print_error(error);
      return 1;
    }
    std::printf("todo-api migrate: applied %s\n", m.name.c_str());
    ++applied_now;
  }
  if (applied_now == 0)
    std::printf("todo-api migrate: up to date (%zu migrations)\n", files.size());
  return 0;  // the advisory lock goes with the connection
}
