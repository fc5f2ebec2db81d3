// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Linux implementation of the raw-mode platform layer (see platform_raw.hpp).

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "platform/platform.hpp"
#include "platform/platform_raw.hpp"

namespace mctx::platform {

namespace {

Error socket_error(const char* what, int err) {
  if (err == EPERM || err == EACCES) {
    return make_error(Errc::raw_not_permitted, kRawNotPermittedHint, err);
  }
  return make_error(Errc::socket_create_failed, std::string("creating the ") + what, err);
}

// SO_SNDBUF to `size` bytes, when one is set, on the socket named by `what`.
Res<void> set_send_buffer(int fd, const std::optional<int>& size, const char* what) {
  if (!size) return {};
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &*size, sizeof *size) != 0) {
    return unexpected(make_error(
        Errc::set_option_failed,
        "setting SO_SNDBUF to " + std::to_string(*size) + " bytes on " + what, errno));
  }
  return {};
}

// Control storage for one IPv4 message's IP_PKTINFO.
struct Ipv4Control {
  alignas(cmsghdr) unsigned char data[CMSG_SPACE(sizeof(in_pktinfo))];
};

// Addresses one IPv4 datagram: msg_name is the header's destination. With
// the interface known, route with the datagram's own source (raw sockets
// with IP_HDRINCL may use any source for the lookup): the kernel then
// decides local delivery (loopback) by that source, so receivers on this
// host that joined (source, group) get the datagram too.
void fill_ipv4(msghdr& msg, sockaddr_in& to, Ipv4Control& control, const uint8_t* source,
               const uint8_t* destination, uint32_t ifindex, const iovec* iov,
               std::size_t iov_count) noexcept {
  std::memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  std::memcpy(&to.sin_addr.s_addr, destination, 4);
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = iov_count;
  msg.msg_control = nullptr;
  msg.msg_controllen = 0;
  if (ifindex != 0) {
    std::memset(control.data, 0, sizeof control.data);
    msg.msg_control = control.data;
    msg.msg_controllen = sizeof control.data;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_ifindex = static_cast<int>(ifindex);
    std::memcpy(&info.ipi_spec_dst.s_addr, source, 4);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  }
}

// Addresses one IPv6 datagram. RFC 2464 section 7: 33:33 followed by the
// last four bytes of the group.
void fill_ipv6(msghdr& msg, sockaddr_ll& to, uint32_t ifindex, const uint8_t* destination,
               const iovec* iov, std::size_t iov_count) noexcept {
  std::memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_IPV6);
  to.sll_ifindex = static_cast<int>(ifindex);
  to.sll_halen = ETH_ALEN;
  to.sll_addr[0] = 0x33;
  to.sll_addr[1] = 0x33;
  std::memcpy(&to.sll_addr[2], destination + 12, 4);
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = iov_count;
}

}  // namespace

Result<LinkInfo, int> link_info(uint32_t index) {
  char name[IF_NAMESIZE] = {};
  if (index == 0 || ::if_indextoname(index, name) == nullptr) return unexpected(ENODEV);
  LinkInfo info;
  info.index = index;
  info.name = name;

  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return unexpected(errno);
  bool found = false;
  bool have_type = false;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_name == nullptr || info.name != it->ifa_name) continue;
    if (it->ifa_addr != nullptr && it->ifa_addr->sa_family != AF_PACKET) continue;
    // The link entry (AF_PACKET). Without a link-layer address glibc gives
    // it no ifa_addr.
    found = true;
    info.up = (it->ifa_flags & IFF_UP) != 0;
    info.multicast = (it->ifa_flags & IFF_MULTICAST) != 0;
    if (it->ifa_addr != nullptr) {
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(it->ifa_addr);
      info.hardware_type = ll->sll_hatype;
      info.address_length = ll->sll_halen;
      have_type = true;
    }
    break;
  }
  ::freeifaddrs(list);
  if (!found) return unexpected(ENODEV);
  if (!have_type) {
    // No link-layer address: ask for the hardware type alone.
    FdGuard fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return unexpected(errno);
    ifreq req{};
    std::memcpy(req.ifr_name, name, sizeof name);
    if (::ioctl(fd.get(), SIOCGIFHWADDR, &req) != 0) return unexpected(errno);
    info.hardware_type = req.ifr_hwaddr.sa_family;
    info.address_length = 0;
  }
  return info;
}

bool link_is_ethernet_like(const LinkInfo& link) noexcept {
  return link.hardware_type == ARPHRD_ETHER && link.address_length == ETH_ALEN;
}

std::string hardware_type_name(uint16_t type) {
  const char* name = nullptr;
  switch (type) {
    case ARPHRD_ETHER:
      name = "Ethernet";
      break;
    case ARPHRD_LOOPBACK:
      name = "loopback";
      break;
    case ARPHRD_NONE:
      name = "no link-layer header, e.g. tun or WireGuard";
      break;
    case ARPHRD_TUNNEL:
      name = "IPIP tunnel";
      break;
    case ARPHRD_TUNNEL6:
      name = "IPv6 tunnel";
      break;
    case ARPHRD_SIT:
      name = "SIT tunnel";
      break;
    case ARPHRD_IPGRE:
      name = "GRE tunnel";
      break;
    case ARPHRD_PPP:
      name = "PPP";
      break;
    case ARPHRD_INFINIBAND:
      name = "InfiniBand";
      break;
    case ARPHRD_IEEE80211:
    case ARPHRD_IEEE80211_RADIOTAP:
      name = "802.11 monitor";
      break;
    case ARPHRD_VOID:
      name = "void";
      break;
    default:
      break;
  }
  const std::string number = "ARPHRD " + std::to_string(type);
  if (name == nullptr) return number;
  return std::string(name) + " (" + number + ")";
}

const char* raw_platform_name() noexcept { return "linux"; }

RawFamilySupport raw_family_support(Family family) noexcept {
  RawFamilySupport s;
  s.supported = true;
  if (family == Family::ipv4) {
    s.method =
        "socket(AF_INET, SOCK_RAW, IPPROTO_RAW): the datagram is the IP packet "
        "(IP_HDRINCL); IP_MULTICAST_IF and IP_MULTICAST_LOOP apply";
    s.interface_required = false;
    s.local_loopback = true;
    s.kernel_fills =
        "header checksum (always recomputed: identical for a valid header); "
        "identification when it is 0 and DF is clear";
    s.link_types = "any link that carries IPv4";
  } else {
    s.method =
        "socket(AF_PACKET, SOCK_DGRAM) on the interface, to Ethernet address "
        "33:33 + the group's low 32 bits; the datagram is sent as is";
    s.interface_required = true;
    s.local_loopback = false;
    s.kernel_fills = "none";
    s.link_types =
        "Ethernet-like (ARPHRD_ETHER: Ethernet, veth, bridge, bond, VLAN, macvlan, "
        "tap)";
  }
  s.route_selected_egress = true;
  s.route_egress_method =
      family == Family::ipv4
          ? "per datagram, the route of the kernel's main table (rtnetlink dump: longest prefix, "
            "then lowest metric) names the interface, passed with IP_PKTINFO; cached, and "
            "looked up again on link or route notifications"
          : "per datagram, the route of the kernel's main table (rtnetlink dump: longest prefix, "
            "then lowest metric; not RTM_GETROUTE, which answers every group with the local "
            "table's ff00::/8 routes) names the interface the link-layer socket sends on; "
            "cached, and looked up again on link or route notifications";
  return s;
}

bool raw_permitted() noexcept {
  const int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

Res<int> open_raw_socket(const RawResolvedConfig& r) {
  if (r.family == Family::ipv4) {
    FdGuard fd(::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW));
    if (fd.get() < 0) {
      return unexpected(socket_error("raw IPv4 socket (AF_INET, SOCK_RAW, IPPROTO_RAW)", errno));
    }
    const int one = 1;
    if (::setsockopt(fd.get(), IPPROTO_IP, IP_HDRINCL, &one, sizeof one) != 0) {
      return unexpected(
          make_error(Errc::set_option_failed, "setting IP_HDRINCL on the raw IPv4 socket", errno));
    }
    if (const int err = enable_error_reports(fd.get(), Family::ipv4)) {
      return unexpected(
          make_error(Errc::set_option_failed, "setting IP_RECVERR on the raw IPv4 socket", err));
    }
    if (r.bind) {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_addr = r.bind->to_in_addr();
      if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
        return unexpected(make_error(
            Errc::bind_failed, "binding the raw IPv4 socket to " + r.bind->to_string(), errno));
      }
    }
    if (r.interface_index != 0 || r.interface_address) {
      const in_addr addr = r.interface_address ? r.interface_address->to_in_addr() : in_addr{};
      if (const int err = set_ipv4_multicast_interface(fd.get(), addr, r.interface_index)) {
        return unexpected(make_error(Errc::set_option_failed,
                                     "setting IP_MULTICAST_IF to " +
                                         describe_interface(r.interface_index) +
                                         " on the raw IPv4 socket",
                                     err));
      }
    }
    const int loop = r.loopback ? 1 : 0;
    if (::setsockopt(fd.get(), IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) != 0) {
      return unexpected(make_error(Errc::set_option_failed,
                                   "setting IP_MULTICAST_LOOP on the raw IPv4 socket", errno));
    }
    if (auto set = set_send_buffer(fd.get(), r.send_buffer_size, "the raw IPv4 socket"); !set) {
      return unexpected(std::move(set.error()));
    }
    return fd.release();
  }

  // IPv6: a link-layer socket. Protocol 0: it receives nothing, so no
  // receive queue fills up with the interface's traffic.
  FdGuard fd(::socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return unexpected(socket_error("link-layer socket for IPv6 (AF_PACKET, SOCK_DGRAM)", errno));
  }
  // With route-selected egress (no interface) it stays unbound: every
  // datagram names its interface in its address (sockaddr_ll).
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = 0;
  sll.sll_ifindex = static_cast<int>(r.interface_index);
  if (r.interface_index != 0 &&
      ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sll), sizeof sll) != 0) {
    return unexpected(make_error(
        Errc::bind_failed,
        "binding the link-layer socket to interface " + describe_interface(r.interface_index),
        errno));
  }
  if (auto set = set_send_buffer(fd.get(), r.send_buffer_size, "the link-layer socket"); !set) {
    return unexpected(std::move(set.error()));
  }
  return fd.release();
}

int reattach_raw_socket(int fd, const RawResolvedConfig& r) noexcept {
  if (r.family == Family::ipv4) {
    if (r.interface_index == 0 && !r.interface_address) return 0;
    const in_addr addr = r.interface_address ? r.interface_address->to_in_addr() : in_addr{};
    return set_ipv4_multicast_interface(fd, addr, r.interface_index);
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = 0;
  sll.sll_ifindex = static_cast<int>(r.interface_index);
  return ::bind(fd, reinterpret_cast<const sockaddr*>(&sll), sizeof sll) == 0 ? 0 : errno;
}

ssize_t send_raw_ipv4(int fd, const uint8_t* source, const uint8_t* destination, uint32_t ifindex,
                      const iovec* iov, std::size_t iov_count) noexcept {
  sockaddr_in to;
  Ipv4Control control;
  msghdr msg{};
  fill_ipv4(msg, to, control, source, destination, ifindex, iov, iov_count);
  return sendmsg_retry(fd, &msg, kSendFlags);
}

ssize_t send_raw_ipv6(int fd, uint32_t ifindex, const uint8_t* destination, const iovec* iov,
                      std::size_t iov_count) noexcept {
  sockaddr_ll to;
  msghdr msg{};
  fill_ipv6(msg, to, ifindex, destination, iov, iov_count);
  return sendmsg_retry(fd, &msg, kSendFlags);
}

long send_raw_batch(int fd, Family family, uint32_t ifindex, const RawOutDatagram* datagrams,
                    std::size_t count, std::size_t* bytes) noexcept {
  if (count == 0) return 0;
  if (count > kMaxBatch) count = kMaxBatch;
  // Every message has its own address and control storage: the kernel reads
  // them all during the one call.
  mmsghdr hdrs[kMaxBatch];
  std::memset(hdrs, 0, sizeof(mmsghdr) * count);
  if (family == Family::ipv4) {
    sockaddr_in names[kMaxBatch];
    Ipv4Control controls[kMaxBatch];
    for (std::size_t i = 0; i < count; ++i) {
      const RawOutDatagram& d = datagrams[i];
      fill_ipv4(hdrs[i].msg_hdr, names[i], controls[i], d.source, d.destination,
                d.ifindex != 0 ? d.ifindex : ifindex, d.iov, d.iov_count);
    }
    return sendmmsg_retry(fd, hdrs, count, kSendFlags, bytes);
  }
  sockaddr_ll names[kMaxBatch];
  for (std::size_t i = 0; i < count; ++i) {
    const RawOutDatagram& d = datagrams[i];
    fill_ipv6(hdrs[i].msg_hdr, names[i], d.ifindex != 0 ? d.ifindex : ifindex, d.destination,
              d.iov, d.iov_count);
  }
  return sendmmsg_retry(fd, hdrs, count, kSendFlags, bytes);
}

// ---------------------------------------------------- raw IP control transmit

RawIpFamilySupport raw_ip_family_support(Family family) noexcept {
  RawIpFamilySupport s;
  s.supported = true;
  if (family == Family::ipv4) {
    s.method =
        "socket(AF_INET, SOCK_RAW, IPPROTO_RAW) (header included), pinned with "
        "SO_BINDTOIFINDEX and IP_MULTICAST_IF";
    s.header = "datagram";
    s.preserved = "the whole datagram, header and payload, when the header checksum is right";
    s.kernel_rebuilds =
        "header checksum (always recomputed: identical for a valid header); total length "
        "(identical, it is validated); identification when it is 0";
  } else {
    s.method =
        "socket(AF_INET6, SOCK_RAW, Next Header) per Next Header / traffic class / hop "
        "limit, bound to the bind address, pinned with SO_BINDTOIFINDEX and "
        "IPV6_MULTICAST_IF";
    s.header = "kernel-built-header";
    s.preserved =
        "everything after the 40-byte base header; in the base header: traffic class, "
        "payload length, Next Header, hop limit, source (= bind address), destination";
    s.kernel_rebuilds =
        "the base header; its flow label is 0 (automatic flow labels off); for Next Header 58 "
        "(ICMPv6) the ICMPv6 checksum is recomputed (identical when it was right)";
  }
  return s;
}

namespace {

int pin_to_interface(int fd, uint32_t ifindex) noexcept {
  const int index = static_cast<int>(ifindex);
  return ::setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &index, sizeof index) == 0 ? 0 : errno;
}

}  // namespace

Res<int> open_raw_ip_socket_v4(uint32_t ifindex, const std::optional<IpAddress>& bind,
                               const std::optional<int>& send_buffer_size) {
  FdGuard fd(::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW));
  if (fd.get() < 0) {
    return unexpected(socket_error("raw IPv4 socket (AF_INET, SOCK_RAW, IPPROTO_RAW)", errno));
  }
  if (const int err = pin_to_interface(fd.get(), ifindex)) {
    return unexpected(make_error(Errc::set_option_failed,
                                 "pinning the raw IPv4 socket to interface " +
                                     describe_interface(ifindex) + " (SO_BINDTOIFINDEX)",
                                 err));
  }
  if (bind) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr = bind->to_in_addr();
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
      return unexpected(make_error(
          Errc::bind_failed, "binding the raw IPv4 socket to " + bind->to_string(), errno));
    }
  }
  if (const int err = set_ipv4_multicast_interface(fd.get(), in_addr{}, ifindex)) {
    return unexpected(make_error(Errc::set_option_failed,
                                 "setting IP_MULTICAST_IF to " + describe_interface(ifindex) +
                                     " on the raw IPv4 socket",
                                 err));
  }
  if (auto set = set_send_buffer(fd.get(), send_buffer_size, "the raw IPv4 socket"); !set) {
    return unexpected(std::move(set.error()));
  }
  return fd.release();
}

Result<int, RawIpSocketError> open_raw_ip_socket_v6(uint8_t next_header, uint8_t traffic_class,
                                                    uint8_t hop_limit, uint32_t ifindex,
                                                    const IpAddress& bind,
                                                    const std::optional<int>& send_buffer_size) noexcept {
  FdGuard fd(::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, next_header));
  if (fd.get() < 0) {
    const int err = errno;
    return unexpected(RawIpSocketError{
        err == EPERM || err == EACCES ? Errc::raw_not_permitted : Errc::socket_create_failed, err});
  }
  auto option = [&](int level, int name, int value) {
    return ::setsockopt(fd.get(), level, name, &value, sizeof value) == 0;
  };
  auto failed = [](Errc code) { return unexpected(RawIpSocketError{code, errno}); };
  if (pin_to_interface(fd.get(), ifindex) != 0) return failed(Errc::set_option_failed);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = bind.to_in6_addr();
  sa.sin6_scope_id = bind.is_link_local_unicast() ? ifindex : 0;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    return failed(Errc::bind_failed);
  }
  if (!option(IPPROTO_IPV6, IPV6_TCLASS, traffic_class) ||
      !option(IPPROTO_IPV6, IPV6_UNICAST_HOPS, hop_limit) ||
      !option(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hop_limit) ||
      !option(IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(ifindex)) ||
      !option(IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, 0)) {
    return failed(Errc::set_option_failed);
  }
  if (send_buffer_size && !option(SOL_SOCKET, SO_SNDBUF, *send_buffer_size)) {
    return failed(Errc::set_option_failed);
  }
  // A protocol socket also receives that protocol's packets: keep its
  // queue minimal, and for ICMPv6 let nothing in.
  option(SOL_SOCKET, SO_RCVBUF, 0);
  if (next_header == IPPROTO_ICMPV6) {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ::setsockopt(fd.get(), IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  }
  return fd.release();
}

ssize_t send_raw_ip_v4(int fd, const uint8_t* destination, const iovec* iov,
                       std::size_t iov_count) noexcept {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  std::memcpy(&to.sin_addr.s_addr, destination, 4);
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = iov_count;
  return sendmsg_retry(fd, &msg, kSendFlags);
}

ssize_t send_raw_ip_v6(int fd, const uint8_t* destination, uint32_t scope_id, const iovec* iov,
                       std::size_t iov_count) noexcept {
  // The buffers without the first 40 bytes (the base header the kernel
  // writes itself).
  iovec rest[kRawIpMaxBuffers];
  std::size_t n = 0;
  std::size_t skip = 40;
  for (std::size_t i = 0; i < iov_count; ++i) {
    std::size_t len = iov[i].iov_len;
    auto* base = static_cast<std::byte*>(iov[i].iov_base);
    if (skip >= len) {
      skip -= len;
      continue;
    }
    base += skip;
    len -= skip;
    skip = 0;
    if (n == kRawIpMaxBuffers) return -EINVAL;
    rest[n++] = iovec{base, len};
  }
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  std::memcpy(to.sin6_addr.s6_addr, destination, 16);
  to.sin6_scope_id = scope_id;
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = rest;
  msg.msg_iovlen = n;
  return sendmsg_retry(fd, &msg, kSendFlags);
}

}  // namespace mctx::platform
