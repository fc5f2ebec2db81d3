// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The SDP builder (<mctx/sdp.hpp>): exact text for IPv4 ASM, IPv4 SSM
// (source-filter), IPv6 SSM and a SMPTE 2022-7 pair (two m= sections with
// a=mid and a=group:DUP); every rule it checks; the version helper.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "mctx/sdp.hpp"
#include "sap_test_util.hpp"

namespace {

using mctx::Errc;
using mctx::IpAddress;
using mctx::saptest::ip;
using mctx::SdpDestination;
using mctx::SdpSession;

SdpSession session(const char* group, uint16_t port, int ttl, const char* origin) {
  SdpSession s;
  s.session_id = 3913123456;
  s.session_version = 3913123457;
  s.origin = ip(origin);
  s.name = "Camera 1";
  s.media = mctx::sdp_media_mpegts_udp();
  s.destinations.push_back(SdpDestination{ip(group), port, ttl, std::nullopt, ""});
  return s;
}

std::string build(const SdpSession& s) {
  auto text = mctx::build_sdp(s);
  if (!text) throw std::runtime_error(text.error().message);
  return *text;
}

TEST(Sdp, Ipv4AnySourceMulticast) {
  EXPECT_EQ(build(session("239.1.2.3", 5004, 16, "192.0.2.1")),
            "v=0\r\n"
            "o=- 3913123456 3913123457 IN IP4 192.0.2.1\r\n"
            "s=Camera 1\r\n"
            "c=IN IP4 239.1.2.3/16\r\n"
            "t=0 0\r\n"
            "m=video 5004 udp 33\r\n");
}

TEST(Sdp, Ipv4SourceSpecificMulticast) {
  SdpSession s = session("232.1.2.3", 5004, 1, "192.0.2.1");
  s.destinations[0].source = ip("192.0.2.1");
  s.media = mctx::sdp_media_mpegts_rtp();
  EXPECT_EQ(build(s),
            "v=0\r\n"
            "o=- 3913123456 3913123457 IN IP4 192.0.2.1\r\n"
            "s=Camera 1\r\n"
            "c=IN IP4 232.1.2.3/1\r\n"
            "t=0 0\r\n"
            "a=source-filter: incl IN IP4 232.1.2.3 192.0.2.1\r\n"
            "m=video 5004 RTP/AVP 33\r\n"
            "a=rtpmap:33 MP2T/90000\r\n");
}

TEST(Sdp, Ipv6SourceSpecificMulticastHasNoTtlAndNoScope) {
  SdpSession s = session("ff3e::8000:1", 5004, 64, "fd00::1");
  s.destinations[0].source = ip("fd00::1");
  s.destinations[0].group = s.destinations[0].group.with_scope_id(7);  // never written
  EXPECT_EQ(build(s),
            "v=0\r\n"
            "o=- 3913123456 3913123457 IN IP6 fd00::1\r\n"
            "s=Camera 1\r\n"
            "c=IN IP6 ff3e::8000:1\r\n"
            "t=0 0\r\n"
            "a=source-filter: incl IN IP6 ff3e::8000:1 fd00::1\r\n"
            "m=video 5004 udp 33\r\n");
}

TEST(Sdp, Smpte2022_7PairHasMidsAndDupGroup) {
  SdpSession s = session("239.100.9.10", 50000, 32, "192.168.100.2");
  s.destinations[0].source = ip("192.168.100.2");
  s.destinations[0].mid = "primary";
  s.destinations.push_back(
      SdpDestination{ip("239.101.9.10"), 50020, 32, ip("192.168.101.2"), "secondary"});
  s.media = {"video", "RTP/AVP", {"96"}, {"rtpmap:96 H264/90000", "fmtp:96 packetization-mode=1"}};
  EXPECT_EQ(build(s),
            "v=0\r\n"
            "o=- 3913123456 3913123457 IN IP4 192.168.100.2\r\n"
            "s=Camera 1\r\n"
            "t=0 0\r\n"
            "a=group:DUP primary secondary\r\n"
            "m=video 50000 RTP/AVP 96\r\n"
            "c=IN IP4 239.100.9.10/32\r\n"
            "a=source-filter: incl IN IP4 239.100.9.10 192.168.100.2\r\n"
            "a=rtpmap:96 H264/90000\r\n"
            "a=fmtp:96 packetization-mode=1\r\n"
            "a=mid:primary\r\n"
            "m=video 50020 RTP/AVP 96\r\n"
            "c=IN IP4 239.101.9.10/32\r\n"
            "a=source-filter: incl IN IP4 239.101.9.10 192.168.101.2\r\n"
            "a=rtpmap:96 H264/90000\r\n"
            "a=fmtp:96 packetization-mode=1\r\n"
            "a=mid:secondary\r\n");
}

TEST(Sdp, MidsDefaultToPositions) {
  SdpSession s = session("239.1.1.1", 5004, 1, "192.0.2.1");
  s.destinations.push_back(SdpDestination{ip("239.1.1.2"), 5006, 1, std::nullopt, ""});
  const std::string text = build(s);
  EXPECT_NE(text.find("a=group:DUP 1 2\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=mid:1\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=mid:2\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("source-filter"), std::string::npos) << text;
}

// Each broken value gives its own error naming the value.
struct BadCase {
  const char* what;
  void (*spoil)(SdpSession&);
  Errc code;
  const char* in_message;
};

class SdpRule : public ::testing::TestWithParam<BadCase> {};

TEST_P(SdpRule, IsRefusedWithAMessageNamingTheValue) {
  SdpSession s = session("239.1.2.3", 5004, 16, "192.0.2.1");
  GetParam().spoil(s);
  auto r = mctx::build_sdp(s);
  ASSERT_FALSE(r) << GetParam().what << ": built\n" << *r;
  EXPECT_EQ(r.error().code, GetParam().code) << r.error().message;
  EXPECT_NE(r.error().message.find(GetParam().in_message), std::string::npos)
      << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Sdp, SdpRule,
    ::testing::Values(
        BadCase{"no destination", [](SdpSession& s) { s.destinations.clear(); },
                Errc::sdp_no_destination, "no destination"},
        BadCase{"empty name", [](SdpSession& s) { s.name.clear(); }, Errc::sdp_invalid_field,
                "session name ''"},
        BadCase{"CRLF in name", [](SdpSession& s) { s.name = "a\r\nm=x"; },
                Errc::sdp_invalid_field, "without CR, LF or NUL"},
        BadCase{"unspecified origin", [](SdpSession& s) { s.origin = IpAddress(); },
                Errc::sdp_invalid_field, "origin address '0.0.0.0'"},
        BadCase{"unicast group", [](SdpSession& s) { s.destinations[0].group = ip("10.0.0.1"); },
                Errc::sdp_invalid_field, "group '10.0.0.1' is not a multicast address"},
        BadCase{"port 0", [](SdpSession& s) { s.destinations[0].port = 0; },
                Errc::sdp_invalid_field, "port 0"},
        BadCase{"TTL 256", [](SdpSession& s) { s.destinations[0].ttl = 256; },
                Errc::sdp_invalid_field, "TTL 256"},
        BadCase{"source of another family",
                [](SdpSession& s) { s.destinations[0].source = ip("fd00::1"); },
                Errc::sdp_invalid_field, "source 'fd00::1' is IPv6"},
        BadCase{"multicast source",
                [](SdpSession& s) { s.destinations[0].source = ip("239.9.9.9"); },
                Errc::sdp_invalid_field, "not a unicast address"},
        BadCase{"same mid twice",
                [](SdpSession& s) {
                  s.destinations.push_back(s.destinations[0]);
                  s.destinations[0].mid = s.destinations[1].mid = "a";
                },
                Errc::sdp_invalid_field, "same mid 'a'"},
        BadCase{"mid with a space", [](SdpSession& s) { s.destinations[0].mid = "a b"; },
                Errc::sdp_invalid_field, "mid 'a b'"},
        BadCase{"media type with a space", [](SdpSession& s) { s.media.media = "vid eo"; },
                Errc::sdp_invalid_field, "media type 'vid eo'"},
        BadCase{"bad protocol", [](SdpSession& s) { s.media.protocol = "RTP//AVP"; },
                Errc::sdp_invalid_field, "protocol 'RTP//AVP'"},
        BadCase{"no format", [](SdpSession& s) { s.media.formats.clear(); },
                Errc::sdp_invalid_field, "has no format"},
        BadCase{"attribute with a=", [](SdpSession& s) { s.media.attributes = {"a=rtpmap:33 x"}; },
                Errc::sdp_invalid_field, "without the leading 'a='"},
        BadCase{"attribute with LF",
                [](SdpSession& s) { s.media.attributes = {"rtpmap:33 x\nm=audio"}; },
                Errc::sdp_invalid_field, "without CR, LF or NUL"},
        BadCase{"mid given as attribute", [](SdpSession& s) { s.media.attributes = {"mid:x"}; },
                Errc::sdp_invalid_field, "written by the builder"}));

TEST(Sdp, NextVersionChangesOnlyWithTheDescription) {
  const SdpSession a = session("239.1.2.3", 5004, 16, "192.0.2.1");
  SdpSession b = a;
  EXPECT_EQ(mctx::next_sdp_version(a, b), a.session_version);
  b.session_version = 1;  // the version alone is no change
  EXPECT_EQ(mctx::next_sdp_version(a, b), a.session_version);
  b.media = mctx::sdp_media_mpegts_rtp();
  EXPECT_EQ(mctx::next_sdp_version(a, b), a.session_version + 1);
  b = a;
  b.destinations[0].ttl = 17;
  EXPECT_EQ(mctx::next_sdp_version(a, b), a.session_version + 1);
}

TEST(Sdp, NtpSecondsCountFrom1900) {
  EXPECT_EQ(mctx::sdp_ntp_seconds(std::chrono::system_clock::time_point{}), 2208988800ULL);
  EXPECT_EQ(mctx::sdp_ntp_seconds(std::chrono::system_clock::time_point{} +
                                  std::chrono::seconds(1'000'000'000)),
            3208988800ULL);
}

TEST(Sdp, OriginLine) {
  EXPECT_EQ(mctx::sdp_origin_line(build(session("239.1.2.3", 5004, 16, "192.0.2.1"))),
            "o=- 3913123456 3913123457 IN IP4 192.0.2.1");
  EXPECT_EQ(mctx::sdp_origin_line("v=0\no=x 1 2 IN IP6 ::1\ns=y\n"), "o=x 1 2 IN IP6 ::1");
  EXPECT_EQ(mctx::sdp_origin_line("v=0\r\ns=x\r\n"), "");
}

}  // namespace
