// TokenCache on its own: keyed by SHA-256 of the token, bounded, oldest out first.
#include <gtest/gtest.h>

#include <string>

#include "auth/token_cache.h"

namespace {

JwtClaims claims_for(const std::string& sub) {
  JwtClaims c;
  c.sub = sub;
  c.exp = 2000000000;
  return c;
}

}  // namespace

TEST(JwtTokenCache, DigestIsTheSha256OfTheWholeToken) {
  TokenCache cache;
  const TokenCache::Digest d = cache.digest("abc");
  // FIPS 180-2 example: SHA-256("abc") = ba7816bf...
  EXPECT_EQ(d[0], 0xba);
  EXPECT_EQ(d[1], 0x78);
  EXPECT_EQ(d[31], 0xad);
  EXPECT_NE(cache.digest("abc."), d);
}

TEST(JwtTokenCache, FindInsertErase) {
  TokenCache cache;
  const auto key = cache.digest("token-1");
  EXPECT_EQ(cache.find(key), nullptr);
  cache.insert(key, claims_for("u1"));
  ASSERT_NE(cache.find(key), nullptr);
  EXPECT_EQ(cache.find(key)->sub, "u1");
  cache.insert(key, claims_for("u2"));  // replaces, does not duplicate
  EXPECT_EQ(cache.find(key)->sub, "u2");
  EXPECT_EQ(cache.size(), 1u);
  cache.erase(key);
  EXPECT_EQ(cache.find(key), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(JwtTokenCache, BoundedWithOldestOutFirst) {
  TokenCache cache(3);
  for (int i = 0; i < 10; ++i) {
    cache.insert(cache.digest("t" + std::to_string(i)), claims_for(std::to_string(i)));
    EXPECT_LE(cache.size(), 3u);
  }
  EXPECT_EQ(cache.size(), 3u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(cache.find(cache.digest("t" + std::to_string(i))), nullptr);
  for (int i = 7; i < 10; ++i) {
    const JwtClaims* c = cache.find(cache.digest("t" + std::to_string(i)));
    ASSERT_NE(c, nullptr) << i;
    EXPECT_EQ(c->sub, std::to_string(i));
  }
}
