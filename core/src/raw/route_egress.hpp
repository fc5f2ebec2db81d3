// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Route-selected egress of a raw publication: for each datagram, the
// interface the kernel's main routing table gives its destination (and
// source), cached until an rtnetlink notification says a link or a route
// changed. Internal header: not installed.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

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
  // change can slip between a lookup and the subscription.
  static Res<std::unique_ptr<RouteEgress>> open(Family family);

  // The interface for a datagram from `source` to `destination` (bytes of
  // the publication's family). `refresh`: first read pending notifications
  // and forget every cached decision if a link or route changed (send()
  // refreshes for each datagram, send_batch() once per call). A cache hit
  // makes no allocation and, without refresh, no system call; a miss dumps
  // the main table (allocates). Failures are cached like decisions, except
  // a failed dump. Thread-safe (one mutex).
  Result<uint32_t, RouteFailure> select(const IpAddress& source, const IpAddress& destination,
                                        bool refresh) noexcept;

 private:
  struct Entry {
    bool used = false;
    std::array<uint8_t, 16> source{};
    std::array<uint8_t, 16> destination{};
    uint32_t ifindex = 0;
    RouteFailure failure;
    bool ok = false;
  };
  static constexpr std::size_t kCacheSize = 16;

  RouteEgress(Family family, platform::NetlinkMonitor monitor) noexcept;
  Result<uint32_t, RouteFailure> look_up(const IpAddress& source,
                                         const IpAddress& destination) noexcept;

  Family family_;
  std::mutex mutex_;
  platform::NetlinkMonitor monitor_;
  Entry cache_[kCacheSize];
  std::size_t next_slot_ = 0;
};

}  // namespace mctx::internal
