// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// SapAnnouncer with real receivers joined on the SAP address, inside
// scripts/mctx-netns --veth: the announcement's header, originating source,
// hash, payload type and SDP; the interval; the deletion; a changed
// description (deletion of the old one, then the new one); the stream's
// interface, source address and TTL / hop limit; IPv4 on lo and on the
// veth interface mctx0, IPv6 to ff0e::2:7ffe over the veth pair (sent on
// mctx0, received on mctx1).

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "mctx/mctx.hpp"
#include "sap_test_util.hpp"
#include "support/gtest_netns.hpp"
#include "support/receiver.hpp"

namespace {

using namespace std::chrono_literals;
using mctx::Errc;
using mctx::IpAddress;
using mctx::saptest::ip;
using mctx::SapAnnouncer;
using mctx::SapMessageType;
using mctx::test::Datagram;
using mctx::test::Receiver;

struct Path {
  const char* name;
  const char* group;        // the stream's group
  const char* ifname;       // the stream's interface
  const char* source;       // the stream's source address, nullptr = none
  const char* rx_ifname;    // where the receiver joins
  bool loopback;
  const char* sap_address;  // expected SAP address
  const char* origin;       // expected originating source
  int ttl;
};

const Path kPaths[] = {
    {"ipv4_lo", "239.255.1.2", "lo", nullptr, "lo", true, "239.255.255.255", "127.0.0.1", 3},
    // IPv4 drops a datagram that arrives with a local source address, so on
    // one host the receiver joins on the sending interface (loopback on).
    {"ipv4_veth_source", "232.1.2.3", "mctx0", "192.0.2.1", "mctx0", true, "224.2.127.254",
     "192.0.2.1", 7},
    {"ipv6_veth", "ff3e::8000:1", "mctx0", "fd00::1", "mctx1", false, "ff0e::2:7ffe", "fd00::1",
     9},
};

mctx::SapPacket parse(const Datagram& d) {
  auto p = mctx::parse_sap_packet(std::as_bytes(std::span(d.payload)));
  if (!p) throw std::runtime_error("not a SAP packet: " + p.error().message);
  return *p;
}

class Announcer : public ::testing::TestWithParam<Path> {
 protected:
  mctx::SapAnnouncerConfig config(std::chrono::milliseconds interval) const {
    const Path& p = GetParam();
    mctx::SapAnnouncerConfig c;
    c.stream = mctx::PublicationConfig(ip(p.group), 5004);
    c.stream.with_interface(mctx::InterfaceSpec::name(p.ifname))
        .with_loopback(p.loopback)
        .with_ttl(p.ttl);
    if (p.source) c.stream.with_source_address(ip(p.source));
    c.interval = interval;
    return c;
  }
  SapAnnouncer open(std::chrono::milliseconds interval) const {
    auto a = SapAnnouncer::open(config(interval));
    if (!a) throw std::runtime_error("SapAnnouncer::open: " + a.error().what());
    return std::move(*a);
  }
  Receiver receiver() const {
    const Path& p = GetParam();
    return Receiver(ip(p.sap_address), mctx::kSapPort, mctx::test::ifindex(p.rx_ifname));
  }
  std::string sdp_text(uint64_t version) const {
    const Path& p = GetParam();
    mctx::SdpSession s;
    s.session_id = 42;
    s.session_version = version;
    s.origin = ip(p.origin);
    s.name = "mctx test";
    s.media = mctx::sdp_media_mpegts_udp();
    s.destinations.push_back({ip(p.group), 5004, p.ttl, std::nullopt, ""});
    auto t = mctx::build_sdp(s);
    if (!t) throw std::runtime_error(t.error().message);
    return *t;
  }
  // Polls the announcer until the receiver has `count` datagrams or `limit`.
  std::vector<std::pair<Datagram, SapAnnouncer::clock::time_point>> run(
      SapAnnouncer& a, Receiver& rx, std::size_t count, std::chrono::milliseconds limit) {
    std::vector<std::pair<Datagram, SapAnnouncer::clock::time_point>> got;
    const auto end = SapAnnouncer::clock::now() + limit;
    while (got.size() < count && SapAnnouncer::clock::now() < end) {
      const auto deadline = a.poll();
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::min(deadline, end) - SapAnnouncer::clock::now());
      if (auto d = rx.receive(std::max(wait, 1ms))) got.emplace_back(*d, SapAnnouncer::clock::now());
    }
    return got;
  }
};

TEST_P(Announcer, AnnouncesAtTheIntervalThenDeletes) {
  const Path& p = GetParam();
  Receiver rx = receiver();
  SapAnnouncer a = open(150ms);
  EXPECT_EQ(a.origin(), ip(p.origin));
  EXPECT_EQ(a.publication().destination().address.with_scope_id(0), ip(p.sap_address));
  EXPECT_EQ(a.publication().destination().port, 9875);
  EXPECT_EQ(a.next_deadline(), SapAnnouncer::clock::time_point::max());

  const std::string sdp = sdp_text(1);
  ASSERT_TRUE(a.set_description(sdp));
  EXPECT_LE(a.next_deadline(), SapAnnouncer::clock::now());  // the first is due at once

  const auto got = run(a, rx, 4, 3s);
  ASSERT_EQ(got.size(), 4u);
  for (const auto& [d, at] : got) {
    const mctx::SapPacket s = parse(d);
    EXPECT_EQ(s.type, SapMessageType::announcement);
    EXPECT_EQ(s.hash, mctx::sap_hash(sdp));
    EXPECT_EQ(s.hash, a.stats().hash);
    EXPECT_EQ(s.origin, ip(p.origin));
    EXPECT_EQ(s.payload_type, "application/sdp");
    EXPECT_EQ(s.payload, sdp);
    EXPECT_EQ(s.auth_words, 0);
    EXPECT_EQ(d.from.address.with_scope_id(0), ip(p.origin)) << "sent from the stream's source";
    EXPECT_EQ(d.destination.with_scope_id(0), ip(p.sap_address));
    EXPECT_EQ(d.ttl, p.ttl) << "the stream's TTL / hop limit";
    // The packet on the wire is the one the announcer built.
    EXPECT_EQ(std::as_bytes(std::span(d.payload)).size(), a.packet().size());
  }
  // At the interval: 150 ms apart, with scheduling slack.
  for (std::size_t i = 1; i < got.size(); ++i) {
    const auto gap = got[i].second - got[i - 1].second;
    EXPECT_GE(gap, 120ms) << "announcement " << i;
    EXPECT_LE(gap, 1000ms) << "announcement " << i;  // generous: shared CI machines
  }
  EXPECT_EQ(a.stats().announcements, 4u);
  EXPECT_EQ(a.stats().send_failures, 0u);

  ASSERT_TRUE(a.delete_session());
  auto del = rx.receive(1s);
  ASSERT_TRUE(del) << "no deletion";
  const mctx::SapPacket s = parse(*del);
  EXPECT_EQ(s.type, SapMessageType::deletion);
  EXPECT_EQ(s.hash, mctx::sap_hash(sdp));
  EXPECT_EQ(s.origin, ip(p.origin));
  EXPECT_EQ(s.payload, std::string(mctx::sdp_origin_line(sdp)) + "\r\n");
  EXPECT_EQ(a.stats().deletions, 1u);
  EXPECT_EQ(a.next_deadline(), SapAnnouncer::clock::time_point::max());
  // Nothing more after the deletion.
  a.poll();
  EXPECT_FALSE(rx.receive(400ms)) << "announced after delete_session()";
  EXPECT_TRUE(a.delete_session()) << "a second deletion sends nothing";
  EXPECT_EQ(a.stats().deletions, 1u);
}

TEST_P(Announcer, ChangedDescriptionDeletesTheOldVersionFirst) {
  Receiver rx = receiver();
  SapAnnouncer a = open(10s);
  const std::string v1 = sdp_text(1), v2 = sdp_text(2);
  ASSERT_TRUE(a.set_description(v1));
  ASSERT_TRUE(a.announce_now());
  ASSERT_TRUE(a.set_description(v1)) << "the same text again";
  a.poll();  // not due: the interval is 10 s
  ASSERT_TRUE(a.set_description(v2));
  a.poll();  // the new one is due at once
  const auto got = rx.receive_n(3, 500ms);
  ASSERT_EQ(got.size(), 3u);
  const mctx::SapPacket first = parse(got[0]), deletion = parse(got[1]), second = parse(got[2]);
  EXPECT_EQ(first.type, SapMessageType::announcement);
  EXPECT_EQ(first.payload, v1);
  EXPECT_EQ(deletion.type, SapMessageType::deletion);
  EXPECT_EQ(deletion.hash, first.hash);
  EXPECT_EQ(deletion.payload, std::string(mctx::sdp_origin_line(v1)) + "\r\n");
  EXPECT_EQ(second.type, SapMessageType::announcement);
  EXPECT_EQ(second.payload, v2);
  EXPECT_NE(second.hash, first.hash) << "a new version has a new hash";
  EXPECT_EQ(a.stats().announcements, 2u);
  EXPECT_EQ(a.stats().deletions, 1u);
}

INSTANTIATE_TEST_SUITE_P(Sap, Announcer, ::testing::ValuesIn(kPaths),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(AnnouncerSetup, RefusesBadSettingsWithAMessage) {
  mctx::SapAnnouncerConfig c;
  c.stream = mctx::PublicationConfig(ip("239.1.2.3"), 5004);
  c.stream.with_interface(mctx::InterfaceSpec::name("lo"));
  c.interval = 0ms;
  auto r = SapAnnouncer::open(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::sap_invalid_config);
  EXPECT_NE(r.error().message.find("SAP interval 0 ms"), std::string::npos) << r.error().message;

  c.interval = 1s;
  c.address = ip("ff0e::2:7ffe");
  r = SapAnnouncer::open(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::sap_invalid_config);
  EXPECT_NE(r.error().message.find("is IPv6 but the stream's group '239.1.2.3' is IPv4"),
            std::string::npos)
      << r.error().message;

  c.address.reset();
  c.stream.with_interface(mctx::InterfaceSpec::name("no-such-if0"));
  r = SapAnnouncer::open(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::interface_not_found);
  EXPECT_NE(r.error().message.find("SAP announcements to 239.195.255.255:9875"), std::string::npos)
      << r.error().message;
}

TEST(AnnouncerSetup, ExplicitAddressAndNoDescription) {
  mctx::SapAnnouncerConfig c;
  c.stream = mctx::PublicationConfig(ip("239.1.2.3"), 5004);
  c.stream.with_interface(mctx::InterfaceSpec::name("lo"));
  c.address = ip("239.16.33.255");  // a site's own zone 239.16.32.0/23
  auto a = SapAnnouncer::open(c);
  ASSERT_TRUE(a) << a.error().what();
  EXPECT_EQ(a->publication().destination().address, ip("239.16.33.255"));
  auto r = a->announce_now();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::sap_no_description);
  EXPECT_TRUE(a->delete_session()) << "nothing announced, nothing to delete";
  EXPECT_EQ(a->stats().deletions, 0u);

  auto too_big = a->set_description(std::string(2000, 'x'));
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, Errc::sap_too_large);
  auto no_origin = a->set_description("v=0\r\ns=x\r\n");
  ASSERT_FALSE(no_origin);
  EXPECT_EQ(no_origin.error().code, Errc::sap_invalid_packet);
  EXPECT_NE(no_origin.error().message.find("hold an o= line"), std::string::npos)
      << no_origin.error().message;
  EXPECT_EQ(a->next_deadline(), SapAnnouncer::clock::time_point::max());
}

TEST(SdpFromPublication, SourceFilterForAConfiguredSourceOrAnSsmGroup) {
  auto open = [](const char* group, const char* source) {
    mctx::PublicationConfig c(ip(group), 5004);
    c.with_interface(mctx::InterfaceSpec::name("mctx0")).with_ttl(4);
    if (source) c.with_source_address(ip(source));
    auto p = mctx::Publication::open(c);
    if (!p) throw std::runtime_error(p.error().what());
    return std::move(*p);
  };
  const auto asm_plain = mctx::SdpDestination::from(open("239.1.2.3", nullptr));
  EXPECT_EQ(asm_plain.group, ip("239.1.2.3"));
  EXPECT_EQ(asm_plain.port, 5004);
  EXPECT_EQ(asm_plain.ttl, 4);
  EXPECT_FALSE(asm_plain.source) << "ASM without a configured source: no filter";
  EXPECT_EQ(mctx::SdpDestination::from(open("239.1.2.3", "192.0.2.1")).source, ip("192.0.2.1"));
  EXPECT_EQ(mctx::SdpDestination::from(open("232.1.2.3", nullptr)).source, ip("192.0.2.1"))
      << "SSM: the address the socket sends from";
  EXPECT_EQ(mctx::SdpDestination::from(open("ff3e::1", nullptr)).source, ip("fd00::1"));
}

}  // namespace

int main(int argc, char** argv) {
  return mctx::test::run_tests_in_private_netns(
      argc, argv, {.required_env = {"MCTX_VETH"}, .how_to_run = "scripts/mctx-netns --veth"},
      "these tests send SAP announcements");
}
