#include "api/status_report.h"

#include <cstdio>
#include <ctime>

#include "api/metrics_labels.h"
#include "http/http.h"
#include "ops/shared_state.h"

using namespace metrics;

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr const char* kBucketLabels[kBucketCount] = {"0.0005", "0.001", "0.0025", "0.005",
                                                     "0.01",   "0.025", "0.05",   "0.1",
                                                     "0.25",   "0.5",   "1",      "+Inf"};

// One consistent-enough reading of the segment: every field is read once.
struct Summary {
  int by_state[kWorkerStateCount] = {};
  int idle = 0;
  int active = 0;                 // a request in any stage
  int total = 0;                  // processes in slots (starting included)
  std::uint64_t classes[5] = {};  // 1xx..5xx
};

std::uint64_t counter(const Scoreboard& b, Counter c) {
  return b.counters[static_cast<int>(c)].load(kRelaxed);
}
std::int64_t gauge(const Scoreboard& b, Gauge g) {
  return b.gauges[static_cast<int>(g)].load(kRelaxed);
}

Summary summarize(const Scoreboard& b) {
  Summary s;
  for (const auto& slot : b.slots) {
    auto st = static_cast<WorkerState>(slot.state.load(kRelaxed));
    if (st == WorkerState::free) continue;
    ++s.by_state[static_cast<int>(st)];
    ++s.total;
    if (st == WorkerState::idle) ++s.idle;
    if (st != WorkerState::idle && st != WorkerState::starting) ++s.active;
  }
  for (int r = 0; r < kMaxRoutes; ++r) {
    for (int m = 0; m < kMethodCount; ++m) {
      for (int c = 0; c < kCodeSlots; ++c) {
        std::uint64_t n = b.requests[r][m][c].load(kRelaxed);
        if (n == 0) continue;
        const char* label = code_label(c);
        int cls = label[0] - '1';
        if (cls >= 0 && cls < 5) s.classes[cls] += n;
      }
    }
  }
  return s;
}

void field(std::string& out, const char* name, std::int64_t value, bool comma = true) {
  append_json_string(out, name);
  out += ':';
  out += std::to_string(value);
  if (comma) out += ',';
}

void field(std::string& out, const char* name, std::string_view value, bool comma = true) {
  append_json_string(out, name);
  out += ':';
  append_json_string(out, value);
  if (comma) out += ',';
}

void append_worker_json(std::string& out, const WorkerSlot& w, std::int64_t now_ms) {
  auto st = static_cast<WorkerState>(w.state.load(kRelaxed));
  bool busy = st != WorkerState::idle && st != WorkerState::starting;
  std::int64_t started = w.started_unix_ms.load(kRelaxed);
  std::int64_t req_start = w.request_start_unix_ms.load(kRelaxed);
  out += '{';
  field(out, "pid", w.pid.load(kRelaxed));
  field(out, "state", state_name(st));
  field(out, "start time", started / 1000);
  field(out, "start since", (now_ms - started) / 1000);
  field(out, "requests", static_cast<std::int64_t>(w.requests.load(kRelaxed)));
  // php-fpm: the running request's age while busy, else the last request's duration.
  field(out, "request duration",
        busy ? (now_ms - req_start) * 1000 : w.last_duration_us.load(kRelaxed));
  field(out, "request method", req_start ? method_label(w.method.load(kRelaxed)) : "-");
  field(out, "request route", req_start ? route_label(w.route.load(kRelaxed)) : "-");
  field(out, "predecessor exit", w.predecessor_exit, false);
  out += '}';
}

}  // namespace

void render_status_json(const SharedState& s, bool full, std::int64_t now_ms, std::string& out) {
  const Scoreboard& b = s.scoreboard;
  Summary sum = summarize(b);
  std::int64_t start_ms = b.start_unix_ms.load(kRelaxed);
  out += '{';
  field(out, "pool", s.header.pool);
  field(out, "process manager", "static");
  field(out, "start time", start_ms / 1000);
  field(out, "start since", (now_ms - start_ms) / 1000);
  field(out, "accepted conn", static_cast<std::int64_t>(counter(b, Counter::accepted_conn)));
  field(out, "listen queue", gauge(b, Gauge::listen_queue));
  field(out, "max listen queue", gauge(b, Gauge::max_listen_queue));
  field(out, "listen queue len", gauge(b, Gauge::listen_queue_len));
  field(out, "idle processes", sum.idle);
  field(out, "active processes", sum.active);
  field(out, "total processes", sum.total);
  field(out, "max children reached",
        static_cast<std::int64_t>(counter(b, Counter::max_children_reached)));
  field(out, "slow requests", static_cast<std::int64_t>(counter(b, Counter::slow_requests)));
  field(out, "version", s.header.version);
  field(out, "master pid", s.header.master_pid.load(kRelaxed));
  field(out, "workers configured", b.workers_configured.load(kRelaxed));
  field(out, "respawns", static_cast<std::int64_t>(counter(b, Counter::worker_respawns)));
  field(out, "recycles", static_cast<std::int64_t>(counter(b, Counter::worker_recycles)));
  out += "\"requests\":{";
  for (int c = 0; c < 5; ++c) {
    char name[4] = {static_cast<char>('1' + c), 'x', 'x', 0};
    field(out, name, static_cast<std::int64_t>(sum.classes[c]), c < 4);
  }
  out += "},\"database\":{\"errors\":{";
  for (int c = 0; c < kDbErrorClassCount; ++c) {
    field(out, sqlstate_class_name(static_cast<DbErrorClass>(c)),
          static_cast<std::int64_t>(b.db_errors[c].load(kRelaxed)), c + 1 < kDbErrorClassCount);
  }
  out += "},";
  field(out, "reconnects", static_cast<std::int64_t>(counter(b, Counter::db_reconnects)), false);
  out += "},\"jwks\":{";
  field(out, "keys", gauge(b, Gauge::jwks_keys));
  field(out, "last refresh", gauge(b, Gauge::jwks_last_refresh_unix));
  field(out, "refreshes", static_cast<std::int64_t>(counter(b, Counter::jwks_refreshes)));
  field(out, "refresh failures",
        static_cast<std::int64_t>(counter(b, Counter::jwks_refresh_failures)), false);
  out += "},\"token cache\":{";
  field(out, "hits", static_cast<std::int64_t>(counter(b, Counter::token_cache_hits)));
  field(out, "misses", static_cast<std::int64_t>(counter(b, Counter::token_cache_misses)), false);
  out += "},\"limits\":{";
  field(out, "rate limited", static_cast<std::int64_t>(counter(b, Counter::rate_limited)));
  field(out, "rate limit fail open",
        static_cast<std::int64_t>(counter(b, Counter::rate_limit_fail_open)));
  field(out, "quota refused", static_cast<std::int64_t>(counter(b, Counter::quota_refused)), false);
  out += '}';
  if (full) {
    out += ",\"processes\":[";
    bool first = true;
    for (const auto& w : b.slots) {
      if (w.state.load(kRelaxed) == static_cast<std::uint8_t>(WorkerState::free)) continue;
      if (!first) out += ',';
      first = false;
      append_worker_json(out, w, now_ms);
    }
    out += ']';
  }
  out += "}";
}

namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void value_line(std::string& out, const char* name, const std::string& labels,
                const std::string& value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

void simple(std::string& out, const char* name, const char* type, const char* help,
            std::int64_t value) {
  family(out, name, type, help);
  value_line(out, name, "", std::to_string(value));
}

std::string seconds(std::uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(us) / 1e6);
  return buf;
}

void request_metrics(const Scoreboard& b, std::string& out) {
  family(out, "todo_api_requests_total", "counter",
         "Requests answered by the workers, by route template, method and status code.");
  for (int r = 0; r < kMaxRoutes; ++r) {
    for (int m = 0; m < kMethodCount; ++m) {
      for (int c = 0; c < kCodeSlots; ++c) {
        std::uint64_t n = b.requests[r][m][c].load(kRelaxed);
        if (n == 0) continue;
        value_line(out, "todo_api_requests_total",
                   std::string("route=\"") + route_label(r) + "\",method=\"" + method_label(m) +
                       "\",code=\"" + code_label(c) + '"',
                   std::to_string(n));
      }
    }
  }
  family(out, "todo_api_request_duration_seconds", "histogram",
         "Time from accepting a request to its last byte handed to nginx, by route.");
  for (int r = 0; r < kMaxRoutes; ++r) {
    std::uint64_t buckets[kBucketCount];
    std::uint64_t total = 0;
    for (int i = 0; i < kBucketCount; ++i)
      total += buckets[i] = b.latency_buckets[r][i].load(kRelaxed);
    if (total == 0) continue;
    std::string route = std::string("route=\"") + route_label(r) + '"';
    std::uint64_t cumulative = 0;
    for (int i = 0; i < kBucketCount; ++i) {
      cumulative += buckets[i];
      value_line(out, "todo_api_request_duration_seconds_bucket",
                 route + ",le=\"" + kBucketLabels[i] + '"', std::to_string(cumulative));
    }
    value_line(out, "todo_api_request_duration_seconds_sum", route,
               seconds(b.latency_sum_us[r].load(kRelaxed)));
    value_line(out, "todo_api_request_duration_seconds_count", route, std::to_string(cumulative));
  }
}

}  // namespace

void render_metrics(const SharedState& s, std::string& out) {
  const Scoreboard& b = s.scoreboard;
  Summary sum = summarize(b);
  family(out, "todo_api_build_info", "gauge", "The running version (always 1).");
  value_line(out, "todo_api_build_info", std::string("version=\"") + s.header.version + '"', "1");
  simple(out, "todo_api_start_time_seconds", "gauge", "Unix time the pool started.",
         b.start_unix_ms.load(kRelaxed) / 1000);
  request_metrics(b, out);
  family(out, "todo_api_workers", "gauge", "Worker processes by what they are doing.");
  for (int st = 1; st < kWorkerStateCount; ++st) {
    value_line(out, "todo_api_workers",
               std::string("state=\"") + state_name(static_cast<WorkerState>(st)) + '"',
               std::to_string(sum.by_state[st]));
  }
  simple(out, "todo_api_workers_configured", "gauge", "WORKERS of the pool.",
         b.workers_configured.load(kRelaxed));
  simple(out, "todo_api_accepted_connections_total", "counter",
         "Requests accepted by the workers (php-fpm: accepted conn).",
         static_cast<std::int64_t>(counter(b, Counter::accepted_conn)));
  simple(out, "todo_api_listen_queue", "gauge",
         "Connections waiting in the FastCGI socket's accept queue for a free worker.",
         gauge(b, Gauge::listen_queue));
  simple(out, "todo_api_listen_queue_max", "gauge", "The largest listen queue seen since start.",
         gauge(b, Gauge::max_listen_queue));
  simple(out, "todo_api_listen_queue_length", "gauge",
         "Capacity of the accept queue (the socket's backlog).", gauge(b, Gauge::listen_queue_len));
  simple(out, "todo_api_max_children_reached_total", "counter",
         "Times connections had to queue because every worker was busy.",
         static_cast<std::int64_t>(counter(b, Counter::max_children_reached)));
  simple(out, "todo_api_slow_requests_total", "counter", "Requests over SLOW_REQUEST_MS.",
         static_cast<std::int64_t>(counter(b, Counter::slow_requests)));
  family(out, "todo_api_db_errors_total", "counter",
         "Failed database statements by class (from the SQLSTATE).");
  for (int c = 0; c < kDbErrorClassCount; ++c) {
    value_line(out, "todo_api_db_errors_total",
               std::string("class=\"") + sqlstate_class_name(static_cast<DbErrorClass>(c)) + '"',
               std::to_string(b.db_errors[c].load(kRelaxed)));
  }
  struct Row {
    const char* name;
    const char* help;
    Counter c;
  };
  constexpr Row kCounters[] = {
      {"todo_api_db_reconnects_total", "Database connections lost and re-opened.",
       Counter::db_reconnects},
      {"todo_api_worker_respawns_total", "Workers that died (signal or error) and were replaced.",
       Counter::worker_respawns},
      {"todo_api_worker_recycles_total", "Workers replaced after MAX_REQUESTS.",
       Counter::worker_recycles},
      {"todo_api_jwks_refreshes_total", "Successful JWKS loads.", Counter::jwks_refreshes},
      {"todo_api_jwks_refresh_failures_total", "Failed JWKS loads (the old keys stay in use).",
       Counter::jwks_refresh_failures},
      {"todo_api_token_cache_hits_total", "Tokens found already verified in a worker's cache.",
       Counter::token_cache_hits},
      {"todo_api_token_cache_misses_total", "Tokens whose signature had to be verified.",
       Counter::token_cache_misses},
      {"todo_api_rate_limited_total", "Requests refused with 429 by the per-user rate limit.",
       Counter::rate_limited},
      {"todo_api_rate_limit_fail_open_total",
       "Requests admitted without a rate-limit bucket (table crowded).",
       Counter::rate_limit_fail_open},
      {"todo_api_quota_refusals_total", "Creates refused with 422 quota_exceeded.",
       Counter::quota_refused},
  };
  for (const auto& row : kCounters) {
    simple(out, row.name, "counter", row.help, static_cast<std::int64_t>(counter(b, row.c)));
  }
  simple(out, "todo_api_jwks_keys", "gauge", "Keys in the last JWKS loaded.",
         gauge(b, Gauge::jwks_keys));
  simple(out, "todo_api_jwks_last_refresh_timestamp_seconds", "gauge",
         "Unix time of the last successful JWKS load (0: never).",
         gauge(b, Gauge::jwks_last_refresh_unix));
}

namespace {

std::string utc(std::int64_t unix_s) {
  time_t t = static_cast<time_t>(unix_s);
  tm tm_utc{};
  gmtime_r(&t, &tm_utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm_utc);
  return buf;
}

std::string duration(std::int64_t s) {
  char buf[48];
  if (s >= 86400) {
    std::snprintf(buf, sizeof buf, "%lldd %lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  } else if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh %lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldm %llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

void line(std::string& out, const char* name, const std::string& value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%-22s", name);
  out += buf;
  out += value;
  out += '\n';
}

std::string n(std::uint64_t v) {
  return std::to_string(v);
}

}  // namespace

void render_status_table(const SharedState& s, bool full, std::int64_t now_ms, std::string& out) {
  const Scoreboard& b = s.scoreboard;
  Summary sum = summarize(b);
  std::int64_t start_s = b.start_unix_ms.load(kRelaxed) / 1000;
  line(out, "pool:",
       std::string(s.header.pool) + " " + s.header.version + " (master pid " +
           std::to_string(s.header.master_pid.load(kRelaxed)) + ")");
  line(out, "start time:", utc(start_s) + " (up " + duration(now_ms / 1000 - start_s) + ")");
  line(out, "processes:",
       "active " + std::to_string(sum.active) + ", idle " + std::to_string(sum.idle) + ", total " +
           std::to_string(sum.total) + " (WORKERS=" + std::to_string(b.workers_configured.load()) +
           ")");
  line(out, "accepted conn:", n(counter(b, Counter::accepted_conn)));
  line(out, "listen queue:",
       std::to_string(gauge(b, Gauge::listen_queue)) + " (max " +
           std::to_string(gauge(b, Gauge::max_listen_queue)) + ", backlog " +
           std::to_string(gauge(b, Gauge::listen_queue_len)) + ")");
  line(out, "max children reached:", n(counter(b, Counter::max_children_reached)));
  line(out, "slow requests:", n(counter(b, Counter::slow_requests)));
  line(out, "requests:",
       "2xx " + n(sum.classes[1]) + ", 3xx " + n(sum.classes[2]) + ", 4xx " + n(sum.classes[3]) +
           ", 5xx " + n(sum.classes[4]));
  line(out, "respawns / recycles:",
       n(counter(b, Counter::worker_respawns)) + " / " + n(counter(b, Counter::worker_recycles)));
  std::string db;
  for (int c = 0; c < kDbErrorClassCount; ++c) {
    db += std::string(c ? ", " : "") + sqlstate_class_name(static_cast<DbErrorClass>(c)) + " " +
          n(b.db_errors[c].load(kRelaxed));
  }
  line(out, "database errors:", db + "; reconnects " + n(counter(b, Counter::db_reconnects)));
  std::int64_t jwks_at = gauge(b, Gauge::jwks_last_refresh_unix);
  line(out, "jwks:",
       std::to_string(gauge(b, Gauge::jwks_keys)) + " keys, last refresh " +
           (jwks_at ? utc(jwks_at) : std::string("never")) + ", failures " +
           n(counter(b, Counter::jwks_refresh_failures)));
  line(out, "token cache:",
       "hits " + n(counter(b, Counter::token_cache_hits)) + ", misses " +
           n(counter(b, Counter::token_cache_misses)));
  line(out, "limits:",
       "429 " + n(counter(b, Counter::rate_limited)) + ", fail-open " +
           n(counter(b, Counter::rate_limit_fail_open)) + ", quota " +
           n(counter(b, Counter::quota_refused)));
  if (!full) return;
  char buf[256];
  std::snprintf(buf, sizeof buf, "\n%8s  %-8s  %-9s  %9s  %10s  %-7s  %-26s  %s\n", "PID", "STATE",
                "UP", "REQUESTS", "DURATION", "METHOD", "ROUTE", "PREDECESSOR EXIT");
  out += buf;
  for (const auto& w : b.slots) {
    auto st = static_cast<WorkerState>(w.state.load(kRelaxed));
    if (st == WorkerState::free) continue;
    bool busy = st != WorkerState::idle && st != WorkerState::starting;
    std::int64_t req_start = w.request_start_unix_ms.load(kRelaxed);
    double ms = busy ? static_cast<double>(now_ms - req_start)
                     : static_cast<double>(w.last_duration_us.load(kRelaxed)) / 1000.0;
    std::snprintf(buf, sizeof buf, "%8d  %-8s  %-9s  %9llu  %8.1fms  %-7s  %-26s  %s\n",
                  w.pid.load(kRelaxed), state_name(st),
                  duration((now_ms - w.started_unix_ms.load(kRelaxed)) / 1000).c_str(),
                  static_cast<unsigned long long>(w.requests.load(kRelaxed)), ms,
                  req_start ? method_label(w.method.load(kRelaxed)) : "-",
                  req_start ? route_label(w.route.load(kRelaxed)) : "-",
                  w.predecessor_exit[0] ? w.predecessor_exit : "-");
    out += buf;
  }
}
