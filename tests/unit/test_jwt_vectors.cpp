// Published vectors (RFC 7515, RFC 8037) and tokens made by the openssl CLI
// (tests/data/jwt/make_vectors.sh) through the pure verifier.
#include <gtest/gtest.h>

#include "auth/jwt.h"
#include "jwt_test_util.h"
#include "util/base64url.h"

using namespace jwt_test;

namespace {

constexpr std::int64_t kRfcNow = 1300819000;  // before the RFC tokens' exp (1300819380)

const cJSON* rfc(const JsonPtr& doc, const char* name) {
  return cJSON_GetObjectItemCaseSensitive(doc.get(), name);
}

KeySet rfc_keys(const cJSON* vector) {
  KeySet keys;
  std::string error;
  EXPECT_TRUE(parse_jwks(json_text(cJSON_GetObjectItemCaseSensitive(vector, "jwks")), keys, error))
      << error;
  return keys;
}

JwtOptions vector_options() {
  JwtOptions options;
  options.issuer = kIssuer;
  options.audience = kIssuer;
  return options;
}

std::string error_name(JwtError e) {
  switch (e) {
    case JwtError::ok:
      return "ok";
    case JwtError::malformed:
      return "malformed";
    case JwtError::bad_alg:
      return "bad_alg";
    case JwtError::unknown_kid:
      return "unknown_kid";
    case JwtError::no_key:
      return "no_key";
    case JwtError::no_jwks:
      return "no_jwks";
    case JwtError::bad_signature:
      return "bad_signature";
    case JwtError::expired:
      return "expired";
    case JwtError::not_yet_valid:
      return "not_yet_valid";
    case JwtError::bad_claims:
      return "bad_claims";
  }
  return "?";
}

}  // namespace

// The RFC 7515 claims set has no `sub`: reaching "sub missing" proves that the
// signature verified and exp/iss were read (signature is checked before claims).
TEST(JwtVectors, Rfc7515A1Hs256) {
  JsonPtr doc = read_json("rfc_vectors.json");
  std::string secret;
  ASSERT_TRUE(base64url_decode(member(rfc(doc, "rfc7515_a1"), "k"), secret));
  const HmacKey key(secret);
  const std::string token = member(rfc(doc, "rfc7515_a1"), "token");
  JwtOptions options;
  options.issuer = "joe";
  JwtResult r = verify_jwt(token, {&key, nullptr}, kRfcNow, options);
  EXPECT_EQ(r.error, JwtError::bad_claims);
  EXPECT_EQ(r.reason, "sub missing or not a string");

  EXPECT_EQ(verify_jwt(token, {&key, nullptr}, 1300819380 + 31, options).error, JwtError::expired);
  const HmacKey other(secret + "x");
  EXPECT_EQ(verify_jwt(token, {&other, nullptr}, kRfcNow, options).error, JwtError::bad_signature);
}

TEST(JwtVectors, Rfc7515A2Rs256AndA3Es256) {
  JsonPtr doc = read_json("rfc_vectors.json");
  for (const char* name : {"rfc7515_a2", "rfc7515_a3"}) {
    const KeySet keys = rfc_keys(rfc(doc, name));
    const std::string token = member(rfc(doc, name), "token");
    JwtResult r = verify_jwt(token, {nullptr, &keys}, kRfcNow, {});
    EXPECT_EQ(r.error, JwtError::bad_claims) << name << ": " << r.reason;
    EXPECT_EQ(r.reason, "sub missing or not a string") << name;
    // One flipped bit of the signature and it no longer verifies.
    std::string tampered = token;
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(verify_jwt(tampered, {nullptr, &keys}, kRfcNow, {}).error, JwtError::bad_signature)
        << name;
  }
}

// RFC 8037 A.4 signs a sentence, not a claims set: the signature verifies (A.5)
// and the payload is then refused as a JWT.
TEST(JwtVectors, Rfc8037A4Ed25519) {
  JsonPtr doc = read_json("rfc_vectors.json");
  const KeySet keys = rfc_keys(rfc(doc, "rfc8037_a4"));
  ASSERT_EQ(keys.keys.size(), 1u);
  EXPECT_EQ(keys.keys[0].type, KeyType::ed25519);
  const std::string token = member(rfc(doc, "rfc8037_a4"), "token");
  JwtResult r = verify_jwt(token, {nullptr, &keys}, kRfcNow, {});
  EXPECT_EQ(r.error, JwtError::malformed);
  EXPECT_EQ(r.reason, "payload is not valid JSON");
  std::string tampered = token;
  tampered.replace(token.find('.') + 1, 4, "RXhh");  // same text: still verifies
  EXPECT_EQ(verify_jwt(tampered, {nullptr, &keys}, kRfcNow, {}).reason,
            "payload is not valid JSON");
  tampered.replace(token.find('.') + 1, 4, "Rxhh");  // other text: signature fails
  EXPECT_EQ(verify_jwt(tampered, {nullptr, &keys}, kRfcNow, {}).error, JwtError::bad_signature);
}

// Every token of tokens.json against the JWKS its kid (or lack of one) calls for,
// with the outcome make_vectors.sh recorded.
TEST(JwtVectors, OpensslTokensVerifyAsRecorded) {
  JsonPtr doc = read_json("tokens.json");
  const KeySet with_kids = load_keys("jwks.json");
  const KeySet no_kids = load_keys("jwks_nokid.json");
  const cJSON* tokens = cJSON_GetObjectItemCaseSensitive(doc.get(), "tokens");
  int checked = 0;
  for (const cJSON* t = tokens->child; t != nullptr; t = t->next, ++checked) {
    const std::string name = member(t, "name");
    const bool has_kid = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "kid"));
    const KeySet& keys = has_kid ? with_kids : no_kids;
    JwtResult r = verify_jwt(member(t, "token"), {nullptr, &keys}, kVectorNow, vector_options());
    EXPECT_EQ(error_name(r.error), member(t, "expect")) << name << ": " << r.reason;
    if (r.ok()) {
      EXPECT_EQ(r.claims.sub, "user-" + name);
      EXPECT_TRUE(r.claims.has_email);
      EXPECT_EQ(r.claims.email, name + "@example.com");
      EXPECT_EQ(r.claims.exp, 1700000900);
    }
  }
  EXPECT_EQ(checked, 22);
}

// Each openssl-made token, with one byte of its header, payload or signature changed,
// or its signature stripped, is refused.
TEST(JwtVectors, TamperedOpensslTokensAreRefused) {
  const KeySet keys = load_keys("jwks.json");
  for (const char* name : {"RS256", "PS384", "ES256", "ES512", "EdDSA-Ed25519", "EdDSA-Ed448"}) {
    const std::string token = vector_token(name);
    ASSERT_TRUE(verify_jwt(token, {nullptr, &keys}, kVectorNow, vector_options()).ok()) << name;
    const std::size_t dot1 = token.find('.'), dot2 = token.rfind('.');
    // Header: re-encode with an extra member, so it still parses and names the same key.
    std::string header;
    ASSERT_TRUE(base64url_decode(token.substr(0, dot1), header));
    header.insert(1, "\"x\":1,");
    const std::string bad_header = base64url_encode(header) + token.substr(dot1);
    std::string payload;
    ASSERT_TRUE(base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1), payload));
    payload.replace(payload.find("user-"), 5, "USER-");
    const std::string bad_payload =
        token.substr(0, dot1 + 1) + base64url_encode(payload) + token.substr(dot2);
    std::string sig;
    ASSERT_TRUE(base64url_decode(token.substr(dot2 + 1), sig));
    sig[sig.size() / 2] ^= 0x01;
    const std::string bad_sig = token.substr(0, dot2 + 1) + base64url_encode(sig);
    for (const std::string& t : {bad_header, bad_payload, bad_sig}) {
      EXPECT_EQ(verify_jwt(t, {nullptr, &keys}, kVectorNow, vector_options()).error,
                JwtError::bad_signature)
          << name;
    }
    const std::string stripped = token.substr(0, dot2 + 1);
    EXPECT_EQ(verify_jwt(stripped, {nullptr, &keys}, kVectorNow, vector_options()).reason,
              "no signature")
        << name;
    EXPECT_EQ(verify_jwt(token.substr(0, dot2), {nullptr, &keys}, kVectorNow, {}).error,
              JwtError::malformed);
  }
}

// JWS ECDSA signatures have one exact length per curve: DER, or r||s one byte short
// or long, is refused.
TEST(JwtVectors, EcdsaSignatureMustHaveItsExactLength) {
  const KeySet keys = load_keys("jwks.json");
  const std::string token = vector_token("ES256");
  const std::size_t dot2 = token.rfind('.');
  std::string sig;
  ASSERT_TRUE(base64url_decode(token.substr(dot2 + 1), sig));
  ASSERT_EQ(sig.size(), 64u);
  for (const std::string& s :
       {sig.substr(0, 63), sig + std::string(1, '\0'), std::string(1, '\0') + sig, sig + sig}) {
    const std::string t = token.substr(0, dot2 + 1) + base64url_encode(s);
    EXPECT_EQ(verify_jwt(t, {nullptr, &keys}, kVectorNow, vector_options()).error,
              JwtError::bad_signature);
  }
}
