// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>

#include "mctx/address.hpp"

namespace mctx {
namespace {

IpAddress ip(const char* text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a) << text << ": " << (a ? "" : a.error().message);
  return a ? *a : IpAddress{};
}

TEST(IpAddress, ParsesIpv4) {
  auto a = IpAddress::parse("239.1.2.3");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->family(), Family::ipv4);
  EXPECT_EQ(a->to_string(), "239.1.2.3");
  EXPECT_EQ(a->bytes()[0], 239);
  EXPECT_EQ(a->bytes()[3], 3);
  EXPECT_EQ(*a, IpAddress::v4(0xef010203u));
  EXPECT_EQ(ntohl(a->to_in_addr().s_addr), 0xef010203u);
}

TEST(IpAddress, ParsesIpv6WithAndWithoutBrackets) {
  auto a = IpAddress::parse("ff3e::1");
  auto b = IpAddress::parse("[ff3e::1]");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_TRUE(a->is_v6());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->to_string(), "ff3e::1");
  EXPECT_EQ(a->scope_id(), 0u);
  EXPECT_EQ(ip("FF3E:0:0::0001").to_string(), "ff3e::1");
}

TEST(IpAddress, ParsesNumericAndNamedScopes) {
  auto a = IpAddress::parse("fe80::1%7");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->scope_id(), 7u);
  EXPECT_EQ(a->to_string(), "fe80::1%7");
  auto b = IpAddress::parse("[fe80::1%lo]");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scope_id(), if_nametoindex("lo"));
  EXPECT_EQ(b->with_scope_id(0).to_string(), "fe80::1");
}

TEST(IpAddress, RejectsBadText) {
  for (const char* text : {"", "239.1.2", "239.1.2.256", "hello", "ff3e::1::2", "1.2.3.4%1",
                           "[1.2.3.4]", "fe80::1%", "fe80::1%99999999999", "[ff3e::1"}) {
    auto a = IpAddress::parse(text);
    EXPECT_FALSE(a) << text;
    if (!a) {
      EXPECT_EQ(a.error().code, Errc::invalid_address) << text;
    }
  }
  auto a = IpAddress::parse("hello");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().message, "'hello' is not an IPv4 or IPv6 address");
  auto v4scope = IpAddress::parse("10.0.0.1%3");
  ASSERT_FALSE(v4scope);
  EXPECT_EQ(v4scope.error().message, "address '10.0.0.1%3' is IPv4 and cannot carry a scope ('%...')");
}

TEST(IpAddress, UnknownScopeNameIsInterfaceNotFound) {
  auto a = IpAddress::parse("fe80::1%nosuch0");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, Errc::interface_not_found);
  EXPECT_EQ(a.error().message,
            "scope 'nosuch0' of address 'fe80::1%nosuch0': interface 'nosuch0' does not exist");
}

TEST(IpAddress, Classification) {
  EXPECT_TRUE(IpAddress{}.is_unspecified());
  EXPECT_TRUE(IpAddress::any(Family::ipv6).is_unspecified());
  EXPECT_TRUE(IpAddress::any(Family::ipv6).is_v6());
  EXPECT_TRUE(ip("224.0.0.1").is_multicast());
  EXPECT_TRUE(ip("239.255.255.255").is_multicast());
  EXPECT_FALSE(ip("240.0.0.1").is_multicast());
  EXPECT_FALSE(ip("223.255.255.255").is_multicast());
  EXPECT_TRUE(ip("ff02::1").is_multicast());
  EXPECT_FALSE(ip("fe80::1").is_multicast());
  EXPECT_TRUE(ip("127.0.0.5").is_loopback());
  EXPECT_TRUE(ip("::1").is_loopback());
  EXPECT_FALSE(ip("::2").is_loopback());
  EXPECT_TRUE(ip("fe80::1").is_link_local_unicast());
  EXPECT_TRUE(ip("febf::1").is_link_local_unicast());
  EXPECT_FALSE(ip("fec0::1").is_link_local_unicast());
  EXPECT_TRUE(ip("169.254.1.1").is_link_local_unicast());
  EXPECT_FALSE(ip("fd00::1").is_link_local_unicast());
}

TEST(IpAddress, SsmDetection) {
  EXPECT_TRUE(ip("232.0.0.1").is_ssm());
  EXPECT_TRUE(ip("232.255.255.255").is_ssm());
  EXPECT_FALSE(ip("233.0.0.1").is_ssm());
  EXPECT_FALSE(ip("239.1.1.1").is_ssm());
  // ff3x::/32 only: flags 3, any scope, then sixteen zero bits.
  for (const char* g : {"ff3e::1", "ff31::1", "ff32::8000:1", "ff35::1", "ff38::1234", "ff3e::"}) {
    EXPECT_TRUE(ip(g).is_ssm()) << g;
  }
  for (const char* g : {"ff3e:1::1", "ff3e:30::1", "ff0e::1", "ff1e::1", "ff2e::1", "ff7e::1",
                        "fe80::1", "::"}) {
    EXPECT_FALSE(ip(g).is_ssm()) << g;
  }
}

TEST(IpAddress, MulticastScopes) {
  EXPECT_EQ(ip("ff01::1").multicast_scope(), 0x1);
  EXPECT_EQ(ip("ff02::1").multicast_scope(), 0x2);
  EXPECT_EQ(ip("ff35::1").multicast_scope(), 0x5);
  EXPECT_EQ(ip("ff18::1").multicast_scope(), 0x8);
  EXPECT_EQ(ip("ff3e::1").multicast_scope(), 0xe);
  EXPECT_EQ(ip("239.1.1.1").multicast_scope(), 0);
  EXPECT_EQ(ip("fd00::1").multicast_scope(), 0);
  for (const char* g : {"ff01::1", "ff02::1", "ff11::1", "ff12::1", "ff31::1", "ff32::1"}) {
    EXPECT_TRUE(ip(g).needs_scope_id()) << g;
  }
  for (const char* g : {"ff05::1", "ff08::1", "ff0e::1", "ff3e::1", "ff35::1", "239.1.1.1",
                        "fe80::1"}) {
    EXPECT_FALSE(ip(g).needs_scope_id()) << g;
  }
}

TEST(IpAddress, ScopeOnlyForIpv6) {
  EXPECT_EQ(ip("239.1.1.1").with_scope_id(3).scope_id(), 0u);
  EXPECT_EQ(ip("ff02::1").with_scope_id(3).scope_id(), 3u);
  EXPECT_NE(ip("ff02::1").with_scope_id(3), ip("ff02::1"));
}

TEST(Endpoint, ParsesAndFormats) {
  auto a = Endpoint::parse("239.1.2.3:5000");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address, ip("239.1.2.3"));
  EXPECT_EQ(a->port, 5000);
  EXPECT_EQ(a->to_string(), "239.1.2.3:5000");

  auto b = Endpoint::parse("[ff3e::1]:5000");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->address, ip("ff3e::1"));
  EXPECT_EQ(b->to_string(), "[ff3e::1]:5000");

  auto c = Endpoint::parse("[fe80::1%7]:0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address.scope_id(), 7u);
  EXPECT_EQ(c->port, 0);
  EXPECT_EQ(c->to_string(), "[fe80::1%7]:0");

  auto d = Endpoint::parse("[fe80::1%lo]:65535");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->address.scope_id(), if_nametoindex("lo"));
  EXPECT_EQ(d->port, 65535);
}

// Each text (first) is refused by T::parse with `code` and the message (second).
template <class T>
void expect_refused(Errc code, std::initializer_list<std::pair<const char*, const char*>> cases) {
  for (const auto& [text, message] : cases) {
    auto r = T::parse(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, code) << text;
    EXPECT_EQ(r.error().message, message);
  }
}

TEST(Endpoint, RejectsBadText) {
  expect_refused<Endpoint>(
      Errc::invalid_endpoint,
      {
          {"239.1.2.3", "endpoint '239.1.2.3' needs a port: write ADDRESS:PORT"},
          {"239.1.2.3:", "endpoint '239.1.2.3:' has an invalid port '' (0..65535)"},
          {"239.1.2.3:65536", "endpoint '239.1.2.3:65536' has an invalid port '65536' (0..65535)"},
          {"239.1.2.3:x", "endpoint '239.1.2.3:x' has an invalid port 'x' (0..65535)"},
          {"ff3e::1:5000",
           "endpoint 'ff3e::1:5000' is ambiguous: write an IPv6 endpoint as [ADDRESS]:PORT"},
          {"[ff3e::1]",
           "endpoint '[ff3e::1]' needs a port after the address: write [ADDRESS]:PORT"},
          {"[ff3e::1:5000", "endpoint '[ff3e::1:5000' has '[' without ']'"},
          {"nohost:5000", "endpoint 'nohost:5000': 'nohost' is not an IPv4 or IPv6 address"},
      });
}

TEST(Endpoint, SockaddrRoundTrip) {
  for (const char* text : {"192.0.2.1:4000", "[fd00::1]:5", "[fe80::1%9]:6000"}) {
    auto e = Endpoint::parse(text);
    ASSERT_TRUE(e) << text;
    sockaddr_storage ss;
    const socklen_t len = e->to_sockaddr(ss);
    EXPECT_EQ(len, e->address.is_v4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    auto back = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, *e) << text;
  }
  sockaddr_storage ss{};
  ss.ss_family = AF_UNIX;
  EXPECT_FALSE(Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), sizeof ss));
  EXPECT_FALSE(Endpoint::from_sockaddr(nullptr, 0));
}

TEST(InterfaceSpec, ParsesEachKind) {
  auto none = InterfaceSpec{};
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.to_string(), "");

  auto idx = InterfaceSpec::parse("7");
  ASSERT_TRUE(idx);
  EXPECT_EQ(idx->kind(), InterfaceSpec::Kind::index);
  EXPECT_EQ(idx->index_value(), 7u);
  EXPECT_EQ(idx->to_string(), "7");

  auto zero = InterfaceSpec::parse("0");  // syntax only; validate() rejects it
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->index_value(), 0u);

  auto v4 = InterfaceSpec::parse("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->kind(), InterfaceSpec::Kind::address);
  EXPECT_EQ(v4->address_value(), ip("192.0.2.1"));

  auto v6 = InterfaceSpec::parse("fd00::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->kind(), InterfaceSpec::Kind::address);
  EXPECT_EQ(v6->to_string(), "fd00::1");

  auto name = InterfaceSpec::parse("eth0.100");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->kind(), InterfaceSpec::Kind::name);
  EXPECT_EQ(name->name_value(), "eth0.100");
  EXPECT_EQ(name->to_string(), "eth0.100");
  // A name that does not exist still parses: validate() reports it.
  auto missing = InterfaceSpec::parse("nosuch0");
  ASSERT_TRUE(missing);
  EXPECT_EQ(*missing, InterfaceSpec::name("nosuch0"));
}

TEST(InterfaceSpec, RejectsBadText) {
  expect_refused<InterfaceSpec>(
      Errc::invalid_interface,
      {
          {"", "interface '' is empty: give an address, an index or a name"},
          {"99999999999", "interface index '99999999999' is out of range"},
          {"192.168.1", "interface '192.168.1': '192.168.1' is not an IPv4 or IPv6 address"},
          {"fd00::zz", "interface 'fd00::zz': 'fd00::zz' is not an IPv4 or IPv6 address"},
          {"averyveryverylongname",
           "interface name 'averyveryverylongname' is longer than 15 characters"},
          {"eth/0", "interface 'eth/0' is neither an address, an index nor an interface name"},
      });
}

}  // namespace
}  // namespace mctx
