// The JWKS schedule (pure) and the shared document a fetcher publishes for workers.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "auth/jwks_shared.h"
#include "jwt_test_util.h"

using namespace jwt_test;

TEST(JwksSchedule, ColdStartRetriesEvery5Seconds) {
  JwksSchedule s;
  EXPECT_LE(s.next_load_at(false), 0);  // never tried: due now
  s.record(1000, false, false);
  EXPECT_EQ(s.next_load_at(false), 1005);
  EXPECT_EQ(s.next_load_at(true), 1005);  // an unknown kid changes nothing while cold
}

TEST(JwksSchedule, TtlThenRetriesAfterAFailure) {
  JwksSchedule s;
  s.ttl = 3600;
  s.record(1000, false, true);
  EXPECT_EQ(s.next_load_at(false), 4600);
  s.record(4600, false, false);            // the TTL reload failed
  EXPECT_EQ(s.next_load_at(false), 4630);  // retried every 30 s
  s.ttl = 2;                               // a short TTL retries at its own pace
  EXPECT_EQ(s.next_load_at(false), 4602);
  s.record(4602, false, true);
  EXPECT_EQ(s.next_load_at(false), 4604);
}

TEST(JwksSchedule, UnknownKidAtMostOncePer30Seconds) {
  JwksSchedule s;
  s.record(1000, false, true);
  EXPECT_EQ(s.next_load_at(true), JwksSchedule::kNever + 30);  // first one: at once
  s.record(1001, true, true);
  EXPECT_EQ(s.next_load_at(true), 1031);
  s.record(1031, true, false);  // failed: still counts
  EXPECT_EQ(s.next_load_at(true), 1061);
  EXPECT_EQ(s.next_load_at(false), 1001 + 3600);
}

namespace {

std::unique_ptr<JwksShared> fresh_shared() {
  auto shared = std::make_unique<JwksShared>();
  return shared;
}

}  // namespace

TEST(JwksShared, WorkersReparseOnlyWhenANewDocumentIsPublished) {
  auto shared = fresh_shared();
  SharedJwksKeys reader(*shared);
  EXPECT_FALSE(reader.ever_loaded());
  EXPECT_EQ(reader.keys(), nullptr);
  EXPECT_EQ(reader.last_error(), "no JWKS fetched yet");

  jwks_shared_fail(*shared, "https://auth.example.com/jwks: timed out");
  EXPECT_EQ(reader.keys(), nullptr);
  EXPECT_EQ(reader.last_error(), "https://auth.example.com/jwks: timed out");

  jwks_shared_publish(*shared, read_data("jwks.json"));
  EXPECT_EQ(shared->document.generation(), 1u);
  const KeySet* first = reader.keys();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->keys.size(), 7u);
  EXPECT_TRUE(reader.ever_loaded());
  EXPECT_EQ(reader.keys(), first);  // same generation: the same parsed set, no re-parse

  jwks_shared_publish(*shared, read_data("jwks_nokid.json"));
  const KeySet* second = reader.keys();
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second->keys.size(), 7u);
  EXPECT_EQ(shared->document.generation(), 2u);
}

TEST(JwksShared, AWriterThatDiedMidCopyLeavesReadersWithTheirKeys) {
  auto shared = fresh_shared();
  SharedJwksKeys reader(*shared);
  jwks_shared_publish(*shared, read_data("jwks.json"));
  const KeySet* keys = reader.keys();
  ASSERT_NE(keys, nullptr);
  shared->document.seq.fetch_add(1);  // odd: a publication that never finished
  EXPECT_EQ(reader.keys(), keys);
  std::string out;
  std::uint64_t seq = 0;
  EXPECT_FALSE(shared->document.load(out, seq));
  jwks_shared_publish(*shared, read_data("jwks_nokid.json"));  // the next writer recovers
  EXPECT_EQ(shared->document.seq.load() % 2, 0u);
  EXPECT_NE(reader.keys(), nullptr);
  EXPECT_NE(reader.keys()->keys.size(), 7u);
}

TEST(JwksShared, RefreshRequestWakesTheFetcherOnceAcrossProcesses) {
  JwksShared* shared = jwks_shared_create(3600);
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(jwks_shared_of_pool(), shared);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // a "worker": raises the flag twice; the second is a no-op
    usleep(100 * 1000);
    SharedJwksKeys reader(*shared);
    reader.request_refresh();
    reader.request_refresh();
    _exit(0);
  }
  const auto start = std::chrono::steady_clock::now();
  jwks_shared_wait(*shared, 0, 10);  // the "fetcher": sleeps until the worker's wake
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_EQ(shared->refresh_requested.load(), 1u);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // Flag still up (not yet taken up): waiting on "1" times out instead of spinning.
  const auto again = std::chrono::steady_clock::now();
  jwks_shared_wait(*shared, 1, 1);
  EXPECT_GE(std::chrono::steady_clock::now() - again, std::chrono::milliseconds(900));
}
