// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Linux rtnetlink (see netlink.hpp): dumps, route selection, notifications.

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

#include "platform/netlink.hpp"
#include "platform/platform.hpp"  // FdGuard

namespace mctx::platform {

static_assert(kRouteTypeBlackhole == RTN_BLACKHOLE);
static_assert(kRouteTypeUnreachable == RTN_UNREACHABLE);
static_assert(kRouteTypeProhibit == RTN_PROHIBIT);
static_assert(kNetlinkGroupTc == RTMGRP_TC);
static_assert(kNetlinkGroupLink == RTMGRP_LINK);

namespace {

// Dump replies arrive in datagrams of up to 32 KiB by default; the buffer
// grows when a larger one is announced (MSG_PEEK | MSG_TRUNC).
constexpr std::size_t kDumpBuffer = 32 * 1024;
// Notifications are small; one read takes whatever fits.
constexpr std::size_t kMonitorBuffer = 16 * 1024;
// A dump the kernel marks as interrupted (NLM_F_DUMP_INTR: the table changed
// while it was read) is asked for again, this many times.
constexpr int kDumpAttempts = 5;

// NLMSG_OK / NLMSG_NEXT without the macros' mix of signed and unsigned.
bool message_ok(const nlmsghdr* h, std::size_t left) noexcept {
  return left >= sizeof(nlmsghdr) && h->nlmsg_len >= sizeof(nlmsghdr) && h->nlmsg_len <= left;
}
const nlmsghdr* next_message(const nlmsghdr* h, std::size_t& left) noexcept {
  const std::size_t step = std::min<std::size_t>(NLMSG_ALIGN(h->nlmsg_len), left);
  left -= step;
  return reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(h) + step);
}

int open_route_socket(unsigned groups, bool nonblocking) noexcept {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0),
                          NETLINK_ROUTE);
  if (fd < 0) return -errno;
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = groups;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    const int err = errno;
    ::close(fd);
    return -err;
  }
  return fd;
}

int family_of(Family f) noexcept { return f == Family::ipv4 ? AF_INET : AF_INET6; }
std::size_t address_size(Family f) noexcept { return f == Family::ipv4 ? 4 : 16; }

// Runs one dump request (`type`, `family`) and hands every reply message
// to `on_message` (nullptr first, at the start of each attempt). 0 or errno; EINTR-like
// interruptions (NLM_F_DUMP_INTR) come back as EAGAIN after the last attempt.
template <class F>
int run_dump(uint16_t type, unsigned char family, F&& on_message) {
  static std::atomic<uint32_t> sequence{1};
  std::vector<std::byte> buffer(kDumpBuffer);
  for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
    on_message(nullptr);  // a new attempt: forget what the last one gave
    FdGuard fd(open_route_socket(0, false));
    if (fd.get() < 0) return -fd.get();
    const timeval timeout{2, 0};  // the kernel answers at once; never hang a sender
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

    // The request body is the message type's own header (ifinfomsg,
    // ifaddrmsg, rtmsg), zeroed but for the family, which all three hold in
    // their first byte.
    struct {
      nlmsghdr header;
      union {
        ifinfomsg link;
        ifaddrmsg address;
        rtmsg route;
      } body;
    } request{};
    const std::size_t body_size = type == RTM_GETLINK   ? sizeof(ifinfomsg)
                                  : type == RTM_GETADDR ? sizeof(ifaddrmsg)
                                                        : sizeof(rtmsg);
    const uint32_t seq = sequence.fetch_add(1, std::memory_order_relaxed);
    request.header.nlmsg_len = NLMSG_LENGTH(body_size);
    request.header.nlmsg_type = type;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.header.nlmsg_seq = seq;
    request.body.route.rtm_family = family;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t sent;
    do {
      sent = ::sendto(fd.get(), &request, request.header.nlmsg_len, 0,
                      reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) return errno;

    bool done = false;
    bool interrupted = false;
    while (!done) {
      ssize_t peek;
      do {
        peek = ::recv(fd.get(), buffer.data(), 1, MSG_PEEK | MSG_TRUNC);
      } while (peek < 0 && errno == EINTR);
      if (peek < 0) return errno;
      if (static_cast<std::size_t>(peek) > buffer.size()) buffer.resize(peek);
      ssize_t n;
      do {
        n = ::recv(fd.get(), buffer.data(), buffer.size(), 0);
      } while (n < 0 && errno == EINTR);
      if (n < 0) return errno;
      auto* h = reinterpret_cast<const nlmsghdr*>(buffer.data());
      std::size_t len = static_cast<std::size_t>(n);
      for (; message_ok(h, len); h = next_message(h, len)) {
        if (h->nlmsg_seq != seq) continue;
        if ((h->nlmsg_flags & NLM_F_DUMP_INTR) != 0) interrupted = true;
        if (h->nlmsg_type == NLMSG_DONE) {
          done = true;
          break;
        }
        if (h->nlmsg_type == NLMSG_ERROR) {
          if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return EPROTO;
          const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
          if (e->error != 0) return -e->error;
          continue;
        }
        if (h->nlmsg_type == NLMSG_OVERRUN) return ENOBUFS;
        on_message(h);
      }
    }
    if (!interrupted) return 0;
  }
  return EAGAIN;
}

template <class T, class Parse>
Result<std::vector<T>, int> dump(uint16_t type, unsigned char family, Parse parse) {
  std::vector<T> out;
  const int err = run_dump(type, family, [&](const nlmsghdr* h) {
    if (h == nullptr) {
      out.clear();
    } else if (auto v = parse(h)) {
      out.push_back(std::move(*v));
    }
  });
  if (err != 0) return unexpected(err);
  return out;
}

// Attribute iteration over [first, first + len).
template <class F>
void for_each_attribute(const rtattr* first, int len, F&& f) {
  for (const rtattr* a = first; RTA_OK(a, len); a = RTA_NEXT(a, len)) f(a);
}

uint32_t attribute_u32(const rtattr* a) noexcept {
  uint32_t v = 0;
  if (RTA_PAYLOAD(a) >= sizeof v) std::memcpy(&v, RTA_DATA(a), sizeof v);
  return v;
}

bool prefix_matches(const uint8_t* address, const std::array<uint8_t, 16>& prefix,
                    unsigned length) noexcept {
  const unsigned bytes = length / 8;
  if (std::memcmp(address, prefix.data(), bytes) != 0) return false;
  const unsigned bits = length % 8;
  if (bits == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
  return (address[bytes] & mask) == (prefix[bytes] & mask);
}

}  // namespace

std::optional<NetlinkLink> parse_link(const nlmsghdr* h) {
  if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) return std::nullopt;
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return std::nullopt;
  const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
  NetlinkLink link;
  link.index = static_cast<uint32_t>(ifi->ifi_index);
  link.hardware_type = ifi->ifi_type;
  link.flags = ifi->ifi_flags;
  for_each_attribute(IFLA_RTA(ifi), static_cast<int>(IFLA_PAYLOAD(h)), [&](const rtattr* a) {
    if (a->rta_type == IFLA_IFNAME) {
      const char* s = static_cast<const char*>(RTA_DATA(a));
      link.name.assign(s, strnlen(s, RTA_PAYLOAD(a)));
    } else if (a->rta_type == IFLA_ADDRESS) {
      link.address_length = static_cast<uint8_t>(RTA_PAYLOAD(a));
    }
  });
  return link;
}

std::optional<NetlinkAddress> parse_address(const nlmsghdr* h) {
  if (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR) return std::nullopt;
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(ifaddrmsg))) return std::nullopt;
  const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return std::nullopt;
  NetlinkAddress out;
  out.index = ifa->ifa_index;
  out.prefix_length = ifa->ifa_prefixlen;
  bool found = false;
  for_each_attribute(IFA_RTA(ifa), static_cast<int>(IFA_PAYLOAD(h)), [&](const rtattr* a) {
    // IFA_LOCAL is the local address on point-to-point links; IFA_ADDRESS
    // the peer there and the local address elsewhere.
    if ((a->rta_type != IFA_LOCAL && a->rta_type != IFA_ADDRESS) ||
        (found && a->rta_type != IFA_LOCAL)) {
      return;
    }
    if (ifa->ifa_family == AF_INET && RTA_PAYLOAD(a) >= 4) {
      in_addr v4{};
      std::memcpy(&v4, RTA_DATA(a), 4);
      out.address = IpAddress::v4(v4);
      found = true;
    } else if (ifa->ifa_family == AF_INET6 && RTA_PAYLOAD(a) >= 16) {
      in6_addr v6{};
      std::memcpy(&v6, RTA_DATA(a), 16);
      out.address = IpAddress::v6(v6);
      if (out.address.is_link_local_unicast()) out.address = out.address.with_scope_id(out.index);
      found = true;
    }
  });
  if (!found) return std::nullopt;
  return out;
}

std::optional<NetlinkRoute> parse_route(const nlmsghdr* h) {
  if (h->nlmsg_type != RTM_NEWROUTE && h->nlmsg_type != RTM_DELROUTE) return std::nullopt;
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return std::nullopt;
  const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(h));
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) return std::nullopt;
  NetlinkRoute r;
  r.family = rtm->rtm_family == AF_INET ? Family::ipv4 : Family::ipv6;
  const std::size_t asize = address_size(r.family);
  if (rtm->rtm_dst_len > asize * 8 || rtm->rtm_src_len > asize * 8) return std::nullopt;
  r.table = rtm->rtm_table;
  r.type = rtm->rtm_type;
  r.destination_length = rtm->rtm_dst_len;
  r.source_length = rtm->rtm_src_len;
  r.flags = rtm->rtm_flags;
  for_each_attribute(RTM_RTA(rtm), static_cast<int>(RTM_PAYLOAD(h)), [&](const rtattr* a) {
    switch (a->rta_type) {
      case RTA_TABLE:
        r.table = attribute_u32(a);
        break;
      case RTA_DST:
        if (RTA_PAYLOAD(a) >= asize) std::memcpy(r.destination.data(), RTA_DATA(a), asize);
        break;
      case RTA_SRC:
        if (RTA_PAYLOAD(a) >= asize) std::memcpy(r.source.data(), RTA_DATA(a), asize);
        break;
      case RTA_OIF:
        r.output_interface = attribute_u32(a);
        break;
      case RTA_PRIORITY:
        r.metric = attribute_u32(a);
        break;
      case RTA_MULTIPATH: {
        if (r.output_interface != 0) break;
        const auto* nh = static_cast<const rtnexthop*>(RTA_DATA(a));
        int left = static_cast<int>(RTA_PAYLOAD(a));
        while (RTNH_OK(nh, left)) {
          if ((nh->rtnh_flags & RTNH_F_DEAD) == 0 && nh->rtnh_ifindex > 0) {
            r.output_interface = static_cast<uint32_t>(nh->rtnh_ifindex);
            break;
          }
          left -= NLMSG_ALIGN(nh->rtnh_len);
          nh = RTNH_NEXT(nh);
        }
        break;
      }
      default:
        break;
    }
  });
  return r;
}

uint32_t qdisc_interface(const nlmsghdr* h) noexcept {
  if (h->nlmsg_type != RTM_NEWQDISC && h->nlmsg_type != RTM_DELQDISC) return 0;
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(tcmsg))) return 0;
  const auto* tc = static_cast<const tcmsg*>(NLMSG_DATA(h));
  return tc->tcm_ifindex > 0 ? static_cast<uint32_t>(tc->tcm_ifindex) : 0;
}

Result<std::vector<NetlinkLink>, int> dump_links() {
  return dump<NetlinkLink>(RTM_GETLINK, AF_UNSPEC, parse_link);
}

Result<std::vector<NetlinkAddress>, int> dump_addresses(Family family) {
  return dump<NetlinkAddress>(RTM_GETADDR, static_cast<unsigned char>(family_of(family)),
                              parse_address);
}

namespace {
std::atomic<uint64_t> g_route_dumps{0};
}  // namespace

uint64_t route_dump_count() noexcept { return g_route_dumps.load(std::memory_order_relaxed); }

Result<std::vector<NetlinkRoute>, int> dump_routes(Family family) {
  g_route_dumps.fetch_add(1, std::memory_order_relaxed);
  return dump<NetlinkRoute>(RTM_GETROUTE, static_cast<unsigned char>(family_of(family)),
                            parse_route);
}

RouteDecision select_route(const std::vector<NetlinkRoute>& routes, Family family,
                           const uint8_t* destination, const uint8_t* source) noexcept {
  const NetlinkRoute* best = nullptr;
  for (const NetlinkRoute& r : routes) {
    if (r.family != family || r.table != kMainRouteTable) continue;
    if ((r.flags & (RTM_F_CLONED | RTNH_F_DEAD)) != 0) continue;
    switch (r.type) {
      case RTN_UNICAST:
      case RTN_MULTICAST:
        if (r.output_interface == 0) continue;
        break;
      case RTN_UNREACHABLE:
      case RTN_BLACKHOLE:
      case RTN_PROHIBIT:
        break;
      default:
        continue;
    }
    if (!prefix_matches(destination, r.destination, r.destination_length)) continue;
    if (r.source_length != 0 &&
        (source == nullptr || !prefix_matches(source, r.source, r.source_length))) {
      continue;
    }
    if (best != nullptr) {
      if (r.destination_length != best->destination_length) {
        if (r.destination_length < best->destination_length) continue;
      } else if (r.source_length != best->source_length) {
        if (r.source_length < best->source_length) continue;
      } else if (r.metric >= best->metric) {
        continue;
      }
    }
    best = &r;
  }
  RouteDecision d;
  if (best == nullptr) return d;  // ENETUNREACH, type 0
  d.type = best->type;
  d.destination_length = best->destination_length;
  d.metric = best->metric;
  switch (best->type) {
    case RTN_UNREACHABLE:
      d.error = EHOSTUNREACH;
      break;
    case RTN_BLACKHOLE:
      d.error = ENETUNREACH;
      break;
    case RTN_PROHIBIT:
      d.error = EACCES;
      break;
    default:
      d.error = 0;
      d.output_interface = best->output_interface;
      break;
  }
  return d;
}

// ---------------------------------------------------------------- monitor

Result<NetlinkMonitor, int> NetlinkMonitor::open(unsigned groups) {
  std::unique_ptr<std::byte[]> buffer(new (std::nothrow) std::byte[kMonitorBuffer]);
  if (!buffer) return unexpected(ENOMEM);
  const int fd = open_route_socket(groups, true);
  if (fd < 0) return unexpected(-fd);
  return NetlinkMonitor(fd, std::move(buffer));
}

NetlinkMonitor::NetlinkMonitor(int fd, std::unique_ptr<std::byte[]> buffer) noexcept
    : fd_(fd), buffer_(std::move(buffer)) {}

NetlinkMonitor::NetlinkMonitor(NetlinkMonitor&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), buffer_(std::move(o.buffer_)) {}

NetlinkMonitor& NetlinkMonitor::operator=(NetlinkMonitor&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    buffer_ = std::move(o.buffer_);
  }
  return *this;
}

NetlinkMonitor::~NetlinkMonitor() {
  if (fd_ >= 0) ::close(fd_);
}

NetlinkChanges NetlinkMonitor::drain(void (*visit)(const nlmsghdr*, void*),
                                     void* context) noexcept {
  NetlinkChanges c;
  if (fd_ < 0) {
    c.error = EBADF;
    return c;
  }
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer_.get(), kMonitorBuffer, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return c;
      if (errno == ENOBUFS) {  // the queue overflowed: messages were lost
        c.overrun = true;
        continue;
      }
      c.error = errno;
      return c;
    }
    const auto* h = reinterpret_cast<const nlmsghdr*>(buffer_.get());
    std::size_t len = static_cast<std::size_t>(n);
    for (; message_ok(h, len); h = next_message(h, len)) {
      ++c.messages;
      switch (h->nlmsg_type) {
        case RTM_NEWLINK:
        case RTM_DELLINK:
          c.links = true;
          break;
        case RTM_NEWADDR:
        case RTM_DELADDR:
          c.addresses = true;
          break;
        case RTM_NEWROUTE:
        case RTM_DELROUTE:
          c.routes = true;
          break;
        case RTM_NEWQDISC:
        case RTM_DELQDISC:
          c.qdiscs = true;
          break;
        default:
          break;
      }
      if (visit != nullptr) visit(h, context);
    }
  }
}

}  // namespace mctx::platform
