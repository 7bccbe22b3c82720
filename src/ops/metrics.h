// The instrumentation points: one-line calls from the rest of the code into the
// scoreboard of the shared segment. Every function is a no-op in a process
// without a segment (unit tests, the CLI), allocates nothing and takes no lock.
//
// A worker is single-threaded, so the per-request timing lives in process-local
// state here; only the slot and the counters are shared.
#pragma once

#include <cstdint>
#include <string_view>

#include "ops/scoreboard.h"

struct SharedState;

namespace metrics {

// --- anywhere -----------------------------------------------------------------
void count(Counter c, std::uint64_t n = 1);
void set(Gauge g, std::int64_t value);
void db_error(const char* sqlstate);                        // classified by SQLSTATE
void jwks_loaded(std::size_t keys, std::int64_t now_unix);  // a successful JWKS load

// --- the master -----------------------------------------------------------------
// A free slot, marked `starting`, for a worker about to be forked (-1: none; the
// worker then runs unlisted). If the fork fails, worker_exited() frees it again.
int claim_slot();
void worker_spawned(int slot, int pid);  // in the master, after a successful fork
// `reason` is kept in the slot for its next worker ("signal Killed", "recycled", ...).
void worker_exited(int slot, std::string_view reason);
// Every master loop iteration (at least every 100 ms): heartbeat, listen queue.
void master_tick(int listen_fd);

// --- a worker -------------------------------------------------------------------
void worker_attach(int slot);  // in the child, right after fork
void worker_ready();           // accepting
void request_begin();          // a connection was accepted: stage read
// The labels are static strings (api/metrics_labels.h: the route rows are above
// this layer), kept for the slow-request log line.
void request_route(int endpoint, int method, const char* route_label, const char* method_label);
void stage(Stage s);  // the request moves on to stage `s`
// Ends the request: counters, histogram, slot back to idle; logs it when it took
// longer than `slow_ms` (0: never) with the time of each stage.
void request_end(int status, std::string_view request_id, std::int64_t slow_ms);
// The peer went away before its request was read (a stalled FastCGI connection
// dropped): the worker is idle again and no request is counted.
void request_dropped();

// The database stage for the duration of a scope, then back to the previous stage.
class StageScope {
 public:
  explicit StageScope(Stage s);
  ~StageScope();
  StageScope(const StageScope&) = delete;
  StageScope& operator=(const StageScope&) = delete;

 private:
  Stage previous_;
};

}  // namespace metrics
