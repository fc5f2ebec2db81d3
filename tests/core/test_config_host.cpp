// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Validation rules that depend on the host's interfaces, checked against the
// known layout of the test namespace: lo (127.0.0.1, ::1) and mctx0
// (192.0.2.1, fd00::1, plus a kernel-made fe80:: address).

#include <gtest/gtest.h>

#include "gtest_netns.hpp"
#include "mctx/mctx.hpp"
#include "values.hpp"
#include "platform/platform.hpp"

namespace mctx::test {
namespace {

using namespace std::chrono_literals;

std::string describe(const char* name) {
  return std::string(name) + " (index " + std::to_string(ifindex(name)) + ")";
}

// The link-local address the kernel gave mctx0 (scope = its index).
std::optional<IpAddress> mctx0_link_local() {
  auto all = platform::local_addresses();
  if (!all) return std::nullopt;
  for (const auto& la : *all) {
    if (la.ifname == "mctx0" && la.address.is_link_local_unicast()) return la.address;
  }
  return std::nullopt;
}

void expect_rule(const PublicationConfig& c, Errc code, const std::string& message) {
  auto r = c.validate();
  ASSERT_FALSE(r) << "expected " << errc_name(code);
  EXPECT_EQ(r.error().code, code) << errc_name(r.error().code) << ": " << r.error().message;
  EXPECT_EQ(r.error().message, message);
}

// What c resolves to; a refusal fails the test with its message.
ResolvedConfig resolved(const PublicationConfig& c) {
  auto r = c.validate();
  if (!r) throw std::runtime_error("validate() refused: " + r.error().message);
  return *r;
}

// Refused as source_interface_mismatch: `address` (as the message names it:
// "IPv4 source address '127.0.0.1'") is on interface `on`, not on the
// configured `configured`. IPv4 messages add why.
constexpr const char* kIpv4MismatchWhy =
    ": the source address must be an address of the outgoing interface";
void expect_mismatch(const PublicationConfig& c, const std::string& address, const char* on,
                     const char* configured, const char* why = "") {
  expect_rule(c, Errc::source_interface_mismatch,
              address + " is on " + describe(on) + ", not on the configured interface " +
                  describe(configured) + why);
}

TEST(ValidateHost, Ipv6SourceOnAnotherInterface) {
  expect_mismatch(PublicationConfig(ip("ff3e::1"), 5400)
                      .with_source_address(ip("fd00::1"))
                      .with_interface(InterfaceSpec::name("lo")),
                  "IPv6 source address 'fd00::1'", "mctx0", "lo");
  expect_mismatch(PublicationConfig(ip("ff3e::1"), 5400)
                      .with_source_address(ip("::1"))
                      .with_interface(InterfaceSpec::address(ip("fd00::1"))),
                  "IPv6 source address '::1'", "lo", "mctx0");
}

TEST(ValidateHost, Ipv6SourceNotLocal) {
  expect_rule(PublicationConfig(ip("ff3e::1"), 5400).with_source_address(ip("fd00::99")),
              Errc::source_not_local,
              "source address 'fd00::99' is not configured on any interface");
}

TEST(ValidateHost, Ipv6SourcePinsTheInterface) {
  const ResolvedConfig r =
      resolved(PublicationConfig(ip("ff3e::1"), 5400).with_source_address(ip("fd00::1")));
  EXPECT_EQ(r.interface_index, ifindex("mctx0"));
  EXPECT_EQ(r.bind, ep("[fd00::1]:0"));
  EXPECT_EQ(r.destination.address.scope_id(), 0u);
  // For ff?2 groups that pin is enough, and the destination takes it as scope.
  const ResolvedConfig l =
      resolved(PublicationConfig(ip("ff02::4d43"), 5400).with_source_address(ip("fd00::1")));
  EXPECT_EQ(l.destination.address.scope_id(), ifindex("mctx0"));
}

TEST(ValidateHost, Ipv6InterfaceAddressResolvesToIndexAndBinds) {
  const ResolvedConfig r = resolved(
      PublicationConfig(ip("ff3e::1"), 5400).with_interface(InterfaceSpec::address(ip("fd00::1"))));
  EXPECT_EQ(r.interface_index, ifindex("mctx0"));
  EXPECT_TRUE(r.needs_bind);
  EXPECT_EQ(r.bind.address, ip("fd00::1"));
  EXPECT_FALSE(r.interface_address);  // IPv6 selects by index only
}

TEST(ValidateHost, ScopedBindCarriesItsScopeIntoTheInterface) {
  const std::string bind = "[fd00::1%" + std::to_string(ifindex("mctx0")) + "]:6400";
  const ResolvedConfig r = resolved(PublicationConfig(ip("ff3e::1"), 5400).with_bind(ep(bind)));
  EXPECT_EQ(r.interface_index, ifindex("mctx0"));
  EXPECT_EQ(r.bind.port, 6400);
  EXPECT_EQ(r.bind.address.scope_id(), 0u);  // only link-local addresses bind with a scope

  auto ll = mctx0_link_local();
  ASSERT_TRUE(ll) << "mctx0 has no link-local address";
  const ResolvedConfig l =
      resolved(PublicationConfig(ip("ff02::4d43"), 5400).with_bind(Endpoint{*ll, 0}));
  EXPECT_EQ(l.interface_index, ifindex("mctx0"));
  EXPECT_EQ(l.bind.address.scope_id(), ifindex("mctx0"));
  EXPECT_EQ(l.destination.address.scope_id(), ifindex("mctx0"));

  expect_rule(PublicationConfig(ip("ff3e::1"), 5400)
                  .with_bind(ep(bind))
                  .with_interface(InterfaceSpec::name("lo")),
              Errc::source_interface_mismatch,
              "bind address 'fd00::1%" + std::to_string(ifindex("mctx0")) + "' is scoped to " +
                  describe("mctx0") + ", not to the configured interface " + describe("lo"));
}

TEST(ValidateHost, UnscopedLinkLocalSourceFindsItsInterface) {
  auto ll = mctx0_link_local();
  ASSERT_TRUE(ll);
  const ResolvedConfig r =
      resolved(PublicationConfig(ip("ff02::4d43"), 5400).with_source_address(ll->with_scope_id(0)));
  EXPECT_EQ(r.interface_index, ifindex("mctx0"));
  EXPECT_EQ(r.bind.address, *ll);  // bound with its scope
}

TEST(ValidateHost, Ipv4InterfaceAddressResolvesToIndex) {
  const ResolvedConfig r = resolved(PublicationConfig(ip("239.5.0.1"), 5400)
                                        .with_interface(InterfaceSpec::address(ip("192.0.2.1"))));
  EXPECT_EQ(r.interface_index, ifindex("mctx0"));
  EXPECT_EQ(r.interface_address, ip("192.0.2.1"));
  EXPECT_FALSE(r.needs_bind);
}

TEST(ValidateHost, Ipv4SourceOnAnotherInterface) {
  // Linux would refuse the first at connect() with a bare EINVAL.
  expect_mismatch(PublicationConfig(ip("239.1.1.1"), 5004)
                      .with_source_address(ip("127.0.0.1"))
                      .with_interface(InterfaceSpec::name("mctx0")),
                  "IPv4 source address '127.0.0.1'", "lo", "mctx0", kIpv4MismatchWhy);
  // All of 127/8 belongs to lo.
  expect_mismatch(PublicationConfig(ip("239.1.1.1"), 5004)
                      .with_source_address(ip("127.0.0.9"))
                      .with_interface(InterfaceSpec::index(ifindex("mctx0"))),
                  "IPv4 source address '127.0.0.9'", "lo", "mctx0", kIpv4MismatchWhy);
  expect_mismatch(PublicationConfig(ip("239.1.1.1"), 5004)
                      .with_bind(ep("192.0.2.1:6000"))
                      .with_interface(InterfaceSpec::address(ip("127.0.0.1"))),
                  "IPv4 bind address '192.0.2.1'", "mctx0", "lo", kIpv4MismatchWhy);
  // Not local at all stays source_not_local.
  auto r = PublicationConfig(ip("239.1.1.1"), 5004)
               .with_source_address(ip("10.9.9.9"))
               .with_interface(InterfaceSpec::name("mctx0"))
               .validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::source_not_local);
  // On the interface: accepted, and opening works.
  for (const char* itf : {"lo", "127.0.0.1"}) {
    auto spec = std::string(itf) == "lo" ? InterfaceSpec::name("lo")
                                         : InterfaceSpec::address(ip("127.0.0.1"));
    auto ok = PublicationConfig(ip("239.1.1.1"), 5004)
                  .with_source_address(ip("127.0.0.5"))
                  .with_interface(spec);
    ASSERT_TRUE(ok.validate()) << itf;
    EXPECT_TRUE(Publication::open(ok)) << itf;
  }
  auto ok = PublicationConfig(ip("239.1.1.1"), 5004)
                .with_source_address(ip("192.0.2.1"))
                .with_interface(InterfaceSpec::name("mctx0"));
  ASSERT_TRUE(ok.validate());
  EXPECT_TRUE(Publication::open(ok));
}

// ff02 group, link-local source with a scope: delivered to the peer.
TEST(ValidateHost, LinkLocalGroupFromScopedLinkLocalSourceReachesPeer) {
  MCTX_REQUIRE_PEER();
  auto ll = mctx0_link_local();
  ASSERT_TRUE(ll);
  const IpAddress group = ip("ff02::4d43:1");
  Receiver rx = peer_receiver(group, 5401);
  auto pub = Publication::open(PublicationConfig(group, 5401).with_source_address(*ll));
  ASSERT_TRUE(pub) << pub.error().what();
  ASSERT_TRUE(pub->send(bytes("link-local")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "link-local");
  EXPECT_EQ(d->from.address.with_scope_id(0), ll->with_scope_id(0));
}

}  // namespace
}  // namespace mctx::test
