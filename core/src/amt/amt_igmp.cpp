// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// IGMPv3 (RFC 3376) and MLDv2 (RFC 3810) as an AMT gateway needs them: the
// membership reports it encapsulates in a Membership Update, and the parser
// of the general query a relay encapsulates in a Membership Query.

#include <array>
#include <cstring>
#include <string>

#include "amt/amt_internal.hpp"
#include "mctx/raw.hpp"

namespace mctx {

using namespace internal::amt;

namespace {

constexpr uint8_t kAmtQueryType = static_cast<uint8_t>(AmtType::membership_query);
constexpr uint8_t kIgmpQuery = 0x11;
constexpr uint8_t kIgmpV3Report = 0x22;
constexpr uint8_t kMldQuery = 130;
constexpr uint8_t kMldV2Report = 143;
constexpr std::size_t kIgmpRecordHeader = 8;   // type, aux len, N, group
constexpr std::size_t kMldRecordHeader = 20;   // type, aux len, N, group
constexpr std::size_t kReportHeader = 8;       // type, reserved, checksum, reserved, M

// What the checksum field should have held, from the checksum computed over
// the data with the stored value in place (ones' complement arithmetic).
uint16_t expected_checksum(uint16_t computed_with_field, uint16_t stored) noexcept {
  uint32_t s = static_cast<uint16_t>(~computed_with_field) + static_cast<uint32_t>(
                                                                 static_cast<uint16_t>(~stored));
  while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s & 0xffff);
}

IpAddress igmp_routers() noexcept { return IpAddress::v4(0xe0000016u); }  // 224.0.0.22
IpAddress mld_routers() noexcept { return ipv6_short(0xff, 0x02, 0x16); }  // ff02::16

}  // namespace

std::string AmtGroup::to_string() const {
  return "(" + (source ? source->to_string() : std::string("*")) + ", " + group.to_string() + ")";
}

MembershipRecord join_record(const AmtGroup& g) noexcept {
  if (g.source) return {RecordType::mode_is_include, g.group, std::span(&*g.source, 1)};
  return {RecordType::mode_is_exclude, g.group, {}};
}

MembershipRecord leave_record(const AmtGroup& g) noexcept {
  if (g.source) return {RecordType::block_old_sources, g.group, std::span(&*g.source, 1)};
  return {RecordType::change_to_include, g.group, {}};
}

std::size_t membership_report_size(Family family,
                                   std::span<const MembershipRecord> records) noexcept {
  const bool v4 = family == Family::ipv4;
  std::size_t size = (v4 ? kIgmpReportIpHeaderSize : kMldReportIpHeaderSize) + kReportHeader;
  for (const auto& r : records) {
    size += (v4 ? kIgmpRecordHeader : kMldRecordHeader) + r.sources.size() * (v4 ? 4 : 16);
  }
  return size;
}

Result<std::size_t, AmtError> build_membership_report(Family family, const IpAddress& source,
                                                      std::span<const MembershipRecord> records,
                                                      std::span<std::byte> out) noexcept {
  constexpr uint8_t kUpdate = static_cast<uint8_t>(AmtType::membership_update);
  const bool v4 = family == Family::ipv4;
  const uint32_t fam = v4 ? 4 : 6;
  if (source.family() != family) return unexpected(error(AmtErrc::bad_record, kUpdate, 0, 0, fam));
  if (records.size() > 0xffff) {
    return unexpected(error(AmtErrc::bad_record, kUpdate, 0, 0xffff, fam));
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    bool ok = r.group.family() == family && r.group.is_multicast() && r.sources.size() <= 0xffff;
    for (const auto& s : r.sources) ok = ok && s.family() == family && !s.is_multicast();
    if (!ok) return unexpected(error(AmtErrc::bad_record, kUpdate, 0, static_cast<uint32_t>(i), fam));
  }
  const std::size_t size = membership_report_size(family, records);
  const std::size_t ip_header = v4 ? kIgmpReportIpHeaderSize : kMldReportIpHeaderSize;
  if ((v4 && size > 65535) || (!v4 && size - kIpv6HeaderSize > 65535)) {
    return unexpected(error(AmtErrc::datagram_too_large, kUpdate, 0, static_cast<uint32_t>(size),
                            65535));
  }
  if (out.size() < size) {
    return unexpected(error(AmtErrc::buffer_too_small, kUpdate, 0,
                            static_cast<uint32_t>(out.size()), static_cast<uint32_t>(size)));
  }
  u8* p = bytes_of(out);
  std::memset(p, 0, size);
  const IpAddress dst = v4 ? igmp_routers() : mld_routers();
  if (v4) {
    p[0] = 0x46;  // version 4, IHL 6 (Router Alert)
    p[1] = 0xc0;  // Internetwork Control (RFC 3376 §4)
    store16(p + 2, static_cast<uint16_t>(size));
    p[8] = 1;  // TTL
    p[9] = 2;  // IGMP
    put_address(p + 12, source);
    put_address(p + 16, dst);
    p[20] = 0x94;  // Router Alert (RFC 2113): copied, class 0, option 20
    p[21] = 4;
  } else {
    store32(p, 6u << 28);
    store16(p + 4, static_cast<uint16_t>(size - kIpv6HeaderSize));
    p[6] = 0;  // Hop-by-Hop Options
    p[7] = 1;  // hop limit
    put_address(p + 8, source);
    put_address(p + 24, dst);
    p[40] = 58;  // ICMPv6
    p[41] = 0;   // 8 bytes
    p[42] = 5;   // Router Alert (RFC 2711)
    p[43] = 2;
    // p[44..45] = 0: MLD
    p[46] = 1;  // PadN, 0 bytes of data
    p[47] = 0;
  }
  u8* m = p + ip_header;
  m[0] = v4 ? kIgmpV3Report : kMldV2Report;
  store16(m + 6, static_cast<uint16_t>(records.size()));
  u8* r = m + kReportHeader;
  for (const auto& rec : records) {
    r[0] = static_cast<u8>(rec.type);
    r[1] = 0;  // aux data len
    store16(r + 2, static_cast<uint16_t>(rec.sources.size()));
    r += 4;
    r += put_address(r, rec.group);
    for (const auto& s : rec.sources) r += put_address(r, s);
  }
  const auto msg = std::span<const std::byte>(out.data() + ip_header, size - ip_header);
  if (v4) {
    fix_ipv4_header_checksum(out.first(size));
    store16(m + 2, internet_checksum(msg));
  } else {
    store16(m + 2, icmpv6_checksum(source, dst, msg));
  }
  return size;
}

Result<MembershipQueryInfo, AmtError> parse_membership_query(
    std::span<const std::byte> datagram) noexcept {
  const u8* p = bytes_of(datagram);
  const std::size_t n = datagram.size();
  AmtError err;
  const std::size_t declared = inner_declared_length(datagram, kAmtQueryType, 0, &err);
  if (declared == 0 && err.code != AmtErrc::ok) return unexpected(err);
  MembershipQueryInfo info;
  std::span<const std::byte> msg;
  std::size_t msg_offset = 0;
  if ((p[0] >> 4) == 4) {
    info.family = Family::ipv4;
    const std::size_t ihl = static_cast<std::size_t>(p[0] & 0x0f) * 4;
    if (ihl < kIpv4MinHeaderSize || ihl > n) {
      return unexpected(error(AmtErrc::inner_bad_header_length, kAmtQueryType, 0,
                              static_cast<uint32_t>(ihl), static_cast<uint32_t>(n)));
    }
    if (declared != n) {
      return unexpected(error(AmtErrc::inner_bad_length, kAmtQueryType, 2,
                              static_cast<uint32_t>(declared), static_cast<uint32_t>(n)));
    }
    const uint16_t c = internet_checksum(datagram.first(ihl));
    if (c != 0) {
      const uint16_t stored = load16(p + 10);
      return unexpected(error(AmtErrc::inner_bad_checksum, kAmtQueryType, 10, stored,
                              expected_checksum(c, stored)));
    }
    if (p[9] != 2) return unexpected(error(AmtErrc::inner_bad_protocol, kAmtQueryType, 9, p[9], 2));
    info.source = ipv4_at(p + 12);
    msg_offset = ihl;
    msg = datagram.subspan(ihl);
    const u8* m = p + ihl;
    if (msg.size() < 8) {
      return unexpected(error(AmtErrc::inner_bad_message, kAmtQueryType, msg_offset,
                              static_cast<uint32_t>(msg.size()), 12));
    }
    if (m[0] != kIgmpQuery) {
      return unexpected(error(AmtErrc::inner_bad_type, kAmtQueryType, msg_offset, m[0], kIgmpQuery));
    }
    if (msg.size() < 12) {
      return unexpected(error(AmtErrc::inner_not_v3, kAmtQueryType, msg_offset,
                              static_cast<uint32_t>(msg.size()), 12));
    }
    const uint16_t mc = internet_checksum(msg);
    if (mc != 0) {
      const uint16_t stored = load16(m + 2);
      return unexpected(error(AmtErrc::inner_bad_message_checksum, kAmtQueryType, msg_offset + 2,
                              stored, expected_checksum(mc, stored)));
    }
    info.number_of_sources = load16(m + 10);
    const std::size_t need = 12 + 4 * static_cast<std::size_t>(info.number_of_sources);
    if (need > msg.size()) {
      return unexpected(error(AmtErrc::inner_bad_message, kAmtQueryType, msg_offset + 10,
                              static_cast<uint32_t>(msg.size()), static_cast<uint32_t>(need)));
    }
    info.max_response_ms = decode_code8(m[1]) * 100;  // units of 1/10 s
    info.group = ipv4_at(m + 4);
    info.suppress = (m[8] & 0x08) != 0;
    info.qrv = m[8] & 0x07;
    info.qqic = m[9];
    info.query_interval_ms = decode_code8(m[9]) * 1000;
    return info;
  }
  // IPv6
  info.family = Family::ipv6;
  if (declared != n) {
    return unexpected(error(AmtErrc::inner_bad_length, kAmtQueryType, 4,
                            static_cast<uint32_t>(declared), static_cast<uint32_t>(n)));
  }
  info.source = ipv6_at(p + 8);
  const IpAddress dst = ipv6_at(p + 24);
  uint8_t nh = p[6];
  std::size_t off = kIpv6HeaderSize;
  if (nh == 0) {  // Hop-by-Hop (Router Alert)
    if (off + 8 > n || off + (static_cast<std::size_t>(p[off + 1]) + 1) * 8 > n) {
      return unexpected(error(AmtErrc::inner_bad_length, kAmtQueryType, off,
                              static_cast<uint32_t>(off + 8 > n ? 8 : (p[off + 1] + 1) * 8),
                              static_cast<uint32_t>(n - off)));
    }
    nh = p[off];
    off += (static_cast<std::size_t>(p[off + 1]) + 1) * 8;
  }
  if (nh != 58) return unexpected(error(AmtErrc::inner_bad_protocol, kAmtQueryType, 6, nh, 58));
  msg_offset = off;
  msg = datagram.subspan(off);
  const u8* m = p + off;
  if (msg.size() < 4) {
    return unexpected(error(AmtErrc::inner_bad_message, kAmtQueryType, msg_offset,
                            static_cast<uint32_t>(msg.size()), 28));
  }
  if (m[0] != kMldQuery) {
    return unexpected(error(AmtErrc::inner_bad_type, kAmtQueryType, msg_offset, m[0], kMldQuery));
  }
  if (msg.size() < 28) {
    if (msg.size() >= 24) {
      return unexpected(error(AmtErrc::inner_not_v3, kAmtQueryType, msg_offset,
                              static_cast<uint32_t>(msg.size()), 28));
    }
    return unexpected(error(AmtErrc::inner_bad_message, kAmtQueryType, msg_offset,
                            static_cast<uint32_t>(msg.size()), 28));
  }
  const uint16_t mc = icmpv6_checksum(info.source, dst, msg);
  if (mc != 0) {
    const uint16_t stored = load16(m + 2);
    return unexpected(error(AmtErrc::inner_bad_message_checksum, kAmtQueryType, msg_offset + 2,
                            stored, expected_checksum(mc, stored)));
  }
  info.number_of_sources = load16(m + 26);
  const std::size_t need = 28 + 16 * static_cast<std::size_t>(info.number_of_sources);
  if (need > msg.size()) {
    return unexpected(error(AmtErrc::inner_bad_message, kAmtQueryType, msg_offset + 26,
                            static_cast<uint32_t>(msg.size()), static_cast<uint32_t>(need)));
  }
  info.max_response_ms = decode_code16(load16(m + 4));  // milliseconds
  info.group = ipv6_at(m + 8);
  info.suppress = (m[24] & 0x08) != 0;
  info.qrv = m[24] & 0x07;
  info.qqic = m[25];
  info.query_interval_ms = decode_code8(m[25]) * 1000;
  return info;
}

}  // namespace mctx
