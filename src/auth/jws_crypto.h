// JWS signature primitives (RFC 7518 §3): HMAC with the shared secret, and
// RSA PKCS#1 v1.5 / RSA-PSS / ECDSA / EdDSA verification with a JWK's public key.
// Neither does any parsing of the token; jwt.cpp calls them after deciding that the
// algorithm fits the key.
#pragma once

#include <string>
#include <string_view>

#include "auth/jwk.h"
#include "util/crypto_handles.h"

// The HS* secret. The EVP_MAC and one keyed context per hash are set up once; each
// signature duplicates the keyed context instead of re-keying HMAC.
class HmacKey {
 public:
  explicit HmacKey(std::string_view secret);
  bool usable() const { return usable_; }

  // MAC of `data` with the hash of `alg` (an HS* algorithm); "" on failure.
  std::string sign(JwsAlg alg, std::string_view data) const;
  // Constant-time comparison (CRYPTO_memcmp) of the expected MAC with `signature`.
  bool verify(JwsAlg alg, std::string_view data, std::string_view signature) const;

 private:
  EvpMacCtxPtr keyed_[3];  // HS256, HS384, HS512
  bool usable_ = false;
};

// Verifies `signature` (raw JWS bytes: r||s for ECDSA) over `data` with `key`, for an
// asymmetric `alg` the caller has already checked with Jwk::accepts().
bool verify_asymmetric(const Jwk& key, JwsAlg alg, std::string_view data,
                       std::string_view signature);
