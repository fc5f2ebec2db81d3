// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Helpers of the AMT unit tests: byte vectors, an independent Internet
// checksum (not the library's), and hand-built IGMPv3 / MLDv2 queries and
// inner datagrams.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/amt.hpp"
#include "mctx/raw.hpp"

namespace amt_test {

using Bytes = std::vector<uint8_t>;

inline std::span<const std::byte> S(const Bytes& b) { return std::as_bytes(std::span(b)); }
inline Bytes from_span(std::span<const std::byte> s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  return Bytes(p, p + s.size());
}
inline Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline mctx::IpAddress ip(const char* text) { return mctx::IpAddress::parse(text).value(); }
inline mctx::Endpoint ep(const char* text) { return mctx::Endpoint::parse(text).value(); }
inline Bytes addr_bytes(const mctx::IpAddress& a) {
  const auto& b = a.bytes();
  return Bytes(b.begin(), b.begin() + (a.is_v4() ? 4 : 16));
}

inline uint16_t get16(const Bytes& b, std::size_t at) {
  return static_cast<uint16_t>((b.at(at) << 8) | b.at(at + 1));
}
inline void put16(Bytes& b, std::size_t at, uint16_t v) {
  b.at(at) = static_cast<uint8_t>(v >> 8);
  b.at(at + 1) = static_cast<uint8_t>(v);
}

// RFC 1071, written out here independently of the library: the ones'
// complement of the ones' complement sum of the 16-bit words.
inline uint16_t ref_checksum(const Bytes& data) {
  uint32_t sum = 0;
  for (std::size_t i = 0; i < data.size(); i += 2) {
    uint32_t w = static_cast<uint32_t>(data[i]) << 8;
    if (i + 1 < data.size()) w |= data[i + 1];
    sum += w;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
// ICMPv6 checksum with the IPv6 pseudo-header (RFC 8200 §8.1).
inline uint16_t ref_icmpv6_checksum(const Bytes& src16, const Bytes& dst16, const Bytes& msg) {
  Bytes pseudo = cat(src16, dst16);
  const uint32_t len = static_cast<uint32_t>(msg.size());
  pseudo.insert(pseudo.end(), {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                               static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len), 0, 0, 0,
                               58});
  return ref_checksum(cat(pseudo, msg));
}

// An IPv4 datagram carrying an IGMPv3 query (with the Router Alert option).
inline Bytes igmp_query(uint8_t qrv = 2, uint8_t qqic = 125, uint8_t max_resp = 100,
                        const char* src = "192.0.2.1", const char* group = "0.0.0.0",
                        std::initializer_list<const char*> sources = {}) {
  Bytes igmp = {0x11, max_resp, 0, 0};
  igmp = cat(igmp, addr_bytes(ip(group)));
  igmp.insert(igmp.end(), {static_cast<uint8_t>(qrv & 7), qqic, 0,
                           static_cast<uint8_t>(sources.size())});
  for (const char* s : sources) igmp = cat(igmp, addr_bytes(ip(s)));
  put16(igmp, 2, ref_checksum(igmp));
  Bytes h = {0x46, 0xc0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0};
  h = cat(h, addr_bytes(ip(src)));
  h = cat(h, addr_bytes(ip("224.0.0.1")));
  h.insert(h.end(), {0x94, 0x04, 0, 0});
  put16(h, 2, static_cast<uint16_t>(h.size() + igmp.size()));
  put16(h, 10, ref_checksum(h));
  return cat(h, igmp);
}

// An IPv6 datagram (Hop-by-Hop Router Alert) carrying an MLDv2 query.
inline Bytes mld_query(uint8_t qrv = 2, uint8_t qqic = 125, uint16_t max_resp = 10000,
                       const char* src = "fe80::1", const char* group = "::",
                       std::initializer_list<const char*> sources = {}) {
  const Bytes s = addr_bytes(ip(src));
  const Bytes d = addr_bytes(ip("ff02::1"));
  Bytes mld = {130, 0, 0, 0, static_cast<uint8_t>(max_resp >> 8), static_cast<uint8_t>(max_resp),
               0, 0};
  mld = cat(mld, addr_bytes(ip(group)));
  mld.insert(mld.end(), {static_cast<uint8_t>(qrv & 7), qqic, 0,
                         static_cast<uint8_t>(sources.size())});
  for (const char* x : sources) mld = cat(mld, addr_bytes(ip(x)));
  put16(mld, 2, ref_icmpv6_checksum(s, d, mld));
  Bytes h = {0x60, 0, 0, 0, 0, 0, 0, 1};
  h = cat(cat(h, s), d);
  const Bytes hbh = {58, 0, 5, 2, 0, 0, 1, 0};
  put16(h, 4, static_cast<uint16_t>(hbh.size() + mld.size()));
  return cat(cat(h, hbh), mld);
}

// A UDP-in-IP datagram from the library's builder (checked separately in the
// raw tests).
inline Bytes udp_datagram(const char* src, const char* dst, uint16_t dport = 5004,
                          std::size_t payload = 16, uint8_t ttl = 8) {
  Bytes data(payload);
  for (std::size_t i = 0; i < payload; ++i) data[i] = static_cast<uint8_t>(i);
  mctx::UdpDatagramSpec spec;
  spec.source = ip(src);
  spec.destination = ip(dst);
  spec.source_port = 4000;
  spec.destination_port = dport;
  spec.payload = S(data);
  spec.ttl = ttl;
  Bytes out(mctx::udp_datagram_size(spec));
  auto n = mctx::build_udp_datagram(spec, std::as_writable_bytes(std::span(out)));
  if (!n) return {};
  return out;
}

inline Bytes amt_data(const Bytes& datagram) { return cat(Bytes{0x06, 0x00}, datagram); }

}  // namespace amt_test
