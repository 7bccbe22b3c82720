// Issue 10: keys only over https (or to loopback), and sanity checks on every JWK.
#include <gtest/gtest.h>

#include <string>

#include "jwt_test_util.h"
#include "util/base64url.h"
#include "util/url_policy.h"

using namespace jwt_test;

TEST(UrlPolicy, LoopbackHosts) {
  for (const char* host : {"localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.1.2.3",
                           "127.255.255.254", "::1", "[::1]", "[0:0:0:0:0:0:0:1]"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host :
       {"", "example.com", "localhost.example.com", "128.0.0.1", "10.0.0.1", "[::2]", "::", "127.1",
        "2130706433", "0.0.0.0", "[::ffff:8.8.8.8]", "127.0.0.1.nip.io"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(UrlPolicy, HostOfAUrl) {
  EXPECT_EQ(url_host("https://auth.example.com/api/auth/jwks"), "auth.example.com");
  EXPECT_EQ(url_host("http://127.0.0.1:8080/jwks"), "127.0.0.1");
  EXPECT_EQ(url_host("http://[::1]:3000"), "[::1]");
  EXPECT_EQ(url_host("http://user:pw@localhost:3000/x"), "localhost");
  EXPECT_EQ(url_host("http://evil.example@127.0.0.1/"), "127.0.0.1");
  EXPECT_EQ(url_host("http://127.0.0.1@evil.example/"), "evil.example");
  EXPECT_EQ(url_host("http://h?x=@127.0.0.1"), "h");
  EXPECT_EQ(url_host("no-scheme"), "");
}

TEST(UrlPolicy, HttpsAnywhereHttpOnlyToLoopback) {
  for (const char* ok : {"https://auth.example.com/api/auth/jwks", "HTTPS://auth.example.com",
                         "http://localhost:3000", "http://127.0.0.1:8080/api/auth/jwks",
                         "http://[::1]:3000/jwks", "https://10.0.0.1/"}) {
    EXPECT_EQ(insecure_url_problem(ok), "") << ok;
  }
  for (const char* bad : {"http://auth.example.com/api/auth/jwks", "http://10.0.0.1/jwks",
                          "http://127.0.0.1@evil.example/", "http://[::2]/", "ftp://localhost/",
                          "file:///etc/jwks.json", "https://", "auth.example.com"}) {
    EXPECT_NE(insecure_url_problem(bad), "") << bad;
  }
  // The message names the host, never the path or credentials.
  const std::string why = insecure_url_problem("http://user:secret@auth.example.com/jwks?k=v");
  EXPECT_NE(why.find("auth.example.com"), std::string::npos) << why;
  EXPECT_EQ(why.find("secret"), std::string::npos) << why;
  EXPECT_NE(why.find("https"), std::string::npos) << why;
}

namespace {

// The modulus of a real 2048-bit key of the vectors, with `e` replaced.
std::string rsa_jwk(const std::string& e,
                    const std::string& n = member(read_json("jwks.json")->child->child, "n")) {
  return R"({"keys":[{"kty":"RSA","kid":"k","e":")" + e + R"(","n":")" + n + R"("}]})";
}

std::string skipped_reason(const std::string& jwks) {
  KeySet keys;
  std::string error;
  EXPECT_FALSE(parse_jwks(jwks, keys, error));
  EXPECT_EQ(error, "JWKS has no usable key");
  return keys.skipped.size() == 1 ? keys.skipped[0]
                                  : "(" + std::to_string(keys.skipped.size()) + " skipped)";
}

}  // namespace

TEST(JwkChecks, RsaWithTheRealModulusAndE65537Loads) {
  KeySet keys;
  std::string error;
  EXPECT_TRUE(parse_jwks(rsa_jwk("AQAB"), keys, error)) << error;
  EXPECT_EQ(keys.keys.size(), 1u);
  EXPECT_TRUE(parse_jwks(rsa_jwk("Aw"), keys, error)) << error;  // e = 3 is allowed
}

TEST(JwkChecks, RsaExponentOneOrEvenIsSkipped) {
  const char* why = "key 0: RSA public exponent must be odd and at least 3";
  EXPECT_EQ(skipped_reason(rsa_jwk("AQ")), why);    // e = 1: every signature "verifies"
  EXPECT_EQ(skipped_reason(rsa_jwk("AAAB")), why);  // e = 1 with a leading zero byte
  EXPECT_EQ(skipped_reason(rsa_jwk("Ag")), why);    // e = 2
  EXPECT_EQ(skipped_reason(rsa_jwk("AQAA")), why);  // e = 65536
}

TEST(JwkChecks, ShortRsaModulusIsSkipped) {
  std::string n;
  ASSERT_TRUE(base64url_decode(member(read_json("jwks.json")->child->child, "n"), n));
  const std::string short_n = base64url_encode(n.substr(0, 128));  // 1024 bits
  EXPECT_EQ(skipped_reason(rsa_jwk("AQAB", short_n)), "key 0: RSA key under 2048 bits");
}

TEST(JwkChecks, EvenRsaModulusFailsThePublicCheck) {
  std::string n;
  ASSERT_TRUE(base64url_decode(member(read_json("jwks.json")->child->child, "n"), n));
  n.back() = static_cast<char>(n.back() & ~1);
  EXPECT_EQ(skipped_reason(rsa_jwk("AQAB", base64url_encode(n))),
            "key 0: RSA key fails OpenSSL's public key check");
}

TEST(JwkChecks, ABadKeyIsSkippedAndTheOthersLoad) {
  const std::string n = member(read_json("jwks.json")->child->child, "n");
  const std::string doc = R"({"keys":[{"kty":"RSA","kid":"bad","e":"AQ","n":")" + n +
                          R"("},{"kty":"RSA","kid":"good","e":"AQAB","n":")" + n + R"("}]})";
  KeySet keys;
  std::string error;
  ASSERT_TRUE(parse_jwks(doc, keys, error)) << error;
  ASSERT_EQ(keys.keys.size(), 1u);
  EXPECT_EQ(keys.keys[0].kid, "good");
  ASSERT_EQ(keys.skipped.size(), 1u);
  EXPECT_EQ(keys.skipped[0], "key 0: RSA public exponent must be odd and at least 3");
}
