// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw mode unit tests: the datagram validator, every rule with its code and
// its message. Nothing is sent; no privileges needed.

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "raw_unit_util.hpp"

namespace mctx::test {
namespace {

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
  EXPECT_TRUE(validate_raw_datagram(bytes(build(v4_spec())), Family::ipv4).has_value());
  EXPECT_TRUE(validate_raw_datagram(bytes(build(v6_spec())), Family::ipv6).has_value());
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
  EXPECT_TRUE(validate_raw_datagram(bytes(d)).has_value());
  d[10] = d[11] = 0xff;
  EXPECT_TRUE(validate_raw_datagram(bytes(d)).has_value());
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
  EXPECT_TRUE(validate_raw_datagram(bytes(build(spec))).has_value());
  spec.destination = ip("239.255.255.255");
  EXPECT_TRUE(validate_raw_datagram(bytes(build(spec))).has_value());
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
    EXPECT_TRUE(validate_raw_datagram(bytes(build(spec))).has_value()) << s;
  }
  for (const char* s : {"2001:db8::1", "fe80::1", "::2", "::ffff:192.0.2.1", "fd00::1",
                        "feff::1"}) {
    auto spec = v6_spec();
    spec.source = ip(s);
    EXPECT_TRUE(validate_raw_datagram(bytes(build(spec))).has_value()) << s;
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
    EXPECT_TRUE(validate_raw_datagram(bytes(build(spec))).has_value()) << g;
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
    EXPECT_TRUE(validate_raw_datagram(bytes(build(spec))).has_value());
    spec = v6_spec();
    spec.ttl = t;
    EXPECT_TRUE(validate_raw_datagram(bytes(build(spec))).has_value());
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
    auto whole = validate_raw_datagram(bytes(d));
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
    auto r = validate_raw_datagram(bytes(d));
    if (r) {
      EXPECT_EQ(r->size, d.size());
      EXPECT_TRUE(r->destination.is_multicast());
    }
  }
}

}  // namespace
}  // namespace mctx::test
