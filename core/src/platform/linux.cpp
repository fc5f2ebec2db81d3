// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Linux implementation of the platform layer (see platform.hpp).

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

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

int open_udp_socket(Family family) noexcept {
  const int domain = family == Family::ipv4 ? AF_INET : AF_INET6;
  const int fd = ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  return fd >= 0 ? fd : -errno;
}

int duplicate_fd(int fd) noexcept {
  const int out = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  return out >= 0 ? out : -errno;
}

void close_fd(int fd) noexcept {
  if (fd >= 0) ::close(fd);
}

int bind_to(int fd, const Endpoint& local) noexcept {
  sockaddr_storage ss;
  const socklen_t len = local.to_sockaddr(ss);
  return ::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) == 0 ? 0 : errno;
}

int connect_to(int fd, const Endpoint& destination) noexcept {
  sockaddr_storage ss;
  const socklen_t len = destination.to_sockaddr(ss);
  return ::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) == 0 ? 0 : errno;
}

void disconnect(int fd) noexcept {
  sockaddr unspec{};
  unspec.sa_family = AF_UNSPEC;
  (void)::connect(fd, &unspec, sizeof unspec);
}

Result<std::optional<Endpoint>, int> local_endpoint(int fd) noexcept {
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return unexpected(errno);
  return Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&local), len);
}

bool is_udp_socket(const SocketInfo& info) noexcept {
  return info.type == SOCK_DGRAM && (info.protocol == IPPROTO_UDP || info.protocol == 0) &&
         (info.domain == AF_INET || info.domain == AF_INET6);
}

Family socket_family(const SocketInfo& info) noexcept {
  return info.domain == AF_INET ? Family::ipv4 : Family::ipv6;
}

namespace {

struct OptionKey {
  int level;
  int name;
  const char* text;
};

OptionKey option_key(SocketOption option, Family family) noexcept {
  const bool v4 = family == Family::ipv4;
  switch (option) {
    case SocketOption::multicast_ttl:
      return v4 ? OptionKey{IPPROTO_IP, IP_MULTICAST_TTL, "IP_MULTICAST_TTL"}
                : OptionKey{IPPROTO_IPV6, IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS"};
    case SocketOption::multicast_loop:
      return v4 ? OptionKey{IPPROTO_IP, IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP"}
                : OptionKey{IPPROTO_IPV6, IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP"};
    case SocketOption::traffic_class:
      return v4 ? OptionKey{IPPROTO_IP, IP_TOS, "IP_TOS"}
                : OptionKey{IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS"};
    case SocketOption::ipv6_multicast_interface:
      return OptionKey{IPPROTO_IPV6, IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF"};
    case SocketOption::send_buffer:
      return OptionKey{SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF"};
    case SocketOption::send_buffer_force:
      return OptionKey{SOL_SOCKET, SO_SNDBUFFORCE, "SO_SNDBUFFORCE"};
  }
  return OptionKey{SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF"};
}

}  // namespace

const char* socket_option_name(SocketOption option, Family family) noexcept {
  return option_key(option, family).text;
}

int set_socket_option(int fd, Family family, SocketOption option, int value) noexcept {
  const OptionKey k = option_key(option, family);
  return ::setsockopt(fd, k.level, k.name, &value, sizeof value) == 0 ? 0 : errno;
}

int get_socket_option(int fd, Family family, SocketOption option, int& value) noexcept {
  const OptionKey k = option_key(option, family);
  value = 0;
  socklen_t len = sizeof value;
  return ::getsockopt(fd, k.level, k.name, &value, &len) == 0 ? 0 : errno;
}

int get_ipv4_multicast_interface(int fd, in_addr& address) noexcept {
  socklen_t len = sizeof address;
  return ::getsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &address, &len) == 0 ? 0 : errno;
}

Result<FileIdentity, int> file_identity(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return unexpected(errno);
  return FileIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
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

// Through raw_syscall() (platform.hpp): no libc wrapper, the same result.
long as_libc(long n) noexcept {
  if (n >= 0) return n;
  errno = static_cast<int>(-n);
  return -1;
}

ssize_t real_sendmsg(int fd, const msghdr* msg, int flags) {
  return as_libc(raw_syscall(SYS_sendmsg, fd, reinterpret_cast<long>(msg), flags));
}

int real_sendmmsg(int fd, void* msgs, unsigned int vlen, int flags) {
  return static_cast<int>(
      as_libc(raw_syscall(SYS_sendmmsg, fd, reinterpret_cast<long>(msgs), vlen, flags)));
}

ssize_t real_send(int fd, const void* buf, std::size_t len, int flags) {
  return as_libc(send_in_place(fd, buf, len, flags));
}

}  // namespace

constinit const Syscalls kRealSyscalls{&real_sendmsg, &real_sendmmsg, &real_send};
constinit std::atomic<const Syscalls*> g_syscalls{&kRealSyscalls};

const Syscalls& real_syscalls() noexcept { return kRealSyscalls; }

const Syscalls& syscalls() noexcept { return *g_syscalls.load(std::memory_order_acquire); }

const Syscalls* set_syscalls(const Syscalls* table) noexcept {
  return g_syscalls.exchange(table != nullptr ? table : &kRealSyscalls, std::memory_order_acq_rel);
}

ssize_t sendmsg_retry(int fd, const msghdr* msg, int flags) noexcept {
  const Syscalls& sys = syscalls();
  for (;;) {
    const ssize_t n = sys.sendmsg(fd, msg, flags);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

long sendmmsg_retry(int fd, mmsghdr* hdrs, std::size_t count, int flags,
                    std::size_t* bytes) noexcept {
  const Syscalls& sys = syscalls();
  for (;;) {
    const int n = sys.sendmmsg(fd, hdrs, static_cast<unsigned>(count), flags);
    if (n > 0) {
      if (bytes != nullptr) {
        std::size_t total = 0;
        for (int i = 0; i < n; ++i) total += hdrs[i].msg_len;
        *bytes += total;
      }
      return n;
    }
    if (n == 0) return -EAGAIN;  // not expected from Linux; treat as "try later"
    if (errno != EINTR) return -errno;
  }
}

namespace {

// The one place a UDP message gets its buffers and its destination: an
// unconnected (caller's) socket names the destination in every message.
inline void address_message(msghdr& msg, const iovec* iov, std::size_t iov_count,
                            const SendTarget* to) noexcept {
  if (to != nullptr) {
    msg.msg_name = const_cast<sockaddr*>(to->addr);
    msg.msg_namelen = to->len;
  }
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = iov_count;
}

inline std::size_t datagram_size(const OutMessage& m) noexcept {
  if (m.iov_count == 1) return m.iov[0].iov_len;  // the common case
  std::size_t n = 0;
  for (std::size_t i = 0; i < m.iov_count; ++i) n += m.iov[i].iov_len;
  return n;
}

// Control storage for one UDP_SEGMENT message.
struct GsoControl {
  alignas(cmsghdr) unsigned char data[CMSG_SPACE(sizeof(uint16_t))];
};

}  // namespace

ssize_t send_datagram_slow(int fd, const iovec* iov, std::size_t iov_count,
                           const SendTarget* to) noexcept {
  const Syscalls& sys = syscalls();
  if (iov_count == 1 && sys.send != nullptr && to == nullptr) {  // a test's table
    for (;;) {
      const ssize_t n = sys.send(fd, iov[0].iov_base, iov[0].iov_len, kSendFlags);
      if (n >= 0) return n;
      if (errno != EINTR) return -errno;
    }
  }
  msghdr msg{};
  address_message(msg, iov, iov_count, to);
  return sendmsg_retry(fd, &msg, kSendFlags);
}

int bind_to_device(int fd, const std::string& name) noexcept {
  return ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name.c_str(),
                      static_cast<socklen_t>(name.size())) == 0
             ? 0
             : errno;
}

int set_receive_buffer(int fd, int bytes, bool force) noexcept {
  return ::setsockopt(fd, SOL_SOCKET, force ? SO_RCVBUFFORCE : SO_RCVBUF, &bytes, sizeof bytes) ==
                 0
             ? 0
             : errno;
}

std::optional<int> receive_buffer_size(int fd) noexcept {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, &len) != 0) return std::nullopt;
  return value;
}

long receive_datagrams(int fd, InMessage* msgs, std::size_t count) noexcept {
  if (count == 0) return 0;
  if (count > kMaxReceiveBatch) count = kMaxReceiveBatch;
  mmsghdr hdrs[kMaxReceiveBatch];
  iovec iovs[kMaxReceiveBatch];
  sockaddr_storage names[kMaxReceiveBatch];
  std::memset(hdrs, 0, sizeof(mmsghdr) * count);
  for (std::size_t i = 0; i < count; ++i) {
    iovs[i].iov_base = msgs[i].data;
    iovs[i].iov_len = msgs[i].capacity;
    hdrs[i].msg_hdr.msg_iov = &iovs[i];
    hdrs[i].msg_hdr.msg_iovlen = 1;
    hdrs[i].msg_hdr.msg_name = &names[i];
    hdrs[i].msg_hdr.msg_namelen = sizeof names[i];
  }
  int n;
  do {
    n = ::recvmmsg(fd, hdrs, static_cast<unsigned int>(count), MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  if (n == 0) return -EAGAIN;
  for (int i = 0; i < n; ++i) {
    InMessage& m = msgs[i];
    m.size = hdrs[i].msg_len;
    m.truncated = (hdrs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    m.from = Endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&names[i]),
                                     hdrs[i].msg_hdr.msg_namelen);
  }
  return n;
}

ssize_t send_datagram_to(int fd, const void* data, std::size_t size, const Endpoint& to) noexcept {
  sockaddr_storage ss;
  const SendTarget target{reinterpret_cast<const sockaddr*>(&ss), to.to_sockaddr(ss)};
  iovec iov{const_cast<void*>(data), size};
  msghdr msg{};
  address_message(msg, &iov, 1, &target);
  return sendmsg_retry(fd, &msg, kSendFlags);
}

long send_datagrams(int fd, const OutMessage* msgs, std::size_t count, std::size_t* bytes,
                    const SendTarget* to) noexcept {
  if (count == 0) return 0;
  if (count > kMaxBatch) count = kMaxBatch;
  mmsghdr hdrs[kMaxBatch];
  std::memset(hdrs, 0, sizeof(mmsghdr) * count);
  for (std::size_t i = 0; i < count; ++i) {
    address_message(hdrs[i].msg_hdr, msgs[i].iov, msgs[i].iov_count, to);
  }
  return sendmmsg_retry(fd, hdrs, count, kSendFlags, bytes);
}

long send_datagrams_gso(int fd, const OutMessage* msgs, std::size_t count, const GsoPlan& plan,
                        GsoOutcome* out, const SendTarget* to) noexcept {
  *out = GsoOutcome{};
  if (count == 0) return 0;
  mmsghdr hdrs[kMaxBatch];
  GsoControl controls[kMaxBatch];
  iovec iovs[kGsoMaxIov];
  std::size_t datagrams[kMaxBatch];  // datagrams per message
  std::size_t segments[kMaxBatch];   // segment size per message (0: plain)
  std::size_t nmsg = 0;
  std::size_t niov = 0;
  std::size_t i = 0;
  while (i < count && nmsg < kMaxBatch) {
    const OutMessage& first = msgs[i];
    const std::size_t seg = datagram_size(first);
    // The run that starts at i: equal sizes, then at most one shorter one.
    std::size_t run = 1;
    std::size_t total = seg;
    std::size_t run_iov = first.iov_count;
    // Whether the run's iovecs follow one another in memory (as mctxsink's
    // do, in one array): then the message uses them in place, nothing is
    // copied.
    bool adjacent = true;
    if (seg > 0 && seg <= plan.max_segment && plan.max_segments > 1) {
      const std::size_t limit = std::min(count - i, plan.max_segments);
      const std::size_t max_payload = plan.max_payload;
      for (const OutMessage* m = msgs + i + 1; run < limit; ++m) {
        const std::size_t len = datagram_size(*m);
        // Empty (len - 1 wraps around) or longer than the first: not in the run.
        if (len - 1 >= seg || total + len > max_payload) break;
        if (run_iov + m->iov_count > kGsoMaxIov) break;  // per message
        const bool still_adjacent = adjacent && m->iov == first.iov + run_iov;
        if (!still_adjacent && niov + run_iov + m->iov_count > kGsoMaxIov) break;  // the copy
        adjacent = still_adjacent;
        total += len;
        run_iov += m->iov_count;
        ++run;
        if (len < seg) break;  // a shorter datagram ends the run
      }
    }
    mmsghdr& h = hdrs[nmsg];
    std::memset(&h, 0, sizeof h);
    if (run == 1) {
      // Plain message: its own iovecs, no copy.
      address_message(h.msg_hdr, first.iov, first.iov_count, to);
      segments[nmsg] = 0;
    } else {
      const iovec* run_iovs = first.iov;
      if (!adjacent) {  // gathered into iovs
        run_iovs = iovs + niov;
        for (std::size_t k = 0; k < run; ++k) {
          const OutMessage& m = msgs[i + k];
          for (std::size_t j = 0; j < m.iov_count; ++j) iovs[niov++] = m.iov[j];
        }
      }
      address_message(h.msg_hdr, run_iovs, run_iov, to);
      GsoControl& c = controls[nmsg];
      std::memset(c.data, 0, sizeof c.data);
      h.msg_hdr.msg_control = c.data;
      h.msg_hdr.msg_controllen = sizeof c.data;
      cmsghdr* cm = CMSG_FIRSTHDR(&h.msg_hdr);
      cm->cmsg_level = SOL_UDP;
      cm->cmsg_type = UDP_SEGMENT;
      cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      const auto size = static_cast<uint16_t>(seg);
      std::memcpy(CMSG_DATA(cm), &size, sizeof size);
      segments[nmsg] = seg;
    }
    datagrams[nmsg] = run;
    ++nmsg;
    i += run;
  }
  const long n = sendmmsg_retry(fd, hdrs, nmsg, kSendFlags, &out->bytes);
  if (n < 0) {
    out->failed_datagrams = datagrams[0];
    out->failed_segment = segments[0];
    return n;
  }
  std::size_t sent = 0;
  for (long k = 0; k < n; ++k) {
    sent += datagrams[k];
    if (segments[k] != 0) ++out->gso_messages;
  }
  return static_cast<long>(sent);
}

int gso_supported(int fd) noexcept {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &value, &len) != 0) return errno;
  return 0;
}

std::size_t path_mtu(int fd, Family family, uint32_t ifindex) noexcept {
  int mtu = 0;
  socklen_t len = sizeof mtu;
  const int rc = family == Family::ipv4 ? ::getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len)
                                        : ::getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len);
  if (rc == 0 && mtu > 0) return static_cast<std::size_t>(mtu);
  if (ifindex == 0) return 0;
  ifreq req{};
  if (::if_indextoname(ifindex, req.ifr_name) == nullptr) return 0;
  if (::ioctl(fd, SIOCGIFMTU, &req) != 0 || req.ifr_mtu <= 0) return 0;
  return static_cast<std::size_t>(req.ifr_mtu);
}

int set_max_pacing_rate(int fd, uint64_t bytes_per_second) noexcept {
  if (::setsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &bytes_per_second,
                   sizeof bytes_per_second) != 0) {
    return errno;
  }
  return 0;
}

namespace {

// Calls f(kind, is_root, options) for every qdisc of interface `ifindex`
// (an RTM_GETQDISC dump over rtnetlink); `options` is its TCA_OPTIONS
// attribute or nullptr. false when the dump could not be read.
template <class F>
bool for_each_qdisc(uint32_t ifindex, F&& f) {
  if (ifindex == 0) return false;
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return false;
  struct {
    nlmsghdr nh;
    tcmsg tc;
  } req{};
  req.nh.nlmsg_len = sizeof req;
  req.nh.nlmsg_type = RTM_GETQDISC;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nh.nlmsg_seq = 1;
  req.tc.tcm_family = AF_UNSPEC;
  req.tc.tcm_ifindex = static_cast<int>(ifindex);
  bool complete = false;
  const timeval timeout{1, 0};  // a dump always ends; never hang an open() on it
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::send(fd, &req, sizeof req, 0) == static_cast<ssize_t>(sizeof req)) {
    alignas(nlmsghdr) char buf[16384];
    bool done = false;
    while (!done) {
      const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
      if (got <= 0) break;
      const auto len = static_cast<std::size_t>(got);
      for (std::size_t off = 0; off + sizeof(nlmsghdr) <= len;) {
        auto* nh = reinterpret_cast<nlmsghdr*>(buf + off);
        if (nh->nlmsg_len < sizeof(nlmsghdr) || off + nh->nlmsg_len > len) {
          done = true;
          break;
        }
        off += NLMSG_ALIGN(nh->nlmsg_len);
        if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
          complete = nh->nlmsg_type == NLMSG_DONE;
          done = true;
          break;
        }
        if (nh->nlmsg_type != RTM_NEWQDISC) continue;
        const auto* tc = static_cast<const tcmsg*>(NLMSG_DATA(nh));
        if (tc->tcm_ifindex != static_cast<int>(ifindex)) continue;
        int alen = static_cast<int>(nh->nlmsg_len) - static_cast<int>(NLMSG_LENGTH(sizeof *tc));
        std::string_view kind;
        const rtattr* options = nullptr;
        for (auto* a = reinterpret_cast<rtattr*>(const_cast<tcmsg*>(tc) + 1); RTA_OK(a, alen);
             a = RTA_NEXT(a, alen)) {
          if (a->rta_type == TCA_KIND) {
            const auto* text = static_cast<const char*>(RTA_DATA(a));
            kind = std::string_view(text, ::strnlen(text, RTA_PAYLOAD(a)));
          } else if (a->rta_type == TCA_OPTIONS) {
            options = a;
          }
        }
        if (!kind.empty()) f(kind, tc->tcm_parent == TC_H_ROOT, options);
      }
    }
  }
  ::close(fd);
  return complete;
}

}  // namespace

std::string root_qdisc(uint32_t ifindex) {
  std::string kind;
  (void)for_each_qdisc(ifindex, [&kind](std::string_view k, bool root, const rtattr*) {
    if (root) kind.assign(k);
  });
  return kind;
}

namespace {

// The largest packet a tbf passes whole (its max_size: the burst at the
// rate, and the peak bucket's mtu at the peak rate), from its TCA_OPTIONS as
// tbf_dump() writes them (buffer and mtu in psched ticks of 64 ns). 0 when
// the options cannot be read.
uint64_t tbf_max_size(const rtattr* options) {
  if (options == nullptr) return 0;
  const tc_tbf_qopt* q = nullptr;
  uint64_t rate = 0, peak = 0;
  int len = static_cast<int>(RTA_PAYLOAD(options));
  for (auto* a = static_cast<const rtattr*>(RTA_DATA(options)); RTA_OK(a, len);
       a = RTA_NEXT(a, len)) {
    if (a->rta_type == TCA_TBF_PARMS && RTA_PAYLOAD(a) >= sizeof(tc_tbf_qopt)) {
      q = static_cast<const tc_tbf_qopt*>(RTA_DATA(a));
    } else if (a->rta_type == TCA_TBF_RATE64 && RTA_PAYLOAD(a) >= sizeof(uint64_t)) {
      std::memcpy(&rate, RTA_DATA(a), sizeof rate);
    } else if (a->rta_type == TCA_TBF_PRATE64 && RTA_PAYLOAD(a) >= sizeof(uint64_t)) {
      std::memcpy(&peak, RTA_DATA(a), sizeof peak);
    }
  }
  if (q == nullptr) return 0;
  if (rate == 0) rate = q->rate.rate;
  if (peak == 0) peak = q->peakrate.rate;
  constexpr unsigned kPschedShift = 6;  // PSCHED_SHIFT: a tick is 64 ns
  auto bytes = [](uint64_t bytes_per_second, uint32_t ticks, unsigned overhead) -> uint64_t {
    const long double ns = static_cast<long double>(static_cast<uint64_t>(ticks) << kPschedShift);
    const auto n = static_cast<uint64_t>(static_cast<long double>(bytes_per_second) * ns / 1e9L);
    return n > overhead ? n - overhead : 0;
  };
  uint64_t max_size = bytes(rate, q->buffer, q->rate.overhead);
  if (peak != 0) max_size = std::min(max_size, bytes(peak, q->mtu, q->peakrate.overhead));
  return max_size;
}

// A segmentation send as a qdisc measures it: at most 65,535 bytes of IP
// datagram plus, for each of up to 64 segments, its own IPv6 + UDP + link
// headers. A tbf whose max_size is at least this never segments one.
constexpr uint64_t kLargestSegmentationSend = 65535 + 64 * (40 + 8 + 14);

}  // namespace

const char* gso_segmenting_qdisc(uint32_t ifindex) {
  // From the Linux sources: tbf_segment() (for a packet larger than the
  // tbf's max_size), taprio_enqueue_segmented() and cake's split-GSO path
  // enqueue each segment on its own and return success when any of them
  // was queued.
  const char* found = nullptr;
  (void)for_each_qdisc(ifindex, [&found](std::string_view k, bool, const rtattr* options) {
    if (found != nullptr) return;
    if (k == "tbf") {
      if (tbf_max_size(options) < kLargestSegmentationSend) found = "tbf";
    } else if (k == "taprio") {
      found = "taprio";
    } else if (k == "cake") {
      found = "cake";
    }
  });
  return found;
}

}  // namespace mctx::platform
