// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// DRIAD (RFC 8777) over bytes: reverse names, the AMTRELAY RDATA parser
// (every type, every malformed form), the precedence order.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "amt_test_util.hpp"
#include "mctx/amt_driad.hpp"

using namespace mctx;
using namespace amt_test;

namespace {

std::vector<std::byte> B(const Bytes& b) {
  std::vector<std::byte> out;
  for (uint8_t v : b) out.push_back(static_cast<std::byte>(v));
  return out;
}

AmtRelayRecord parse_ok(const Bytes& b) {
  auto r = parse_amtrelay_rdata(S(b));
  EXPECT_TRUE(r) << (r ? "" : r.error());
  return r ? *r : AmtRelayRecord{};
}

std::string parse_err(const Bytes& b) {
  auto r = parse_amtrelay_rdata(S(b));
  EXPECT_FALSE(r) << "parsed: " << (r ? r->to_string() : "");
  return r ? "" : r.error();
}

// "relay.example.net." in wire form.
const Bytes kRelayName = {5,   'r', 'e', 'l', 'a', 'y', 7,   'e', 'x', 'a',
                          'm', 'p', 'l', 'e', 3,   'n', 'e', 't', 0};

}  // namespace

TEST(AmtDriad, ReverseNameIpv4) {
  EXPECT_EQ(amt_reverse_name(ip("192.0.2.10")), "10.2.0.192.in-addr.arpa.");
  EXPECT_EQ(amt_reverse_name(ip("198.51.100.7")), "7.100.51.198.in-addr.arpa.");
}

TEST(AmtDriad, ReverseNameIpv6Nibbles) {
  // RFC 3596 §2.5's example form: the nibbles of 2001:db8::567:89ab reversed.
  EXPECT_EQ(amt_reverse_name(ip("2001:db8::567:89ab")),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
}

TEST(AmtDriad, ParseIpv4) {
  const auto r = parse_ok({10, 0x01, 203, 0, 113, 15});
  EXPECT_EQ(r.precedence, 10);
  EXPECT_FALSE(r.discovery_optional);
  EXPECT_EQ(r.type, AmtRelayType::ipv4);
  EXPECT_EQ(r.address, ip("203.0.113.15"));
  EXPECT_EQ(r.to_string(), "10 0 1 203.0.113.15");
}

TEST(AmtDriad, ParseIpv6WithDBit) {
  Bytes b = {20, 0x82};
  const Bytes a = addr_bytes(ip("2001:db8::15"));
  b.insert(b.end(), a.begin(), a.end());
  const auto r = parse_ok(b);
  EXPECT_EQ(r.precedence, 20);
  EXPECT_TRUE(r.discovery_optional);
  EXPECT_EQ(r.type, AmtRelayType::ipv6);
  EXPECT_EQ(r.address, ip("2001:db8::15"));
  EXPECT_EQ(r.to_string(), "20 1 2 2001:db8::15");
}

TEST(AmtDriad, ParseName) {
  const auto r = parse_ok(cat({255, 0x83}, kRelayName));
  EXPECT_EQ(r.precedence, 255);
  EXPECT_TRUE(r.discovery_optional);
  EXPECT_EQ(r.type, AmtRelayType::name);
  EXPECT_EQ(r.name, "relay.example.net.");
  EXPECT_FALSE(r.address);
  EXPECT_EQ(r.to_string(), "255 1 3 relay.example.net.");
}

TEST(AmtDriad, ParseNone) {
  const auto r = parse_ok({0, 0x00});
  EXPECT_EQ(r.type, AmtRelayType::none);
  EXPECT_EQ(r.to_string(), "0 0 0 .");
}

TEST(AmtDriad, MalformedLengths) {
  EXPECT_NE(parse_err({}).find("shorter than the precedence and type"), std::string::npos);
  EXPECT_NE(parse_err({10}).find("RDATA of 1 bytes"), std::string::npos);
  EXPECT_NE(parse_err({10, 0x00, 0}).find("relay type 0 with a relay field of 1 bytes: must be 0"),
            std::string::npos);
  EXPECT_NE(parse_err({10, 0x01, 203, 0, 113}).find("relay field of 3 bytes: must be 4"),
            std::string::npos);
  EXPECT_NE(parse_err({10, 0x01, 203, 0, 113, 15, 0}).find("of 5 bytes: must be 4"),
            std::string::npos);
  EXPECT_NE(parse_err({10, 0x02, 203, 0, 113, 15}).find("of 4 bytes: must be 16"),
            std::string::npos);
  Bytes v6(2 + 17, 1);
  v6[1] = 0x02;
  EXPECT_NE(parse_err(v6).find("of 17 bytes: must be 16"), std::string::npos);
}

TEST(AmtDriad, MalformedAddresses) {
  EXPECT_NE(parse_err({10, 0x01, 232, 1, 1, 1}).find("'232.1.1.1' is a multicast"),
            std::string::npos);
  EXPECT_NE(parse_err({10, 0x01, 0, 0, 0, 0}).find("unspecified"), std::string::npos);
  Bytes v6 = {10, 0x02};
  const Bytes m = addr_bytes(ip("ff3e::1"));
  v6.insert(v6.end(), m.begin(), m.end());
  EXPECT_NE(parse_err(v6).find("multicast"), std::string::npos);
}

TEST(AmtDriad, UnknownType) {
  EXPECT_NE(parse_err({10, 0x04, 1, 2, 3, 4}).find("relay type 4: unknown"), std::string::npos);
  EXPECT_NE(parse_err({10, 0xff}).find("relay type 127: unknown"), std::string::npos);
}

TEST(AmtDriad, MalformedNames) {
  // No name at all, or only the root.
  EXPECT_NE(parse_err({10, 0x03}).find("ends before the name's final"), std::string::npos);
  EXPECT_NE(parse_err({10, 0x03, 0}).find("root"), std::string::npos);
  // Missing final label.
  EXPECT_NE(parse_err({10, 0x03, 3, 'a', 'b', 'c'}).find("ends before"), std::string::npos);
  // A label running past the end.
  EXPECT_NE(parse_err({10, 0x03, 9, 'a', 'b', 'c', 0}).find("runs past the end"),
            std::string::npos);
  // Compression pointer (never allowed) and the reserved 0x40 / 0x80 forms.
  EXPECT_NE(parse_err({10, 0x03, 0xc0, 0x0c}).find("compression pointer"), std::string::npos);
  EXPECT_NE(parse_err({10, 0x03, 0x40, 0}).find("length byte 0x40"), std::string::npos);
  // Bytes after the name.
  EXPECT_NE(parse_err(cat({10, 0x03}, cat(kRelayName, {1}))).find("extra bytes after the name"),
            std::string::npos);
  // Not a host name character.
  EXPECT_NE(parse_err({10, 0x03, 3, 'a', '.', 'c', 0}).find("byte 0x2e"), std::string::npos);
  EXPECT_NE(parse_err({10, 0x03, 3, 'a', 0, 'c', 0}).find("byte 0x00"), std::string::npos);
  // Longer than 255 bytes: five labels of 63.
  Bytes longname = {10, 0x03};
  for (int i = 0; i < 5; ++i) {
    longname.push_back(63);
    longname.insert(longname.end(), 63, 'a');
  }
  longname.push_back(0);
  EXPECT_NE(parse_err(longname).find("longer than a domain name"), std::string::npos);
}

TEST(AmtDriad, OrderByPrecedenceSkipsNoneAndMalformed) {
  std::vector<std::vector<std::byte>> rdata = {
      B({30, 0x01, 203, 0, 113, 30}), B({0, 0x00}),  // type 0: no relay
      B(cat({20, 0x83}, kRelayName)),                // name, D
      B({10, 0x01, 203, 0, 113}),                    // malformed
      B({5, 0x81, 203, 0, 113, 5}),
  };
  const auto l = order_amt_relays("x.in-addr.arpa.", rdata, [] { return 0u; });
  EXPECT_EQ(l.query_name, "x.in-addr.arpa.");
  EXPECT_EQ(l.records, 5u);
  EXPECT_TRUE(l.no_relay_record);
  ASSERT_EQ(l.skipped.size(), 1u);
  EXPECT_NE(l.skipped[0].find("AMTRELAY record 4 of 5: relay type 1 with a relay field of 3"),
            std::string::npos)
      << l.skipped[0];
  ASSERT_EQ(l.relays.size(), 3u);
  EXPECT_EQ(l.relays[0].record.to_string(), "5 1 1 203.0.113.5");
  EXPECT_EQ(l.relays[0].addresses, std::vector<IpAddress>{ip("203.0.113.5")});
  EXPECT_EQ(l.relays[1].record.to_string(), "20 1 3 relay.example.net.");
  EXPECT_TRUE(l.relays[1].addresses.empty());  // not resolved here
  EXPECT_EQ(l.relays[2].record.to_string(), "30 0 1 203.0.113.30");
}

TEST(AmtDriad, EqualPrecedenceFollowsTheRandomKeys) {
  std::vector<std::vector<std::byte>> rdata = {
      B({10, 0x01, 203, 0, 113, 1}),
      B({10, 0x01, 203, 0, 113, 2}),
      B({10, 0x01, 203, 0, 113, 3}),
      B({1, 0x01, 203, 0, 113, 9}),
  };
  // Keys 30, 10, 20, 0: equal precedences come out as 2, 3, 1.
  uint32_t keys[] = {30, 10, 20, 0};
  int n = 0;
  const auto l = order_amt_relays("q.", rdata, [&] { return keys[n++]; });
  ASSERT_EQ(l.relays.size(), 4u);
  EXPECT_EQ(l.relays[0].record.address, ip("203.0.113.9"));
  EXPECT_EQ(l.relays[1].record.address, ip("203.0.113.2"));
  EXPECT_EQ(l.relays[2].record.address, ip("203.0.113.3"));
  EXPECT_EQ(l.relays[3].record.address, ip("203.0.113.1"));
  // With the default random source, every order of the three appears over
  // enough runs, and precedence 1 always comes first.
  std::vector<std::string> seen;
  for (int run = 0; run < 200 && seen.size() < 6; ++run) {
    const auto r = order_amt_relays("q.", rdata);
    ASSERT_EQ(r.relays[0].record.address, ip("203.0.113.9"));
    std::string order;
    for (std::size_t i = 1; i < 4; ++i) order += r.relays[i].record.address->to_string() + " ";
    if (std::find(seen.begin(), seen.end(), order) == seen.end()) seen.push_back(order);
  }
  EXPECT_EQ(seen.size(), 6u);
}

TEST(AmtDriad, NoRecords) {
  const auto l = order_amt_relays("q.", {});
  EXPECT_EQ(l.records, 0u);
  EXPECT_TRUE(l.relays.empty());
  EXPECT_FALSE(l.no_relay_record);
}

TEST(AmtDriad, ChooseFirstUsableAddressAndTheDBit) {
  std::vector<std::vector<std::byte>> rdata = {
      B(cat({1, 0x03}, kRelayName)),                     // name, D=0, unresolved: no address
      B({5, 0x01, 203, 0, 113, 5}),                      // IPv4, D=0
      B(cat({7, 0x82}, addr_bytes(ip("2001:db8::7")))),  // IPv6, D=1
  };
  auto l = order_amt_relays("q.", rdata, [] { return 0u; });
  auto c = choose_amt_relay(l);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address, ip("203.0.113.5"));
  EXPECT_EQ(c->record.precedence, 5);
  EXPECT_TRUE(c->discovery);  // D=0: Relay Discovery to it first
  auto c6 = choose_amt_relay(l, Family::ipv6);
  ASSERT_TRUE(c6);
  EXPECT_EQ(c6->address, ip("2001:db8::7"));
  EXPECT_FALSE(c6->discovery);  // D=1: Requests straight to it
  // The name, once resolved, comes first.
  l.relays[0].addresses = {ip("2001:db8::1"), ip("192.0.2.9")};
  EXPECT_EQ(choose_amt_relay(l)->address, ip("2001:db8::1"));
  EXPECT_EQ(choose_amt_relay(l, Family::ipv4)->address, ip("192.0.2.9"));
  // All of them in order, one address per record.
  const auto all = amt_relay_choices(l);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].address, ip("2001:db8::1"));
  EXPECT_EQ(all[1].address, ip("203.0.113.5"));
  EXPECT_EQ(all[2].address, ip("2001:db8::7"));
  const auto v4 = amt_relay_choices(l, Family::ipv4);
  ASSERT_EQ(v4.size(), 2u);
  EXPECT_EQ(v4[0].address, ip("192.0.2.9"));
  EXPECT_EQ(v4[1].address, ip("203.0.113.5"));
}

TEST(AmtDriad, WhyNone) {
  EXPECT_EQ(order_amt_relays("q.", {}).why_none(), "no AMTRELAY record");
  std::vector<std::vector<std::byte>> none = {B({0, 0x00})};
  const auto l0 = order_amt_relays("q.", none);
  EXPECT_FALSE(choose_amt_relay(l0));
  EXPECT_EQ(l0.why_none(), "only a type-0 (no relay) record");
  std::vector<std::vector<std::byte>> bad = {B({0, 0x01, 1})};
  const auto lb = order_amt_relays("q.", bad);
  EXPECT_FALSE(choose_amt_relay(lb));
  EXPECT_EQ(lb.why_none(),
            "1 record, none usable: AMTRELAY record 1 of 1: relay type 1 with a relay field of "
            "1 bytes: must be 4");
  std::vector<std::vector<std::byte>> v4 = {B({0, 0x01, 192, 0, 2, 1})};
  const auto l4 = order_amt_relays("q.", v4);
  EXPECT_FALSE(choose_amt_relay(l4, Family::ipv6));
  EXPECT_EQ(l4.why_none(Family::ipv6), "1 record, none usable: 1 relay with no IPv6 address");
  // A relay of the other family and a broken record: both are named.
  std::vector<std::vector<std::byte>> mixed = {B({0, 0x01, 192, 0, 2, 1}), B({5, 0x01, 1})};
  const auto lm = order_amt_relays("q.", mixed);
  EXPECT_FALSE(choose_amt_relay(lm, Family::ipv6));
  EXPECT_EQ(lm.why_none(Family::ipv6),
            "2 records, none usable: 1 relay with no IPv6 address; AMTRELAY record 2 of 2: relay "
            "type 1 with a relay field of 1 bytes: must be 4");
}
