// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// RawPublicationConfig: the interface, bind address and options of one raw
// publication, and what validate() works out (RawResolvedConfig).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"

namespace mctx {

// ------------------------------------------------------------ configuration

// What RawPublicationConfig::validate() worked out.
struct MCTX_API RawResolvedConfig {
  Family family = Family::ipv4;
  // Outgoing interface. 0 = chosen per datagram: by route-selected egress
  // (route_selected), or for IPv4 by the kernel's routing (no interface and
  // no bind address given).
  uint32_t interface_index = 0;
  // The interface of each datagram comes from the kernel's main routing
  // table (RawPublicationConfig::with_route_selected_egress()).
  bool route_selected = false;
  std::string interface_name;                  // "" when interface_index is 0
  std::optional<IpAddress> interface_address;  // IPv4: IP_MULTICAST_IF address
  std::optional<IpAddress> bind;               // IPv4: the raw socket binds to it
  bool loopback = false;                       // IPv4 IP_MULTICAST_LOOP; IPv6 always false
  std::optional<int> send_buffer_size;
};

class MCTX_API RawPublicationConfig {
 public:
  RawPublicationConfig() = default;
  explicit RawPublicationConfig(Family family) : family_(family) {}

  // Family of the datagrams this publication sends; every datagram of the
  // other family is rejected (raw_family_mismatch).
  RawPublicationConfig& with_family(Family f) {
    family_ = f;
    return *this;
  }
  // A local address of the sending host. IPv4: the raw socket is bound to it
  // and, without an interface, it selects the egress (the interface that
  // holds it). Both families: it must be configured on this host, and on the
  // interface when one is given. It is never written into datagrams.
  RawPublicationConfig& with_bind(IpAddress a) {
    bind_ = a;
    return *this;
  }
  // Outgoing interface as address, index or name. Required for IPv6.
  RawPublicationConfig& with_interface(InterfaceSpec i) {
    interface_ = std::move(i);
    return *this;
  }
  // IPv4: deliver to receivers on this host too (IP_MULTICAST_LOOP); default
  // on. IPv6 cannot loop back (link-layer injection); setting true is an error.
  RawPublicationConfig& with_loopback(bool on) {
    loopback_ = on;
    return *this;
  }
  // SO_SNDBUF in bytes (> 0); unset = system default.
  RawPublicationConfig& with_send_buffer_size(int bytes) {
    send_buffer_size_ = bytes;
    return *this;
  }
  // Route-selected egress: each datagram leaves by the interface of the
  // route the kernel's main routing table holds for its destination (and
  // source): longest prefix, then lowest metric. The decision is cached and
  // taken again when a link or route changes (rtnetlink notifications), so a
  // route change moves the stream and a re-created interface is found again.
  // A datagram without a usable route fails alone (Errc::raw_no_route).
  // Refuses an interface or bind address (raw_route_egress_conflict). For
  // IPv6 this replaces the explicit interface; link-local and
  // interface-local groups still need one. See docs/raw.md.
  RawPublicationConfig& with_route_selected_egress(bool on = true) {
    route_selected_egress_ = on;
    return *this;
  }

  Family family() const noexcept { return family_; }
  const std::optional<IpAddress>& bind() const noexcept { return bind_; }
  const InterfaceSpec& interface() const noexcept { return interface_; }
  const std::optional<bool>& loopback() const noexcept { return loopback_; }
  const std::optional<int>& send_buffer_size() const noexcept { return send_buffer_size_; }
  bool route_selected_egress() const noexcept { return route_selected_egress_; }

  // Checks every rule and resolves the interface, looking at the host's
  // interfaces; creates no socket. Errors: bind_family_mismatch,
  // source_unspecified / source_multicast (bind), source_not_local (bind not
  // on this host), interface_* (as for UDP), interface_not_found,
  // source_interface_mismatch (bind on another interface),
  // raw_interface_required (IPv6 without interface or route-selected
  // egress), raw_route_egress_conflict, raw_unsupported_link
  // (IPv6 on a non-Ethernet link), raw_unsupported_platform (IPv6 loopback
  // requested, or no raw support on this platform),
  // invalid_send_buffer_size, interface_lookup_failed.
  Res<RawResolvedConfig> validate() const;

  friend bool operator==(const RawPublicationConfig&, const RawPublicationConfig&) = default;

 private:
  Family family_ = Family::ipv4;
  std::optional<IpAddress> bind_;
  InterfaceSpec interface_;
  std::optional<bool> loopback_;
  std::optional<int> send_buffer_size_;
  bool route_selected_egress_ = false;
};

}  // namespace mctx
