// Structured logs to stderr (journald under systemd). One write(2) per line so
// lines from concurrent workers never interleave. Never log tokens or secrets.
#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

#include "core/config.h"

enum class LogLevel { debug, info, warn, error };

using LogField = std::pair<std::string_view, std::string_view>;

void log_init(const Config& config, std::string_view role);
void log_set_role(std::string_view role);  // "master" or "worker"
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view message,
              std::initializer_list<LogField> fields = {});

inline void log_info(std::string_view m, std::initializer_list<LogField> f = {}) {
  log_line(LogLevel::info, m, f);
}
inline void log_warn(std::string_view m, std::initializer_list<LogField> f = {}) {
  log_line(LogLevel::warn, m, f);
}
inline void log_error(std::string_view m, std::initializer_list<LogField> f = {}) {
  log_line(LogLevel::error, m, f);
}
