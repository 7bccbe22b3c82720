// The database at start: what `serve` and `check-config` say about DATABASE_URL before
// any request (docs/DATABASE.md, "TLS to a remote PostgreSQL").
#pragma once

#include <string>

#include "core/config.h"
#include "store/db.h"

// One line naming DATABASE_URL for a failed connection attempt of `db`: a TLS or
// certificate/host-name verification failure says so, with libpq's reason.
std::string connect_problem(const Database& db);

// Empty when `serve` may start: the database answered, or it is merely unreachable
// (down, starting, too busy), in which case the pool starts and answers 503 until it
// is back. Otherwise the problem line: the TLS connection cannot be verified (wrong
// CA, wrong host name, no TLS on the server), a configuration error that waiting
// will not fix. Connects from the master, before any worker is forked.
std::string database_start_problem(const Config& config);
