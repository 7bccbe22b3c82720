#include "ops/listen_queue.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace {

constexpr int kTcpListen = 10;  // TCP_LISTEN of the kernel's socket states

}  // namespace

ListenQueueProbe::~ListenQueueProbe() {
  if (netlink_fd_ >= 0) close(netlink_fd_);
}

ListenQueue ListenQueueProbe::sample(int listen_fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
  if (addr.ss_family == AF_INET || addr.ss_family == AF_INET6) {
    // On a listening TCP socket the kernel reports the accept queue in these two.
    tcp_info info{};
    socklen_t info_len = sizeof info;
    if (getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &info, &info_len) != 0) return {};
    return {static_cast<int>(info.tcpi_unacked), static_cast<int>(info.tcpi_sacked)};
  }
  if (addr.ss_family != AF_UNIX) return {};
  struct stat st {};
  if (fstat(listen_fd, &st) != 0) return {};
  return sample_unix(st.st_ino);
}

// One request for exactly our socket (by inode), one answer: the queue length is
// the attribute UNIX_DIAG_RQLEN {rqueue = waiting, wqueue = backlog} of a listener.
ListenQueue ListenQueueProbe::sample_unix(unsigned long inode) {
  if (netlink_failed_) return {};
  if (netlink_fd_ < 0) {
    netlink_fd_ = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (netlink_fd_ < 0) {
      netlink_failed_ = true;
      return {};
    }
  }
  struct {
    nlmsghdr header;
    unix_diag_req request;
  } msg{};
  msg.header.nlmsg_len = sizeof msg;
  msg.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.header.nlmsg_flags = NLM_F_REQUEST;
  msg.request.sdiag_family = AF_UNIX;
  msg.request.udiag_states = 1u << kTcpListen;
  msg.request.udiag_ino = static_cast<unsigned>(inode);
  msg.request.udiag_show = UDIAG_SHOW_RQLEN;
  msg.request.udiag_cookie[0] = msg.request.udiag_cookie[1] = ~0u;  // INET_DIAG_NOCOOKIE
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(netlink_fd_, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof kernel) < 0) {
    return {};
  }
  alignas(nlmsghdr) char buf[1024];
  ssize_t n = recv(netlink_fd_, buf, sizeof buf, MSG_DONTWAIT);
  // The kernel answers synchronously within sendto(); nothing to wait for.
  if (n <= 0) return {};
  auto* h = reinterpret_cast<nlmsghdr*>(buf);
  if (!NLMSG_OK(h, static_cast<unsigned>(n)) || h->nlmsg_type != SOCK_DIAG_BY_FAMILY) return {};
  auto* diag = static_cast<unix_diag_msg*>(NLMSG_DATA(h));
  int attr_len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *diag));
  for (auto* a = reinterpret_cast<rtattr*>(diag + 1); RTA_OK(a, attr_len);
       a = RTA_NEXT(a, attr_len)) {
    if (a->rta_type == UNIX_DIAG_RQLEN && RTA_PAYLOAD(a) >= sizeof(unix_diag_rqlen)) {
      unix_diag_rqlen q{};
      std::memcpy(&q, RTA_DATA(a), sizeof q);
      return {static_cast<int>(q.udiag_rqueue), static_cast<int>(q.udiag_wqueue)};
    }
  }
  return {};
}
