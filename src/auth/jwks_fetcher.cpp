#include "auth/jwks_fetcher.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>

#include "ops/log.h"

namespace {

constexpr int kMaxSleepSeconds = 60;  // wakes now and then even with a long TTL

// One fetch. The attempt is recorded before the network is touched, so even a fetcher
// that crashes mid-fetch (and is restarted by the master) keeps the 30 s pace.
void attempt(const Config& config, const JwksLoader& loader, JwksShared& shared, std::int64_t now,
             bool for_unknown_kid) {
  shared.schedule.record(now, for_unknown_kid, false);
  shared.fetches.fetch_add(1, std::memory_order_relaxed);
  JwksFetch fetched = loader();
  if (!fetched.ok) {
    jwks_shared_fail(shared, fetched.error);
    return;
  }
  KeySet keys;
  std::string error;
  const std::string& source = jwks_location(config);
  if (!parse_jwks(fetched.body, keys, error)) {
    log_skipped_keys(keys, source);
    log_warn("JWKS rejected", {{"source", source}, {"error", error}});
    jwks_shared_fail(shared, source + ": " + error);
    return;
  }
  log_skipped_keys(keys, source);
  shared.schedule.record(now, for_unknown_kid, true);
  jwks_shared_publish(shared, fetched.body);
  log_info("JWKS published", {{"keys", std::to_string(keys.keys.size())},
                              {"generation", std::to_string(shared.document.generation())},
                              {"reason", for_unknown_kid ? "unknown kid" : "schedule"}});
}

}  // namespace

bool jwks_fetcher_wanted(const Config& config) {
  return config.jwks_file.empty() && !config.jwks_url.empty();
}

int run_jwks_fetcher(const Config& config, JwksShared& shared, int ready_fd) {
  // SIGTERM keeps its default action: the fetcher holds nothing that needs a drain.
  signal(SIGHUP, SIG_IGN);  // reloads are the master's business
  signal(SIGPIPE, SIG_IGN);
  const JwksLoader loader = make_configured_jwks_loader(config);
  bool announced = false;
  for (;;) {
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    const std::uint32_t requested = shared.refresh_requested.load(std::memory_order_acquire);
    const std::int64_t due = shared.schedule.next_load_at(requested != 0);
    if (now >= due) {
      // Taken up before the fetch: a kid first seen while it runs asks again (and is
      // honoured 30 s later), rather than being lost.
      if (requested != 0) shared.refresh_requested.store(0, std::memory_order_release);
      attempt(config, loader, shared, now, requested != 0);
      continue;
    }
    if (!announced) {
      const pid_t self = getpid();
      if (write(ready_fd, &self, sizeof self) != sizeof self)
        log_warn("could not report readiness");
      close(ready_fd);
      announced = true;
    }
    // Sleeps until the next load is due or a worker raises the flag (futex wake).
    const int seconds = static_cast<int>(std::clamp<std::int64_t>(due - now, 1, kMaxSleepSeconds));
    jwks_shared_wait(shared, requested, seconds);
  }
}
