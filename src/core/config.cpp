#include "core/config.h"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <functional>
#include <string_view>

#include "util/url_policy.h"

namespace {

// One row per variable: name, how to parse it into the struct, and whether it may
// be absent. Defaults live in the struct itself.
using Setter = std::function<bool(Config&, std::string_view)>;
struct Variable {
  const char* name;
  Setter set;
  const char* expected;  // said in the error line when parsing fails
};

bool parse_int(std::string_view text, std::int64_t min, std::int64_t max, std::int64_t& out) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

template <class Field>
Setter int_field(Field Config::*field, std::int64_t min, std::int64_t max) {
  return [=](Config& c, std::string_view text) {
    std::int64_t v = 0;
    if (!parse_int(text, min, max, v)) return false;
    c.*field = static_cast<Field>(v);
    return true;
  };
}

Setter string_field(std::string Config::*field) {
  return [=](Config& c, std::string_view text) {
    c.*field = std::string(text);
    return true;
  };
}

bool parse_bool(std::string_view text, bool& out) {
  if (text == "on" || text == "true" || text == "1" || text == "yes") {
    out = true;
  } else if (text == "off" || text == "false" || text == "0" || text == "no") {
    out = false;
  } else {
    return false;
  }
  return true;
}

std::string trim_trailing_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

const Variable kVariables[] = {
    {"DATABASE_URL", string_field(&Config::database_url), "a libpq URI or conninfo"},
    {"DB_STATEMENT_TIMEOUT_MS", int_field(&Config::db_statement_timeout_ms, 1, 3600000),
     "an integer 1..3600000"},
    {"DB_PREPARED", [](Config& c, std::string_view t) { return parse_bool(t, c.db_prepared); },
     "on or off"},
    {"MAX_TASKS_PER_USER", int_field(&Config::max_tasks_per_user, 0, 1000000000),
     "an integer 0..1000000000 (0 = no quota)"},
    {"JWT_SECRET", string_field(&Config::jwt_secret), "a string"},
    {"BETTER_AUTH_URL",
     [](Config& c, std::string_view t) {
       c.better_auth_url = trim_trailing_slash(std::string(t));
       return t.starts_with("http://") || t.starts_with("https://");
     },
     "an http(s) URL"},
    {"JWT_JWKS_URL",
     [](Config& c, std::string_view t) {
       c.jwks_url = std::string(t);
       return t.starts_with("http://") || t.starts_with("https://");
     },
     "an http(s) URL"},
    {"JWT_JWKS_FILE", string_field(&Config::jwks_file), "a file path"},
    {"JWT_ISSUER", string_field(&Config::jwt_issuer), "a string"},
    {"JWT_AUDIENCE", string_field(&Config::jwt_audience), "a string"},
    {"JWT_LEEWAY_SECONDS", int_field(&Config::jwt_leeway_seconds, 0, 3600), "an integer 0..3600"},
    {"JWKS_CACHE_TTL", int_field(&Config::jwks_cache_ttl, 1, 604800), "an integer 1..604800"},
    {"CORS_ORIGINS",
     [](Config& c, std::string_view t) {
       c.cors_origins.clear();
       while (!t.empty()) {
         auto comma = t.find(',');
         auto item = t.substr(0, comma);
         while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
         while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
         if (!item.empty()) {
           if (!item.starts_with("http://") && !item.starts_with("https://")) return false;
           c.cors_origins.emplace_back(item);
         }
         if (comma == std::string_view::npos) break;
         t.remove_prefix(comma + 1);
       }
       return true;
     },
     "comma-separated origins like https://app.example.com"},
    {"MAX_BODY_BYTES", int_field(&Config::max_body_bytes, 1, std::int64_t{64} * 1024 * 1024),
     "an integer 1..67108864"},
    {"FCGI_SOCKET", string_field(&Config::fcgi_socket), "a unix socket path or host:port"},
    {"FCGI_SOCKET_MODE",
     [](Config& c, std::string_view t) {
       unsigned mode = 0;
       auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), mode, 8);
       if (ec != std::errc{} || end != t.data() + t.size() || mode > 0777) return false;
       c.fcgi_socket_mode = mode;
       return true;
     },
     "an octal mode such as 0660"},
    {"WORKERS", int_field(&Config::workers, 1, 1024), "an integer 1..1024"},
    {"MAX_REQUESTS", int_field(&Config::max_requests, 0, INT64_MAX), "an integer >= 0"},
    {"SHUTDOWN_TIMEOUT_SECONDS", int_field(&Config::shutdown_timeout_seconds, 0, 3600),
     "an integer 0..3600"},
    {"USER_RATE_LIMIT", int_field(&Config::user_rate_limit, 0, 1000000), "an integer 0..1000000"},
    {"USER_RATE_BURST", int_field(&Config::user_rate_burst, 1, 1000000), "an integer 1..1000000"},
    {"SLOW_REQUEST_MS", int_field(&Config::slow_request_ms, 0, 3600000), "an integer 0..3600000"},
    {"STATUS_FILE",
     [](Config& c, std::string_view t) {
       c.status_file = std::string(t);
       c.status_file_set = true;
       return t.starts_with("/");
     },
     "an absolute file path"},
    {"LOG_LEVEL",
     [](Config& c, std::string_view t) {
       c.log_level = std::string(t);
       return t == "debug" || t == "info" || t == "warn" || t == "error";
     },
     "debug, info, warn or error"},
    {"LOG_FORMAT",
     [](Config& c, std::string_view t) {
       c.log_format = std::string(t);
       return t == "json" || t == "text";
     },
     "json or text"},
};

}  // namespace

Config load_config(std::vector<std::string>& problems, bool need_auth) {
  Config config;
  for (const auto& var : kVariables) {
    const char* value = std::getenv(var.name);
    if (value == nullptr || *value == '\0') continue;
    if (!var.set(config, value)) {
      problems.push_back(std::string(var.name) + ": invalid value, expected " + var.expected);
    }
  }
  if (config.database_url.empty()) problems.emplace_back("DATABASE_URL: required");
  if (config.workers == 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    config.workers = cpus > 0 ? static_cast<int>(cpus) : 1;
  }

  // Better Auth's JWT plugin defaults: JWKS at <base>/api/auth/jwks, iss = aud = base.
  if (!config.better_auth_url.empty()) {
    if (config.jwks_url.empty() && config.jwks_file.empty()) {
      config.jwks_url = config.better_auth_url + "/api/auth/jwks";
    }
    if (config.jwt_issuer.empty()) config.jwt_issuer = config.better_auth_url;
    if (config.jwt_audience.empty()) config.jwt_audience = config.better_auth_url;
  }

  const char* secret_name = "JWT_SECRET";
  if (config.jwt_secret.empty()) {
    if (const char* fallback = std::getenv("BETTER_AUTH_SECRET"); fallback && *fallback) {
      config.jwt_secret = fallback;
      secret_name = "BETTER_AUTH_SECRET";
    }
  }
  if (need_auth) {
    if (!config.jwt_secret.empty() && config.jwt_secret.size() < 32) {
      problems.push_back(std::string(secret_name) + ": must be at least 32 bytes");
    }
    if (config.jwt_secret.empty() && config.jwks_url.empty() && config.jwks_file.empty()) {
      problems.emplace_back(
          "JWT_SECRET: required (or BETTER_AUTH_SECRET, JWT_JWKS_URL, JWT_JWKS_FILE, "
          "BETTER_AUTH_URL)");
    }
    // Keys over plain http can be swapped by anyone on the path (url_policy.h). A JWKS
    // URL derived from BETTER_AUTH_URL is reported once, under BETTER_AUTH_URL.
    std::string base_why;
    if (!config.better_auth_url.empty()) base_why = insecure_url_problem(config.better_auth_url);
    if (!base_why.empty()) problems.push_back("BETTER_AUTH_URL: " + base_why);
    const bool derived = config.jwks_url == config.better_auth_url + "/api/auth/jwks";
    if (!config.jwks_url.empty() && !(derived && !base_why.empty())) {
      if (std::string why = insecure_url_problem(config.jwks_url); !why.empty()) {
        problems.push_back("JWT_JWKS_URL: " + why);
      }
    }
    if (!config.jwks_file.empty() && access(config.jwks_file.c_str(), R_OK) != 0) {
      problems.emplace_back("JWT_JWKS_FILE: cannot read " + config.jwks_file);
    }
  }
  return config;
}
