// `todo-api migrate [--dir DIR]`: applies the NNN_name.sql files of `sql_dir`
// in version order, each in its own transaction together with its row in
// public.schema_migrations(version, name, checksum, applied_at). Applied versions
// are skipped, so a second run is a no-op. A session advisory lock serializes
// concurrent runs. Connects with DATABASE_URL, which must be the owner role.
// Files must not contain transaction control (BEGIN/COMMIT). A file whose first
// line is `-- todo-api: no-transaction` runs outside a transaction instead: each of
// its statements is sent alone and commits on its own (for CREATE INDEX
// CONCURRENTLY on a live table), and the file is recorded after its last one; it
// must be re-runnable from the start, since a failure leaves the earlier ones done.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"

struct MigrationFile {
  std::int64_t version = 0;
  std::string name;  // file name without the directory, e.g. "001_init.sql"
  std::string path;
};

// Lists the migrations of `dir` sorted by version. Files that do not look like
// NNN_name.sql are ignored. Returns false with a one-line `error` on an unreadable
// directory or two files with the same version.
bool list_migrations(const std::string& dir, std::vector<MigrationFile>& out, std::string& error);

// Parses "NNN_name.sql" -> version NNN. False for anything else.
bool parse_migration_name(std::string_view file_name, std::int64_t& version);

// 1-based line of a 1-based character offset into `text` (PostgreSQL's error
// position), for messages like "sql/002_x.sql:12: ...".
int line_of_position(std::string_view text, long position);

// Returns the process exit code: 0 applied or up to date, 1 on any failure (one
// line on stderr naming the file and the reason).
int run_migrate(const Config& config, const std::string& sql_dir);
