#include "jwks_source.h"

#include <curl/curl.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "metrics.h"

namespace {

constexpr std::size_t kMaxJwksBytes = 1 << 20;

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
  CurlPtr curl{curl_easy_init()};
  if (!curl) return result.error = "curl_easy_init failed", result;
  char error[CURL_ERROR_SIZE] = "";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM in a worker for DNS timeouts
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

JwksFetch read_file(const std::string& path) {
  JwksFetch result;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in) return result.error = path + ": cannot read", result;
  if (text.str().size() > kMaxJwksBytes) return result.error = path + ": over 1 MiB", result;
  result.body = text.str();
  result.ok = true;
  return result;
}

}  // namespace

JwksLoader make_jwks_file_loader(std::string path) {
  return [path = std::move(path)] { return read_file(path); };
}

JwksLoader make_jwks_url_loader(std::string url) {
  return [url = std::move(url)] { return fetch_url(url); };
}

JwksSource::JwksSource(JwksLoader loader, std::int64_t ttl_seconds, std::int64_t now)
    : loader_(std::move(loader)), ttl_(ttl_seconds) {
  load(now);
}

const KeySet* JwksSource::keys(std::int64_t now) {
  if (!keys_) {
    if (now - attempted_at_ >= kColdRetryInterval) load(now);
  } else if (now - loaded_at_ >= ttl_ && now - attempted_at_ >= kMinRefreshInterval) {
    load(now);
  }
  return keys_.get();
}

bool JwksSource::refresh_for_unknown_kid(std::int64_t now) {
  if (now - attempted_at_ < kMinRefreshInterval) return false;
  return load(now);
}

// Parses into a fresh set and swaps only on success, so a failed reload never loses keys.
bool JwksSource::load(std::int64_t now) {
  attempted_at_ = now;
  JwksFetch fetched = loader_();
  auto fresh = std::make_unique<KeySet>();
  if (!fetched.ok) {
    last_error_ = fetched.error;
    metrics::count(metrics::Counter::jwks_refresh_failures);
    return false;
  }
  if (!parse_jwks(fetched.body, *fresh, last_error_)) {
    metrics::count(metrics::Counter::jwks_refresh_failures);
    return false;
  }
  metrics::jwks_loaded(fresh->keys.size(), now);
  last_error_.clear();
  keys_ = std::move(fresh);
  loaded_at_ = now;
  ++loads_;
  return true;
}
