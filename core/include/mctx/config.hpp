// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// PublicationConfig: everything needed to open one multicast publication.
// Builder-style setters return *this; validate() checks every rule before any
// socket is created and returns the resolved plan.

#include <cstdint>
#include <optional>
#include <string>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"

namespace mctx {

inline constexpr int kDefaultTtl = 1;
inline constexpr bool kDefaultLoopback = true;

// UDP segmentation offload (GSO) for send_batch(): `automatic` uses it where
// the kernel and the device accept it (probed once per publication, with a
// fallback to one message per datagram for good on a refusal); `off` never.
enum class Gso : uint8_t { automatic, off };
MCTX_API const char* gso_name(Gso g) noexcept;  // "auto" / "off"
inline constexpr Gso kDefaultGso = Gso::automatic;

// What validate() worked out: the exact socket plan.
struct MCTX_API ResolvedConfig {
  Family family = Family::ipv4;
  // Destination the socket connects to. IPv6: scope ID kept only for
  // ff?1/ff?2 groups, 0 for wider scopes.
  Endpoint destination;
  // Local address the socket binds to (address may be unspecified, port 0 =
  // ephemeral). Comes from bind, else source address/port, else (IPv6 with an
  // interface given as address) that address.
  Endpoint bind;
  bool needs_bind = false;  // false: leave the socket unbound until connect
  // Outgoing interface index (0 = system routing).
  uint32_t interface_index = 0;
  // IPv4 only: the address given to IP_MULTICAST_IF, which Linux uses as the
  // source of unbound sockets: the interface address if one was given, else
  // the source address, else the first IPv4 address of the named/indexed
  // interface (so that lo sends from 127.0.0.1, not 0.0.0.0).
  std::optional<IpAddress> interface_address;
};

class MCTX_API PublicationConfig {
 public:
  PublicationConfig() = default;
  PublicationConfig(IpAddress group, uint16_t port) : group_(group), port_(port) {}

  PublicationConfig& with_group(IpAddress g) { group_ = g; return *this; }
  PublicationConfig& with_port(uint16_t p) { port_ = p; return *this; }
  // Exact local source address to bind (not the interface: see ipv6.md).
  PublicationConfig& with_source_address(IpAddress a) { source_address_ = a; return *this; }
  PublicationConfig& with_source_port(uint16_t p) { source_port_ = p; return *this; }
  // Exact bind (address and port). IPv6 scope carries into the interface.
  PublicationConfig& with_bind(Endpoint e) { bind_ = e; return *this; }
  PublicationConfig& with_interface(InterfaceSpec i) { interface_ = std::move(i); return *this; }
  // TTL / hop limit, 0..255.
  PublicationConfig& with_ttl(int ttl) { ttl_ = ttl; return *this; }
  PublicationConfig& with_loopback(bool on) { loopback_ = on; return *this; }
  // DSCP 0..63, written into the upper six bits of TOS / traffic class.
  PublicationConfig& with_dscp(int dscp) { dscp_ = dscp; return *this; }
  // SO_SNDBUF in bytes (> 0); unset = system default.
  PublicationConfig& with_send_buffer_size(int bytes) { send_buffer_size_ = bytes; return *this; }
  // Segmentation offload for batches (default automatic).
  PublicationConfig& with_gso(Gso g) { gso_ = g; return *this; }
  // Pacing: at most this many bits per second at the IP level (headers
  // included), in bursts of about 1 ms at most; 0 = unpaced (the default).
  // See Publication::pace_delay().
  PublicationConfig& with_max_rate(uint64_t bits_per_second) { max_rate_ = bits_per_second; return *this; }

  const IpAddress& group() const noexcept { return group_; }
  uint16_t port() const noexcept { return port_; }
  const std::optional<IpAddress>& source_address() const noexcept { return source_address_; }
  const std::optional<uint16_t>& source_port() const noexcept { return source_port_; }
  const std::optional<Endpoint>& bind() const noexcept { return bind_; }
  const InterfaceSpec& interface() const noexcept { return interface_; }
  int ttl() const noexcept { return ttl_; }
  bool loopback() const noexcept { return loopback_; }
  const std::optional<int>& dscp() const noexcept { return dscp_; }
  const std::optional<int>& send_buffer_size() const noexcept { return send_buffer_size_; }
  Gso gso() const noexcept { return gso_; }
  uint64_t max_rate() const noexcept { return max_rate_; }

  // Checks every rule (see docs/usage.md, "Validation rules") and resolves
  // interface names/addresses to indexes. Looks at the host's interfaces;
  // creates no socket.
  Res<ResolvedConfig> validate() const;

  friend bool operator==(const PublicationConfig&, const PublicationConfig&) = default;

 private:
  IpAddress group_{};
  uint16_t port_ = 0;
  std::optional<IpAddress> source_address_;
  std::optional<uint16_t> source_port_;
  std::optional<Endpoint> bind_;
  InterfaceSpec interface_;
  int ttl_ = kDefaultTtl;
  bool loopback_ = kDefaultLoopback;
  std::optional<int> dscp_;
  std::optional<int> send_buffer_size_;
  Gso gso_ = kDefaultGso;
  uint64_t max_rate_ = 0;
};

}  // namespace mctx
