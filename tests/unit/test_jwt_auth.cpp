// The Authenticator: Authorization header parsing, the token cache, JWKS glue
// (unknown kid, unavailable) and mint_hs256_token.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>

#include "auth/auth.h"
#include "auth/jwt.h"
#include "jwt_test_util.h"

using namespace jwt_test;

namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";

Config vector_config() {
  Config c;
  c.jwt_secret = kSecret;
  c.jwks_file = data_path("jwks.json");
  c.jwt_issuer = kIssuer;
  c.jwt_audience = kIssuer;
  return c;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

// A JWKS holding only the keys of jwks.json whose kid is `kid`.
std::string jwks_with_only(const std::string& kid) {
  JsonPtr doc = read_json("jwks.json");
  cJSON* keys = cJSON_GetObjectItemCaseSensitive(doc.get(), "keys");
  for (cJSON* k = keys->child; k != nullptr;) {
    cJSON* next = k->next;
    if (member(k, "kid") != kid) cJSON_Delete(cJSON_DetachItemViaPointer(keys, k));
    k = next;
  }
  return json_text(doc.get());
}

class TempJwks {
 public:
  TempJwks() {
    char tmpl[] = "/tmp/jwt_test_XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/jwks.json";
  }
  ~TempJwks() {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

}  // namespace

TEST(JwtAuth, AuthorizationHeaderSchemes) {
  Authenticator auth(vector_config());
  const std::string token = mint_hs256_token(kSecret, "u1", "", kVectorNow, 600, kIssuer, kIssuer);
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(auth.authenticate("", kVectorNow).status, AuthStatus::missing);
  EXPECT_EQ(auth.authenticate("   ", kVectorNow).status, AuthStatus::missing);
  EXPECT_EQ(auth.authenticate("Basic dTpw", kVectorNow).status, AuthStatus::missing);
  EXPECT_EQ(auth.authenticate("Token " + token, kVectorNow).status, AuthStatus::missing);
  EXPECT_EQ(auth.authenticate("Bearerx " + token, kVectorNow).status, AuthStatus::missing);
  EXPECT_EQ(auth.authenticate(token, kVectorNow).status, AuthStatus::missing);
  AuthResult r = auth.authenticate("Bearer", kVectorNow);
  EXPECT_EQ(r.status, AuthStatus::invalid);
  EXPECT_EQ(r.reason, "empty bearer token");
  EXPECT_EQ(auth.authenticate("Bearer    ", kVectorNow).status, AuthStatus::invalid);
  for (const std::string& header :
       {"Bearer " + token, "bearer " + token, "BEARER " + token, "bEaReR \t " + token + "  "}) {
    r = auth.authenticate(header, kVectorNow);
    EXPECT_EQ(r.status, AuthStatus::ok) << header << ": " << r.reason;
    EXPECT_EQ(r.identity.user_id, "u1");
  }
  EXPECT_EQ(auth.authenticate("Bearer " + token + " extra", kVectorNow).status,
            AuthStatus::invalid);
  EXPECT_EQ(auth.authenticate("Bearer " + std::string(9 * 1024, 'a'), kVectorNow).reason,
            "token over 8 KiB");
}

TEST(JwtAuth, EveryVectorThroughTheAuthenticator) {
  Authenticator auth(vector_config());
  for (const char* name : {"RS256", "PS512", "ES384", "ES512", "EdDSA-Ed448", "better-auth"}) {
    AuthResult r = auth.authenticate("Bearer " + vector_token(name), kVectorNow);
    ASSERT_EQ(r.status, AuthStatus::ok) << name << ": " << r.reason;
    EXPECT_EQ(r.identity.user_id, std::string("user-") + name);
    EXPECT_TRUE(r.identity.has_email);
    EXPECT_EQ(r.identity.email, std::string(name) + "@example.com");
  }
  AuthResult r = auth.authenticate("Bearer " + vector_token("RS256-kid-names-ec"), kVectorNow);
  EXPECT_EQ(r.status, AuthStatus::invalid);
  EXPECT_EQ(r.reason, "RS256 is not allowed for the key of kid \"ec256-1\"");
  // The same token under a configuration expecting another issuer.
  Config other = vector_config();
  other.jwt_issuer = "https://other.example.com";
  Authenticator strict(other);
  EXPECT_EQ(strict.authenticate("Bearer " + vector_token("RS256"), kVectorNow).status,
            AuthStatus::invalid);
}

TEST(JwtAuth, HmacWithThePublicKeyPemIsInvalid) {
  Config jwks_only = vector_config();
  jwks_only.jwt_secret.clear();
  const std::string pem = read_data("rsa.pub.pem");
  const std::string forged = mint_hs256_token(pem, "admin", "", kVectorNow, 600, kIssuer, kIssuer);
  ASSERT_FALSE(forged.empty());
  for (const Config& config : {vector_config(), jwks_only}) {
    Authenticator auth(config);
    EXPECT_EQ(auth.authenticate("Bearer " + forged, kVectorNow).status, AuthStatus::invalid);
  }
}

TEST(JwtAuth, CacheHitReturnsTheSameIdentityAndStillChecksTime) {
  Authenticator auth(vector_config());
  const std::string header = "Bearer " + vector_token("EdDSA-Ed25519");
  AuthResult first = auth.authenticate(header, kVectorNow);
  ASSERT_EQ(first.status, AuthStatus::ok) << first.reason;
  AuthResult second = auth.authenticate(header, kVectorNow + 1);
  ASSERT_EQ(second.status, AuthStatus::ok);
  EXPECT_EQ(second.identity.user_id, first.identity.user_id);
  EXPECT_EQ(second.identity.email, first.identity.email);
  // exp is 1700000900, leeway 30: a cached token expires like any other.
  AuthResult late = auth.authenticate(header, 1700000930);
  EXPECT_EQ(late.status, AuthStatus::invalid);
  EXPECT_EQ(late.reason, "token expired (cached)");
  EXPECT_EQ(auth.authenticate(header, 1700000930).reason, "token expired");  // entry dropped
}

TEST(JwtAuth, CacheHitRechecksNotBefore) {
  Authenticator auth(vector_config());
  const std::string payload = R"({"sub":"u1","iss":")" + std::string(kIssuer) + R"(","aud":")" +
                              kIssuer + R"(","nbf":1700000120,"exp":1700000900})";
  const std::string token =
      sign_hmac_jwt(HmacKey(kSecret), JwsAlg::hs256, R"({"alg":"HS256"})", payload);
  ASSERT_EQ(auth.authenticate("Bearer " + token, kVectorNow).status, AuthStatus::ok);
  AuthResult early = auth.authenticate("Bearer " + token, kVectorNow - 20);
  EXPECT_EQ(early.status, AuthStatus::invalid);
  EXPECT_EQ(early.reason, "token not valid yet (nbf) (cached)");
}

// Proof that a hit skips the signature: once cached, the token passes even after its
// key left the JWKS (until it expires). The key is gone for every token not cached.
TEST(JwtAuth, CacheHitSkipsTheSignature) {
  TempJwks file;
  write_file(file.path(), read_data("jwks.json"));
  Config config = vector_config();
  config.jwks_file = file.path();
  config.jwks_cache_ttl = 1;
  config.jwt_leeway_seconds = 2000000000;  // vectors are from 2023; the source runs on real time
  Authenticator auth(config);
  const std::int64_t now = std::time(nullptr) + 100;
  const std::string cached = "Bearer " + vector_token("ES256");
  ASSERT_EQ(auth.authenticate(cached, now).status, AuthStatus::ok);
  write_file(file.path(), jwks_with_only("ed25519-1"));
  AuthResult uncached = auth.authenticate("Bearer " + vector_token("RS256"), now + 60);
  EXPECT_EQ(uncached.status, AuthStatus::invalid);  // TTL passed: reloaded without rsa-1
  EXPECT_EQ(uncached.reason, "unknown kid \"rsa-1\"");
  EXPECT_EQ(auth.authenticate(cached, now + 60).status, AuthStatus::ok);
}

TEST(JwtAuth, UnknownKidTriggersOneReload) {
  TempJwks file;
  write_file(file.path(), jwks_with_only("ed25519-1"));
  Config config = vector_config();
  config.jwks_file = file.path();
  config.jwt_leeway_seconds = 2000000000;  // see above
  Authenticator auth(config);
  const std::int64_t now = std::time(nullptr) + 100;
  write_file(file.path(), read_data("jwks.json"));  // the issuer rotated in new keys
  AuthResult r = auth.authenticate("Bearer " + vector_token("RS384"), now);
  EXPECT_EQ(r.status, AuthStatus::ok) << r.reason;
  write_file(file.path(), jwks_with_only("ed25519-1"));
  // Within 30 s of that reload, an unknown kid does not reload: ES384 still verifies
  // with the set loaded above, which the file no longer holds.
  const std::string stranger = "Bearer " + vector_token("RS256-kid-oct-key");
  EXPECT_EQ(auth.authenticate(stranger, now + 1).reason, "unknown kid \"oct-1\"");
  EXPECT_EQ(auth.authenticate("Bearer " + vector_token("ES384"), now + 2).status, AuthStatus::ok);
  // 30 s later it does: the reloaded set has no ec521-1 any more.
  EXPECT_EQ(auth.authenticate(stranger, now + 31).status, AuthStatus::invalid);
  EXPECT_EQ(auth.authenticate("Bearer " + vector_token("ES512"), now + 32).reason,
            "unknown kid \"ec521-1\"");
}

TEST(JwtAuth, NoJwksEverLoadedIsUnavailableNotInvalid) {
  Config config = vector_config();
  config.jwks_file.clear();
  config.jwks_url = "http://127.0.0.1:1/api/auth/jwks";  // connection refused
  Authenticator auth(config);
  AuthResult r = auth.authenticate("Bearer " + vector_token("EdDSA-Ed25519"), kVectorNow);
  EXPECT_EQ(r.status, AuthStatus::unavailable);
  EXPECT_NE(r.reason.find("no JWKS keys loaded: http://127.0.0.1:1/"), std::string::npos)
      << r.reason;
  // Shared-secret tokens do not need the JWKS, and broken tokens stay 401.
  const std::string hs = mint_hs256_token(kSecret, "u1", "", kVectorNow, 600, kIssuer, kIssuer);
  EXPECT_EQ(auth.authenticate("Bearer " + hs, kVectorNow).status, AuthStatus::ok);
  EXPECT_EQ(auth.authenticate("Bearer abc.def.ghi", kVectorNow).status, AuthStatus::invalid);
}

TEST(JwtAuth, WithoutAnyJwksAsymmetricTokensAreInvalid) {
  Config config = vector_config();
  config.jwks_file.clear();
  Authenticator auth(config);
  AuthResult r = auth.authenticate("Bearer " + vector_token("RS256"), kVectorNow);
  EXPECT_EQ(r.status, AuthStatus::invalid);
  EXPECT_EQ(r.reason, "RS256 token but no JWKS keys are loaded");
}

TEST(JwtAuth, MintedTokensVerify) {
  const std::string token =
      mint_hs256_token(kSecret, "user-42", "ada@example.com", 1700000000, 3600, kIssuer, kIssuer);
  ASSERT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  Authenticator auth(vector_config());
  AuthResult r = auth.authenticate("Bearer " + token, 1700000000 + 3000);
  ASSERT_EQ(r.status, AuthStatus::ok) << r.reason;
  EXPECT_EQ(r.identity.user_id, "user-42");
  EXPECT_EQ(r.identity.email, "ada@example.com");
  EXPECT_EQ(auth.authenticate("Bearer " + token, 1700000000 + 3630).status, AuthStatus::invalid);
  // Without email, iss or aud: has_email false, and rejected where iss/aud are expected.
  const std::string bare = mint_hs256_token(kSecret, "u", "", 1700000000, 60);
  EXPECT_EQ(auth.authenticate("Bearer " + bare, 1700000000).reason,
            "iss missing or not the expected issuer");
  Config open = vector_config();
  open.jwt_issuer.clear();
  open.jwt_audience.clear();
  AuthResult plain = Authenticator(open).authenticate("Bearer " + bare, 1700000000);
  EXPECT_EQ(plain.status, AuthStatus::ok);
  EXPECT_FALSE(plain.identity.has_email);
  EXPECT_EQ(mint_hs256_token("", "u", "", 1700000000, 60), "");
  EXPECT_EQ(mint_hs256_token(kSecret, "", "", 1700000000, 60), "");
  EXPECT_EQ(mint_hs256_token(kSecret, "u", "", 1700000000, 0), "");
}
