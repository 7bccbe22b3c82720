#include "auth/jwk.h"

#include <openssl/core_names.h>

#include <cstring>

#include "util/base64url.h"

namespace {

struct AlgName {
  JwsAlg alg;
  const char* name;
};
constexpr AlgName kAlgNames[] = {
    {JwsAlg::hs256, "HS256"}, {JwsAlg::hs384, "HS384"}, {JwsAlg::hs512, "HS512"},
    {JwsAlg::rs256, "RS256"}, {JwsAlg::rs384, "RS384"}, {JwsAlg::rs512, "RS512"},
    {JwsAlg::ps256, "PS256"}, {JwsAlg::ps384, "PS384"}, {JwsAlg::ps512, "PS512"},
    {JwsAlg::es256, "ES256"}, {JwsAlg::es384, "ES384"}, {JwsAlg::es512, "ES512"},
    {JwsAlg::eddsa, "EdDSA"},
};

constexpr int kMinRsaBits = 2048;

const char* string_member(const cJSON* obj, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
  return cJSON_IsString(item) ? item->valuestring : nullptr;
}

bool decode_member(const cJSON* jwk, const char* name, std::string& out) {
  const char* text = string_member(jwk, name);
  return text != nullptr && base64url_decode(text, out) && !out.empty();
}

EvpPkeyPtr pkey_fromdata(const char* type, OSSL_PARAM_BLD* bld) {
  OsslParamPtr params{OSSL_PARAM_BLD_to_param(bld)};
  EvpPkeyCtxPtr ctx{EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return nullptr;
  }
  return EvpPkeyPtr{raw};
}

EvpPkeyPtr rsa_key(const cJSON* jwk, std::string& why) {
  std::string n, e;
  if (!decode_member(jwk, "n", n) || !decode_member(jwk, "e", e)) {
    why = "RSA key without valid n/e";
    return nullptr;
  }
  BignumPtr bn_n{BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                           static_cast<int>(n.size()), nullptr)};
  BignumPtr bn_e{BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                           static_cast<int>(e.size()), nullptr)};
  // e = 1 makes "signature^e mod n" the identity: any message verifies with the
  // signature equal to its own padded digest. An even e is no RSA key at all.
  if (bn_e && (!BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get()))) {
    why = "RSA public exponent must be odd and at least 3";
    return nullptr;
  }
  OsslParamBldPtr bld{OSSL_PARAM_BLD_new()};
  if (!bn_n || !bn_e || !bld ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    why = "RSA key: out of memory";
    return nullptr;
  }
  EvpPkeyPtr key = pkey_fromdata("RSA", bld.get());
  if (!key) {
    why = "RSA key rejected by OpenSSL";
  } else if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
    why = "RSA key under 2048 bits";
    key.reset();
  }
  return key;
}

EvpPkeyPtr ec_key(const cJSON* jwk, const char* group, std::size_t coord_len, std::string& why) {
  std::string x, y;
  if (!decode_member(jwk, "x", x) || !decode_member(jwk, "y", y) || x.size() != coord_len ||
      y.size() != coord_len) {
    why = "EC key: x/y missing or of the wrong length";
    return nullptr;
  }
  // Uncompressed SEC1 point; OpenSSL checks that it lies on the curve.
  std::string point = "\x04" + x + y;
  OsslParamBldPtr bld{OSSL_PARAM_BLD_new()};
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                        point.size())) {
    why = "EC key: out of memory";
    return nullptr;
  }
  EvpPkeyPtr key = pkey_fromdata("EC", bld.get());
  if (!key) why = "EC key: point not on the curve";
  return key;
}

EvpPkeyPtr okp_key(const cJSON* jwk, int nid, std::size_t len, std::string& why) {
  std::string x;
  if (!decode_member(jwk, "x", x) || x.size() != len) {
    why = "OKP key: x missing or of the wrong length";
    return nullptr;
  }
  EvpPkeyPtr key{EVP_PKEY_new_raw_public_key(
      nid, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size())};
  if (!key) why = "OKP key rejected by OpenSSL";
  return key;
}

// OpenSSL's own validation of a public key (for RSA: SP 800-56B's checks of n and e;
// for EC: the point is on the curve and not the point at infinity).
bool passes_public_check(EVP_PKEY* key) {
  EvpPkeyCtxPtr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr)};
  return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

// Builds one key, or explains in `why` why it is left out.
bool parse_key(const cJSON* item, Jwk& jwk, std::string& why) {
  if (!cJSON_IsObject(item)) return why = "not an object", false;
  const char* use = string_member(item, "use");
  if (use != nullptr && std::strcmp(use, "sig") != 0) return why = "use is not sig", false;
  const char* kty = string_member(item, "kty");
  const char* crv = string_member(item, "crv");
  if (kty == nullptr) return why = "no kty", false;
  const std::string_view k = kty, c = crv ? crv : "";
  if (k == "RSA") {
    jwk.type = KeyType::rsa;
    jwk.key = rsa_key(item, why);
  } else if (k == "EC" && c == "P-256") {
    jwk.type = KeyType::ec_p256;
    jwk.key = ec_key(item, "P-256", 32, why);
  } else if (k == "EC" && c == "P-384") {
    jwk.type = KeyType::ec_p384;
    jwk.key = ec_key(item, "P-384", 48, why);
  } else if (k == "EC" && c == "P-521") {
    jwk.type = KeyType::ec_p521;
    jwk.key = ec_key(item, "P-521", 66, why);
  } else if (k == "OKP" && c == "Ed25519") {
    jwk.type = KeyType::ed25519;
    jwk.key = okp_key(item, EVP_PKEY_ED25519, 32, why);
  } else if (k == "OKP" && c == "Ed448") {
    jwk.type = KeyType::ed448;
    jwk.key = okp_key(item, EVP_PKEY_ED448, 57, why);
  } else {
    return why = "unsupported kty/crv " + std::string(k) + "/" + std::string(c), false;
  }
  if (!jwk.key) return false;
  if (!passes_public_check(jwk.key.get())) {
    return why = std::string(key_type_name(jwk.type)) + " key fails OpenSSL's public key check",
           false;
  }
  if (const cJSON* alg = cJSON_GetObjectItemCaseSensitive(item, "alg"); alg != nullptr) {
    jwk.alg = cJSON_IsString(alg) ? parse_jws_alg(alg->valuestring) : std::nullopt;
    if (!jwk.alg || !key_allows(jwk.type, *jwk.alg)) {
      return why = "alg does not fit a " + std::string(key_type_name(jwk.type)) + " key", false;
    }
  }
  if (const cJSON* kid = cJSON_GetObjectItemCaseSensitive(item, "kid"); kid != nullptr) {
    if (!cJSON_IsString(kid)) return why = "kid is not a string", false;
    jwk.kid = kid->valuestring;
  }
  return true;
}

}  // namespace

std::optional<JwsAlg> parse_jws_alg(std::string_view name) {
  for (const auto& entry : kAlgNames) {
    if (name == entry.name) return entry.alg;
  }
  return std::nullopt;
}

const char* jws_alg_name(JwsAlg alg) {
  return kAlgNames[static_cast<int>(alg)].name;
}

bool is_hmac(JwsAlg alg) {
  return alg == JwsAlg::hs256 || alg == JwsAlg::hs384 || alg == JwsAlg::hs512;
}

bool key_allows(KeyType type, JwsAlg alg) {
  switch (type) {
    case KeyType::rsa:
      return alg >= JwsAlg::rs256 && alg <= JwsAlg::ps512;
    case KeyType::ec_p256:
      return alg == JwsAlg::es256;
    case KeyType::ec_p384:
      return alg == JwsAlg::es384;
    case KeyType::ec_p521:
      return alg == JwsAlg::es512;
    case KeyType::ed25519:
    case KeyType::ed448:
      return alg == JwsAlg::eddsa;
  }
  return false;
}

const char* key_type_name(KeyType type) {
  switch (type) {
    case KeyType::rsa:
      return "RSA";
    case KeyType::ec_p256:
      return "EC P-256";
    case KeyType::ec_p384:
      return "EC P-384";
    case KeyType::ec_p521:
      return "EC P-521";
    case KeyType::ed25519:
      return "OKP Ed25519";
    case KeyType::ed448:
      return "OKP Ed448";
  }
  return "?";
}

bool parse_jwks(std::string_view json, KeySet& out, std::string& error) {
  out = KeySet{};
  JsonPtr doc{cJSON_ParseWithLength(json.data(), json.size())};
  const cJSON* keys = doc ? cJSON_GetObjectItemCaseSensitive(doc.get(), "keys") : nullptr;
  if (!cJSON_IsArray(keys)) {
    error = doc ? "JWKS has no \"keys\" array" : "JWKS is not valid JSON";
    return false;
  }
  int index = 0;
  for (const cJSON* item = keys->child; item != nullptr; item = item->next, ++index) {
    Jwk jwk;
    std::string why;
    if (parse_key(item, jwk, why)) {
      out.keys.push_back(std::move(jwk));
    } else {
      out.skipped.push_back("key " + std::to_string(index) + ": " + why);
    }
  }
  if (out.keys.empty()) {
    error = "JWKS has no usable key";
    return false;
  }
  return true;
}
