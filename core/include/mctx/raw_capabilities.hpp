// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// What raw mode can do on this platform, per family (raw_capabilities()).

#include "mctx/address.hpp"
#include "mctx/export.hpp"

namespace mctx {

// ------------------------------------------------------------ capabilities

// What this build and platform can do for one family.
struct MCTX_API RawFamilySupport {
  bool supported = false;           // raw sending of this family is implemented here
  const char* method = "";          // how datagrams are sent
  bool interface_required = false;  // an explicit outgoing interface is needed
  bool local_loopback = false;      // can also deliver to receivers on this host
  const char* kernel_fills = "";    // header fields the kernel may change
  const char* link_types = "";      // links it works on
  // RawPublicationConfig::with_route_selected_egress() works: the interface
  // is chosen per datagram from the kernel's main routing table.
  bool route_selected_egress = false;
  const char* route_egress_method = "";  // how the route is found and followed
};

struct MCTX_API RawCapabilities {
  const char* platform = "";
  RawFamilySupport ipv4;
  RawFamilySupport ipv6;
  // Whether this process may open raw sockets now (probed by opening and
  // closing one; nothing is sent). Without it, opening a RawPublication fails
  // with Errc::raw_not_permitted.
  bool permitted = false;
};

MCTX_API RawCapabilities raw_capabilities() noexcept;

// The sentence used for Errc::raw_not_permitted.
inline constexpr const char* kRawNotPermittedHint =
    "raw mode needs CAP_NET_RAW (run as root, or setcap cap_net_raw+ep on the program)";

}  // namespace mctx
