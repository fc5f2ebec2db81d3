// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// What raw mode refuses, inside scripts/mctx-netns --peer: every
// malformation is rejected before the kernel sees it (nothing on the wire),
// kernel errors are typed and counted, and a missing CAP_NET_RAW says what
// to do.

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

}  // namespace
}  // namespace mctx::test
