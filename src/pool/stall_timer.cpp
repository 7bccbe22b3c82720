#include "pool/stall_timer.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

// glibc before 2.41 spells Linux's SIGEV_THREAD_ID target only as the union member.
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

namespace {

void on_alarm(int) {}  // its only job is to make a blocked system call return EINTR

itimerspec every(int ms) {
  timespec period{ms / 1000, static_cast<long>(ms % 1000) * 1000000L};
  return itimerspec{period, period};
}

}  // namespace

StallTimer::StallTimer(int interval_ms) : interval_ms_(interval_ms) {
  struct sigaction sa {};
  sa.sa_handler = on_alarm;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the point is the EINTR
  sigaction(SIGALRM, &sa, nullptr);
  sigset_t alarm;
  sigemptyset(&alarm);
  sigaddset(&alarm, SIGALRM);
  sigprocmask(SIG_UNBLOCK, &alarm, nullptr);
  // To this thread only: a thread of a library that left SIGALRM unblocked must not
  // take the tick meant for the read blocked here.
  sigevent ev{};
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGALRM;
  ev.sigev_notify_thread_id = static_cast<pid_t>(syscall(SYS_gettid));
  created_ = timer_create(CLOCK_MONOTONIC, &ev, &timer_) == 0;
}

StallTimer::~StallTimer() {
  if (created_) timer_delete(timer_);
}

void StallTimer::arm() {
  itimerspec spec = every(interval_ms_);
  if (created_) timer_settime(timer_, 0, &spec, nullptr);
}

void StallTimer::disarm() {
  itimerspec off{};
  if (created_) timer_settime(timer_, 0, &off, nullptr);
}
