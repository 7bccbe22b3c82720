// Authentication of a request from its Authorization header (API.md §2).
// One Authenticator per worker: it owns the HS secret, the JWKS keys and their
// cache, and the cache of already-verified tokens.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/config.h"

struct JwksShared;

enum class AuthStatus {
  ok,
  missing,      // no Authorization header, or another scheme -> 401, plain `Bearer`
  invalid,      // a token was sent but is not acceptable -> 401, error="invalid_token"
  unavailable,  // no keys could ever be loaded (JWKS unreachable at cold start) -> 503
};

struct Identity {
  std::string user_id;  // the `sub` claim: 1..255 bytes
  std::string email;    // the `email` claim, if a string
  bool has_email = false;
};

struct AuthResult {
  AuthStatus status = AuthStatus::missing;
  Identity identity;
  std::string reason;  // for the log only, never sent to the client
};

class Authenticator {
 public:
  // `pool_jwks`: the pool's shared JWKS (jwks_shared.h), used when the keys come from
  // a URL; nullptr loads them in this process (check-config, tests).
  explicit Authenticator(const Config& config, JwksShared* pool_jwks = nullptr);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // `now` is Unix seconds; passed in so tests control the clock.
  AuthResult authenticate(std::string_view authorization_header, std::int64_t now);

  // "" when keys are usable; otherwise one line naming the JWKS source and why none
  // of its keys could be loaded (for `todo-api check-config`).
  std::string key_problem() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `todo-api token`: an HS256 token signed with `secret`. Returns "" on failure.
std::string mint_hs256_token(std::string_view secret, std::string_view sub, std::string_view email,
                             std::int64_t now, std::int64_t ttl_seconds,
                             std::string_view issuer = {}, std::string_view audience = {});
