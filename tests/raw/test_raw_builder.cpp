// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw mode unit tests: the Internet checksum and the UDP-in-IP builder.
// Nothing is sent; no privileges needed.

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "raw_unit_util.hpp"

namespace mctx::test {
namespace {

// ---------------------------------------------------------------- checksum

TEST(RawChecksum, Rfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
  const std::vector<uint8_t> d = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internet_checksum(bytes(d)), 0x220d);
  const std::vector<uint8_t> odd = {0x01};
  EXPECT_EQ(internet_checksum(bytes(odd)), static_cast<uint16_t>(~0x0100));
  EXPECT_EQ(internet_checksum({}), 0xffff);
}

TEST(RawChecksum, FixIpv4HeaderChecksum) {
  auto d = build(v4_spec());
  d[10] = d[11] = 0xaa;
  fix_checksum(d);
  EXPECT_TRUE(validate_raw_datagram(bytes(d)).has_value());
  // Too short or bad IHL: untouched.
  std::vector<uint8_t> tiny(10, 0x45);
  fix_checksum(tiny);
  EXPECT_EQ(tiny, std::vector<uint8_t>(10, 0x45));
}

// ---------------------------------------------------------------- builder

TEST(RawBuilder, Ipv4HeaderAndChecksums) {
  const auto spec = v4_spec();
  const auto d = build(spec);
  ASSERT_EQ(d.size(), 20 + 8 + kPayload.size());
  EXPECT_EQ(d[0], 0x45);
  EXPECT_EQ(d[1], 0x28);
  EXPECT_EQ((d[2] << 8) | d[3], static_cast<int>(d.size()));
  EXPECT_EQ((d[4] << 8) | d[5], 0x1234);
  EXPECT_EQ((d[6] << 8) | d[7], 0);  // DF clear, no fragment offset
  EXPECT_EQ(d[8], 5);
  EXPECT_EQ(d[9], 17);
  EXPECT_EQ(std::vector<uint8_t>(d.begin() + 12, d.begin() + 16),
            (std::vector<uint8_t>{198, 51, 100, 7}));
  EXPECT_EQ(std::vector<uint8_t>(d.begin() + 16, d.begin() + 20),
            (std::vector<uint8_t>{232, 1, 2, 3}));
  // The header sums to all ones.
  EXPECT_EQ(ref_sum(std::vector<uint8_t>(d.begin(), d.begin() + 20)), 0xffff);
  // UDP: ports, length, payload, checksum over the pseudo-header.
  EXPECT_EQ((d[20] << 8) | d[21], 4000);
  EXPECT_EQ((d[22] << 8) | d[23], 5000);
  EXPECT_EQ((d[24] << 8) | d[25], static_cast<int>(8 + kPayload.size()));
  EXPECT_EQ(std::string(d.begin() + 28, d.end()), kPayload);
  expect_udp_checksum(
      {198, 51, 100, 7, 232, 1, 2, 3, 0, 17, 0, static_cast<uint8_t>(8 + kPayload.size())}, d, 20);

  expect_info(d, spec, 17, 20);  // 198.51.100.7 -> 232.1.2.3, TTL 5, TOS 0x28
}

TEST(RawBuilder, Ipv4OptionsAndDontFragment) {
  auto spec = v4_spec();
  const uint8_t opts[4] = {0x01, 0x01, 0x01, 0x00};  // NOP NOP NOP EOL
  spec.ipv4_options = std::as_bytes(std::span(opts));
  spec.ipv4_dont_fragment = true;
  const auto d = build(spec);
  EXPECT_EQ(d[0], 0x46);
  EXPECT_EQ(d[6], 0x40);
  EXPECT_EQ(std::vector<uint8_t>(d.begin() + 20, d.begin() + 24),
            (std::vector<uint8_t>{1, 1, 1, 0}));
  auto info = validate_raw_datagram(bytes(d), Family::ipv4);
  ASSERT_TRUE(info.has_value()) << info.error().message();
  EXPECT_EQ(info->header_size, 24u);
}

TEST(RawBuilder, Ipv6WithDestinationOptions) {
  auto spec = v6_spec();
  const uint8_t ext[8] = {17, 0, 1, 4, 0, 0, 0, 0};
  spec.ipv6_extension_headers = std::as_bytes(std::span(ext));
  const auto d = build(spec);
  const std::size_t udp_len = 8 + kPayload.size();
  ASSERT_EQ(d.size(), 40 + 8 + udp_len);
  const uint32_t w0 = (d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3];
  EXPECT_EQ(w0 >> 28, 6u);
  EXPECT_EQ((w0 >> 20) & 0xff, 0xb8u);
  EXPECT_EQ(w0 & 0xfffff, 0x12345u);
  EXPECT_EQ((d[4] << 8) | d[5], static_cast<int>(8 + udp_len));
  EXPECT_EQ(d[6], 60);
  EXPECT_EQ(d[7], 7);
  EXPECT_EQ(std::vector<uint8_t>(d.begin() + 40, d.begin() + 48),
            (std::vector<uint8_t>(ext, ext + 8)));
  // UDP checksum over the IPv6 pseudo-header (RFC 8200 section 8.1).
  std::vector<uint8_t> pseudo(d.begin() + 8, d.begin() + 40);
  const uint8_t tail[8] = {0, 0, 0, static_cast<uint8_t>(udp_len), 0, 0, 0, 17};
  pseudo.insert(pseudo.end(), tail, tail + 8);
  expect_udp_checksum(pseudo, d, 48);

  // 2001:db8:99::7 -> ff3e::8000:1234, hop limit 7, class 0xb8, flow 0x12345
  expect_info(d, spec, 60, 40);
}

TEST(RawBuilder, ZeroUdpChecksumIsSentAsAllOnes) {
  // Some source port makes the computed checksum 0; RFC 768 says to send it
  // as 0xffff because 0 means "no checksum".
  auto spec = v4_spec();
  bool seen = false;
  for (uint32_t port = 0; port <= 0xffff && !seen; ++port) {
    spec.source_port = static_cast<uint16_t>(port);
    const auto d = build(spec);
    if (d[26] == 0xff && d[27] == 0xff) seen = true;
    ASSERT_FALSE(d[26] == 0 && d[27] == 0) << "port " << port;
  }
  EXPECT_TRUE(seen);
}

// The largest UDP payload spec can carry is `max` bytes: one more is refused
// as too long.
void expect_payload_limit(UdpDatagramSpec spec, std::size_t max) {
  std::vector<std::byte> out(70000), big(max + 1);
  spec.payload = big;
  auto r = build_udp_datagram(spec, out);
  ASSERT_FALSE(r) << max + 1;
  EXPECT_EQ(r.error().code, Errc::message_too_long);
  big.resize(max);
  spec.payload = big;
  EXPECT_TRUE(build_udp_datagram(spec, out).has_value()) << max;
}

TEST(RawBuilder, Errors) {
  std::vector<std::byte> out(70000);
  auto spec = v4_spec();
  spec.destination = ip("ff3e::1");
  auto r = build_udp_datagram(spec, out);
  expect_error(r, Errc::source_family_mismatch,
               "source 198.51.100.7 is IPv4 but destination ff3e::1 is IPv6");

  spec = v4_spec();
  const uint8_t six[6] = {};
  spec.ipv4_options = std::as_bytes(std::span(six));
  r = build_udp_datagram(spec, out);
  expect_error(r, Errc::raw_bad_header_length,
               "IPv4 options of 6 bytes: the length must be a multiple of 4 and at most 40");

  spec = v6_spec();
  spec.ipv6_extension_headers = std::as_bytes(std::span(six));
  r = build_udp_datagram(spec, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "IPv6 extension headers of 6 bytes: the length must be a multiple of 8");

  spec = v6_spec();
  spec.flow_label = 0x100000;
  r = build_udp_datagram(spec, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "IPv6 flow label 1048576 does not fit in 20 bits (0..1048575)");

  expect_payload_limit(v4_spec(), 65507);
  expect_payload_limit(v6_spec(), 65527);

  spec = v4_spec();
  std::vector<std::byte> small(20);
  r = build_udp_datagram(spec, small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::message_too_long);
  EXPECT_EQ(r.error().message, "output buffer of 20 bytes is too small for the " +
                                   std::to_string(28 + kPayload.size()) + "-byte datagram");
}

}  // namespace
}  // namespace mctx::test
