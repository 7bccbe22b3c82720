// The JWKS shared by every process of a pool (issue 10: no request waits on the
// network). One fetcher process (jwks_fetcher.h) fetches the document and publishes
// it here; workers re-parse their key set when its generation changes (one atomic
// load per authenticated request) and, on an unknown `kid`, raise a flag the fetcher
// honours at most once per 30 s for the whole pool.
//
// JwksShared is a fixed-size plain struct of atomics and bytes, meant to live in a
// MAP_SHARED mapping the master makes before it forks (jwks_shared_create), or in
// any other shared segment: nothing in it is a pointer or a process-local handle.
// Pages of `document` that were never written are never touched, so a small JWKS
// costs a few KiB of memory, not the 1 MiB bound.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "auth/jwk.h"
#include "auth/jwks_source.h"

// Bytes published by one writer and copied out by many readers without a lock
// (a seqlock): `seq` is odd while the writer copies, and grows by 2 per publication.
// A writer that died mid-copy leaves `seq` odd; readers then keep what they have, and
// the next writer starts over from there.
template <std::size_t N>
struct SharedText {
  std::atomic<std::uint64_t> seq;
  std::atomic<std::uint32_t> size;
  char bytes[N];

  // Single writer only. `text` longer than N is cut at N.
  void store(std::string_view text);
  // Copies the text out; false when a publication is in progress (try later).
  bool load(std::string& out, std::uint64_t& seq_out) const;
  // The number of completed publications (0: none yet).
  std::uint64_t generation() const { return seq.load(std::memory_order_acquire) / 2; }
};

struct JwksShared {
  static constexpr std::size_t kMaxError = 512;

  SharedText<kMaxJwksBytes> document;  // the last JWKS that parsed with a usable key
  SharedText<kMaxError> error;         // why the last attempt failed ("" after a success)
  // A futex word: 1 once a worker met an unknown kid, 0 again when the fetcher takes
  // the request up. Workers wake the fetcher on the 0 -> 1 edge only.
  std::atomic<std::uint32_t> refresh_requested;
  std::atomic<std::uint32_t> fetches;  // attempts so far, for tests and logs
  JwksSchedule schedule;               // the fetcher's alone; kept across its restarts
};

// Maps a JwksShared (MAP_SHARED | MAP_ANONYMOUS) and remembers it as the pool's:
// call in the master before forking. nullptr if mmap fails. Never unmapped.
JwksShared* jwks_shared_create(std::int64_t ttl_seconds);
// The pool's JwksShared in this process (inherited through fork), or nullptr when
// none was created (check-config, tests, JWT_JWKS_FILE).
JwksShared* jwks_shared_of_pool();

// The fetcher's side: wait for a refresh request (or `seconds`), publish.
void jwks_shared_wait(JwksShared& shared, std::uint32_t seen, int seconds);
// Raises the refresh flag and wakes the fetcher on its 0 -> 1 edge (workers on an
// unknown kid, the master on SIGHUP). Returns at once.
void jwks_shared_request_refresh(JwksShared& shared);
void jwks_shared_publish(JwksShared& shared, std::string_view document);
void jwks_shared_fail(JwksShared& shared, std::string_view error);

// A worker's view: the key set parsed from the shared document, re-parsed only when
// a new one was published.
class SharedJwksKeys {
 public:
  explicit SharedJwksKeys(JwksShared& shared) : shared_(shared) {}

  // The current keys, or nullptr while no JWKS was ever published.
  const KeySet* keys();
  // A token named a kid we do not know: ask the fetcher (returns at once).
  void request_refresh();
  bool ever_loaded() const { return keys_ != nullptr || shared_.document.generation() > 0; }
  std::string last_error() const;

 private:
  JwksShared& shared_;
  std::uint64_t seen_seq_ = 0;
  std::unique_ptr<KeySet> keys_;
  std::string scratch_;
};
