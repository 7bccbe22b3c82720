// The HTTP edge of Status (core/status.h): the one place a domain code becomes a
// status line, API.md §1's error body and the headers some codes carry
// (`WWW-Authenticate` on 401s, `Retry-After` on 429/503).
#pragma once

#include "core/status.h"
#include "http/http.h"

// The HTTP status of `code` (200 for ok).
int http_status_of(StatusCode code);
inline int http_status(const Status& s) {
  return http_status_of(s.kind());
}

// Status line, body and headers of a failed `s` into `res`; nothing when ok.
void write_status(const Status& s, Response& res);
