#include "auth/jwks_source.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "ops/log.h"
#include "ops/metrics.h"
#include "util/text_util.h"
#include "util/url_policy.h"

namespace {

using CurlPtr = std::unique_ptr<CURL, CFree<curl_easy_cleanup>>;

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (body->size() + n > kMaxJwksBytes) return 0;  // makes curl fail with a write error
  body->append(data, n);
  return n;
}

JwksFetch fetch_url(const std::string& url) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  JwksFetch result;
  // config.cpp refuses such a URL at start; checked again here so no caller can fetch
  // keys over an interceptable path.
  if (std::string why = insecure_url_problem(url); !why.empty()) {
    return result.error = url + ": " + why, result;
  }
  CurlPtr curl{curl_easy_init()};
  if (!curl) return result.error = "curl_easy_init failed", result;
  char error[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  // http is possible only for a loopback URL (checked above); a redirect, wherever it
  // starts, may only lead to https.
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxJwksBytes));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "todo-api/" TODO_API_VERSION);
  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK) {
    result.error = url + ": " + (*error ? error : curl_easy_strerror(rc));
  } else if (status != 200) {
    result.error = url + ": HTTP " + std::to_string(status);
  } else {
    result.ok = true;
  }
  if (!result.ok) result.body.clear();
  return result;
}

JwksFetch read_jwks_file(const std::string& path) {
  JwksFetch result;
  if (!read_file(path, result.body)) return result.error = path + ": cannot read", result;
  if (result.body.size() > kMaxJwksBytes) {
    result.body.clear();
    return result.error = path + ": over 1 MiB", result;
  }
  result.ok = true;
  return result;
}

// Every fetch goes to the log: an unreachable JWKS must show up there before the
// first user gets a 503, and a failed refresh is otherwise silent (old keys are kept).
JwksLoader logged(JwksLoader loader, std::string source) {
  return [loader = std::move(loader), source = std::move(source)] {
    JwksFetch fetched = loader();
    if (fetched.ok) {
      log_info("JWKS fetched",
               {{"source", source}, {"bytes", std::to_string(fetched.body.size())}});
    } else {
      log_warn("JWKS fetch failed", {{"source", source}, {"error", fetched.error}});
    }
    return fetched;
  };
}

}  // namespace

JwksLoader make_jwks_file_loader(std::string path) {
  return [path = std::move(path)] { return read_jwks_file(path); };
}

JwksLoader make_jwks_url_loader(std::string url) {
  return [url = std::move(url)] { return fetch_url(url); };
}

const std::string& jwks_location(const Config& config) {
  return config.jwks_file.empty() ? config.jwks_url : config.jwks_file;
}

// A local file wins over a URL when both are configured: it is what the admin pinned.
JwksLoader make_configured_jwks_loader(const Config& config) {
  if (!config.jwks_file.empty()) {
    return logged(make_jwks_file_loader(config.jwks_file), config.jwks_file);
  }
  if (!config.jwks_url.empty()) {
    return logged(make_jwks_url_loader(config.jwks_url), config.jwks_url);
  }
  return {};
}

std::int64_t JwksSchedule::next_load_at(bool unknown_kid) const {
  if (!loaded) return attempted_at + kColdRetryInterval;
  std::int64_t at = std::max(loaded_at + ttl, attempted_at + std::min(ttl, kFailedRetryInterval));
  if (unknown_kid) at = std::min(at, kid_attempted_at + kUnknownKidInterval);
  return at;
}

void JwksSchedule::record(std::int64_t now, bool for_unknown_kid, bool ok) {
  attempted_at = now;
  if (for_unknown_kid) kid_attempted_at = now;
  if (ok) {
    loaded = true;
    loaded_at = now;
  }
}

void log_skipped_keys(const KeySet& keys, const std::string& source) {
  for (const std::string& why : keys.skipped) {
    log_warn("JWKS key skipped", {{"source", source}, {"reason", why}});
  }
}

JwksSource::JwksSource(JwksLoader loader, std::int64_t ttl_seconds, std::int64_t now,
                       std::string name)
    : loader_(std::move(loader)), name_(std::move(name)) {
  schedule_.ttl = ttl_seconds;
  load(now, false);
}

const KeySet* JwksSource::keys(std::int64_t now) {
  if (now >= schedule_.next_load_at(false)) load(now, false);
  return keys_.get();
}

bool JwksSource::refresh_for_unknown_kid(std::int64_t now) {
  if (now < schedule_.next_load_at(true)) return false;
  return load(now, true);
}

// Parses into a fresh set and swaps only on success, so a failed reload never loses keys.
bool JwksSource::load(std::int64_t now, bool for_unknown_kid) {
  JwksFetch fetched = loader_();
  auto fresh = std::make_unique<KeySet>();
  const bool ok = fetched.ok && parse_jwks(fetched.body, *fresh, last_error_);
  schedule_.record(now, for_unknown_kid, ok);
  if (!fetched.ok) last_error_ = fetched.error;
  if (fetched.ok && !name_.empty()) log_skipped_keys(*fresh, name_);
  if (!ok) {
    metrics::count(metrics::Counter::jwks_refresh_failures);
    return false;
  }
  metrics::jwks_loaded(fresh->keys.size(), now);
  last_error_.clear();
  keys_ = std::move(fresh);
  ++loads_;
  return true;
}
