// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Addresses, endpoints and interface selectors. Plain value types.

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mctx/error.hpp"
#include "mctx/export.hpp"

namespace mctx {

enum class Family : uint8_t { ipv4 = 4, ipv6 = 6 };
MCTX_API const char* family_name(Family f) noexcept;  // "IPv4" / "IPv6"

// An IPv4 or IPv6 address. IPv6 addresses may carry a scope ID.
class MCTX_API IpAddress {
 public:
  IpAddress() = default;  // IPv4 0.0.0.0
  static IpAddress v4(const in_addr& a) noexcept;
  static IpAddress v4(uint32_t host_order) noexcept;
  static IpAddress v6(const in6_addr& a, uint32_t scope_id = 0) noexcept;
  static IpAddress any(Family f) noexcept;

  // "239.1.2.3", "ff3e::1", "fe80::1%eth0", "fe80::1%7". Surrounding
  // brackets ("[ff3e::1]") are accepted for IPv6. A scope given as a name is
  // resolved with if_nametoindex; an unknown name is Errc::interface_not_found.
  static Res<IpAddress> parse(std::string_view text);

  Family family() const noexcept { return family_; }
  bool is_v4() const noexcept { return family_ == Family::ipv4; }
  bool is_v6() const noexcept { return family_ == Family::ipv6; }
  bool is_unspecified() const noexcept;
  bool is_multicast() const noexcept;
  bool is_loopback() const noexcept;
  bool is_link_local_unicast() const noexcept;  // fe80::/10 or 169.254/16
  // Source-specific multicast range: 232.0.0.0/8, or ff3x::/32 (ff3X:0000::/32).
  bool is_ssm() const noexcept;
  // IPv6 multicast scope nibble (0x1 interface-local, 0x2 link-local, 0x5
  // site, 0x8 organisation, 0xe global); 0 for non-multicast / IPv4.
  uint8_t multicast_scope() const noexcept;
  // True for ff?1::/16 and ff?2::/16: the group only means something on one
  // interface, so the destination must carry a scope ID.
  bool needs_scope_id() const noexcept;

  uint32_t scope_id() const noexcept { return scope_id_; }
  IpAddress with_scope_id(uint32_t scope) const noexcept;

  in_addr to_in_addr() const noexcept;    // only for IPv4
  in6_addr to_in6_addr() const noexcept;  // only for IPv6
  const std::array<uint8_t, 16>& bytes() const noexcept { return bytes_; }

  // Canonical text; IPv6 with a non-zero scope as "addr%index".
  std::string to_string() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::ipv4;
  std::array<uint8_t, 16> bytes_{};  // IPv4 in the first 4 bytes
  uint32_t scope_id_ = 0;
};

// Address + UDP port.
struct MCTX_API Endpoint {
  IpAddress address;
  uint16_t port = 0;

  // "1.2.3.4:5000", "[ff3e::1]:5000", "[fe80::1%eth0]:5000".
  static Res<Endpoint> parse(std::string_view text);
  // From a sockaddr_in / sockaddr_in6 (scope ID kept).
  static std::optional<Endpoint> from_sockaddr(const sockaddr* sa, socklen_t len) noexcept;
  // Fills storage, returns the length to pass to the kernel.
  socklen_t to_sockaddr(sockaddr_storage& out) const noexcept;

  std::string to_string() const;  // "1.2.3.4:5000" / "[ff3e::1]:5000"
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// The outgoing interface: nothing (system routing), a local address, an
// interface index or an interface name.
class MCTX_API InterfaceSpec {
 public:
  InterfaceSpec() = default;
  static InterfaceSpec address(IpAddress a) { return InterfaceSpec(Kind::address, a, 0, {}); }
  static InterfaceSpec index(uint32_t i) { return InterfaceSpec(Kind::index, {}, i, {}); }
  static InterfaceSpec name(std::string n) {
    return InterfaceSpec(Kind::name, {}, 0, std::move(n));
  }
  // "192.0.2.1", "fd00::1", "eth0", "7" (index). Syntax only; existence is
  // checked by PublicationConfig::validate().
  static Res<InterfaceSpec> parse(std::string_view text);

  enum class Kind : uint8_t { none, address, index, name };
  Kind kind() const noexcept { return kind_; }
  bool empty() const noexcept { return kind_ == Kind::none; }
  const IpAddress& address_value() const noexcept { return addr_; }
  uint32_t index_value() const noexcept { return index_; }
  const std::string& name_value() const noexcept { return name_; }

  std::string to_string() const;  // "" when none
  friend bool operator==(const InterfaceSpec&, const InterfaceSpec&) = default;

 private:
  InterfaceSpec(Kind k, IpAddress a, uint32_t i, std::string n)
      : kind_(k), addr_(a), index_(i), name_(std::move(n)) {}
  Kind kind_ = Kind::none;
  IpAddress addr_{};
  uint32_t index_ = 0;
  std::string name_;
};

}  // namespace mctx
