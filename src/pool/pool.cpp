#include "pool/pool.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "auth/jwks_fetcher.h"
#include "ops/log.h"
#include "ops/metrics.h"
#include "ops/shared_state.h"
#include "pool/listen_socket.h"
#include "util/clock.h"

namespace {

constexpr std::int64_t kQuickDeathMs = 2000;  // a worker dying this young counts as a crash loop
constexpr std::int64_t kMaxRespawnDelayMs = 5000;

struct WorkerSlot {
  pid_t pid;
  std::int64_t started_ms;
  bool ready = false;
  bool retiring = false;  // told to finish and exit; not replaced when it does
  int slot = -1;          // its scoreboard slot (-1: none free)
};

class Pool {
 public:
  Pool(const Config& config, int listen_fd, WorkerMain main)
      : config_(config), listen_fd_(listen_fd), worker_main_(main) {}
  int run();

 private:
  pid_t fork_child(const char* role);
  pid_t spawn();
  void spawn_fetcher();
  void reap();
  void on_exit(pid_t pid, int status);
  void on_ready(pid_t pid);
  void begin_stop(const char* why);
  void begin_reload();
  void signal_all(int sig);
  int active_count() const;
  WorkerSlot* find(pid_t pid);
  int next_timeout_ms() const;

  const Config& config_;
  int listen_fd_;
  WorkerMain worker_main_;
  pid_t master_pid_ = getpid();
  int signal_fd_ = -1;
  int ready_read_ = -1;
  int ready_write_ = -1;
  std::vector<WorkerSlot> workers_;
  bool stopping_ = false;
  std::int64_t stop_deadline_ms_ = 0;
  bool killed_ = false;
  bool announced_ready_ = false;
  std::deque<pid_t> to_replace_;  // SIGHUP: old workers, retired one per new ready worker
  pid_t replacement_ = 0;         // the new worker whose readiness retires to_replace_.front()
  int quick_deaths_ = 0;
  std::int64_t next_spawn_ms_ = 0;
  JwksShared* jwks_ = nullptr;  // the JWKS the fetcher publishes (a URL is configured)
  pid_t fetcher_ = 0;
  bool fetcher_ready_ = false;  // its first fetch was attempted: READY=1 may follow
  std::int64_t next_fetcher_ms_ = 0;
};

int Pool::run() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&mask, sig);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal_fd_ = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  int fds[2];
  if (signal_fd_ < 0 || pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    log_error("pool setup failed", {{"error", strerror(errno)}});
    return 1;
  }
  ready_read_ = fds[0];
  ready_write_ = fds[1];
  log_info("pool starting", {{"workers", std::to_string(config_.workers)}});
  if (jwks_fetcher_wanted(config_)) {
    jwks_ = jwks_shared_create(config_.jwks_cache_ttl);
    if (jwks_ == nullptr) log_error("JWKS shared memory failed", {{"error", strerror(errno)}});
  }

  while (!stopping_ || !workers_.empty() || fetcher_ != 0) {
    std::int64_t now = monotonic_ms();
    if (!stopping_) {
      if (jwks_ != nullptr && fetcher_ == 0 && now >= next_fetcher_ms_) spawn_fetcher();
      while (active_count() < config_.workers && now >= next_spawn_ms_) spawn();
      if (!to_replace_.empty() && replacement_ == 0) {
        replacement_ = spawn();
      }
    } else if (!killed_ && now >= stop_deadline_ms_) {
      log_warn("shutdown timeout: killing workers still busy");
      signal_all(SIGKILL);
      killed_ = true;
    }

    metrics::master_tick(stopping_ ? -1 : listen_fd_);  // closed once stopping
    pollfd pfds[2] = {{signal_fd_, POLLIN, 0}, {ready_read_, POLLIN, 0}};
    if (poll(pfds, 2, next_timeout_ms()) < 0 && errno != EINTR) break;

    signalfd_siginfo info{};
    while (read(signal_fd_, &info, sizeof info) == sizeof info) {
      switch (info.ssi_signo) {
        case SIGCHLD:
          reap();
          break;
        case SIGHUP:
          begin_reload();
          break;
        default:
          begin_stop(strsignal(static_cast<int>(info.ssi_signo)));
          break;
      }
    }
    pid_t ready_pid = 0;
    while (read(ready_read_, &ready_pid, sizeof ready_pid) == sizeof ready_pid) on_ready(ready_pid);
  }
  log_info("pool stopped");
  return 0;
}

// Returns 0 in the child, set up as the master's child; -1 when fork failed.
pid_t Pool::fork_child(const char* role) {
  pid_t pid = fork();
  if (pid < 0) {
    log_error("fork failed", {{"error", strerror(errno)}});
    return -1;
  }
  if (pid == 0) {
    close(signal_fd_);
    close(ready_read_);
    // A child must never outlive the master (fcgiwrap's flaw): if the master
    // dies, the kernel tells the child to drain and exit.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master_pid_) _exit(0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    log_set_role(role);
  }
  return pid;
}

pid_t Pool::spawn() {
  int slot = metrics::claim_slot();
  pid_t pid = fork_child("worker");
  if (pid < 0) {
    metrics::worker_exited(slot, "fork failed");
    next_spawn_ms_ = monotonic_ms() + 1000;
    return 0;
  }
  if (pid == 0) {
    metrics::worker_attach(slot);
    // _exit: the master's atexit handlers and destructors are not the worker's to run.
    _exit(worker_main_(config_, listen_fd_, ready_write_));
  }
  metrics::worker_spawned(slot, pid);
  workers_.push_back(WorkerSlot{pid, monotonic_ms(), false, false, slot});
  return pid;
}

void Pool::spawn_fetcher() {
  pid_t pid = fork_child("jwks");
  next_fetcher_ms_ = monotonic_ms() + 1000;  // restarts at most once a second
  if (pid == 0) {
    close(listen_fd_);  // it serves no request
    _exit(run_jwks_fetcher(config_, *jwks_, ready_write_));
  }
  fetcher_ = pid > 0 ? pid : 0;
}

void Pool::reap() {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) on_exit(pid, status);
}

void Pool::on_exit(pid_t pid, int status) {
  if (pid == fetcher_) {
    fetcher_ = 0;
    if (!stopping_) log_error("JWKS fetcher exited; restarting it", {{"pid", std::to_string(pid)}});
    return;
  }
  WorkerSlot* slot = find(pid);
  if (slot == nullptr) return;
  WorkerSlot gone = *slot;
  workers_.erase(workers_.begin() + (slot - workers_.data()));
  if (pid == replacement_) replacement_ = 0;
  to_replace_.erase(std::remove(to_replace_.begin(), to_replace_.end(), pid), to_replace_.end());

  bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::string how = WIFSIGNALED(status) ? std::string("signal ") + strsignal(WTERMSIG(status))
                                        : "exit " + std::to_string(WEXITSTATUS(status));
  metrics::worker_exited(gone.slot, stopping_ || gone.retiring ? "retired (" + how + ")"
                                    : clean                    ? "recycled (MAX_REQUESTS)"
                                                               : how);
  if (stopping_ || gone.retiring) {
    log_info("worker exited", {{"worker", std::to_string(pid)}, {"status", how}});
    return;
  }
  metrics::count(clean ? metrics::Counter::worker_recycles : metrics::Counter::worker_respawns);
  std::int64_t now = monotonic_ms();
  if (!clean && now - gone.started_ms < kQuickDeathMs) {
    ++quick_deaths_;
    std::int64_t delay =
        std::min<std::int64_t>(100LL << std::min(quick_deaths_, 6), kMaxRespawnDelayMs);
    next_spawn_ms_ = now + delay;
    log_error(
        "worker died young; backing off",
        {{"worker", std::to_string(pid)}, {"status", how}, {"delay_ms", std::to_string(delay)}});
  } else {
    if (now - gone.started_ms >= kQuickDeathMs) quick_deaths_ = 0;
    if (clean) {
      log_info("worker recycled", {{"worker", std::to_string(pid)}});
    } else {
      log_error("worker died; replacing it", {{"worker", std::to_string(pid)}, {"status", how}});
    }
  }
}

void Pool::on_ready(pid_t pid) {
  WorkerSlot* slot = find(pid);
  if (pid == fetcher_ && fetcher_ != 0) fetcher_ready_ = true;
  if (slot != nullptr) slot->ready = true;
  if (slot != nullptr && pid == replacement_ && !to_replace_.empty()) {
    pid_t old = to_replace_.front();
    to_replace_.pop_front();
    if (WorkerSlot* old_slot = find(old)) {
      old_slot->retiring = true;
      kill(old, SIGTERM);
    }
    replacement_ = 0;
    if (to_replace_.empty()) {
      log_info("reload complete");
      sd_notify_state("READY=1\nSTATUS=serving");
    }
  }
  if (!announced_ready_) {
    int ready = 0;
    for (const auto& w : workers_) ready += w.ready ? 1 : 0;
    // Workers are ready once their keys can be: the fetcher has tried its first fetch.
    if (ready >= config_.workers && (jwks_ == nullptr || fetcher_ready_)) {
      announced_ready_ = true;
      log_info("pool ready");
      sd_notify_state("READY=1\nSTATUS=serving");
    }
  }
}

void Pool::begin_stop(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  stop_deadline_ms_ = monotonic_ms() + config_.shutdown_timeout_seconds * 1000LL;
  log_info("draining", {{"signal", why}});
  sd_notify_state("STOPPING=1");
  // Stop accepting here too: the socket stays open in the workers only until they exit.
  close(listen_fd_);
  signal_all(SIGTERM);
}

void Pool::begin_reload() {
  if (stopping_) return;
  log_info("reload: replacing workers one by one");
  // Keys are the fetcher's: ask it for a fresh JWKS (within its 30 s limit).
  if (jwks_ != nullptr) jwks_shared_request_refresh(*jwks_);
  sd_notify_state("RELOADING=1");
  to_replace_.clear();
  for (const auto& w : workers_) {
    if (!w.retiring) to_replace_.push_back(w.pid);
  }
}

void Pool::signal_all(int sig) {
  for (const auto& w : workers_) kill(w.pid, sig);
  if (fetcher_ != 0) kill(fetcher_, sig);
}

int Pool::active_count() const {
  int n = 0;
  for (const auto& w : workers_) n += w.retiring ? 0 : 1;
  // During a reload the replacement is extra capacity, not a missing worker.
  return replacement_ != 0 ? n - 1 : n;
}

WorkerSlot* Pool::find(pid_t pid) {
  for (auto& w : workers_) {
    if (w.pid == pid) return &w;
  }
  return nullptr;
}

int Pool::next_timeout_ms() const {
  std::int64_t now = monotonic_ms();
  std::int64_t wait = 100;  // the listen queue is sampled every iteration (master_tick)
  if (stopping_ && !killed_) wait = std::min(wait, stop_deadline_ms_ - now);
  if (!stopping_ && next_spawn_ms_ > now) wait = std::min(wait, next_spawn_ms_ - now);
  return static_cast<int>(std::max<std::int64_t>(wait, 0));
}

}  // namespace

int run_pool(const Config& config, int listen_fd, WorkerMain worker_main) {
  // Mapped before the first fork, so every worker inherits the same segment.
  std::string error;
  SharedMapping shared = create_pool_state(config, error);
  if (shared.get() == nullptr) {
    log_error("cannot create the status file", {{"variable", "STATUS_FILE"}, {"error", error}});
    return 2;
  }
  Pool pool(config, listen_fd, worker_main);
  int rc = pool.run();
  shared.remove_file();
  return rc;
}
