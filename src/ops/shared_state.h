// The pool's one shared-memory segment: a plain struct with one member per section,
// mapped by the master before it forks (run_pool), inherited by every worker, and
// readable by `todo-api status` from another process.
//
// It is a file (STATUS_FILE, default /run/todo-api/status/pool), not a POSIX shm
// name: the systemd unit has PrivateDevices (its own /dev/shm, invisible to an
// admin's shell), while its RuntimeDirectory is the same for both. The file is
// created under a temporary name and renamed into place, so a second pool never
// truncates the mapping of a first; the master removes it on a clean exit, and a
// reader tells a stale file (master killed) by the master's pid and heartbeat.
//
// Fixed size, no pointers inside: every process may map it at another address.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "ops/rate_limiter.h"
#include "ops/scoreboard.h"
#include "util/clock.h"

inline constexpr std::uint64_t kSharedMagic = 0x314d48534f444f54ULL;  // "TODOSHM1"
inline constexpr std::uint32_t kSharedLayoutVersion = 1;

struct SharedHeader {
  std::uint64_t magic;
  std::uint32_t layout_version;
  std::uint32_t reserved;
  std::uint64_t size;  // sizeof(SharedState) of the writer: a reader of another build refuses
  std::atomic<std::int32_t> master_pid;
  std::atomic<std::int64_t> heartbeat_unix_ms;  // the master writes it at least every second
  char version[32];                             // TODO_API_VERSION of the pool
  char pool[32];                                // the pool's name ("todo-api")
};

struct SharedState {
  SharedHeader header;
  metrics::Scoreboard scoreboard;
  RateLimiter limiter;
};

// Owns one mapping of the segment (and, for the master, its file).
class SharedMapping {
 public:
  SharedMapping() = default;
  SharedMapping(SharedMapping&& other) noexcept;
  SharedMapping& operator=(SharedMapping&& other) noexcept;
  ~SharedMapping();

  SharedState* get() const { return state_; }
  const std::string& path() const { return path_; }
  // The master on a clean exit: removes the file if it is still ours.
  void remove_file();

 private:
  friend SharedMapping create_shared_state(const std::string&, std::string&);
  friend SharedMapping open_shared_state(const std::string&, std::string&);
  SharedState* state_ = nullptr;
  std::string path_;
  std::uint64_t inode_ = 0;
};

// Master, before forking: a zeroed segment at `path` (an anonymous shared mapping
// when `path` is empty), header filled in. On failure get() is null and `error`
// says why. The mapping becomes this process's shared_state().
SharedMapping create_shared_state(const std::string& path, std::string& error);

// The pool's segment per STATUS_FILE: a STATUS_FILE that was set must work (else
// null and `error`); the default path falls back to an anonymous mapping (logged:
// /status and /metrics work, `todo-api status` cannot find the pool).
struct Config;
SharedMapping create_pool_state(const Config& config, std::string& error);

// `todo-api status`: the segment of a running pool, read-only. Null with `error` set
// when there is no file, it is not ours, or its master is gone (stale).
SharedMapping open_shared_state(const std::string& path, std::string& error);

// The segment of this process (the master's, inherited by its workers), or null.
// Inline: every instrumentation call on the request path asks for it.
namespace shared_detail {
extern SharedState* g_state;
}
inline SharedState* shared_state() {
  return shared_detail::g_state;
}

// Is the master that wrote this segment alive? (pid exists and heartbeat fresh)
bool master_alive(const SharedState& s, std::int64_t now_unix_ms);

// The key of the rate limiter's hash (rate_limit_key): random, drawn by the master
// when it creates the segment and inherited by its workers; never in the file.
std::uint64_t shared_key_seed();
