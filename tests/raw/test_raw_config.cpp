// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw mode unit tests: configuration rules that need only the host's
// interface list, capabilities, and the send path of a closed publication.
// Nothing is sent; no privileges needed.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "raw_unit_util.hpp"

namespace mctx::test {
namespace {

// ---------------------------------------------------------------- config

TEST(RawConfig, Ipv6NeedsAnInterface) {
  auto r = RawPublicationConfig(Family::ipv6).validate();
  expect_error(r, Errc::raw_interface_required,
               "IPv6 raw mode needs an explicit interface (name, index or address) or "
               "route-selected egress: datagrams are injected at the link layer and bypass "
               "routing");
}

TEST(RawConfig, Ipv6OnLoopbackIsAnUnsupportedLink) {
  auto r = RawPublicationConfig(Family::ipv6).with_interface(InterfaceSpec::name("lo")).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::raw_unsupported_link);
  EXPECT_NE(r.error().message.find("interface 'lo' (index "), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(") has link type loopback (ARPHRD 772); IPv6 raw mode works "
                                   "only on Ethernet-like links (ARPHRD_ETHER, 6-byte addresses)"),
            std::string::npos)
      << r.error().message;
}

TEST(RawConfig, Ipv6LoopbackCannotBeEnabled) {
  auto r = RawPublicationConfig(Family::ipv6)
               .with_interface(InterfaceSpec::name("lo"))
               .with_loopback(true)
               .validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::raw_unsupported_platform);
  EXPECT_NE(r.error().message.find("loopback cannot be enabled for IPv6 raw mode"),
            std::string::npos);
}

TEST(RawConfig, BindRules) {
  auto r = RawPublicationConfig(Family::ipv4).with_bind(ip("fd00::1")).validate();
  expect_error(r, Errc::bind_family_mismatch,
               "bind address 'fd00::1' is IPv6 but the raw publication sends IPv4 datagrams");

  r = RawPublicationConfig(Family::ipv4).with_bind(ip("0.0.0.0")).validate();
  expect_error(r, Errc::source_unspecified,
               "bind address '0.0.0.0' is unspecified: give a local unicast address or leave bind "
               "unset");

  r = RawPublicationConfig(Family::ipv4).with_bind(ip("239.1.1.1")).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::source_multicast);

  r = RawPublicationConfig(Family::ipv4).with_bind(ip("203.0.113.99")).validate();
  expect_error(r, Errc::source_not_local,
               "bind address '203.0.113.99' is not configured on any interface of this host");

  // 127.0.0.1 is always local; without an interface it selects lo.
  auto ok = RawPublicationConfig(Family::ipv4).with_bind(ip("127.0.0.1")).validate();
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->interface_name, "lo");
  EXPECT_EQ(ok->bind, ip("127.0.0.1"));
}

TEST(RawConfig, InterfaceRules) {
  auto r = RawPublicationConfig(Family::ipv4)
               .with_interface(InterfaceSpec::name("mctx-nonexistent"))
               .validate();
  expect_error(r, Errc::interface_not_found, "interface 'mctx-nonexistent' does not exist");

  r = RawPublicationConfig(Family::ipv4).with_interface(InterfaceSpec::index(0)).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::interface_index_zero);

  r = RawPublicationConfig(Family::ipv4).with_interface(InterfaceSpec::index(999999)).validate();
  expect_error(r, Errc::interface_not_found, "interface index 999999 does not exist");

  r = RawPublicationConfig(Family::ipv4)
          .with_interface(InterfaceSpec::address(ip("::1")))
          .validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::interface_family_mismatch);

  r = RawPublicationConfig(Family::ipv4)
          .with_interface(InterfaceSpec::address(ip("203.0.113.99")))
          .validate();
  expect_error(r, Errc::interface_not_found,
               "interface address '203.0.113.99' is not configured on any interface");

  r = RawPublicationConfig(Family::ipv4).with_send_buffer_size(0).validate();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_send_buffer_size);
}

TEST(RawConfig, Ipv4Resolution) {
  auto r = RawPublicationConfig(Family::ipv4).validate();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->interface_index, 0u);
  EXPECT_TRUE(r->loopback);
  EXPECT_FALSE(r->bind);

  r = RawPublicationConfig(Family::ipv4)
          .with_interface(InterfaceSpec::address(ip("127.0.0.1")))
          .with_loopback(false)
          .validate();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->interface_name, "lo");
  EXPECT_EQ(r->interface_address, ip("127.0.0.1"));
  EXPECT_FALSE(r->loopback);
}

// ---------------------------------------------------------------- misc

TEST(RawCapabilities, DescribesBothFamilies) {
  const RawCapabilities caps = raw_capabilities();
  EXPECT_STREQ(caps.platform, "linux");
  EXPECT_TRUE(caps.ipv4.supported);
  EXPECT_FALSE(caps.ipv4.interface_required);
  EXPECT_TRUE(caps.ipv4.local_loopback);
  EXPECT_TRUE(caps.ipv6.supported);
  EXPECT_TRUE(caps.ipv6.interface_required);
  EXPECT_FALSE(caps.ipv6.local_loopback);
  EXPECT_STREQ(caps.ipv6.kernel_fills, "none");
}

TEST(RawPublicationApi, ClosedPublicationAndUnknownIds) {
  RawContext ctx;
  const auto d = build(v4_spec());
  auto r = ctx.send(12345, bytes(d));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::publication_not_found);
  EXPECT_FALSE(r.error().invalid_datagram());
  EXPECT_FALSE(ctx.remove(12345));
  EXPECT_FALSE(ctx.take(12345).has_value());
  EXPECT_EQ(ctx.size(), 0u);
  const Snapshot s = ctx.snapshot();
  EXPECT_EQ(s.active_publications, 0u);
  EXPECT_EQ(s.send, SendCounters{});
}

TEST(RawSendErrorText, InvalidAndKernelErrors) {
  RawSendError e;
  e.code = Errc::raw_bad_checksum;
  e.datagram.code = Errc::raw_bad_checksum;
  e.datagram.value = 0x1234;
  e.datagram.expected = 0xabcd;
  EXPECT_TRUE(e.invalid_datagram());
  EXPECT_EQ(e.message(), "IPv4 header checksum 0x1234 is wrong (expected 0xabcd)");
  RawSendError k;
  k.code = Errc::message_too_long;
  k.system_errno = EMSGSIZE;
  EXPECT_FALSE(k.invalid_datagram());
  EXPECT_EQ(k.message(), send_error_from_errno(EMSGSIZE).message());
}

}  // namespace
}  // namespace mctx::test
