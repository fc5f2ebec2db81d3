// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw IP control transmit (RawIpPublication): the ICMP messages an AMT
// gateway generates, sent to the peer namespace and captured there
// (AF_PACKET on mctx1), compared as docs/raw.md says: IPv4 byte for byte;
// IPv6 byte for byte but the flow label, which the kernel writes as 0. Then
// every datagram and configuration rule with its message.

#include <gtest/gtest.h>
#include <net/if.h>

#include <cstring>
#include <string>
#include <vector>

#include "mctx/mctx.hpp"
#include "gtest_netns.hpp"
#include "raw/raw_ip_context.hpp"  // internal: RawIpContext
#include "raw_test_util.hpp"

namespace mctx::test {
namespace {

void put16(std::vector<uint8_t>& v, std::size_t at, uint16_t x) {
  v[at] = static_cast<uint8_t>(x >> 8);
  v[at + 1] = static_cast<uint8_t>(x);
}

void append(std::vector<uint8_t>& v, const IpAddress& a) {
  const std::size_t n = a.is_v4() ? 4 : 16;
  v.insert(v.end(), a.bytes().begin(), a.bytes().begin() + static_cast<long>(n));
}

uint16_t checksum(const std::vector<uint8_t>& v) {
  return internet_checksum(std::as_bytes(std::span<const uint8_t>(v.data(), v.size())));
}

// An original datagram the ICMP messages quote; it carries `marker`.
std::vector<uint8_t> original(const IpAddress& src, const IpAddress& dst,
                              const std::string& marker) {
  UdpDatagramSpec s = udp_spec(src, dst, marker, 9);
  s.ipv4_id = 7;
  return build(s);
}

// IPv4 + ICMPv4 Destination Unreachable / Fragmentation Needed (type 3,
// code 4, RFC 1191) quoting `quoted`.
std::vector<uint8_t> icmp4_frag_needed(const IpAddress& src, const IpAddress& dst, uint16_t mtu,
                                       const std::vector<uint8_t>& quoted) {
  std::vector<uint8_t> icmp = {3, 4, 0, 0, 0, 0, 0, 0};
  put16(icmp, 6, mtu);
  icmp.insert(icmp.end(), quoted.begin(), quoted.end());
  put16(icmp, 2, checksum(icmp));
  std::vector<uint8_t> d = {0x45, 0xc0, 0, 0, 0x33, 0x33, 0, 0, 64, 1, 0, 0};
  append(d, src);
  append(d, dst);
  put16(d, 2, static_cast<uint16_t>(20 + icmp.size()));
  d.insert(d.end(), icmp.begin(), icmp.end());
  fix_ipv4_header_checksum(std::as_writable_bytes(std::span<uint8_t>(d.data(), d.size())));
  return d;
}

// IPv6 + ICMPv6 Packet Too Big (type 2, RFC 4443) quoting `quoted`, with a
// correct checksum over the pseudo-header.
std::vector<uint8_t> icmp6_packet_too_big(const IpAddress& src, const IpAddress& dst, uint32_t mtu,
                                          const std::vector<uint8_t>& quoted,
                                          uint8_t traffic_class = 0, uint8_t hop_limit = 255,
                                          uint32_t flow_label = 0) {
  std::vector<uint8_t> icmp = {2,
                               0,
                               0,
                               0,
                               static_cast<uint8_t>(mtu >> 24),
                               static_cast<uint8_t>(mtu >> 16),
                               static_cast<uint8_t>(mtu >> 8),
                               static_cast<uint8_t>(mtu)};
  icmp.insert(icmp.end(), quoted.begin(), quoted.end());
  put16(icmp, 2, icmpv6_checksum(src, dst, icmp));
  const uint32_t first = (6u << 28) | (uint32_t{traffic_class} << 20) | (flow_label & 0xfffff);
  std::vector<uint8_t> d = {static_cast<uint8_t>(first >> 24),
                            static_cast<uint8_t>(first >> 16),
                            static_cast<uint8_t>(first >> 8),
                            static_cast<uint8_t>(first),
                            0,
                            0,
                            58,
                            hop_limit};
  put16(d, 4, static_cast<uint16_t>(icmp.size()));
  append(d, src);
  append(d, dst);
  d.insert(d.end(), icmp.begin(), icmp.end());
  return d;
}

RawIpPublication open_ip(const RawIpConfig& c) {
  auto p = RawIpPublication::open(c);
  if (!p) throw std::runtime_error(p.error().what());
  return std::move(p).value();
}

// IPv6 out of mctx0, bound to its address fd00::1.
RawIpConfig v6_on_mctx0() {
  return RawIpConfig(Family::ipv6)
      .with_bind(ip("fd00::1"))
      .with_interface(InterfaceSpec::name("mctx0"));
}

Frame only(const std::vector<Frame>& frames) {
  if (frames.size() != 1) {
    throw std::runtime_error(std::to_string(frames.size()) + " frames with the marker");
  }
  return frames.front();
}

class RawIp : public ::testing::Test {
 protected:
  void SetUp() override { MCTX_REQUIRE_PEER(); }
};

TEST_F(RawIp, Icmpv4FragmentationNeededReachesThePeerByteForByte) {
  Capture cap = peer_capture();
  RawIpPublication pub = open_ip(RawIpConfig(Family::ipv4).with_bind(ip("192.0.2.1")));
  EXPECT_EQ(pub.resolved().interface_index, ::if_nametoindex("mctx0"));
  const auto quoted = original(ip("192.0.2.2"), ip("203.0.113.5"), "rawip4-fragneeded");
  const auto d = icmp4_frag_needed(ip("192.0.2.1"), ip("192.0.2.2"), 1400, quoted);
  auto r = pub.send(bytes(d));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->protocol, 1);
  EXPECT_EQ(r->bytes_sent, d.size());
  EXPECT_EQ(r->destination, ip("192.0.2.2"));
  const Frame f = only(cap.frames_with("rawip4-fragneeded"));
  EXPECT_EQ(f.ethertype(), 0x0800);
  EXPECT_EQ(f.l3(), d) << "captured:\n" << hexdump(f.l3()) << "\nsent:\n" << hexdump(d);
  EXPECT_EQ(pub.metrics().load().packets_sent, 1u);
}

TEST_F(RawIp, Icmpv6PacketTooBigReachesThePeerAsDocumented) {
  Capture cap = peer_capture();
  RawIpPublication pub = open_ip(v6_on_mctx0());
  const auto quoted = original(ip("fd00::2"), ip("2001:db8::5"), "rawip6-ptb-unicast");
  // Traffic class and hop limit come from the datagram; flow label 0, so
  // the whole datagram is expected unchanged.
  const auto d = icmp6_packet_too_big(ip("fd00::1"), ip("fd00::2"), 1280, quoted, 0xb8, 200);
  auto r = pub.send(bytes(d));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->protocol, 58);
  EXPECT_EQ(r->bytes_sent, d.size());
  const Frame f = only(cap.frames_with("rawip6-ptb-unicast"));
  EXPECT_EQ(f.ethertype(), 0x86dd);
  EXPECT_EQ(f.l3(), d) << "captured:\n" << hexdump(f.l3()) << "\nsent:\n" << hexdump(d);

  // A flow label is not carried: the kernel writes 0 (docs/raw.md); the
  // rest is unchanged. Another traffic class / hop limit opens another
  // protocol socket.
  const auto quoted2 = original(ip("fd00::2"), ip("2001:db8::5"), "rawip6-ptb-flow");
  const auto labelled =
      icmp6_packet_too_big(ip("fd00::1"), ip("fd00::2"), 1280, quoted2, 0x20, 17, 0xabcde);
  ASSERT_TRUE(pub.send(bytes(labelled)));
  // The ICMPv6 socket open() made (traffic class 0, hop limit 255) and one
  // for each of the two sends.
  EXPECT_EQ(pub.open_sockets(), 3u);
  auto expected = labelled;
  expected[1] &= 0xf0;  // flow label 0
  expected[2] = 0;
  expected[3] = 0;
  const Frame g = only(cap.frames_with("rawip6-ptb-flow"));
  EXPECT_EQ(g.l3(), expected) << "captured:\n"
                              << hexdump(g.l3()) << "\nexpected:\n"
                              << hexdump(expected);
}

TEST_F(RawIp, Ipv6LinkLocalDestinationsGetTheInterfaceScope) {
  Capture cap = peer_capture();
  RawIpPublication pub = open_ip(v6_on_mctx0());
  const auto quoted = original(ip("fd00::2"), ip("2001:db8::5"), "rawip6-ptb-allnodes");
  const auto d = icmp6_packet_too_big(ip("fd00::1"), ip("ff02::1"), 1280, quoted);
  auto r = pub.send(bytes(d));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->destination.scope_id(), ::if_nametoindex("mctx0"));
  const Frame f = only(cap.frames_with("rawip6-ptb-allnodes"));
  EXPECT_EQ(f.l3(), d);
}

TEST_F(RawIp, TheSocketCacheIsBounded) {
  RawIpPublication pub = open_ip(v6_on_mctx0());
  EXPECT_EQ(pub.open_sockets(), 1u);  // ICMPv6, opened by open()
  EXPECT_GE(pub.fd(), 0);
  const auto quoted = original(ip("fd00::2"), ip("2001:db8::5"), "rawip6-cache");
  for (int hop = 1; hop <= static_cast<int>(kRawIpSocketCacheSize) + 4; ++hop) {
    const auto d = icmp6_packet_too_big(ip("fd00::1"), ip("fd00::2"), 1280, quoted, 0,
                                        static_cast<uint8_t>(hop));
    ASSERT_TRUE(pub.send(bytes(d)));
    EXPECT_LE(pub.open_sockets(), kRawIpSocketCacheSize);
  }
  EXPECT_EQ(pub.open_sockets(), kRawIpSocketCacheSize);
  EXPECT_EQ(pub.metrics().load().packets_sent, kRawIpSocketCacheSize + 4);
}

TEST_F(RawIp, WithoutCapNetRawOpenSaysWhatToDo) {
  DropNetRaw drop;
  ASSERT_TRUE(drop.ok());
  EXPECT_FALSE(raw_ip_capabilities().permitted);
  for (const RawIpConfig& c : {RawIpConfig(Family::ipv4).with_bind(ip("192.0.2.1")),
                               RawIpConfig(Family::ipv6).with_bind(ip("fd00::1"))}) {
    auto p = RawIpPublication::open(c);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, Errc::raw_not_permitted);
    EXPECT_EQ(p.error().message,
              "raw mode needs CAP_NET_RAW (run as root, or setcap cap_net_raw+ep on the program)");
  }
}

TEST_F(RawIp, ContextOwnsPublicationsById) {
  Capture cap = peer_capture();
  RawIpContext ctx;
  const RawIpConfig c = RawIpConfig(Family::ipv4).with_bind(ip("192.0.2.1"));
  auto id = ctx.add(c);
  ASSERT_TRUE(id) << id.error().what();
  auto again = ctx.add(c);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::duplicate_publication);
  const auto quoted = original(ip("192.0.2.2"), ip("203.0.113.5"), "rawip4-context");
  const auto d = icmp4_frag_needed(ip("192.0.2.1"), ip("192.0.2.2"), 1400, quoted);
  auto r = ctx.send(*id, bytes(d));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->publication_id, *id);
  auto unknown = ctx.send(*id + 1000, bytes(d));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::publication_not_found);
  const Snapshot snap = ctx.snapshot();
  EXPECT_EQ(snap.send.packets_sent, 1u);
  EXPECT_EQ(snap.send.bytes_sent, d.size());
  EXPECT_EQ(snap.active_publications, 1u);
  EXPECT_EQ(only(cap.frames_with("rawip4-context")).l3(), d);

  std::optional<RawIpPublication> taken = ctx.take(*id);
  ASSERT_TRUE(taken);
  EXPECT_EQ(ctx.size(), 0u);
  taken->close();
  auto closed = ctx.add(std::move(*taken));
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, Errc::publication_closed);
  auto id2 = ctx.add(c);
  ASSERT_TRUE(id2);
  EXPECT_TRUE(ctx.remove(*id2));
  EXPECT_FALSE(ctx.remove(*id2));
}

// ---- datagram rules -----------------------------------------------------------

std::string rejected(const std::vector<uint8_t>& d, std::optional<Family> fam = std::nullopt,
                     const IpAddress* bind = nullptr, Errc* code = nullptr) {
  auto r = validate_raw_ip_datagram(bytes(d), fam, bind);
  if (r) return "valid";
  if (code != nullptr) *code = r.error().code;
  return r.error().message();
}

// validate_raw_ip_datagram() refuses d with `code` and exactly `message`.
void expect_rejected(const std::vector<uint8_t>& d, Errc code, const std::string& message,
                     std::optional<Family> fam = std::nullopt, const IpAddress* bind = nullptr) {
  Errc got = Errc::ok;
  EXPECT_EQ(rejected(d, fam, bind, &got), message);
  EXPECT_EQ(got, code) << message;
}

TEST(RawIpRules, EveryDatagramRuleWithItsMessage) {
  const auto quoted = original(ip("192.0.2.2"), ip("203.0.113.5"), "q");
  const auto good4 = icmp4_frag_needed(ip("192.0.2.1"), ip("192.0.2.2"), 1400, quoted);
  const auto q6 = original(ip("fd00::2"), ip("2001:db8::5"), "q");
  const auto good6 = icmp6_packet_too_big(ip("fd00::1"), ip("fd00::2"), 1280, q6);
  const IpAddress bind6 = ip("fd00::1");
  Errc code = Errc::ok;

  EXPECT_EQ(rejected(good4), "valid");  // unicast destination, any protocol
  EXPECT_EQ(rejected(good6, Family::ipv6, &bind6), "valid");

  expect_rejected(
      std::vector<uint8_t>{}, Errc::raw_datagram_too_short,
      "datagram is empty: an IP datagram needs at least 20 bytes (IPv4) or 40 bytes (IPv6)");
  auto v = good4;
  v[0] = 0x55;
  EXPECT_EQ(rejected(v, std::nullopt, nullptr, &code),
            "IP version 5 (first 4 bits of the datagram) is neither 4 nor 6");
  expect_rejected(good4, Errc::raw_family_mismatch,
                  "datagram is IPv4 but this raw publication sends IPv6 datagrams", Family::ipv6);
  auto ihl = good4;
  ihl[0] = 0x44;
  expect_rejected(ihl, Errc::raw_bad_header_length,
                  "IPv4 header length (IHL) 16 bytes is below the minimum of 20 bytes");
  auto len = good4;
  len.push_back(0);
  expect_rejected(len, Errc::raw_bad_total_length,
                  "IPv4 total length " + std::to_string(good4.size()) +
                      " does not match the datagram size " + std::to_string(len.size()));
  auto sum = good4;
  sum[8] = 63;  // TTL changed, checksum not
  EXPECT_NE(rejected(sum, std::nullopt, nullptr, &code).find("IPv4 header checksum 0x"),
            std::string::npos);
  EXPECT_EQ(code, Errc::raw_bad_checksum);
  auto plen = good6;
  plen.push_back(0);
  expect_rejected(plen, Errc::raw_bad_payload_length,
                  "IPv6 payload length " + std::to_string(good6.size() - 40) +
                      " + 40-byte header = " + std::to_string(good6.size()) +
                      " does not match the datagram size " + std::to_string(plen.size()));
  expect_rejected(icmp4_frag_needed(ip("0.0.0.0"), ip("192.0.2.2"), 1400, quoted),
                  Errc::raw_source_unspecified,
                  "source address 0.0.0.0 of the IPv4 datagram is unspecified: a raw datagram must "
                  "carry its real source");
  expect_rejected(icmp4_frag_needed(ip("127.0.0.1"), ip("192.0.2.2"), 1400, quoted),
                  Errc::raw_source_loopback,
                  "source address 127.0.0.1 of the IPv4 datagram is a loopback address, which must "
                  "never appear on a network");
  auto ttl0 = good4;
  ttl0[8] = 0;
  fix_ipv4_header_checksum(std::as_writable_bytes(std::span<uint8_t>(ttl0.data(), ttl0.size())));
  expect_rejected(
      ttl0, Errc::raw_ttl_zero,
      "TTL 0 of the IPv4 datagram: a datagram must not be sent with TTL 0 (at least 1)");
  // Any destination scope: ff01:: is not a raw mode group, but raw IP takes it.
  const auto node_local = icmp6_packet_too_big(ip("fd00::1"), ip("ff01::1"), 1280, q6);
  EXPECT_EQ(rejected(node_local), "valid");
  expect_rejected(icmp4_frag_needed(ip("192.0.2.1"), ip("0.0.0.0"), 1400, quoted),
                  Errc::raw_destination_unspecified,
                  "destination 0.0.0.0 of the IPv4 datagram is unspecified: give the address the "
                  "datagram is for");
  expect_rejected(
      icmp6_packet_too_big(ip("fd00::1"), ip("::"), 1280, q6), Errc::raw_destination_unspecified,
      "destination :: of the IPv6 datagram is unspecified: give the address the datagram "
      "is for");
  auto hbh = good6;
  hbh[6] = 0;
  expect_rejected(
      hbh, Errc::raw_ip_next_header_unsupported,
      "IPv6 Next Header 0 (Hop-by-Hop Options) cannot follow a kernel-built IPv6 header: "
      "raw IP transmit sends the datagram's payload after a header the kernel writes");
  auto nh255 = good6;
  nh255[6] = 255;
  EXPECT_NE(rejected(nh255, std::nullopt, nullptr, &code).find("Next Header 255 (reserved"),
            std::string::npos);
  const IpAddress other = ip("fd00::9");
  expect_rejected(good6, Errc::raw_ip_source_mismatch,
                  "source fd00::1 of the IPv6 datagram differs from the bind address fd00::9: the "
                  "kernel builds the IPv6 header with the bound source, so the datagram must carry "
                  "that source",
                  Family::ipv6, &other);
  EXPECT_TRUE(is_raw_datagram_error(Errc::raw_ip_source_mismatch));
  EXPECT_TRUE(is_raw_datagram_error(Errc::raw_destination_unspecified));
}

TEST_F(RawIp, AnInvalidDatagramIsCountedAndNeverSent) {
  Capture cap = peer_capture();
  RawIpPublication pub =
      open_ip(RawIpConfig(Family::ipv6)
                  .with_bind(ip("fd00::1"))
                  .with_interface(InterfaceSpec::index(::if_nametoindex("mctx0"))));
  const auto q6 = original(ip("fd00::2"), ip("2001:db8::5"), "rawip6-foreign-source");
  const auto foreign = icmp6_packet_too_big(ip("fd00::7"), ip("fd00::2"), 1280, q6);
  auto r = pub.send(bytes(foreign));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().invalid_datagram());
  EXPECT_EQ(r.error().code, Errc::raw_ip_source_mismatch);
  EXPECT_EQ(pub.invalid_datagrams(), 1u);
  EXPECT_EQ(pub.metrics().load().send_calls, 0u);
  EXPECT_TRUE(cap.frames_with("rawip6-foreign-source").empty());
}

// ---- configuration rules --------------------------------------------------------

std::string config_error(const RawIpConfig& c, Errc* code = nullptr) {
  auto r = c.validate();
  if (r) return "valid";
  if (code != nullptr) *code = r.error().code;
  return r.error().message;
}

TEST(RawIpRules, EveryConfigurationRuleWithItsMessage) {
  Errc code = Errc::ok;
  EXPECT_EQ(config_error(RawIpConfig(Family::ipv4), &code),
            "raw IP transmit needs an explicit egress: an interface (address, index or name) or "
            "a bind address; it never follows the default route");
  EXPECT_EQ(code, Errc::raw_ip_egress_required);
  EXPECT_EQ(
      config_error(RawIpConfig(Family::ipv6).with_interface(InterfaceSpec::name("lo")), &code),
      "raw IPv6 transmit needs a bind address (the kernel builds the IPv6 header and "
      "writes the bound address as its source): give the local address the datagrams "
      "carry as source, on lo (index 1)");
  EXPECT_EQ(code, Errc::raw_ip_bind_required);
  EXPECT_EQ(config_error(RawIpConfig(Family::ipv4).with_bind(ip("fd00::1")), &code),
            "bind address 'fd00::1' is IPv6 but the raw IP publication sends IPv4 datagrams");
  EXPECT_EQ(code, Errc::bind_family_mismatch);
  EXPECT_EQ(config_error(RawIpConfig(Family::ipv4).with_bind(ip("203.0.113.1")), &code),
            "bind address '203.0.113.1' is not configured on any interface of this host");
  EXPECT_EQ(code, Errc::source_not_local);
  EXPECT_EQ(config_error(RawIpConfig(Family::ipv4)
                             .with_bind(ip("192.0.2.1"))
                             .with_interface(InterfaceSpec::name("lo")),
                         &code),
            "bind address '192.0.2.1' is on interface mctx0 (index " +
                std::to_string(::if_nametoindex("mctx0")) +
                "), not on interface 'lo' (lo (index 1))");
  EXPECT_EQ(code, Errc::source_interface_mismatch);
  EXPECT_EQ(
      config_error(RawIpConfig(Family::ipv4).with_interface(InterfaceSpec::name("nosuch0")), &code),
      "interface 'nosuch0' does not exist");
  EXPECT_EQ(code, Errc::interface_not_found);
  EXPECT_EQ(config_error(RawIpConfig(Family::ipv4).with_interface(InterfaceSpec::index(0)), &code),
            "interface index 0 is not allowed: raw IP transmit needs a real interface");
  EXPECT_EQ(code, Errc::interface_index_zero);

  auto ok = RawIpConfig(Family::ipv6).with_bind(ip("fd00::1")).validate();
  ASSERT_TRUE(ok) << ok.error().what();
  EXPECT_EQ(ok->interface_index, ::if_nametoindex("mctx0"));  // the bind address selects it
}

TEST(RawIpRules, CapabilitiesSayWhatIsPreserved) {
  const RawIpCapabilities caps = raw_ip_capabilities();
  EXPECT_TRUE(caps.ipv4.supported);
  EXPECT_STREQ(caps.ipv4.header, "datagram");
  EXPECT_STREQ(caps.ipv6.header, "kernel-built-header");
  EXPECT_NE(std::string(caps.ipv6.kernel_rebuilds).find("flow label is 0"), std::string::npos);
}

}  // namespace
}  // namespace mctx::test
