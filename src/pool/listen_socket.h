// The pool's listening socket, from (in order): systemd socket activation
// (LISTEN_FDS), an inherited listening socket on fd 0 (spawn-fcgi, StandardInput=socket),
// or FCGI_SOCKET (unix path, or host:port), bound here.
#pragma once

#include <string>

struct ListenSocket {
  int fd = -1;
  std::string description;  // for the log
  std::string error;        // set when fd < 0
  std::string unix_path;    // set when we created a unix socket file (removed at exit)
};

ListenSocket open_listen_socket(const std::string& fcgi_socket, unsigned mode);

// Sends `state` (e.g. "READY=1") to $NOTIFY_SOCKET if set; no-op otherwise.
void sd_notify_state(const char* state);
