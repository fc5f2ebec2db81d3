// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Route-selected egress of a raw publication: for each datagram, the
// interface the kernel's main routing table gives its destination (and
// source), chosen from a copy of the table's routes that can match a
// multicast destination. The copy is read at the first datagram and read
// again after an rtnetlink notification says a link or a route changed.
// Internal header: not installed.

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/result.hpp"
#include "platform/netlink.hpp"

namespace mctx::internal {

// Why a datagram has no way out. Plain data.
struct RouteFailure {
  Errc code = Errc::raw_no_route;
  int system_errno = 0;
  const char* detail = "";  // static text
};

class RouteEgress {
 public:
  // Subscribes to link and route notifications of `family` (RTMGRP_LINK and
  // RTMGRP_IPV4_ROUTE / RTMGRP_IPV6_ROUTE). Before the first lookup, so no
  // change can slip between reading the table and the subscription.
  static Res<std::unique_ptr<RouteEgress>> open(Family family);

  // The interface for a datagram from `source` to `destination` (bytes of
  // the publication's family). `refresh`: first read pending notifications;
  // after a link or route change (or lost notifications) the table is read
  // again, once (send() refreshes for each datagram, send_batch() once per
  // call). Otherwise a longest-prefix match over the copy: no allocation,
  // no system call but the notification check, a cost that depends on the
  // number of multicast routes, not on the number of groups. Failures of the
  // table's routes are per datagram; a failed read is tried again at the
  // next datagram. Thread-safe (one mutex).
  Result<uint32_t, RouteFailure> select(const IpAddress& source, const IpAddress& destination,
                                        bool refresh) noexcept;

 private:
  // IPv6: whether a route's interface can carry a raw datagram
  // (Ethernet-like), found when the table is read.
  struct Link {
    uint32_t index = 0;
    bool ok = false;
    RouteFailure failure;
  };

  RouteEgress(Family family, platform::NetlinkMonitor monitor) noexcept;
  // Reads the main table (and, for IPv6, its interfaces). Allocates.
  Result<void, RouteFailure> reload() noexcept;

  Family family_;
  std::mutex mutex_;
  platform::NetlinkMonitor monitor_;
  std::vector<platform::NetlinkRoute> routes_;  // main table, multicast-relevant
  std::vector<Link> links_;                     // IPv6: each interface of routes_
  bool stale_ = true;                           // read the table before the next lookup
};

}  // namespace mctx::internal
