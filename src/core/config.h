// Configuration: read once from the environment in main(), validated as a whole,
// then passed down as `const Config&`. No getenv() anywhere else.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct Config {
  // Database
  std::string database_url;
  int db_statement_timeout_ms = 5000;
  bool db_prepared = true;
  std::int64_t max_tasks_per_user = 10000;  // 0 = no quota (API.md §4 create: 422 quota_exceeded)

  // Authentication (API.md §2)
  std::string jwt_secret;       // JWT_SECRET, else BETTER_AUTH_SECRET
  std::string better_auth_url;  // BETTER_AUTH_URL (no trailing slash)
  std::string jwks_url;         // JWT_JWKS_URL, default <BETTER_AUTH_URL>/api/auth/jwks
  std::string jwks_file;        // JWT_JWKS_FILE
  std::string jwt_issuer;       // JWT_ISSUER, default BETTER_AUTH_URL
  std::string jwt_audience;     // JWT_AUDIENCE, default BETTER_AUTH_URL
  int jwt_leeway_seconds = 30;
  int jwks_cache_ttl = 3600;

  // HTTP
  std::vector<std::string> cors_origins;
  std::int64_t max_body_bytes = 65536;

  // Pool
  std::string fcgi_socket = "/run/todo-api/fcgi.sock";
  unsigned fcgi_socket_mode = 0660;
  int workers = 0;  // 0 until load_config(): then number of CPUs
  std::int64_t max_requests = 0;
  int shutdown_timeout_seconds = 30;

  // Operations (docs/OPERATIONS.md)
  std::int64_t user_rate_limit = 20;  // requests/s per user; 0 = no limit
  std::int64_t user_rate_burst = 100;
  std::int64_t slow_request_ms = 500;                     // 0 = no slow-request log
  std::string status_file = "/run/todo-api/status/pool";  // the shared segment's file
  bool status_file_set = false;  // STATUS_FILE given: failing to create it stops the pool

  // Logging
  std::string log_level = "info";
  std::string log_format = "json";
};

// Reads every variable of the table in config.cpp. Each problem is one line naming
// the variable; `problems` empty means the configuration is usable.
// `need_auth` is false for subcommands that never verify tokens (migrate).
Config load_config(std::vector<std::string>& problems, bool need_auth = true);
