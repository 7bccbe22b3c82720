#include <gtest/gtest.h>

#include <string>

#include "util/base64url.h"

namespace {

std::string decoded(std::string_view text) {
  std::string out;
  EXPECT_TRUE(base64url_decode(text, out)) << text;
  return out;
}

bool decodes(std::string_view text) {
  std::string out;
  return base64url_decode(text, out);
}

}  // namespace

// RFC 4648 §10 vectors, unpadded.
TEST(JwtBase64url, Rfc4648Vectors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    EXPECT_EQ(decoded(encoded), plain);
  }
}

TEST(JwtBase64url, UsesTheUrlSafeAlphabet) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(decoded("-_-_"), bytes);
}

TEST(JwtBase64url, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); len += 37) {
    EXPECT_EQ(decoded(base64url_encode(all.substr(0, len))), all.substr(0, len));
  }
}

TEST(JwtBase64url, RejectsPaddingAndForeignCharacters) {
  EXPECT_FALSE(decodes("Zg=="));
  EXPECT_FALSE(decodes("Zm8="));
  EXPECT_FALSE(decodes("Zm9v+g"));  // standard-alphabet '+'
  EXPECT_FALSE(decodes("Zm9v/g"));
  EXPECT_FALSE(decodes("Zm9v Yg"));
  EXPECT_FALSE(decodes("Zm9v\nYg"));
  EXPECT_FALSE(decodes(std::string_view("Zm\0v", 4)));
  EXPECT_FALSE(decodes("Zm9v."));
}

TEST(JwtBase64url, RejectsImpossibleLengthAndNonZeroTrailingBits) {
  EXPECT_FALSE(decodes("Z"));  // 1 mod 4 carries no whole byte
  EXPECT_FALSE(decodes("Zm9vY"));
  EXPECT_TRUE(decodes("Zg"));
  EXPECT_FALSE(decodes("Zh"));  // same byte as "Zg" with a stray low bit
  EXPECT_TRUE(decodes("Zm8"));
  EXPECT_FALSE(decodes("Zm9"));  // "fo" with stray bits
}
