// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Linux implementation of the platform layer (see platform.hpp).

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/platform.hpp"

namespace mctx::platform {

std::optional<uint32_t> interface_index(const std::string& name) noexcept {
  if (name.empty() || name.size() >= IF_NAMESIZE) return std::nullopt;
  unsigned idx = ::if_nametoindex(name.c_str());
  if (idx == 0) return std::nullopt;
  return idx;
}

std::optional<std::string> interface_name(uint32_t index) {
  if (index == 0) return std::nullopt;
  char buf[IF_NAMESIZE] = {};
  if (::if_indextoname(index, buf) == nullptr) return std::nullopt;
  return std::string(buf);
}

bool interface_exists(uint32_t index) noexcept {
  if (index == 0) return false;
  char buf[IF_NAMESIZE] = {};
  return ::if_indextoname(index, buf) != nullptr;
}

bool interface_is_up(uint32_t index) noexcept {
  ifreq req{};
  if (index == 0 || ::if_indextoname(index, req.ifr_name) == nullptr) return false;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int rc = ::ioctl(fd, SIOCGIFFLAGS, &req);
  ::close(fd);
  if (rc != 0) return false;
  const unsigned want = IFF_UP | IFF_RUNNING;
  return (static_cast<unsigned>(req.ifr_flags) & want) == want;
}

std::string describe_interface(uint32_t index) {
  if (auto name = interface_name(index)) {
    return *name + " (index " + std::to_string(index) + ")";
  }
  return "index " + std::to_string(index);
}

Result<std::vector<LocalAddress>, int> local_addresses() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return unexpected(errno);
  std::vector<LocalAddress> out;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_name == nullptr) continue;
    const int fam = it->ifa_addr->sa_family;
    if (fam != AF_INET && fam != AF_INET6) continue;
    const socklen_t len = fam == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    auto ep = Endpoint::from_sockaddr(it->ifa_addr, len);
    if (!ep) continue;
    LocalAddress la;
    la.ifindex = ::if_nametoindex(it->ifa_name);
    la.ifname = it->ifa_name;
    la.address = ep->address;
    out.push_back(std::move(la));
  }
  ::freeifaddrs(list);
  return out;
}

Result<SocketInfo, int> socket_info(int fd) noexcept {
  SocketInfo info;
  socklen_t len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &info.type, &len) != 0) return unexpected(errno);
  len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &info.domain, &len) != 0) return unexpected(errno);
  len = sizeof(int);
  if (::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &info.protocol, &len) != 0) {
    return unexpected(errno);
  }
  return info;
}

std::optional<int> send_buffer_size(int fd) noexcept {
  int bytes = 0;
  socklen_t len = sizeof bytes;
  if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, &len) != 0) return std::nullopt;
  return bytes;
}

int set_ipv4_multicast_interface(int fd, const in_addr& address, uint32_t ifindex) noexcept {
  ip_mreqn mreq{};
  mreq.imr_address = address;
  mreq.imr_ifindex = static_cast<int>(ifindex);
  if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) != 0) return errno;
  return 0;
}

int enable_error_reports(int fd, Family family) noexcept {
  const int one = 1;
  const int rc = family == Family::ipv4
                     ? ::setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one)
                     : ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
  return rc == 0 ? 0 : errno;
}

int drain_error_queue(int fd) noexcept {
  int drained = 0;
  // Bounded: the queue holds at most the socket's receive buffer; 256
  // reads cover it with room to spare and keep a storm from looping here.
  for (int i = 0; i < 256; ++i) {
    alignas(cmsghdr) unsigned char control[512];
    unsigned char data[64];
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    ++drained;
  }
  int err = 0;
  socklen_t len = sizeof err;
  (void)::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return drained;
}

namespace {

ssize_t real_sendmsg(int fd, const msghdr* msg, int flags) { return ::sendmsg(fd, msg, flags); }

int real_sendmmsg(int fd, void* msgs, unsigned int vlen, int flags) {
  return ::sendmmsg(fd, static_cast<mmsghdr*>(msgs), vlen, flags);
}

ssize_t real_send(int fd, const void* buf, std::size_t len, int flags) {
  return ::send(fd, buf, len, flags);
}

constexpr Syscalls kRealSyscalls{&real_sendmsg, &real_sendmmsg, &real_send};
std::atomic<const Syscalls*> g_syscalls{&kRealSyscalls};

}  // namespace

const Syscalls& real_syscalls() noexcept { return kRealSyscalls; }

const Syscalls& syscalls() noexcept { return *g_syscalls.load(std::memory_order_acquire); }

const Syscalls* set_syscalls(const Syscalls* table) noexcept {
  return g_syscalls.exchange(table != nullptr ? table : &kRealSyscalls, std::memory_order_acq_rel);
}

ssize_t send_datagram(int fd, const iovec* iov, std::size_t iov_count) noexcept {
  const Syscalls& sys = syscalls();
  if (iov_count == 1 && sys.send != nullptr) {
    for (;;) {
      const ssize_t n = sys.send(fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
      if (n >= 0) return n;
      if (errno != EINTR) return -errno;
    }
  }
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = iov_count;
  for (;;) {
    const ssize_t n = sys.sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

long send_datagrams(int fd, const OutMessage* msgs, std::size_t count, std::size_t* bytes) noexcept {
  if (count == 0) return 0;
  if (count > kMaxBatch) count = kMaxBatch;
  mmsghdr hdrs[kMaxBatch];
  std::memset(hdrs, 0, sizeof(mmsghdr) * count);
  for (std::size_t i = 0; i < count; ++i) {
    hdrs[i].msg_hdr.msg_iov = const_cast<iovec*>(msgs[i].iov);
    hdrs[i].msg_hdr.msg_iovlen = msgs[i].iov_count;
  }
  const Syscalls& sys = syscalls();
  for (;;) {
    const int n = sys.sendmmsg(fd, hdrs, static_cast<unsigned>(count), MSG_NOSIGNAL);
    if (n > 0) {
      std::size_t total = 0;
      for (int i = 0; i < n; ++i) total += hdrs[i].msg_len;
      if (bytes != nullptr) *bytes += total;
      return n;
    }
    if (n == 0) return -EAGAIN;  // not expected from Linux; treat as "try later"
    if (errno != EINTR) return -errno;
  }
}

}  // namespace mctx::platform
