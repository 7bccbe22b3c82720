#include "ops/shared_state.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <new>

#include "core/config.h"
#include "ops/log.h"

SharedState* shared_detail::g_state = nullptr;
using shared_detail::g_state;

namespace {

std::uint64_t g_seed = 0;
constexpr std::int64_t kStaleAfterMs = 5000;

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

SharedState* map_fd(int fd, int prot) {
  void* p = mmap(nullptr, sizeof(SharedState), prot, MAP_SHARED, fd, 0);
  return p == MAP_FAILED ? nullptr : static_cast<SharedState*>(p);
}

void fill_header(SharedState& s) {
  // The mapping is zero-filled, which is every atomic's initial value; the header
  // and the start time are all that need setting.
  s.header.magic = kSharedMagic;
  s.header.layout_version = kSharedLayoutVersion;
  s.header.size = sizeof(SharedState);
  s.header.master_pid.store(getpid());
  s.header.heartbeat_unix_ms.store(unix_ms_now());
  std::strncpy(s.header.version, TODO_API_VERSION, sizeof s.header.version - 1);
  std::strncpy(s.header.pool, "todo-api", sizeof s.header.pool - 1);
  s.scoreboard.start_unix_ms.store(unix_ms_now());
}

}  // namespace

std::uint64_t shared_key_seed() {
  return g_seed;
}

SharedMapping::SharedMapping(SharedMapping&& other) noexcept {
  *this = std::move(other);
}

SharedMapping& SharedMapping::operator=(SharedMapping&& other) noexcept {
  std::swap(state_, other.state_);
  std::swap(path_, other.path_);
  std::swap(inode_, other.inode_);
  return *this;
}

SharedMapping::~SharedMapping() {
  if (state_ == nullptr) return;
  if (g_state == state_) g_state = nullptr;
  munmap(state_, sizeof(SharedState));
}

void SharedMapping::remove_file() {
  if (path_.empty()) return;
  struct stat st {};
  // Only if the name still points at our inode: a newer pool may have replaced it.
  if (stat(path_.c_str(), &st) == 0 && st.st_ino == inode_) unlink(path_.c_str());
}

SharedMapping create_shared_state(const std::string& path, std::string& error) {
  SharedMapping m;
  if (path.empty()) {
    void* p = mmap(nullptr, sizeof(SharedState), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) {
      error = errno_text("anonymous shared mapping");
      return m;
    }
    m.state_ = static_cast<SharedState*>(p);
  } else {
    // Built under a temporary name and renamed into place: a pool that still runs
    // with the old file keeps its (now unlinked) mapping intact.
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      error = errno_text(tmp);
      return m;
    }
    struct stat st {};
    bool ok = ftruncate(fd, sizeof(SharedState)) == 0 && fstat(fd, &st) == 0;
    SharedState* s = ok ? map_fd(fd, PROT_READ | PROT_WRITE) : nullptr;
    int saved = errno;
    close(fd);
    if (s == nullptr || rename(tmp.c_str(), path.c_str()) != 0) {
      if (s == nullptr) errno = saved;
      error = errno_text(path);
      if (s) munmap(s, sizeof(SharedState));
      unlink(tmp.c_str());
      return m;
    }
    m.state_ = s;
    m.path_ = path;
    m.inode_ = st.st_ino;
  }
  fill_header(*m.state_);
  g_state = m.state_;
  if (getrandom(&g_seed, sizeof g_seed, 0) != sizeof g_seed) g_seed = unix_ms_now() ^ getpid();
  return m;
}

SharedMapping create_pool_state(const Config& config, std::string& error) {
  SharedMapping m = create_shared_state(config.status_file, error);
  if (m.get() == nullptr && !config.status_file_set) {
    log_warn("no status file; `todo-api status` will not see this pool (set STATUS_FILE)",
             {{"status_file", config.status_file}, {"error", error}});
    error.clear();
    m = create_shared_state("", error);
  }
  if (m.get() != nullptr) m.get()->scoreboard.workers_configured.store(config.workers);
  return m;
}

SharedMapping open_shared_state(const std::string& path, std::string& error) {
  SharedMapping m;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = errno == ENOENT ? path + ": no such file (is the pool running? STATUS_FILE?)"
                            : errno_text(path);
    return m;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || static_cast<std::uint64_t>(st.st_size) != sizeof(SharedState)) {
    close(fd);
    error = path + ": not a status file of this todo-api version (size differs)";
    return m;
  }
  SharedState* s = map_fd(fd, PROT_READ);
  close(fd);
  if (s == nullptr) {
    error = errno_text(path);
    return m;
  }
  m.state_ = s;
  if (s->header.magic != kSharedMagic || s->header.layout_version != kSharedLayoutVersion ||
      s->header.size != sizeof(SharedState)) {
    error = path + ": not a status file of this todo-api version";
    m = SharedMapping{};
    return m;
  }
  if (!master_alive(*s, unix_ms_now())) {
    error = path + ": stale: its pool (master pid " + std::to_string(s->header.master_pid.load()) +
            ") is not running";
    m = SharedMapping{};
  }
  return m;
}

bool master_alive(const SharedState& s, std::int64_t now_unix_ms) {
  pid_t pid = s.header.master_pid.load();
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  // A pid can be reused: the heartbeat says whether that master still writes here.
  return now_unix_ms - s.header.heartbeat_unix_ms.load() < kStaleAfterMs;
}
