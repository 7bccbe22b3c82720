// The scoreboard: what every worker is doing and pool-wide counters, in the shared
// segment (shared_state.h) so that the master, every worker, `GET /status`,
// `GET /metrics` and `todo-api status` see the same numbers.
//
// Rules that keep it safe to share between processes that may die at any moment:
// fixed size (no pointers, no allocation), lock-free atomics only (a worker killed
// mid-update can lose one increment, never block anyone), and every slot field
// has exactly one writer at a time (the worker owning the slot, or the master
// while the slot has no live worker).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "util/sqlstate.h"

namespace metrics {

// What a worker is doing. `free`: no process in the slot.
enum class WorkerState : std::uint8_t { free, starting, idle, reading, auth, db, render, writing };
inline constexpr int kWorkerStateCount = 8;
const char* state_name(WorkerState s);

// Stages of a request, for the slow-request log (SLOW_REQUEST_MS).
enum class Stage : std::uint8_t { read, auth, db, render, write };
inline constexpr int kStageCount = 5;
const char* stage_name(Stage s);

enum class Counter : std::uint8_t {
  accepted_conn,          // requests accepted by the pool (php-fpm "accepted conn")
  worker_respawns,        // workers that died (signal, non-zero exit) and were replaced
  worker_recycles,        // workers that exited after MAX_REQUESTS and were replaced
  db_reconnects,          // database connections dropped, to be re-opened
  jwks_refreshes,         // successful JWKS loads
  jwks_refresh_failures,  // failed JWKS loads (keys kept)
  token_cache_hits,
  token_cache_misses,
  rate_limited,          // 429 from the per-user rate limit
  quota_refused,         // 422 quota_exceeded (MAX_TASKS_PER_USER)
  rate_limit_fail_open,  // no bucket could be had for a user: admitted, counted
  slow_requests,         // requests over SLOW_REQUEST_MS
  max_children_reached,  // times connections queued because every worker was busy
  count_
};
inline constexpr int kCounterCount = static_cast<int>(Counter::count_);

enum class Gauge : std::uint8_t {
  jwks_keys,               // keys in the last JWKS loaded
  jwks_last_refresh_unix,  // Unix seconds of the last successful load
  listen_queue,            // connections waiting in the socket's accept queue
  max_listen_queue,        // its maximum since start
  listen_queue_len,        // the socket's backlog (the queue's capacity)
  count_
};
inline constexpr int kGaugeCount = static_cast<int>(Gauge::count_);

// Database errors by class (util/sqlstate.h's classes, shared with the store).
using DbErrorClass = SqlStateClass;
inline constexpr int kDbErrorClassCount = kSqlStateClassCount;

// Dimensions of the request counters. Routes are router.h's Endpoint values
// (labels in metrics_labels.cpp), methods http.h's Method, codes the statuses the
// pool answers (anything else counts under its class, see code_index()).
inline constexpr int kMaxRoutes = 16;
inline constexpr int kMethodCount = 8;
inline constexpr int kCodeSlots = 24;
// Histogram bounds in microseconds: 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000 ms.
inline constexpr std::int64_t kBucketBoundsUs[] = {500,   1000,   2500,   5000,   10000,  25000,
                                                   50000, 100000, 250000, 500000, 1000000};
inline constexpr int kBucketCount = 12;  // the bounds above, then +Inf

// Room for WORKERS (at most 1024) plus the workers a reload keeps draining.
inline constexpr int kMaxWorkerSlots = 2048;

using U64 = std::atomic<std::uint64_t>;
using I64 = std::atomic<std::int64_t>;
static_assert(U64::is_always_lock_free && I64::is_always_lock_free,
              "shared-memory counters must be lock-free (address-free across processes)");

struct alignas(64) WorkerSlot {
  std::atomic<std::int32_t> pid;
  std::atomic<std::uint8_t> state;   // WorkerState
  std::atomic<std::uint8_t> route;   // Endpoint of the current (or last) request
  std::atomic<std::uint8_t> method;  // Method of the current (or last) request
  I64 started_unix_ms;               // when this worker started
  I64 request_start_unix_ms;         // start of the current (or last) request
  I64 last_duration_us;              // duration of the last finished request
  U64 requests;                      // requests served by this worker
  char predecessor_exit[48];         // why the slot's previous worker exited (master writes)
};

struct Scoreboard {
  I64 start_unix_ms;
  std::atomic<std::int32_t> workers_configured;
  U64 counters[kCounterCount];
  I64 gauges[kGaugeCount];
  U64 db_errors[kDbErrorClassCount];
  U64 requests[kMaxRoutes][kMethodCount][kCodeSlots];
  U64 latency_buckets[kMaxRoutes][kBucketCount];  // not cumulative; the reader sums
  U64 latency_sum_us[kMaxRoutes];
  WorkerSlot slots[kMaxWorkerSlots];
};

// Status codes with a counter of their own; others go to "2xx".."5xx" slots.
int code_index(int status);
// The label of a code slot: "200", ..., or "2xx" for the class slots.
const char* code_label(int index);

}  // namespace metrics
