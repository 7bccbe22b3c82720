// JWS algorithms, JWK key types, and a parsed JWKS (RFC 7517, 7518, 8037).
// A KeySet is parsed once per JWKS load: every usable key becomes an EVP_PKEY then,
// so verifying a token never parses key material.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/crypto_handles.h"

enum class JwsAlg {
  hs256,
  hs384,
  hs512,
  rs256,
  rs384,
  rs512,
  ps256,
  ps384,
  ps512,
  es256,
  es384,
  es512,
  eddsa,
};

enum class KeyType { rsa, ec_p256, ec_p384, ec_p521, ed25519, ed448 };

// "HS256" -> hs256 ...; nullopt for "none" and anything unknown.
std::optional<JwsAlg> parse_jws_alg(std::string_view name);
const char* jws_alg_name(JwsAlg alg);
bool is_hmac(JwsAlg alg);
// The key type alone decides which algorithms a key may verify: RSA -> RS*/PS*,
// P-256 -> ES256, P-384 -> ES384, P-521 -> ES512, Ed25519/Ed448 -> EdDSA.
bool key_allows(KeyType type, JwsAlg alg);
const char* key_type_name(KeyType type);

struct Jwk {
  std::string kid;  // "" when the JWK has none
  KeyType type = KeyType::rsa;
  std::optional<JwsAlg> alg;  // the JWK's own `alg`, which then must match exactly
  EvpPkeyPtr key;             // public key, owned

  // Whether this key may verify a token signed with `token_alg`.
  bool accepts(JwsAlg token_alg) const {
    return key_allows(type, token_alg) && (!alg || *alg == token_alg);
  }
};

struct KeySet {
  std::vector<Jwk> keys;
  std::vector<std::string> skipped;  // one line per key left out, and why (for the log)
};

// Parses a JWKS document ({"keys": [...]}). Keys that cannot be used (other `use`,
// `oct`, unknown kty/crv, bad encoding, an `alg` the key type cannot verify, RSA under
// 2048 bits or with an even exponent or e = 1, anything EVP_PKEY_public_check refuses)
// are skipped and listed in `skipped`. Returns false with `error` set when
// the document is malformed or has no usable key.
bool parse_jwks(std::string_view json, KeySet& out, std::string& error);
