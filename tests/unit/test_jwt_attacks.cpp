// Tokens an attacker (or a buggy issuer) might send: each must be refused, for the
// reason given. Most are HS256 tokens crafted here with arbitrary header/payload text.
#include <gtest/gtest.h>

#include <string>

#include "auth/jwt.h"
#include "jwt_test_util.h"
#include "util/base64url.h"

using namespace jwt_test;

namespace {

constexpr std::int64_t kNow = 1700000000;
const std::string kSecret = "0123456789abcdef0123456789abcdef";
constexpr const char* kHs256 = R"({"alg":"HS256","typ":"JWT"})";

class JwtAttack : public ::testing::Test {
 protected:
  JwtResult verify(const std::string& token) {
    return verify_jwt(token, {&hmac_, &jwks_}, kNow, options_);
  }
  // An HS256 token over exactly these texts, correctly signed with the secret.
  std::string hs(const std::string& payload, const char* header = kHs256) {
    return sign_hmac_jwt(hmac_, JwsAlg::hs256, header, payload);
  }
  static std::string claims(const std::string& extra) {
    return R"({"sub":"u1","exp":)" + std::to_string(kNow + 600) + extra + "}";
  }

  HmacKey hmac_{kSecret};
  KeySet jwks_ = load_keys("jwks.json");
  JwtOptions options_;
};

}  // namespace

TEST_F(JwtAttack, BaselineTokenIsAccepted) {
  JwtResult r = verify(hs(claims(R"(,"email":"a@b.c")")));
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.claims.sub, "u1");
  EXPECT_EQ(r.claims.email, "a@b.c");
  EXPECT_TRUE(r.claims.has_email);
  EXPECT_FALSE(verify(hs(claims(R"(,"email":7)"))).claims.has_email);
}

TEST_F(JwtAttack, AlgNoneInAnySpellingIsRefused) {
  const std::string body = base64url_encode(claims(""));
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string header = base64url_encode(std::string(R"({"alg":")") + alg + "\"}");
    EXPECT_EQ(verify(header + "." + body + ".").error, JwtError::bad_alg) << alg;
    const JwtResult r = verify(header + "." + body + ".c2ln");
    EXPECT_EQ(r.error, JwtError::bad_alg) << alg;
    EXPECT_NE(r.reason.find("not accepted"), std::string::npos);
  }
}

TEST_F(JwtAttack, UnknownOrMissingAlgIsRefused) {
  const std::string body = base64url_encode(claims(""));
  for (const char* header : {R"({"alg":"HS1"})", R"({"alg":"RS1"})", R"({"alg":"hs256"})",
                             R"({"alg":"ES256K"})", R"({"alg":"Ed25519"})"}) {
    EXPECT_EQ(verify(base64url_encode(header) + "." + body + ".c2ln").error, JwtError::bad_alg)
        << header;
  }
  EXPECT_EQ(verify(base64url_encode(R"({"typ":"JWT"})") + "." + body + ".c2ln").error,
            JwtError::malformed);
  EXPECT_EQ(verify(base64url_encode(R"({"alg":256})") + "." + body + ".c2ln").error,
            JwtError::malformed);
}

// The classic confusion: HS256 "signed" with the RSA public key as the HMAC secret.
// HS* only ever verifies with the configured secret, never with a JWKS key.
TEST_F(JwtAttack, Hs256SignedWithTheRsaPublicKeyIsRefused) {
  const std::string pem = read_data("rsa.pub.pem");
  ASSERT_NE(pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  const HmacKey forged(pem);
  for (const char* header : {R"({"alg":"HS256","kid":"rsa-1"})", R"({"alg":"HS256"})"}) {
    const std::string token = sign_hmac_jwt(forged, JwsAlg::hs256, header, claims(""));
    EXPECT_EQ(verify(token).error, JwtError::bad_signature) << header;
    // With no secret configured at all, HS tokens have nothing to verify with.
    EXPECT_EQ(verify_jwt(token, {nullptr, &jwks_}, kNow, options_).error, JwtError::no_key);
  }
}

TEST_F(JwtAttack, AsymmetricAlgWithAKeyOfAnotherTypeIsRefused) {
  JwtResult r = verify(vector_token("RS256-kid-names-ec"));
  EXPECT_EQ(r.error, JwtError::bad_alg);
  EXPECT_EQ(r.reason, "RS256 is not allowed for the key of kid \"ec256-1\"");
  EXPECT_EQ(verify(vector_token("PS256-rs256-only")).error, JwtError::bad_alg);
  // An EdDSA header naming the RSA key: refused before any crypto.
  const std::string token = vector_token("EdDSA-Ed25519");
  std::string header;
  ASSERT_TRUE(base64url_decode(token.substr(0, token.find('.')), header));
  const std::string forged =
      base64url_encode(R"({"alg":"EdDSA","kid":"rsa-1"})") + token.substr(token.find('.'));
  EXPECT_EQ(verify(forged).error, JwtError::bad_alg);
}

TEST_F(JwtAttack, TamperedOrStrippedHmacTokenIsRefused) {
  const std::string token = hs(claims(""));
  ASSERT_TRUE(verify(token).ok());
  const std::size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  const std::string other_payload = base64url_encode(R"({"sub":"admin","exp":2000000000})");
  EXPECT_EQ(verify(token.substr(0, dot1 + 1) + other_payload + token.substr(dot2)).error,
            JwtError::bad_signature);
  const std::string other_header = base64url_encode(R"({"alg":"HS256"})");
  EXPECT_EQ(verify(other_header + token.substr(dot1)).error, JwtError::bad_signature);
  std::string sig = token.substr(dot2 + 1);
  sig[3] = sig[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify(token.substr(0, dot2 + 1) + sig).error, JwtError::bad_signature);
  EXPECT_EQ(verify(token.substr(0, dot2 + 1)).error, JwtError::malformed);
  EXPECT_EQ(verify(token.substr(0, dot2 + 1) + sig.substr(0, 20)).error, JwtError::bad_signature);
  // HS384/HS512 do not accept an HS256 MAC (or vice versa).
  const std::string hs512 = sign_hmac_jwt(hmac_, JwsAlg::hs512, R"({"alg":"HS256"})", claims(""));
  EXPECT_EQ(verify(hs512).error, JwtError::bad_signature);
  EXPECT_TRUE(verify(sign_hmac_jwt(hmac_, JwsAlg::hs512, R"({"alg":"HS512"})", claims(""))).ok());
  EXPECT_TRUE(verify(sign_hmac_jwt(hmac_, JwsAlg::hs384, R"({"alg":"HS384"})", claims(""))).ok());
}

TEST_F(JwtAttack, TimeWindowWithLeeway) {
  const auto at = [](const char* name, std::int64_t t) {
    return std::string(",\"") + name + "\":" + std::to_string(t);
  };
  const auto token = [&](std::int64_t exp, const std::string& extra) {
    return hs(R"({"sub":"u1","exp":)" + std::to_string(exp) + extra + "}");
  };
  EXPECT_EQ(verify(token(kNow - 3600, "")).error, JwtError::expired);
  EXPECT_EQ(verify(token(kNow - 30, "")).error, JwtError::expired);  // leeway 30 s
  EXPECT_TRUE(verify(token(kNow - 29, "")).ok());
  EXPECT_EQ(verify(token(kNow + 600, at("nbf", kNow + 31))).error, JwtError::not_yet_valid);
  EXPECT_TRUE(verify(token(kNow + 600, at("nbf", kNow + 30))).ok());
  EXPECT_EQ(verify(token(kNow + 600, at("iat", kNow + 31))).reason, "iat in the future");
  EXPECT_TRUE(verify(token(kNow + 600, at("iat", kNow + 30))).ok());
  options_.leeway_seconds = 0;
  EXPECT_EQ(verify(token(kNow, "")).error, JwtError::expired);
  EXPECT_EQ(verify(token(kNow + 600, at("nbf", kNow + 1))).error, JwtError::not_yet_valid);
}

TEST_F(JwtAttack, ExpIsRequiredAndNumeric) {
  for (const char* payload :
       {R"({"sub":"u1"})", R"({"sub":"u1","exp":"1700000600"})", R"({"sub":"u1","exp":null})",
        R"({"sub":"u1","exp":1e999})", R"({"sub":"u1","exp":1700000600,"nbf":"0"})",
        R"({"sub":"u1","exp":1700000600,"iat":true})"}) {
    EXPECT_EQ(verify(hs(payload)).error, JwtError::bad_claims) << payload;
  }
}

TEST_F(JwtAttack, CritHeaderIsRefused) {
  JwtResult r = verify(hs(claims(""), R"({"alg":"HS256","crit":["exp"],"exp":1})"));
  EXPECT_EQ(r.error, JwtError::malformed);
  EXPECT_EQ(r.reason, "crit header not supported");
  EXPECT_EQ(verify(hs(claims(""), R"({"alg":"HS256","crit":[]})")).error, JwtError::malformed);
}

TEST_F(JwtAttack, TokensOver8KiBAreRefused) {
  const auto padded = [&](std::size_t pad) {
    return hs(claims(R"(,"pad":")" + std::string(pad, 'x') + "\""));
  };
  std::string big = padded(5900);
  ASSERT_LE(big.size(), kMaxTokenBytes);
  EXPECT_TRUE(verify(big).ok());
  big = padded(6200);
  ASSERT_GT(big.size(), kMaxTokenBytes);
  EXPECT_EQ(verify(big).reason, "token over 8 KiB");
}

TEST_F(JwtAttack, SubMustBeANonEmptyStringOfAtMost255Bytes) {
  const auto with_sub = [&](const std::string& sub) {
    return hs(R"({"exp":)" + std::to_string(kNow + 600) + sub + "}");
  };
  EXPECT_EQ(verify(with_sub("")).reason, "sub missing or not a string");
  EXPECT_EQ(verify(with_sub(R"(,"sub":42)")).reason, "sub missing or not a string");
  EXPECT_EQ(verify(with_sub(R"(,"sub":null)")).error, JwtError::bad_claims);
  EXPECT_EQ(verify(with_sub(R"(,"sub":"")")).reason, "sub must be 1..255 bytes");
  EXPECT_EQ(verify(with_sub(R"(,"sub":")" + std::string(256, 'a') + "\"")).reason,
            "sub must be 1..255 bytes");
  JwtResult r = verify(with_sub(R"(,"sub":")" + std::string(255, 'a') + "\""));
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.claims.sub.size(), 255u);
  EXPECT_EQ(verify(with_sub(R"(,"sub":"a\u0000b")")).reason, "payload contains NUL");
  EXPECT_EQ(verify(with_sub(R"(,"sub":"User-1")")).claims.sub, "User-1");  // case kept
}

TEST_F(JwtAttack, IssuerAndAudienceWhenConfigured) {
  options_.issuer = "https://auth.example.com";
  options_.audience = "https://api.example.com";
  const std::string good = R"(,"iss":"https://auth.example.com")";
  EXPECT_TRUE(verify(hs(claims(good + R"(,"aud":"https://api.example.com")"))).ok());
  EXPECT_TRUE(verify(hs(claims(good + R"(,"aud":["x","https://api.example.com"])"))).ok());
  EXPECT_EQ(verify(hs(claims(good + R"(,"aud":["x","y"])"))).error, JwtError::bad_claims);
  EXPECT_EQ(verify(hs(claims(good + R"(,"aud":"https://evil.example.com")"))).error,
            JwtError::bad_claims);
  EXPECT_EQ(verify(hs(claims(good))).reason, "aud missing or not the expected audience");
  EXPECT_EQ(
      verify(hs(claims(R"(,"iss":"https://evil.example.com","aud":"https://api.example.com")")))
          .reason,
      "iss missing or not the expected issuer");
  EXPECT_EQ(verify(hs(claims(R"(,"aud":"https://api.example.com")"))).error, JwtError::bad_claims);
  options_ = {};  // nothing configured: neither is looked at
  EXPECT_TRUE(verify(hs(claims(R"(,"iss":"anyone","aud":["whoever"])"))).ok());
}

TEST_F(JwtAttack, MalformedStructureAndJsonAreRefused) {
  const std::string good = hs(claims(""));
  const std::string sig = good.substr(good.rfind('.'));
  const auto part = [](const std::string& json) { return base64url_encode(json); };
  const std::string body = part(claims(""));
  const std::string cases[] = {
      "",
      "abc",
      "a.b",
      good + ".x",                                                 // four parts
      "eyJhbGciOiJIUzI1NiJ9=." + body + sig,                       // padding
      part(R"({"alg":"HS256")") + "." + body + sig,                // truncated JSON
      part(R"(["alg","HS256"])") + "." + body + sig,               // not an object
      part(R"({"alg":"HS256"} x)") + "." + body + sig,             // trailing garbage
      part(R"({"alg":"HS256","alg":"none"})") + "." + body + sig,  // duplicate member
      part(std::string("{\"alg\":\"HS256\"}\0", 16)) + "." + body + sig,
      part(R"({"alg":"HS256","kid":5})") + "." + body + sig,
  };
  for (const std::string& token : cases) {
    EXPECT_EQ(verify(token).error, JwtError::malformed) << token;
  }
  // The signature covers the text as sent: a padded payload no longer matches it.
  EXPECT_EQ(verify(part(R"({"alg":"HS256","typ":"JWT"})") + "." + body + "=" + sig).error,
            JwtError::bad_signature);
  EXPECT_EQ(verify(hs("[1,2]")).reason, "payload is not a JSON object");
  EXPECT_EQ(verify(hs("{\"sub\":\"u1\",")).reason, "payload is not valid JSON");
  EXPECT_EQ(verify(hs(R"({"sub":"u1","sub":"admin","exp":2000000000})")).error,
            JwtError::malformed);
  EXPECT_TRUE(verify(hs(" " + claims("") + "\r\n")).ok());  // JSON whitespace is fine
}

// Header values echoed in the (log-only) reason are bounded and printable.
TEST_F(JwtAttack, ReasonsQuoteHeaderValuesSafely) {
  const std::string kid = std::string(200, 'k') + "\n\"}";
  JsonPtr header{cJSON_CreateObject()};
  cJSON_AddStringToObject(header.get(), "alg", "RS256");
  cJSON_AddStringToObject(header.get(), "kid", kid.c_str());
  const std::string token =
      base64url_encode(json_text(header.get())) + "." + base64url_encode(claims("")) + ".c2ln";
  JwtResult r = verify(token);
  EXPECT_EQ(r.error, JwtError::unknown_kid);
  EXPECT_LT(r.reason.size(), 90u);
  EXPECT_EQ(r.reason.find('\n'), std::string::npos);
  EXPECT_EQ(r.reason.rfind("...\""), r.reason.size() - 4);
}
