// The libcurl JWKS loader against a one-shot HTTP server on 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "auth/jwks_source.h"
#include "jwt_test_util.h"

namespace {

// Answers exactly one request with `response`, on an ephemeral port.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    thread_.join();
    close(fd_);
  }
  std::string url(const std::string& path = "/api/auth/jwks") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  void serve() {
    const int client = accept(fd_, nullptr, nullptr);
    if (client < 0) return;
    char buf[4096];
    std::string request;
    while (request.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = read(client, buf, sizeof buf);
      if (n <= 0) break;
      request.append(buf, static_cast<std::size_t>(n));
    }
    for (std::size_t off = 0; off < response_.size();) {
      const ssize_t n = write(client, response_.data() + off, response_.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    close(client);
  }

  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

std::string http(const std::string& status, const std::string& body) {
  return "HTTP/1.1 " + status +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

TEST(JwtFetch, FetchesAJwksOverHttp) {
  const std::string body = jwt_test::read_data("jwks.json");
  OneShotServer server(http("200 OK", body));
  JwksFetch f = make_jwks_url_loader(server.url())();
  ASSERT_TRUE(f.ok) << f.error;
  EXPECT_EQ(f.body, body);
}

TEST(JwtFetch, NonOkStatusIsAFailure) {
  OneShotServer server(http("503 Service Unavailable", "{}"));
  JwksFetch f = make_jwks_url_loader(server.url())();
  EXPECT_FALSE(f.ok);
  EXPECT_NE(f.error.find("HTTP 503"), std::string::npos) << f.error;
  EXPECT_TRUE(f.body.empty());
}

TEST(JwtFetch, BodiesOver1MiBAreRefused) {
  OneShotServer server(http("200 OK", std::string((1 << 20) + 1, ' ')));
  JwksFetch f = make_jwks_url_loader(server.url())();
  EXPECT_FALSE(f.ok);
  EXPECT_TRUE(f.body.empty());
}

TEST(JwtFetch, OnlyHttpAndHttpsAreFetched) {
  JwksFetch f = make_jwks_url_loader("file://" + jwt_test::data_path("jwks.json"))();
  EXPECT_FALSE(f.ok);
  EXPECT_TRUE(f.body.empty());
  f = make_jwks_url_loader("gopher://127.0.0.1/")();
  EXPECT_FALSE(f.ok);
}

TEST(JwtFetch, UnreachableServerFailsQuickly) {
  // Port 1 on loopback: connection refused at once, no timeout to wait for.
  const auto start = std::chrono::steady_clock::now();
  JwksFetch f = make_jwks_url_loader("http://127.0.0.1:1/jwks")();
  EXPECT_FALSE(f.ok);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(JwtFetch, RedirectsAreFollowedOnlyToHttps) {
  // Even from a loopback URL, a redirect to plain http is refused (it could lead off
  // the machine); the target here would answer, so only the rule can stop it.
  OneShotServer target(http("200 OK", jwt_test::read_data("jwks.json")));
  OneShotServer server("HTTP/1.1 302 Found\r\nLocation: " + target.url() +
                       "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  JwksFetch f = make_jwks_url_loader(server.url())();
  EXPECT_FALSE(f.ok);
  EXPECT_TRUE(f.body.empty());
  EXPECT_NE(f.error.find("http"), std::string::npos) << f.error;
  // Unblock the target's accept() so its thread can end.
  make_jwks_url_loader(target.url())();
}

TEST(JwtFetch, PlainHttpToAnotherHostIsNeverFetched) {
  const auto start = std::chrono::steady_clock::now();
  JwksFetch f = make_jwks_url_loader("http://192.0.2.1/jwks")();  // TEST-NET-1
  EXPECT_FALSE(f.ok);
  EXPECT_NE(f.error.find("plain http to 192.0.2.1 is refused"), std::string::npos) << f.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
}
