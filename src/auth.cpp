#include "auth.h"

#include <ctime>

#include "c_handles.h"
#include "http.h"
#include "jwks_source.h"
#include "jwt.h"
#include "log.h"
#include "token_cache.h"

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

AuthResult result(AuthStatus status, std::string reason) {
  AuthResult r;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

AuthResult accepted(const JwtClaims& claims) {
  AuthResult r;
  r.status = AuthStatus::ok;
  r.identity.user_id = claims.sub;
  r.identity.email = claims.email;
  r.identity.has_email = claims.has_email;
  return r;
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

// A local file wins over a URL when both are configured: it is what the admin pinned.
const std::string& jwks_location(const Config& config) {
  return config.jwks_file.empty() ? config.jwks_url : config.jwks_file;
}

std::unique_ptr<JwksSource> make_source(const Config& config) {
  JwksLoader loader;
  if (!config.jwks_file.empty()) {
    loader = make_jwks_file_loader(config.jwks_file);
  } else if (!config.jwks_url.empty()) {
    loader = make_jwks_url_loader(config.jwks_url);
  } else {
    return nullptr;
  }
  return std::make_unique<JwksSource>(logged(std::move(loader), jwks_location(config)),
                                      config.jwks_cache_ttl,
                                      static_cast<std::int64_t>(std::time(nullptr)));
}

}  // namespace

struct Authenticator::Impl {
  explicit Impl(const Config& config)
      : jwks_where(jwks_location(config)), hmac(config.jwt_secret), jwks(make_source(config)) {
    options.leeway_seconds = config.jwt_leeway_seconds;
    options.issuer = config.jwt_issuer;
    options.audience = config.jwt_audience;
  }

  JwtResult verify(std::string_view token, std::int64_t now) {
    JwtKeys keys{&hmac, jwks ? jwks->keys(now) : nullptr};
    JwtResult r = verify_jwt(token, keys, now, options);
    if (r.error == JwtError::unknown_kid && jwks && jwks->refresh_for_unknown_kid(now)) {
      keys.jwks = jwks->keys(now);
      r = verify_jwt(token, keys, now, options);
    }
    return r;
  }

  std::string jwks_where;  // file path or URL, for messages
  JwtOptions options;
  HmacKey hmac;
  std::unique_ptr<JwksSource> jwks;
  TokenCache cache;
};

Authenticator::Authenticator(const Config& config) : impl_(std::make_unique<Impl>(config)) {}
Authenticator::~Authenticator() = default;

std::string Authenticator::key_problem() const {
  const JwksSource* jwks = impl_->jwks.get();
  if (jwks == nullptr || jwks->ever_loaded()) return {};
  const std::string& where = impl_->jwks_where;
  std::string why = jwks->last_error();
  if (why.starts_with(where + ": ")) why.erase(0, where.size() + 2);  // fetch errors name it
  return "JWT keys: none could be loaded from " + where + ": " + why;
}

AuthResult Authenticator::authenticate(std::string_view authorization_header, std::int64_t now) {
  const std::string_view header = trim_ows(authorization_header);
  if (header.empty()) return result(AuthStatus::missing, "no Authorization header");
  std::size_t space = 0;
  while (space < header.size() && !is_space(header[space])) ++space;
  if (!iequals_ascii(header.substr(0, space), "bearer")) {
    return result(AuthStatus::missing, "Authorization scheme is not Bearer");
  }
  const std::string_view token = trim_ows(header.substr(space));
  if (token.empty()) return result(AuthStatus::invalid, "empty bearer token");
  if (token.size() > kMaxTokenBytes) return result(AuthStatus::invalid, "token over 8 KiB");

  // A cached token skips the signature, never the clock.
  const TokenCache::Digest key = impl_->cache.digest(token);
  if (const JwtClaims* cached = impl_->cache.find(key)) {
    std::string reason;
    if (check_time_window(*cached, now, impl_->options.leeway_seconds, reason) == JwtError::ok) {
      return accepted(*cached);
    }
    if (cached->exp <= static_cast<double>(now)) impl_->cache.erase(key);
    return result(AuthStatus::invalid, reason + " (cached)");
  }

  const JwtResult r = impl_->verify(token, now);
  if (r.error == JwtError::no_jwks && impl_->jwks && !impl_->jwks->ever_loaded()) {
    return result(AuthStatus::unavailable, "no JWKS keys loaded: " + impl_->jwks->last_error());
  }
  if (!r.ok()) return result(AuthStatus::invalid, r.reason);
  impl_->cache.insert(key, r.claims);
  return accepted(r.claims);
}

std::string mint_hs256_token(std::string_view secret, std::string_view sub, std::string_view email,
                             std::int64_t now, std::int64_t ttl_seconds, std::string_view issuer,
                             std::string_view audience) {
  const HmacKey key(secret);
  JsonPtr payload{cJSON_CreateObject()};
  if (!key.usable() || !payload || sub.empty() || ttl_seconds <= 0) return {};
  cJSON* p = payload.get();
  cJSON_AddStringToObject(p, "sub", std::string(sub).c_str());
  if (!email.empty()) cJSON_AddStringToObject(p, "email", std::string(email).c_str());
  if (!issuer.empty()) cJSON_AddStringToObject(p, "iss", std::string(issuer).c_str());
  if (!audience.empty()) cJSON_AddStringToObject(p, "aud", std::string(audience).c_str());
  cJSON_AddNumberToObject(p, "iat", static_cast<double>(now));
  cJSON_AddNumberToObject(p, "exp", static_cast<double>(now + ttl_seconds));
  char* text = cJSON_PrintUnformatted(p);
  if (text == nullptr) return {};
  std::string json = text;
  cJSON_free(text);
  return sign_hmac_jwt(key, JwsAlg::hs256, R"({"alg":"HS256","typ":"JWT"})", json);
}
