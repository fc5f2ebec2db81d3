// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The raw-mode part of the platform layer: sockets that send complete IP
// datagrams, and the link facts raw mode needs. Only Linux is implemented
// (platform/linux_raw.cpp):
//   IPv4  socket(AF_INET, SOCK_RAW, IPPROTO_RAW): the header is included
//         (IP_HDRINCL); IP_MULTICAST_IF and IP_MULTICAST_LOOP apply.
//   IPv6  socket(AF_PACKET, SOCK_DGRAM, 0) on one Ethernet-like interface; the
//         kernel adds the link-layer header for 33:33 + the group's low 32 bits.
// Sends go through platform::syscalls().sendmsg / .sendmmsg so tests can
// inject errno values. Internal header: not installed.

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "mctx/address.hpp"
#include "mctx/raw.hpp"
#include "mctx/result.hpp"
#include "platform/platform.hpp"  // Syscalls, kMaxBatch

namespace mctx::platform {

// Link-layer facts about one interface.
struct LinkInfo {
  uint32_t index = 0;
  std::string name;
  uint16_t hardware_type = 0;  // ARPHRD_* on Linux
  uint8_t address_length = 0;  // link-layer address length (6 for Ethernet)
  bool up = false;
  bool multicast = false;  // IFF_MULTICAST
};

// Looks the interface up; errno on failure (ENODEV: no such interface).
Result<LinkInfo, int> link_info(uint32_t index);
// True for links raw IPv6 can use: Ethernet-like, 6-byte addresses.
bool link_is_ethernet_like(const LinkInfo& link) noexcept;
// "Ethernet (ARPHRD 1)", "loopback (ARPHRD 772)", "ARPHRD 999", ... for messages.
std::string hardware_type_name(uint16_t hardware_type);

// What this platform offers (static facts; no system call).
RawFamilySupport raw_family_support(Family family) noexcept;
const char* raw_platform_name() noexcept;
// Opens and closes a raw socket to see whether this process may; sends nothing.
bool raw_permitted() noexcept;

// Opens the socket for a resolved raw configuration: non-blocking, close-on-
// exec, configured (bind, IP_MULTICAST_IF, IP_MULTICAST_LOOP, SO_SNDBUF for
// IPv4; bound to the interface for IPv6). Errc::raw_not_permitted without
// CAP_NET_RAW.
Res<int> open_raw_socket(const RawResolvedConfig& resolved);

// Points an open raw socket at the interface of `resolved` again (an
// outage found the interface back, perhaps under another index): IPv4
// IP_MULTICAST_IF, IPv6 a new bind of the link-layer socket. 0 or errno.
int reattach_raw_socket(int fd, const RawResolvedConfig& resolved) noexcept;

// Sends one complete IPv4 datagram. `source` and `destination` are the
// header's addresses (4 bytes, network order). With ifindex != 0 the route is
// looked up from the datagram's source out of that interface (IP_PKTINFO), so
// loopback follows the receivers' (S,G) filters; with 0, routing decides from
// the socket alone. EINTR retried. Returns the bytes sent or -errno. Never
// allocates.
ssize_t send_raw_ipv4(int fd, const uint8_t* source, const uint8_t* destination, uint32_t ifindex,
                      const iovec* iov, std::size_t iov_count) noexcept;
// Sends one complete IPv6 datagram on interface `ifindex` to the Ethernet
// multicast address of `destination` (16 bytes), EINTR retried. Returns the
// bytes sent or -errno. Never allocates.
ssize_t send_raw_ipv6(int fd, uint32_t ifindex, const uint8_t* destination, const iovec* iov,
                      std::size_t iov_count) noexcept;

// One validated datagram for send_raw_batch(): its buffers and the header
// addresses the per-datagram sends take (IPv4: the first 4 bytes are used).
struct RawOutDatagram {
  const iovec* iov = nullptr;
  std::size_t iov_count = 0;
  uint8_t source[16] = {};
  uint8_t destination[16] = {};
};

// Sends up to min(count, kMaxBatch) datagrams of `family` in one system call
// (sendmmsg), each addressed as send_raw_ipv4 / send_raw_ipv6 address it
// (its own msg_name and, for IPv4 with ifindex != 0, its own IP_PKTINFO;
// all on the stack). EINTR retried. Returns how many the kernel accepted
// (> 0) and adds their bytes to *bytes, or -errno when the first one failed.
// Never allocates.
long send_raw_batch(int fd, Family family, uint32_t ifindex, const RawOutDatagram* datagrams,
                    std::size_t count, std::size_t* bytes) noexcept;

}  // namespace mctx::platform
