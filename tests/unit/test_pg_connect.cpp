// The connection parameters under DATABASE_URL: keepalives and tcp_user_timeout are
// on by default, and whatever the URL sets explicitly wins. The host is a unix
// socket directory that does not exist, so nothing is contacted.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "store/pg_async.h"
#include "store/pg_handles.h"

namespace {

std::map<std::string, std::string> effective_options(const std::string& url) {
  PgConnPtr conn = pg_connect_start(url);
  std::map<std::string, std::string> out;
  if (!conn) return out;
  PQconninfoOption* options = PQconninfo(conn.get());
  for (PQconninfoOption* o = options; o && o->keyword; ++o) {
    if (o->val) out[o->keyword] = o->val;
  }
  PQconninfoFree(options);
  return out;
}

constexpr const char* kNowhere = "host=/nonexistent/todo-api-test dbname=todo user=todo_app";

}  // namespace

TEST(PgConnect, KeepalivesAndUserTimeoutByDefault) {
  auto o = effective_options(kNowhere);
  EXPECT_EQ(o["keepalives"], "1");
  EXPECT_EQ(o["keepalives_idle"], "10");
  EXPECT_EQ(o["keepalives_interval"], "5");
  EXPECT_EQ(o["keepalives_count"], "3");
  EXPECT_EQ(o["tcp_user_timeout"], "10000");
  EXPECT_EQ(o["application_name"], "todo-api");
  EXPECT_EQ(o["dbname"], "todo");  // the URL is expanded, not taken as a name
}

TEST(PgConnect, DatabaseUrlOverridesEveryDefault) {
  auto o = effective_options(std::string(kNowhere) +
                             " keepalives_idle=7 keepalives_count=9 tcp_user_timeout=0"
                             " application_name=mine connect_timeout=5");
  EXPECT_EQ(o["keepalives_idle"], "7");
  EXPECT_EQ(o["keepalives_count"], "9");
  EXPECT_EQ(o["tcp_user_timeout"], "0");
  EXPECT_EQ(o["application_name"], "mine");
  EXPECT_EQ(o["connect_timeout"], "5");
  EXPECT_EQ(o["keepalives_interval"], "5");  // not in the URL: ours
}

TEST(PgConnect, UriFormOverridesToo) {
  auto o = effective_options(
      "postgresql:///todo?host=/nonexistent/todo-api-test&keepalives=0&sslmode=verify-full");
  EXPECT_EQ(o["keepalives"], "0");
  EXPECT_EQ(o["sslmode"], "verify-full");
  EXPECT_EQ(o["keepalives_idle"], "10");
}

TEST(PgConnect, ConnectFailsWithinTheDeadline) {
  std::string error;
  std::int64_t t0 = monotonic_ms();
  PgConnPtr conn = pg_connect(kNowhere, t0 + 500, error);
  EXPECT_FALSE(conn);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_LT(monotonic_ms() - t0, 600);
}
