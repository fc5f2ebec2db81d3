// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Route-selected egress of raw publications (see route_egress.hpp).
//
// The copy of the table is read again on any change rather than patched
// from the notifications' contents: replaying RTM_NEWROUTE / RTM_DELROUTE
// would have to mirror the kernel's replace and append rules per family
// (IPv4 aliases by TOS and priority, IPv6 siblings), and IPv4 drops the
// routes of a link that goes down without a notification of its own. A
// change is rare; one dump per change is exact.

#include "raw/route_egress.hpp"

#include <algorithm>
#include <cerrno>
#include <new>
#include <utility>

#include "common/internal.hpp"
#include "platform/platform_raw.hpp"

namespace mctx::internal {

namespace {

// Whether a route's destination prefix can contain a multicast address
// (224.0.0.0/4, ff00::/8): the only destinations a raw publication sends to.
bool may_match_multicast(const platform::NetlinkRoute& r) noexcept {
  const uint8_t first = r.destination[0];
  if (r.family == Family::ipv4) {
    const unsigned bits = std::min<unsigned>(r.destination_length, 4);
    const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
    return (first & mask & 0xf0) == (0xe0 & mask);
  }
  const unsigned bits = std::min<unsigned>(r.destination_length, 8);
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
  return (first & mask) == mask;
}

RouteFailure read_failure(int err) noexcept {
  return RouteFailure{Errc::raw_route_lookup_failed, err,
                      "reading the kernel's main routing table (rtnetlink) failed"};
}

}  // namespace

Res<std::unique_ptr<RouteEgress>> RouteEgress::open(Family family) {
  const unsigned groups =
      platform::kNetlinkGroupLink | (family == Family::ipv4 ? platform::kNetlinkGroupIpv4Route
                                                            : platform::kNetlinkGroupIpv6Route);
  auto monitor = platform::NetlinkMonitor::open(groups);
  if (!monitor) {
    return fail(Errc::socket_create_failed,
                "opening the rtnetlink socket that watches link and route changes "
                "(route-selected egress)",
                monitor.error());
  }
  return std::unique_ptr<RouteEgress>(new RouteEgress(family, std::move(monitor).value()));
}

RouteEgress::RouteEgress(Family family, platform::NetlinkMonitor monitor) noexcept
    : family_(family), monitor_(std::move(monitor)) {}

Result<void, RouteFailure> RouteEgress::reload() noexcept {
  try {
    auto routes = platform::dump_routes(family_);
    if (!routes) return unexpected(read_failure(routes.error()));
    routes_.clear();
    for (const platform::NetlinkRoute& r : *routes) {
      if (r.table == platform::kMainRouteTable && may_match_multicast(r)) routes_.push_back(r);
    }
    links_.clear();
    if (family_ == Family::ipv6) {
      for (const platform::NetlinkRoute& r : routes_) {
        const uint32_t index = r.output_interface;
        if (index == 0 || std::any_of(links_.begin(), links_.end(),
                                      [index](const Link& l) { return l.index == index; })) {
          continue;
        }
        Link l;
        l.index = index;
        auto link = platform::link_info(index);
        if (!link) {
          l.failure = RouteFailure{Errc::network_unreachable, link.error(),
                                   "the route's interface cannot be looked up"};
        } else if (!platform::link_is_ethernet_like(*link)) {
          l.failure = RouteFailure{
              Errc::raw_unsupported_link, 0,
              "the route's interface is not Ethernet-like (IPv6 raw mode needs ARPHRD_ETHER with "
              "6-byte addresses)"};
        } else {
          l.ok = true;
        }
        links_.push_back(l);
      }
    }
    stale_ = false;
    return {};
  } catch (const std::bad_alloc&) {
    return unexpected(read_failure(ENOMEM));
  }
}

Result<uint32_t, RouteFailure> RouteEgress::select(const IpAddress& source,
                                                   const IpAddress& destination,
                                                   bool refresh) noexcept {
  // A link-local or interface-local group exists once per link: the
  // routing table cannot say which link is meant.
  if (family_ == Family::ipv6 && destination.is_multicast() && destination.multicast_scope() <= 2) {
    return unexpected(RouteFailure{
        Errc::scoped_group_needs_interface, 0,
        "an interface-local or link-local group needs an explicit interface; route-selected "
        "egress does not choose one"});
  }
  std::lock_guard lock(mutex_);
  if (refresh && monitor_.drain().any()) stale_ = true;
  if (stale_) {
    if (auto ok = reload(); !ok) return unexpected(ok.error());
  }
  const platform::RouteDecision d = platform::select_route(
      routes_, family_, destination.bytes().data(), source.bytes().data());
  if (d.error != 0) {
    const char* detail = "no route of the kernel's main routing table matches it";
    switch (d.type) {
      case 0:
        break;
      case platform::kRouteTypeUnreachable:
        detail = "the main routing table's route for it is an unreachable route";
        break;
      case platform::kRouteTypeBlackhole:
        detail = "the main routing table's route for it is a blackhole route";
        break;
      case platform::kRouteTypeProhibit:
        detail = "the main routing table's route for it is a prohibit route";
        break;
      default:
        detail = "the main routing table's route for it sends nothing";
        break;
    }
    return unexpected(RouteFailure{Errc::raw_no_route, d.error, detail});
  }
  if (family_ == Family::ipv6) {
    for (const Link& l : links_) {
      if (l.index != d.output_interface) continue;
      if (!l.ok) return unexpected(l.failure);
      break;
    }
  }
  return d.output_interface;
}

}  // namespace mctx::internal
