// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The fixture of the raw send tests (test_raw_send*.cpp), inside
// scripts/mctx-netns --peer: datagrams from a foreign source to an SSM
// group, publications on mctx0, the byte-for-byte check of a captured frame
// and the syscall seams that count what reaches the kernel.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "gtest_netns.hpp"
#include "mctx/mctx.hpp"
#include "platform/platform.hpp"
#include "raw_test_util.hpp"

namespace mctx::test {

inline constexpr uint16_t kPort = 5000;
inline constexpr uint16_t kSourcePort = 4000;

inline UdpDatagramSpec spec4(const std::string& payload) {
  UdpDatagramSpec s = udp_spec(kSource4, kGroup4, payload, 5);
  s.traffic_class = 0x28;
  s.ipv4_id = 0x1234;  // non-zero: the kernel keeps it
  return s;
}

// The spec points into payload and ext: both must outlive it.
inline UdpDatagramSpec spec6(const std::string& payload, const std::vector<std::byte>& ext) {
  UdpDatagramSpec s = udp_spec(kSource6, kGroup6, payload, 7);
  s.traffic_class = 0xb8;
  s.flow_label = 0x12345;
  s.ipv6_extension_headers = ext;
  s.ipv6_first_extension = 60;  // Destination Options
  return s;
}

// pub sends d, built of spec (the fixed header's protocol `protocol`), out
// of mctx0, and the report names its family, addresses, protocol and size.
inline void expect_sent(RawPublication& pub, const std::vector<uint8_t>& d,
                        const UdpDatagramSpec& spec, uint8_t protocol) {
  auto r = pub.send(bytes(d));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->publication_id, pub.id());
  EXPECT_EQ(r->family, spec.source.is_v4() ? Family::ipv4 : Family::ipv6);
  EXPECT_EQ(r->source, spec.source);
  EXPECT_EQ(r->destination, spec.destination);
  EXPECT_EQ(r->protocol, protocol);
  EXPECT_EQ(r->bytes_sent, d.size());
  EXPECT_EQ(r->interface_index, ::if_nametoindex("mctx0"));
}

// rx, an (S,G) receiver in the peer, gets the spec's payload from its source
// and port, with its TTL and traffic class.
inline void expect_received(Receiver& rx, const UdpDatagramSpec& spec) {
  auto got = rx.receive(std::chrono::seconds(2));
  ASSERT_TRUE(got) << "the (" << spec.source.to_string() << ", " << spec.destination.to_string()
                   << ") receiver in the peer got nothing";
  EXPECT_TRUE(std::ranges::equal(std::as_bytes(std::span(got->payload)), spec.payload))
      << text(*got);
  EXPECT_EQ(got->from.address.with_scope_id(0), spec.source);
  EXPECT_EQ(got->from.port, kSourcePort);
  EXPECT_EQ(got->ttl, spec.ttl);
  EXPECT_EQ(got->tos, spec.traffic_class);
}

inline RawPublication open_pub(const RawPublicationConfig& c) {
  auto p = RawPublication::open(c);
  if (!p) throw std::runtime_error(p.error().what());
  return std::move(p).value();
}

inline RawPublicationConfig v4_on_mctx0() {
  return RawPublicationConfig(Family::ipv4).with_interface(InterfaceSpec::name("mctx0"));
}
inline RawPublicationConfig v6_on_mctx0() {
  return RawPublicationConfig(Family::ipv6).with_interface(InterfaceSpec::name("mctx0"));
}

// What each family's case of a batch test starts from: a marker (prefix,
// then "-v4" or "-v6"), the family's group, a capture in the peer and a
// publication on mctx0.
struct FamilyCase {
  FamilyCase(Family fam, const std::string& prefix)
      : marker(prefix + (fam == Family::ipv4 ? "-v4" : "-v6")),
        group(fam == Family::ipv4 ? kGroup4 : kGroup6),
        cap(peer_capture()),
        pub(open_pub(fam == Family::ipv4 ? v4_on_mctx0() : v6_on_mctx0())) {}
  std::string marker;
  IpAddress group;
  Capture cap;
  RawPublication pub;
};

// The one frame of `frames` (expects exactly one), compared with the
// datagram: Ethernet destination, EtherType and every IP byte.
inline void expect_frame(const std::vector<Frame>& frames, const std::vector<uint8_t>& datagram,
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

// Counts sendmsg calls while passing them to the kernel.
inline std::atomic<int> g_sendmsg_calls{0};
inline ssize_t counting_sendmsg(int fd, const msghdr* msg, int flags) {
  g_sendmsg_calls.fetch_add(1);
  return platform::real_syscalls().sendmsg(fd, msg, flags);
}

// Counts sendmmsg calls and their datagrams while passing them to the kernel.
inline std::atomic<int> g_sendmmsg_calls{0};
inline int counting_sendmmsg(int fd, void* msgs, unsigned int vlen, int flags) {
  g_sendmmsg_calls.fetch_add(1);
  return platform::real_syscalls().sendmmsg(fd, msgs, vlen, flags);
}

}  // namespace mctx::test
