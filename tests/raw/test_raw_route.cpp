// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Route-selected raw egress on the wire, inside
// scripts/mctx-netns --peer --veth2: two veth pairs, mctx0 -> mctx1 and
// mctx2 -> mctx3, whose peer ends sit in the peer namespace. Main-table
// routes send two groups out of different pairs; an AF_PACKET capture on
// each peer end shows which way every datagram went, byte for byte. A route
// change moves the stream, a re-created interface is found again, and a
// group without a route fails alone with a counted, clear error.

#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "expect.hpp"
#include "gtest_netns.hpp"
#include "mctx/mctx.hpp"
#include "platform/netlink.hpp"
#include "raw_test_util.hpp"

namespace mctx::test {
namespace {

const IpAddress kGroupA6 = ip("ff3e::a");
const IpAddress kGroupB6 = ip("ff3e::b");
const IpAddress kNowhere6 = ip("ff3e::dead");
const IpAddress kGroupA4 = ip("232.10.0.1");
const IpAddress kGroupB4 = ip("232.10.0.2");
const IpAddress kNowhere4 = ip("232.10.0.3");

// Runs a shell command in this namespace (`peer`: in the peer namespace).
void sh(const std::string& command, bool peer = false) {
  ASSERT_EQ(shell(command, peer ? peer_netns() : ""), 0) << command;
}

std::vector<uint8_t> datagram(const IpAddress& group, const std::string& payload) {
  UdpDatagramSpec s = udp_spec(group.is_v4() ? kSource4 : kSource6, group, payload, 4);
  s.ipv4_id = 0x4242;  // non-zero: the kernel keeps it
  return build(s);
}

RawPublication routed(Family f) {
  auto p = RawPublication::open(RawPublicationConfig(f).with_route_selected_egress());
  if (!p) throw std::runtime_error(p.error().what());
  return std::move(p).value();
}

uint32_t index_of(const char* name) { return ::if_nametoindex(name); }

// Every frame with `marker` in `frames`, compared byte for byte with `sent`
// in order.
void expect_frames(const std::vector<Frame>& frames, const std::vector<std::vector<uint8_t>>& sent,
                   const char* where) {
  ASSERT_EQ(frames.size(), sent.size()) << where;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(frames[i].l3(), sent[i]) << where << " frame " << i << "\ncaptured:\n"
                                       << hexdump(frames[i].l3()) << "\nsent:\n"
                                       << hexdump(sent[i]);
  }
}

// Captures on both peer links: mctx1 (behind mctx0) and mctx3 (behind mctx2).
struct PeerLinks {
  Capture mctx1{peer_netns(), "mctx1"};
  Capture mctx3{peer_netns(), "mctx3"};
};

// Sends d through pub; it must go, and leave by interface `ifname`.
void expect_sent_on(RawPublication& pub, const std::vector<uint8_t>& d, const char* ifname) {
  auto r = pub.send(bytes(d));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->interface_index, index_of(ifname));
}

class RouteEgress : public ::testing::Test {
 protected:
  void SetUp() override {
    MCTX_REQUIRE_PEER();
    if (std::getenv("MCTX_VETH2") == nullptr) GTEST_SKIP() << "needs mctx-netns --veth2";
    peer_rp_filter_off();
    sh("for i in all default mctx3; do sysctl -qw net.ipv4.conf.$i.rp_filter=0; done", true);
  }
  void TearDown() override {
    for (const char* r : {"ff3e::a/128", "ff3e::b/128", "ff3e::/16"}) {
      (void)std::system(("ip -6 route del " + std::string(r) + " 2>/dev/null").c_str());
    }
    for (const char* r : {"232.10.0.1/32", "232.10.0.2/32", "232.10.0.0/16"}) {
      (void)std::system(("ip route del " + std::string(r) + " 2>/dev/null").c_str());
    }
  }
};

TEST_F(RouteEgress, Ipv6DatagramsLeaveByTheirGroupsRoute) {
  sh("ip -6 route add ff3e::a/128 dev mctx0");
  sh("ip -6 route add ff3e::b/128 dev mctx2");
  // A wider route with a lower metric loses to the longer prefix.
  sh("ip -6 route add ff3e::/16 dev mctx2 metric 1");
  PeerLinks peer;
  RawPublication pub = routed(Family::ipv6);
  EXPECT_TRUE(pub.resolved().route_selected);
  EXPECT_EQ(pub.interface_index(), 0u);

  std::vector<std::vector<uint8_t>> to_a, to_b;
  for (int i = 0; i < 3; ++i) {
    to_a.push_back(datagram(kGroupA6, "route6-A-" + std::to_string(i)));
    to_b.push_back(datagram(kGroupB6, "route6-B-" + std::to_string(i)));
    expect_sent_on(pub, to_a.back(), "mctx0");
    expect_sent_on(pub, to_b.back(), "mctx2");
  }
  // A batch mixing both groups: each datagram on its own interface.
  std::vector<std::vector<uint8_t>> batch = {datagram(kGroupA6, "route6-A-batch"),
                                             datagram(kGroupB6, "route6-B-batch")};
  iovec iov[2] = {{batch[0].data(), batch[0].size()}, {batch[1].data(), batch[1].size()}};
  const OutMessage msgs[2] = {{&iov[0], 1}, {&iov[1], 1}};
  const BatchReport br = pub.send_batch(msgs);
  ASSERT_FALSE(br.error) << br.error->message();
  EXPECT_EQ(br.sent, 2u);
  to_a.push_back(batch[0]);
  to_b.push_back(batch[1]);

  expect_frames(peer.mctx1.frames_with("route6-"), to_a, "mctx1");
  expect_frames(peer.mctx3.frames_with("route6-"), to_b, "mctx3");
  EXPECT_EQ(pub.metrics().load().packets_sent, 8u);
}

TEST_F(RouteEgress, Ipv4DatagramsLeaveByTheirGroupsRoute) {
  sh("ip route add 232.10.0.1/32 dev mctx0");
  sh("ip route add 232.10.0.2/32 dev mctx2");
  PeerLinks peer;
  RawPublication pub = routed(Family::ipv4);
  const auto a = datagram(kGroupA4, "route4-A");
  const auto b = datagram(kGroupB4, "route4-B");
  expect_sent_on(pub, a, "mctx0");
  expect_sent_on(pub, b, "mctx2");
  expect_frames(peer.mctx1.frames_with("route4-"), {a}, "mctx1");
  expect_frames(peer.mctx3.frames_with("route4-"), {b}, "mctx3");
}

TEST_F(RouteEgress, ARouteChangeMidStreamMovesTheStream) {
  sh("ip -6 route add ff3e::a/128 dev mctx0");
  PeerLinks peer;
  RawPublication pub = routed(Family::ipv6);
  std::vector<std::vector<uint8_t>> before, after;
  for (int i = 0; i < 5; ++i) {
    before.push_back(datagram(kGroupA6, "move6-" + std::to_string(i)));
    ASSERT_TRUE(pub.send(bytes(before.back())));
  }
  sh("ip -6 route replace ff3e::a/128 dev mctx2");
  for (int i = 5; i < 10; ++i) {
    after.push_back(datagram(kGroupA6, "move6-" + std::to_string(i)));
    expect_sent_on(pub, after.back(), "mctx2");
  }
  expect_frames(peer.mctx1.frames_with("move6-"), before, "mctx1 (before the change)");
  expect_frames(peer.mctx3.frames_with("move6-"), after, "mctx3 (after the change)");
}

TEST_F(RouteEgress, ARecreatedInterfaceIsFoundAgain) {
  sh("ip -6 route add ff3e::b/128 dev mctx2");
  RawPublication pub = routed(Family::ipv6);
  const uint32_t old_index = index_of("mctx2");
  {
    Capture cap3(peer_netns(), "mctx3");
    const auto d = datagram(kGroupB6, "recreate6-old");
    ASSERT_TRUE(pub.send(bytes(d)));
    expect_frames(cap3.frames_with("recreate6-"), {d}, "mctx3 before");
  }
  // Delete the pair (and with it the route), then make it again with a
  // new index and the same route.
  sh("ip link del mctx2");
  const auto lost = datagram(kGroupB6, "recreate6-gone");
  auto gone = pub.send(bytes(lost));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::raw_no_route);
  const std::string peer_pid = peer_netns().substr(6, peer_netns().find("/ns/") - 6);
  sh("ip link add mctx2 type veth peer name mctx3 netns " + peer_pid);
  sh("ip link set mctx3 multicast on up", true);
  sh("ip link set mctx2 multicast on up");
  sh("ip -6 route add ff3e::b/128 dev mctx2");
  ASSERT_NE(index_of("mctx2"), old_index);
  Capture cap3(peer_netns(), "mctx3");
  const auto d = datagram(kGroupB6, "recreate6-new");
  expect_sent_on(pub, d, "mctx2");
  expect_frames(cap3.frames_with("recreate6-"), {d}, "mctx3 re-created");
}

TEST_F(RouteEgress, NoRouteIsAClearCountedPerDatagramError) {
  sh("ip -6 route add ff3e::a/128 dev mctx0");
  PeerLinks peer;
  RawPublication pub = routed(Family::ipv6);
  const auto ok1 = datagram(kGroupA6, "noroute6-ok1");
  const auto lost = datagram(kNowhere6, "noroute6-lost");
  const auto ok2 = datagram(kGroupA6, "noroute6-ok2");
  ASSERT_TRUE(pub.send(bytes(ok1)));
  auto r = pub.send(bytes(lost));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::raw_no_route);
  EXPECT_EQ(r.error().system_errno, ENETUNREACH);
  EXPECT_FALSE(r.error().invalid_datagram());
  EXPECT_EQ(r.error().message(),
            "route-selected egress for destination ff3e::dead: no route of the kernel's main "
            "routing table matches it: Network is unreachable");
  // Another datagram after it still goes.
  ASSERT_TRUE(pub.send(bytes(ok2)));

  // In a batch: the datagrams before it are sent, it stops the batch.
  const auto ok3 = datagram(kGroupA6, "noroute6-ok3");
  iovec iov[3] = {{const_cast<uint8_t*>(ok3.data()), ok3.size()},
                  {const_cast<uint8_t*>(lost.data()), lost.size()},
                  {const_cast<uint8_t*>(ok1.data()), ok1.size()}};
  const OutMessage msgs[3] = {{&iov[0], 1}, {&iov[1], 1}, {&iov[2], 1}};
  const BatchReport br = pub.send_batch(msgs);
  EXPECT_EQ(br.sent, 1u);
  ASSERT_TRUE(br.error);
  EXPECT_EQ(br.error->code, Errc::raw_no_route);

  // An unreachable route is no way out either, with its own words.
  sh("ip -6 route add unreachable ff3e::dead/128");
  auto u = pub.send(bytes(lost));
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, Errc::raw_no_route);
  EXPECT_NE(u.error().message().find("is an unreachable route"), std::string::npos)
      << u.error().message();
  (void)std::system("ip -6 route del unreachable ff3e::dead/128");

  const SendCounters c = pub.metrics().load();
  EXPECT_EQ(c.packets_sent, 3u);
  EXPECT_EQ(c.send_errors, 3u);  // send, the batch, send
  EXPECT_EQ(pub.invalid_datagrams(), 0u);
  expect_frames(peer.mctx1.frames_with("noroute6-"), {ok1, ok2, ok3}, "mctx1");
  EXPECT_TRUE(peer.mctx3.frames_with("noroute6-").empty());
}

// Group k of a stream over many groups: ff3e::<k+1>, 232.10.0.<k+1>.
IpAddress nth_group(Family f, int k) {
  char text[32];
  std::snprintf(text, sizeof text, f == Family::ipv6 ? "ff3e::%x" : "232.10.0.%d", k + 1);
  return ip(text);
}

// Many groups alternating, all on one wide route, then a route of its own
// for one of them while sending: the main table is read at the start and
// once after the change, never per datagram, whatever the number of groups
// (the platform layer counts route dumps); every datagram leaves by its
// route (captures, byte for byte).
void alternating_groups(Family f, int groups) {
  const bool v6 = f == Family::ipv6;
  sh(v6 ? "ip -6 route add ff3e::/16 dev mctx0" : "ip route add 232.10.0.0/16 dev mctx0");
  const IpAddress moved = v6 ? kGroupB6 : kGroupB4;  // ff3e::b, 232.10.0.2
  PeerLinks peer;
  const std::string tag = "many" + std::to_string(groups) + (v6 ? "v6-" : "v4-");
  const uint64_t dumps_before = platform::route_dump_count();
  RawPublication pub = routed(f);
  std::vector<std::vector<uint8_t>> to1, to3;
  const auto round = [&](int r, bool changed) {
    for (int k = 0; k < groups; ++k) {
      const IpAddress g = nth_group(f, k);
      auto d = datagram(g, tag + std::to_string(r) + "-" + std::to_string(k));
      auto sent = pub.send(bytes(d));
      ASSERT_TRUE(sent) << sent.error().message();
      const bool on3 = changed && g == moved;
      EXPECT_EQ(sent->interface_index, index_of(on3 ? "mctx2" : "mctx0")) << g.to_string();
      (on3 ? to3 : to1).push_back(std::move(d));
    }
  };
  for (int r = 0; r < 3; ++r) round(r, false);
  EXPECT_EQ(platform::route_dump_count() - dumps_before, 1u)
      << groups << " groups: the main table was read again for datagrams of known groups";
  sh(v6 ? "ip -6 route add ff3e::b/128 dev mctx2" : "ip route add 232.10.0.2/32 dev mctx2");
  for (int r = 3; r < 6; ++r) round(r, true);
  EXPECT_EQ(platform::route_dump_count() - dumps_before, 2u)
      << groups << " groups: one route change, one more read of the main table";
  expect_frames(peer.mctx1.frames_with(tag), to1, "mctx1");
  expect_frames(peer.mctx3.frames_with(tag), to3, "mctx3");
}

TEST_F(RouteEgress, SeventeenAlternatingGroupsReadTheTableOnce) {
  alternating_groups(Family::ipv6, 17);
}
TEST_F(RouteEgress, SixtyFourAlternatingGroupsReadTheTableOnce) {
  alternating_groups(Family::ipv4, 64);
  TearDown();
  alternating_groups(Family::ipv6, 64);
}

// The figures of docs/performance.md ("Route-selected raw egress"): 60,000
// datagrams alternating over 16, 17 and 64 groups. A measurement, not a
// check: it runs when MCTX_ROUTE_BENCH is set.
TEST_F(RouteEgress, CostPerDatagramDoesNotDependOnTheGroups) {
  if (std::getenv("MCTX_ROUTE_BENCH") == nullptr) GTEST_SKIP() << "set MCTX_ROUTE_BENCH=1";
  sh("ip -6 route add ff3e::/16 dev mctx0");
  RawPublication pub = routed(Family::ipv6);
  for (int groups : {16, 17, 64}) {
    std::vector<std::vector<uint8_t>> data;
    for (int k = 0; k < groups; ++k) data.push_back(datagram(nth_group(Family::ipv6, k), "bench"));
    const uint64_t dumps = platform::route_dump_count();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 60000; ++i) {
      auto sent = pub.send(bytes(data[static_cast<std::size_t>(i % groups)]));
      ASSERT_TRUE(sent) << sent.error().message();
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    std::printf("route-selected egress: 60000 datagrams over %d groups: %.2f s, %llu route dumps\n",
                groups, took.count(),
                static_cast<unsigned long long>(platform::route_dump_count() - dumps));
  }
}

TEST_F(RouteEgress, LinkLocalGroupsNeedAnInterface) {
  RawPublication pub = routed(Family::ipv6);
  const auto d = datagram(ip("ff02::1:2"), "linklocal6");
  auto r = pub.send(bytes(d));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::scoped_group_needs_interface);
  EXPECT_NE(r.error().message().find("link-local group needs an explicit interface"),
            std::string::npos)
      << r.error().message();
}

TEST(RouteEgressConfig, RefusesExplicitSelectors) {
  auto a = RawPublicationConfig(Family::ipv6)
               .with_route_selected_egress()
               .with_interface(InterfaceSpec::name("mctx0"))
               .validate();
  expect_error(a, Errc::raw_route_egress_conflict,
               "route-selected egress chooses the interface of each datagram from the kernel's "
               "main routing table; it cannot be combined with an interface (mctx0): unset it or "
               "turn route-selected egress off");
  auto b = RawPublicationConfig(Family::ipv4)
               .with_route_selected_egress()
               .with_bind(ip("192.0.2.1"))
               .validate();
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, Errc::raw_route_egress_conflict);
  EXPECT_NE(b.error().message.find("a bind address (192.0.2.1)"), std::string::npos);
}

TEST(RouteEgressConfig, CapabilitiesReportIt) {
  const RawCapabilities caps = raw_capabilities();
  EXPECT_TRUE(caps.ipv4.route_selected_egress);
  EXPECT_TRUE(caps.ipv6.route_selected_egress);
  EXPECT_NE(std::string(caps.ipv6.route_egress_method).find("main table"), std::string::npos);
}

// ---- the selection rule itself, over synthetic dumps -------------------------

platform::NetlinkRoute route6(const char* prefix, uint8_t length, uint32_t oif, uint32_t metric = 0,
                              uint8_t type = RTN_MULTICAST,
                              uint32_t table = platform::kMainRouteTable) {
  platform::NetlinkRoute r;
  r.family = Family::ipv6;
  r.table = table;
  r.type = type;
  r.destination_length = length;
  r.destination = ip(prefix).bytes();
  r.output_interface = oif;
  r.metric = metric;
  return r;
}

platform::RouteDecision pick(const std::vector<platform::NetlinkRoute>& routes, const char* dst,
                             const char* src = "2001:db8::1") {
  return platform::select_route(routes, Family::ipv6, ip(dst).bytes().data(),
                                ip(src).bytes().data());
}

TEST(SelectRoute, LongestPrefixThenLowestMetric) {
  const std::vector<platform::NetlinkRoute> routes = {
      route6("::", 0, 9, 1024, RTN_UNICAST),  // default route
      route6("ff3e::", 16, 2, 100),
      route6("ff3e::", 16, 3, 50),
      route6("ff3e::a", 128, 4, 500),
      // The local table's per-device routes answer RTM_GETROUTE for every
      // group: they must not count.
      route6("ff00::", 8, 7, 256, RTN_MULTICAST, 255),
      route6("ff3e::b", 128, 8, 0, RTN_MULTICAST, 255),
  };
  EXPECT_EQ(pick(routes, "ff3e::a").output_interface, 4u);
  EXPECT_EQ(pick(routes, "ff3e::b").output_interface, 3u);  // /16, metric 50 beats 100
  EXPECT_EQ(pick(routes, "ff3e::b").destination_length, 16u);
  EXPECT_EQ(pick(routes, "ff05::1").output_interface, 9u);  // the default route
  EXPECT_EQ(pick({routes.begin() + 1, routes.end()}, "ff05::1").error, ENETUNREACH);
  EXPECT_EQ(pick({routes.begin() + 1, routes.end()}, "ff05::1").type, 0);
}

TEST(SelectRoute, ErrorRoutesAndSourceSpecificRoutes) {
  std::vector<platform::NetlinkRoute> routes = {
      route6("ff3e::", 16, 2),
      route6("ff3e::1", 128, 0, 0, RTN_UNREACHABLE),
      route6("ff3e::2", 128, 0, 0, RTN_PROHIBIT),
      route6("ff3e::3", 128, 0, 0, RTN_BLACKHOLE),
  };
  EXPECT_EQ(pick(routes, "ff3e::1").error, EHOSTUNREACH);
  EXPECT_EQ(pick(routes, "ff3e::2").error, EACCES);
  EXPECT_EQ(pick(routes, "ff3e::3").error, ENETUNREACH);
  EXPECT_EQ(pick(routes, "ff3e::3").type, RTN_BLACKHOLE);
  // A source-specific route wins for its sources only.
  auto from = route6("ff3e::", 16, 5);
  from.source_length = 64;
  from.source = ip("2001:db8:1::").bytes();
  routes.push_back(from);
  EXPECT_EQ(pick(routes, "ff3e::9", "2001:db8:1::7").output_interface, 5u);
  EXPECT_EQ(pick(routes, "ff3e::9", "2001:db8:2::7").output_interface, 2u);
  // Cloned (cache) entries and dead routes are ignored.
  routes[0].flags = RTM_F_CLONED;
  EXPECT_EQ(pick(routes, "ff3e::9", "2001:db8:2::7").error, ENETUNREACH);
}

TEST(SelectRoute, TheDumpsReadThisNamespace) {
  auto links = platform::dump_links();
  ASSERT_TRUE(links) << links.error();
  bool lo = false;
  for (const auto& l : *links) lo = lo || l.name == "lo";
  EXPECT_TRUE(lo);
  auto addrs = platform::dump_addresses(Family::ipv6);
  ASSERT_TRUE(addrs) << addrs.error();
  bool fd00 = false;
  for (const auto& a : *addrs) fd00 = fd00 || a.address == ip("fd00::1");
  EXPECT_TRUE(fd00);
  auto routes = platform::dump_routes(Family::ipv6);
  ASSERT_TRUE(routes) << routes.error();
  EXPECT_FALSE(routes->empty());
}

}  // namespace
}  // namespace mctx::test
