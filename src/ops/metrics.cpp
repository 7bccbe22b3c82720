#include "ops/metrics.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "ops/listen_queue.h"
#include "ops/log.h"
#include "ops/shared_state.h"
#include "util/clock.h"

namespace metrics {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

Scoreboard* board() {
  SharedState* s = shared_state();
  return s ? &s->scoreboard : nullptr;
}

// This worker's slot, and the clock of the request it is serving. A worker with no
// slot (all taken) still counts pool-wide; it only does not show in the list.
WorkerSlot g_unlisted{};
int g_slot_index = -1;

// An index, not a pointer: the slot is only ever reached through the live mapping.
WorkerSlot& my_slot() {
  Scoreboard* b = board();
  return b != nullptr && g_slot_index >= 0 ? b->slots[g_slot_index] : g_unlisted;
}

struct RequestClock {
  std::int64_t begin_ns = 0;
  std::int64_t since_ns = 0;  // start of the current stage
  Stage current = Stage::read;
  std::int64_t stage_ns[kStageCount] = {};
  int route = 0;
  int method = 0;
  const char* route_label = "unmatched";
  const char* method_label = "other";
};
RequestClock g_clock;

WorkerState state_of(Stage s) {
  switch (s) {
    case Stage::read:
      return WorkerState::reading;
    case Stage::auth:
      return WorkerState::auth;
    case Stage::db:
      return WorkerState::db;
    case Stage::render:
      return WorkerState::render;
    case Stage::write:
      return WorkerState::writing;
  }
  return WorkerState::render;
}

void set_state(WorkerState s) {
  my_slot().state.store(static_cast<std::uint8_t>(s), kRelaxed);
}

int bucket_of(std::int64_t us) {
  int b = 0;
  while (b < kBucketCount - 1 && us > kBucketBoundsUs[b]) ++b;
  return b;
}

void log_slow(std::string_view request_id, int status, std::int64_t total_ns) {
  char ms[kStageCount + 1][24];
  auto fmt = [](char* out, std::int64_t ns) {
    std::snprintf(out, 24, "%.1f", static_cast<double>(ns) / 1e6);
  };
  fmt(ms[0], total_ns);
  for (int i = 0; i < kStageCount; ++i) fmt(ms[i + 1], g_clock.stage_ns[i]);
  char code[8];
  std::snprintf(code, sizeof code, "%d", status);
  log_warn("slow request", {{"request_id", request_id},
                            {"route", g_clock.route_label},
                            {"method", g_clock.method_label},
                            {"status", code},
                            {"total_ms", ms[0]},
                            {"read_ms", ms[1]},
                            {"auth_ms", ms[2]},
                            {"db_ms", ms[3]},
                            {"render_ms", ms[4]},
                            {"write_ms", ms[5]}});
}

}  // namespace

void count(Counter c, std::uint64_t n) {
  if (Scoreboard* b = board()) b->counters[static_cast<int>(c)].fetch_add(n, kRelaxed);
}

void set(Gauge g, std::int64_t value) {
  if (Scoreboard* b = board()) b->gauges[static_cast<int>(g)].store(value, kRelaxed);
}

void db_error(const char* sqlstate) {
  if (Scoreboard* b = board()) {
    b->db_errors[static_cast<int>(classify_sqlstate(sqlstate != nullptr ? sqlstate : ""))]
        .fetch_add(1, kRelaxed);
  }
}

void jwks_loaded(std::size_t keys, std::int64_t now_unix) {
  count(Counter::jwks_refreshes);
  set(Gauge::jwks_keys, static_cast<std::int64_t>(keys));
  set(Gauge::jwks_last_refresh_unix, now_unix);
}

// --- master ---------------------------------------------------------------------

int claim_slot() {
  Scoreboard* b = board();
  if (b == nullptr) return -1;
  for (int i = 0; i < kMaxWorkerSlots; ++i) {
    WorkerSlot& s = b->slots[i];
    if (s.state.load(kRelaxed) != static_cast<std::uint8_t>(WorkerState::free)) continue;
    // Set up before the fork: once forked, the worker owns the slot's fields, and a
    // late write from here could overwrite its first `idle`.
    s.pid.store(0, kRelaxed);
    s.started_unix_ms.store(unix_ms_now(), kRelaxed);
    s.requests.store(0, kRelaxed);
    s.request_start_unix_ms.store(0, kRelaxed);
    s.last_duration_us.store(0, kRelaxed);
    s.state.store(static_cast<std::uint8_t>(WorkerState::starting), kRelaxed);
    return i;
  }
  return -1;
}

void worker_spawned(int slot, int pid) {
  Scoreboard* b = board();
  if (b == nullptr || slot < 0) return;
  b->slots[slot].pid.store(pid, kRelaxed);  // the worker stores the same value itself
}

void worker_exited(int slot, std::string_view reason) {
  Scoreboard* b = board();
  if (b == nullptr || slot < 0) return;
  WorkerSlot& s = b->slots[slot];
  std::size_t n = std::min(reason.size(), sizeof s.predecessor_exit - 1);
  std::memcpy(s.predecessor_exit, reason.data(), n);
  s.predecessor_exit[n] = '\0';
  s.pid.store(0, kRelaxed);
  s.state.store(static_cast<std::uint8_t>(WorkerState::free), std::memory_order_release);
}

void master_tick(int listen_fd) {
  SharedState* s = shared_state();
  if (s == nullptr) return;
  s->header.heartbeat_unix_ms.store(unix_ms_now(), kRelaxed);
  static ListenQueueProbe probe;
  static std::int64_t previous = 0;
  ListenQueue q = probe.sample(listen_fd);
  if (q.length < 0) return;
  I64* gauges = s->scoreboard.gauges;
  gauges[static_cast<int>(Gauge::listen_queue)].store(q.length, kRelaxed);
  gauges[static_cast<int>(Gauge::listen_queue_len)].store(q.backlog, kRelaxed);
  I64& max = gauges[static_cast<int>(Gauge::max_listen_queue)];
  if (q.length > max.load(kRelaxed)) max.store(q.length, kRelaxed);
  // A queue means every worker was busy when a connection came: one per episode.
  if (q.length > 0 && previous == 0) count(Counter::max_children_reached);
  previous = q.length;
}

// --- worker ---------------------------------------------------------------------

void worker_attach(int slot) {
  Scoreboard* b = board();
  if (b == nullptr || slot < 0) return;
  g_slot_index = slot;
  my_slot().pid.store(getpid(), kRelaxed);
}

void worker_ready() {
  set_state(WorkerState::idle);
}

void request_begin() {
  std::int64_t now = monotonic_ns();
  g_clock.begin_ns = g_clock.since_ns = now;
  g_clock.current = Stage::read;
  std::fill(std::begin(g_clock.stage_ns), std::end(g_clock.stage_ns), 0);
  g_clock.route = 0;
  g_clock.method = 0;
  my_slot().request_start_unix_ms.store(unix_ms_now(), kRelaxed);
  my_slot().route.store(0, kRelaxed);
  set_state(WorkerState::reading);
  count(Counter::accepted_conn);
}

void request_route(int endpoint, int method, const char* route_label, const char* method_label) {
  g_clock.route_label = route_label;
  g_clock.method_label = method_label;
  g_clock.route = std::clamp(endpoint, 0, kMaxRoutes - 1);
  g_clock.method = std::clamp(method, 0, kMethodCount - 1);
  my_slot().route.store(static_cast<std::uint8_t>(g_clock.route), kRelaxed);
  my_slot().method.store(static_cast<std::uint8_t>(g_clock.method), kRelaxed);
}

void stage(Stage s) {
  std::int64_t now = monotonic_ns();
  g_clock.stage_ns[static_cast<int>(g_clock.current)] += now - g_clock.since_ns;
  g_clock.since_ns = now;
  g_clock.current = s;
  set_state(state_of(s));
}

void request_end(int status, std::string_view request_id, std::int64_t slow_ms) {
  std::int64_t now = monotonic_ns();
  g_clock.stage_ns[static_cast<int>(g_clock.current)] += now - g_clock.since_ns;
  std::int64_t total_ns = now - g_clock.begin_ns;
  std::int64_t us = total_ns / 1000;
  if (Scoreboard* b = board()) {
    b->requests[g_clock.route][g_clock.method][code_index(status)].fetch_add(1, kRelaxed);
    b->latency_buckets[g_clock.route][bucket_of(us)].fetch_add(1, kRelaxed);
    b->latency_sum_us[g_clock.route].fetch_add(static_cast<std::uint64_t>(us), kRelaxed);
  }
  my_slot().last_duration_us.store(us, kRelaxed);
  my_slot().requests.fetch_add(1, kRelaxed);  // one writer: the worker itself
  set_state(WorkerState::idle);
  if (slow_ms > 0 && total_ns >= slow_ms * 1000000) {
    count(Counter::slow_requests);
    log_slow(request_id, status, total_ns);
  }
}

void request_dropped() {
  set_state(WorkerState::idle);
}

StageScope::StageScope(Stage s) : previous_(g_clock.current) {
  stage(s);
}

StageScope::~StageScope() {
  stage(previous_);
}

}  // namespace metrics
