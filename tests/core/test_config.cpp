// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// PublicationConfig::validate(): one test per rule, checking the code and the
// message. Only the loopback interface ("lo", 127.0.0.1) is assumed to exist;
// rules that need more interfaces are in test_config_host.cpp (namespace).

#include <gtest/gtest.h>
#include <net/if.h>

#include <string>

#include "mctx/config.hpp"

namespace mctx {
namespace {

IpAddress ip(const char* text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a) << text;
  return a ? *a : IpAddress{};
}

Endpoint ep(const char* text) {
  auto e = Endpoint::parse(text);
  EXPECT_TRUE(e) << text;
  return e ? *e : Endpoint{};
}

uint32_t lo() { return if_nametoindex("lo"); }

PublicationConfig v4() { return PublicationConfig(ip("239.1.2.3"), 5000); }
PublicationConfig v6() { return PublicationConfig(ip("ff3e::1"), 5000); }

// Expects validate() to fail with `code` and exactly `message`.
void expect_rule(const PublicationConfig& c, Errc code, const std::string& message) {
  auto r = c.validate();
  ASSERT_FALSE(r) << "expected " << errc_name(code);
  EXPECT_EQ(r.error().code, code) << errc_name(r.error().code) << ": " << r.error().message;
  EXPECT_EQ(r.error().message, message);
  EXPECT_EQ(r.error().system_errno, 0);
}

ResolvedConfig expect_ok(const PublicationConfig& c) {
  auto r = c.validate();
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : ResolvedConfig{};
}

TEST(Validate, Defaults) {
  PublicationConfig c(ip("239.1.2.3"), 5000);
  EXPECT_EQ(c.ttl(), 1);
  EXPECT_TRUE(c.loopback());
  EXPECT_FALSE(c.dscp());
  EXPECT_FALSE(c.send_buffer_size());
  auto r = expect_ok(c);
  EXPECT_EQ(r.family, Family::ipv4);
  EXPECT_EQ(r.destination, ep("239.1.2.3:5000"));
  EXPECT_FALSE(r.needs_bind);
  EXPECT_EQ(r.interface_index, 0u);
  EXPECT_FALSE(r.interface_address);
}

TEST(Validate, DestinationPortZero) {
  expect_rule(PublicationConfig(ip("239.1.2.3"), 0), Errc::destination_port_zero,
              "destination port 0 is not allowed");
}

TEST(Validate, GroupNotMulticast) {
  expect_rule(PublicationConfig(ip("192.168.1.5"), 5000), Errc::group_not_multicast,
              "group '192.168.1.5' is not a multicast address");
  expect_rule(PublicationConfig(ip("fd00::1"), 5000), Errc::group_not_multicast,
              "group 'fd00::1' is not a multicast address");
  expect_rule(PublicationConfig{}.with_port(5000), Errc::group_not_multicast,
              "group '0.0.0.0' is not a multicast address");
}

TEST(Validate, SourcePortZero) {
  expect_rule(v4().with_source_port(0), Errc::source_port_zero,
              "source port 0 is not allowed (leave the source port unset for an ephemeral port)");
}

TEST(Validate, SourceUnspecified) {
  expect_rule(v4().with_source_address(ip("0.0.0.0")), Errc::source_unspecified,
              "source address '0.0.0.0' is unspecified: give a local unicast address or leave "
              "the source unset");
  expect_rule(v6().with_source_address(ip("::")), Errc::source_unspecified,
              "source address '::' is unspecified: give a local unicast address or leave the "
              "source unset");
}

TEST(Validate, SourceMulticast) {
  expect_rule(v4().with_source_address(ip("239.9.9.9")), Errc::source_multicast,
              "source address '239.9.9.9' is a multicast address: the source must be a local "
              "unicast address");
}

TEST(Validate, SourceFamilyMismatch) {
  expect_rule(v4().with_source_address(ip("fd00::1")), Errc::source_family_mismatch,
              "source address 'fd00::1' is IPv6 but group '239.1.2.3' is IPv4");
  expect_rule(v6().with_source_address(ip("127.0.0.1")), Errc::source_family_mismatch,
              "source address '127.0.0.1' is IPv4 but group 'ff3e::1' is IPv6");
}

TEST(Validate, SourceNotLocal) {
  expect_rule(v4().with_source_address(ip("203.0.113.77")), Errc::source_not_local,
              "source address '203.0.113.77' is not configured on any interface");
}

TEST(Validate, BindRules) {
  expect_rule(v4().with_bind(ep("[fd00::1]:0")), Errc::bind_family_mismatch,
              "bind address 'fd00::1' is IPv6 but group '239.1.2.3' is IPv4");
  expect_rule(v4().with_bind(ep("239.1.2.3:0")), Errc::source_multicast,
              "bind address '239.1.2.3' is a multicast address: bind a local unicast address (or "
              "the unspecified address)");
  expect_rule(v4().with_source_address(ip("127.0.0.1")).with_bind(ep("127.0.0.2:0")),
              Errc::bind_conflicts_with_source,
              "bind address '127.0.0.2' differs from source address '127.0.0.1'");
  expect_rule(v4().with_source_port(6000).with_bind(ep("127.0.0.1:6001")),
              Errc::bind_conflicts_with_source, "bind port 6001 differs from source port 6000");
}

TEST(Validate, BindMergesWithSource) {
  // An unspecified bind address takes the source address; port 0 the source port.
  auto r = expect_ok(
      v4().with_source_address(ip("127.0.0.1")).with_source_port(6000).with_bind(ep("0.0.0.0:0")));
  EXPECT_TRUE(r.needs_bind);
  EXPECT_EQ(r.bind, ep("127.0.0.1:6000"));
  auto only_port = expect_ok(v4().with_source_port(6000));
  EXPECT_TRUE(only_port.needs_bind);
  EXPECT_EQ(only_port.bind, ep("0.0.0.0:6000"));
  auto bind_only = expect_ok(v4().with_bind(ep("127.0.0.1:7000")));
  EXPECT_EQ(bind_only.bind, ep("127.0.0.1:7000"));
  EXPECT_EQ(bind_only.interface_address, ip("127.0.0.1"));
}

TEST(Validate, TtlRange) {
  expect_rule(v4().with_ttl(256), Errc::invalid_ttl,
              "ttl 256 is out of range: a TTL / hop limit is 0..255");
  expect_rule(v4().with_ttl(-1), Errc::invalid_ttl,
              "ttl -1 is out of range: a TTL / hop limit is 0..255");
  expect_ok(v4().with_ttl(0));
  expect_ok(v4().with_ttl(255));
}

TEST(Validate, DscpRange) {
  expect_rule(v4().with_dscp(64), Errc::invalid_dscp, "dscp 64 is out of range: DSCP is 0..63");
  expect_rule(v4().with_dscp(-1), Errc::invalid_dscp, "dscp -1 is out of range: DSCP is 0..63");
  expect_ok(v4().with_dscp(0));
  expect_ok(v4().with_dscp(63));
}

TEST(Validate, SendBufferSize) {
  expect_rule(v4().with_send_buffer_size(0), Errc::invalid_send_buffer_size,
              "send buffer size 0 is not allowed: give a positive number of bytes or leave it "
              "unset");
  expect_rule(v4().with_send_buffer_size(-5), Errc::invalid_send_buffer_size,
              "send buffer size -5 is not allowed: give a positive number of bytes or leave it "
              "unset");
}

TEST(Validate, InterfaceFamilyMismatch) {
  expect_rule(v4().with_interface(InterfaceSpec::address(ip("::1"))),
              Errc::interface_family_mismatch,
              "interface address '::1' is IPv6 but group '239.1.2.3' is IPv4");
  expect_rule(v6().with_interface(InterfaceSpec::address(ip("127.0.0.1"))),
              Errc::interface_family_mismatch,
              "interface address '127.0.0.1' is IPv4 but group 'ff3e::1' is IPv6");
}

TEST(Validate, InterfaceUnspecified) {
  expect_rule(v4().with_interface(InterfaceSpec::address(ip("0.0.0.0"))),
              Errc::interface_unspecified,
              "interface address '0.0.0.0' is unspecified: give a local address, an index or a "
              "name, or leave the interface unset for system routing");
}

TEST(Validate, InterfaceMulticast) {
  expect_rule(v6().with_interface(InterfaceSpec::address(ip("ff02::1"))),
              Errc::interface_multicast,
              "interface address 'ff02::1' is a multicast address: give the address of a local "
              "interface");
}

TEST(Validate, InterfaceIndexZero) {
  expect_rule(v6().with_interface(InterfaceSpec::index(0)), Errc::interface_index_zero,
              "interface index 0 is not allowed: leave the interface unset for system routing");
}

TEST(Validate, InterfaceNotFound) {
  expect_rule(v4().with_interface(InterfaceSpec::name("nosuch0")), Errc::interface_not_found,
              "interface 'nosuch0' does not exist");
  expect_rule(v6().with_interface(InterfaceSpec::index(999999)), Errc::interface_not_found,
              "interface index 999999 does not exist");
  expect_rule(v4().with_interface(InterfaceSpec::address(ip("203.0.113.77"))),
              Errc::interface_not_found,
              "interface address '203.0.113.77' is not configured on any interface");
}

TEST(Validate, ScopedGroupNeedsInterface) {
  expect_rule(PublicationConfig(ip("ff02::1"), 5000), Errc::scoped_group_needs_interface,
              "IPv6 group ff02::1 is link-local (ff?2) and needs an interface: set interface or "
              "a link-local source with a scope");
  expect_rule(PublicationConfig(ip("ff32::8000:1"), 5000), Errc::scoped_group_needs_interface,
              "IPv6 group ff32::8000:1 is link-local (ff?2) and needs an interface: set "
              "interface or a link-local source with a scope");
  expect_rule(PublicationConfig(ip("ff01::1"), 5000), Errc::scoped_group_needs_interface,
              "IPv6 group ff01::1 is interface-local (ff?1) and needs an interface: set "
              "interface or a link-local source with a scope");
  // Wider scopes route without an interface.
  for (const char* g : {"ff05::1", "ff08::1", "ff0e::1", "ff3e::1"}) {
    expect_ok(PublicationConfig(ip(g), 5000));
  }
}

TEST(Validate, ScopeIdRule) {
  const uint32_t idx = lo();
  ASSERT_NE(idx, 0u);
  // Interface- and link-local groups keep the interface as scope ID ...
  for (const char* g : {"ff01::1", "ff02::1", "ff11::1", "ff12::1", "ff31::1", "ff32::1"}) {
    auto r = expect_ok(PublicationConfig(ip(g), 5000).with_interface(InterfaceSpec::index(idx)));
    EXPECT_EQ(r.destination.address.scope_id(), idx) << g;
    EXPECT_EQ(r.destination.port, 5000);
    EXPECT_EQ(r.interface_index, idx);
  }
  // ... wider scopes use scope 0 even with an interface (and even if the
  // group was written with one).
  for (const char* g : {"ff05::1", "ff08::1", "ff0e::1", "ff3e::1", "ff15::1", "ff38::1"}) {
    auto r = expect_ok(PublicationConfig(ip(g), 5000).with_interface(InterfaceSpec::name("lo")));
    EXPECT_EQ(r.destination.address.scope_id(), 0u) << g;
    EXPECT_EQ(r.interface_index, idx);
  }
  auto r = expect_ok(PublicationConfig(ip("ff3e::1%1"), 5000));
  EXPECT_EQ(r.destination.address.scope_id(), 0u);
}

TEST(Validate, GroupScopePinsTheInterface) {
  const std::string text = "ff02::1%" + std::to_string(lo());
  auto r = expect_ok(PublicationConfig(ip(text.c_str()), 5000));
  EXPECT_EQ(r.interface_index, lo());
  EXPECT_EQ(r.destination.address.scope_id(), lo());
}

TEST(Validate, Ipv4InterfaceByAddressAndName) {
  auto by_addr = expect_ok(v4().with_interface(InterfaceSpec::address(ip("127.0.0.1"))));
  EXPECT_EQ(by_addr.interface_address, ip("127.0.0.1"));
  EXPECT_EQ(by_addr.interface_index, lo());
  EXPECT_FALSE(by_addr.needs_bind);  // IPv4: the interface is not the source

  // By name or index, the interface's first IPv4 address goes to
  // IP_MULTICAST_IF with the index, so lo sends from 127.0.0.1, not 0.0.0.0.
  auto by_name = expect_ok(v4().with_interface(InterfaceSpec::name("lo")));
  EXPECT_EQ(by_name.interface_address, ip("127.0.0.1"));
  EXPECT_EQ(by_name.interface_index, lo());
  EXPECT_FALSE(by_name.needs_bind);

  auto by_index = expect_ok(v4().with_interface(InterfaceSpec::index(lo())));
  EXPECT_EQ(by_index.interface_index, lo());
  EXPECT_EQ(by_index.interface_address, ip("127.0.0.1"));
}

TEST(Validate, Ipv4SourceChoosesTheInterface) {
  auto r = expect_ok(v4().with_source_address(ip("127.0.0.1")).with_source_port(6000));
  EXPECT_TRUE(r.needs_bind);
  EXPECT_EQ(r.bind, ep("127.0.0.1:6000"));
  EXPECT_EQ(r.interface_address, ip("127.0.0.1"));
}

TEST(Config, BuilderAndEquality) {
  auto a = v4().with_ttl(4).with_loopback(false).with_dscp(46).with_send_buffer_size(1 << 20);
  EXPECT_EQ(a.ttl(), 4);
  EXPECT_FALSE(a.loopback());
  EXPECT_EQ(a.dscp(), 46);
  EXPECT_EQ(a.send_buffer_size(), 1 << 20);
  EXPECT_EQ(a, v4().with_ttl(4).with_loopback(false).with_dscp(46).with_send_buffer_size(1 << 20));
  EXPECT_NE(a, v4());
}

}  // namespace
}  // namespace mctx
