// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Raw datagrams: validate_raw_datagram() checks one complete IPv4/IPv6
// multicast datagram and tells what it is (it reads nothing outside the
// buffer, never allocates and never throws); build_udp_datagram() writes a
// complete UDP-in-IP datagram with correct checksums (for tools and tests).
// See docs/raw.md.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"

namespace mctx {

// ---------------------------------------------------------------- datagrams

inline constexpr std::size_t kIpv4MinHeaderSize = 20;
inline constexpr std::size_t kIpv4MaxHeaderSize = 60;
inline constexpr std::size_t kIpv6HeaderSize = 40;
inline constexpr std::size_t kUdpHeaderSize = 8;
// Largest IP datagram raw mode accepts (IPv4 total length / IPv6 payload
// length + 40; IPv6 jumbograms are not supported).
inline constexpr std::size_t kRawMaxDatagramSize = 65535 + kIpv6HeaderSize;

// What validate_raw_datagram() found in a valid datagram.
struct MCTX_API RawDatagramInfo {
  Family family = Family::ipv4;
  IpAddress source;       // as in the header (never unspecified)
  IpAddress destination;  // as in the header (always multicast)
  // IPv4 protocol / IPv6 Next Header of the fixed header (for IPv6 with
  // extension headers this is the first extension header's type).
  uint8_t protocol = 0;
  uint8_t ttl = 0;              // IPv4 TTL / IPv6 hop limit
  uint8_t traffic_class = 0;    // IPv4 TOS / IPv6 traffic class
  uint32_t flow_label = 0;      // IPv6 only
  std::size_t header_size = 0;  // IPv4 IHL * 4 / 40 for IPv6
  std::size_t size = 0;         // whole datagram in bytes
};

// Why a datagram is invalid. Plain data: building it never allocates, so the
// send path can return it; message() formats the sentence on demand
// ("IPv4 total length 60 does not match the datagram size 48").
struct MCTX_API RawDatagramError {
  Errc code = Errc::ok;
  Family family = Family::ipv4;           // family the datagram claims
  Family expected_family = Family::ipv4;  // raw_family_mismatch: configured family
  std::size_t size = 0;                   // bytes in the datagram
  uint32_t value = 0;                     // the offending field's value
  uint32_t expected = 0;                  // what the rule needed (numeric rules)
  IpAddress address;                      // the offending address (address rules)
  IpAddress expected_address;             // raw_ip_source_mismatch: the bind address

  std::string message() const;  // allocates; call only when reporting
};

// Checks one complete IP datagram, in this order:
//   raw_datagram_too_short       empty, IPv4 < 20 bytes, IPv6 < 40 bytes
//   raw_bad_version              version nibble neither 4 nor 6
//   raw_family_mismatch          family differs from `expected` (when given)
//   raw_bad_header_length        IPv4 IHL < 5, or IHL * 4 > datagram size
//   raw_bad_total_length         IPv4 total length != datagram size
//   raw_bad_checksum             IPv4 header checksum wrong
//   raw_bad_payload_length       IPv6 payload length + 40 != datagram size
//   raw_source_unspecified       source 0.0.0.0 / ::
//   raw_source_this_network      IPv4 source in 0.0.0.0/8 (RFC 1122: only
//                                as a source while a host learns its address)
//   raw_source_loopback          source 127.0.0.0/8 / ::1 (never leaves a host)
//   raw_source_multicast         source 224.0.0.0/4 / ff00::/8
//   raw_source_broadcast         IPv4 source 255.255.255.255
//   raw_destination_not_multicast
//   raw_destination_bad_scope    IPv6 group of scope 0 (reserved, ff?0::) or
//                                1 (interface-local, ff?1::: never on a link)
//   raw_ttl_zero                 IPv4 TTL / IPv6 hop limit 0 (RFC 791 and
//                                RFC 8200: such a datagram must not be sent)
// Address rules carry the address in RawDatagramError::address, numeric
// rules the field's value in RawDatagramError::value. Reads only bytes
// inside the buffer for any input. Never allocates, never throws.
//
// is_raw_datagram_error() is true exactly for the codes of this list: a
// datagram rejected by validation, never handed to the kernel.
// (It is also true for the rules only RawIpPublication applies, see
// <mctx/raw_ip.hpp>.)
constexpr bool is_raw_datagram_error(Errc code) noexcept {
  return (code >= Errc::raw_datagram_too_short && code <= Errc::raw_destination_not_multicast) ||
         (code >= Errc::raw_source_multicast && code <= Errc::raw_destination_bad_scope) ||
         (code >= Errc::raw_destination_unspecified &&
          code <= Errc::raw_ip_next_header_unsupported);
}
MCTX_API Result<RawDatagramInfo, RawDatagramError> validate_raw_datagram(
    std::span<const std::byte> datagram, std::optional<Family> expected = std::nullopt) noexcept;
// The same for a datagram gathered from several buffers (any split; empty
// buffers allowed). iov may be null when count is 0.
MCTX_API Result<RawDatagramInfo, RawDatagramError> validate_raw_datagram(
    const iovec* iov, std::size_t count, std::optional<Family> expected = std::nullopt) noexcept;

// The Internet checksum (RFC 1071) of a buffer: the ones' complement of the
// ones' complement sum of its 16-bit big-endian words (an odd last byte is
// padded with zero). Returned in host order.
MCTX_API uint16_t internet_checksum(std::span<const std::byte> data) noexcept;
// Recomputes the header checksum of an IPv4 datagram in place (checksum field
// zeroed first). Does nothing if the buffer is shorter than the header its
// IHL claims, or than 20 bytes. For tools and tests.
MCTX_API void fix_ipv4_header_checksum(std::span<std::byte> datagram) noexcept;

// A UDP-in-IP datagram to build.
struct MCTX_API UdpDatagramSpec {
  IpAddress source;       // written into the header; any address of the family
  IpAddress destination;  // same family as source
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  std::span<const std::byte> payload;
  uint8_t ttl = 1;            // IPv4 TTL / IPv6 hop limit
  uint8_t traffic_class = 0;  // IPv4 TOS byte / IPv6 traffic class
  uint32_t flow_label = 0;    // IPv6, 20 bits
  uint16_t ipv4_id = 0;       // IPv4 identification
  bool ipv4_dont_fragment = false;
  // IPv4 options, written after the fixed header; length a multiple of 4, at
  // most 40 bytes.
  std::span<const std::byte> ipv4_options;
  // IPv6 extension headers, written between the fixed header and UDP exactly
  // as given: the caller chains their Next Header fields, and the last one
  // must name UDP (17). ipv6_first_extension is the fixed header's Next
  // Header when extension headers are present. Length a multiple of 8.
  std::span<const std::byte> ipv6_extension_headers;
  uint8_t ipv6_first_extension = 60;  // Destination Options
};

// Size of the datagram build_udp_datagram() would write.
MCTX_API std::size_t udp_datagram_size(const UdpDatagramSpec& spec) noexcept;
// Writes the datagram into out (IPv4 header checksum and UDP checksum
// computed; a UDP checksum of 0 is sent as 0xffff) and returns its size.
// Errors: source/destination family mismatch (source_family_mismatch),
// flow label > 20 bits, bad option/extension lengths, payload too large
// (message_too_long), out too small (message_too_long).
MCTX_API Res<std::size_t> build_udp_datagram(const UdpDatagramSpec& spec, std::span<std::byte> out);

}  // namespace mctx
