#include "auth/auth.h"

#include <ctime>

#include "auth/jwks_fetcher.h"
#include "auth/jwks_source.h"
#include "auth/jwt.h"
#include "auth/token_cache.h"
#include "ops/log.h"
#include "util/c_handles.h"
#include "util/text_util.h"

namespace {

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

std::unique_ptr<JwksSource> make_local_source(const Config& config) {
  JwksLoader loader = make_configured_jwks_loader(config);
  if (!loader) return nullptr;
  return std::make_unique<JwksSource>(std::move(loader), config.jwks_cache_ttl,
                                      static_cast<std::int64_t>(std::time(nullptr)),
                                      jwks_location(config));
}

}  // namespace

struct Authenticator::Impl {
  Impl(const Config& config, JwksShared* pool_jwks)
      : jwks_where(jwks_location(config)), hmac(config.jwt_secret) {
    options.leeway_seconds = config.jwt_leeway_seconds;
    options.issuer = config.jwt_issuer;
    options.audience = config.jwt_audience;
    if (pool_jwks != nullptr && jwks_fetcher_wanted(config)) {
      shared = std::make_unique<SharedJwksKeys>(*pool_jwks);
    } else {
      local = make_local_source(config);
    }
  }

  const KeySet* jwks_keys(std::int64_t now) {
    if (shared) return shared->keys();
    return local ? local->keys(now) : nullptr;
  }
  bool has_jwks() const { return shared || local; }
  bool jwks_ever_loaded() const {
    return shared ? shared->ever_loaded() : local && local->ever_loaded();
  }
  std::string jwks_error() const {
    return shared ? shared->last_error() : local ? local->last_error() : std::string();
  }

  // With the pool's fetcher, an unknown kid only raises its flag: this request is
  // answered now (401), and the fetched keys serve the next ones. In-process (a
  // JWT_JWKS_FILE, or check-config) the reload is local and the token is tried again.
  JwtResult verify(std::string_view token, std::int64_t now) {
    JwtKeys keys{&hmac, jwks_keys(now)};
    JwtResult r = verify_jwt(token, keys, now, options);
    if (r.error != JwtError::unknown_kid) return r;
    if (shared) {
      shared->request_refresh();
      r.reason += " (JWKS refresh requested)";
    } else if (local && local->refresh_for_unknown_kid(now)) {
      keys.jwks = local->keys(now);
      r = verify_jwt(token, keys, now, options);
    }
    return r;
  }

  std::string jwks_where;  // file path or URL, for messages
  JwtOptions options;
  HmacKey hmac;
  std::unique_ptr<SharedJwksKeys> shared;  // serve with a JWKS URL: the fetcher's keys
  std::unique_ptr<JwksSource> local;       // otherwise: loaded in this process
  TokenCache cache;
};

Authenticator::Authenticator(const Config& config, JwksShared* pool_jwks)
    : impl_(std::make_unique<Impl>(config, pool_jwks)) {}
Authenticator::~Authenticator() = default;

std::string Authenticator::key_problem() const {
  if (!impl_->has_jwks() || impl_->jwks_ever_loaded()) return {};
  const std::string& where = impl_->jwks_where;
  std::string why = impl_->jwks_error();
  if (why.starts_with(where + ": ")) why.erase(0, where.size() + 2);  // fetch errors name it
  return "JWT keys: none could be loaded from " + where + ": " + why;
}

AuthResult Authenticator::authenticate(std::string_view authorization_header, std::int64_t now) {
  const std::string_view header = trim_ows(authorization_header);
  if (header.empty()) return result(AuthStatus::missing, "no Authorization header");
  std::size_t space = 0;
  while (space < header.size() && !is_ows(header[space])) ++space;
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
  if (r.error == JwtError::no_jwks && impl_->has_jwks() && !impl_->jwks_ever_loaded()) {
    return result(AuthStatus::unavailable, "no JWKS keys loaded: " + impl_->jwks_error());
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
