#include "ops/log.h"

#include <unistd.h>

#include <ctime>
#include <string>

#include "util/log_escape.h"

namespace {

LogLevel g_level = LogLevel::info;
bool g_json = true;
std::string g_role = "main";

std::string_view level_name(LogLevel l) {
  switch (l) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

void append_timestamp(std::string& out) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  char buf[40];
  std::size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(buf + n, sizeof buf - n, ".%03ldZ", ts.tv_nsec / 1000000);
  out += buf;
}

}  // namespace

void log_init(const Config& config, std::string_view role) {
  if (config.log_level == "debug") g_level = LogLevel::debug;
  if (config.log_level == "warn") g_level = LogLevel::warn;
  if (config.log_level == "error") g_level = LogLevel::error;
  g_json = config.log_format != "text";
  g_role = role;
}

void log_set_role(std::string_view role) {
  g_role = role;
}

bool log_enabled(LogLevel level) {
  return level >= g_level;
}

void log_line(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!log_enabled(level)) return;
  std::string line;
  line.reserve(256);
  if (g_json) {
    line += "{\"ts\":\"";
    append_timestamp(line);
    line += "\",\"level\":\"";
    line += level_name(level);
    line += "\",\"pid\":";
    line += std::to_string(getpid());
    line += ",\"role\":\"";
    line += g_role;
    line += "\",\"msg\":";
    append_log_json(line, message);
    for (const auto& [key, value] : fields) {
      line += ',';
      append_log_json(line, key);
      line += ':';
      append_log_json(line, value);
    }
    line += "}\n";
  } else {
    append_timestamp(line);
    line += ' ';
    line += level_name(level);
    line += " [";
    line += g_role;
    line += ' ';
    line += std::to_string(getpid());
    line += "] ";
    // Values are escaped (and quoted when needed): text a client chose can
    // neither end its field nor start a line of its own.
    append_log_text(line, message);
    for (const auto& [key, value] : fields) {
      line += ' ';
      append_log_text(line, key);
      line += '=';
      append_logfmt_value(line, value);
    }
    line += '\n';
  }
  // Best effort: a full or closed stderr must never take a worker down.
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}
