#include "auth/jwks_shared.h"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <new>

// The struct is shared between processes: its atomics must work on the memory alone.
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));  // a futex word
static_assert(std::is_standard_layout_v<JwksShared>);

namespace {

JwksShared* g_pool_jwks = nullptr;

// The bytes are copied with relaxed atomic accesses, so a reader that races the
// writer reads stale or torn bytes (and retries) rather than being undefined behaviour.
void copy_in(char* to, const char* from, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    std::atomic_ref<char>(to[i]).store(from[i], std::memory_order_relaxed);
  }
}

void copy_out(std::string& to, const char* from, std::size_t n) {
  to.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    to[i] = std::atomic_ref<char>(const_cast<char&>(from[i])).load(std::memory_order_relaxed);
  }
}

std::uint32_t* futex_word(std::atomic<std::uint32_t>& a) {
  return reinterpret_cast<std::uint32_t*>(&a);
}

}  // namespace

template <std::size_t N>
void SharedText<N>::store(std::string_view text) {
  const std::size_t n = std::min(text.size(), N);
  const std::uint64_t writing = seq.load(std::memory_order_relaxed) | 1;
  seq.store(writing, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  size.store(static_cast<std::uint32_t>(n), std::memory_order_relaxed);
  copy_in(bytes, text.data(), n);
  seq.store(writing + 1, std::memory_order_release);
}

template <std::size_t N>
bool SharedText<N>::load(std::string& out, std::uint64_t& seq_out) const {
  for (int attempt = 0; attempt < 4; ++attempt) {
    const std::uint64_t before = seq.load(std::memory_order_acquire);
    if (before & 1) continue;
    const std::size_t n = std::min<std::size_t>(size.load(std::memory_order_relaxed), N);
    copy_out(out, bytes, n);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (seq.load(std::memory_order_relaxed) == before) {
      seq_out = before;
      return true;
    }
  }
  return false;
}

template struct SharedText<kMaxJwksBytes>;
template struct SharedText<JwksShared::kMaxError>;

JwksShared* jwks_shared_create(std::int64_t ttl_seconds) {
  void* memory =
      mmap(nullptr, sizeof(JwksShared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return nullptr;
  // Default-initialised: atomics start at 0, the byte arrays stay untouched (zero pages).
  auto* shared = new (memory) JwksShared;
  shared->schedule.ttl = ttl_seconds;
  g_pool_jwks = shared;
  return shared;
}

JwksShared* jwks_shared_of_pool() {
  return g_pool_jwks;
}

// FUTEX_WAIT without FUTEX_PRIVATE_FLAG: the word is in a mapping shared by processes.
void jwks_shared_wait(JwksShared& shared, std::uint32_t seen, int seconds) {
  timespec timeout{std::max(seconds, 0), 0};
  syscall(SYS_futex, futex_word(shared.refresh_requested), FUTEX_WAIT, seen, &timeout, nullptr, 0);
}

void jwks_shared_publish(JwksShared& shared, std::string_view document) {
  shared.document.store(document);
  shared.error.store({});
}

void jwks_shared_fail(JwksShared& shared, std::string_view error) {
  shared.error.store(error.substr(0, JwksShared::kMaxError));
}

const KeySet* SharedJwksKeys::keys() {
  const std::uint64_t seq = shared_.document.seq.load(std::memory_order_acquire);
  if (seq == seen_seq_ || (seq & 1)) return keys_.get();  // the common case: one load
  std::uint64_t read_seq = 0;
  if (!shared_.document.load(scratch_, read_seq)) return keys_.get();  // being written
  auto fresh = std::make_unique<KeySet>();
  std::string error;
  // The fetcher published it only after it parsed with a usable key; a failure here
  // would mean memory corruption, and the old keys stay.
  if (parse_jwks(scratch_, *fresh, error)) keys_ = std::move(fresh);
  seen_seq_ = read_seq;
  scratch_.clear();
  scratch_.shrink_to_fit();
  return keys_.get();
}

void SharedJwksKeys::request_refresh() {
  jwks_shared_request_refresh(shared_);
}

void jwks_shared_request_refresh(JwksShared& shared) {
  std::atomic<std::uint32_t>& flag = shared.refresh_requested;
  if (flag.load(std::memory_order_relaxed) != 0) return;  // already asked, not yet taken up
  if (flag.exchange(1, std::memory_order_acq_rel) == 0) {
    syscall(SYS_futex, futex_word(flag), FUTEX_WAKE, 1, nullptr, nullptr, 0);
  }
}

std::string SharedJwksKeys::last_error() const {
  std::string text;
  std::uint64_t seq = 0;
  if (!shared_.error.load(text, seq)) return "the JWKS is being refreshed";
  return text.empty() ? "no JWKS fetched yet" : text;
}
