// The response envelopes of the task handlers (request-side parsing: etag.h, text_util.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/http.h"

// Success bodies: {"data":<json>} on canonical routes, the bare JSON on the
// compatibility routes (API.md §5).
void set_data(Response& res, int status, std::string_view json, bool bare);
