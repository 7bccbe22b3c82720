#include "auth/jws_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>

namespace {

// Fetched once per process: implicit fetches by name cost a lookup on every call.
const EVP_MD* digest_for(JwsAlg alg) {
  static const EvpMdPtr kSha256{EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  static const EvpMdPtr kSha384{EVP_MD_fetch(nullptr, "SHA384", nullptr)};
  static const EvpMdPtr kSha512{EVP_MD_fetch(nullptr, "SHA512", nullptr)};
  switch (alg) {
    case JwsAlg::hs256:
    case JwsAlg::rs256:
    case JwsAlg::ps256:
    case JwsAlg::es256:
      return kSha256.get();
    case JwsAlg::hs384:
    case JwsAlg::rs384:
    case JwsAlg::ps384:
    case JwsAlg::es384:
      return kSha384.get();
    case JwsAlg::hs512:
    case JwsAlg::rs512:
    case JwsAlg::ps512:
    case JwsAlg::es512:
      return kSha512.get();
    case JwsAlg::eddsa:
      return nullptr;  // EdDSA hashes internally
  }
  return nullptr;
}

const char* hmac_digest_name(int index) {
  static const char* const kNames[] = {"SHA256", "SHA384", "SHA512"};
  return kNames[index];
}

int hmac_index(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::hs256:
      return 0;
    case JwsAlg::hs384:
      return 1;
    case JwsAlg::hs512:
      return 2;
    default:
      return -1;
  }
}

// JWS carries ECDSA signatures as fixed-width big-endian r||s; OpenSSL wants DER.
bool ecdsa_raw_to_der(std::string_view raw, std::size_t coord_len, std::string& der) {
  if (raw.size() != 2 * coord_len) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  BignumPtr r{BN_bin2bn(p, static_cast<int>(coord_len), nullptr)};
  BignumPtr s{BN_bin2bn(p + coord_len, static_cast<int>(coord_len), nullptr)};
  EcdsaSigPtr sig{ECDSA_SIG_new()};
  if (!r || !s || !sig || !ECDSA_SIG_set0(sig.get(), r.get(), s.get())) return false;
  static_cast<void>(r.release());  // now owned by sig
  static_cast<void>(s.release());
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return false;
  der.resize(static_cast<std::size_t>(len));
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  return i2d_ECDSA_SIG(sig.get(), &out) == len;
}

std::size_t ec_coord_len(KeyType type) {
  switch (type) {
    case KeyType::ec_p256:
      return 32;
    case KeyType::ec_p384:
      return 48;
    case KeyType::ec_p521:
      return 66;
    default:
      return 0;
  }
}

}  // namespace

HmacKey::HmacKey(std::string_view secret) {
  if (secret.empty()) return;
  EvpMacPtr mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
  if (!mac) return;
  for (int i = 0; i < 3; ++i) {
    keyed_[i].reset(EVP_MAC_CTX_new(mac.get()));  // the context keeps its own reference
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                               OSSL_MAC_PARAM_DIGEST, const_cast<char*>(hmac_digest_name(i)), 0),
                           OSSL_PARAM_construct_end()};
    if (!keyed_[i] ||
        EVP_MAC_init(keyed_[i].get(), reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size(), params) <= 0) {
      return;
    }
  }
  usable_ = true;
}

std::string HmacKey::sign(JwsAlg alg, std::string_view data) const {
  const int index = hmac_index(alg);
  if (!usable_ || index < 0) return {};
  EvpMacCtxPtr ctx{EVP_MAC_CTX_dup(keyed_[index].get())};
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (!ctx ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) <=
          0 ||
      EVP_MAC_final(ctx.get(), out, &len, sizeof out) <= 0) {
    return {};
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

bool HmacKey::verify(JwsAlg alg, std::string_view data, std::string_view signature) const {
  const std::string expected = sign(alg, data);
  return !expected.empty() && expected.size() == signature.size() &&
         CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

bool verify_asymmetric(const Jwk& key, JwsAlg alg, std::string_view data,
                       std::string_view signature) {
  if (!key.key || is_hmac(alg) || !key.accepts(alg)) return false;
  std::string der;
  if (alg == JwsAlg::es256 || alg == JwsAlg::es384 || alg == JwsAlg::es512) {
    if (!ecdsa_raw_to_der(signature, ec_coord_len(key.type), der)) return false;
    signature = der;
  }
  EvpMdCtxPtr ctx{EVP_MD_CTX_new()};
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), &pctx, digest_for(alg), nullptr, key.key.get()) <= 0) {
    return false;
  }
  if (alg == JwsAlg::ps256 || alg == JwsAlg::ps384 || alg == JwsAlg::ps512) {
    // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0) {
      return false;
    }
  } else if (key.type == KeyType::rsa &&
             EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}
