// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw mode unit tests: the datagram validator (every rule, its code and its
// message), the checksum and the UDP-in-IP builder, configuration rules that
// need only the host's interface list, capabilities, and the send path of a
// closed publication. Nothing is sent; no privileges needed.

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "mctx/mctx.hpp"

namespace mctx {
namespace {

IpAddress ip(const std::string& text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a ? *a : IpAddress{};
}

std::span<const std::byte> as_span(const std::vector<uint8_t>& v) {
  return std::as_bytes(std::span<const uint8_t>(v.data(), v.size()));
}

const std::string kPayload = "mctx raw unit payload";

UdpDatagramSpec v4_spec() {
  UdpDatagramSpec s;
  s.source = ip("198.51.100.7");
  s.destination = ip("232.1.2.3");
  s.source_port = 4000;
  s.destination_port = 5000;
  s.payload = std::as_bytes(std::span(kPayload.data(), kPayload.size()));
  s.ttl = 5;
  s.traffic_class = 0x28;
  s.ipv4_id = 0x1234;
  return s;
}

UdpDatagramSpec v6_spec() {
  UdpDatagramSpec s;
  s.source = ip("2001:db8:99::7");
  s.destination = ip("ff3e::8000:1234");
  s.source_port = 4000;
  s.destination_port = 5000;
  s.payload = std::as_bytes(std::span(kPayload.data(), kPayload.size()));
  s.ttl = 7;
  s.traffic_class = 0xb8;
  s.flow_label = 0x12345;
  return s;
}

std::vector<uint8_t> build(const UdpDatagramSpec& spec) {
  std::vector<uint8_t> out(udp_datagram_size(spec));
  auto r = build_udp_datagram(spec, std::as_writable_bytes(std::span(out)));
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().what());
  return out;
}

void fix_checksum(std::vector<uint8_t>& d) {
  fix_ipv4_header_checksum(std::as_writable_bytes(std::span(d)));
}

// Independent reference: plain RFC 1071 sum, written the obvious way.
uint16_t ref_sum(const std::vector<uint8_t>& d) {
  uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < d.size(); i += 2) sum += (d[i] << 8) | d[i + 1];
  if (d.size() % 2) sum += d.back() << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

RawDatagramError expect_invalid(const std::vector<uint8_t>& d, Errc code,
                                std::optional<Family> expected = std::nullopt) {
  auto r = validate_raw_datagram(as_span(d), expected);
  EXPECT_FALSE(r.has_value());
  if (r) return {};
  EXPECT_EQ(r.error().code, code) << errc_name(r.error().code) << ": " << r.error().message();
  return r.error();
}

// ---------------------------------------------------------------- checksum

TEST(RawChecksum, Rfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
  const std::vector<uint8_t> d = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internet_checksum(as_span(d)), 0x220d);
  const std::vector<uint8_t> odd = {0x01};
  EXPECT_EQ(internet_checksum(as_span(odd)), static_cast<uint16_t>(~0x0100));
  EXPECT_EQ(internet_checksum({}), 0xffff);
}

TEST(RawChecksum, FixIpv4HeaderChecksum) {
  auto d = build(v4_spec());
  d[10] = d[11] = 0xaa;
  fix_checksum(d);
  EXPECT_TRUE(validate_raw_datagram(as_span(d)).has_value());
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
  std::vector<uint8_t> pseudo = {198, 51, 100, 7,  232, 1,
                                 2,   3,  0,   17, 0,   static_cast<uint8_t>(8 + kPayload.size())};
  pseudo.insert(pseudo.end(), d.begin() + 20, d.end());
  EXPECT_EQ(ref_sum(pseudo), 0xffff);

  auto info = validate_raw_datagram(as_span(d));
  ASSERT_TRUE(info.has_value()) << info.error().message();
  EXPECT_EQ(info->family, Family::ipv4);
  EXPECT_EQ(info->source, ip("198.51.100.7"));
  EXPECT_EQ(info->destination, ip("232.1.2.3"));
  EXPECT_EQ(info->protocol, 17);
  EXPECT_EQ(info->ttl, 5);
  EXPECT_EQ(info->traffic_class, 0x28);
  EXPECT_EQ(info->header_size, 20u);
  EXPECT_EQ(info->size, d.size());
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
  auto info = validate_raw_datagram(as_span(d), Family::ipv4);
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
  pseudo.insert(pseudo.end(), d.begin() + 48, d.end());
  EXPECT_EQ(ref_sum(pseudo), 0xffff);

  auto info = validate_raw_datagram(as_span(d));
  ASSERT_TRUE(info.has_value()) << info.error().message();
  EXPECT_EQ(info->family, Family::ipv6);
  EXPECT_EQ(info->source, ip("2001:db8:99::7"));
  EXPECT_EQ(info->destination, ip("ff3e::8000:1234"));
  EXPECT_EQ(info->protocol, 60);
  EXPECT_EQ(info->ttl, 7);
  EXPECT_EQ(info->traffic_class, 0xb8);
  EXPECT_EQ(info->flow_label, 0x12345u);
  EXPECT_EQ(info->header_size, 40u);
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

TEST(RawBuilder, Errors) {
  std::vector<std::byte> out(70000);
  auto spec = v4_spec();
  spec.destination = ip("ff3e::1");
  auto r = build_udp_datagram(spec, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::source_family_mismatch);
  EXPECT_EQ(r.error().message, "source 198.51.100.7 is IPv4 but destination ff3e::1 is IPv6");

  spec = v4_spec();
  const uint8_t six[6] = {};
  spec.ipv4_options = std::as_bytes(std::span(six));
  r = build_udp_datagram(spec, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::raw_bad_header_length);
  EXPECT_EQ(r.error().message,
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

  spec = v4_spec();
  std::vector<std::byte> big(65508);
  spec.payload = big;
  r = build_udp_datagram(spec, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::message_too_long);
  big.resize(65507);
  spec.payload = big;
  EXPECT_TRUE(build_udp_datagram(spec, out).has_value());

  spec = v6_spec();
  big.resize(65528);
  spec.payload = big;
  r = build_udp_datagram(spec, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::message_too_long);
  big.resize(65527);
  spec.payload = big;
  EXPECT_TRUE(build_udp_datagram(spec, out).has_value());

  spec = v4_spec();
  std::vector<std::byte> small(20);
  r = build_udp_datagram(spec, small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::message_too_long);
  EXPECT_EQ(r.error().message, "output buffer of 20 bytes is too small for the " +
                                   std::to_string(28 + kPayload.size()) + "-byte datagram");
}

// ---------------------------------------------------------------- validator

TEST(RawValidate, TooShort) {
  auto e = expect_invalid({}, Errc::raw_datagram_too_short);
  EXPECT_EQ(e.message(),
            "datagram is empty: an IP datagram needs at least 20 bytes (IPv4) or 40 bytes (IPv6)");
  std::vector<uint8_t> v4(19, 0);
  v4[0] = 0x45;
  e = expect_invalid(v4, Errc::raw_datagram_too_short);
  EXPECT_EQ(e.message(),
            "IPv4 datagram of 19 bytes is shorter than the minimum IPv4 header of 20 bytes");
  std::vector<uint8_t> v6(39, 0);
  v6[0] = 0x60;
  e = expect_invalid(v6, Errc::raw_datagram_too_short);
  EXPECT_EQ(e.message(), "IPv6 datagram of 39 bytes is shorter than the 40-byte IPv6 header");
  std::vector<uint8_t> one = {0x45};
  expect_invalid(one, Errc::raw_datagram_too_short);
}

TEST(RawValidate, BadVersion) {
  auto d = build(v4_spec());
  for (uint8_t v : {0, 1, 5, 7, 15}) {
    d[0] = static_cast<uint8_t>((v << 4) | 5);
    auto e = expect_invalid(d, Errc::raw_bad_version);
    EXPECT_EQ(e.value, v);
    EXPECT_EQ(e.message(), "IP version " + std::to_string(v) +
                               " (first 4 bits of the datagram) is neither 4 nor 6");
  }
}

TEST(RawValidate, FamilyMismatch) {
  auto e = expect_invalid(build(v6_spec()), Errc::raw_family_mismatch, Family::ipv4);
  EXPECT_EQ(e.message(), "datagram is IPv6 but this raw publication sends IPv4 datagrams");
  e = expect_invalid(build(v4_spec()), Errc::raw_family_mismatch, Family::ipv6);
  EXPECT_EQ(e.message(), "datagram is IPv4 but this raw publication sends IPv6 datagrams");
  EXPECT_TRUE(validate_raw_datagram(as_span(build(v4_spec())), Family::ipv4).has_value());
  EXPECT_TRUE(validate_raw_datagram(as_span(build(v6_spec())), Family::ipv6).has_value());
}

TEST(RawValidate, HeaderLength) {
  auto d = build(v4_spec());
  d[0] = 0x44;
  auto e = expect_invalid(d, Errc::raw_bad_header_length);
  EXPECT_EQ(e.message(), "IPv4 header length (IHL) 16 bytes is below the minimum of 20 bytes");
  d[0] = 0x40;
  e = expect_invalid(d, Errc::raw_bad_header_length);
  EXPECT_EQ(e.message(), "IPv4 header length (IHL) 0 bytes is below the minimum of 20 bytes");
  // 48-byte datagram claiming a 60-byte header.
  std::vector<uint8_t> small(48, 0);
  small[0] = 0x4f;
  small[3] = 48;
  e = expect_invalid(small, Errc::raw_bad_header_length);
  EXPECT_EQ(e.message(), "IPv4 header length (IHL) 60 bytes exceeds the datagram size 48");
}

TEST(RawValidate, TotalLength) {
  auto d = build(v4_spec());
  const std::size_t size = d.size();
  d[2] = 0;
  d[3] = static_cast<uint8_t>(size + 12);
  fix_checksum(d);
  auto e = expect_invalid(d, Errc::raw_bad_total_length);
  EXPECT_EQ(e.message(), "IPv4 total length " + std::to_string(size + 12) +
                             " does not match the datagram size " + std::to_string(size));
  // Truncated by one byte.
  d = build(v4_spec());
  d.pop_back();
  e = expect_invalid(d, Errc::raw_bad_total_length);
  EXPECT_EQ(e.value, size);
  EXPECT_EQ(e.size, size - 1);
  // Longer than any IPv4 datagram can be.
  d = build(v4_spec());
  d.resize(70000);
  expect_invalid(d, Errc::raw_bad_total_length);
}

TEST(RawValidate, Checksum) {
  auto d = build(v4_spec());
  const uint16_t good = static_cast<uint16_t>((d[10] << 8) | d[11]);
  d[11] ^= 0x01;
  const uint16_t bad = static_cast<uint16_t>((d[10] << 8) | d[11]);
  auto e = expect_invalid(d, Errc::raw_bad_checksum);
  EXPECT_EQ(e.value, bad);
  EXPECT_EQ(e.expected, good);
  char text[80];
  std::snprintf(text, sizeof text, "IPv4 header checksum 0x%04x is wrong (expected 0x%04x)", bad,
                good);
  EXPECT_EQ(e.message(), text);
  // A changed header field without a new checksum.
  d = build(v4_spec());
  d[8] = 64;
  expect_invalid(d, Errc::raw_bad_checksum);
  // Checksum bytes in an IPv4 option are covered too.
  auto spec = v4_spec();
  const uint8_t opts[4] = {1, 1, 1, 0};
  spec.ipv4_options = std::as_bytes(std::span(opts));
  d = build(spec);
  d[22] = 7;
  expect_invalid(d, Errc::raw_bad_checksum);
}

TEST(RawValidate, ChecksumNegativeZeroIsValid) {
  // Choose the identification so that the header (checksum field 0) sums to
  // 0xffff: its checksum is then 0x0000, and 0xffff is the other ones'
  // complement zero. Both are valid (RFC 1624); Linux writes 0x0000.
  auto d = build(v4_spec());
  d[4] = d[5] = 0;
  d[10] = d[11] = 0;
  const uint16_t s = ref_sum(std::vector<uint8_t>(d.begin(), d.begin() + 20));
  const uint16_t id = static_cast<uint16_t>(0xffff - s);
  d[4] = static_cast<uint8_t>(id >> 8);
  d[5] = static_cast<uint8_t>(id);
  ASSERT_EQ(ref_sum(std::vector<uint8_t>(d.begin(), d.begin() + 20)), 0xffff);
  EXPECT_TRUE(validate_raw_datagram(as_span(d)).has_value());
  d[10] = d[11] = 0xff;
  EXPECT_TRUE(validate_raw_datagram(as_span(d)).has_value());
}

TEST(RawValidate, PayloadLength) {
  auto d = build(v6_spec());
  const std::size_t size = d.size();
  d[4] = 0;
  d[5] = 100;
  auto e = expect_invalid(d, Errc::raw_bad_payload_length);
  EXPECT_EQ(e.message(),
            "IPv6 payload length 100 + 40-byte header = 140 does not match the "
            "datagram size " +
                std::to_string(size));
  d = build(v6_spec());
  d.push_back(0);
  expect_invalid(d, Errc::raw_bad_payload_length);
  // A jumbogram (payload length 0) is not supported.
  d = build(v6_spec());
  d[4] = d[5] = 0;
  expect_invalid(d, Errc::raw_bad_payload_length);
}

TEST(RawValidate, SourceUnspecified) {
  auto spec = v4_spec();
  spec.source = ip("0.0.0.0");
  auto e = expect_invalid(build(spec), Errc::raw_source_unspecified);
  EXPECT_EQ(e.message(),
            "source address 0.0.0.0 of the IPv4 datagram is unspecified: a raw "
            "datagram must carry its real source");
  spec = v6_spec();
  spec.source = ip("::");
  e = expect_invalid(build(spec), Errc::raw_source_unspecified);
  EXPECT_EQ(e.message(),
            "source address :: of the IPv6 datagram is unspecified: a raw datagram "
            "must carry its real source");
}

TEST(RawValidate, DestinationNotMulticast) {
  auto spec = v4_spec();
  spec.destination = ip("192.0.2.5");
  auto e = expect_invalid(build(spec), Errc::raw_destination_not_multicast);
  EXPECT_EQ(e.message(), "destination 192.0.2.5 of the IPv4 datagram is not a multicast address");
  spec = v6_spec();
  spec.destination = ip("2001:db8::5");
  e = expect_invalid(build(spec), Errc::raw_destination_not_multicast);
  EXPECT_EQ(e.message(), "destination 2001:db8::5 of the IPv6 datagram is not a multicast address");
  // Edges of 224.0.0.0/4.
  spec = v4_spec();
  spec.destination = ip("224.0.0.1");
  EXPECT_TRUE(validate_raw_datagram(as_span(build(spec))).has_value());
  spec.destination = ip("239.255.255.255");
  EXPECT_TRUE(validate_raw_datagram(as_span(build(spec))).has_value());
  spec.destination = ip("240.0.0.1");
  expect_invalid(build(spec), Errc::raw_destination_not_multicast);
  spec.destination = ip("223.255.255.255");
  expect_invalid(build(spec), Errc::raw_destination_not_multicast);
}

TEST(RawValidate, ForeignUnicastSourcesAreAccepted) {
  // Raw mode does not ask whether the source is local: any unicast address
  // a datagram may carry on a network is accepted, edges included.
  for (const char* s : {"198.51.100.7", "10.1.2.3", "1.0.0.0", "126.255.255.255", "128.0.0.1",
                        "223.255.255.255", "240.0.0.1", "255.255.255.254", "169.254.1.1"}) {
    auto spec = v4_spec();
    spec.source = ip(s);
    EXPECT_TRUE(validate_raw_datagram(as_span(build(spec))).has_value()) << s;
  }
  for (const char* s : {"2001:db8::1", "fe80::1", "::2", "::ffff:192.0.2.1", "fd00::1",
                        "feff::1"}) {
    auto spec = v6_spec();
    spec.source = ip(s);
    EXPECT_TRUE(validate_raw_datagram(as_span(build(spec))).has_value()) << s;
  }
}

TEST(RawValidate, SourcesThatMustNotBeOnANetwork) {
  struct Case {
    const char* source;
    Errc code;
    const char* message;
  } cases[] = {
      {"0.1.2.3", Errc::raw_source_this_network,
       "source address 0.1.2.3 of the IPv4 datagram is in 0.0.0.0/8 (\"this network\"), which a "
       "datagram on a link must not carry as its source"},
      {"0.255.255.255", Errc::raw_source_this_network, "0.0.0.0/8"},
      {"127.0.0.1", Errc::raw_source_loopback,
       "source address 127.0.0.1 of the IPv4 datagram is a loopback address, which must never "
       "appear on a network"},
      {"127.255.0.9", Errc::raw_source_loopback, "loopback"},
      {"224.0.0.1", Errc::raw_source_multicast,
       "source address 224.0.0.1 of the IPv4 datagram is a multicast address: a source must be "
       "a unicast address"},
      {"239.255.255.255", Errc::raw_source_multicast, "multicast"},
      {"255.255.255.255", Errc::raw_source_broadcast,
       "source address 255.255.255.255 of the IPv4 datagram is the broadcast address: a source "
       "must be a unicast address"},
      {"::1", Errc::raw_source_loopback,
       "source address ::1 of the IPv6 datagram is a loopback address, which must never appear "
       "on a network"},
      {"ff02::1", Errc::raw_source_multicast,
       "source address ff02::1 of the IPv6 datagram is a multicast address: a source must be a "
       "unicast address"},
      {"ff3e::1234", Errc::raw_source_multicast, "multicast"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.source);
    const IpAddress a = ip(c.source);
    auto spec = a.is_v4() ? v4_spec() : v6_spec();
    spec.source = a;
    auto e = expect_invalid(build(spec), c.code);
    EXPECT_TRUE(is_raw_datagram_error(c.code));
    EXPECT_EQ(e.address, a);
    EXPECT_NE(e.message().find(c.message), std::string::npos) << e.message();
  }
}

TEST(RawValidate, Ipv6DestinationScope) {
  struct Case {
    const char* group;
    const char* message;
  } bad[] = {
      {"ff00::1", "destination ff00::1 of the IPv6 datagram has scope 0 (reserved): raw mode "
                  "sends only groups of scope 2 (link-local) or wider"},
      {"ff01::1", "destination ff01::1 of the IPv6 datagram has scope 1 (interface-local, never "
                  "sent on a link): raw mode sends only groups of scope 2 (link-local) or wider"},
      {"ff30::8000:1", "scope 0 (reserved)"},
      {"ff11::1", "scope 1 (interface-local"},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.group);
    auto spec = v6_spec();
    spec.destination = ip(c.group);
    auto e = expect_invalid(build(spec), Errc::raw_destination_bad_scope);
    EXPECT_EQ(e.address, ip(c.group));
    EXPECT_NE(e.message().find(c.message), std::string::npos) << e.message();
  }
  for (const char* g : {"ff02::1", "ff12::1", "ff05::2", "ff0e::1", "ff3e::8000:1", "ff0f::1"}) {
    auto spec = v6_spec();
    spec.destination = ip(g);
    EXPECT_TRUE(validate_raw_datagram(as_span(build(spec))).has_value()) << g;
  }
}

TEST(RawValidate, TtlAndHopLimitZero) {
  auto spec = v4_spec();
  spec.ttl = 0;
  auto e = expect_invalid(build(spec), Errc::raw_ttl_zero);
  EXPECT_EQ(e.value, 0u);
  EXPECT_EQ(e.message(),
            "TTL 0 of the IPv4 datagram: a datagram must not be sent with TTL 0 (at least 1)");
  spec = v6_spec();
  spec.ttl = 0;
  e = expect_invalid(build(spec), Errc::raw_ttl_zero);
  EXPECT_EQ(e.message(),
            "hop limit 0 of the IPv6 datagram: a datagram must not be sent with hop limit 0 (at "
            "least 1)");
  for (uint8_t t : {1, 255}) {
    spec = v4_spec();
    spec.ttl = t;
    EXPECT_TRUE(validate_raw_datagram(as_span(build(spec))).has_value());
    spec = v6_spec();
    spec.ttl = t;
    EXPECT_TRUE(validate_raw_datagram(as_span(build(spec))).has_value());
  }
}

TEST(RawValidate, IovecSplitsMatchTheContiguousResult) {
  std::vector<std::vector<uint8_t>> cases = {build(v4_spec()), build(v6_spec())};
  auto bad = build(v4_spec());
  bad[11] ^= 1;
  cases.push_back(bad);
  auto shortv4 = build(v4_spec());
  shortv4.resize(17);
  cases.push_back(shortv4);
  for (const auto& d : cases) {
    auto whole = validate_raw_datagram(as_span(d));
    for (std::size_t a = 0; a <= d.size(); ++a) {
      for (std::size_t b = a; b <= d.size(); b += 7) {
        std::vector<uint8_t> copy = d;  // separate storage per piece is not needed
        iovec iov[4] = {{copy.data(), a},
                        {nullptr, 0},
                        {copy.data() + a, b - a},
                        {copy.data() + b, copy.size() - b}};
        auto parts = validate_raw_datagram(iov, 4);
        ASSERT_EQ(parts.has_value(), whole.has_value()) << "split " << a << "/" << b;
        if (whole) {
          EXPECT_EQ(parts->size, whole->size);
          EXPECT_EQ(parts->source, whole->source);
        } else {
          EXPECT_EQ(parts.error().code, whole.error().code);
          EXPECT_EQ(parts.error().message(), whole.error().message());
        }
      }
    }
  }
  auto none = validate_raw_datagram(nullptr, 0);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::raw_datagram_too_short);
}

TEST(RawValidate, RandomInputsNeverCrash) {
  // The fuzz target does this under ASan with coverage; this is the cheap
  // version for every build.
  std::mt19937 rng(12345);
  std::vector<uint8_t> d;
  for (int i = 0; i < 200000; ++i) {
    d.resize(rng() % 80);
    for (auto& b : d) b = static_cast<uint8_t>(rng());
    if (!d.empty() && (rng() & 1))
      d[0] = static_cast<uint8_t>((rng() & 1 ? 0x40 : 0x60) | (d[0] & 0xf));
    auto r = validate_raw_datagram(as_span(d));
    if (r) {
      EXPECT_EQ(r->size, d.size());
      EXPECT_TRUE(r->destination.is_multicast());
    }
  }
}

// ---------------------------------------------------------------- config

TEST(RawConfig, Ipv6NeedsAnInterface) {
  auto r = RawPublicationConfig(Family::ipv6).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::raw_interface_required);
  EXPECT_EQ(r.error().message,
            "IPv6 raw mode needs an explicit interface (name, index or address): datagrams are "
            "injected at the link layer and bypass routing");
}

TEST(RawConfig, Ipv6OnLoopbackIsAnUnsupportedLink) {
  auto r = RawPublicationConfig(Family::ipv6).with_interface(InterfaceSpec::name("lo")).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::raw_unsupported_link);
  EXPECT_NE(r.error().message.find("interface 'lo' (index "), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(") has link type loopback (ARPHRD 772); IPv6 raw mode works "
                                   "only on Ethernet-like links (ARPHRD_ETHER, 6-byte addresses)"),
            std::string::npos)
      << r.error().message;
}

TEST(RawConfig, Ipv6LoopbackCannotBeEnabled) {
  auto r = RawPublicationConfig(Family::ipv6)
               .with_interface(InterfaceSpec::name("lo"))
               .with_loopback(true)
               .validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::raw_unsupported_platform);
  EXPECT_NE(r.error().message.find("loopback cannot be enabled for IPv6 raw mode"),
            std::string::npos);
}

TEST(RawConfig, BindRules) {
  auto r = RawPublicationConfig(Family::ipv4).with_bind(ip("fd00::1")).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::bind_family_mismatch);
  EXPECT_EQ(r.error().message,
            "bind address 'fd00::1' is IPv6 but the raw publication sends IPv4 datagrams");

  r = RawPublicationConfig(Family::ipv4).with_bind(ip("0.0.0.0")).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::source_unspecified);
  EXPECT_EQ(r.error().message,
            "bind address '0.0.0.0' is unspecified: give a local unicast address or leave bind "
            "unset");

  r = RawPublicationConfig(Family::ipv4).with_bind(ip("239.1.1.1")).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::source_multicast);

  r = RawPublicationConfig(Family::ipv4).with_bind(ip("203.0.113.99")).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::source_not_local);
  EXPECT_EQ(r.error().message,
            "bind address '203.0.113.99' is not configured on any interface of this host");

  // 127.0.0.1 is always local; without an interface it selects lo.
  auto ok = RawPublicationConfig(Family::ipv4).with_bind(ip("127.0.0.1")).validate();
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->interface_name, "lo");
  EXPECT_EQ(ok->bind, ip("127.0.0.1"));
}

TEST(RawConfig, InterfaceRules) {
  auto r = RawPublicationConfig(Family::ipv4)
               .with_interface(InterfaceSpec::name("mctx-nonexistent"))
               .validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::interface_not_found);
  EXPECT_EQ(r.error().message, "interface 'mctx-nonexistent' does not exist");

  r = RawPublicationConfig(Family::ipv4).with_interface(InterfaceSpec::index(0)).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::interface_index_zero);

  r = RawPublicationConfig(Family::ipv4).with_interface(InterfaceSpec::index(999999)).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::interface_not_found);
  EXPECT_EQ(r.error().message, "interface index 999999 does not exist");

  r = RawPublicationConfig(Family::ipv4)
          .with_interface(InterfaceSpec::address(ip("::1")))
          .validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::interface_family_mismatch);

  r = RawPublicationConfig(Family::ipv4)
          .with_interface(InterfaceSpec::address(ip("203.0.113.99")))
          .validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::interface_not_found);
  EXPECT_EQ(r.error().message,
            "interface address '203.0.113.99' is not configured on any interface");

  r = RawPublicationConfig(Family::ipv4).with_send_buffer_size(0).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_send_buffer_size);
}

TEST(RawConfig, Ipv4Resolution) {
  auto r = RawPublicationConfig(Family::ipv4).validate();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->interface_index, 0u);
  EXPECT_TRUE(r->loopback);
  EXPECT_FALSE(r->bind);

  r = RawPublicationConfig(Family::ipv4)
          .with_interface(InterfaceSpec::address(ip("127.0.0.1")))
          .with_loopback(false)
          .validate();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->interface_name, "lo");
  EXPECT_EQ(r->interface_address, ip("127.0.0.1"));
  EXPECT_FALSE(r->loopback);
}

// ---------------------------------------------------------------- misc

TEST(RawCapabilities, DescribesBothFamilies) {
  const RawCapabilities caps = raw_capabilities();
  EXPECT_STREQ(caps.platform, "linux");
  EXPECT_TRUE(caps.ipv4.supported);
  EXPECT_FALSE(caps.ipv4.interface_required);
  EXPECT_TRUE(caps.ipv4.local_loopback);
  EXPECT_TRUE(caps.ipv6.supported);
  EXPECT_TRUE(caps.ipv6.interface_required);
  EXPECT_FALSE(caps.ipv6.local_loopback);
  EXPECT_STREQ(caps.ipv6.kernel_fills, "none");
}

TEST(RawPublicationApi, ClosedPublicationAndUnknownIds) {
  RawContext ctx;
  const auto d = build(v4_spec());
  auto r = ctx.send(12345, as_span(d));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::publication_not_found);
  EXPECT_FALSE(r.error().invalid_datagram());
  EXPECT_FALSE(ctx.remove(12345));
  EXPECT_FALSE(ctx.take(12345).has_value());
  EXPECT_EQ(ctx.size(), 0u);
  const Snapshot s = ctx.snapshot();
  EXPECT_EQ(s.active_publications, 0u);
  EXPECT_EQ(s.send, SendCounters{});
}

TEST(RawSendErrorText, InvalidAndKernelErrors) {
  RawSendError e;
  e.code = Errc::raw_bad_checksum;
  e.datagram.code = Errc::raw_bad_checksum;
  e.datagram.value = 0x1234;
  e.datagram.expected = 0xabcd;
  EXPECT_TRUE(e.invalid_datagram());
  EXPECT_EQ(e.message(), "IPv4 header checksum 0x1234 is wrong (expected 0xabcd)");
  RawSendError k;
  k.code = Errc::message_too_long;
  k.system_errno = EMSGSIZE;
  EXPECT_FALSE(k.invalid_datagram());
  EXPECT_EQ(k.message(), send_error_from_errno(EMSGSIZE).message());
}

}  // namespace
}  // namespace mctx
