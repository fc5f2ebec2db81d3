// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// SAP packets (RFC 2974 §6) and the SAP address of a group (§3).

#include <array>
#include <cstring>
#include <string>

#include "mctx/sap.hpp"

namespace mctx {

namespace {

constexpr uint8_t kVersion1 = 0x20;    // V=1 in the top three bits
constexpr uint8_t kAddressV6 = 0x10;   // A
constexpr uint8_t kDeletion = 0x04;    // T
constexpr uint8_t kEncrypted = 0x02;   // E
constexpr uint8_t kCompressed = 0x01;  // C

Unexpected<Error> fail(Errc code, std::string message) {
  return unexpected(make_error(code, std::move(message)));
}

std::size_t origin_size(const IpAddress& a) { return a.is_v4() ? 4 : 16; }

}  // namespace

const char* sap_message_type_name(SapMessageType t) noexcept {
  return t == SapMessageType::deletion ? "deletion" : "announcement";
}

Res<IpAddress> sap_address_for(const IpAddress& group) {
  if (!group.is_multicast()) {
    return fail(Errc::group_not_multicast,
                "SAP address: group '" + group.to_string() + "' is not a multicast address");
  }
  if (group.is_v4()) {
    const auto& b = group.bytes();
    if (b[0] == 224 && b[1] == 0 && b[2] == 0) return IpAddress::v4(0xE00000FFu);  // 224.0.0.255
    if (b[0] == 239) {
      if (b[1] >= 252) return IpAddress::v4(0xEFFFFFFFu);  // local scope: 239.255.255.255
      return IpAddress::v4(0xEFC3FFFFu);                   // organization-local: 239.195.255.255
    }
    return IpAddress::v4(0xE0027FFEu);  // global: 224.2.127.254
  }
  const uint8_t scope = group.multicast_scope();
  if (scope == 0x0 || scope == 0xf) {
    return fail(Errc::sap_no_address, "SAP address: group '" + group.to_string() +
                                          "' has the reserved IPv6 scope " +
                                          (scope == 0 ? std::string("0") : std::string("f")) +
                                          " (RFC 4291), which has no SAP address");
  }
  in6_addr a{};
  a.s6_addr[0] = 0xff;
  a.s6_addr[1] = scope;  // flags 0, the group's scope
  a.s6_addr[13] = 0x02;
  a.s6_addr[14] = 0x7f;
  a.s6_addr[15] = 0xfe;
  return IpAddress::v6(a, group.scope_id());
}

uint16_t sap_hash(std::string_view sdp) noexcept {
  uint32_t h = 2166136261u;  // FNV-1a, 32 bits
  for (char c : sdp) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  const auto folded = static_cast<uint16_t>((h >> 16) ^ (h & 0xffffu));
  return folded == 0 ? uint16_t{1} : folded;
}

std::size_t sap_packet_size(const SapPacket& p) noexcept {
  return 4 + origin_size(p.origin) + p.payload_type.size() + 1 + p.payload.size();
}

Res<std::size_t> write_sap_packet(const SapPacket& p, std::span<std::byte> out) {
  if (p.hash == 0) {
    return fail(Errc::sap_invalid_packet,
                "SAP message identifier hash 0 (RFC 2974 §6: announcers SHOULD NOT use 0; "
                "VLC and others discard it)");
  }
  if (p.origin.is_unspecified() || p.origin.is_multicast()) {
    return fail(Errc::sap_invalid_packet, "SAP originating source '" + p.origin.to_string() +
                                              "' is not a unicast address (RFC 2974 §6)");
  }
  if (p.payload_type.empty() || p.payload_type.find('\0') != std::string_view::npos) {
    return fail(Errc::sap_invalid_packet,
                "SAP payload type must be a non-empty MIME type without NUL (RFC 2974 §6)");
  }
  if (p.payload.empty()) {
    return fail(Errc::sap_invalid_packet, std::string("SAP ") + sap_message_type_name(p.type) +
                                              " has an empty payload");
  }
  const std::size_t size = sap_packet_size(p);
  if (size > kSapMaxPacketSize) {
    return fail(Errc::sap_too_large,
                std::string("SAP ") + sap_message_type_name(p.type) + " of " +
                    std::to_string(size) + " bytes is above the limit of " +
                    std::to_string(kSapMaxPacketSize) +
                    " bytes (one unfragmented datagram; RFC 2974 §6 recommends under 1 kB): "
                    "shorten the session description");
  }
  if (out.size() < size) {
    return fail(Errc::sap_buffer_too_small, "SAP packet needs " + std::to_string(size) +
                                                " bytes, the buffer has " +
                                                std::to_string(out.size()));
  }
  auto* w = reinterpret_cast<unsigned char*>(out.data());
  w[0] = static_cast<unsigned char>(kVersion1 | (p.origin.is_v6() ? kAddressV6 : 0) |
                                    (p.type == SapMessageType::deletion ? kDeletion : 0));
  w[1] = 0;  // no authentication data
  w[2] = static_cast<unsigned char>(p.hash >> 8);
  w[3] = static_cast<unsigned char>(p.hash & 0xff);
  std::size_t pos = 4;
  std::memcpy(w + pos, p.origin.bytes().data(), origin_size(p.origin));
  pos += origin_size(p.origin);
  std::memcpy(w + pos, p.payload_type.data(), p.payload_type.size());
  pos += p.payload_type.size();
  w[pos++] = 0;
  std::memcpy(w + pos, p.payload.data(), p.payload.size());
  pos += p.payload.size();
  return pos;
}

Res<std::vector<std::byte>> build_sap_packet(const SapPacket& p) {
  std::vector<std::byte> buffer(std::min(sap_packet_size(p), kSapMaxPacketSize + 1));
  auto n = write_sap_packet(p, buffer);
  if (!n) return unexpected(std::move(n).error());
  buffer.resize(*n);
  return buffer;
}

Res<SapPacket> parse_sap_packet(std::span<const std::byte> bytes) {
  const auto* r = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  if (n < 8) {
    return fail(Errc::sap_invalid_packet,
                "SAP packet of " + std::to_string(n) + " bytes is shorter than its header");
  }
  if ((r[0] >> 5) != 1) {
    return fail(Errc::sap_invalid_packet,
                "SAP version " + std::to_string(r[0] >> 5) + " (RFC 2974 needs 1)");
  }
  SapPacket p;
  p.type = (r[0] & kDeletion) != 0 ? SapMessageType::deletion : SapMessageType::announcement;
  p.encrypted = (r[0] & kEncrypted) != 0;
  p.compressed = (r[0] & kCompressed) != 0;
  p.auth_words = r[1];
  p.hash = static_cast<uint16_t>((r[2] << 8) | r[3]);
  std::size_t pos = 4;
  if ((r[0] & kAddressV6) != 0) {
    if (n < pos + 16) return fail(Errc::sap_invalid_packet, "SAP packet ends in its IPv6 source");
    in6_addr a{};
    std::memcpy(a.s6_addr, r + pos, 16);
    p.origin = IpAddress::v6(a);
    pos += 16;
  } else {
    in_addr a{};
    std::memcpy(&a, r + pos, 4);
    p.origin = IpAddress::v4(a);
    pos += 4;
  }
  pos += std::size_t{p.auth_words} * 4;
  if (pos > n) return fail(Errc::sap_invalid_packet, "SAP authentication data runs past the end");
  const std::string_view rest(reinterpret_cast<const char*>(r + pos), n - pos);
  if (rest.starts_with("v=0")) {
    p.payload_type = {};
    p.payload = rest;
    return p;
  }
  const std::size_t nul = rest.find('\0');
  if (nul == std::string_view::npos) {
    return fail(Errc::sap_invalid_packet, "SAP payload type has no terminating NUL");
  }
  p.payload_type = rest.substr(0, nul);
  p.payload = rest.substr(nul + 1);
  return p;
}

}  // namespace mctx
