// A bound on how long a worker waits for its FastCGI peer (nginx) to send a request
// or to take the response.
//
// libfcgi reads the params inside FCGX_Accept_r with blocking reads and has no
// timeout (it drops a unix connection that sends nothing for 2 s, but one that sends
// half a record holds the worker forever); it never sees the socket before it
// reads, so SO_RCVTIMEO cannot be set in time. Instead, while armed, a POSIX timer
// sends SIGALRM to this thread every `interval_ms`, with a handler installed
// without SA_RESTART: a read, write or poll blocked in libfcgi fails with EINTR,
// libfcgi treats that as a broken connection and closes it (FCGX_Accept_r then
// tries the next connection, or returns an error). Periodic rather than one-shot,
// so a blocking call entered just after a tick is still interrupted by the next.
// Disarmed while the request is handled: the database waits have deadlines of
// their own and retry EINTR anyway.
#pragma once

#include <ctime>

class StallTimer {
 public:
  explicit StallTimer(int interval_ms);
  ~StallTimer();
  StallTimer(const StallTimer&) = delete;
  StallTimer& operator=(const StallTimer&) = delete;

  bool ok() const { return created_; }
  void arm();
  void disarm();

 private:
  timer_t timer_{};
  bool created_ = false;
  int interval_ms_;
};

// Arms the timer for one scope.
class StallGuard {
 public:
  explicit StallGuard(StallTimer& timer) : timer_(timer) { timer_.arm(); }
  ~StallGuard() { timer_.disarm(); }
  StallGuard(const StallGuard&) = delete;
  StallGuard& operator=(const StallGuard&) = delete;

 private:
  StallTimer& timer_;
};
