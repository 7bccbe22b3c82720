#include "util/clock.h"

#include <ctime>

namespace {

std::int64_t read_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

std::int64_t monotonic_ns() {
  return read_ns(CLOCK_MONOTONIC);
}

std::int64_t monotonic_ms() {
  return monotonic_ns() / 1000000;
}

std::int64_t unix_ms_now() {
  return read_ns(CLOCK_REALTIME) / 1000000;
}

std::int64_t unix_seconds_now() {
  return static_cast<std::int64_t>(time(nullptr));
}
