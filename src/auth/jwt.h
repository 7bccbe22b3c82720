// The pure JWT verifier (RFC 7519 over JWS compact serialization, RFC 7515).
// Everything it depends on is an argument: the keys, the clock (`now`) and the claim
// rules — no I/O, no clock, no globals beyond OpenSSL's algorithm objects. Fetching
// keys and caching results are someone else's job (jwks_source.h, token_cache.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jwk.h"
#include "auth/jws_crypto.h"

constexpr std::size_t kMaxTokenBytes = 8192;

struct JwtKeys {
  const HmacKey* hmac = nullptr;  // HS* tokens verify with this only
  const KeySet* jwks = nullptr;   // every other algorithm verifies with these only
};

struct JwtOptions {
  std::int64_t leeway_seconds = 30;
  std::string issuer;    // checked against `iss` when non-empty
  std::string audience;  // must be `aud`, or one of its entries, when non-empty
};

enum class JwtError {
  ok,
  malformed,    // structure, base64url, JSON, header fields
  bad_alg,      // none, unknown, or not allowed for the chosen key
  unknown_kid,  // `kid` names no key in the set: worth one JWKS refresh
  no_key,       // no key of a type that fits `alg`, or HS* with no secret configured
  no_jwks,      // an asymmetric alg, but no JWKS keys are loaded
  bad_signature,
  expired,
  not_yet_valid,  // nbf (or iat) in the future beyond the leeway
  bad_claims,     // exp missing, sub invalid, iss/aud mismatch...
};

// What the API needs from a verified token, plus its time window for the cache.
struct JwtClaims {
  std::string sub;
  std::string email;
  bool has_email = false;
  double exp = 0;
  double nbf = 0;
  bool has_nbf = false;
};

struct JwtResult {
  JwtError error = JwtError::malformed;
  std::string reason;  // precise, for the log only
  JwtClaims claims;
  bool ok() const { return error == JwtError::ok; }
};

// Verifies `token` (the bare compact JWS, no "Bearer ") at Unix time `now`.
// The algorithm is checked against the key type before any signature is computed.
JwtResult verify_jwt(std::string_view token, const JwtKeys& keys, std::int64_t now,
                     const JwtOptions& options);

// The time-window part of verification, shared with cache hits: exp (required) and
// nbf, each with the leeway. Returns ok, expired or not_yet_valid, with a reason.
JwtError check_time_window(const JwtClaims& claims, std::int64_t now, std::int64_t leeway,
                           std::string& reason);

// Builds a compact JWS from the given JSON texts, signed with an HS* algorithm named
// in `header_json`'s alg. The texts are used verbatim (tests craft odd ones). "" on failure.
std::string sign_hmac_jwt(const HmacKey& key, JwsAlg alg, std::string_view header_json,
                          std::string_view payload_json);
