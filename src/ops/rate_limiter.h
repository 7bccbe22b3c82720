// Per-user request rate limit (USER_RATE_LIMIT / USER_RATE_BURST, API.md §1),
// shared by all workers of a pool through the shared segment.
//
// A token bucket per user, kept as GCRA: one 64-bit "theoretical arrival time" per
// user, updated with compare-and-swap, so there is no lock a killed worker could
// hold. A bucket holds `burst` requests and refills at `rate` per second.
//
// The table is fixed: open addressing on a keyed 64-bit hash of the user id, with
// at most kProbe slots looked at. It degrades safely:
//  - never grows: a slot is reclaimable as soon as its bucket is full again (the
//    user has been idle long enough that forgetting them changes nothing), or empty;
//  - never refuses a user because of other users: when no slot can be had in the
//    probe window the request is admitted (fail open) and counted;
//  - races between workers are settled by compare-and-swap; the one left is a
//    request of a slot's previous owner that lands within a few instructions of the
//    slot being reclaimed: it gives its token back when it sees the new key, so at
//    worst the new owner's full bucket is one token short for that instant.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

struct RateLimiter {
  static constexpr std::size_t kEntries = std::size_t{1} << 16;  // 1 MiB
  static constexpr int kProbe = 16;
  struct Entry {
    std::atomic<std::uint64_t> key;  // 0 = never used
    std::atomic<std::int64_t> tat;   // theoretical arrival time, monotonic ns
  };
  Entry entries[kEntries];
};

struct RateDecision {
  bool allowed = true;
  std::int64_t retry_after_seconds = 0;  // >= 1 when refused
  bool failed_open = false;              // admitted because no slot could be had
};

// `rate` requests per second (> 0), `burst` >= 1; `now_ns` is CLOCK_MONOTONIC,
// the same clock in every process.
RateDecision rate_limit_check(RateLimiter& table, std::uint64_t key, std::int64_t now_ns,
                              std::int64_t rate, std::int64_t burst);

// The table key of a user id: a 64-bit hash keyed by `seed` (never 0). The seed is
// random per pool and lives in process memory, not in the segment, so the file
// does not let anyone confirm a user id.
std::uint64_t rate_limit_key(std::string_view user_id, std::uint64_t seed);
