// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Outages and error reports, with real interfaces (scripts/mctx-netns
// --peer): IP_RECVERR / IPV6_RECVERR on every socket; a link that goes down
// and up; an interface deleted and re-created under another index, followed
// by name, with every datagram accounted for (received by the peer, or
// counted as unreachable).

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "mctx/mctx.hpp"
#include "gtest_netns.hpp"
#include "values.hpp"
#include "wait.hpp"

namespace mctx::test {
namespace {

using namespace std::chrono_literals;

void run(const std::string& cmd) {
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// The peer end back into the peer namespace, configured as mctx-netns does.
void recreate_veth() {
  const std::string peer = std::getenv("MCTX_PEER_NETNS");
  const std::string pid = peer.substr(6, peer.find('/', 6) - 6);  // /proc/PID/ns/net
  run("ip link add mctx0 type veth peer name mctx1 netns " + pid);
  run("nsenter --net=" + peer +
      " -- sh -ec 'ip link set mctx1 multicast on up; ip addr add 192.0.2.2/24 dev mctx1; "
      "ip -6 addr add fd00::2/64 dev mctx1 nodad; ip route add 224.0.0.0/4 dev mctx1'");
  run("ip link set mctx0 multicast on up; ip addr add 192.0.2.1/24 dev mctx0; "
      "ip -6 addr add fd00::1/64 dev mctx0 nodad");
}

TEST(Outage, SocketsReportLocalErrors) {
  for (const char* g : {"239.1.9.1", "ff3e::4d43:9"}) {
    auto p = Publication::open(PublicationConfig(ip(g), 5900)
                                   .with_interface(InterfaceSpec::name("mctx0")));
    ASSERT_TRUE(p) << p.error().what();
    int on = 0;
    socklen_t len = sizeof on;
    const bool v4 = ip(g).is_v4();
    ASSERT_EQ(::getsockopt(p->fd(), v4 ? IPPROTO_IP : IPPROTO_IPV6,
                           v4 ? IP_RECVERR : IPV6_RECVERR, &on, &len),
              0);
    EXPECT_EQ(on, 1) << g;
    EXPECT_EQ(p->drain_errors(), 0);  // nothing queued, and no blocking
  }
}

TEST(Outage, LinkDownAndUp) {
  auto p = Publication::open(PublicationConfig(ip("239.1.9.2"), 5901)
                                 .with_interface(InterfaceSpec::name("mctx0")));
  ASSERT_TRUE(p) << p.error().what();
  ASSERT_TRUE(p->send(bytes("before")));
  EXPECT_FALSE(p->outage().active);

  run("ip link set mctx0 down");
  for (int i = 0; i < 5; ++i) {
    auto r = p->send(bytes("during"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::network_unreachable);
  }
  OutageStatus st = p->outage();
  EXPECT_TRUE(st.active);
  EXPECT_EQ(st.outages, 1u);
  EXPECT_EQ(st.datagrams_lost, 5u);
  EXPECT_EQ(st.cause, Errc::interface_down);  // looked up at once when it began
  EXPECT_EQ(p->outage_reason(), "interface 'mctx0' is down");

  run("ip link set mctx0 up");
  ASSERT_TRUE(p->send(bytes("after"))) << "a link that is up again needs no re-resolution";
  st = p->outage();
  std::printf("  link down/up: outage of %.3f s, %llu datagrams lost\n",
              std::chrono::duration<double>(st.duration).count(),
              static_cast<unsigned long long>(st.datagrams_lost));
  EXPECT_FALSE(st.active);
  EXPECT_EQ(st.datagrams_lost, 5u);
  const SendCounters k = p->metrics().load();
  EXPECT_EQ(k.unreachable, 5u);
  EXPECT_EQ(k.send_errors, 5u);
  EXPECT_EQ(k.packets_sent, 2u);
}

class Recreated : public ::testing::TestWithParam<const char*> {};

TEST_P(Recreated, InterfaceIsFollowedByName) {
  MCTX_REQUIRE_PEER();
  const IpAddress group = ip(GetParam());
  auto p = Publication::open(PublicationConfig(group, 5902)
                                 .with_interface(InterfaceSpec::name("mctx0")));
  ASSERT_TRUE(p) << p.error().what();
  const uint32_t old_index = p->interface_index();
  {
    Receiver rx = peer_receiver(group, 5902);
    ASSERT_TRUE(p->send(bytes("one")));
    EXPECT_EQ(rx.receive_n(2, 300ms).size(), 1u);
  }

  // Nothing is in flight (the peer got "one"): the link can go at once.
  run("ip link set mctx0 down; ip link del mctx0");
  auto r = p->send(bytes("lost"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::network_unreachable);
  EXPECT_EQ(p->outage().cause, Errc::interface_not_found);
  EXPECT_EQ(p->outage_reason(), "interface 'mctx0' does not exist (any more)");

  recreate_veth();
  ASSERT_NE(ifindex("mctx0"), old_index);
  Receiver rx = peer_receiver(group, 5902);
  // Sending until it works: the next re-resolution is at most
  // kOutageProbeInterval away.
  const auto start = std::chrono::steady_clock::now();
  uint64_t lost = 1;
  const bool resumed = wait_until(
      [&] {
        if (p->send(bytes("two"))) return true;
        ++lost;
        return false;
      },
      2s, 5ms);
  ASSERT_TRUE(resumed) << "did not resume: " << p->outage_reason();
  const OutageStatus st = p->outage();
  std::printf("  %s, re-created: index %u -> %u, resumed after %.3f s, %llu datagrams lost\n",
              GetParam(), old_index, p->interface_index(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
              static_cast<unsigned long long>(st.datagrams_lost));
  EXPECT_FALSE(st.active);
  EXPECT_EQ(st.datagrams_lost, lost);
  EXPECT_EQ(p->interface_index(), ifindex("mctx0"));
  EXPECT_EQ(p->metrics().load().unreachable, lost);
  auto got = rx.receive_n(2, 300ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(text(got[0]), "two");
}

INSTANTIATE_TEST_SUITE_P(Families, Recreated, ::testing::Values("239.1.9.3", "ff3e::4d43:3", "ff12::4d43:3"));

}  // namespace
}  // namespace mctx::test
