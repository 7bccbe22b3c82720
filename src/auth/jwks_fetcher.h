// The pool's JWKS fetcher: a child of the master, next to the workers, that alone
// talks to the network for keys (issue 10). It is a process, not a thread of the
// master, because the master forks workers, and forking a process with threads that
// hold OpenSSL or libcurl state is unsafe. The pool starts it before the workers,
// restarts it if it dies, and stops it with them.
#pragma once

#include "auth/jwks_shared.h"
#include "core/config.h"

// Whether this configuration needs a fetcher: a JWKS URL and no JWT_JWKS_FILE (a file
// is read by each worker itself: no network, nothing to share).
bool jwks_fetcher_wanted(const Config& config);

// The fetcher's main loop; returns its exit code (it normally runs until SIGTERM).
// Writes its pid (4 bytes) to `ready_fd` once the first fetch was attempted (or
// was not due, after a restart), as a worker does once it accepts.
int run_jwks_fetcher(const Config& config, JwksShared& shared, int ready_fd);
