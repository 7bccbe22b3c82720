// Logs carry no user data and cannot be forged: the escaping of both LOG_FORMATs,
// whole log lines as written to stderr, the JWT reasons that quote token text, and
// what of a PostgreSQL error may be logged.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "auth/jws_crypto.h"
#include "auth/jwt.h"
#include "core/config.h"
#include "ops/log.h"
#include "store/db_error.h"
#include "util/log_escape.h"

namespace {

std::string json(std::string_view text) {
  std::string out;
  append_log_json(out, text);
  return out;
}

std::string logfmt(std::string_view text) {
  std::string out;
  append_logfmt_value(out, text);
  return out;
}

bool has_raw_control(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Runs log_line() with stderr redirected to a temporary file; returns what it wrote.
std::string capture_log_line(const char* format, std::string_view message,
                             std::initializer_list<LogField> fields) {
  Config config;
  config.log_format = format;
  log_init(config, "test");
  std::FILE* tmp = std::tmpfile();
  int saved = dup(STDERR_FILENO);
  dup2(fileno(tmp), STDERR_FILENO);
  log_line(LogLevel::error, message, fields);
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string out;
  std::rewind(tmp);
  for (int c; (c = std::fgetc(tmp)) != EOF;) out.push_back(static_cast<char>(c));
  std::fclose(tmp);
  return out;
}

}  // namespace

TEST(LogEscape, JsonEscapesControlsQuotesAndMalformedBytes) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"plain", R"("plain")"},
      {"a\"b\\c", R"("a\"b\\c")"},
      {"l1\nl2\r\t", R"("l1\nl2\r\t")"},
      {std::string("nul\0x", 5), R"("nul\u0000x")"},
      {"esc\x1b[31m", R"("esc\u001b[31m")"},
      {"del\x7f", R"("del\u007f")"},
      {"c1 csi \xc2\x9b", R"("c1 csi \u009b")"},
      {"ls \xe2\x80\xa8 ps \xe2\x80\xa9", R"("ls \u2028 ps \u2029")"},
      {"bidi \xe2\x80\xae", R"("bidi \u202e")"},
      {"bad \xff\xc3", R"("bad \ufffd\ufffd")"},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},  // printable UTF-8 stays readable
  };
  for (const auto& c : cases) EXPECT_EQ(json(c.in), c.out) << c.in;
}

TEST(LogEscape, LogfmtValueIsBareOnlyWhenHarmless) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"08006", "08006"},
      {"a3f0c9", "a3f0c9"},
      {"", R"("")"},
      {"two words", R"("two words")"},
      {"k=v", R"("k=v")"},
      {"say \"hi\"", R"("say \"hi\"")"},
      {"back\\slash", R"("back\\slash")"},
      {"x\nlevel=error forged", R"("x\nlevel=error forged")"},
      {"x\r\t", R"("x\r\t")"},
      {"esc\x1b", R"("esc\u{1b}")"},
      {"c1\xc2\x85", R"("c1\u{85}")"},
      {"ls\xe2\x80\xa8", R"("ls\u{2028}")"},
      {"bad\xff", R"("bad\xff")"},
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
  };
  for (const auto& c : cases) EXPECT_EQ(logfmt(c.in), c.out) << c.in;
}

TEST(LogEscape, FreeTextEscapesControlsButKeepsQuotes) {
  std::string out;
  append_log_text(out, "a \"b\"\n\\");
  EXPECT_EQ(out, R"(a "b"\n\\)");
}

// A value a client chose ends neither its field nor its line, in either format.
TEST(LogLine, TextFormatCannotBeForged) {
  std::string line =
      capture_log_line("text", "token rejected",
                       {{"request_id", "r1"}, {"reason", "x\" level=info forged=\"1\nfake line"}});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;  // one line, ends with \n
  EXPECT_NE(line.find(R"( request_id=r1 reason="x\" level=info forged=\"1\nfake line")"),
            std::string::npos)
      << line;
  EXPECT_FALSE(has_raw_control(line.substr(0, line.size() - 1))) << line;
}

TEST(LogLine, JsonFormatCannotBeForged) {
  std::string line =
      capture_log_line("json", "token rejected", {{"reason", "a\",\"level\":\"info\n\x1b[2J"}});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_NE(line.find(R"("reason":"a\",\"level\":\"info\n\u001b[2J")"), std::string::npos) << line;
  EXPECT_FALSE(has_raw_control(line.substr(0, line.size() - 1))) << line;
}

// The reason of a rejected token is logged: a duplicate header member's name is
// the client's text and must arrive there sanitized (quoted, printable, bounded).
TEST(LogSafety, DuplicateJwtHeaderMemberNameIsSanitizedInTheReason) {
  HmacKey key{"0123456789abcdef0123456789abcdef"};
  std::string evil = "x\\n\\u001b[31m\\\" level=error " + std::string(200, 'A');
  std::string header = R"({"alg":"HS256",")" + evil + R"(":1,")" + evil + R"(":2})";
  std::string token = sign_hmac_jwt(key, JwsAlg::hs256, header, R"({"sub":"u"})");
  JwtResult r = verify_jwt(token, {&key, nullptr}, 1700000000, {});
  ASSERT_EQ(r.error, JwtError::malformed) << r.reason;
  EXPECT_NE(r.reason.find("repeats member"), std::string::npos) << r.reason;
  EXPECT_FALSE(has_raw_control(r.reason)) << r.reason;
  EXPECT_EQ(r.reason.find('\\'), std::string::npos) << r.reason;
  EXPECT_LT(r.reason.size(), 120u) << r.reason;
  EXPECT_EQ(r.reason.find("\" level"), std::string::npos) << r.reason;
}

// docs/DATABASE.md "Errors in the log": SQLSTATE and primary message only; class
// 22 and P0001 messages may quote the input, so only names are kept for those.
TEST(DbErrorLog, PrimaryMessageOnlyAndNoInputForDataExceptions) {
  struct Case {
    PgErrorFields fields;
    std::string expected;
  } cases[] = {
      {{"23514", R"(new row for relation "tasks" violates check constraint "tasks_title_check")",
        "tasks_title_check", "", ""},
       R"(new row for relation "tasks" violates check constraint "tasks_title_check")"},
      {{"22P02", R"(invalid input syntax for type uuid: "secret-input")", "", "", ""},
       "data exception (message not logged: it may quote the input)"},
      {{"22001", "value too long for type character varying(10)", "", "title", ""},
       R"(data exception (message not logged: it may quote the input; column "title"))"},
      {{"23514", R"(value for domain d violates check constraint "d_check")", "d_check", "", "d"},
       R"(value for domain d violates check constraint "d_check")"},
      {{"22023", R"(bad "secret")", "c1", "col", "int4"},
       R"(data exception (message not logged: it may quote the input; constraint "c1", column "col", type "int4"))"},
      {{"P0001", "user secret-input is bad", "", "", ""},
       "raised by a function (message not logged: it may quote the input)"},
      {{"57014", "canceling statement due to statement timeout", "", "", ""},
       "canceling statement due to statement timeout"},
  };
  for (const auto& c : cases) {
    std::string got = loggable_pg_error(c.fields);
    EXPECT_EQ(got, c.expected);
    EXPECT_EQ(got.find("secret"), std::string::npos) << got;
  }
}

TEST(DbErrorLog, FirstLineOfAConnectionMessage) {
  EXPECT_EQ(first_line("server closed the connection unexpectedly\n\tThis probably means\n"),
            "server closed the connection unexpectedly");
  EXPECT_EQ(first_line(""), "(no message)");
  EXPECT_EQ(first_line(nullptr), "(no message)");
}
