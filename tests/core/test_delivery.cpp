// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Delivery tests: every datagram a Publication sends is checked on a real
// receiver that joined the group (payload, count, observed source address
// and port, TTL / hop limit, TOS / traffic class). Runs inside
// scripts/mctx-netns --peer: lo, mctx0 (192.0.2.1, fd00::1) and, in a peer
// namespace, mctx1 (192.0.2.2, fd00::2).

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <string>
#include <vector>

#include "gtest_netns.hpp"
#include "mctx/mctx.hpp"
#include "values.hpp"

namespace mctx::test {
namespace {

using namespace std::chrono_literals;

Publication open_ok(const PublicationConfig& c) {
  auto p = Publication::open(c);
  if (!p) throw std::runtime_error("open failed: " + p.error().what());
  return std::move(p).value();
}

TEST(Delivery, Ipv4OnLoopbackWithSourceAndPort) {
  const IpAddress group = ip("239.1.2.3");
  Receiver rx(group, 5000, ifindex("lo"));
  auto pub = open_ok(PublicationConfig(group, 5000)
                         .with_source_address(ip("127.0.0.1"))
                         .with_source_port(6000)
                         .with_interface(InterfaceSpec::name("lo")));
  EXPECT_EQ(pub.local(), ep("127.0.0.1:6000"));
  EXPECT_EQ(pub.destination(), ep("239.1.2.3:5000"));
  EXPECT_EQ(pub.interface_index(), ifindex("lo"));

  constexpr int kCount = 5;
  for (int i = 0; i < kCount; ++i) {
    const std::string payload = "hello " + std::to_string(i);
    auto r = pub.send(bytes(payload));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->publication_id, pub.id());
    EXPECT_EQ(r->bytes_sent, payload.size());
    EXPECT_EQ(r->destination(), ep("239.1.2.3:5000"));
    EXPECT_EQ(r->local(), ep("127.0.0.1:6000"));
    EXPECT_EQ(r->source(), ip("127.0.0.1"));
  }
  auto got = rx.receive_n(kCount + 1, 300ms);  // one more than sent: catches duplicates
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(text(got[i]), "hello " + std::to_string(i));
    EXPECT_EQ(got[i].from, ep("127.0.0.1:6000"));
    EXPECT_EQ(got[i].destination, group);
    EXPECT_EQ(got[i].ifindex, ifindex("lo"));
    EXPECT_EQ(got[i].ttl, 1);  // the default
  }
  const SendCounters c = pub.metrics().load();
  EXPECT_EQ(c.send_calls, 5u);
  EXPECT_EQ(c.packets_sent, 5u);
  EXPECT_EQ(c.bytes_sent, 5u * 7u);
  EXPECT_EQ(c.send_errors, 0u);
}

TEST(Delivery, Ipv4InterfaceAddressIsTheSourceWhenUnbound) {
  const IpAddress group = ip("239.1.2.4");
  Receiver rx(group, 5001, ifindex("lo"));
  auto pub = open_ok(
      PublicationConfig(group, 5001).with_interface(InterfaceSpec::address(ip("127.0.0.1"))));
  EXPECT_FALSE(pub.resolved().needs_bind);
  ASSERT_TRUE(pub.send(bytes("via address")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "via address");
  EXPECT_EQ(d->from.address, ip("127.0.0.1"));
  EXPECT_EQ(d->from.port, pub.local().port);  // the ephemeral port the kernel chose
  EXPECT_NE(pub.local().port, 0);
}

TEST(Delivery, Ipv4InterfaceByNameSendsFromItsAddress) {
  // lo only carries host-scope addresses: without the interface address in
  // IP_MULTICAST_IF, Linux would send these with source 0.0.0.0.
  const IpAddress group = ip("239.1.2.14");
  Receiver rx(group, 5014, ifindex("lo"));
  for (const InterfaceSpec& spec : {InterfaceSpec::name("lo"), InterfaceSpec::index(ifindex("lo"))}) {
    auto pub = open_ok(PublicationConfig(group, 5014).with_interface(spec));
    EXPECT_FALSE(pub.resolved().needs_bind);
    EXPECT_EQ(pub.local().address, ip("127.0.0.1"));
    ASSERT_TRUE(pub.send(bytes("by " + spec.to_string())));
    auto d = rx.receive(1s);
    ASSERT_TRUE(d);
    EXPECT_EQ(text(*d), "by " + spec.to_string());
    EXPECT_EQ(d->from.address, ip("127.0.0.1"));
    EXPECT_EQ(d->from.port, pub.local().port);
  }
}

TEST(Delivery, Ipv4TtlAndDscpObserved) {
  const IpAddress group = ip("239.1.2.5");
  Receiver rx(group, 5002, ifindex("lo"));
  auto pub = open_ok(PublicationConfig(group, 5002)
                         .with_interface(InterfaceSpec::name("lo"))
                         .with_ttl(9)
                         .with_dscp(46));  // EF
  ASSERT_TRUE(pub.send(bytes("marked")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->ttl, 9);
  EXPECT_EQ(d->tos, 46 << 2);
}

TEST(Delivery, Ipv4ToPeerOverVeth) {
  MCTX_REQUIRE_PEER();
  const IpAddress group = ip("239.1.2.6");
  Receiver rx = peer_receiver(group, 5003);
  auto pub = open_ok(PublicationConfig(group, 5003)
                         .with_source_address(ip("192.0.2.1"))
                         .with_source_port(6003)
                         .with_ttl(4)
                         .with_dscp(10));
  EXPECT_EQ(pub.interface_index(), ifindex("mctx0"));  // the source's interface
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pub.send(bytes("peer " + std::to_string(i))));
  auto got = rx.receive_n(4, 300ms);
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(text(got[i]), "peer " + std::to_string(i));
    EXPECT_EQ(got[i].from, ep("192.0.2.1:6003"));
    EXPECT_EQ(got[i].ttl, 4);
    EXPECT_EQ(got[i].tos, 40);
  }
}

// ff3e (global scope, SSM range) with an explicit source: the source pins
// the interface (mctx0); the destination carries no scope ID.
TEST(Delivery, Ipv6GlobalSsmGroupWithSourceToPeer) {
  MCTX_REQUIRE_PEER();
  const IpAddress group = ip("ff3e::4d43:1");
  const IpAddress source = ip("fd00::1");
  Receiver rx = peer_receiver(group, 5004, source);  // SSM join (fd00::1, ff3e::4d43:1)
  auto pub = open_ok(PublicationConfig(group, 5004)
                         .with_source_address(source)
                         .with_source_port(6004)
                         .with_ttl(7)
                         .with_dscp(46));
  EXPECT_EQ(pub.interface_index(), ifindex("mctx0"));
  EXPECT_EQ(pub.destination(), ep("[ff3e::4d43:1]:5004"));
  EXPECT_EQ(pub.destination().address.scope_id(), 0u);
  EXPECT_EQ(pub.local(), ep("[fd00::1]:6004"));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pub.send(bytes("v6 " + std::to_string(i))));
  auto got = rx.receive_n(5, 300ms);
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(text(got[i]), "v6 " + std::to_string(i));
    EXPECT_EQ(got[i].from.address.with_scope_id(0), source);
    EXPECT_EQ(got[i].from.port, 6004);
    EXPECT_EQ(got[i].ttl, 7);         // hop limit
    EXPECT_EQ(got[i].tos, 46 << 2);   // traffic class
    EXPECT_EQ(got[i].destination, group);
  }
}

TEST(Delivery, Ipv6GlobalGroupLoopedBackOnSendingInterface) {
  const IpAddress group = ip("ff3e::4d43:2");
  Receiver rx(group, 5005, ifindex("mctx0"));
  auto pub = open_ok(PublicationConfig(group, 5005).with_source_address(ip("fd00::1")));
  ASSERT_TRUE(pub.send(bytes("looped")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "looped");
  EXPECT_EQ(d->from.address.with_scope_id(0), ip("fd00::1"));
  EXPECT_EQ(d->ttl, 1);
}

// ff32 (link-local scope, SSM range): the destination keeps the interface as
// its scope ID; delivered across the link.
TEST(Delivery, Ipv6LinkLocalScopeGroupToPeer) {
  MCTX_REQUIRE_PEER();
  const IpAddress group = ip("ff32::8000:4d43");
  const IpAddress source = ip("fd00::1");
  Receiver rx = peer_receiver(group, 5006, source);
  auto pub = open_ok(PublicationConfig(group, 5006).with_source_address(source));
  EXPECT_EQ(pub.destination().address.scope_id(), ifindex("mctx0"));
  EXPECT_EQ(pub.interface_index(), ifindex("mctx0"));
  ASSERT_TRUE(pub.send(bytes("ff32")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "ff32");
  EXPECT_EQ(d->from.address.with_scope_id(0), source);
}

// ff31 (interface-local scope): the kernel never puts it on the wire, it is
// only looped back to receivers on the sending interface.
TEST(Delivery, Ipv6InterfaceLocalScopeGroupStaysOnTheInterface) {
  MCTX_REQUIRE_PEER();
  const IpAddress group = ip("ff31::4d43");
  const IpAddress source = ip("fd00::1");
  Receiver local(group, 5007, ifindex("mctx0"), source);
  Receiver peer = peer_receiver(group, 5007, source);
  auto pub = open_ok(PublicationConfig(group, 5007)
                         .with_interface(InterfaceSpec::name("mctx0"))
                         .with_source_address(source));
  EXPECT_EQ(pub.destination().address.scope_id(), ifindex("mctx0"));
  ASSERT_TRUE(pub.send(bytes("ff31")));
  auto d = local.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "ff31");
  EXPECT_FALSE(peer.receive(200ms));
}

// An IPv6 interface given as an address is bound as the source.
TEST(Delivery, Ipv6InterfaceAddressIsBoundAsSource) {
  MCTX_REQUIRE_PEER();
  const IpAddress group = ip("ff3e::4d43:3");
  Receiver rx = peer_receiver(group, 5008);
  auto pub = open_ok(
      PublicationConfig(group, 5008).with_interface(InterfaceSpec::address(ip("fd00::1"))));
  EXPECT_TRUE(pub.resolved().needs_bind);
  EXPECT_EQ(pub.resolved().bind.address, ip("fd00::1"));
  EXPECT_EQ(pub.interface_index(), ifindex("mctx0"));
  ASSERT_TRUE(pub.send(bytes("bound")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->from.address.with_scope_id(0), ip("fd00::1"));
  EXPECT_EQ(d->from.port, pub.local().port);
}

// Loopback off: nothing comes back to a receiver on the sending host, but the
// peer still gets every datagram (so the publication did send). Over lo
// itself the flag has no effect (lo's "wire" is the local stack), so this
// runs over the veth pair.
void expect_loopback_off_keeps_datagrams_off_the_host(const char* group_text, uint16_t port,
                                                      const char* source) {
  const IpAddress group = ip(group_text);
  Receiver local(group, port, ifindex("mctx0"));
  Receiver peer = peer_receiver(group, port);
  auto off =
      open_ok(PublicationConfig(group, port).with_source_address(ip(source)).with_loopback(false));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(off.send(bytes("quiet")));
  EXPECT_EQ(peer.receive_n(4, 300ms).size(), 3u);
  EXPECT_FALSE(local.receive(200ms));

  // Control: the same with loopback on reaches the local receiver.
  auto on = open_ok(PublicationConfig(group, port).with_source_address(ip(source)));
  ASSERT_TRUE(on.send(bytes("loud")));
  auto d = local.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "loud");
}

TEST(Delivery, LoopbackOffIpv4) {
  MCTX_REQUIRE_PEER();
  expect_loopback_off_keeps_datagrams_off_the_host("239.1.2.7", 5009, "192.0.2.1");
}

TEST(Delivery, LoopbackOffIpv6) {
  MCTX_REQUIRE_PEER();
  expect_loopback_off_keeps_datagrams_off_the_host("ff3e::4d43:4", 5010, "fd00::1");
}

TEST(Delivery, SendGathersIovecs) {
  const IpAddress group = ip("239.1.2.8");
  Receiver rx(group, 5011, ifindex("lo"));
  auto pub = open_ok(PublicationConfig(group, 5011).with_interface(InterfaceSpec::name("lo")));
  std::string a = "head-", b = "body-", c = "tail";
  iovec iov[3] = {{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}};
  auto r = pub.send(iov, 3);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bytes_sent, 14u);
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "head-body-tail");
}

TEST(Delivery, SendBatchDeliversAllInOrder) {
  const IpAddress group = ip("239.1.2.9");
  Receiver rx(group, 5012, ifindex("lo"));
  const int big = 8 << 20;
  (void)::setsockopt(rx.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  auto pub = open_ok(PublicationConfig(group, 5012).with_interface(InterfaceSpec::name("lo")));

  constexpr std::size_t kCount = 150;  // more than one sendmmsg chunk
  std::vector<std::string> heads(kCount), bodies(kCount);
  std::vector<iovec> iovs(kCount * 2);
  std::vector<OutMessage> msgs(kCount);
  std::size_t total = 0;
  for (std::size_t i = 0; i < kCount; ++i) {
    heads[i] = "#" + std::to_string(i) + ":";
    bodies[i] = std::string(i % 50 + 1, static_cast<char>('a' + i % 26));
    iovs[2 * i] = {heads[i].data(), heads[i].size()};
    iovs[2 * i + 1] = {bodies[i].data(), bodies[i].size()};
    msgs[i] = OutMessage{&iovs[2 * i], 2};
    total += heads[i].size() + bodies[i].size();
  }
  const BatchReport rep = pub.send_batch(msgs);
  EXPECT_EQ(rep.publication_id, pub.id());
  EXPECT_FALSE(rep.error) << rep.error->message();
  EXPECT_EQ(rep.sent, kCount);
  EXPECT_EQ(rep.bytes_sent, total);

  auto got = rx.receive_n(kCount + 1, 300ms);
  ASSERT_EQ(got.size(), kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    EXPECT_EQ(text(got[i]), heads[i] + bodies[i]) << "datagram " << i;
  }
  const SendCounters c = pub.metrics().load();
  EXPECT_EQ(c.send_calls, 1u);  // one send_batch() is one call
  EXPECT_EQ(c.packets_sent, kCount);
  EXPECT_EQ(c.bytes_sent, total);
}

TEST(Delivery, TooLongDatagramIsTypedError) {
  auto pub = open_ok(
      PublicationConfig(ip("239.1.2.10"), 5013).with_interface(InterfaceSpec::name("lo")));
  std::string huge(70000, 'x');
  auto r = pub.send(bytes(huge));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::message_too_long);
  EXPECT_EQ(r.error().system_errno, EMSGSIZE);
  EXPECT_EQ(pub.metrics().load().send_errors, 1u);
}

// The kernel takes at most 1024 buffers (IOV_MAX) per datagram and refuses
// more with EMSGSIZE ("datagram too long", which it was not): a datagram of
// more buffers is joined into one and sent, alone or in a batch.
TEST(Delivery, MoreBuffersThanIovMaxAreJoined) {
  const IpAddress group = ip("239.1.2.11");
  Receiver rx(group, 5014, ifindex("lo"));
  auto pub = open_ok(PublicationConfig(group, 5014).with_interface(InterfaceSpec::name("lo")));
  std::string pieces;
  for (int i = 0; i < 1100; ++i) pieces += static_cast<char>('a' + i % 26);
  std::vector<iovec> iov(pieces.size());
  for (std::size_t i = 0; i < iov.size(); ++i) iov[i] = {&pieces[i], 1};

  auto one = pub.send(iov.data(), 1025);
  ASSERT_TRUE(one) << one.error().message();
  EXPECT_EQ(one->bytes_sent, 1025u);

  // In a batch: the runs before and after it go as they are.
  const OutMessage msgs[4] = {
      {iov.data(), 3}, {iov.data(), 1100}, {iov.data() + 3, 2}, {iov.data() + 5, 1024}};
  const BatchReport rep = pub.send_batch(msgs);
  EXPECT_FALSE(rep.error) << rep.error->message();
  EXPECT_EQ(rep.sent, 4u);
  EXPECT_EQ(rep.bytes_sent, 3u + 1100u + 2u + 1024u);

  auto got = rx.receive_n(6, 300ms);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(text(got[0]), pieces.substr(0, 1025));
  EXPECT_EQ(text(got[1]), pieces.substr(0, 3));
  EXPECT_EQ(text(got[2]), pieces);
  EXPECT_EQ(text(got[3]), pieces.substr(3, 2));
  EXPECT_EQ(text(got[4]), pieces.substr(5, 1024));

  // Too long to be one datagram, whatever the buffers: that is what it says.
  std::vector<char> big(70000, 'b');
  std::vector<iovec> parts(1400);
  for (std::size_t i = 0; i < parts.size(); ++i) parts[i] = {&big[i * 50], 50};
  auto r = pub.send(parts.data(), parts.size());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::message_too_long);
  EXPECT_EQ(pub.metrics().load().send_errors, 1u);
}

TEST(Delivery, AnnounceTuple) {
  auto pub = open_ok(PublicationConfig(ip("239.1.2.11"), 5014)
                         .with_source_address(ip("127.0.0.1"))
                         .with_interface(InterfaceSpec::name("lo")));
  const AnnounceTuple t = pub.announce_tuple();
  EXPECT_EQ(t.source, ip("127.0.0.1"));
  EXPECT_EQ(t.group, ip("239.1.2.11"));
  EXPECT_EQ(t.port, 5014);
}

TEST(Delivery, ExtractedSocketStillWorks) {
  const IpAddress group = ip("239.1.2.12");
  Receiver rx(group, 5015, ifindex("lo"));
  const auto config = PublicationConfig(group, 5015)
                          .with_source_address(ip("127.0.0.1"))
                          .with_source_port(6015)
                          .with_interface(InterfaceSpec::name("lo"));
  auto pub = open_ok(config);
  const PublicationId id = pub.id();
  const int fd_before = pub.fd();
  ExtractedSocket s = pub.extract();
  EXPECT_EQ(s.fd, fd_before);
  EXPECT_EQ(s.id, id);
  EXPECT_EQ(s.config, config);
  EXPECT_EQ(pub.fd(), -1);

  auto r = pub.send(bytes("after extract"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::publication_closed);
  EXPECT_TRUE(r.error().fatal());
  const BatchReport b = pub.send_batch(std::span<const OutMessage>{});
  EXPECT_EQ(b.sent, 0u);

  // The caller's socket is still connected and configured.
  const std::string payload = "raw send";
  ASSERT_EQ(::send(s.fd, payload.data(), payload.size(), 0), static_cast<ssize_t>(payload.size()));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), payload);
  EXPECT_EQ(d->from, ep("127.0.0.1:6015"));
  ::close(s.fd);
}

TEST(Delivery, MovedPublicationKeepsWorking) {
  const IpAddress group = ip("239.1.2.13");
  Receiver rx(group, 5016, ifindex("lo"));
  auto a = open_ok(PublicationConfig(group, 5016).with_interface(InterfaceSpec::name("lo")));
  const PublicationId id = a.id();
  Publication b = std::move(a);
  EXPECT_EQ(b.id(), id);
  EXPECT_EQ(a.fd(), -1);  // NOLINT(bugprone-use-after-move): moved-from is closed
  EXPECT_FALSE(a.send(bytes("x")));
  ASSERT_TRUE(b.send(bytes("moved")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "moved");
}

}  // namespace
}  // namespace mctx::test
