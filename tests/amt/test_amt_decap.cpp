// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Decapsulation of AMT Multicast Data: good IPv4/IPv6 inner datagrams are
// delivered with their UDP fields; each bad case is dropped with its own
// reason and counted once.

#include <gtest/gtest.h>

#include "amt_test_util.hpp"

using namespace mctx;
using namespace amt_test;

namespace {

const Endpoint kRelay = ep("192.0.2.1:2268");

struct Fixture {
  std::vector<AmtGroup> groups;
  AmtDataFilter filter;
  AmtDataCounters counters;

  explicit Fixture(std::vector<AmtGroup> g) : groups(std::move(g)) {
    filter.relay = kRelay;
    filter.groups = groups;
  }
  Result<AmtInnerDatagram, AmtDropReason> run(const Bytes& msg, const Endpoint& from = kRelay) {
    auto r = amt_decapsulate(from, S(msg), filter);
    counters.record(r);
    return r;
  }
  void expect_drop(const Bytes& msg, AmtDropReason why, const Endpoint& from = kRelay) {
    const uint64_t before = counters.dropped(why);
    const uint64_t total = counters.dropped_total();
    auto r = run(msg, from);
    ASSERT_FALSE(r) << "expected drop " << amt_drop_reason_name(why);
    EXPECT_EQ(r.error(), why) << amt_drop_reason_name(r.error()) << " instead of "
                              << amt_drop_reason_name(why);
    EXPECT_EQ(counters.dropped(why), before + 1);
    EXPECT_EQ(counters.dropped_total(), total + 1);
  }
};

Fixture v4() {
  return Fixture({{ip("232.1.1.1"), ip("198.51.100.9")}, {ip("239.1.1.1"), std::nullopt}});
}
Fixture v6() {
  return Fixture({{ip("ff3e::8000:1"), ip("2001:db8::9")}, {ip("ff0e::1234"), std::nullopt}});
}

void refix_ipv4(Bytes& d) {
  put16(d, 10, 0);
  put16(d, 10, ref_checksum(Bytes(d.begin(), d.begin() + (d[0] & 0x0f) * 4)));
}

}  // namespace

TEST(AmtDecap, GoodIpv4SsmAndAsm) {
  auto f = v4();
  const Bytes inner = udp_datagram("198.51.100.9", "232.1.1.1", 5004, 20);
  const Bytes msg = amt_data(inner);  // the result's spans point into it
  auto r = f.run(msg);
  ASSERT_TRUE(r) << amt_drop_reason_name(r.error());
  EXPECT_EQ(from_span(r->datagram), inner);
  EXPECT_EQ(r->family, Family::ipv4);
  EXPECT_EQ(r->source, ip("198.51.100.9"));
  EXPECT_EQ(r->destination, ip("232.1.1.1"));
  EXPECT_TRUE(r->is_udp);
  EXPECT_EQ(r->protocol, 17);
  EXPECT_EQ(r->source_port, 4000);
  EXPECT_EQ(r->destination_port, 5004);
  EXPECT_EQ(from_span(r->udp_payload), Bytes(inner.begin() + 28, inner.end()));
  // (*,G): any source.
  ASSERT_TRUE(f.run(amt_data(udp_datagram("203.0.113.4", "239.1.1.1"))));
  EXPECT_EQ(f.counters.datagrams, 2u);
  EXPECT_EQ(f.counters.bytes, inner.size() + udp_datagram("203.0.113.4", "239.1.1.1").size());
  EXPECT_EQ(f.counters.dropped_total(), 0u);
}

TEST(AmtDecap, GoodIpv6WithExtensionHeaders) {
  auto f = v6();
  const Bytes inner = udp_datagram("2001:db8::9", "ff3e::8000:1", 6000, 33);
  const Bytes msg = amt_data(inner);
  auto r = f.run(msg);
  ASSERT_TRUE(r) << amt_drop_reason_name(r.error());
  EXPECT_EQ(r->family, Family::ipv6);
  EXPECT_EQ(r->destination_port, 6000);
  EXPECT_EQ(r->udp_payload.size(), 33u);

  // A Destination Options header before UDP.
  const Bytes dstopts = {17, 0, 1, 4, 0, 0, 0, 0};
  UdpDatagramSpec spec;
  spec.source = ip("2001:db8::9");
  spec.destination = ip("ff0e::1234");
  spec.source_port = 1;
  spec.destination_port = 2;
  spec.ttl = 4;
  spec.ipv6_extension_headers = S(dstopts);
  Bytes d(udp_datagram_size(spec));
  ASSERT_TRUE(build_udp_datagram(spec, std::as_writable_bytes(std::span(d))));
  const Bytes msg2 = amt_data(d);
  r = f.run(msg2);
  ASSERT_TRUE(r) << amt_drop_reason_name(r.error());
  EXPECT_EQ(r->protocol, 17);
  EXPECT_EQ(r->destination_port, 2);
  EXPECT_TRUE(r->udp_payload.empty());
}

TEST(AmtDecap, DropsEachBadCaseWithItsReason) {
  auto f = v4();
  const Bytes good = udp_datagram("198.51.100.9", "232.1.1.1");
  using R = AmtDropReason;

  f.expect_drop(amt_data(good), R::not_from_relay, ep("192.0.2.1:2269"));
  f.expect_drop(amt_data(good), R::not_from_relay, ep("192.0.2.2:2268"));
  f.expect_drop({0x06}, R::malformed);
  f.expect_drop(cat({0x16, 0}, good), R::malformed);  // version 1
  f.expect_drop(cat({0x0c, 0}, good), R::malformed);  // type 12
  f.expect_drop({0x01, 0, 0, 0, 1, 2, 3, 4}, R::not_data);
  f.expect_drop({0x06, 0x00}, R::inner_too_short);
  f.expect_drop(amt_data(Bytes(good.begin(), good.begin() + 12)), R::inner_too_short);

  Bytes b = good;
  b[0] = 0x55;
  f.expect_drop(amt_data(b), R::inner_bad_version);
  f.expect_drop(amt_data(udp_datagram("2001:db8::9", "ff3e::8000:1")), R::inner_bad_version);

  b = good;
  put16(b, 2, static_cast<uint16_t>(good.size() - 1));  // total length != bytes
  refix_ipv4(b);
  f.expect_drop(amt_data(b), R::inner_bad_length);
  f.expect_drop(amt_data(cat(good, {0})), R::inner_bad_length);
  b = good;
  b[0] = 0x4f;  // IHL 60 > size
  f.expect_drop(amt_data(b), R::inner_bad_length);

  b = good;
  b[10] ^= 0xff;
  f.expect_drop(amt_data(b), R::inner_bad_checksum);

  f.expect_drop(amt_data(udp_datagram("127.0.0.1", "232.1.1.1")), R::inner_bad_address);
  f.expect_drop(amt_data(udp_datagram("198.51.100.9", "232.1.1.1", 5004, 16, 0)),
                R::inner_bad_address);  // TTL 0

  b = good;
  put16(b, 6, 0x2000);  // MF
  refix_ipv4(b);
  f.expect_drop(amt_data(b), R::inner_fragment);
  b = good;
  put16(b, 6, 0x0010);  // offset 16 * 8
  refix_ipv4(b);
  f.expect_drop(amt_data(b), R::inner_fragment);
  b = good;
  put16(b, 6, 0x4000);  // DF only: fine
  refix_ipv4(b);
  EXPECT_TRUE(f.run(amt_data(b)));

  f.expect_drop(amt_data(udp_datagram("198.51.100.9", "232.1.1.2")), R::not_subscribed);
  f.expect_drop(amt_data(udp_datagram("198.51.100.10", "232.1.1.1")), R::source_not_subscribed);

  b = good;
  put16(b, 20 + 4, 9);  // UDP length 9 in a 24-byte UDP part
  f.expect_drop(amt_data(b), R::udp_malformed);
  // A UDP datagram cut inside its header (IPv4 lengths consistent).
  b = Bytes(good.begin(), good.begin() + 24);
  put16(b, 2, 24);
  refix_ipv4(b);
  f.expect_drop(amt_data(b), R::udp_malformed);

  f.filter.udp_port = 5005;
  f.expect_drop(amt_data(good), R::udp_port_filtered);
  f.filter.udp_port = 5004;
  EXPECT_TRUE(f.run(amt_data(good)));

  // Not UDP (protocol 6) with a port filter / in payload mode.
  b = good;
  b[9] = 6;
  refix_ipv4(b);
  f.expect_drop(amt_data(b), R::not_udp);
  f.filter.udp_port.reset();
  const Bytes tcp_msg = amt_data(b);
  auto raw = f.run(tcp_msg);  // raw mode takes any protocol
  ASSERT_TRUE(raw);
  EXPECT_FALSE(raw->is_udp);
  EXPECT_EQ(raw->protocol, 6);
  f.filter.udp_only = true;
  f.expect_drop(amt_data(b), R::not_udp);

  // Every reason was counted where it belongs.
  for (std::size_t i = 0; i < kAmtDropReasonCount; ++i) {
    EXPECT_GT(f.counters.drops[i], 0u) << amt_drop_reason_name(static_cast<AmtDropReason>(i));
  }
}

TEST(AmtDecap, Ipv6FragmentAndBadExtensionHeaders) {
  auto f = v6();
  using R = AmtDropReason;
  const Bytes frag = {17, 0, 0, 1, 0, 0, 0, 42};  // Fragment header, M=1
  UdpDatagramSpec spec;
  spec.source = ip("2001:db8::9");
  spec.destination = ip("ff3e::8000:1");
  spec.ttl = 4;
  spec.ipv6_extension_headers = S(frag);
  spec.ipv6_first_extension = 44;
  Bytes d(udp_datagram_size(spec));
  ASSERT_TRUE(build_udp_datagram(spec, std::as_writable_bytes(std::span(d))));
  f.expect_drop(amt_data(d), R::inner_fragment);

  // A Hop-by-Hop header whose length runs past the datagram.
  const Bytes hbh = {17, 3, 1, 4, 0, 0, 0, 0};
  spec.ipv6_extension_headers = S(hbh);
  spec.ipv6_first_extension = 0;
  d.assign(udp_datagram_size(spec), 0);
  ASSERT_TRUE(build_udp_datagram(spec, std::as_writable_bytes(std::span(d))));
  f.expect_drop(amt_data(d), R::inner_bad_length);

  Bytes good = udp_datagram("2001:db8::9", "ff3e::8000:1");
  put16(good, 4, static_cast<uint16_t>(get16(good, 4) + 1));
  f.expect_drop(amt_data(good), R::inner_bad_length);
  f.expect_drop(amt_data(udp_datagram("2001:db8::9", "ff3e::8000:2")), R::not_subscribed);
  f.expect_drop(amt_data(udp_datagram("2001:db8::8", "ff3e::8000:1")), R::source_not_subscribed);
  f.expect_drop(amt_data(udp_datagram("192.0.2.9", "232.1.1.1")), R::inner_bad_version);
}

TEST(AmtDecap, DropReasonNames) {
  EXPECT_STREQ(amt_drop_reason_name(AmtDropReason::inner_fragment), "inner_fragment");
  EXPECT_STREQ(amt_drop_reason_name(AmtDropReason::not_udp), "not_udp");
  EXPECT_STREQ(amt_drop_reason_name(static_cast<AmtDropReason>(kAmtDropReasonCount)), "unknown");
}
