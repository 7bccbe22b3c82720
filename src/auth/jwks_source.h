// Where the JWKS comes from and when to load it again. The loader (a file, or an
// https URL fetched with libcurl) is a seam: tests hand in their own.
//
// The policy (JwksSchedule, pure, Unix seconds in):
//  - load at start;
//  - reload once the keys are older than JWKS_CACHE_TTL; after a failed reload, retry
//    every min(TTL, 30 s);
//  - reload on a token whose `kid` is unknown, at most once per 30 s (counted between
//    such reloads, so a rotated key is picked up by the first token that names it);
//  - while nothing was ever loaded, retry every 5 s;
//  - a failed reload keeps the keys already loaded.
// Under `serve` with a URL, one fetcher process applies it for the whole pool
// (jwks_fetcher.h); JwksSource applies it in-process (JWT_JWKS_FILE in each worker,
// and `check-config`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/jwk.h"
#include "core/config.h"

constexpr std::size_t kMaxJwksBytes = 1 << 20;

struct JwksFetch {
  bool ok = false;
  std::string body;   // the JWKS document when ok
  std::string error;  // why not, when !ok
};
using JwksLoader = std::function<JwksFetch()>;

JwksLoader make_jwks_file_loader(std::string path);
// https, or http to a loopback host (url_policy.h), redirects to https only (at most
// 3); connect timeout 2 s, total 3 s, at most 1 MiB, HTTP 200 only.
JwksLoader make_jwks_url_loader(std::string url);
// The configured source (JWT_JWKS_FILE wins over JWT_JWKS_URL), every fetch logged;
// nullptr-like (empty) when neither is set.
JwksLoader make_configured_jwks_loader(const Config& config);
// The file path or URL, for messages.
const std::string& jwks_location(const Config& config);

// When to load: a plain value, so the fetcher can keep it in shared memory and a
// restarted fetcher goes on with the same schedule.
struct JwksSchedule {
  static constexpr std::int64_t kUnknownKidInterval = 30;
  static constexpr std::int64_t kFailedRetryInterval = 30;
  static constexpr std::int64_t kColdRetryInterval = 5;
  static constexpr std::int64_t kNever = INT64_MIN / 4;  // far in the past, no overflow

  std::int64_t ttl = 3600;
  bool loaded = false;                     // a usable JWKS was loaded at least once
  std::int64_t loaded_at = kNever;         // last successful load
  std::int64_t attempted_at = kNever;      // last attempt, successful or not
  std::int64_t kid_attempted_at = kNever;  // last attempt made for an unknown kid

  // The time from which a load is due; `unknown_kid`: a token named a kid we lack.
  std::int64_t next_load_at(bool unknown_kid) const;
  void record(std::int64_t now, bool for_unknown_kid, bool ok);
};

// Logs each key a JWKS left out (`skipped`), so a bad key is never silently ignored.
void log_skipped_keys(const KeySet& keys, const std::string& source);

class JwksSource {
 public:
  JwksSource(JwksLoader loader, std::int64_t ttl_seconds, std::int64_t now, std::string name = {});

  // The keys to verify with at `now` (reloading first when due), or nullptr when no
  // JWKS was ever loaded.
  const KeySet* keys(std::int64_t now);
  // A token named a kid we do not know: reload unless one was tried for an unknown kid
  // in the last 30 s. True when a reload happened and succeeded.
  bool refresh_for_unknown_kid(std::int64_t now);

  bool ever_loaded() const { return keys_ != nullptr; }
  const std::string& last_error() const { return last_error_; }
  int loads() const { return loads_; }  // successful loads, for tests and logs

 private:
  bool load(std::int64_t now, bool for_unknown_kid);

  JwksLoader loader_;
  std::string name_;
  JwksSchedule schedule_;
  std::unique_ptr<KeySet> keys_;
  std::string last_error_;
  int loads_ = 0;
};
