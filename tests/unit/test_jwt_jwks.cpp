// JWK parsing (which keys are kept, and why others are not), the key-type/alg table,
// and the JwksSource reload policy with a loader the test controls.
#include <gtest/gtest.h>

#include <string>

#include "auth/jwks_source.h"
#include "jwt_test_util.h"

using namespace jwt_test;

TEST(JwtJwks, KeyTypeFixesTheAlgorithms) {
  struct Row {
    KeyType type;
    std::vector<JwsAlg> allowed;
  };
  const Row rows[] = {
      {KeyType::rsa,
       {JwsAlg::rs256, JwsAlg::rs384, JwsAlg::rs512, JwsAlg::ps256, JwsAlg::ps384, JwsAlg::ps512}},
      {KeyType::ec_p256, {JwsAlg::es256}},
      {KeyType::ec_p384, {JwsAlg::es384}},
      {KeyType::ec_p521, {JwsAlg::es512}},
      {KeyType::ed25519, {JwsAlg::eddsa}},
      {KeyType::ed448, {JwsAlg::eddsa}},
  };
  for (const Row& row : rows) {
    for (int a = 0; a <= static_cast<int>(JwsAlg::eddsa); ++a) {
      const auto alg = static_cast<JwsAlg>(a);
      const bool expected =
          std::find(row.allowed.begin(), row.allowed.end(), alg) != row.allowed.end();
      EXPECT_EQ(key_allows(row.type, alg), expected)
          << key_type_name(row.type) << " " << jws_alg_name(alg);
      EXPECT_EQ(parse_jws_alg(jws_alg_name(alg)), alg);  // names round-trip
    }
  }
  EXPECT_FALSE(parse_jws_alg("none"));
  EXPECT_FALSE(parse_jws_alg("eddsa"));
}

TEST(JwtJwks, KeepsUsableKeysAndSaysWhyOthersAreLeftOut) {
  const KeySet keys = load_keys("jwks.json");
  std::vector<std::string> kids;
  for (const Jwk& k : keys.keys) kids.push_back(k.kid);
  EXPECT_EQ(kids, (std::vector<std::string>{"rsa-1", "rsa-rs256-only", "ec256-1", "ec384-1",
                                            "ec521-1", "ed25519-1", "ed448-1"}));
  ASSERT_EQ(keys.skipped.size(), 2u);
  EXPECT_EQ(keys.skipped[0], "key 2: use is not sig");
  EXPECT_EQ(keys.skipped[1], "key 8: unsupported kty/crv oct/");
  EXPECT_FALSE(keys.keys[0].alg);  // no alg: the key type decides
  EXPECT_EQ(keys.keys[1].alg, JwsAlg::rs256);
  EXPECT_TRUE(keys.keys[0].accepts(JwsAlg::ps512));
  EXPECT_FALSE(keys.keys[1].accepts(JwsAlg::ps256));  // its own alg only
  EXPECT_FALSE(keys.keys[0].accepts(JwsAlg::hs256));  // never HMAC with a public key
  EXPECT_EQ(keys.keys[6].type, KeyType::ed448);
}

TEST(JwtJwks, RejectsBrokenKeysOneByOne) {
  const std::string ec =
      R"("kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU")";
  const std::pair<std::string, std::string> cases[] = {
      {"{" + ec + R"(,"y":"x_FEzRu9m36HLN_tue658LNpXW6pCyStikYjKIWI5a0"})",
       "key 0: EC key: point not on the curve"},
      {"{" + ec + R"(,"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a"})",
       "key 0: EC key: x/y missing or of the wrong length"},
      {"{" + ec + R"(,"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","alg":"ES384"})",
       "key 0: alg does not fit a EC P-256 key"},
      {"{" + ec + R"(,"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","alg":"HS256"})",
       "key 0: alg does not fit a EC P-256 key"},
      {R"({"kty":"RSA","n":"AQAB","e":"AQAB"})", "key 0: RSA key under 2048 bits"},
      {R"({"kty":"RSA","e":"AQAB"})", "key 0: RSA key without valid n/e"},
      {R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR"})",
       "key 0: OKP key: x missing or of the wrong length"},
      {R"({"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})",
       "key 0: unsupported kty/crv OKP/X25519"},
      {R"({"crv":"Ed25519"})", "key 0: no kty"},
      {R"("just a string")", "key 0: not an object"},
  };
  for (const auto& [jwk, why] : cases) {
    KeySet keys;
    std::string error;
    EXPECT_FALSE(parse_jwks(R"({"keys":[)" + jwk + "]}", keys, error)) << jwk;
    EXPECT_EQ(error, "JWKS has no usable key");
    ASSERT_EQ(keys.skipped.size(), 1u) << jwk;
    EXPECT_EQ(keys.skipped[0], why);
  }
  KeySet keys;
  std::string error;
  EXPECT_FALSE(parse_jwks("{\"keys\":", keys, error));
  EXPECT_EQ(error, "JWKS is not valid JSON");
  EXPECT_FALSE(parse_jwks(R"({"keys":{}})", keys, error));
  EXPECT_EQ(error, "JWKS has no \"keys\" array");
}

namespace {

// A loader whose answer the test sets, counting its calls.
struct FakeLoader {
  std::string body = jwt_test::read_data("jwks.json");
  bool up = true;
  int calls = 0;
  JwksLoader loader() {
    return [this] {
      ++calls;
      JwksFetch f;
      f.ok = up;
      if (up) f.body = body;
      if (!up) f.error = "down";
      return f;
    };
  }
};

}  // namespace

TEST(JwtJwksSource, LoadsAtStartAndAfterTheTtl) {
  FakeLoader fake;
  JwksSource source(fake.loader(), 3600, 1000);
  EXPECT_EQ(fake.calls, 1);
  ASSERT_NE(source.keys(1000), nullptr);
  EXPECT_NE(source.keys(4599), nullptr);
  EXPECT_EQ(fake.calls, 1);
  EXPECT_NE(source.keys(4600), nullptr);  // TTL reached
  EXPECT_EQ(fake.calls, 2);
  EXPECT_EQ(source.loads(), 2);
}

TEST(JwtJwksSource, FailedReloadKeepsTheKeys) {
  FakeLoader fake;
  JwksSource source(fake.loader(), 60, 1000);
  fake.up = false;
  const KeySet* keys = source.keys(1060);
  ASSERT_NE(keys, nullptr);
  EXPECT_EQ(keys->keys.size(), 7u);
  EXPECT_EQ(fake.calls, 2);
  EXPECT_EQ(source.last_error(), "down");
  EXPECT_NE(source.keys(1070), nullptr);  // no retry within 30 s of the failed attempt
  EXPECT_EQ(fake.calls, 2);
  fake.body = "not json";  // up again but garbage: still the old keys
  fake.up = true;
  EXPECT_EQ(source.keys(1090)->keys.size(), 7u);
  EXPECT_EQ(fake.calls, 3);
  EXPECT_EQ(source.last_error(), "JWKS is not valid JSON");
}

TEST(JwtJwksSource, UnknownKidReloadsAtMostOncePer30Seconds) {
  FakeLoader fake;
  JwksSource source(fake.loader(), 3600, 1000);
  // The first unknown kid reloads at once: a rotated key is picked up by its first token.
  EXPECT_TRUE(source.refresh_for_unknown_kid(1010));
  EXPECT_EQ(fake.calls, 2);
  EXPECT_FALSE(source.refresh_for_unknown_kid(1011));
  EXPECT_FALSE(source.refresh_for_unknown_kid(1039));
  EXPECT_EQ(fake.calls, 2);
  EXPECT_TRUE(source.refresh_for_unknown_kid(1040));
  EXPECT_EQ(fake.calls, 3);
  fake.up = false;  // a failed reload counts too
  EXPECT_FALSE(source.refresh_for_unknown_kid(1070));
  EXPECT_FALSE(source.refresh_for_unknown_kid(1099));
  EXPECT_EQ(fake.calls, 4);
}

TEST(JwtJwksSource, ColdStartWithoutKeysRetriesEvery5Seconds) {
  FakeLoader fake;
  fake.up = false;
  JwksSource source(fake.loader(), 3600, 1000);
  EXPECT_FALSE(source.ever_loaded());
  EXPECT_EQ(source.keys(1004), nullptr);
  EXPECT_EQ(fake.calls, 1);
  EXPECT_EQ(source.keys(1005), nullptr);
  EXPECT_EQ(fake.calls, 2);
  fake.up = true;
  EXPECT_EQ(source.keys(1006), nullptr);
  EXPECT_NE(source.keys(1010), nullptr);
  EXPECT_TRUE(source.ever_loaded());
  EXPECT_EQ(fake.calls, 3);
}

TEST(JwtJwksSource, FileLoader) {
  JwksFetch f = make_jwks_file_loader(data_path("jwks_nokid.json"))();
  EXPECT_TRUE(f.ok);
  EXPECT_NE(f.body.find("\"keys\""), std::string::npos);
  f = make_jwks_file_loader(data_path("no-such-file.json"))();
  EXPECT_FALSE(f.ok);
  EXPECT_NE(f.error.find("cannot read"), std::string::npos);
}
