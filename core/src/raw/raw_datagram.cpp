// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw datagrams: the validator, the Internet checksum and the UDP-in-IP
// builder. Nothing here touches the network or allocates on the validation
// path.

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "common/internal.hpp"
#include "mctx/raw.hpp"

namespace mctx {

namespace {

using u8 = uint8_t;

inline uint16_t load16(const u8* p) noexcept {
  return static_cast<uint16_t>((static_cast<unsigned>(p[0]) << 8) | p[1]);
}
inline uint32_t load32(const u8* p) noexcept {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}
inline void store16(u8* p, uint16_t v) noexcept {
  p[0] = static_cast<u8>(v >> 8);
  p[1] = static_cast<u8>(v);
}
inline void store32(u8* p, uint32_t v) noexcept {
  p[0] = static_cast<u8>(v >> 24);
  p[1] = static_cast<u8>(v >> 16);
  p[2] = static_cast<u8>(v >> 8);
  p[3] = static_cast<u8>(v);
}

// Ones' complement sum of 16-bit big-endian words, not folded. `len` may be
// odd: the last byte is padded with zero (callers only pass an odd length for
// the final piece of a checksummed run).
uint64_t sum_words(const u8* p, std::size_t len, uint64_t acc) noexcept {
  while (len >= 2) {
    acc += load16(p);
    p += 2;
    len -= 2;
  }
  if (len == 1) acc += static_cast<uint64_t>(p[0]) << 8;
  return acc;
}

uint16_t fold(uint64_t acc) noexcept {
  while ((acc >> 16) != 0) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

IpAddress ipv4_at(const u8* p) noexcept {
  in_addr a{};
  std::memcpy(&a.s_addr, p, 4);
  return IpAddress::v4(a);
}

IpAddress ipv6_at(const u8* p) noexcept {
  in6_addr a{};
  std::memcpy(a.s6_addr, p, 16);
  return IpAddress::v6(a);
}

bool all_zero(const u8* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

using Checked = Result<RawDatagramInfo, RawDatagramError>;

Checked fail(Errc code, Family family, std::size_t size, uint32_t value = 0,
             uint32_t expected = 0) noexcept {
  RawDatagramError e;
  e.code = code;
  e.family = family;
  e.size = size;
  e.value = value;
  e.expected = expected;
  return unexpected(e);
}

Checked address_fail(Errc code, Family family, std::size_t size, const IpAddress& a) noexcept {
  auto r = fail(code, family, size);
  r.error().address = a;
  return r;
}

// The checks themselves. `head` holds the first `head_len` bytes of the
// datagram, head_len == min(total, kIpv4MaxHeaderSize); `total` is the
// datagram's size. Every read below is bounded by head_len. Raw mode needs
// a multicast destination of link-local or wider scope; raw IP control
// transmit (!multicast_only) takes any destination but the unspecified one.
Checked check(const u8* head, std::size_t head_len, std::size_t total,
              std::optional<Family> expected, bool multicast_only = true) noexcept {
  if (total == 0 || head_len == 0) {
    return fail(Errc::raw_datagram_too_short, expected.value_or(Family::ipv4), 0, 0,
                static_cast<uint32_t>(kIpv4MinHeaderSize));
  }
  const unsigned version = head[0] >> 4;
  if (version != 4 && version != 6) {
    return fail(Errc::raw_bad_version, expected.value_or(Family::ipv4), total, version);
  }
  const Family family = version == 4 ? Family::ipv4 : Family::ipv6;
  if (expected && *expected != family) {
    auto r = fail(Errc::raw_family_mismatch, family, total, version);
    r.error().expected_family = *expected;
    return r;
  }

  RawDatagramInfo info;
  info.family = family;
  info.size = total;

  if (family == Family::ipv4) {
    if (total < kIpv4MinHeaderSize || head_len < kIpv4MinHeaderSize) {
      return fail(Errc::raw_datagram_too_short, family, total, static_cast<uint32_t>(total),
                  static_cast<uint32_t>(kIpv4MinHeaderSize));
    }
    const std::size_t hlen = static_cast<std::size_t>(head[0] & 0x0f) * 4;
    if (hlen < kIpv4MinHeaderSize) {
      return fail(Errc::raw_bad_header_length, family, total, static_cast<uint32_t>(hlen),
                  static_cast<uint32_t>(kIpv4MinHeaderSize));
    }
    if (hlen > total || hlen > head_len) {
      return fail(Errc::raw_bad_header_length, family, total, static_cast<uint32_t>(hlen),
                  static_cast<uint32_t>(total > UINT32_MAX ? UINT32_MAX : total));
    }
    const uint16_t total_length = load16(head + 2);
    if (total_length != total) {
      return fail(Errc::raw_bad_total_length, family, total, total_length,
                  static_cast<uint32_t>(total > UINT32_MAX ? UINT32_MAX : total));
    }
    // A header is valid when the ones' complement sum over it, checksum
    // included, is all ones (RFC 1071).
    if (fold(sum_words(head, hlen, 0)) != 0xffff) {
      const uint16_t stored = load16(head + 10);
      // What the field should hold: the checksum over the header with the
      // field itself left out.
      const uint16_t computed = static_cast<uint16_t>(
          ~fold(sum_words(head + 12, hlen - 12, sum_words(head, 10, 0))) & 0xffff);
      return fail(Errc::raw_bad_checksum, family, total, stored, computed);
    }
    info.header_size = hlen;
    info.traffic_class = head[1];
    info.ttl = head[8];
    info.protocol = head[9];
    info.source = ipv4_at(head + 12);
    info.destination = ipv4_at(head + 16);
    const u8* src = head + 12;
    Errc source_rule = Errc::ok;
    if (all_zero(src, 4)) {
      source_rule = Errc::raw_source_unspecified;
    } else if (src[0] == 0) {
      source_rule = Errc::raw_source_this_network;
    } else if (src[0] == 127) {
      source_rule = Errc::raw_source_loopback;
    } else if ((src[0] & 0xf0) == 0xe0) {
      source_rule = Errc::raw_source_multicast;
    } else if (load32(src) == 0xffffffffu) {
      source_rule = Errc::raw_source_broadcast;
    }
    if (source_rule != Errc::ok) return address_fail(source_rule, family, total, info.source);
    if (!multicast_only) {
      if (all_zero(head + 16, 4)) {
        return address_fail(Errc::raw_destination_unspecified, family, total, info.destination);
      }
    } else if ((head[16] & 0xf0) != 0xe0) {
      return address_fail(Errc::raw_destination_not_multicast, family, total, info.destination);
    }
    if (info.ttl == 0) return fail(Errc::raw_ttl_zero, family, total, 0, 1);
    return info;
  }

  // IPv6
  if (total < kIpv6HeaderSize || head_len < kIpv6HeaderSize) {
    return fail(Errc::raw_datagram_too_short, family, total, static_cast<uint32_t>(total),
                static_cast<uint32_t>(kIpv6HeaderSize));
  }
  const uint16_t payload_length = load16(head + 4);
  if (static_cast<std::size_t>(payload_length) + kIpv6HeaderSize != total) {
    return fail(Errc::raw_bad_payload_length, family, total, payload_length,
                static_cast<uint32_t>(total > UINT32_MAX ? UINT32_MAX : total));
  }
  const uint32_t first_word = load32(head);
  info.header_size = kIpv6HeaderSize;
  info.traffic_class = static_cast<uint8_t>((first_word >> 20) & 0xff);
  info.flow_label = first_word & 0xfffff;
  info.protocol = head[6];
  info.ttl = head[7];
  info.source = ipv6_at(head + 8);
  info.destination = ipv6_at(head + 24);
  const u8* src = head + 8;
  Errc source_rule = Errc::ok;
  if (all_zero(src, 16)) {
    source_rule = Errc::raw_source_unspecified;
  } else if (all_zero(src, 15) && src[15] == 1) {
    source_rule = Errc::raw_source_loopback;
  } else if (src[0] == 0xff) {
    source_rule = Errc::raw_source_multicast;
  }
  if (source_rule != Errc::ok) return address_fail(source_rule, family, total, info.source);
  if (!multicast_only) {
    if (all_zero(head + 24, 16)) {
      return address_fail(Errc::raw_destination_unspecified, family, total, info.destination);
    }
  } else if (head[24] != 0xff) {
    return address_fail(Errc::raw_destination_not_multicast, family, total, info.destination);
  } else if (const unsigned scope = head[25] & 0x0f; scope <= 1) {
    auto r = address_fail(Errc::raw_destination_bad_scope, family, total, info.destination);
    r.error().value = scope;
    return r;
  }
  if (info.ttl == 0) return fail(Errc::raw_ttl_zero, family, total, 0, 1);
  return info;
}

std::string hex16(uint32_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(v & 0xffff));
  return buf;
}

}  // namespace

Result<RawDatagramInfo, RawDatagramError> validate_raw_datagram(
    std::span<const std::byte> datagram, std::optional<Family> expected) noexcept {
  const auto* p = reinterpret_cast<const u8*>(datagram.data());
  const std::size_t n = datagram.size();
  return check(p, n < kIpv4MaxHeaderSize ? n : kIpv4MaxHeaderSize, n, expected);
}

Result<RawDatagramInfo, RawDatagramError> validate_raw_datagram(
    const iovec* iov, std::size_t count, std::optional<Family> expected) noexcept {
  return internal::validate_ip_header(iov, count, expected, true);
}

Result<RawDatagramInfo, RawDatagramError> internal::validate_ip_header(
    const iovec* iov, std::size_t count, std::optional<Family> expected,
    bool multicast_only) noexcept {
  // Gather the first bytes (at most the largest IPv4 header) into a stack
  // buffer and add up the size; the payload is never read.
  u8 head[kIpv4MaxHeaderSize];
  std::size_t head_len = 0;
  std::size_t total = 0;
  bool readable = true;  // false after a non-empty buffer with a null base
  for (std::size_t i = 0; iov != nullptr && i < count; ++i) {
    const std::size_t len = iov[i].iov_len;
    if (len == 0) continue;
    if (iov[i].iov_base == nullptr) readable = false;
    if (readable && head_len < sizeof head) {
      const std::size_t take = std::min(len, sizeof head - head_len);
      std::memcpy(head + head_len, iov[i].iov_base, take);
      head_len += take;
    }
    // Saturate: no real datagram comes near SIZE_MAX, and a wrapped sum
    // must not look like a small valid one.
    total = len > SIZE_MAX - total ? SIZE_MAX : total + len;
  }
  // With an unreadable buffer head_len may be below min(total, 60); check()
  // bounds every read by head_len and reports such a datagram as too short.
  return check(head, head_len, total, expected, multicast_only);
}

uint16_t internet_checksum(std::span<const std::byte> data) noexcept {
  return static_cast<uint16_t>(
      ~fold(sum_words(reinterpret_cast<const u8*>(data.data()), data.size(), 0)) & 0xffff);
}

void fix_ipv4_header_checksum(std::span<std::byte> datagram) noexcept {
  if (datagram.size() < kIpv4MinHeaderSize) return;
  auto* p = reinterpret_cast<u8*>(datagram.data());
  const std::size_t hlen = static_cast<std::size_t>(p[0] & 0x0f) * 4;
  if (hlen < kIpv4MinHeaderSize || hlen > datagram.size()) return;
  store16(p + 10, 0);
  store16(p + 10, static_cast<uint16_t>(~fold(sum_words(p, hlen, 0)) & 0xffff));
}

std::string RawDatagramError::message() const {
  const std::string fam = family_name(family);
  const std::string sz = std::to_string(size);
  switch (code) {
    case Errc::ok:
      return "datagram is valid";
    case Errc::raw_datagram_too_short:
      if (size == 0) {
        return "datagram is empty: an IP datagram needs at least 20 bytes (IPv4) or 40 bytes "
               "(IPv6)";
      }
      if (family == Family::ipv6) {
        return "IPv6 datagram of " + sz + " bytes is shorter than the 40-byte IPv6 header";
      }
      return "IPv4 datagram of " + sz + " bytes is shorter than the minimum IPv4 header of " +
             "20 bytes";
    case Errc::raw_bad_version:
      return "IP version " + std::to_string(value) +
             " (first 4 bits of the datagram) is neither 4 nor 6";
    case Errc::raw_family_mismatch:
      return "datagram is " + fam + " but this raw publication sends " +
             family_name(expected_family) + " datagrams";
    case Errc::raw_bad_header_length:
      if (value < kIpv4MinHeaderSize) {
        return "IPv4 header length (IHL) " + std::to_string(value) +
               " bytes is below the minimum of 20 bytes";
      }
      return "IPv4 header length (IHL) " + std::to_string(value) +
             " bytes exceeds the datagram size " + sz;
    case Errc::raw_bad_total_length:
      return "IPv4 total length " + std::to_string(value) + " does not match the datagram size " +
             sz;
    case Errc::raw_bad_checksum:
      return "IPv4 header checksum " + hex16(value) + " is wrong (expected " + hex16(expected) +
             ")";
    case Errc::raw_bad_payload_length:
      return "IPv6 payload length " + std::to_string(value) + " + 40-byte header = " +
             std::to_string(static_cast<uint64_t>(value) + kIpv6HeaderSize) +
             " does not match the datagram size " + sz;
    case Errc::raw_source_unspecified:
      return "source address " + address.to_string() + " of the " + fam +
             " datagram is unspecified: a raw datagram must carry its real source";
    case Errc::raw_destination_not_multicast:
      return "destination " + address.to_string() + " of the " + fam +
             " datagram is not a multicast address";
    case Errc::raw_source_this_network:
      return "source address " + address.to_string() + " of the " + fam +
             " datagram is in 0.0.0.0/8 (\"this network\"), which a datagram on a link must "
             "not carry as its source";
    case Errc::raw_source_loopback:
      return "source address " + address.to_string() + " of the " + fam +
             " datagram is a loopback address, which must never appear on a network";
    case Errc::raw_source_multicast:
      return "source address " + address.to_string() + " of the " + fam +
             " datagram is a multicast address: a source must be a unicast address";
    case Errc::raw_source_broadcast:
      return "source address " + address.to_string() + " of the " + fam +
             " datagram is the broadcast address: a source must be a unicast address";
    case Errc::raw_destination_bad_scope:
      return "destination " + address.to_string() + " of the " + fam + " datagram has scope " +
             std::to_string(value) +
             (value == 0 ? " (reserved)" : " (interface-local, never sent on a link)") +
             ": raw mode sends only groups of scope 2 (link-local) or wider";
    case Errc::raw_ttl_zero:
      return std::string(family == Family::ipv6 ? "hop limit" : "TTL") + " 0 of the " + fam +
             " datagram: a datagram must not be sent with " +
             (family == Family::ipv6 ? "hop limit" : "TTL") + " 0 (at least 1)";
    case Errc::raw_destination_unspecified:
      return "destination " + address.to_string() + " of the " + fam +
             " datagram is unspecified: give the address the datagram is for";
    case Errc::raw_ip_source_mismatch:
      return "source " + address.to_string() +
             " of the IPv6 datagram differs from the bind address " +
             expected_address.to_string() +
             ": the kernel builds the IPv6 header with the bound source, so the datagram must "
             "carry that source";
    case Errc::raw_ip_next_header_unsupported:
      return "IPv6 Next Header " + std::to_string(value) +
             (value == 0 ? " (Hop-by-Hop Options)" : " (reserved, IPPROTO_RAW)") +
             " cannot follow a kernel-built IPv6 header: raw IP transmit sends the datagram's "
             "payload after a header the kernel writes";
    default:
      return std::string("invalid raw datagram (") + errc_name(code) + ")";
  }
}

// ---------------------------------------------------------------- builder

std::size_t udp_datagram_size(const UdpDatagramSpec& spec) noexcept {
  const std::size_t udp = kUdpHeaderSize + spec.payload.size();
  if (spec.source.is_v4()) return kIpv4MinHeaderSize + spec.ipv4_options.size() + udp;
  return kIpv6HeaderSize + spec.ipv6_extension_headers.size() + udp;
}

Res<std::size_t> build_udp_datagram(const UdpDatagramSpec& spec, std::span<std::byte> out) {
  const Family family = spec.source.family();
  if (spec.destination.family() != family) {
    return unexpected(make_error(
        Errc::source_family_mismatch,
        "source " + spec.source.to_string() + " is " + family_name(family) + " but destination " +
            spec.destination.to_string() + " is " + family_name(spec.destination.family())));
  }
  const std::size_t udp_len = kUdpHeaderSize + spec.payload.size();
  const std::size_t size = udp_datagram_size(spec);
  std::size_t limit = 0;
  std::size_t ip_part = 0;  // bytes counted by IPv4 total length / IPv6 payload length
  if (family == Family::ipv4) {
    if (spec.ipv4_options.size() % 4 != 0 || spec.ipv4_options.size() > 40) {
      return unexpected(
          make_error(Errc::raw_bad_header_length,
                     "IPv4 options of " + std::to_string(spec.ipv4_options.size()) +
                         " bytes: the length must be a multiple of 4 and at most 40"));
    }
    if (!spec.ipv6_extension_headers.empty()) {
      return unexpected(make_error(Errc::raw_family_mismatch,
                                   "IPv6 extension headers given for an IPv4 datagram"));
    }
    limit = 65535;
    ip_part = size;
  } else {
    if (spec.ipv6_extension_headers.size() % 8 != 0) {
      return unexpected(make_error(Errc::raw_bad_header_length,
                                   "IPv6 extension headers of " +
                                       std::to_string(spec.ipv6_extension_headers.size()) +
                                       " bytes: the length must be a multiple of 8"));
    }
    if (!spec.ipv4_options.empty()) {
      return unexpected(
          make_error(Errc::raw_family_mismatch, "IPv4 options given for an IPv6 datagram"));
    }
    if (spec.flow_label > 0xfffff) {
      return unexpected(make_error(Errc::raw_bad_header_length,
                                   "IPv6 flow label " + std::to_string(spec.flow_label) +
                                       " does not fit in 20 bits (0..1048575)"));
    }
    limit = 65535;
    ip_part = size - kIpv6HeaderSize;
  }
  if (udp_len > 65535 || ip_part > limit) {
    return unexpected(make_error(Errc::message_too_long,
                                 "UDP payload of " + std::to_string(spec.payload.size()) +
                                     " bytes makes a " + std::to_string(size) + "-byte " +
                                     family_name(family) + " datagram, more than its length " +
                                     "field can describe"));
  }
  if (out.size() < size) {
    return unexpected(
        make_error(Errc::message_too_long, "output buffer of " + std::to_string(out.size()) +
                                               " bytes is too small for the " +
                                               std::to_string(size) + "-byte datagram"));
  }

  auto* p = reinterpret_cast<u8*>(out.data());
  const auto& src = spec.source.bytes();
  const auto& dst = spec.destination.bytes();
  u8* udp = nullptr;
  uint64_t pseudo = 0;
  if (family == Family::ipv4) {
    const std::size_t hlen = kIpv4MinHeaderSize + spec.ipv4_options.size();
    p[0] = static_cast<u8>(0x40 | (hlen / 4));
    p[1] = spec.traffic_class;
    store16(p + 2, static_cast<uint16_t>(size));
    store16(p + 4, spec.ipv4_id);
    store16(p + 6, spec.ipv4_dont_fragment ? 0x4000 : 0);
    p[8] = spec.ttl;
    p[9] = 17;  // UDP
    store16(p + 10, 0);
    std::memcpy(p + 12, src.data(), 4);
    std::memcpy(p + 16, dst.data(), 4);
    if (!spec.ipv4_options.empty()) {
      std::memcpy(p + 20, spec.ipv4_options.data(), spec.ipv4_options.size());
    }
    store16(p + 10, static_cast<uint16_t>(~fold(sum_words(p, hlen, 0)) & 0xffff));
    udp = p + hlen;
    pseudo = sum_words(src.data(), 4, 0);
    pseudo = sum_words(dst.data(), 4, pseudo);
    pseudo += 17;
    pseudo += udp_len;
  } else {
    const bool ext = !spec.ipv6_extension_headers.empty();
    store32(p, (6u << 28) | (static_cast<uint32_t>(spec.traffic_class) << 20) | spec.flow_label);
    store16(p + 4, static_cast<uint16_t>(ip_part));
    p[6] = ext ? spec.ipv6_first_extension : 17;
    p[7] = spec.ttl;
    std::memcpy(p + 8, src.data(), 16);
    std::memcpy(p + 24, dst.data(), 16);
    if (ext) {
      std::memcpy(p + 40, spec.ipv6_extension_headers.data(), spec.ipv6_extension_headers.size());
    }
    udp = p + kIpv6HeaderSize + spec.ipv6_extension_headers.size();
    pseudo = sum_words(src.data(), 16, 0);
    pseudo = sum_words(dst.data(), 16, pseudo);
    pseudo += udp_len;  // 32-bit upper-layer length; fits in 16 bits here
    pseudo += 17;
  }
  store16(udp, spec.source_port);
  store16(udp + 2, spec.destination_port);
  store16(udp + 4, static_cast<uint16_t>(udp_len));
  store16(udp + 6, 0);
  if (!spec.payload.empty()) std::memcpy(udp + 8, spec.payload.data(), spec.payload.size());
  uint16_t csum = static_cast<uint16_t>(~fold(sum_words(udp, udp_len, pseudo)) & 0xffff);
  if (csum == 0) csum = 0xffff;  // 0 means "no checksum" (RFC 768)
  store16(udp + 6, csum);
  return size;
}

}  // namespace mctx
