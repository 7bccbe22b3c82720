// Where the JWKS comes from and when to load it again. The loader (a file, or an
// http(s) URL fetched with libcurl) is a seam: tests hand in their own. Policy:
//  - load once at construction (worker start);
//  - reload when the keys are older than the TTL;
//  - reload on a token whose `kid` is unknown, at most once per 30 s;
//  - while nothing was ever loaded, retry at most every 5 s (each try may cost a timeout);
//  - a failed reload keeps the keys already loaded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "jwk.h"

struct JwksFetch {
  bool ok = false;
  std::string body;   // the JWKS document when ok
  std::string error;  // why not, when !ok
};
using JwksLoader = std::function<JwksFetch()>;

JwksLoader make_jwks_file_loader(std::string path);
// http and https only; connect timeout 2 s, total 3 s, at most 1 MiB, HTTP 200 only.
JwksLoader make_jwks_url_loader(std::string url);

class JwksSource {
 public:
  static constexpr std::int64_t kMinRefreshInterval = 30;
  static constexpr std::int64_t kColdRetryInterval = 5;

  JwksSource(JwksLoader loader, std::int64_t ttl_seconds, std::int64_t now);

  // The keys to verify with at `now` (reloading first if the TTL has passed), or
  // nullptr when no JWKS was ever loaded.
  const KeySet* keys(std::int64_t now);
  // A token named a kid we do not know: reload unless one was tried in the last 30 s.
  // True when a reload happened and succeeded.
  bool refresh_for_unknown_kid(std::int64_t now);

  bool ever_loaded() const { return keys_ != nullptr; }
  const std::string& last_error() const { return last_error_; }
  int loads() const { return loads_; }  // successful loads, for tests and logs

 private:
  bool load(std::int64_t now);

  JwksLoader loader_;
  std::int64_t ttl_;
  std::unique_ptr<KeySet> keys_;
  std::int64_t loaded_at_ = 0;
  std::int64_t attempted_at_ = 0;
  std::string last_error_;
  int loads_ = 0;
};
