// The two clocks we read. Monotonic for deadlines, back-offs and durations (never
// jumps); wall (CLOCK_REALTIME) only for what is shown to people or shared with
// other processes as a point in time (log timestamps, /status, heartbeats).
#pragma once

#include <cstdint>

std::int64_t monotonic_ns();
std::int64_t monotonic_ms();
std::int64_t unix_ms_now();       // wall clock, milliseconds since the epoch
std::int64_t unix_seconds_now();  // wall clock, seconds (JWT exp/nbf/iat are in seconds)
