// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw mode on the wire, inside scripts/mctx-netns --peer. Proof of delivery
// is an AF_PACKET capture on mctx1 in the peer namespace, compared byte for
// byte with the datagram handed to RawPublication, and a source-specific
// (S,G) receiver in the peer namespace.

#include <gtest/gtest.h>
#include <net/if.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mctx/mctx.hpp"
#include "platform/platform.hpp"
#include "gtest_netns.hpp"
#include "raw_test_util.hpp"

namespace mctx::test {
namespace {

const IpAddress kSource4 = ip("198.51.100.7");
const IpAddress kGroup4 = ip("232.1.2.3");
const IpAddress kSource6 = ip("2001:db8:99::7");
const IpAddress kGroup6 = ip("ff3e::8000:1234");
constexpr uint16_t kPort = 5000;
constexpr uint16_t kSourcePort = 4000;

UdpDatagramSpec spec4(const std::string& payload) {
  UdpDatagramSpec s;
  s.source = kSource4;
  s.destination = kGroup4;
  s.source_port = kSourcePort;
  s.destination_port = kPort;
  s.payload = bytes(payload);
  s.ttl = 5;
  s.traffic_class = 0x28;
  s.ipv4_id = 0x1234;  // non-zero: the kernel keeps it
  return s;
}

// The spec points into payload and ext: both must outlive it.
UdpDatagramSpec spec6(const std::string& payload, const std::vector<std::byte>& ext) {
  UdpDatagramSpec s;
  s.source = kSource6;
  s.destination = kGroup6;
  s.source_port = kSourcePort;
  s.destination_port = kPort;
  s.payload = bytes(payload);
  s.ttl = 7;
  s.traffic_class = 0xb8;
  s.flow_label = 0x12345;
  s.ipv6_extension_headers = ext;
  s.ipv6_first_extension = 60;  // Destination Options
  return s;
}

RawPublication open_pub(const RawPublicationConfig& c) {
  auto p = RawPublication::open(c);
  if (!p) throw std::runtime_error(p.error().what());
  return std::move(p).value();
}

RawPublicationConfig v4_on_mctx0() {
  return RawPublicationConfig(Family::ipv4).with_interface(InterfaceSpec::name("mctx0"));
}
RawPublicationConfig v6_on_mctx0() {
  return RawPublicationConfig(Family::ipv6).with_interface(InterfaceSpec::name("mctx0"));
}

// The one frame of `frames` (expects exactly one), compared with the
// datagram: Ethernet destination, EtherType and every IP byte.
void expect_frame(const std::vector<Frame>& frames, const std::vector<uint8_t>& datagram,
                  const IpAddress& group) {
  ASSERT_EQ(frames.size(), 1u) << "frames with the marker at the peer";
  const Frame& f = frames.front();
  ASSERT_GE(f.bytes.size(), 14u);
  EXPECT_EQ(std::vector<uint8_t>(f.bytes.begin(), f.bytes.begin() + 6), ethernet_multicast(group));
  EXPECT_EQ(f.ethertype(), group.is_v4() ? 0x0800 : 0x86dd);
  EXPECT_EQ(f.l3(), datagram) << "captured:\n"
                              << hexdump(f.l3()) << "\nsent:\n"
                              << hexdump(datagram);
}

class RawSend : public ::testing::Test {
 protected:
  void SetUp() override {
    if (peer_netns().empty()) GTEST_SKIP() << "needs scripts/mctx-netns --peer (MCTX_PEER_NETNS)";
    peer_rp_filter_off();
  }
};

// ------------------------------------------------------------------ IPv4

TEST_F(RawSend, Ipv4ForeignSourceArrivesByteForByteAndReachesSsmReceiver) {
  const std::string payload = "mctx-raw-v4-foreign";
  Capture cap = peer_capture();
  auto rx = peer_receiver(kGroup4, kPort, kSource4);
  auto pub = open_pub(v4_on_mctx0());
  const auto d = build(spec4(payload));

  auto r = pub.send(bytes(d));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->publication_id, pub.id());
  EXPECT_EQ(r->family, Family::ipv4);
  EXPECT_EQ(r->source, kSource4);
  EXPECT_EQ(r->destination, kGroup4);
  EXPECT_EQ(r->protocol, 17);
  EXPECT_EQ(r->bytes_sent, d.size());
  EXPECT_EQ(r->interface_index, ::if_nametoindex("mctx0"));

  expect_frame(cap.frames_with(payload), d, kGroup4);
  auto got = rx.receive(2s);
  ASSERT_TRUE(got) << "the (198.51.100.7, 232.1.2.3) receiver in the peer got nothing";
  EXPECT_EQ(std::string(got->payload.begin(), got->payload.end()), payload);
  EXPECT_EQ(got->from.address, kSource4);
  EXPECT_EQ(got->from.port, kSourcePort);
  EXPECT_EQ(got->ttl, 5);
  EXPECT_EQ(got->tos, 0x28);

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
  const auto d = build(spec6(payload, dstopts_padn()));

  auto r = pub.send(bytes(d));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->family, Family::ipv6);
  EXPECT_EQ(r->source, kSource6);
  EXPECT_EQ(r->destination, kGroup6);
  EXPECT_EQ(r->protocol, 60);
  EXPECT_EQ(r->bytes_sent, d.size());
  EXPECT_EQ(r->interface_index, ::if_nametoindex("mctx0"));

  expect_frame(cap.frames_with(payload), d, kGroup6);
  auto got = rx.receive(2s);
  ASSERT_TRUE(got) << "the (2001:db8:99::7, ff3e::8000:1234) receiver in the peer got nothing";
  EXPECT_EQ(std::string(got->payload.begin(), got->payload.end()), payload);
  EXPECT_EQ(got->from.address.with_scope_id(0), kSource6);
  EXPECT_EQ(got->from.port, kSourcePort);
  EXPECT_EQ(got->ttl, 7);
  EXPECT_EQ(got->tos, 0xb8);
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

// ------------------------------------------------------------------ malformations

struct Malformed {
  const char* name;
  std::vector<uint8_t> bytes;
  Errc code;
  std::string message_part;
};

std::vector<Malformed> malformations(Family fam, const std::string& marker) {
  std::vector<Malformed> out;
  if (fam == Family::ipv4) {
    const auto good = build(spec4(marker));
    auto d = good;
    d[0] = 0x55;
    out.push_back({"version 5", d, Errc::raw_bad_version, "IP version 5"});
    out.push_back({"IPv6 datagram", build(spec6(marker, {})), Errc::raw_family_mismatch,
                   "datagram is IPv6 but this raw publication sends IPv4 datagrams"});
    d = good;
    d[0] = 0x44;
    out.push_back({"IHL 4", d, Errc::raw_bad_header_length, "IPv4 header length (IHL) 16 bytes"});
    d = good;
    d.resize(19);
    out.push_back({"19 bytes", d, Errc::raw_datagram_too_short, "IPv4 datagram of 19 bytes"});
    d = good;
    d[3] = static_cast<uint8_t>(d[3] + 12);
    fix_ipv4_header_checksum(std::as_writable_bytes(std::span(d)));
    out.push_back({"total length", d, Errc::raw_bad_total_length,
                   "IPv4 total length " + std::to_string(good.size() + 12) +
                       " does not match the datagram size " + std::to_string(good.size())});
    d = good;
    d[11] ^= 0x5a;
    out.push_back({"checksum", d, Errc::raw_bad_checksum, "IPv4 header checksum"});
    auto s = spec4(marker);
    s.source = ip("0.0.0.0");
    out.push_back({"source 0.0.0.0", build(s), Errc::raw_source_unspecified,
                   "source address 0.0.0.0 of the IPv4 datagram is unspecified"});
    s = spec4(marker);
    s.destination = ip("192.0.2.2");
    out.push_back({"unicast destination", build(s), Errc::raw_destination_not_multicast,
                   "destination 192.0.2.2 of the IPv4 datagram is not a multicast address"});
    // Datagrams the kernel would refuse (EINVAL) or put on the wire as they are.
    const struct {
      const char* source;
      Errc code;
    } sources[] = {{"127.0.0.1", Errc::raw_source_loopback},
                   {"0.1.2.3", Errc::raw_source_this_network},
                   {"224.0.0.9", Errc::raw_source_multicast},
                   {"255.255.255.255", Errc::raw_source_broadcast}};
    for (const auto& src : sources) {
      s = spec4(marker);
      s.source = ip(src.source);
      out.push_back({src.source, build(s), src.code,
                     std::string("source address ") + src.source + " of the IPv4 datagram"});
    }
    s = spec4(marker);
    s.ttl = 0;
    out.push_back({"TTL 0", build(s), Errc::raw_ttl_zero, "TTL 0 of the IPv4 datagram"});
  } else {
    const std::vector<std::byte> ext = dstopts_padn();  // outlives the specs below
    const auto good = build(spec6(marker, ext));
    auto d = good;
    d[0] = 0x70 | (d[0] & 0x0f);
    out.push_back({"version 7", d, Errc::raw_bad_version, "IP version 7"});
    out.push_back({"IPv4 datagram", build(spec4(marker)), Errc::raw_family_mismatch,
                   "datagram is IPv4 but this raw publication sends IPv6 datagrams"});
    d = good;
    d.resize(39);
    out.push_back({"39 bytes", d, Errc::raw_datagram_too_short, "IPv6 datagram of 39 bytes"});
    d = good;
    d[5] = static_cast<uint8_t>(d[5] + 1);
    out.push_back({"payload length", d, Errc::raw_bad_payload_length, "IPv6 payload length"});
    d = good;
    d.push_back(0);
    out.push_back({"trailing byte", d, Errc::raw_bad_payload_length, "IPv6 payload length"});
    auto s = spec6(marker, ext);
    s.source = ip("::");
    out.push_back({"source ::", build(s), Errc::raw_source_unspecified,
                   "source address :: of the IPv6 datagram is unspecified"});
    s = spec6(marker, ext);
    s.destination = ip("fd00::2");
    out.push_back({"unicast destination", build(s), Errc::raw_destination_not_multicast,
                   "destination fd00::2 of the IPv6 datagram is not a multicast address"});
    for (const char* src : {"::1", "ff02::1"}) {
      s = spec6(marker, ext);
      s.source = ip(src);
      out.push_back({src, build(s),
                     src[0] == ':' ? Errc::raw_source_loopback : Errc::raw_source_multicast,
                     std::string("source address ") + src + " of the IPv6 datagram"});
    }
    for (const char* group : {"ff00::1", "ff01::1"}) {
      s = spec6(marker, ext);
      s.destination = ip(group);
      out.push_back({group, build(s), Errc::raw_destination_bad_scope,
                     std::string("destination ") + group + " of the IPv6 datagram has scope"});
    }
    s = spec6(marker, ext);
    s.ttl = 0;
    out.push_back({"hop limit 0", build(s), Errc::raw_ttl_zero, "hop limit 0 of the IPv6"});
  }
  return out;
}

// Counts sendmsg calls while passing them to the kernel.
std::atomic<int> g_sendmsg_calls{0};
ssize_t counting_sendmsg(int fd, const msghdr* msg, int flags) {
  g_sendmsg_calls.fetch_add(1);
  return platform::real_syscalls().sendmsg(fd, msg, flags);
}

TEST_F(RawSend, EveryMalformationIsRejectedAndNothingReachesTheWire) {
  for (Family fam : {Family::ipv4, Family::ipv6}) {
    SCOPED_TRACE(family_name(fam));
    const std::string marker = fam == Family::ipv4 ? "mctx-raw-bad-v4" : "mctx-raw-bad-v6";
    Capture cap = peer_capture();
    auto pub = open_pub(fam == Family::ipv4 ? v4_on_mctx0() : v6_on_mctx0());
    const platform::Syscalls counting{&counting_sendmsg, platform::real_syscalls().sendmmsg};
    platform::ScopedSyscalls seam(counting);
    g_sendmsg_calls = 0;

    const auto cases = malformations(fam, marker);
    for (const auto& m : cases) {
      SCOPED_TRACE(m.name);
      auto r = pub.send(bytes(m.bytes));
      ASSERT_FALSE(r);
      EXPECT_TRUE(r.error().invalid_datagram());
      EXPECT_EQ(r.error().code, m.code) << errc_name(r.error().code);
      EXPECT_EQ(r.error().datagram.code, m.code);
      EXPECT_NE(r.error().message().find(m.message_part), std::string::npos) << r.error().message();
    }
    EXPECT_EQ(g_sendmsg_calls.load(), 0) << "an invalid datagram reached the kernel";
    EXPECT_EQ(pub.invalid_datagrams(), cases.size());
    EXPECT_EQ(pub.metrics().load(), SendCounters{});
    EXPECT_TRUE(cap.frames_with(marker, 500ms).empty()) << "a rejected datagram is on the wire";

    // The capture works: a valid datagram with the same marker shows up.
    const auto good =
        fam == Family::ipv4 ? build(spec4(marker)) : build(spec6(marker, dstopts_padn()));
    ASSERT_TRUE(pub.send(bytes(good)));
    EXPECT_EQ(g_sendmsg_calls.load(), 1);
    expect_frame(cap.frames_with(marker), good, fam == Family::ipv4 ? kGroup4 : kGroup6);
    EXPECT_EQ(pub.counters().send.packets_sent, 1u);
  }
}

// ------------------------------------------------------------------ errors and privileges

TEST_F(RawSend, KernelErrorsAreTypedAndCounted) {
  auto pub = open_pub(v4_on_mctx0());
  const auto d = build(spec4("mctx-raw-seam"));
  static std::atomic<int> inject{0};
  const platform::Syscalls failing{[](int, const msghdr*, int) -> ssize_t {
                                     errno = inject.load();
                                     return -1;
                                   },
                                   platform::real_syscalls().sendmmsg};
  platform::ScopedSyscalls seam(failing);

  inject = ENOBUFS;
  auto r = pub.send(bytes(d));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::no_buffer_space);
  EXPECT_EQ(r.error().system_errno, ENOBUFS);
  EXPECT_FALSE(r.error().invalid_datagram());

  inject = EAGAIN;
  r = pub.send(bytes(d));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().would_block());

  inject = EPERM;
  r = pub.send(bytes(d));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::permission_denied);

  const SendCounters c = pub.metrics().load();
  EXPECT_EQ(c.send_errors, 1u);  // EPERM; ENOBUFS is a full queue, not an error
  EXPECT_EQ(c.queue_full, 1u);
  EXPECT_EQ(c.would_block, 1u);
  EXPECT_EQ(c.packets_sent, 0u);
}

TEST_F(RawSend, ClosedPublication) {
  auto pub = open_pub(v4_on_mctx0());
  EXPECT_GE(pub.fd(), 0);
  pub.close();
  EXPECT_EQ(pub.fd(), -1);
  auto r = pub.send(bytes(build(spec4("mctx-raw-closed"))));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::publication_closed);
  EXPECT_TRUE(r.error().fatal());
  RawPublication moved = std::move(pub);
  r = moved.send(bytes(build(spec4("mctx-raw-closed"))));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().fatal());
}

TEST_F(RawSend, WithoutCapNetRawTheErrorSaysWhatToDo) {
  DropNetRaw drop;
  ASSERT_TRUE(drop.ok());
  EXPECT_FALSE(raw_capabilities().permitted);
  for (auto config : {v4_on_mctx0(), v6_on_mctx0()}) {
    auto p = RawPublication::open(config);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, Errc::raw_not_permitted);
    EXPECT_EQ(p.error().system_errno, EPERM);
    EXPECT_EQ(p.error().message,
              "raw mode needs CAP_NET_RAW (run as root, or setcap cap_net_raw+ep on the program)");
  }
}

TEST_F(RawSend, CapabilitiesReportPermission) { EXPECT_TRUE(raw_capabilities().permitted); }

TEST_F(RawSend, Ipv6ConfigErrorsInTheNamespace) {
  auto r = RawPublication::open(
      RawPublicationConfig(Family::ipv6).with_interface(InterfaceSpec::name("lo")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::raw_unsupported_link);
  r = RawPublication::open(RawPublicationConfig(Family::ipv6));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::raw_interface_required);
  r = RawPublication::open(v6_on_mctx0().with_bind(ip("fd00::2")));  // the peer's address
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::source_not_local);
}

// ------------------------------------------------------------------ context

TEST_F(RawSend, ContextOwnsPublicationsAndKeepsTotals) {
  RawContext ctx;
  const Snapshot start = ctx.snapshot();
  auto id4 = ctx.add(v4_on_mctx0());
  ASSERT_TRUE(id4) << id4.error().what();
  auto id6 = ctx.add(v6_on_mctx0());
  ASSERT_TRUE(id6) << id6.error().what();
  EXPECT_NE(*id4, *id6);
  EXPECT_EQ(ctx.size(), 2u);

  auto dup = ctx.add(v4_on_mctx0());
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::duplicate_publication);
  EXPECT_EQ(ctx.size(), 2u);

  ASSERT_NE(ctx.get(*id4), nullptr);
  EXPECT_EQ(ctx.get(*id4)->family(), Family::ipv4);
  EXPECT_EQ(ctx.get(*id6)->family(), Family::ipv6);

  Capture cap = peer_capture();
  const auto d4 = build(spec4("mctx-raw-ctx-v4"));
  const auto d6 = build(spec6("mctx-raw-ctx-v6", dstopts_padn()));
  auto r4 = ctx.send(*id4, bytes(d4));
  ASSERT_TRUE(r4);
  EXPECT_EQ(r4->publication_id, *id4);
  auto r6 = ctx.send(*id6, bytes(d6));
  ASSERT_TRUE(r6);
  EXPECT_EQ(r6->publication_id, *id6);
  // The wrong family for a publication is an invalid datagram.
  auto wrong = ctx.send(*id4, bytes(d6));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::raw_family_mismatch);
  EXPECT_EQ(ctx.invalid_datagrams(), 1u);

  auto frames = cap.frames();
  int seen4 = 0, seen6 = 0;
  for (const auto& f : frames) {
    if (f.l3() == d4) ++seen4;
    if (f.l3() == d6) ++seen6;
  }
  EXPECT_EQ(seen4, 1);
  EXPECT_EQ(seen6, 1);

  Snapshot s = ctx.snapshot();
  EXPECT_EQ(s.active_publications, 2u);
  EXPECT_EQ(s.publications_added, 2u);
  EXPECT_EQ(s.send.packets_sent, 2u);
  EXPECT_EQ(s.send.bytes_sent, d4.size() + d6.size());
  const Delta delta = make_delta(start, s);
  EXPECT_EQ(delta.send.packets_sent, 2u);

  auto taken = ctx.take(*id4);
  ASSERT_TRUE(taken);
  EXPECT_GE(taken->fd(), 0) << "take() leaves the publication open";
  EXPECT_TRUE(taken->send(bytes(d4)));
  EXPECT_EQ(ctx.get(*id4), nullptr);
  EXPECT_TRUE(ctx.remove(*id6));
  EXPECT_FALSE(ctx.remove(*id6));
  s = ctx.snapshot();
  EXPECT_EQ(s.active_publications, 0u);
  EXPECT_EQ(s.publications_removed, 2u);
  EXPECT_EQ(s.send.packets_sent, 2u) << "totals never go down";

  // Re-adding the taken publication works; a moved-from one is refused.
  const PublicationId again = taken->id();
  auto re = ctx.add(std::move(*taken));
  ASSERT_TRUE(re);
  EXPECT_EQ(*re, again);
  RawPublication empty = std::move(*ctx.take(again));
  RawPublication moved_from = std::move(empty);
  auto bad = ctx.add(std::move(empty));  // NOLINT(bugprone-use-after-move): the point
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::publication_closed);
}

// UDP and raw publications draw their ids from one process-wide counter:
// opened one after another on this thread, the ids follow each other.
TEST_F(RawSend, IdsAreUniqueAcrossUdpAndRawPublications) {
  const auto udp_config = [](const char* group) {
    return PublicationConfig(ip(group), kPort).with_interface(InterfaceSpec::name("mctx0"));
  };
  auto udp_first = Publication::open(udp_config("239.255.0.77"));
  ASSERT_TRUE(udp_first) << udp_first.error().what();
  auto raw = open_pub(v4_on_mctx0());
  auto udp_second = Publication::open(udp_config("239.255.0.78"));
  ASSERT_TRUE(udp_second) << udp_second.error().what();
  EXPECT_NE(udp_first->id(), 0u);
  EXPECT_EQ(raw.id(), udp_first->id() + 1);
  EXPECT_EQ(udp_second->id(), raw.id() + 1);
}

// ------------------------------------------------------------------ send_batch

// Datagrams for one batch: payload "<marker>-NN", built for `fam`.
std::vector<std::vector<uint8_t>> batch_datagrams(Family fam, const std::string& marker,
                                                  std::size_t n) {
  const std::vector<std::byte> ext = dstopts_padn();
  std::vector<std::vector<uint8_t>> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string payload = marker + "-" + std::to_string(100 + i);
    out.push_back(fam == Family::ipv4 ? build(spec4(payload)) : build(spec6(payload, ext)));
  }
  return out;
}

// OutMessages over the datagrams: even ones in one buffer, odd ones in two
// (split inside the header). iovs must stay alive and unchanged.
std::vector<OutMessage> out_messages(const std::vector<std::vector<uint8_t>>& ds,
                                     std::vector<iovec>& iovs) {
  iovs.clear();
  iovs.reserve(2 * ds.size());
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    auto* p = const_cast<uint8_t*>(ds[i].data());
    const std::size_t first = iovs.size();
    if (i % 2 == 0) {
      iovs.push_back({p, ds[i].size()});
    } else {
      iovs.push_back({p, 11});
      iovs.push_back({p + 11, ds[i].size() - 11});
    }
    ranges.emplace_back(first, iovs.size() - first);
  }
  std::vector<OutMessage> msgs;
  for (const auto& [first, count] : ranges) msgs.push_back({&iovs[first], count});
  return msgs;
}

std::size_t total_size(const std::vector<std::vector<uint8_t>>& ds, std::size_t n) {
  std::size_t t = 0;
  for (std::size_t i = 0; i < n; ++i) t += ds[i].size();
  return t;
}

// The captured frames are exactly `ds`, in order, with the right Ethernet
// destination and EtherType.
void expect_frames_in_order(const std::vector<Frame>& frames,
                            const std::vector<std::vector<uint8_t>>& ds, const IpAddress& group) {
  ASSERT_EQ(frames.size(), ds.size()) << "frames with the marker at the peer";
  for (std::size_t i = 0; i < ds.size(); ++i) {
    SCOPED_TRACE("datagram " + std::to_string(i));
    const Frame& f = frames[i];
    ASSERT_GE(f.bytes.size(), 14u);
    EXPECT_EQ(std::vector<uint8_t>(f.bytes.begin(), f.bytes.begin() + 6),
              ethernet_multicast(group));
    EXPECT_EQ(f.ethertype(), group.is_v4() ? 0x0800 : 0x86dd);
    EXPECT_EQ(f.l3(), ds[i]) << "captured:\n" << hexdump(f.l3()) << "\nsent:\n" << hexdump(ds[i]);
  }
}

// Counts sendmmsg calls and their datagrams while passing them to the kernel.
std::atomic<int> g_sendmmsg_calls{0};
int counting_sendmmsg(int fd, void* msgs, unsigned int vlen, int flags) {
  g_sendmmsg_calls.fetch_add(1);
  return platform::real_syscalls().sendmmsg(fd, msgs, vlen, flags);
}

TEST_F(RawSend, BatchArrivesByteForByteInOrderInFewSystemCalls) {
  // 70 datagrams: more than one sendmmsg chunk (platform::kMaxBatch = 64).
  constexpr std::size_t kN = 70;
  for (Family fam : {Family::ipv4, Family::ipv6}) {
    SCOPED_TRACE(family_name(fam));
    const std::string marker = fam == Family::ipv4 ? "mctx-raw-batch-v4" : "mctx-raw-batch-v6";
    const IpAddress group = fam == Family::ipv4 ? kGroup4 : kGroup6;
    Capture cap = peer_capture();
    auto pub = open_pub(fam == Family::ipv4 ? v4_on_mctx0() : v6_on_mctx0());
    const auto ds = batch_datagrams(fam, marker, kN);
    std::vector<iovec> iovs;
    const auto msgs = out_messages(ds, iovs);

    const platform::Syscalls counting{&counting_sendmsg, &counting_sendmmsg};
    platform::ScopedSyscalls seam(counting);
    g_sendmsg_calls = 0;
    g_sendmmsg_calls = 0;
    RawDatagramError bad;
    const BatchReport r = pub.send_batch(msgs, &bad);
    EXPECT_FALSE(r.error) << r.error->message();
    EXPECT_EQ(r.publication_id, pub.id());
    EXPECT_EQ(r.sent, kN);
    EXPECT_EQ(r.bytes_sent, total_size(ds, kN));
    EXPECT_EQ(bad.code, Errc::ok);
    EXPECT_EQ(g_sendmsg_calls.load(), 0);
    EXPECT_EQ(g_sendmmsg_calls.load(), 2);

    expect_frames_in_order(cap.frames_with(marker), ds, group);
    const SendCounters c = pub.metrics().load();
    EXPECT_EQ(c.send_calls, 1u) << "one send_batch() is one send call";
    EXPECT_EQ(c.packets_sent, kN);
    EXPECT_EQ(c.bytes_sent, total_size(ds, kN));
    EXPECT_EQ(c.send_errors, 0u);
    EXPECT_EQ(c.would_block, 0u);
    EXPECT_EQ(pub.invalid_datagrams(), 0u);

    // An empty batch does nothing.
    const BatchReport e = pub.send_batch({});
    EXPECT_EQ(e.sent, 0u);
    EXPECT_FALSE(e.error);
    EXPECT_EQ(pub.metrics().load().send_calls, 1u);
  }
}

TEST_F(RawSend, BatchStopsAtAnInvalidDatagramBeforeItReachesTheKernel) {
  for (Family fam : {Family::ipv4, Family::ipv6}) {
    SCOPED_TRACE(family_name(fam));
    const std::string marker =
        fam == Family::ipv4 ? "mctx-raw-batch-bad-v4" : "mctx-raw-batch-bad-v6";
    const IpAddress group = fam == Family::ipv4 ? kGroup4 : kGroup6;
    Capture cap = peer_capture();
    auto pub = open_pub(fam == Family::ipv4 ? v4_on_mctx0() : v6_on_mctx0());
    auto ds = batch_datagrams(fam, marker, 6);
    // Datagram 3: IPv4 with a wrong header checksum / IPv6 with a wrong
    // payload length. It carries the marker too: it must not be captured.
    const Errc want = fam == Family::ipv4 ? Errc::raw_bad_checksum : Errc::raw_bad_payload_length;
    if (fam == Family::ipv4) {
      ds[3][11] ^= 0x5a;
    } else {
      ds[3][5] = static_cast<uint8_t>(ds[3][5] + 1);
    }
    std::vector<iovec> iovs;
    const auto msgs = out_messages(ds, iovs);

    RawDatagramError bad;
    const BatchReport r = pub.send_batch(msgs, &bad);
    EXPECT_EQ(r.sent, 3u);
    EXPECT_EQ(r.bytes_sent, total_size(ds, 3));
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code, want) << errc_name(r.error->code);
    EXPECT_EQ(r.error->system_errno, 0);
    EXPECT_TRUE(is_raw_datagram_error(r.error->code));
    EXPECT_FALSE(r.error->would_block());
    EXPECT_FALSE(r.error->fatal());
    EXPECT_EQ(bad.code, want);
    EXPECT_NE(
        bad.message().find(fam == Family::ipv4 ? "IPv4 header checksum" : "IPv6 payload length"),
        std::string::npos)
        << bad.message();

    // Only the three before it are on the wire, in order.
    expect_frames_in_order(cap.frames_with(marker, 500ms),
                           std::vector<std::vector<uint8_t>>(ds.begin(), ds.begin() + 3), group);
    EXPECT_EQ(pub.invalid_datagrams(), 1u);
    SendCounters c = pub.metrics().load();
    EXPECT_EQ(c.send_calls, 1u);
    EXPECT_EQ(c.packets_sent, 3u);
    EXPECT_EQ(c.send_errors, 0u) << "an invalid datagram is not a send error";

    // Invalid first: nothing reaches the kernel, no send call is counted;
    // without the out-parameter the code still tells what happened.
    const platform::Syscalls counting{&counting_sendmsg, &counting_sendmmsg};
    platform::ScopedSyscalls seam(counting);
    g_sendmsg_calls = 0;
    g_sendmmsg_calls = 0;
    const BatchReport first = pub.send_batch(std::span(msgs).subspan(3));
    EXPECT_EQ(first.sent, 0u);
    ASSERT_TRUE(first.error);
    EXPECT_EQ(first.error->code, want);
    EXPECT_EQ(g_sendmsg_calls.load() + g_sendmmsg_calls.load(), 0);
    EXPECT_EQ(pub.invalid_datagrams(), 2u);
    EXPECT_EQ(pub.metrics().load(), c);

    // A datagram of the other family is invalid for this publication.
    const auto other = fam == Family::ipv4 ? build(spec6(marker + "-other", dstopts_padn()))
                                           : build(spec4(marker + "-other"));
    iovec oi{const_cast<uint8_t*>(other.data()), other.size()};
    const OutMessage om[2] = {msgs[0], {&oi, 1}};
    const BatchReport mixed = pub.send_batch(om, &bad);
    EXPECT_EQ(mixed.sent, 1u);
    ASSERT_TRUE(mixed.error);
    EXPECT_EQ(mixed.error->code, Errc::raw_family_mismatch);
    EXPECT_EQ(bad.code, Errc::raw_family_mismatch);
    EXPECT_EQ(pub.invalid_datagrams(), 3u);
    EXPECT_TRUE(cap.frames_with(marker + "-other", 300ms).empty());
  }
}

// First sendmmsg call: the real one limited to g_accept datagrams; later
// calls fail with g_errno.
std::atomic<int> g_mmsg_call{0};
std::atomic<unsigned> g_accept{0};
std::atomic<int> g_errno{0};
int partial_sendmmsg(int fd, void* msgs, unsigned int vlen, int flags) {
  if (g_mmsg_call.fetch_add(1) == 0 && g_accept.load() > 0) {
    return platform::real_syscalls().sendmmsg(fd, msgs, std::min(vlen, g_accept.load()), flags);
  }
  errno = g_errno.load();
  return -1;
}

TEST_F(RawSend, BatchWouldBlockAndKernelErrorsThroughTheSeam) {
  for (Family fam : {Family::ipv4, Family::ipv6}) {
    SCOPED_TRACE(family_name(fam));
    const std::string marker =
        fam == Family::ipv4 ? "mctx-raw-batch-eagain-v4" : "mctx-raw-batch-eagain-v6";
    const IpAddress group = fam == Family::ipv4 ? kGroup4 : kGroup6;
    Capture cap = peer_capture();
    auto pub = open_pub(fam == Family::ipv4 ? v4_on_mctx0() : v6_on_mctx0());
    const auto ds = batch_datagrams(fam, marker, 7);
    std::vector<iovec> iovs;
    const auto msgs = out_messages(ds, iovs);
    BatchReport r;
    {
      const platform::Syscalls partial{platform::real_syscalls().sendmsg, &partial_sendmmsg};
      platform::ScopedSyscalls seam(partial);
      // The kernel takes 3, then the buffer is full.
      g_mmsg_call = 0;
      g_accept = 3;
      g_errno = EAGAIN;
      r = pub.send_batch(msgs);
      EXPECT_EQ(r.sent, 3u);
      EXPECT_EQ(r.bytes_sent, total_size(ds, 3));
      ASSERT_TRUE(r.error);
      EXPECT_TRUE(r.error->would_block());
      EXPECT_EQ(r.error->system_errno, EAGAIN);
      EXPECT_EQ(pub.metrics().load(), (SendCounters{1, 3, total_size(ds, 3), 0, 1}));

      // Full from the start: nothing sent, one more would-block, no call.
      g_mmsg_call = 0;
      g_accept = 0;
      const BatchReport none = pub.send_batch(std::span(msgs).subspan(r.sent));
      EXPECT_EQ(none.sent, 0u);
      ASSERT_TRUE(none.error);
      EXPECT_TRUE(none.error->would_block());
      EXPECT_EQ(pub.metrics().load(), (SendCounters{1, 3, total_size(ds, 3), 0, 2}));

      // A full local queue on the first: typed, and counted as a call that
      // met a full queue (queue_full), not as an error.
      g_mmsg_call = 0;
      g_errno = ENOBUFS;
      const BatchReport nobufs = pub.send_batch(std::span(msgs).subspan(r.sent));
      EXPECT_EQ(nobufs.sent, 0u);
      ASSERT_TRUE(nobufs.error);
      EXPECT_EQ(nobufs.error->code, Errc::no_buffer_space);
      EXPECT_EQ(nobufs.error->system_errno, ENOBUFS);
      EXPECT_FALSE(is_raw_datagram_error(nobufs.error->code));
      EXPECT_EQ(pub.metrics().load(), (SendCounters{2, 3, total_size(ds, 3), 0, 2, 1, 0}));
      EXPECT_EQ(pub.invalid_datagrams(), 0u);
    }
    // Resubmitting the rest completes the stream, in order.
    const BatchReport rest = pub.send_batch(std::span(msgs).subspan(r.sent));
    EXPECT_FALSE(rest.error);
    EXPECT_EQ(rest.sent, 4u);
    expect_frames_in_order(cap.frames_with(marker), ds, group);
    EXPECT_EQ(pub.metrics().load().packets_sent, 7u);
    EXPECT_EQ(pub.metrics().load().send_calls, 3u);
  }
}

TEST_F(RawSend, BatchOnAClosedPublication) {
  auto pub = open_pub(v4_on_mctx0());
  const auto d = build(spec4("mctx-raw-batch-closed"));
  iovec iov{const_cast<uint8_t*>(d.data()), d.size()};
  const OutMessage m{&iov, 1};
  pub.close();
  const BatchReport r = pub.send_batch(std::span(&m, 1));
  EXPECT_EQ(r.sent, 0u);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, Errc::publication_closed);
  EXPECT_TRUE(r.error->fatal());
  EXPECT_FALSE(pub.send_batch({}).error) << "an empty batch reports nothing";
}

}  // namespace
}  // namespace mctx::test
