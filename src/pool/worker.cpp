#include "pool/worker.h"

#include <fcgiapp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <exception>
#include <string>

#include "api/dispatch.h"
#include "auth/auth.h"
#include "auth/jwks_shared.h"
#include "http/fcgi_params.h"
#include "http/http.h"
#include "ops/log.h"
#include "ops/metrics.h"
#include "pool/stall_timer.h"
#include "store/db.h"
#include "util/text_util.h"

namespace {

// How long nginx may take to send a request (params and body) or to take its
// response before the worker drops the connection (docs/DESIGN.md "Stalled FastCGI
// peers"). nginx buffers the body and writes a request at once, so this only ever
// ends a broken or hostile peer.
constexpr int kStalledPeerMs = 3000;

volatile sig_atomic_t g_stop = 0;

void on_stop_signal(int) {
  g_stop = 1;
}

// Request ids we generate: 32 hex chars from a per-worker xorshift seeded once by
// getrandom() (unique enough to join log lines; not a secret).
class RequestIdGenerator {
 public:
  RequestIdGenerator() {
    if (getrandom(&state_, sizeof state_, 0) != sizeof state_ || state_ == 0) {
      state_ = static_cast<std::uint64_t>(getpid()) * 0x9E3779B97F4A7C15ULL ^ time(nullptr);
    }
  }
  void next(std::string& out) {
    out.clear();
    for (int word = 0; word < 2; ++word) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      for (int i = 0; i < 16; ++i) out.push_back(kHexLower[(state_ >> (i * 4)) & 0xf]);
    }
  }

 private:
  std::uint64_t state_ = 0;
};

// Returns true when the request's input was read to its end (the FastCGI stdin
// terminator included): only then may the connection be closed without lingering.
bool read_body(FCGX_Stream* in, const Config& config, Request& req) {
  if (req.content_length > config.max_body_bytes) {
    req.body_too_large = true;
    return false;
  }
  req.body.resize(static_cast<std::size_t>(req.content_length));
  std::size_t got = 0;
  while (got < req.body.size()) {
    int n = FCGX_GetStr(req.body.data() + got, static_cast<int>(req.body.size() - got), in);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  req.body.resize(got);
  return FCGX_GetChar(in) == EOF && FCGX_HasSeenEOF(in);
}

void write_response(FCGX_Stream* out, const Request& req, Response& res, std::string& buffer) {
  buffer.clear();
  buffer += "Status: ";
  buffer += std::to_string(res.status);
  buffer += ' ';
  buffer += reason_phrase(res.status);
  buffer += "\r\nCache-Control: no-store\r\nX-Request-Id: ";
  buffer += req.request_id;
  buffer += "\r\n";
  bool has_body = res.status != 204 && res.status != 304;
  if (has_body) {
    buffer += "Content-Type: ";
    buffer += res.content_type.empty() ? "application/json; charset=utf-8" : res.content_type;
    buffer += "\r\nContent-Length: ";
    buffer += std::to_string(res.body.size());
    buffer += "\r\n";
  }
  for (const auto& [name, value] : res.headers) {
    buffer += name;
    buffer += ": ";
    buffer += value;
    buffer += "\r\n";
  }
  buffer += "\r\n";
  if (has_body) buffer += res.body;
  FCGX_PutStr(buffer.data(), static_cast<int>(buffer.size()), out);
}

void install_signal_handlers(sigset_t& wait_mask) {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGHUP, SIG_IGN);  // reloads are the master's business
  signal(SIGPIPE, SIG_IGN);
  // Stop signals are blocked except while the worker waits for a connection, so a
  // request in flight is never interrupted (libfcgi does not retry on EINTR), and
  // a signal that arrives mid-request is taken as soon as the request is done.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &wait_mask);
  sigdelset(&wait_mask, SIGTERM);
  sigdelset(&wait_mask, SIGINT);
}

}  // namespace

int worker_main(const Config& config, int listen_fd, int ready_fd) {
  sigset_t wait_mask;
  install_signal_handlers(wait_mask);
  if (FCGX_Init() != 0) {
    log_error("FCGX_Init failed");
    return 1;
  }
  Database db(config);
  // Readiness does not wait for the database (docs/DESIGN.md, "Reload"): one attempt
  // here, bounded and logged by Database; a database that is down is retried per
  // request, with back-off, and answered 503 meanwhile.
  if (!db.ensure_connected()) log_info("starting without a database connection");
  Authenticator auth(config, jwks_shared_of_pool());
  Dispatcher dispatcher(config, db, auth);

  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  epoll_event listen_event{};
  listen_event.events = EPOLLIN | EPOLLEXCLUSIVE;  // wake one idle worker per connection
  if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &listen_event) != 0) {
    log_error("epoll setup failed", {{"error", strerror(errno)}});
    return 1;
  }
  pid_t self = getpid();
  if (write(ready_fd, &self, sizeof self) != sizeof self) log_warn("could not report readiness");
  close(ready_fd);
  metrics::worker_ready();

  StallTimer stall_timer(kStalledPeerMs);
  if (!stall_timer.ok()) {
    log_warn("no stall timer: a stalled FastCGI peer can hold this worker",
             {{"error", strerror(errno)}});
  }
  FCGX_Request fcgi;
  FCGX_InitRequest(&fcgi, listen_fd, 0);
  Request req;
  Response res;
  std::string out_buffer;
  out_buffer.reserve(16384);
  RequestIdGenerator ids;
  std::int64_t served = 0;

  while (g_stop == 0) {
    if (fcgi.ipcFd >= 0) {
      // nginx kept the connection (fastcgi_keep_conn on): this worker is bound to it
      // until nginx sends the next request or closes it.
      pollfd kept{fcgi.ipcFd, POLLIN, 0};
      if (ppoll(&kept, 1, nullptr, &wait_mask) <= 0) continue;
    } else {
      epoll_event ev{};
      if (epoll_pwait(epoll_fd, &ev, 1, -1, &wait_mask) <= 0) continue;  // EINTR: check g_stop
    }
    bool input_drained = false;
    {
      StallGuard guard(stall_timer);           // a peer that stalls here is dropped
      if (FCGX_Accept_r(&fcgi) < 0) continue;  // another worker won the race (EAGAIN)
      metrics::request_begin();

      req.clear();
      res.clear();
      parse_fcgi_params(fcgi.envp, req);
      if (req.request_id.empty()) ids.next(req.request_id);
      input_drained = read_body(fcgi.in, config, req);
    }
    if (FCGX_GetError(fcgi.in) != 0) {
      // The peer stopped mid-body (or broke): nobody waits for an answer, and a
      // truncated body must not be handled. Closed without lingering.
      log_warn("FastCGI peer stalled mid-request; connection dropped",
               {{"request_id", req.request_id}});
      FCGX_Detach(&fcgi);
      FCGX_Free(&fcgi, 1);
      metrics::request_dropped();
      continue;
    }
    try {
      dispatcher.handle(req, res);
    } catch (const std::exception& e) {
      log_error("unhandled exception", {{"request_id", req.request_id}, {"error", e.what()}});
      res.clear();
      set_error(res, 500, "Internal server error");
    }
    metrics::stage(metrics::Stage::write);
    {
      StallGuard guard(stall_timer);  // and so is one that stops taking the response
      write_response(fcgi.out, req, res, out_buffer);
      // libfcgi's close lingers (shutdown, then select+read until nginx closes its end)
      // so that unread input never turns into a reset. With the input read to its end
      // there is nothing to reset: a detached request is closed at once, which saves
      // three system calls and a wait on nginx per request.
      if (input_drained && !fcgi.keepConnection) FCGX_Detach(&fcgi);
      FCGX_Finish_r(&fcgi);
    }
    metrics::request_end(res.status, req.request_id, config.slow_request_ms);
    if (config.max_requests > 0 && ++served >= config.max_requests) break;
  }
  if (fcgi.ipcFd >= 0) FCGX_Free(&fcgi, 1);
  return 0;
}
