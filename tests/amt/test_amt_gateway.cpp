// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The gateway state machine through scripted exchanges with a simulated
// relay; time is a parameter, nothing sleeps.

#include <gtest/gtest.h>

#include <chrono>

#include "amt_test_util.hpp"

using namespace mctx;
using namespace amt_test;
using namespace std::chrono_literals;
using TP = AmtGateway::TimePoint;

namespace {

const Endpoint kDiscovery = ep("192.0.2.100:2268");
const Endpoint kRelayAddr = ep("192.0.2.1:2268");
constexpr uint64_t kMac1 = 0x111111111111ULL;
constexpr uint64_t kMac2 = 0x222222222222ULL;

struct Sent {
  AmtTransmit t;
  Bytes bytes;
  AmtMessage message() const {
    auto m = parse_amt_message(S(bytes));
    EXPECT_TRUE(m) << m.error().message();
    return m ? *m : AmtMessage{};
  }
};

struct Harness {
  std::vector<std::pair<AmtGatewayState, AmtGatewayState>> changes;
  uint32_t next_nonce = 0x1000;
  std::optional<AmtGateway> gw;
  TP t0{};

  explicit Harness(AmtGatewayConfig cfg) {
    cfg.random = [this] { return next_nonce++; };
    cfg.on_state_change = [this](AmtGatewayState a, AmtGatewayState b) {
      changes.emplace_back(a, b);
    };
    auto g = AmtGateway::create(std::move(cfg));
    EXPECT_TRUE(g) << g.error().what();
    gw.emplace(std::move(*g));
  }

  std::vector<Sent> drain() {
    std::vector<Sent> out;
    Bytes buf(gw->max_transmit_size());
    for (;;) {
      auto t = gw->poll_transmit(std::as_writable_bytes(std::span(buf)));
      EXPECT_TRUE(t) << t.error().message();
      if (!t || !*t) break;
      out.push_back({**t, Bytes(buf.begin(), buf.begin() + static_cast<long>((*t)->size))});
    }
    return out;
  }
  Sent one(AmtType type) {
    auto v = drain();
    EXPECT_EQ(v.size(), 1u);
    if (v.empty()) return {};
    EXPECT_EQ(v[0].t.type, type);
    return v[0];
  }
  AmtReceive feed(const Endpoint& from, const Bytes& b, TP now) {
    return gw->on_datagram(from, S(b), now);
  }
  Bytes build(const AmtMessage& m) {
    Bytes out(amt_message_size(m));
    EXPECT_TRUE(build_amt_message(m, std::as_writable_bytes(std::span(out))));
    return out;
  }
  Bytes advertisement(uint32_t nonce, const IpAddress& relay) {
    return build(AmtRelayAdvertisement{nonce, relay});
  }
  Bytes query(uint32_t nonce, uint64_t mac, const Bytes& q, std::optional<Endpoint> gwaddr = {},
              bool limited = false) {
    AmtMembershipQuery m;
    m.nonce = nonce;
    m.mac = mac;
    m.query = S(q);
    m.limited = limited;
    if (gwaddr) {
      m.has_gateway = true;
      m.gateway_port = gwaddr->port;
      m.gateway_address = amt_gateway_field(gwaddr->address);
    }
    return build(m);
  }
};

AmtGatewayConfig v4_config() {
  AmtGatewayConfig c;
  c.discovery = kDiscovery;
  c.groups = {{ip("232.1.1.1"), ip("198.51.100.9")}, {ip("239.1.1.1"), std::nullopt}};
  return c;
}

// The report inside an update: its records as (type, group, number of sources).
struct Rec {
  uint8_t type;
  Bytes group;
  uint16_t sources;
};
std::vector<Rec> igmp_records(const AmtMembershipUpdate& u) {
  const Bytes r = from_span(u.report);
  std::vector<Rec> out;
  const std::size_t ihl = (r.at(0) & 0x0f) * 4;
  EXPECT_EQ(r.at(9), 2);
  const Bytes igmp(r.begin() + static_cast<long>(ihl), r.end());
  EXPECT_EQ(igmp.at(0), 0x22);
  EXPECT_EQ(ref_checksum(igmp), 0);
  std::size_t at = 8;
  for (uint16_t i = 0; i < get16(igmp, 6); ++i) {
    const uint16_t n = get16(igmp, at + 2);
    out.push_back({igmp.at(at), Bytes(igmp.begin() + static_cast<long>(at) + 4,
                                      igmp.begin() + static_cast<long>(at) + 8), n});
    at += 8 + 4u * n;
  }
  return out;
}

}  // namespace

TEST(AmtGateway, FullScriptedExchange) {
  Harness h(v4_config());
  AmtGateway& gw = *h.gw;
  TP now = h.t0;
  EXPECT_EQ(gw.state(), AmtGatewayState::idle);
  EXPECT_FALSE(gw.next_deadline());
  gw.start(now);
  EXPECT_EQ(gw.state(), AmtGatewayState::discovering);

  // Discovery, retransmitted after 1 s with the same nonce.
  auto d = h.one(AmtType::relay_discovery);
  EXPECT_EQ(d.t.to, kDiscovery);
  EXPECT_EQ(std::get<AmtRelayDiscovery>(d.message()).nonce, 0x1000u);
  EXPECT_EQ(*gw.next_deadline(), now + 1s);
  gw.on_timer(now + 500ms);  // too early: nothing
  EXPECT_TRUE(h.drain().empty());
  now += 1s;
  gw.on_timer(now);
  EXPECT_EQ(std::get<AmtRelayDiscovery>(h.one(AmtType::relay_discovery).message()).nonce, 0x1000u);
  EXPECT_EQ(*gw.next_deadline(), now + 2s);

  // Advertisements: a wrong nonce and a wrong sender are ignored and counted.
  EXPECT_EQ(h.feed(kDiscovery, h.advertisement(0x999, ip("192.0.2.1")), now).kind,
            AmtReceiveKind::ignored);
  EXPECT_EQ(gw.counters().nonce_mismatches, 1u);
  EXPECT_EQ(h.feed(ep("192.0.2.101:2268"), h.advertisement(0x1000, ip("192.0.2.1")), now).kind,
            AmtReceiveKind::ignored);
  EXPECT_EQ(gw.counters().control_not_from_relay, 1u);
  EXPECT_EQ(gw.state(), AmtGatewayState::discovering);
  EXPECT_EQ(h.feed(kDiscovery, h.advertisement(0x1000, ip("192.0.2.1")), now).kind,
            AmtReceiveKind::control);
  EXPECT_EQ(gw.state(), AmtGatewayState::requesting);
  EXPECT_EQ(gw.relay(), kRelayAddr);

  // Request (P=0: IGMPv3), nonce 0x1001.
  auto req = h.one(AmtType::request);
  EXPECT_EQ(req.t.to, kRelayAddr);
  EXPECT_EQ(std::get<AmtRequest>(req.message()), (AmtRequest{0x1001, false}));
  EXPECT_EQ(*gw.next_deadline(), now + 1s);

  // Query: wrong nonce ignored; right nonce -> update, joined.
  const Bytes q60 = igmp_query(2, 60);
  EXPECT_EQ(h.feed(kRelayAddr, h.query(0x1234, kMac1, q60), now).kind, AmtReceiveKind::ignored);
  EXPECT_EQ(gw.counters().nonce_mismatches, 2u);
  EXPECT_EQ(h.feed(kRelayAddr, h.query(0x1001, kMac1, q60, ep("198.51.100.7:40000")), now).kind,
            AmtReceiveKind::control);
  EXPECT_EQ(gw.state(), AmtGatewayState::joined);
  EXPECT_EQ(gw.query_interval(), 60s);
  EXPECT_EQ(gw.public_endpoint(), ep("198.51.100.7:40000"));
  auto up = h.one(AmtType::membership_update);
  EXPECT_EQ(up.t.to, kRelayAddr);
  auto u = std::get<AmtMembershipUpdate>(up.message());
  EXPECT_EQ(u.mac, kMac1);
  EXPECT_EQ(u.nonce, 0x1001u);
  auto recs = igmp_records(u);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].type, 1);  // MODE_IS_INCLUDE {S}
  EXPECT_EQ(recs[0].group, (Bytes{232, 1, 1, 1}));
  EXPECT_EQ(recs[0].sources, 1);
  EXPECT_EQ(recs[1].type, 2);  // MODE_IS_EXCLUDE {}
  EXPECT_EQ(recs[1].sources, 0);
  // The encapsulated report's source: 0.0.0.0 by default.
  EXPECT_EQ(Bytes(u.report.size() >= 16 ? from_span(u.report.subspan(12, 4)) : Bytes{}),
            (Bytes{0, 0, 0, 0}));
  EXPECT_EQ(*gw.next_deadline(), now + 60s);

  // Data from the relay is delivered; from elsewhere it is dropped.
  const Bytes inner = udp_datagram("198.51.100.9", "232.1.1.1");
  const Bytes data_msg = amt_data(inner);  // the result's spans point into it
  auto rd = h.feed(kRelayAddr, data_msg, now);
  ASSERT_EQ(rd.kind, AmtReceiveKind::data);
  EXPECT_EQ(from_span(rd.data.datagram), inner);
  rd = h.feed(ep("192.0.2.9:2268"), amt_data(inner), now);
  EXPECT_EQ(rd.kind, AmtReceiveKind::dropped);
  EXPECT_EQ(rd.drop, AmtDropReason::not_from_relay);
  EXPECT_EQ(gw.counters().data.datagrams, 1u);
  EXPECT_EQ(gw.counters().data.dropped(AmtDropReason::not_from_relay), 1u);

  // Refresh at the query interval: a new Request with a new nonce.
  now += 60s;
  gw.on_timer(now);
  EXPECT_EQ(gw.state(), AmtGatewayState::joined);
  EXPECT_EQ(std::get<AmtRequest>(h.one(AmtType::request).message()).nonce, 0x1002u);
  h.feed(kRelayAddr, h.query(0x1002, kMac2, q60, ep("198.51.100.7:40000")), now);
  EXPECT_EQ(std::get<AmtMembershipUpdate>(h.one(AmtType::membership_update).message()).mac, kMac2);
  EXPECT_EQ(gw.counters().nat_changes, 0u);

  // Relay silence: the next refresh Request is retransmitted after 1, 2, 4,
  // ..., 64, 120 s; then the relay is lost and discovery starts again.
  now += 60s;
  gw.on_timer(now);
  EXPECT_EQ(std::get<AmtRequest>(h.one(AmtType::request).message()).nonce, 0x1003u);
  const std::chrono::seconds gaps[] = {1s, 2s, 4s, 8s, 16s, 32s, 64s, 120s};
  for (std::size_t i = 0; i < std::size(gaps); ++i) {
    ASSERT_TRUE(gw.next_deadline());
    EXPECT_EQ(*gw.next_deadline() - now, gaps[i]) << "retry " << i;
    now = *gw.next_deadline();
    gw.on_timer(now);
    if (i + 1 < std::size(gaps)) {
      EXPECT_EQ(gw.state(), AmtGatewayState::joined);
      EXPECT_EQ(std::get<AmtRequest>(h.one(AmtType::request).message()).nonce, 0x1003u);
    }
  }
  EXPECT_EQ(gw.state(), AmtGatewayState::relay_lost);
  EXPECT_EQ(gw.counters().relay_losses, 1u);
  EXPECT_EQ(gw.counters().requests_sent, 1u + 1 + 1 + 7);
  EXPECT_FALSE(gw.relay());
  auto rediscovery = h.one(AmtType::relay_discovery);
  EXPECT_EQ(std::get<AmtRelayDiscovery>(rediscovery.message()).nonce, 0x1004u);
  EXPECT_EQ(*gw.next_deadline() - now, 1s);
  // Data during the loss has no relay to come from.
  EXPECT_EQ(h.feed(kRelayAddr, amt_data(inner), now).drop, AmtDropReason::not_from_relay);

  // A relay answers: request, query, joined again.
  h.feed(kDiscovery, h.advertisement(0x1004, ip("192.0.2.1")), now);
  EXPECT_EQ(gw.state(), AmtGatewayState::requesting);
  EXPECT_EQ(std::get<AmtRequest>(h.one(AmtType::request).message()).nonce, 0x1005u);
  h.feed(kRelayAddr, h.query(0x1005, kMac1, q60, ep("198.51.100.7:40000")), now);
  EXPECT_EQ(gw.state(), AmtGatewayState::joined);
  h.one(AmtType::membership_update);

  // NAT rebinding: the next query shows another port -> Teardown of the old
  // session (its MAC, nonce, address and port), then a new Request.
  now += 60s;
  gw.on_timer(now);
  EXPECT_EQ(std::get<AmtRequest>(h.one(AmtType::request).message()).nonce, 0x1006u);
  h.feed(kRelayAddr, h.query(0x1006, kMac2, q60, ep("198.51.100.7:40001")), now);
  EXPECT_EQ(gw.counters().nat_changes, 1u);
  EXPECT_EQ(gw.state(), AmtGatewayState::requesting);
  auto v = h.drain();
  ASSERT_EQ(v.size(), 2u);
  ASSERT_EQ(v[0].t.type, AmtType::teardown);
  const auto td = std::get<AmtTeardown>(v[0].message());
  EXPECT_EQ(td.mac, kMac1);
  EXPECT_EQ(td.nonce, 0x1005u);
  EXPECT_EQ(td.gateway_port, 40000);
  EXPECT_EQ(amt_gateway_ip(td.gateway_address), ip("198.51.100.7"));
  ASSERT_EQ(v[1].t.type, AmtType::request);
  EXPECT_EQ(std::get<AmtRequest>(v[1].message()).nonce, 0x1007u);
  EXPECT_EQ(gw.public_endpoint(), ep("198.51.100.7:40001"));
  h.feed(kRelayAddr, h.query(0x1007, kMac2, q60, ep("198.51.100.7:40001")), now);
  EXPECT_EQ(gw.state(), AmtGatewayState::joined);
  EXPECT_EQ(std::get<AmtMembershipUpdate>(h.one(AmtType::membership_update).message()).nonce,
            0x1007u);

  // Stop: the leave update with the last session's MAC and nonce.
  gw.stop(now);
  EXPECT_EQ(gw.state(), AmtGatewayState::stopped);
  EXPECT_FALSE(gw.next_deadline());
  const Sent leave_sent = h.one(AmtType::membership_update);
  auto leave = std::get<AmtMembershipUpdate>(leave_sent.message());
  EXPECT_EQ(leave.mac, kMac2);
  EXPECT_EQ(leave.nonce, 0x1007u);
  recs = igmp_records(leave);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].type, 6);  // BLOCK_OLD_SOURCES {S}
  EXPECT_EQ(recs[0].sources, 1);
  EXPECT_EQ(recs[1].type, 3);  // TO_INCLUDE {}
  EXPECT_EQ(recs[1].sources, 0);
  gw.stop(now);  // idempotent
  EXPECT_TRUE(h.drain().empty());

  using S = AmtGatewayState;
  const std::vector<std::pair<S, S>> expected = {
      {S::idle, S::discovering},   {S::discovering, S::requesting}, {S::requesting, S::joined},
      {S::joined, S::relay_lost},  {S::relay_lost, S::requesting},  {S::requesting, S::joined},
      {S::joined, S::requesting},  {S::requesting, S::joined},      {S::joined, S::stopped}};
  EXPECT_EQ(h.changes, expected);
  EXPECT_STREQ(amt_gateway_state_name(S::relay_lost), "relay-lost");
}

TEST(AmtGateway, DiscoveryBackoffCapsAt120s) {
  Harness h(v4_config());
  TP now = h.t0;
  h.gw->start(now);
  h.drain();
  const std::chrono::seconds gaps[] = {1s, 2s, 4s, 8s, 16s, 32s, 64s, 120s, 120s, 120s};
  for (auto g : gaps) {
    EXPECT_EQ(*h.gw->next_deadline() - now, g);
    now = *h.gw->next_deadline();
    h.gw->on_timer(now);
    h.one(AmtType::relay_discovery);
  }
  EXPECT_EQ(h.gw->state(), AmtGatewayState::discovering);
}

TEST(AmtGateway, FixedRelayLossKeepsRequesting) {
  AmtGatewayConfig c = v4_config();
  c.discovery.reset();
  c.relay = kRelayAddr;
  Harness h(std::move(c));
  TP now = h.t0;
  h.gw->start(now);
  EXPECT_EQ(h.gw->state(), AmtGatewayState::requesting);
  EXPECT_EQ(h.one(AmtType::request).t.to, kRelayAddr);
  for (int i = 0; i < kAmtRequestAttempts; ++i) {
    now = *h.gw->next_deadline();
    h.gw->on_timer(now);
    h.one(AmtType::request);
  }
  EXPECT_EQ(h.gw->state(), AmtGatewayState::relay_lost);
  EXPECT_EQ(h.gw->relay(), kRelayAddr);
  // Requests go on (1 s again after the loss, up to 120 s), never another loss.
  EXPECT_EQ(*h.gw->next_deadline() - now, 1s);
  for (int i = 0; i < 20; ++i) {
    now = *h.gw->next_deadline();
    h.gw->on_timer(now);
    h.one(AmtType::request);
  }
  EXPECT_EQ(*h.gw->next_deadline() - now, 120s);
  EXPECT_EQ(h.gw->counters().relay_losses, 1u);
  // The relay comes back.
  const uint32_t nonce = h.next_nonce - 1;
  h.feed(kRelayAddr, h.query(nonce, kMac1, igmp_query()), now);
  EXPECT_EQ(h.gw->state(), AmtGatewayState::joined);
  EXPECT_EQ(h.gw->query_interval(), 125s);
}

TEST(AmtGateway, LimitedRelayGetsOneGroup) {
  AmtGatewayConfig c = v4_config();
  c.relay = kRelayAddr;
  c.discovery.reset();
  Harness h(std::move(c));
  h.gw->start(h.t0);
  h.drain();
  h.feed(kRelayAddr, h.query(0x1000, kMac1, igmp_query(), std::nullopt, true), h.t0);
  EXPECT_TRUE(h.gw->relay_limited());
  EXPECT_EQ(h.gw->counters().limited_relay, 1u);
  auto recs = igmp_records(std::get<AmtMembershipUpdate>(
      h.one(AmtType::membership_update).message()));
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].group, (Bytes{232, 1, 1, 1}));
}

TEST(AmtGateway, Ipv6UsesMldAndPFlag) {
  AmtGatewayConfig c;
  c.relay = ep("[2001:db8::1]:2268");
  c.groups = {{ip("ff3e::8000:1"), ip("2001:db8::9")}};
  c.teardown_on_stop = true;
  Harness h(std::move(c));
  h.gw->start(h.t0);
  auto req = std::get<AmtRequest>(h.one(AmtType::request).message());
  EXPECT_TRUE(req.mld);
  // An IGMP query answering an MLD request is refused.
  h.feed(ep("[2001:db8::1]:2268"), h.query(req.nonce, kMac1, igmp_query()), h.t0);
  EXPECT_EQ(h.gw->counters().control_malformed, 1u);
  EXPECT_EQ(h.gw->state(), AmtGatewayState::requesting);
  h.feed(ep("[2001:db8::1]:2268"),
         h.query(req.nonce, kMac1, mld_query(2, 30), ep("[2001:db8::77]:5000")), h.t0);
  EXPECT_EQ(h.gw->state(), AmtGatewayState::joined);
  EXPECT_EQ(h.gw->query_interval(), 30s);
  const Sent sent = h.one(AmtType::membership_update);
  auto u = std::get<AmtMembershipUpdate>(sent.message());
  const Bytes r = from_span(u.report);
  ASSERT_GE(r.size(), 48u + 8);
  EXPECT_EQ(r[0] >> 4, 6);
  EXPECT_EQ(Bytes(r.begin() + 8, r.begin() + 24), addr_bytes(ip("fe80::1")));  // default source
  EXPECT_EQ(Bytes(r.begin() + 24, r.begin() + 40), addr_bytes(ip("ff02::16")));
  const Bytes mld(r.begin() + 48, r.end());
  EXPECT_EQ(mld[0], 143);
  EXPECT_EQ(ref_icmpv6_checksum(addr_bytes(ip("fe80::1")), addr_bytes(ip("ff02::16")), mld), 0);
  // Stop with teardown_on_stop: leave, then Teardown of this session.
  h.gw->stop(h.t0);
  auto v = h.drain();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].t.type, AmtType::membership_update);
  ASSERT_EQ(v[1].t.type, AmtType::teardown);
  auto td = std::get<AmtTeardown>(v[1].message());
  EXPECT_EQ(td.nonce, req.nonce);
  EXPECT_EQ(td.gateway_port, 5000);
  EXPECT_EQ(td.gateway_address, ip("2001:db8::77"));
}

TEST(AmtGateway, UnexpectedAndMalformedControlIsCounted) {
  Harness h(v4_config());
  h.gw->start(h.t0);
  h.drain();
  h.feed(kDiscovery, {0x01, 0, 0, 0, 0, 0, 0x10, 0}, h.t0);  // a Relay Discovery to us
  EXPECT_EQ(h.gw->counters().control_unexpected, 1u);
  h.feed(kDiscovery, {0x02, 0, 0}, h.t0);
  EXPECT_EQ(h.gw->counters().control_malformed, 1u);
  // A query before any relay is known.
  h.feed(kRelayAddr, h.query(0x1000, kMac1, igmp_query()), h.t0);
  EXPECT_EQ(h.gw->counters().control_not_from_relay, 1u);
  h.feed(kDiscovery, h.advertisement(0x1000, ip("192.0.2.1")), h.t0);
  // A second advertisement once the relay is chosen.
  h.feed(kDiscovery, h.advertisement(0x1000, ip("192.0.2.1")), h.t0);
  EXPECT_EQ(h.gw->counters().control_unexpected, 2u);
  // A query with a broken encapsulated query.
  Bytes bad = igmp_query();
  bad.back() ^= 1;
  h.feed(kRelayAddr, h.query(0x1001, kMac1, bad), h.t0);
  EXPECT_EQ(h.gw->counters().control_malformed, 2u);
  EXPECT_EQ(h.gw->state(), AmtGatewayState::requesting);
}

TEST(AmtGateway, PollTransmitNeedsRoom) {
  Harness h(v4_config());
  h.gw->start(h.t0);
  std::array<std::byte, 4> small{};
  auto r = h.gw->poll_transmit(small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, AmtErrc::buffer_too_small);
  EXPECT_EQ(h.drain().size(), 1u);  // still queued
  EXPECT_EQ(h.gw->max_transmit_size(), kAmtUpdateHeaderSize + 24 + 8 + 12 + 8);
}

TEST(AmtGatewayConfig, EveryRuleHasAMessage) {
  auto msg = [](AmtGatewayConfig c) {
    auto v = c.validate();
    EXPECT_FALSE(v);
    if (v) return std::string();
    EXPECT_EQ(v.error().code, Errc::amt_invalid_config);
    return v.error().message;
  };
  auto has = [](const std::string& m, const char* part) {
    EXPECT_NE(m.find(part), std::string::npos) << m;
  };
  AmtGatewayConfig c = v4_config();
  EXPECT_TRUE(c.validate());

  c.relay = kRelayAddr;
  has(msg(c), "both a relay (192.0.2.1:2268)");
  c.relay.reset();
  c.discovery.reset();
  has(msg(c), "neither a relay nor a relay discovery address");
  c.discovery = ep("239.1.1.1:2268");
  has(msg(c), "239.1.1.1:2268: the address must be a unicast");
  c.discovery = ep("192.0.2.100:0");
  has(msg(c), "port must not be 0");
  c.discovery = kDiscovery;

  AmtGatewayConfig g = c;
  g.groups.clear();
  has(msg(g), "no group");
  g.groups = {{ip("192.0.2.1"), std::nullopt}};
  has(msg(g), "192.0.2.1 is not multicast");
  g.groups = {{ip("239.1.1.1"), std::nullopt}, {ip("ff3e::1"), ip("2001:db8::1")}};
  has(msg(g), "one gateway tunnels one family");
  g.groups = {{ip("224.0.0.5"), std::nullopt}};
  has(msg(g), "link-local group");
  g.groups = {{ip("ff02::5"), std::nullopt}};
  has(msg(g), "link-local group");
  g.groups = {{ip("232.1.1.1"), std::nullopt}};
  has(msg(g), "source-specific range, so a source is needed");
  g.groups = {{ip("232.1.1.1"), ip("2001:db8::1")}};
  has(msg(g), "differ in family");
  g.groups = {{ip("232.1.1.1"), ip("0.0.0.0")}};
  has(msg(g), "must be a unicast address");
  g.groups = {{ip("239.1.1.1"), std::nullopt}, {ip("239.1.1.1"), std::nullopt}};
  has(msg(g), "(*, 239.1.1.1) is listed twice");
  g = c;
  g.report_source = ip("fe80::1");
  has(msg(g), "report source fe80::1 is IPv6");

  auto created = AmtGateway::create(g);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, Errc::amt_invalid_config);
}
