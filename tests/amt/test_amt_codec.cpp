// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// AMT message codec (RFC 7450 §5.1): golden bytes written from the RFC's
// layouts, build/parse round trips, every parse and build error.

#include <gtest/gtest.h>

#include <array>

#include "amt_test_util.hpp"

using namespace mctx;
using namespace amt_test;

namespace {

Bytes build(const AmtMessage& m) {
  Bytes out(amt_message_size(m));
  auto n = build_amt_message(m, std::as_writable_bytes(std::span(out)));
  EXPECT_TRUE(n) << (n ? "" : n.error().message());
  if (n) {
    EXPECT_EQ(*n, out.size());
  }
  return out;
}

template <class T>
T parse_as(const Bytes& b) {
  auto r = parse_amt_message(S(b));
  EXPECT_TRUE(r) << (r ? "" : r.error().message());
  if (!r) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*r));
  return std::get<T>(*r);
}

AmtError parse_error(const Bytes& b) {
  auto r = parse_amt_message(S(b));
  EXPECT_FALSE(r);
  return r ? AmtError{} : r.error();
}

const Bytes kMac = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6};
const Bytes kNonce = {0xde, 0xad, 0xbe, 0xef};
constexpr uint64_t kMacValue = 0xa1a2a3a4a5a6ULL;
constexpr uint32_t kNonceValue = 0xdeadbeef;

}  // namespace

TEST(AmtCodec, RelayDiscoveryGolden) {
  const Bytes golden = {0x01, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
  EXPECT_EQ(build(AmtRelayDiscovery{kNonceValue}), golden);
  EXPECT_EQ(parse_as<AmtRelayDiscovery>(golden).nonce, kNonceValue);
}

TEST(AmtCodec, RelayAdvertisementGoldenBothFamilies) {
  const Bytes v4 = cat(cat({0x02, 0, 0, 0}, kNonce), {192, 0, 2, 10});
  EXPECT_EQ(build(AmtRelayAdvertisement{kNonceValue, ip("192.0.2.10")}), v4);
  auto a = parse_as<AmtRelayAdvertisement>(v4);
  EXPECT_EQ(a.nonce, kNonceValue);
  EXPECT_EQ(a.relay, ip("192.0.2.10"));

  const Bytes v6 = cat(cat({0x02, 0, 0, 0}, kNonce), addr_bytes(ip("2001:db8::10")));
  ASSERT_EQ(v6.size(), kAmtAdvertisementV6Size);
  EXPECT_EQ(build(AmtRelayAdvertisement{kNonceValue, ip("2001:db8::10")}), v6);
  EXPECT_EQ(parse_as<AmtRelayAdvertisement>(v6).relay, ip("2001:db8::10"));
}

TEST(AmtCodec, RequestGoldenPFlag) {
  // P is the last bit of the second byte (RFC 7450 §5.1.3).
  EXPECT_EQ(build(AmtRequest{kNonceValue, false}), cat({0x03, 0x00, 0, 0}, kNonce));
  EXPECT_EQ(build(AmtRequest{kNonceValue, true}), cat({0x03, 0x01, 0, 0}, kNonce));
  auto r = parse_as<AmtRequest>(cat({0x03, 0x01, 0, 0}, kNonce));
  EXPECT_TRUE(r.mld);
  EXPECT_EQ(r.nonce, kNonceValue);
  EXPECT_FALSE(parse_as<AmtRequest>(cat({0x03, 0x00, 0, 0}, kNonce)).mld);
}

TEST(AmtCodec, MembershipQueryGoldenWithAndWithoutGatewayFields) {
  const Bytes query = igmp_query();
  // L and G are the two last bits of the second byte.
  const Bytes plain = cat(cat(cat({0x04, 0x00}, kMac), kNonce), query);
  AmtMembershipQuery q;
  q.mac = kMacValue;
  q.nonce = kNonceValue;
  q.query = S(query);
  EXPECT_EQ(build(q), plain);
  auto p = parse_as<AmtMembershipQuery>(plain);
  EXPECT_FALSE(p.limited);
  EXPECT_FALSE(p.has_gateway);
  EXPECT_EQ(p.mac, kMacValue);
  EXPECT_EQ(p.nonce, kNonceValue);
  EXPECT_EQ(from_span(p.query), query);

  const Bytes gw_field = addr_bytes(ip("::ffff:198.51.100.7"));
  const Bytes with_g =
      cat(cat(cat(cat(cat({0x04, 0x03}, kMac), kNonce), query), {0x9c, 0x40}), gw_field);
  q.limited = true;
  q.has_gateway = true;
  q.gateway_port = 40000;
  q.gateway_address = ip("198.51.100.7");  // written as IPv4-mapped
  EXPECT_EQ(build(q), with_g);
  p = parse_as<AmtMembershipQuery>(with_g);
  EXPECT_TRUE(p.limited);
  EXPECT_TRUE(p.has_gateway);
  EXPECT_EQ(p.gateway_port, 40000);
  EXPECT_EQ(p.gateway_address, ip("::ffff:198.51.100.7"));
  EXPECT_EQ(amt_gateway_ip(p.gateway_address), ip("198.51.100.7"));
  EXPECT_EQ(from_span(p.query), query);

  // An MLDv2 query: its length comes from the IPv6 payload length.
  const Bytes mq = mld_query();
  const Bytes v6 = cat(cat(cat(cat(cat({0x04, 0x01}, kMac), kNonce), mq), {0x08, 0xcc}),
                       addr_bytes(ip("2001:db8::7")));
  p = parse_as<AmtMembershipQuery>(v6);
  EXPECT_EQ(from_span(p.query), mq);
  EXPECT_EQ(p.gateway_port, 0x08cc);
  EXPECT_EQ(p.gateway_address, ip("2001:db8::7"));
}

TEST(AmtCodec, MembershipUpdateMulticastDataTeardownGolden) {
  const Bytes report = {0x46, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
  const Bytes update = cat(cat(cat({0x05, 0x00}, kMac), kNonce), report);
  EXPECT_EQ(build(AmtMembershipUpdate{kMacValue, kNonceValue, S(report)}), update);
  auto u = parse_as<AmtMembershipUpdate>(update);
  EXPECT_EQ(u.mac, kMacValue);
  EXPECT_EQ(u.nonce, kNonceValue);
  EXPECT_EQ(from_span(u.report), report);

  const Bytes datagram = udp_datagram("192.0.2.99", "232.1.1.1");
  const Bytes data = cat({0x06, 0x00}, datagram);
  EXPECT_EQ(build(AmtMulticastData{S(datagram)}), data);
  EXPECT_EQ(from_span(parse_as<AmtMulticastData>(data).datagram), datagram);

  const Bytes teardown =
      cat(cat(cat(cat({0x07, 0x00}, kMac), kNonce), {0x9c, 0x40}), addr_bytes(ip("::ffff:198.51.100.7")));
  ASSERT_EQ(teardown.size(), kAmtTeardownSize);
  const AmtTeardown td{kMacValue, kNonceValue, 40000, ip("198.51.100.7")};
  EXPECT_EQ(build(td), teardown);
  auto t = parse_as<AmtTeardown>(teardown);
  EXPECT_EQ(t.mac, kMacValue);
  EXPECT_EQ(t.nonce, kNonceValue);
  EXPECT_EQ(t.gateway_port, 40000);
  EXPECT_EQ(amt_gateway_ip(t.gateway_address), ip("198.51.100.7"));
}

TEST(AmtCodec, ReservedBitsAreIgnoredOnReceipt) {
  auto d = parse_as<AmtRelayDiscovery>({0x01, 0xff, 0xff, 0xff, 0, 0, 0, 7});
  EXPECT_EQ(d.nonce, 7u);
  auto r = parse_as<AmtRequest>({0x03, 0xfe, 0xff, 0xff, 0, 0, 0, 7});
  EXPECT_FALSE(r.mld);
  const Bytes query = igmp_query();
  auto q = parse_as<AmtMembershipQuery>(cat(cat(cat({0x04, 0xfc}, kMac), kNonce), query));
  EXPECT_FALSE(q.limited);
  EXPECT_FALSE(q.has_gateway);
}

TEST(AmtCodec, MessageTypeAndNames) {
  EXPECT_EQ(amt_message_type(AmtMessage{AmtTeardown{}}), AmtType::teardown);
  EXPECT_EQ(amt_message_type(AmtMessage{AmtRelayDiscovery{}}), AmtType::relay_discovery);
  EXPECT_STREQ(amt_type_name(AmtType::membership_query), "Membership Query");
  EXPECT_STREQ(amt_errc_name(AmtErrc::bad_relay_address_length), "bad_relay_address_length");
}

TEST(AmtCodec, GatewayAddressForms) {
  EXPECT_EQ(amt_gateway_ip(ip("::ffff:10.1.2.3")), ip("10.1.2.3"));
  EXPECT_EQ(amt_gateway_ip(ip("::10.1.2.3")), ip("10.1.2.3"));  // IPv4-compatible
  EXPECT_EQ(amt_gateway_ip(ip("::1")), ip("::1"));
  EXPECT_EQ(amt_gateway_ip(ip("::")), ip("::"));
  EXPECT_EQ(amt_gateway_ip(ip("2001:db8::1")), ip("2001:db8::1"));
  EXPECT_EQ(amt_gateway_field(ip("10.1.2.3")), ip("::ffff:10.1.2.3"));
  EXPECT_EQ(amt_gateway_field(ip("2001:db8::1")), ip("2001:db8::1"));
}

TEST(AmtCodecErrors, EmptyAndVersionAndType) {
  auto e = parse_error({});
  EXPECT_EQ(e.code, AmtErrc::too_short);

  e = parse_error({0x31, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(e.code, AmtErrc::bad_version);
  EXPECT_EQ(e.value, 3u);
  EXPECT_NE(e.message().find("version 3"), std::string::npos) << e.message();

  for (uint8_t t : {0x00, 0x08, 0x0f}) {
    e = parse_error({t, 0, 0, 0, 0, 0, 0, 0});
    EXPECT_EQ(e.code, AmtErrc::unknown_type);
    EXPECT_EQ(e.value, t);
    EXPECT_NE(e.message().find("type " + std::to_string(t)), std::string::npos) << e.message();
  }
}

TEST(AmtCodecErrors, TooShortForEveryType) {
  const std::array<std::pair<uint8_t, std::size_t>, 7> fixed = {{{1, kAmtDiscoverySize},
                                                                 {2, kAmtAdvertisementV4Size},
                                                                 {3, kAmtRequestSize},
                                                                 {4, kAmtQueryHeaderSize},
                                                                 {5, kAmtUpdateHeaderSize},
                                                                 {6, kAmtDataHeaderSize},
                                                                 {7, kAmtTeardownSize}}};
  for (auto [type, min] : fixed) {
    if (min < 2) continue;
    Bytes b(min - 1, 0);
    b[0] = type;
    auto e = parse_error(b);
    EXPECT_EQ(e.code, AmtErrc::too_short) << int(type);
    EXPECT_EQ(e.value, min - 1);
    EXPECT_EQ(e.expected, min);
    EXPECT_EQ(e.type, type);
    EXPECT_NE(e.message().find("at least " + std::to_string(min)), std::string::npos)
        << e.message();
  }
}

TEST(AmtCodecErrors, FixedSizeMessagesWithExtraBytes) {
  for (auto [type, size] : {std::pair<uint8_t, std::size_t>{1, 8}, {3, 8}, {7, 30}}) {
    Bytes b(size + 1, 0);
    b[0] = type;
    auto e = parse_error(b);
    EXPECT_EQ(e.code, AmtErrc::bad_length) << int(type);
    EXPECT_EQ(e.value, size + 1);
    EXPECT_EQ(e.expected, size);
    EXPECT_NE(e.message().find("exactly " + std::to_string(size)), std::string::npos);
  }
}

TEST(AmtCodecErrors, AdvertisementRelayAddressLength) {
  for (std::size_t addr : {5u, 8u, 15u, 17u}) {
    Bytes b(8 + addr, 0);
    b[0] = 0x02;
    auto e = parse_error(b);
    EXPECT_EQ(e.code, AmtErrc::bad_relay_address_length);
    EXPECT_EQ(e.value, addr);
    EXPECT_NE(e.message().find("Relay Address field of " + std::to_string(addr)),
              std::string::npos)
        << e.message();
  }
}

TEST(AmtCodecErrors, EmptyEncapsulatedDatagram) {
  EXPECT_EQ(parse_error({0x06, 0x00}).code, AmtErrc::empty_datagram);
  EXPECT_EQ(parse_error(cat(cat({0x05, 0}, kMac), kNonce)).code, AmtErrc::empty_datagram);
  EXPECT_EQ(parse_error(cat(cat({0x04, 0}, kMac), kNonce)).code, AmtErrc::empty_datagram);
}

TEST(AmtCodecErrors, QueryDatagramLengths) {
  const Bytes head = cat(cat({0x04, 0x00}, kMac), kNonce);
  const Bytes head_g = cat(cat({0x04, 0x01}, kMac), kNonce);
  const Bytes query = igmp_query();

  auto e = parse_error(cat(head, {0x50, 0, 0, 0}));
  EXPECT_EQ(e.code, AmtErrc::inner_bad_version);
  EXPECT_EQ(e.value, 5u);

  e = parse_error(cat(head, Bytes(query.begin(), query.begin() + 10)));
  EXPECT_EQ(e.code, AmtErrc::inner_bad_length);
  EXPECT_EQ(e.value, 10u);
  EXPECT_EQ(e.expected, 20u);

  // G set but the gateway fields missing: the datagram's length leaves no
  // room for them.
  e = parse_error(cat(head_g, query));
  EXPECT_EQ(e.code, AmtErrc::inner_bad_length);
  EXPECT_EQ(e.value, query.size());
  EXPECT_NE(e.message().find("says " + std::to_string(query.size()) + " bytes"),
            std::string::npos)
      << e.message();

  // G clear but bytes after the datagram.
  e = parse_error(cat(head, cat(query, {1, 2})));
  EXPECT_EQ(e.code, AmtErrc::inner_bad_length);
  EXPECT_EQ(e.expected, query.size() + 2);

  // An IPv6 query whose payload length overruns the message.
  Bytes mq = mld_query();
  put16(mq, 4, static_cast<uint16_t>(get16(mq, 4) + 4));
  e = parse_error(cat(head, mq));
  EXPECT_EQ(e.code, AmtErrc::inner_bad_length);
}

TEST(AmtCodecErrors, BuildErrors) {
  std::array<std::byte, 7> small{};
  auto r = build_amt_message(AmtRelayDiscovery{1}, small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, AmtErrc::buffer_too_small);
  EXPECT_EQ(r.error().value, 7u);
  EXPECT_EQ(r.error().expected, 8u);
  EXPECT_NE(r.error().message().find("7 bytes is too small for the 8-byte"), std::string::npos)
      << r.error().message();

  std::array<std::byte, 64> buf{};
  r = build_amt_message(AmtTeardown{kAmtMacMask + 1, 1, 1, ip("::1")}, buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, AmtErrc::mac_too_large);
  EXPECT_NE(r.error().message().find("48 bits"), std::string::npos);

  r = build_amt_message(AmtMulticastData{}, buf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, AmtErrc::empty_datagram);

  std::vector<std::byte> huge(kRawMaxDatagramSize + 1);
  std::vector<std::byte> out(huge.size() + 2);
  r = build_amt_message(AmtMulticastData{huge}, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, AmtErrc::datagram_too_large);
}

TEST(AmtCodec, BuildInPlaceBehindTheHeader) {
  // The gateway writes the report behind the header and builds around it.
  Bytes buf(12 + 4, 0);
  buf[12] = 0x46;
  buf[13] = 1;
  buf[14] = 2;
  buf[15] = 3;
  auto out = std::as_writable_bytes(std::span(buf));
  auto n = build_amt_message(AmtMembershipUpdate{kMacValue, 9, out.subspan(12)}, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(buf, cat(cat({0x05, 0}, kMac), {0, 0, 0, 9, 0x46, 1, 2, 3}));
}
