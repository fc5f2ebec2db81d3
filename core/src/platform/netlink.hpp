// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// rtnetlink (NETLINK_ROUTE) in the platform layer: what the kernel knows
// about links, addresses and routes, and a socket that hears when any of it
// changes. Only Linux has it (platform/linux_netlink.cpp); written by hand
// over <linux/rtnetlink.h> (see docs/design.md, "rtnetlink").
//
// * dump_links(), dump_addresses(), dump_routes(): one request, the whole
//   table, parsed into plain values. They allocate: call them on setup or on
//   a cache miss, never per packet.
// * select_route(): the route the kernel's main table gives a destination
//   (and source): longest destination prefix, then longest source prefix,
//   then lowest metric. Pure function over a dump; never allocates.
// * NetlinkMonitor: a non-blocking socket subscribed to rtnetlink multicast
//   groups. drain() reads whatever is pending with a buffer allocated once
//   at open() and says what kind of change arrived; when nothing is pending
//   it costs one recv() that fails with EAGAIN. Never allocates.
//
// Internal header: not installed.

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/result.hpp"

struct nlmsghdr;

namespace mctx::platform {

// The kernel's main routing table (RT_TABLE_MAIN).
inline constexpr uint32_t kMainRouteTable = 254;

// One link (RTM_NEWLINK).
struct NetlinkLink {
  uint32_t index = 0;
  std::string name;
  uint16_t hardware_type = 0;  // ARPHRD_*
  uint8_t address_length = 0;  // link-layer address length (IFLA_ADDRESS)
  unsigned flags = 0;          // IFF_*
};

// One address on one link (RTM_NEWADDR).
struct NetlinkAddress {
  uint32_t index = 0;
  IpAddress address;  // IPv6 link-local addresses carry the link as scope
  uint8_t prefix_length = 0;
};

// One route (RTM_NEWROUTE).
struct NetlinkRoute {
  Family family = Family::ipv4;
  uint32_t table = 0;  // RTA_TABLE, else rtm_table
  uint8_t type = 0;    // RTN_UNICAST, RTN_MULTICAST, RTN_UNREACHABLE, ...
  uint8_t destination_length = 0;
  uint8_t source_length = 0;
  std::array<uint8_t, 16> destination{};  // IPv4 in the first 4 bytes
  std::array<uint8_t, 16> source{};       // RTA_SRC (IPv6 source-specific routes)
  uint32_t output_interface = 0;          // RTA_OIF, else the first live nexthop
  uint32_t metric = 0;                    // RTA_PRIORITY
  unsigned flags = 0;                     // rtm_flags
};

// Every link / address / route the kernel has in this network namespace.
// errno on failure. Allocate.
Result<std::vector<NetlinkLink>, int> dump_links();
Result<std::vector<NetlinkAddress>, int> dump_addresses(Family family);
Result<std::vector<NetlinkRoute>, int> dump_routes(Family family);
// How many dump_routes() calls this process made (for tests: a route cache
// that works asks for few).
uint64_t route_dump_count() noexcept;

// Decoders for one message, for dumps and notifications alike; nullopt when
// the message is of another type or malformed.
std::optional<NetlinkLink> parse_link(const nlmsghdr* message);
std::optional<NetlinkAddress> parse_address(const nlmsghdr* message);
std::optional<NetlinkRoute> parse_route(const nlmsghdr* message);

// The interface of a qdisc notification (RTM_NEWQDISC / RTM_DELQDISC);
// 0 for any other message. Never allocates.
uint32_t qdisc_interface(const nlmsghdr* message) noexcept;

// Route types (rtm_type) the callers word in messages: RTN_BLACKHOLE,
// RTN_UNREACHABLE, RTN_PROHIBIT (checked against <linux/rtnetlink.h> in
// linux_netlink.cpp).
inline constexpr uint8_t kRouteTypeBlackhole = 6;
inline constexpr uint8_t kRouteTypeUnreachable = 7;
inline constexpr uint8_t kRouteTypeProhibit = 8;

// What the main table says for one destination.
struct RouteDecision {
  // 0: send on `output_interface`. Otherwise why not: ENETUNREACH (no route
  // matches, or a blackhole route), EHOSTUNREACH (an unreachable route),
  // EACCES (a prohibit route).
  int error = ENETUNREACH;
  uint32_t output_interface = 0;
  uint8_t type = 0;  // RTN_* of the chosen route; 0 when none matched
  uint8_t destination_length = 0;
  uint32_t metric = 0;
};

// The route of the main table for `destination` (and `source`, which may be
// null: then source-specific routes do not match). Routes of other tables,
// cloned (cache) entries, dead routes and types other than unicast,
// multicast, unreachable, blackhole and prohibit are ignored. Never
// allocates.
RouteDecision select_route(const std::vector<NetlinkRoute>& routes, Family family,
                           const uint8_t* destination, const uint8_t* source) noexcept;

// rtnetlink multicast groups for NetlinkMonitor::open().
inline constexpr unsigned kNetlinkGroupLink = 1u << 0;         // RTMGRP_LINK
inline constexpr unsigned kNetlinkGroupTc = 1u << 3;           // RTMGRP_TC (qdiscs, classes)
inline constexpr unsigned kNetlinkGroupIpv4Address = 1u << 4;  // RTMGRP_IPV4_IFADDR
inline constexpr unsigned kNetlinkGroupIpv4Route = 1u << 6;    // RTMGRP_IPV4_ROUTE
inline constexpr unsigned kNetlinkGroupIpv6Address = 1u << 8;  // RTMGRP_IPV6_IFADDR
inline constexpr unsigned kNetlinkGroupIpv6Route = 1u << 10;   // RTMGRP_IPV6_ROUTE

// What NetlinkMonitor::drain() read.
struct NetlinkChanges {
  unsigned messages = 0;   // notifications read
  bool links = false;      // RTM_NEWLINK / RTM_DELLINK
  bool addresses = false;  // RTM_NEWADDR / RTM_DELADDR
  bool routes = false;     // RTM_NEWROUTE / RTM_DELROUTE
  bool qdiscs = false;     // RTM_NEWQDISC / RTM_DELQDISC
  // Notifications were lost (the socket's queue overflowed, ENOBUFS):
  // anything may have changed.
  bool overrun = false;
  int error = 0;  // errno of a failed read other than EAGAIN / ENOBUFS

  bool any() const noexcept { return messages != 0 || overrun || error != 0; }
};

// A socket that hears rtnetlink notifications. Move-only; the destructor
// closes it.
class NetlinkMonitor {
 public:
  // Subscribes to `groups` (kNetlinkGroup* bits). errno on failure.
  static Result<NetlinkMonitor, int> open(unsigned groups);

  NetlinkMonitor(NetlinkMonitor&&) noexcept;
  NetlinkMonitor& operator=(NetlinkMonitor&&) noexcept;
  NetlinkMonitor(const NetlinkMonitor&) = delete;
  NetlinkMonitor& operator=(const NetlinkMonitor&) = delete;
  ~NetlinkMonitor();

  // Reads every pending notification without blocking. `visit`, when given,
  // sees each message (e.g. parse_link() on it). Never allocates (the buffer
  // is the monitor's own); not thread-safe.
  NetlinkChanges drain(void (*visit)(const nlmsghdr* message, void* context) = nullptr,
                       void* context = nullptr) noexcept;

  // Borrow: readable (POLLIN) when a notification is pending.
  int fd() const noexcept { return fd_; }

 private:
  NetlinkMonitor(int fd, std::unique_ptr<std::byte[]> buffer) noexcept;
  int fd_ = -1;
  std::unique_ptr<std::byte[]> buffer_;
};

}  // namespace mctx::platform
