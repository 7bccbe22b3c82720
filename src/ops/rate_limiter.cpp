#include "ops/rate_limiter.h"

#include <algorithm>

namespace {

constexpr std::int64_t kNsPerSecond = 1000000000;
constexpr int kClaimAttempts = 3;

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// GCRA on one entry: admit when the bucket has a token (tat - now <= (burst-1) * T).
RateDecision consume(RateLimiter::Entry& e, std::uint64_t key, std::int64_t now,
                     std::int64_t interval, std::int64_t tolerance) {
  RateDecision d;
  std::int64_t old = e.tat.load(std::memory_order_relaxed);
  while (true) {
    std::int64_t base = std::max(old, now);
    if (base - now > tolerance) {
      // The slot may have gone to another user since we read its key: their bucket
      // must never refuse us (API.md §1: one user's limits never slow another).
      if (e.key.load(std::memory_order_acquire) != key) {
        d.failed_open = true;
        return d;
      }
      std::int64_t wait_ns = base - tolerance - now;
      d.allowed = false;
      d.retry_after_seconds =
          std::max<std::int64_t>(1, (wait_ns + kNsPerSecond - 1) / kNsPerSecond);
      return d;
    }
    if (e.tat.compare_exchange_weak(old, base + interval, std::memory_order_acq_rel)) break;
  }
  // The slot may have been reclaimed for another user between our look at its key
  // and our update: then our token came out of their fresh bucket. Give it back, so
  // that only we (admitted anyway) bear the race, never them.
  if (e.key.load(std::memory_order_acquire) != key) {
    std::int64_t cur = e.tat.load(std::memory_order_relaxed);
    while (!e.tat.compare_exchange_weak(cur, cur - interval, std::memory_order_acq_rel)) {
    }
  }
  return d;
}

}  // namespace

std::uint64_t rate_limit_key(std::string_view user_id, std::uint64_t seed) {
  std::uint64_t h = mix(seed ^ 0x9e3779b97f4a7c15ULL);
  for (unsigned char c : user_id) h = mix(h ^ c) + 0x9e3779b97f4a7c15ULL;
  h = mix(h ^ user_id.size());
  return h == 0 ? 1 : h;
}

RateDecision rate_limit_check(RateLimiter& table, std::uint64_t key, std::int64_t now_ns,
                              std::int64_t rate, std::int64_t burst) {
  const std::int64_t interval = std::max<std::int64_t>(1, kNsPerSecond / rate);
  const std::int64_t tolerance = (std::max<std::int64_t>(burst, 1) - 1) * interval;
  const std::size_t mask = RateLimiter::kEntries - 1;
  const std::size_t home = static_cast<std::size_t>(key) & mask;

  for (int attempt = 0; attempt < kClaimAttempts; ++attempt) {
    RateLimiter::Entry* candidate = nullptr;
    std::uint64_t candidate_key = 0;
    for (int i = 0; i < RateLimiter::kProbe; ++i) {
      RateLimiter::Entry& e = table.entries[(home + static_cast<std::size_t>(i)) & mask];
      std::uint64_t k = e.key.load(std::memory_order_acquire);
      if (k == key) return consume(e, key, now_ns, interval, tolerance);
      // Empty, or a full bucket (idle user): forgetting it loses nothing.
      if (candidate == nullptr && (k == 0 || e.tat.load(std::memory_order_relaxed) <= now_ns)) {
        candidate = &e;
        candidate_key = k;
      }
    }
    if (candidate == nullptr) break;
    if (candidate->key.compare_exchange_strong(candidate_key, key, std::memory_order_acq_rel)) {
      // Its bucket is full (tat <= now), as a new user's must be: no reset needed, and
      // none wanted, since a concurrent request of this same user may already count.
      return consume(*candidate, key, now_ns, interval, tolerance);
    }
    // Another worker took that slot first (perhaps for this very user): look again.
  }
  RateDecision open;
  open.failed_open = true;
  return open;
}
