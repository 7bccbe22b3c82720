// openloop: the open-loop load generator of `make bench` (QUALITY.md's latency bar).
//
//   openloop --url https://127.0.0.1:PORT --users USERS_FILE --scenario get
//            --rate 1000 --duration 10 [--warmup 2] [--connections 32] [--timeout-ms 5000]
//
// Request i is due at t0 + i / rate, whether or not earlier requests have answered: the
// offered rate is constant and its latency is measured from that *intended* send time, so
// a stall of the server counts against every request that should have gone out meanwhile
// (no coordinated omission, unlike a closed-loop wrk run whose p99 at saturation only
// measures its own queue). Requests that find every connection busy wait in libcurl's
// queue, on the clock. Why a program of our own: wrk cannot pace, and Debian 12 has no
// wrk2, vegeta or oha (docs/PERFORMANCE.md).
//
// libcurl's multi interface, one thread, HTTP/1.1 over keep-alive TLS connections (at
// most --connections, reused; TLS sessions shared so a reconnect resumes). The wait is
// pselect() with a nanosecond timeout, so sends are not rounded to milliseconds.
//
// USERS_FILE and SCENARIO are those of bench/api.lua: one "<token> <task id>,..." line
// per user; list | get | create | toggle | mix (35% list, 35% get, 20% toggle, 10% create).
// Prints one line "OPENLOOP_JSON {...}": latency percentiles in µs over the measured
// requests (those due after the warm-up), statuses, errors, and the send lag (how late the
// generator itself put requests on the wire), which shows whether the generator kept up.
#include <curl/curl.h>
#include <sys/select.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "util/c_handles.h"  // CFree: one deleter per C type, as in src/

namespace {

using EasyPtr = std::unique_ptr<CURL, CFree<curl_easy_cleanup>>;
using MultiPtr = std::unique_ptr<CURLM, CFree<curl_multi_cleanup>>;
using SharePtr = std::unique_ptr<CURLSH, CFree<curl_share_cleanup>>;
using SlistPtr = std::unique_ptr<curl_slist, CFree<curl_slist_free_all>>;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Options {
  std::string url, users_file, scenario, cacert;
  double rate = 0, duration = 0, warmup = 0;
  long connections = 32, timeout_ms = 5000;
  std::uint64_t seed = 0;
};

struct User {
  std::string auth;  // "Authorization: Bearer <token>"
  std::vector<std::string> task_ids;
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "openloop: %s\n", msg.c_str());
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) die("missing value for " + std::string(a));
    const char* v = argv[++i];
    if (a == "--url")
      o.url = v;
    else if (a == "--users")
      o.users_file = v;
    else if (a == "--scenario")
      o.scenario = v;
    else if (a == "--cacert")
      o.cacert = v;
    else if (a == "--rate")
      o.rate = std::atof(v);
    else if (a == "--duration")
      o.duration = std::atof(v);
    else if (a == "--warmup")
      o.warmup = std::atof(v);
    else if (a == "--connections")
      o.connections = std::atol(v);
    else if (a == "--timeout-ms")
      o.timeout_ms = std::atol(v);
    else if (a == "--seed")
      o.seed = std::strtoull(v, nullptr, 10);
    else
      die("unknown option " + std::string(a));
  }
  if (o.url.empty() || o.users_file.empty() || o.scenario.empty())
    die("usage: openloop --url URL --users FILE --scenario S --rate R --duration D "
        "[--warmup W] [--connections N] [--timeout-ms T] [--cacert PEM] [--seed N]");
  if (!(o.rate > 0) || !(o.duration > 0) || o.warmup < 0 || o.connections < 1 || o.timeout_ms < 1)
    die("--rate and --duration must be > 0, --warmup >= 0, --connections and --timeout-ms >= 1");
  static const char* known[] = {"list", "get", "create", "toggle", "mix"};
  if (std::none_of(std::begin(known), std::end(known),
                   [&](const char* s) { return o.scenario == s; }))
    die("unknown scenario " + o.scenario);
  return o;
}

std::vector<User> read_users(const std::string& path) {
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  std::vector<User> users;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string token, ids;
    if (!(fields >> token)) continue;
    fields >> ids;
    User u{"Authorization: Bearer " + token, {}};
    std::size_t start = 0;
    while (start < ids.size()) {
      std::size_t comma = ids.find(',', start);
      if (comma == std::string::npos) comma = ids.size();
      if (comma > start) u.task_ids.push_back(ids.substr(start, comma - start));
      start = comma + 1;
    }
    users.push_back(std::move(u));
  }
  if (users.empty()) die("no users in " + path);
  return users;
}

// One request slot: its easy handle and whatever the handle points into while in flight.
struct Slot {
  EasyPtr easy{curl_easy_init()};
  SlistPtr headers;
  std::string url, body;
  std::int64_t due_ns = 0;
  bool measured = false;
};

std::size_t discard(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

class Generator {
 public:
  Generator(const Options& o, std::vector<User> users)
      : o_(o), users_(std::move(users)), rng_(o.seed ? o.seed : std::random_device{}()) {
    if (!multi_ || !share_) die("libcurl initialisation failed");
    curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS, o.connections);
    curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, o.connections);
    curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, o.connections);
    curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING, long(CURLPIPE_NOTHING));
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }

  int run() {
    const double interval_ns = 1e9 / o_.rate;
    const auto warm_n = static_cast<std::int64_t>(std::llround(o_.warmup * o_.rate));
    const auto total_n = warm_n + static_cast<std::int64_t>(std::llround(o_.duration * o_.rate));
    const std::int64_t t0 = now_ns() + 10'000'000;
    std::int64_t next = 0;
    std::int64_t drain_deadline = 0;
    latencies_.reserve(static_cast<std::size_t>(total_n - warm_n));
    while (true) {
      std::int64_t now = now_ns();
      for (; next < total_n; ++next) {
        std::int64_t due = t0 + static_cast<std::int64_t>(std::llround(next * interval_ns));
        if (due > now) break;
        submit(due, next >= warm_n, now);
      }
      int running = 0;
      curl_multi_perform(multi_.get(), &running);
      collect();
      if (next >= total_n) {
        if (in_flight_ == 0) break;
        if (drain_deadline == 0) drain_deadline = now + (o_.timeout_ms + 1000) * 1'000'000LL;
        if (now > drain_deadline) {
          unfinished_ = in_flight_;
          break;
        }
      }
      std::int64_t wait = 100'000'000;  // 100 ms at most
      if (next < total_n)
        wait = t0 + static_cast<std::int64_t>(std::llround(next * interval_ns)) - now_ns();
      long curl_ms = -1;
      curl_multi_timeout(multi_.get(), &curl_ms);
      if (curl_ms >= 0) wait = std::min<std::int64_t>(wait, curl_ms * 1'000'000LL);
      if (wait > 0) wait_for_sockets(wait);
    }
    end_ns_ = now_ns();
    measure_start_ns_ = t0 + static_cast<std::int64_t>(std::llround(warm_n * interval_ns));
    print();
    return 0;
  }

 private:
  void wait_for_sockets(std::int64_t wait_ns) {
    fd_set r, w, e;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    int maxfd = -1;
    curl_multi_fdset(multi_.get(), &r, &w, &e, &maxfd);
    timespec ts{static_cast<time_t>(wait_ns / 1'000'000'000),
                static_cast<long>(wait_ns % 1'000'000'000)};
    if (pselect(maxfd + 1, &r, &w, &e, &ts, nullptr) < 0 && errno != EINTR) die("pselect failed");
  }

  Slot* take_slot() {
    if (free_.empty()) {
      slots_.push_back(std::make_unique<Slot>());
      if (!slots_.back()->easy) die("curl_easy_init failed");
      return slots_.back().get();
    }
    Slot* s = free_.back();
    free_.pop_back();
    curl_easy_reset(s->easy.get());
    return s;
  }

  const std::string& pick_task(const User& u) {
    std::uniform_int_distribution<std::size_t> d(0, u.task_ids.size() - 1);
    return u.task_ids[d(rng_)];
  }

  void submit(std::int64_t due, bool measured, std::int64_t now) {
    std::string kind = o_.scenario;
    if (kind == "mix") {
      int r = std::uniform_int_distribution<int>(1, 100)(rng_);
      kind = r <= 35 ? "list" : r <= 70 ? "get" : r <= 90 ? "toggle" : "create";
    }
    const User& u = users_[std::uniform_int_distribution<std::size_t>(0, users_.size() - 1)(rng_)];
    if ((kind == "get" || kind == "toggle") && u.task_ids.empty()) die("a user without task ids");
    Slot* s = take_slot();
    CURL* e = s->easy.get();
    s->due_ns = due;
    s->measured = measured;
    s->headers.reset(curl_slist_append(nullptr, u.auth.c_str()));
    curl_slist_append(s->headers.get(), "Expect:");
    if (kind == "list") {
      s->url = o_.url + "/api/tasks";
    } else if (kind == "get") {
      s->url = o_.url + "/api/tasks/" + pick_task(u);
    } else if (kind == "toggle") {
      s->url = o_.url + "/api/tasks/" + pick_task(u) + "/complete";
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PATCH");
    } else {  // create: the body of bench/api.lua
      s->url = o_.url + "/api/tasks";
      s->body = "{\"title\":\"Bench task o-" + std::to_string(++creates_) +
                "\",\"description\":\"Created by make bench: buy milk, call the bank\","
                "\"priority\":\"high\",\"due_at\":\"2026-12-24T18:00:00Z\",\"tags\":[\"bench\","
                "\"errands\"]}";
      curl_slist_append(s->headers.get(), "Content-Type: application/json");
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, long(s->body.size()));
    }
    curl_easy_setopt(e, CURLOPT_URL, s->url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers.get());
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_1_1));  // as wrk
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o_.timeout_ms);
    curl_easy_setopt(e, CURLOPT_SHARE, share_.get());
    if (o_.cacert.empty()) {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);  // 127.0.0.1, the bench's own certificate
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
      curl_easy_setopt(e, CURLOPT_CAINFO, o_.cacert.c_str());
    }
    if (curl_multi_add_handle(multi_.get(), e) != CURLM_OK) die("curl_multi_add_handle failed");
    ++in_flight_;
    if (measured) {
      ++sent_;
      send_lag_.push_back(static_cast<std::uint32_t>(std::max<std::int64_t>(0, now - due) / 1000));
    }
  }

  void collect() {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_.get(), &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      std::int64_t done = now_ns();
      CURL* e = m->easy_handle;
      Slot* s = nullptr;
      curl_easy_getinfo(e, CURLINFO_PRIVATE, &s);
      long status = 0, connects = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
      curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
      CURLcode rc = m->data.result;
      curl_multi_remove_handle(multi_.get(), e);
      --in_flight_;
      ++completed_all_;
      if (s->measured) {
        new_connections_ += connects;
        if (rc != CURLE_OK) {
          ++errors_[curl_easy_strerror(rc)];
        } else {
          ++statuses_[status];
          if (status < 200 || status > 299) ++non2xx_;
          latencies_.push_back(static_cast<std::uint32_t>(
              std::min<std::int64_t>((done - s->due_ns) / 1000, UINT32_MAX)));
        }
      }
      s->headers.reset();
      free_.push_back(s);
    }
  }

  static std::uint32_t percentile(const std::vector<std::uint32_t>& sorted, double p) {
    if (sorted.empty()) return 0;
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * double(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
  }

  void print() {
    std::sort(latencies_.begin(), latencies_.end());
    std::sort(send_lag_.begin(), send_lag_.end());
    double secs = double(end_ns_ - measure_start_ns_) / 1e9;
    double mean = 0;
    for (auto v : latencies_) mean += v;
    if (!latencies_.empty()) mean /= double(latencies_.size());
    std::string statuses, errors;
    for (auto& [code, n] : statuses_)
      statuses +=
          (statuses.empty() ? "" : ",") + ("\"" + std::to_string(code) + "\":" + std::to_string(n));
    std::int64_t nerrors = unfinished_;
    for (auto& [what, n] : errors_) {
      errors += (errors.empty() ? "" : ",") + ("\"" + what + "\":" + std::to_string(n));
      nerrors += n;
    }
    std::printf(
        "OPENLOOP_JSON {\"offered_rps\":%.1f,\"duration_s\":%.3f,\"sent\":%lld,\"completed\":%zu,"
        "\"rps\":%.1f,\"p50_us\":%u,\"p90_us\":%u,\"p99_us\":%u,\"p999_us\":%u,\"max_us\":%u,"
        "\"mean_us\":%.1f,\"non2xx\":%lld,\"statuses\":{%s},\"errors\":%lld,\"error_kinds\":{%s},"
        "\"unfinished\":%lld,\"send_lag_p99_us\":%u,\"send_lag_max_us\":%u,\"new_connections\":%ld,"
        "\"connections\":%ld,\"completed_all\":%lld}\n",
        o_.rate, secs, static_cast<long long>(sent_), latencies_.size(),
        secs > 0 ? double(latencies_.size()) / secs : 0.0, percentile(latencies_, 50),
        percentile(latencies_, 90), percentile(latencies_, 99), percentile(latencies_, 99.9),
        latencies_.empty() ? 0u : latencies_.back(), mean, static_cast<long long>(non2xx_),
        statuses.c_str(), static_cast<long long>(nerrors), errors.c_str(),
        static_cast<long long>(unfinished_), percentile(send_lag_, 99),
        send_lag_.empty() ? 0u : send_lag_.back(), new_connections_, o_.connections,
        static_cast<long long>(completed_all_));
    std::fflush(stdout);
  }

  Options o_;
  std::vector<User> users_;
  std::mt19937_64 rng_;
  MultiPtr multi_{curl_multi_init()};
  SharePtr share_{curl_share_init()};
  std::vector<std::unique_ptr<Slot>> slots_;  // every slot ever made; handles reused
  std::vector<Slot*> free_;
  std::vector<std::uint32_t> latencies_, send_lag_;
  std::map<long, std::int64_t> statuses_;
  std::map<std::string, std::int64_t> errors_;
  std::int64_t in_flight_ = 0, sent_ = 0, non2xx_ = 0, unfinished_ = 0, creates_ = 0;
  std::int64_t completed_all_ = 0;  // warm-up included: what the server did while we ran
  long new_connections_ = 0;
  std::int64_t end_ns_ = 0, measure_start_ns_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) die("curl_global_init failed");
  int rc;
  {
    Generator g(o, read_users(o.users_file));  // destroyed before curl_global_cleanup
    rc = g.run();
  }
  curl_global_cleanup();
  return rc;
}
