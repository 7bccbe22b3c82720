// The per-user rate limit at the dispatcher (API.md §1): after authentication,
// before any work. Glue between the config, the shared table and the response.
#pragma once

#include <string_view>

#include "core/config.h"
#include "http/http.h"

// True when the user may go on. Otherwise `res` is the 429 `too_many_requests`
// with Retry-After (seconds, >= 1). Always true with USER_RATE_LIMIT=0 or no
// shared segment (unit tests).
bool admit_user(const Config& config, std::string_view user_id, Response& res);
