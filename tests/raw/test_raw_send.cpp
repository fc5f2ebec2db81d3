// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw mode on the wire, inside scripts/mctx-netns --peer. Proof of delivery
// is an AF_PACKET capture on mctx1 in the peer namespace, compared byte for
// byte with the datagram handed to RawPublication, and a source-specific
// (S,G) receiver in the peer namespace. IPv4 and IPv6 datagrams here;
// refusals in test_raw_send_refusals.cpp, contexts and batches in
// test_raw_send_batch.cpp.

#include <gtest/gtest.h>
#include <net/if.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "raw_send_fixture.hpp"

namespace mctx::test {
namespace {

// ------------------------------------------------------------------ IPv4

TEST_F(RawSend, Ipv4ForeignSourceArrivesByteForByteAndReachesSsmReceiver) {
  const std::string payload = "mctx-raw-v4-foreign";
  Capture cap = peer_capture();
  auto rx = peer_receiver(kGroup4, kPort, kSource4);
  auto pub = open_pub(v4_on_mctx0());
  const auto spec = spec4(payload);  // TTL 5, TOS 0x28
  const auto d = build(spec);
  expect_sent(pub, d, spec, 17);
  expect_frame(cap.frames_with(payload), d, kGroup4);
  expect_received(rx, spec);

  const SendCounters c = pub.metrics().load();
  EXPECT_EQ(c.packets_sent, 1u);
  EXPECT_EQ(c.bytes_sent, d.size());
  EXPECT_EQ(pub.invalid_datagrams(), 0u);
}

TEST_F(RawSend, Ipv4SsmReceiverForAnotherSourceGetsNothing) {
  // The (S,G) filter at the peer is real: the datagram's source decides. (One
  // receiver only: test::Receiver sets SO_REUSEPORT, and Linux then hands a
  // multicast datagram to one socket of the port group regardless of the
  // sockets' source filters.)
  const std::string payload = "mctx-raw-v4-other-source";
  Capture cap = peer_capture();
  auto wrong = peer_receiver(kGroup4, kPort, ip("198.51.100.8"));
  auto pub = open_pub(v4_on_mctx0());
  const auto d = build(spec4(payload));
  ASSERT_TRUE(pub.send(bytes(d)));
  expect_frame(cap.frames_with(payload), d, kGroup4);
  EXPECT_FALSE(wrong.receive(300ms));
}

TEST_F(RawSend, Ipv4OptionsDontFragmentAndGatheredBuffers) {
  const std::string payload = "mctx-raw-v4-options-iov";
  Capture cap = peer_capture();
  auto pub = open_pub(v4_on_mctx0());
  auto spec = spec4(payload);
  const uint8_t opts[4] = {0x01, 0x01, 0x01, 0x00};
  spec.ipv4_options = std::as_bytes(std::span(opts));
  spec.ipv4_dont_fragment = true;
  const auto d = build(spec);
  // Three pieces with the split inside the header.
  iovec iov[3] = {{const_cast<uint8_t*>(d.data()), 7},
                  {const_cast<uint8_t*>(d.data()) + 7, 20},
                  {const_cast<uint8_t*>(d.data()) + 27, d.size() - 27}};
  auto r = pub.send(iov, 3);
  ASSERT_TRUE(r) << r.error().message();
  expect_frame(cap.frames_with(payload), d, kGroup4);
}

// What the kernel rewrites in a raw IPv4 header (a zero identification, the
// checksum) is checked in tests/kernel/test_kernel_raw.cpp.

TEST_F(RawSend, Ipv4BindSelectsTheEgress) {
  auto c = RawPublicationConfig(Family::ipv4).with_bind(ip("192.0.2.1"));
  auto resolved = c.validate();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->interface_index, ::if_nametoindex("mctx0"));
  EXPECT_EQ(resolved->interface_name, "mctx0");

  const std::string payload = "mctx-raw-v4-bind";
  Capture cap = peer_capture();
  auto pub = open_pub(c);
  const auto d = build(spec4(payload));
  ASSERT_TRUE(pub.send(bytes(d)));
  expect_frame(cap.frames_with(payload), d, kGroup4);

  auto bad = RawPublicationConfig(Family::ipv4)
                 .with_bind(ip("192.0.2.1"))
                 .with_interface(InterfaceSpec::name("lo"))
                 .validate();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::source_interface_mismatch);
  EXPECT_NE(bad.error().message.find("bind address '192.0.2.1' is on interface mctx0"),
            std::string::npos)
      << bad.error().message;
}

TEST_F(RawSend, Ipv4LoopbackReachesLocalReceiversOnlyWhenOn) {
  const uint32_t mctx0 = ::if_nametoindex("mctx0");
  for (bool loop : {true, false}) {
    SCOPED_TRACE(loop ? "loopback on" : "loopback off");
    const std::string payload = loop ? "mctx-raw-v4-loop-on" : "mctx-raw-v4-loop-off";
    test::Receiver local(kGroup4, kPort, mctx0, kSource4);
    auto peer = peer_receiver(kGroup4, kPort, kSource4);
    auto pub = open_pub(v4_on_mctx0().with_loopback(loop));
    EXPECT_EQ(pub.resolved().loopback, loop);
    ASSERT_TRUE(pub.send(bytes(build(spec4(payload)))));
    auto p = peer.receive(2s);
    ASSERT_TRUE(p) << "the peer must receive in both cases";
    auto l = local.receive(loop ? 2s : 300ms);
    EXPECT_EQ(l.has_value(), loop);
    if (l) {
      EXPECT_EQ(std::string(l->payload.begin(), l->payload.end()), payload);
    }
  }
}

TEST_F(RawSend, Ipv4WithoutInterfaceLoopsBackToAnySourceReceiversOnly) {
  // Without an interface the kernel routes with one of this host's
  // addresses and decides local delivery by it: an any-source receiver on
  // this host gets the datagram, an (S,G) receiver for its foreign source
  // does not (docs/raw.md, "Same-host behaviour").
  ASSERT_EQ(std::system("ip route replace 232.0.0.0/8 dev mctx0"), 0);
  struct RouteGuard {
    ~RouteGuard() { (void)std::system("ip route del 232.0.0.0/8 dev mctx0"); }
  } guard;
  const uint32_t mctx0 = ::if_nametoindex("mctx0");
  auto pub = open_pub(RawPublicationConfig(Family::ipv4));
  EXPECT_EQ(pub.interface_index(), 0u);
  {
    test::Receiver ssm(kGroup4, kPort, mctx0, kSource4);
    auto r = pub.send(bytes(build(spec4("mctx-raw-v4-noif-ssm"))));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->interface_index, 0u);
    EXPECT_FALSE(ssm.receive(300ms));
  }
  {
    test::Receiver asm_rx(kGroup4, kPort, mctx0);
    ASSERT_TRUE(pub.send(bytes(build(spec4("mctx-raw-v4-noif-asm")))));
    auto l = asm_rx.receive(2s);
    ASSERT_TRUE(l);
    EXPECT_EQ(l->from.address, kSource4);
  }
}

TEST_F(RawSend, Ipv4OnLoopbackInterface) {
  // IPv4 raw datagrams may be pinned to lo: a local (S,G) receiver gets them.
  const std::string payload = "mctx-raw-v4-lo";
  test::Receiver local(kGroup4, kPort, ::if_nametoindex("lo"), kSource4);
  auto pub = open_pub(
      RawPublicationConfig(Family::ipv4).with_interface(InterfaceSpec::address(ip("127.0.0.1"))));
  ASSERT_TRUE(pub.send(bytes(build(spec4(payload)))));
  auto l = local.receive(2s);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->from.address, kSource4);
}

TEST_F(RawSend, Ipv4LargerThanTheMtuIsRefused) {
  auto pub = open_pub(v4_on_mctx0());
  const std::string payload(1600, 'x');
  auto r = pub.send(bytes(build(spec4(payload))));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::message_too_long);
  EXPECT_FALSE(r.error().invalid_datagram());
  EXPECT_EQ(pub.metrics().load().send_errors, 1u);
}

// ------------------------------------------------------------------ IPv6

TEST_F(RawSend, Ipv6ForeignSourceWithExtensionHeaderArrivesByteForByte) {
  const std::string payload = "mctx-raw-v6-foreign";
  Capture cap = peer_capture();
  auto rx = peer_receiver(kGroup6, kPort, kSource6);
  auto pub = open_pub(v6_on_mctx0());
  EXPECT_EQ(pub.interface_index(), ::if_nametoindex("mctx0"));
  EXPECT_FALSE(pub.resolved().loopback);
  const auto ext = dstopts_padn();
  const auto spec = spec6(payload, ext);  // hop limit 7, class 0xb8
  const auto d = build(spec);
  expect_sent(pub, d, spec, 60);
  expect_frame(cap.frames_with(payload), d, kGroup6);
  expect_received(rx, spec);
}

TEST_F(RawSend, Ipv6WithoutExtensionHeadersAndOtherSourceFilter) {
  const std::string payload = "mctx-raw-v6-plain";
  Capture cap = peer_capture();
  auto wrong = peer_receiver(kGroup6, kPort, ip("2001:db8:99::8"));
  auto pub = open_pub(RawPublicationConfig(Family::ipv6)
                          .with_interface(InterfaceSpec::address(ip("fd00::1")))
                          .with_bind(ip("fd00::1")));
  const auto d = build(spec6(payload, {}));
  ASSERT_TRUE(pub.send(bytes(d)));
  expect_frame(cap.frames_with(payload), d, kGroup6);
  EXPECT_FALSE(wrong.receive(300ms)) << "an (S,G) receiver for another source";
}

TEST_F(RawSend, Ipv6IsNotLoopedBackToThisHost) {
  // Link-layer injection never passes this host's IP stack.
  const std::string payload = "mctx-raw-v6-no-loop";
  test::Receiver local(kGroup6, kPort, ::if_nametoindex("mctx0"), kSource6);
  auto peer = peer_receiver(kGroup6, kPort, kSource6);
  auto pub = open_pub(v6_on_mctx0());
  ASSERT_TRUE(pub.send(bytes(build(spec6(payload, dstopts_padn())))));
  EXPECT_TRUE(peer.receive(2s));
  EXPECT_FALSE(local.receive(300ms));
}

TEST_F(RawSend, Ipv6LargerThanTheMtuIsRefused) {
  auto pub = open_pub(v6_on_mctx0());
  const std::string payload(1500, 'x');
  auto r = pub.send(bytes(build(spec6(payload, {}))));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::message_too_long);
}

}  // namespace
}  // namespace mctx::test
