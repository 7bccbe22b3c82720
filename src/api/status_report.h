// Renders the shared segment for people and monitoring: `GET /status` (JSON with
// php-fpm's field names), `GET /metrics` (Prometheus text format 0.0.4) and the
// table of `todo-api status`. Reads only; never shows a token, a user id or a task.
#pragma once

#include <cstdint>
#include <string>

struct SharedState;

// `full`: every worker too (php-fpm's ?full). `now_unix_ms` for the "since" fields.
void render_status_json(const SharedState& s, bool full, std::int64_t now_unix_ms,
                        std::string& out);
void render_metrics(const SharedState& s, std::string& out);
void render_status_table(const SharedState& s, bool full, std::int64_t now_unix_ms,
                         std::string& out);

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
