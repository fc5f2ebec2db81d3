// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Helpers of the raw-mode unit tests (test_raw_builder.cpp,
// test_raw_validate.cpp, test_raw_config.cpp): reference datagrams, an
// independent checksum, and the check of a validator refusal.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "expect.hpp"
#include "mctx/mctx.hpp"
#include "raw_test_util.hpp"

namespace mctx::test {

inline const std::string kPayload = "mctx raw unit payload";

inline UdpDatagramSpec v4_spec() {
  UdpDatagramSpec s = udp_spec(ip("198.51.100.7"), ip("232.1.2.3"), kPayload, 5);
  s.traffic_class = 0x28;
  s.ipv4_id = 0x1234;
  return s;
}

inline UdpDatagramSpec v6_spec() {
  UdpDatagramSpec s = udp_spec(ip("2001:db8:99::7"), ip("ff3e::8000:1234"), kPayload, 7);
  s.traffic_class = 0xb8;
  s.flow_label = 0x12345;
  return s;
}

inline void fix_checksum(std::vector<uint8_t>& d) {
  fix_ipv4_header_checksum(std::as_writable_bytes(std::span(d)));
}

// Independent reference: plain RFC 1071 sum, written the obvious way.
inline uint16_t ref_sum(const std::vector<uint8_t>& d) {
  uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < d.size(); i += 2) sum += (d[i] << 8) | d[i + 1];
  if (d.size() % 2) sum += d.back() << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The UDP checksum of d, whose UDP header starts at `udp_at`, is right: the
// pseudo-header, then the UDP header and payload, sum to all ones.
inline void expect_udp_checksum(std::vector<uint8_t> pseudo, const std::vector<uint8_t>& d,
                                std::size_t udp_at) {
  pseudo.insert(pseudo.end(), d.begin() + udp_at, d.end());
  EXPECT_EQ(ref_sum(pseudo), 0xffff);
}

// validate_raw_datagram() accepts d, built of spec, and reports every field:
// the spec's family, addresses, TTL, traffic class and flow label, the
// protocol (of the fixed header) and header size given, and d's size.
inline void expect_info(const std::vector<uint8_t>& d, const UdpDatagramSpec& spec,
                        uint8_t protocol, std::size_t header_size) {
  auto info = validate_raw_datagram(bytes(d));
  ASSERT_TRUE(info.has_value()) << info.error().message();
  EXPECT_EQ(info->family, spec.source.is_v4() ? Family::ipv4 : Family::ipv6);
  EXPECT_EQ(info->source, spec.source);
  EXPECT_EQ(info->destination, spec.destination);
  EXPECT_EQ(info->protocol, protocol);
  EXPECT_EQ(info->ttl, spec.ttl);
  EXPECT_EQ(info->traffic_class, spec.traffic_class);
  EXPECT_EQ(info->flow_label, spec.flow_label);
  EXPECT_EQ(info->header_size, header_size);
  EXPECT_EQ(info->size, d.size());
}

inline RawDatagramError expect_invalid(const std::vector<uint8_t>& d, Errc code,
                                       std::optional<Family> expected = std::nullopt) {
  auto r = validate_raw_datagram(bytes(d), expected);
  EXPECT_FALSE(r.has_value());
  if (r) return {};
  EXPECT_EQ(r.error().code, code) << errc_name(r.error().code) << ": " << r.error().message();
  return r.error();
}

}  // namespace mctx::test
