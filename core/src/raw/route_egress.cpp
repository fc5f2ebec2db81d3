// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Route-selected egress of raw publications (see route_egress.hpp).

#include "raw/route_egress.hpp"

#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

#include "common/internal.hpp"
#include "platform/platform_raw.hpp"

namespace mctx::internal {

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
  if (refresh && monitor_.drain().any()) {
    for (Entry& e : cache_) e.used = false;
  }
  for (const Entry& e : cache_) {
    if (e.used && e.destination == destination.bytes() && e.source == source.bytes()) {
      if (e.ok) return e.ifindex;
      return unexpected(e.failure);
    }
  }
  auto r = look_up(source, destination);
  if (!r && r.error().code == Errc::raw_route_lookup_failed) return r;  // not cached
  Entry& slot = cache_[next_slot_];
  next_slot_ = (next_slot_ + 1) % kCacheSize;
  slot.used = true;
  slot.source = source.bytes();
  slot.destination = destination.bytes();
  slot.ok = r.has_value();
  slot.ifindex = r ? *r : 0;
  slot.failure = r ? RouteFailure{} : r.error();
  return r;
}

Result<uint32_t, RouteFailure> RouteEgress::look_up(const IpAddress& source,
                                                    const IpAddress& destination) noexcept {
  try {
    auto routes = platform::dump_routes(family_);
    if (!routes) {
      return unexpected(RouteFailure{Errc::raw_route_lookup_failed, routes.error(),
                                     "reading the kernel's main routing table (rtnetlink) failed"});
    }
    const platform::RouteDecision d =
        platform::select_route(*routes, family_, destination.bytes().data(), source.bytes().data());
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
      auto link = platform::link_info(d.output_interface);
      if (!link) {
        return unexpected(RouteFailure{Errc::network_unreachable, link.error(),
                                       "the route's interface cannot be looked up"});
      }
      if (!platform::link_is_ethernet_like(*link)) {
        return unexpected(RouteFailure{
            Errc::raw_unsupported_link, 0,
            "the route's interface is not Ethernet-like (IPv6 raw mode needs ARPHRD_ETHER with "
            "6-byte addresses)"});
      }
    }
    return d.output_interface;
  } catch (const std::bad_alloc&) {
    return unexpected(RouteFailure{Errc::raw_route_lookup_failed, ENOMEM,
                                   "reading the kernel's main routing table (rtnetlink) failed"});
  }
}

}  // namespace mctx::internal
