// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// AMT messages (RFC 7450 §5.1): parser, builder, names and error messages.

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <string>

#include "amt/amt_internal.hpp"
#include "mctx/raw.hpp"

namespace mctx {

using namespace internal::amt;

const char* amt_type_name(AmtType t) noexcept {
  switch (t) {
    case AmtType::relay_discovery: return "Relay Discovery";
    case AmtType::relay_advertisement: return "Relay Advertisement";
    case AmtType::request: return "Request";
    case AmtType::membership_query: return "Membership Query";
    case AmtType::membership_update: return "Membership Update";
    case AmtType::multicast_data: return "Multicast Data";
    case AmtType::teardown: return "Teardown";
  }
  return "unknown AMT message";
}

const char* amt_errc_name(AmtErrc e) noexcept {
  switch (e) {
    case AmtErrc::ok: return "ok";
    case AmtErrc::too_short: return "too_short";
    case AmtErrc::bad_version: return "bad_version";
    case AmtErrc::unknown_type: return "unknown_type";
    case AmtErrc::bad_length: return "bad_length";
    case AmtErrc::bad_relay_address_length: return "bad_relay_address_length";
    case AmtErrc::empty_datagram: return "empty_datagram";
    case AmtErrc::inner_bad_version: return "inner_bad_version";
    case AmtErrc::inner_bad_header_length: return "inner_bad_header_length";
    case AmtErrc::inner_bad_length: return "inner_bad_length";
    case AmtErrc::inner_bad_checksum: return "inner_bad_checksum";
    case AmtErrc::inner_bad_protocol: return "inner_bad_protocol";
    case AmtErrc::inner_bad_message: return "inner_bad_message";
    case AmtErrc::inner_bad_type: return "inner_bad_type";
    case AmtErrc::inner_bad_message_checksum: return "inner_bad_message_checksum";
    case AmtErrc::inner_not_v3: return "inner_not_v3";
    case AmtErrc::buffer_too_small: return "buffer_too_small";
    case AmtErrc::mac_too_large: return "mac_too_large";
    case AmtErrc::datagram_too_large: return "datagram_too_large";
    case AmtErrc::bad_record: return "bad_record";
  }
  return "unknown";
}

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string AmtError::message() const {
  const std::string what =
      type >= 1 && type <= 7
          ? std::string("AMT ") + amt_type_name(static_cast<AmtType>(type))
          : std::string(type == 0 ? "AMT message" : "AMT message type " + std::to_string(type));
  const std::string at = " (byte " + std::to_string(offset) + ")";
  const std::string v = std::to_string(value);
  const std::string e = std::to_string(expected);
  switch (code) {
    case AmtErrc::ok: return "no error";
    case AmtErrc::too_short:
      return what + " of " + v + " bytes is too short: it needs at least " + e;
    case AmtErrc::bad_version:
      return what + ": version " + v + at +
             " (high nibble of the first byte) is not 0, the only AMT version";
    case AmtErrc::unknown_type:
      return "AMT message type " + v + at + " is not one of 1..7";
    case AmtErrc::bad_length:
      return what + " of " + v + " bytes: the message is exactly " + e + " bytes";
    case AmtErrc::bad_relay_address_length:
      return what + ": Relay Address field of " + v + " bytes" + at +
             " is neither 4 (IPv4) nor 16 (IPv6)";
    case AmtErrc::empty_datagram:
      return what + " carries no IP datagram" + at;
    case AmtErrc::inner_bad_version:
      return what + ": encapsulated IP version " + v + at + " is neither 4 nor 6" +
             (expected != 0 ? " or is not the expected IPv" + e : std::string());
    case AmtErrc::inner_bad_header_length:
      return what + ": encapsulated IPv4 header length (IHL) " + v + " bytes" + at +
             " is below 20 or beyond the " + e + " bytes present";
    case AmtErrc::inner_bad_length:
      return what + ": encapsulated IP datagram length field says " + v + " bytes" + at +
             " but " + e + " bytes are there";
    case AmtErrc::inner_bad_checksum:
      return what + ": encapsulated IPv4 header checksum " + hex(value) + at +
             " is wrong (expected " + hex(expected) + ")";
    case AmtErrc::inner_bad_protocol:
      return what + ": encapsulated datagram carries protocol / next header " + v + at +
             ", not " + e + (expected == 2 ? " (IGMP)" : " (ICMPv6)");
    case AmtErrc::inner_bad_message:
      return what + ": encapsulated IGMP/MLD message of " + v + " bytes" + at +
             " is too short or its source count overruns it (needs " + e + " bytes)";
    case AmtErrc::inner_bad_type:
      return what + ": encapsulated IGMP/ICMPv6 type " + v + at + " is not a membership query (" +
             e + ")";
    case AmtErrc::inner_bad_message_checksum:
      return what + ": encapsulated IGMP/MLD checksum " + hex(value) + at +
             " is wrong (expected " + hex(expected) + ")";
    case AmtErrc::inner_not_v3:
      return what + ": encapsulated query of " + v + " bytes" + at + " is IGMPv1/v2 or MLDv1 (an " +
             "IGMPv3 query has at least 12 bytes, an MLDv2 query 28)";
    case AmtErrc::buffer_too_small:
      return what + ": output buffer of " + v + " bytes is too small for the " + e + "-byte message";
    case AmtErrc::mac_too_large:
      return what + ": Response MAC " + hex(value) + "... is wider than 48 bits";
    case AmtErrc::datagram_too_large:
      return what + ": encapsulated datagram of " + v + " bytes is larger than " + e;
    case AmtErrc::bad_record:
      return "membership record " + v + ": its group or a source is not a valid " +
             (expected == 6 ? "IPv6" : "IPv4") +
             " address of the report's family (group multicast, sources unicast, at most " +
             "65535 sources)";
  }
  return what + ": unknown error";
}

AmtType amt_message_type(const AmtMessage& m) noexcept {
  return static_cast<AmtType>(m.index() + 1);
}

IpAddress amt_gateway_ip(const IpAddress& field) noexcept {
  if (!field.is_v6()) return field;
  const auto& b = field.bytes();
  bool zero10 = true;
  for (int i = 0; i < 10; ++i) zero10 = zero10 && b[i] == 0;
  if (!zero10) return field;
  const uint32_t v4 = load32(b.data() + 12);
  if (b[10] == 0xff && b[11] == 0xff) return IpAddress::v4(v4);
  if (b[10] == 0 && b[11] == 0 && (v4 >> 8) != 0) return IpAddress::v4(v4);  // ::a.b.c.d
  return field;
}

IpAddress amt_gateway_field(const IpAddress& address) noexcept {
  if (address.is_v6()) return address;
  in6_addr a{};
  a.s6_addr[10] = 0xff;
  a.s6_addr[11] = 0xff;
  std::memcpy(a.s6_addr + 12, address.bytes().data(), 4);
  return IpAddress::v6(a);
}

namespace internal::amt {

uint16_t checksum2(std::span<const std::byte> first, std::span<const std::byte> second) noexcept {
  uint32_t sum = static_cast<uint16_t>(~internet_checksum(first)) +
                 static_cast<uint32_t>(static_cast<uint16_t>(~internet_checksum(second)));
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

uint16_t icmpv6_checksum(const IpAddress& src, const IpAddress& dst,
                         std::span<const std::byte> message) noexcept {
  std::array<std::byte, 40> pseudo{};
  auto* p = reinterpret_cast<u8*>(pseudo.data());
  std::memcpy(p, src.bytes().data(), 16);
  std::memcpy(p + 16, dst.bytes().data(), 16);
  store32(p + 32, static_cast<uint32_t>(message.size()));
  p[39] = 58;  // ICMPv6
  return checksum2(pseudo, message);
}

// The length an encapsulated IP datagram declares (0 with *err set when its
// header cannot say).
std::size_t inner_declared_length(std::span<const std::byte> d, uint8_t type, std::size_t offset,
                                  AmtError* err) noexcept {
  const u8* p = bytes_of(d);
  if (d.empty()) {
    *err = error(AmtErrc::empty_datagram, type, offset);
    return 0;
  }
  const unsigned version = p[0] >> 4;
  if (version == 4) {
    if (d.size() < kIpv4MinHeaderSize) {
      *err = error(AmtErrc::inner_bad_length, type, offset, static_cast<uint32_t>(d.size()), 20);
      return 0;
    }
    return load16(p + 2);
  }
  if (version == 6) {
    if (d.size() < kIpv6HeaderSize) {
      *err = error(AmtErrc::inner_bad_length, type, offset, static_cast<uint32_t>(d.size()), 40);
      return 0;
    }
    return kIpv6HeaderSize + load16(p + 4);
  }
  *err = error(AmtErrc::inner_bad_version, type, offset, version);
  return 0;
}

}  // namespace internal::amt

Result<AmtMessage, AmtError> parse_amt_message(std::span<const std::byte> bytes) noexcept {
  const u8* p = bytes_of(bytes);
  const std::size_t n = bytes.size();
  if (n == 0) return unexpected(error(AmtErrc::too_short, 0, 0, 0, kAmtDataHeaderSize));
  const unsigned version = p[0] >> 4;
  const uint8_t type = p[0] & 0x0f;
  if (version != 0) return unexpected(error(AmtErrc::bad_version, type, 0, version));
  if (type < 1 || type > 7) return unexpected(error(AmtErrc::unknown_type, type, 0, type));
  const auto t = static_cast<AmtType>(type);
  auto need = [&](std::size_t min) -> bool { return n >= min; };
  auto short_err = [&](std::size_t min) {
    return unexpected(error(AmtErrc::too_short, type, n, static_cast<uint32_t>(n),
                            static_cast<uint32_t>(min)));
  };
  auto exact = [&](std::size_t size) {
    return unexpected(error(AmtErrc::bad_length, type, size, static_cast<uint32_t>(n),
                            static_cast<uint32_t>(size)));
  };
  switch (t) {
    case AmtType::relay_discovery:
      if (!need(kAmtDiscoverySize)) return short_err(kAmtDiscoverySize);
      if (n != kAmtDiscoverySize) return exact(kAmtDiscoverySize);
      return AmtMessage{AmtRelayDiscovery{load32(p + 4)}};
    case AmtType::relay_advertisement: {
      if (!need(kAmtAdvertisementV4Size)) return short_err(kAmtAdvertisementV4Size);
      AmtRelayAdvertisement a;
      a.nonce = load32(p + 4);
      if (n == kAmtAdvertisementV4Size) {
        a.relay = ipv4_at(p + 8);
      } else if (n == kAmtAdvertisementV6Size) {
        a.relay = ipv6_at(p + 8);
      } else {
        return unexpected(
            error(AmtErrc::bad_relay_address_length, type, 8, static_cast<uint32_t>(n - 8)));
      }
      return AmtMessage{a};
    }
    case AmtType::request:
      if (!need(kAmtRequestSize)) return short_err(kAmtRequestSize);
      if (n != kAmtRequestSize) return exact(kAmtRequestSize);
      return AmtMessage{AmtRequest{load32(p + 4), (p[1] & 0x01) != 0}};
    case AmtType::membership_query: {
      if (!need(kAmtQueryHeaderSize)) return short_err(kAmtQueryHeaderSize);
      AmtMembershipQuery q;
      q.limited = (p[1] & 0x02) != 0;
      q.has_gateway = (p[1] & 0x01) != 0;
      q.mac = load48(p + 2);
      q.nonce = load32(p + 8);
      const auto rest = bytes.subspan(kAmtQueryHeaderSize);
      AmtError err;
      const std::size_t len = inner_declared_length(rest, type, kAmtQueryHeaderSize, &err);
      if (len == 0 && err.code != AmtErrc::ok) return unexpected(err);
      const std::size_t trailer = q.has_gateway ? kAmtGatewayFieldsSize : 0;
      if (len + trailer != rest.size()) {
        // The datagram's own length and the bytes left for it (after the
        // gateway fields when G is set) must agree.
        const std::size_t avail = rest.size() >= trailer ? rest.size() - trailer : 0;
        return unexpected(error(AmtErrc::inner_bad_length, type, kAmtQueryHeaderSize,
                                static_cast<uint32_t>(len), static_cast<uint32_t>(avail)));
      }
      q.query = rest.first(len);
      if (q.has_gateway) {
        const u8* g = p + kAmtQueryHeaderSize + len;
        q.gateway_port = load16(g);
        q.gateway_address = ipv6_at(g + 2);
      }
      return AmtMessage{q};
    }
    case AmtType::membership_update: {
      if (!need(kAmtUpdateHeaderSize)) return short_err(kAmtUpdateHeaderSize);
      AmtMembershipUpdate u;
      u.mac = load48(p + 2);
      u.nonce = load32(p + 8);
      u.report = bytes.subspan(kAmtUpdateHeaderSize);
      if (u.report.empty()) {
        return unexpected(error(AmtErrc::empty_datagram, type, kAmtUpdateHeaderSize));
      }
      return AmtMessage{u};
    }
    case AmtType::multicast_data: {
      if (!need(kAmtDataHeaderSize)) return short_err(kAmtDataHeaderSize);
      AmtMulticastData d{bytes.subspan(kAmtDataHeaderSize)};
      if (d.datagram.empty()) {
        return unexpected(error(AmtErrc::empty_datagram, type, kAmtDataHeaderSize));
      }
      return AmtMessage{d};
    }
    case AmtType::teardown: {
      if (!need(kAmtTeardownSize)) return short_err(kAmtTeardownSize);
      if (n != kAmtTeardownSize) return exact(kAmtTeardownSize);
      AmtTeardown td;
      td.mac = load48(p + 2);
      td.nonce = load32(p + 8);
      td.gateway_port = load16(p + 12);
      td.gateway_address = ipv6_at(p + 14);
      return AmtMessage{td};
    }
  }
  return unexpected(error(AmtErrc::unknown_type, type, 0, type));
}

std::size_t amt_message_size(const AmtMessage& m) noexcept {
  switch (amt_message_type(m)) {
    case AmtType::relay_discovery: return kAmtDiscoverySize;
    case AmtType::relay_advertisement:
      return std::get<AmtRelayAdvertisement>(m).relay.is_v4() ? kAmtAdvertisementV4Size
                                                              : kAmtAdvertisementV6Size;
    case AmtType::request: return kAmtRequestSize;
    case AmtType::membership_query: {
      const auto& q = std::get<AmtMembershipQuery>(m);
      return kAmtQueryHeaderSize + q.query.size() + (q.has_gateway ? kAmtGatewayFieldsSize : 0);
    }
    case AmtType::membership_update:
      return kAmtUpdateHeaderSize + std::get<AmtMembershipUpdate>(m).report.size();
    case AmtType::multicast_data:
      return kAmtDataHeaderSize + std::get<AmtMulticastData>(m).datagram.size();
    case AmtType::teardown: return kAmtTeardownSize;
  }
  return 0;
}

Result<std::size_t, AmtError> build_amt_message(const AmtMessage& m,
                                                std::span<std::byte> out) noexcept {
  const AmtType t = amt_message_type(m);
  const auto type = static_cast<uint8_t>(t);
  const std::size_t size = amt_message_size(m);
  // Checks that do not depend on the buffer first.
  std::span<const std::byte> inner;
  uint64_t mac = 0;
  switch (t) {
    case AmtType::membership_query: {
      const auto& q = std::get<AmtMembershipQuery>(m);
      inner = q.query;
      mac = q.mac;
      break;
    }
    case AmtType::membership_update: {
      const auto& u = std::get<AmtMembershipUpdate>(m);
      inner = u.report;
      mac = u.mac;
      break;
    }
    case AmtType::multicast_data: inner = std::get<AmtMulticastData>(m).datagram; break;
    case AmtType::teardown: mac = std::get<AmtTeardown>(m).mac; break;
    default: break;
  }
  if (mac > kAmtMacMask) {
    return unexpected(error(AmtErrc::mac_too_large, type, 2, static_cast<uint32_t>(mac >> 32)));
  }
  if ((t == AmtType::membership_query || t == AmtType::membership_update ||
       t == AmtType::multicast_data) &&
      inner.empty()) {
    return unexpected(error(AmtErrc::empty_datagram, type, 0));
  }
  if (inner.size() > kRawMaxDatagramSize) {
    return unexpected(error(AmtErrc::datagram_too_large, type, 0,
                            static_cast<uint32_t>(inner.size()),
                            static_cast<uint32_t>(kRawMaxDatagramSize)));
  }
  if (out.size() < size) {
    return unexpected(error(AmtErrc::buffer_too_small, type, 0, static_cast<uint32_t>(out.size()),
                            static_cast<uint32_t>(size)));
  }
  u8* p = bytes_of(out);
  // The encapsulated datagram goes in first (it may overlap the output: the
  // gateway builds reports in place behind the header).
  std::size_t header = 0;
  if (t == AmtType::membership_query) header = kAmtQueryHeaderSize;
  if (t == AmtType::membership_update) header = kAmtUpdateHeaderSize;
  if (t == AmtType::multicast_data) header = kAmtDataHeaderSize;
  if (!inner.empty()) std::memmove(p + header, inner.data(), inner.size());
  std::memset(p, 0, std::min<std::size_t>(header == 0 ? size : header, size));
  p[0] = type;  // version 0 in the high nibble
  switch (t) {
    case AmtType::relay_discovery:
      store32(p + 4, std::get<AmtRelayDiscovery>(m).nonce);
      break;
    case AmtType::relay_advertisement: {
      const auto& a = std::get<AmtRelayAdvertisement>(m);
      store32(p + 4, a.nonce);
      put_address(p + 8, a.relay);
      break;
    }
    case AmtType::request: {
      const auto& r = std::get<AmtRequest>(m);
      p[1] = r.mld ? 0x01 : 0x00;
      store32(p + 4, r.nonce);
      break;
    }
    case AmtType::membership_query: {
      const auto& q = std::get<AmtMembershipQuery>(m);
      p[1] = static_cast<u8>((q.limited ? 0x02 : 0) | (q.has_gateway ? 0x01 : 0));
      store48(p + 2, q.mac);
      store32(p + 8, q.nonce);
      if (q.has_gateway) {
        u8* g = p + header + inner.size();
        store16(g, q.gateway_port);
        std::memcpy(g + 2, amt_gateway_field(q.gateway_address).bytes().data(), 16);
      }
      break;
    }
    case AmtType::membership_update: {
      const auto& u = std::get<AmtMembershipUpdate>(m);
      store48(p + 2, u.mac);
      store32(p + 8, u.nonce);
      break;
    }
    case AmtType::multicast_data: break;
    case AmtType::teardown: {
      const auto& td = std::get<AmtTeardown>(m);
      store48(p + 2, td.mac);
      store32(p + 8, td.nonce);
      store16(p + 12, td.gateway_port);
      std::memcpy(p + 14, amt_gateway_field(td.gateway_address).bytes().data(), 16);
      break;
    }
  }
  return size;
}

}  // namespace mctx
