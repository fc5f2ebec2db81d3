// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Byte access and small helpers shared by the AMT sources (core/src/amt/).
// Not installed, not exported.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "mctx/address.hpp"
#include "mctx/amt.hpp"

namespace mctx::internal::amt {

using u8 = uint8_t;

inline const u8* bytes_of(std::span<const std::byte> s) noexcept {
  return reinterpret_cast<const u8*>(s.data());
}
inline u8* bytes_of(std::span<std::byte> s) noexcept { return reinterpret_cast<u8*>(s.data()); }

inline uint16_t load16(const u8* p) noexcept {
  return static_cast<uint16_t>((static_cast<unsigned>(p[0]) << 8) | p[1]);
}
inline uint32_t load32(const u8* p) noexcept {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}
inline uint64_t load48(const u8* p) noexcept {
  return (static_cast<uint64_t>(load16(p)) << 32) | load32(p + 2);
}
inline void store16(u8* p, uint16_t v) noexcept {
  p[0] = static_cast<u8>(v >> 8);
  p[1] = static_cast<u8>(v);
}
inline void store32(u8* p, uint32_t v) noexcept {
  store16(p, static_cast<uint16_t>(v >> 16));
  store16(p + 2, static_cast<uint16_t>(v));
}
inline void store48(u8* p, uint64_t v) noexcept {
  store16(p, static_cast<uint16_t>(v >> 32));
  store32(p + 2, static_cast<uint32_t>(v));
}

inline IpAddress ipv4_at(const u8* p) noexcept { return IpAddress::v4(load32(p)); }
inline IpAddress ipv6_at(const u8* p) noexcept {
  in6_addr a{};
  std::memcpy(a.s6_addr, p, 16);
  return IpAddress::v6(a);
}
// b0b1::last (fe80::1, ff02::16).
inline IpAddress ipv6_short(u8 b0, u8 b1, u8 last) noexcept {
  in6_addr a{};
  a.s6_addr[0] = b0;
  a.s6_addr[1] = b1;
  a.s6_addr[15] = last;
  return IpAddress::v6(a);
}
// Writes the address bytes (4 or 16) and returns the count.
inline std::size_t put_address(u8* p, const IpAddress& a) noexcept {
  const std::size_t n = a.is_v4() ? 4 : 16;
  std::memcpy(p, a.bytes().data(), n);
  return n;
}

inline AmtError error(AmtErrc code, uint8_t type, std::size_t offset, uint32_t value = 0,
                      uint32_t expected = 0) noexcept {
  return AmtError{code, type, offset, value, expected};
}

// The Internet checksum of two pieces (`first` of even length) from
// internet_checksum() of each: the ones' complement sums add up.
uint16_t checksum2(std::span<const std::byte> first, std::span<const std::byte> second) noexcept;

// The IPv6 upper-layer checksum (RFC 8200 §8.1) of an ICMPv6 message.
uint16_t icmpv6_checksum(const IpAddress& src, const IpAddress& dst,
                         std::span<const std::byte> message) noexcept;

// The length an encapsulated IP datagram's header declares (IPv4 total
// length, IPv6 40 + payload length). 0 with *err set when the header cannot
// say (empty, too short for its version, version neither 4 nor 6); errors
// name AMT message `type` and byte `offset`.
std::size_t inner_declared_length(std::span<const std::byte> d, uint8_t type, std::size_t offset,
                                  AmtError* err) noexcept;

// Same address, ignoring an IPv6 scope ID.
inline bool same_address(const IpAddress& a, const IpAddress& b) noexcept {
  return a.family() == b.family() && a.bytes() == b.bytes();
}

}  // namespace mctx::internal::amt
