#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

#include "test_util.h"
#include "util/utf8.h"

using namespace std::string_literals;

namespace {}  // namespace

TEST(Utf8, ValidAndInvalidSequences) {
  struct Case {
    std::string bytes;
    bool valid;
    const char* what;
  };
  const Case cases[] = {
      {"", true, "empty"},
      {"plain ascii", true, "ascii"},
      {"\xC3\xA9", true, "U+00E9 two bytes"},
      {"\xE2\x82\xAC", true, "U+20AC three bytes"},
      {"\xF0\x9F\x98\x80", true, "U+1F600 four bytes"},
      {"\xF4\x8F\xBF\xBF", true, "U+10FFFF, the last scalar"},
      {"\xED\x9F\xBF", true, "U+D7FF just below the surrogates"},
      {"\xEE\x80\x80", true, "U+E000 just above the surrogates"},
      {"\xEF\xBF\xBF", true, "U+FFFF noncharacter is still valid"},
      {"\0"s, true, "U+0000 is valid UTF-8 (rejected elsewhere)"},
      {"\xC0\xAF", false, "overlong '/' (C0)"},
      {"\xC1\xBF", false, "overlong (C1)"},
      {"\xE0\x80\xAF", false, "overlong three-byte"},
      {"\xE0\x9F\xBF", false, "overlong U+07FF"},
      {"\xF0\x80\x80\xAF", false, "overlong four-byte"},
      {"\xF0\x8F\xBF\xBF", false, "overlong U+FFFF"},
      {"\xED\xA0\x80", false, "surrogate U+D800"},
      {"\xED\xBF\xBF", false, "surrogate U+DFFF"},
      {"\xED\xA0\xBD\xED\xB8\x80", false, "CESU-8 surrogate pair"},
      {"\xF4\x90\x80\x80", false, "U+110000"},
      {"\xF5\x80\x80\x80", false, "lead F5"},
      {"\xFF", false, "0xFF"},
      {"\xFE", false, "0xFE"},
      {"\x80", false, "lone continuation"},
      {"a\xBF", false, "continuation after ascii"},
      {"\xC3", false, "truncated two-byte"},
      {"\xE2\x82", false, "truncated three-byte"},
      {"\xF0\x9F\x98", false, "truncated four-byte"},
      {"\xC3\x28", false, "bad continuation"},
      {"\xE2\x28\xA1", false, "bad second byte of three"},
      {"\xE2\x82\x28", false, "bad third byte of three"},
      {"\xF0\x9F\x98\x28", false, "bad fourth byte"},
      {"ok \xC3\xA9 then \xFF", false, "invalid after valid text"},
  };
  for (const Case& c : cases) EXPECT_EQ(utf8_valid(c.bytes), c.valid) << c.what;
}

TEST(Utf8, NextDecodesAndStopsOnError) {
  std::string s = "a\xC3\xA9\xF0\x9F\x98\x80\xFF";
  std::size_t pos = 0;
  char32_t cp = 0;
  ASSERT_TRUE(utf8_next(s, pos, cp));
  EXPECT_EQ(cp, U'a');
  ASSERT_TRUE(utf8_next(s, pos, cp));
  EXPECT_EQ(cp, U'\u00E9');
  ASSERT_TRUE(utf8_next(s, pos, cp));
  EXPECT_EQ(cp, U'\U0001F600');
  EXPECT_EQ(pos, 7u);
  EXPECT_FALSE(utf8_next(s, pos, cp));
  EXPECT_EQ(pos, 7u);
  pos = s.size();
  EXPECT_FALSE(utf8_next(s, pos, cp));
}

TEST(Utf8, AppendRoundTripsEveryScalarBoundary) {
  const char32_t cps[] = {0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF};
  for (char32_t cp : cps) {
    std::string s;
    utf8_append(s, cp);
    std::size_t pos = 0;
    char32_t back = 0xFFFFFFFF;
    ASSERT_TRUE(utf8_next(s, pos, back)) << std::hex << static_cast<unsigned>(cp);
    EXPECT_EQ(back, cp);
    EXPECT_EQ(pos, s.size());
  }
}

TEST(Utf8, LengthCountsCodePoints) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length(repeat("\xC3\xA9", 200)), 200u);
  EXPECT_EQ(utf8_length(repeat("\xF0\x9F\x98\x80", 201)), 201u);
  EXPECT_EQ(utf8_length("a\xE2\x82\xAC"
                        "b"),
            3u);
}

TEST(Utf8, WhiteSpaceIsTheFullPropertyList) {
  const char32_t white[] = {0x09,   0x0A,   0x0B,   0x0C,   0x0D,   0x20,   0x85,   0xA0,  0x1680,
                            0x2000, 0x2005, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
  for (char32_t cp : white)
    EXPECT_TRUE(unicode_is_white_space(cp)) << std::hex << static_cast<unsigned>(cp);
  const char32_t not_white[] = {0x00,   0x08,   0x0E,   0x1F,   0x21,   0x84,  0x180E,
                                0x200B, 0x200C, 0x2060, 0xFEFF, 0x1FFF, 0x3001};
  for (char32_t cp : not_white)
    EXPECT_FALSE(unicode_is_white_space(cp)) << std::hex << static_cast<unsigned>(cp);
}

TEST(Utf8, ControlIsCategoryCc) {
  for (char32_t cp = 0; cp < 0x20; ++cp) EXPECT_TRUE(unicode_is_control(cp));
  for (char32_t cp = 0x7F; cp <= 0x9F; ++cp) EXPECT_TRUE(unicode_is_control(cp));
  const char32_t not_control[] = {0x20, 0x7E, 0xA0, 0xAD, 0x200B, 0x2028, 0xFEFF};
  for (char32_t cp : not_control)
    EXPECT_FALSE(unicode_is_control(cp)) << std::hex << static_cast<unsigned>(cp);
}

TEST(Utf8, Trim) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"", ""},
      {"   ", ""},
      {"x", "x"},
      {" \t\n\r\v\fx y\t ", "x y"},
      {"\xE3\x80\x80"
       "Buy milk\xE3\x80\x80",
       "Buy milk"},                                                // U+3000
      {"\xC2\xA0\xC2\xA0milk\xC2\xA0", "milk"},                    // U+00A0
      {"\xE2\x80\xAF\xE2\x81\x9F\xE1\x9A\x80z\xC2\x85", "z"},      // U+202F U+205F U+1680 U+0085
      {"\xE2\x80\x8Bz\xE2\x80\x8B", "\xE2\x80\x8Bz\xE2\x80\x8B"},  // U+200B is not White_Space
      {"a \xE3\x80\x80 b", "a \xE3\x80\x80 b"},                    // inner space kept
  };
  for (const Case& c : cases) EXPECT_EQ(utf8_trim(c.in), c.out) << c.in;
}

TEST(Utf8, HasControl) {
  EXPECT_FALSE(utf8_has_control("plain"));
  EXPECT_TRUE(utf8_has_control("a\tb"));
  EXPECT_FALSE(utf8_has_control("a\tb\nc\rd", "\n\r\t"));
  EXPECT_TRUE(
      utf8_has_control("a\x0B"
                       "b",
                       "\n\r\t"));
  EXPECT_TRUE(utf8_has_control("\x7F"));
  EXPECT_TRUE(utf8_has_control("\xC2\x80"));   // U+0080
  EXPECT_TRUE(utf8_has_control("\xC2\x9F"));   // U+009F
  EXPECT_FALSE(utf8_has_control("\xC2\xA0"));  // U+00A0
  EXPECT_TRUE(utf8_has_control("\0"s));
  EXPECT_TRUE(utf8_has_control("\0"s, "\n\r\t"));
}

TEST(Utf8, LowerCoversLatinGreekCyrillic) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"HOME Errands", "home errands"},
      {"\xC3\x89T\xC3\x89", "\xC3\xA9t\xC3\xA9"},  // ÉTÉ -> été
      {"\xC3\x97\xC3\x9F", "\xC3\x97\xC3\x9F"},    // × and ß unchanged
      {"\xC5\x81\xC3\x93"
       "D\xC5\xB9",
       "\xC5\x82\xC3\xB3"
       "d\xC5\xBA"},             // ŁÓDŹ -> łódź
      {"\xC5\xB8", "\xC3\xBF"},  // Ÿ -> ÿ
      {"\xC4\xB0", "i"},         // İ -> i
      {"\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x8F\xCE\x86", "\xCF\x83\xCE\xBF\xCF\x86\xCF\x8E\xCE\xAC"},
      {"\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90\xD0\x81",  // МОСКВАЁ
       "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0\xD1\x91"},
      {"\xD2\x90\xD3\x80", "\xD2\x91\xD3\x8F"},  // Ґ Ӏ
      {"\xE2\x84\xAA", "\xE2\x84\xAA"},          // KELVIN SIGN: outside the covered blocks
  };
  for (const Case& c : cases) EXPECT_EQ(utf8_lower(c.in), c.out) << c.in;
}

// Every mapping in the covered blocks, against tests/data/lowercase.txt (generated
// from the Unicode database); code points not listed there must map to themselves.
TEST(Utf8, LowerMatchesUnicodeData) {
  std::ifstream in(std::string(TEST_DATA_DIR) + "/lowercase.txt");
  ASSERT_TRUE(in) << "missing tests/data/lowercase.txt";
  std::map<char32_t, char32_t> expected;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    unsigned upper = 0, lower = 0;
    fields >> std::hex >> upper >> lower;
    expected[upper] = lower;
  }
  ASSERT_GT(expected.size(), 300u);
  for (char32_t cp = 0; cp < 0x530; ++cp) {
    if (cp >= 0x180 && cp < 0x370) continue;  // Latin Extended-B and IPA: not covered
    std::string s;
    utf8_append(s, cp);
    std::string want;
    auto it = expected.find(cp);
    utf8_append(want, it == expected.end() ? cp : it->second);
    EXPECT_EQ(utf8_lower(s), want) << "U+" << std::hex << static_cast<unsigned>(cp);
  }
}
