// The per-user token bucket (GCRA) and its fixed table: limits, refill, isolation
// between users, and the table's degradation (fail open, reclaim, never grow).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "ops/rate_limiter.h"

namespace {

constexpr std::int64_t kSecond = 1000000000;
constexpr std::int64_t kT0 = 1000 * kSecond;  // a monotonic clock well past zero

std::unique_ptr<RateLimiter> table() {
  return std::make_unique<RateLimiter>();  // value-initialized: every entry empty
}

// Keys that all hash to the same home slot, as many users' ids could.
std::uint64_t same_home(std::uint64_t home, std::uint64_t i) {
  return (i + 1) << 16 | home;
}

TEST(RateLimiter, BurstThenRefusalWithRetryAfter) {
  auto t = table();
  const std::uint64_t user = rate_limit_key("user-1", 42);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(rate_limit_check(*t, user, kT0, 20, 100).allowed) << "request " << i;
  }
  RateDecision d = rate_limit_check(*t, user, kT0, 20, 100);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 1);
  EXPECT_FALSE(d.failed_open);
}

TEST(RateLimiter, RefillsAtTheRate) {
  auto t = table();
  const std::uint64_t user = rate_limit_key("user-1", 42);
  for (int i = 0; i < 100; ++i) rate_limit_check(*t, user, kT0, 20, 100);
  ASSERT_FALSE(rate_limit_check(*t, user, kT0, 20, 100).allowed);
  // One second later: exactly 20 more (one per 50 ms).
  int admitted = 0;
  for (int i = 0; i < 30; ++i)
    admitted += rate_limit_check(*t, user, kT0 + kSecond, 20, 100).allowed;
  EXPECT_EQ(admitted, 20);
  // 49 ms after that: still nothing; 50 ms: one.
  EXPECT_FALSE(rate_limit_check(*t, user, kT0 + kSecond + 49000000, 20, 100).allowed);
  EXPECT_TRUE(rate_limit_check(*t, user, kT0 + kSecond + 50000000, 20, 100).allowed);
}

TEST(RateLimiter, AnotherUserIsNeverAffected) {
  auto t = table();
  const std::uint64_t a = rate_limit_key("alice", 7);
  const std::uint64_t b = rate_limit_key("bob", 7);
  ASSERT_NE(a, b);
  for (int i = 0; i < 1000; ++i) rate_limit_check(*t, a, kT0, 20, 100);
  EXPECT_FALSE(rate_limit_check(*t, a, kT0, 20, 100).allowed);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(rate_limit_check(*t, b, kT0, 20, 100).allowed);
}

TEST(RateLimiter, KeysDependOnTheSeedAndAreNeverZero) {
  EXPECT_NE(rate_limit_key("alice", 1), rate_limit_key("alice", 2));
  EXPECT_NE(rate_limit_key("alice", 1), rate_limit_key("alicf", 1));
  EXPECT_NE(rate_limit_key("", 1), 0u);
  EXPECT_EQ(rate_limit_key("alice", 1), rate_limit_key("alice", 1));
}

TEST(RateLimiter, CrowdedWindowFailsOpenNeverRefuses) {
  auto t = table();
  const std::uint64_t home = 1234;
  // kProbe users with the same home slot, each with a bucket in use (not full).
  for (int i = 0; i < RateLimiter::kProbe; ++i) {
    ASSERT_TRUE(rate_limit_check(*t, same_home(home, i), kT0, 1, 100).allowed);
  }
  // A newcomer with that home finds no slot: admitted, and said so.
  const std::uint64_t newcomer = same_home(home, 1000);
  for (int i = 0; i < 500; ++i) {
    RateDecision d = rate_limit_check(*t, newcomer, kT0, 1, 100);
    ASSERT_TRUE(d.allowed);
    ASSERT_TRUE(d.failed_open);
  }
  // The residents still have their own buckets.
  EXPECT_FALSE(rate_limit_check(*t, same_home(home, 0), kT0, 1, 100).failed_open);
}

TEST(RateLimiter, IdleBucketsAreReclaimed) {
  auto t = table();
  const std::uint64_t home = 99;
  for (int i = 0; i < RateLimiter::kProbe; ++i)
    rate_limit_check(*t, same_home(home, i), kT0, 20, 100);
  // 50 ms later each resident's bucket (one request used) is full again: reclaimable.
  const std::uint64_t newcomer = same_home(home, 1000);
  const std::int64_t later = kT0 + 50000000;
  RateDecision d = rate_limit_check(*t, newcomer, later, 20, 100);
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.failed_open);
  // ...and the newcomer's bucket is a real one: it runs out after its burst.
  int admitted = 1;
  while (rate_limit_check(*t, newcomer, later, 20, 100).allowed && admitted < 1000) ++admitted;
  EXPECT_EQ(admitted, 100);
}

// Many more users than entries, over time: nobody is ever refused a first request,
// the table never needs more room, and only crowded moments fail open.
TEST(RateLimiter, ManyUsersNeverRefusedForOthers) {
  auto t = table();
  const std::size_t users = 4 * RateLimiter::kEntries;
  std::size_t failed_open = 0;
  for (std::size_t i = 0; i < users; ++i) {
    std::int64_t now = kT0 + static_cast<std::int64_t>(i) * 1000;  // 1 µs apart
    RateDecision d = rate_limit_check(*t, rate_limit_key(std::to_string(i), 5), now, 20, 100);
    ASSERT_TRUE(d.allowed) << "user " << i;
    failed_open += d.failed_open;
  }
  // 50 ms of users (50,000) are live at once in 65,536 entries: crowded, yet most find room.
  EXPECT_LT(failed_open, users / 10);
}

TEST(RateLimiter, ConcurrentWorkersAdmitExactlyTheBurst) {
  auto t = table();
  const std::uint64_t user = rate_limit_key("hammer", 3);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) admitted += rate_limit_check(*t, user, kT0, 20, 100).allowed;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), 100);
}

}  // namespace
