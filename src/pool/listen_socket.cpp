#include "pool/listen_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kBacklog = 1024;

bool is_listening_socket(int fd) {
  int accepting = 0;
  socklen_t len = sizeof accepting;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting == 1;
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + strerror(errno);
}

ListenSocket bind_unix(const std::string& path, unsigned mode) {
  ListenSocket out;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    out.error = "FCGI_SOCKET: path too long: " + path;
    return out;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      out.error = "FCGI_SOCKET: " + path + " exists and is not a socket";
      return out;
    }
    unlink(path.c_str());  // a stale socket from an earlier run
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    out.error = errno_text("socket");
    return out;
  }
  // Create it with no access, then open it up to `mode`: no window where another
  // user could connect.
  mode_t old = umask(0777);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (rc != 0 || chmod(path.c_str(), mode) != 0 || listen(fd, kBacklog) != 0) {
    out.error = errno_text(("FCGI_SOCKET: " + path).c_str());
    close(fd);
    return out;
  }
  out.fd = fd;
  out.description = "unix:" + path;
  out.unix_path = path;
  return out;
}

ListenSocket bind_tcp(const std::string& spec) {
  ListenSocket out;
  auto colon = spec.rfind(':');
  std::string host = spec.substr(0, colon);
  std::string port = spec.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
      rc != 0) {
    out.error = "FCGI_SOCKET: " + spec + ": " + gai_strerror(rc);
    return out;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, kBacklog) != 0) {
    out.error = errno_text(("FCGI_SOCKET: " + spec).c_str());
    if (fd >= 0) close(fd);
    freeaddrinfo(res);
    return out;
  }
  freeaddrinfo(res);
  out.fd = fd;
  out.description = "tcp:" + spec;
  return out;
}

}  // namespace

ListenSocket open_listen_socket(const std::string& fcgi_socket, unsigned mode) {
  ListenSocket out;
  const char* listen_pid = std::getenv("LISTEN_PID");
  const char* listen_fds = std::getenv("LISTEN_FDS");
  if (listen_pid && listen_fds && std::atol(listen_pid) == getpid() && std::atoi(listen_fds) >= 1 &&
      is_listening_socket(3)) {
    out.fd = 3;
    out.description = "systemd socket activation (fd 3)";
  } else if (is_listening_socket(STDIN_FILENO)) {
    out.fd = STDIN_FILENO;
    out.description = "inherited socket on fd 0";
  } else if (fcgi_socket.find('/') != std::string::npos ||
             fcgi_socket.find(':') == std::string::npos) {
    out = bind_unix(fcgi_socket, mode);
  } else {
    out = bind_tcp(fcgi_socket);
  }
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  if (out.fd >= 0) {
    // Non-blocking: workers wait in epoll and a worker that loses the race for a
    // connection gets EAGAIN instead of sleeping in accept() where no signal reaches it.
    int flags = fcntl(out.fd, F_GETFL);
    fcntl(out.fd, F_SETFL, flags | O_NONBLOCK);
  }
  return out;
}

void sd_notify_state(const char* state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::size_t len = std::strlen(path);
  if (len >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sendto(fd, state, std::strlen(state), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
         static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
  close(fd);
}
