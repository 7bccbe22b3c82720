// The length of the listening socket's accept queue: connections nginx has opened
// that no worker has accepted yet (php-fpm's "listen queue"). A unix socket is
// asked through sock_diag (UDIAG_SHOW_RQLEN), a TCP socket through TCP_INFO.
#pragma once

struct ListenQueue {
  int length = -1;   // connections waiting; -1 when it cannot be known
  int backlog = -1;  // the queue's capacity (listen(2) backlog)
};

// One probe per process: keeps its netlink socket open between samples.
class ListenQueueProbe {
 public:
  ListenQueueProbe() = default;
  ~ListenQueueProbe();
  ListenQueueProbe(const ListenQueueProbe&) = delete;
  ListenQueueProbe& operator=(const ListenQueueProbe&) = delete;

  ListenQueue sample(int listen_fd);

 private:
  ListenQueue sample_unix(unsigned long inode);
  int netlink_fd_ = -1;
  bool netlink_failed_ = false;  // e.g. AF_NETLINK not allowed: do not retry forever
};
