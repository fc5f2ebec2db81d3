// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The receive path of an AMT gateway: one check per datagram, no allocation.

#include "amt/amt_internal.hpp"
#include "mctx/raw.hpp"

namespace mctx {

using namespace internal::amt;

const char* amt_drop_reason_name(AmtDropReason r) noexcept {
  switch (r) {
    case AmtDropReason::not_from_relay: return "not_from_relay";
    case AmtDropReason::malformed: return "malformed";
    case AmtDropReason::not_data: return "not_data";
    case AmtDropReason::inner_too_short: return "inner_too_short";
    case AmtDropReason::inner_bad_version: return "inner_bad_version";
    case AmtDropReason::inner_bad_length: return "inner_bad_length";
    case AmtDropReason::inner_bad_checksum: return "inner_bad_checksum";
    case AmtDropReason::inner_bad_address: return "inner_bad_address";
    case AmtDropReason::inner_fragment: return "inner_fragment";
    case AmtDropReason::not_subscribed: return "not_subscribed";
    case AmtDropReason::source_not_subscribed: return "source_not_subscribed";
    case AmtDropReason::udp_malformed: return "udp_malformed";
    case AmtDropReason::udp_port_filtered: return "udp_port_filtered";
    case AmtDropReason::not_udp: return "not_udp";
  }
  return "unknown";
}

uint64_t AmtDataCounters::dropped_total() const noexcept {
  uint64_t t = 0;
  for (auto d : drops) t += d;
  return t;
}

void AmtDataCounters::record(const Result<AmtInnerDatagram, AmtDropReason>& r) noexcept {
  if (r) {
    ++datagrams;
    bytes += r->datagram.size();
  } else {
    ++drops[static_cast<std::size_t>(r.error())];
  }
}

namespace {

AmtDropReason from_raw_error(Errc code) noexcept {
  switch (code) {
    case Errc::raw_datagram_too_short: return AmtDropReason::inner_too_short;
    case Errc::raw_bad_version: return AmtDropReason::inner_bad_version;
    case Errc::raw_bad_header_length:
    case Errc::raw_bad_total_length:
    case Errc::raw_bad_payload_length: return AmtDropReason::inner_bad_length;
    case Errc::raw_bad_checksum: return AmtDropReason::inner_bad_checksum;
    default: return AmtDropReason::inner_bad_address;
  }
}

}  // namespace

Result<AmtInnerDatagram, AmtDropReason> amt_decapsulate(const Endpoint& from,
                                                        std::span<const std::byte> message,
                                                        const AmtDataFilter& filter) noexcept {
  using R = AmtDropReason;
  if (from.port != filter.relay.port || !same_address(from.address, filter.relay.address)) {
    return unexpected(R::not_from_relay);
  }
  const u8* m = bytes_of(message);
  if (message.size() < kAmtDataHeaderSize || (m[0] >> 4) != 0) return unexpected(R::malformed);
  const unsigned type = m[0] & 0x0f;
  if (type != static_cast<unsigned>(AmtType::multicast_data)) {
    return unexpected(type >= 1 && type <= 7 ? R::not_data : R::malformed);
  }
  const auto d = message.subspan(kAmtDataHeaderSize);
  auto checked = validate_raw_datagram(d);
  if (!checked) return unexpected(from_raw_error(checked.error().code));
  const RawDatagramInfo& info = *checked;
  if (!filter.groups.empty() && filter.groups.front().group.family() != info.family) {
    return unexpected(R::inner_bad_version);
  }
  const u8* p = bytes_of(d);
  const std::size_t n = d.size();
  uint8_t proto = info.protocol;
  std::size_t off = info.header_size;
  if (info.family == Family::ipv4) {
    if ((load16(p + 6) & 0x3fff) != 0) return unexpected(R::inner_fragment);  // MF or offset
  } else {
    // Walk the extension headers to the transport header.
    for (;;) {
      if (proto == 44) return unexpected(R::inner_fragment);
      if (proto != 0 && proto != 43 && proto != 60 && proto != 51) break;
      if (off + 2 > n) return unexpected(R::inner_bad_length);
      const std::size_t len = proto == 51 ? (static_cast<std::size_t>(p[off + 1]) + 2) * 4
                                          : (static_cast<std::size_t>(p[off + 1]) + 1) * 8;
      if (off + len > n) return unexpected(R::inner_bad_length);
      proto = p[off];
      off += len;
    }
  }
  // Subscribed? (S,G) entries need the source; a (*,G) entry takes any.
  bool group_seen = false;
  bool matched = false;
  for (const auto& g : filter.groups) {
    if (!same_address(g.group, info.destination)) continue;
    group_seen = true;
    if (!g.source || same_address(*g.source, info.source)) {
      matched = true;
      break;
    }
  }
  if (!group_seen) return unexpected(R::not_subscribed);
  if (!matched) return unexpected(R::source_not_subscribed);

  AmtInnerDatagram out;
  out.datagram = d;
  out.family = info.family;
  out.source = info.source;
  out.destination = info.destination;
  out.protocol = proto;
  if (proto == 17) {
    if (off + kUdpHeaderSize > n) return unexpected(R::udp_malformed);
    const uint16_t ulen = load16(p + off + 4);
    if (ulen != n - off) return unexpected(R::udp_malformed);
    out.is_udp = true;
    out.source_port = load16(p + off);
    out.destination_port = load16(p + off + 2);
    out.udp_payload = d.subspan(off + kUdpHeaderSize);
    if (filter.udp_port && *filter.udp_port != out.destination_port) {
      return unexpected(R::udp_port_filtered);
    }
  } else if (filter.udp_only || filter.udp_port) {
    return unexpected(R::not_udp);
  }
  return out;
}

}  // namespace mctx
