// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// SAP packets (<mctx/sap.hpp>): exact bytes of an IPv4 announcement and an
// IPv6 deletion, the parser (round trip, SAPv1 without payload type, broken
// packets), the hash, the size limit, and the SAP address of every scope.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mctx/sap.hpp"
#include "sap_test_util.hpp"

namespace {

using mctx::Errc;
using mctx::IpAddress;
using mctx::saptest::ip;
using mctx::SapMessageType;
using mctx::SapPacket;

std::vector<std::byte> bytes(std::initializer_list<int> values, std::string_view tail = {}) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  for (char c : tail) out.push_back(static_cast<std::byte>(c));
  return out;
}

const std::string kSdp =
    "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=x\r\nc=IN IP4 239.1.2.3/1\r\nt=0 0\r\n"
    "m=video 5004 udp 33\r\n";

TEST(SapPacket, Ipv4AnnouncementBytes) {
  SapPacket p;
  p.hash = 0xbeef;
  p.origin = ip("192.0.2.1");
  p.payload = kSdp;
  auto b = mctx::build_sap_packet(p);
  ASSERT_TRUE(b) << b.error().message;
  const auto want = bytes({0x20, 0x00, 0xbe, 0xef, 192, 0, 2, 1},
                          std::string("application/sdp") + '\0' + kSdp);
  EXPECT_EQ(*b, want);
  EXPECT_EQ(mctx::sap_packet_size(p), want.size());
}

TEST(SapPacket, Ipv6DeletionBytesAndRoundTrip) {
  SapPacket p;
  p.type = SapMessageType::deletion;
  p.hash = 0x0102;
  p.origin = ip("fd00::1");
  p.payload = "o=- 1 2 IN IP6 fd00::1\r\n";
  auto b = mctx::build_sap_packet(p);
  ASSERT_TRUE(b) << b.error().message;
  const auto want = bytes({0x34, 0x00, 0x01, 0x02, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                          std::string("application/sdp") + '\0' + "o=- 1 2 IN IP6 fd00::1\r\n");
  EXPECT_EQ(*b, want);

  auto back = mctx::parse_sap_packet(*b);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->type, SapMessageType::deletion);
  EXPECT_EQ(back->hash, 0x0102);
  EXPECT_EQ(back->origin, ip("fd00::1"));
  EXPECT_EQ(back->payload_type, "application/sdp");
  EXPECT_EQ(back->payload, "o=- 1 2 IN IP6 fd00::1\r\n");
  EXPECT_FALSE(back->encrypted);
  EXPECT_FALSE(back->compressed);
  EXPECT_EQ(back->auth_words, 0);
}

TEST(SapPacket, ParsesSapV1WithoutPayloadTypeAndSkipsAuthentication) {
  const auto p = bytes({0x20, 0x01, 0x12, 0x34, 10, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd}, kSdp);
  auto r = mctx::parse_sap_packet(p);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->auth_words, 1);
  EXPECT_EQ(r->payload_type, "");
  EXPECT_EQ(r->payload, kSdp);
  EXPECT_EQ(r->origin, ip("10.0.0.1"));
}

TEST(SapPacket, ParserRefusesBrokenPackets) {
  struct Case {
    std::vector<std::byte> packet;
    const char* in_message;
  };
  const Case cases[] = {
      {bytes({0x20, 0, 1, 1, 10, 0, 0}), "shorter than its header"},
      {bytes({0x40, 0, 1, 1, 10, 0, 0, 1}, "application/sdp"), "SAP version 2"},
      {bytes({0x30, 0, 1, 1, 0xfd, 0, 0, 0}), "ends in its IPv6 source"},
      {bytes({0x20, 5, 1, 1, 10, 0, 0, 1, 0}), "authentication data runs past the end"},
      {bytes({0x20, 0, 1, 1, 10, 0, 0, 1}, "application/sdp"), "no terminating NUL"},
  };
  for (const Case& c : cases) {
    auto r = mctx::parse_sap_packet(c.packet);
    ASSERT_FALSE(r) << c.in_message;
    EXPECT_EQ(r.error().code, Errc::sap_invalid_packet);
    EXPECT_NE(r.error().message.find(c.in_message), std::string::npos) << r.error().message;
  }
}

TEST(SapPacket, WriterRefusesWhatListenersDiscard) {
  SapPacket p;
  p.hash = 1;
  p.origin = ip("192.0.2.1");
  p.payload = kSdp;
  SapPacket bad = p;
  bad.hash = 0;
  EXPECT_EQ(mctx::build_sap_packet(bad).error().code, Errc::sap_invalid_packet);
  bad = p;
  bad.origin = IpAddress();
  EXPECT_EQ(mctx::build_sap_packet(bad).error().code, Errc::sap_invalid_packet);
  bad = p;
  bad.payload = "";
  EXPECT_EQ(mctx::build_sap_packet(bad).error().code, Errc::sap_invalid_packet);

  const std::string big(mctx::kSapMaxPacketSize, 'x');
  bad = p;
  bad.payload = big;
  auto r = mctx::build_sap_packet(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::sap_too_large);
  EXPECT_NE(r.error().message.find("above the limit of 1452 bytes"), std::string::npos)
      << r.error().message;
  // Exactly at the limit is fine.
  bad.payload = std::string_view(big).substr(0, mctx::kSapMaxPacketSize - 8 - 16);
  EXPECT_TRUE(mctx::build_sap_packet(bad));

  std::vector<std::byte> small(20);
  auto w = mctx::write_sap_packet(p, small);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::sap_buffer_too_small);
}

TEST(SapPacket, HashIsDeterministicNonZeroAndFollowsTheVersion) {
  const std::string v2 = "v=0\r\no=- 1 3 IN IP4 192.0.2.1\r\n";
  EXPECT_EQ(mctx::sap_hash(kSdp), mctx::sap_hash(std::string(kSdp)));
  EXPECT_NE(mctx::sap_hash(kSdp), mctx::sap_hash(v2));
  EXPECT_NE(mctx::sap_hash(""), 0);
  for (int i = 0; i < 5000; ++i) EXPECT_NE(mctx::sap_hash(std::to_string(i)), 0);
}

TEST(SapAddress, PerScope) {
  struct Case {
    const char* group;
    const char* sap;
  };
  const Case cases[] = {
      {"225.1.2.3", "224.2.127.254"},      // global
      {"232.1.2.3", "224.2.127.254"},      // SSM
      {"233.252.0.1", "224.2.127.254"},    // GLOP
      {"224.0.1.20", "224.2.127.254"},     // internetwork control: global
      {"224.0.0.100", "224.0.0.255"},      // link-local
      {"239.255.1.2", "239.255.255.255"},  // IPv4 local scope
      {"239.253.0.1", "239.255.255.255"},  // local scope expansion 239.252/14
      {"239.192.0.1", "239.195.255.255"},  // organization-local 239.192/14
      {"239.195.255.254", "239.195.255.255"},
      {"239.1.2.3", "239.195.255.255"},    // expansion 239.0/10
      {"239.200.1.1", "239.195.255.255"},  // rest of 239/8
      {"ff3e::8000:1", "ff0e::2:7ffe"},    // IPv6 SSM, global
      {"ff1e::1", "ff0e::2:7ffe"},
      {"ff15::1", "ff05::2:7ffe"},         // site-local
      {"ff38::1", "ff08::2:7ffe"},         // organization-local
      {"ff04::1", "ff04::2:7ffe"},         // admin-local
      {"ff01::1", "ff01::2:7ffe"},         // interface-local
  };
  for (const Case& c : cases) {
    auto a = mctx::sap_address_for(ip(c.group));
    ASSERT_TRUE(a) << c.group << ": " << a.error().message;
    EXPECT_EQ(*a, ip(c.sap)) << c.group;
  }
  // A link-local group keeps its scope ID: the SAP address is on the same link.
  auto link = mctx::sap_address_for(ip("ff02::1234").with_scope_id(3));
  ASSERT_TRUE(link);
  EXPECT_EQ(*link, ip("ff02::2:7ffe").with_scope_id(3));
}

TEST(SapAddress, ReservedScopesAndUnicastHaveNone) {
  auto r0 = mctx::sap_address_for(ip("ff00::1"));
  ASSERT_FALSE(r0);
  EXPECT_EQ(r0.error().code, Errc::sap_no_address);
  EXPECT_NE(r0.error().message.find("'ff00::1' has the reserved IPv6 scope 0"), std::string::npos)
      << r0.error().message;
  auto rf = mctx::sap_address_for(ip("ff3f::1"));
  ASSERT_FALSE(rf);
  EXPECT_EQ(rf.error().code, Errc::sap_no_address);
  auto u = mctx::sap_address_for(ip("192.0.2.1"));
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, Errc::group_not_multicast);
}

TEST(SapErrors, HaveNames) {
  EXPECT_STREQ(mctx::errc_name(Errc::sdp_invalid_field), "sdp_invalid_field");
  EXPECT_STREQ(mctx::errc_name(Errc::sdp_no_destination), "sdp_no_destination");
  EXPECT_STREQ(mctx::errc_name(Errc::sap_no_address), "sap_no_address");
  EXPECT_STREQ(mctx::errc_name(Errc::sap_invalid_packet), "sap_invalid_packet");
  EXPECT_STREQ(mctx::errc_name(Errc::sap_too_large), "sap_too_large");
  EXPECT_STREQ(mctx::errc_name(Errc::sap_buffer_too_small), "sap_buffer_too_small");
  EXPECT_STREQ(mctx::errc_name(Errc::sap_no_description), "sap_no_description");
  EXPECT_STREQ(mctx::errc_name(Errc::sap_invalid_config), "sap_invalid_config");
  EXPECT_EQ(mctx::make_error_code(Errc::sap_too_large).message(), "SAP packet too large");
}

}  // namespace
