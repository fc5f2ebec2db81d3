// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "mctx/error.hpp"

namespace mctx {
namespace {

TEST(Errc, NamesAreStable) {
  EXPECT_STREQ(errc_name(Errc::ok), "ok");
  EXPECT_STREQ(errc_name(Errc::group_not_multicast), "group_not_multicast");
  EXPECT_STREQ(errc_name(Errc::scoped_group_needs_interface), "scoped_group_needs_interface");
  EXPECT_STREQ(errc_name(Errc::would_block), "would_block");
  EXPECT_STREQ(errc_name(Errc::metrics_invalid_value), "metrics_invalid_value");
  EXPECT_STREQ(errc_name(static_cast<Errc>(9999)), "unknown");
}

TEST(Errc, ConvertsToErrorCode) {
  std::error_code ec = Errc::destination_port_zero;
  EXPECT_EQ(ec.category().name(), std::string("mctx"));
  EXPECT_EQ(ec.value(), static_cast<int>(Errc::destination_port_zero));
  EXPECT_EQ(ec.message(), "destination port 0 is not allowed");
  EXPECT_EQ(&ec.category(), &error_category());
}

TEST(Error, WhatAppendsTheSystemError) {
  Error e = make_error(Errc::bind_failed, "binding to 192.0.2.10:5004", EADDRNOTAVAIL);
  EXPECT_EQ(e.code, Errc::bind_failed);
  EXPECT_EQ(e.system_errno, EADDRNOTAVAIL);
  EXPECT_EQ(e.what(), std::string("binding to 192.0.2.10:5004: ") + std::strerror(EADDRNOTAVAIL));
  Error plain = make_error(Errc::group_not_multicast, "group '10.0.0.1' is not a multicast address");
  EXPECT_EQ(plain.what(), "group '10.0.0.1' is not a multicast address");
}

struct Mapping {
  int err;
  Errc code;
};

TEST(SendError, MapsErrno) {
  const Mapping table[] = {
      {EAGAIN, Errc::would_block},          {EWOULDBLOCK, Errc::would_block},
      {EMSGSIZE, Errc::message_too_long},   {ENETUNREACH, Errc::network_unreachable},
      {EHOSTUNREACH, Errc::network_unreachable}, {ENODEV, Errc::network_unreachable},
      {ENXIO, Errc::network_unreachable},   {ENOBUFS, Errc::no_buffer_space},
      {EPERM, Errc::permission_denied},     {EACCES, Errc::permission_denied},
      {ECONNREFUSED, Errc::connection_refused}, {EBADF, Errc::publication_closed},
      {EIO, Errc::send_failed},             {EINVAL, Errc::send_failed},
  };
  for (const auto& m : table) {
    const SendError e = send_error_from_errno(m.err);
    EXPECT_EQ(e.code, m.code) << "errno " << m.err;
    EXPECT_EQ(e.system_errno, m.err);
  }
  EXPECT_TRUE(send_error_from_errno(EAGAIN).would_block());
  EXPECT_FALSE(send_error_from_errno(ENOBUFS).would_block());
  EXPECT_FALSE(send_error_from_errno(ENOBUFS).fatal());
  EXPECT_TRUE(send_error_from_errno(EBADF).fatal());
}

TEST(SendError, MessageNamesCodeAndErrno) {
  const SendError e = send_error_from_errno(ENOBUFS);
  EXPECT_EQ(e.message(), std::string("no buffer space available: ") + std::strerror(ENOBUFS));
  const SendError closed{Errc::publication_closed, 0};
  EXPECT_EQ(closed.message(), "publication is closed");
}

// ENETUNREACH (most often: no route for the group) says what to do, in
// every message that carries it; other errors do not.
TEST(Error, NetworkUnreachableSaysToNameTheInterface) {
  const std::string hint = std::string(std::strerror(ENETUNREACH)) +
                           " (no route to the destination: if no interface is named, name the "
                           "one to send on: the element property interface, mctx-send "
                           "--interface, Python interface=)";
  EXPECT_EQ(make_error(Errc::connect_failed, "connecting to 239.1.1.1:5000", ENETUNREACH).what(),
            "connecting to 239.1.1.1:5000: " + hint);
  EXPECT_EQ(send_error_from_errno(ENETUNREACH).message(), "network unreachable: " + hint);
  EXPECT_EQ(send_error_from_errno(EHOSTUNREACH).message(),
            std::string("network unreachable: ") + std::strerror(EHOSTUNREACH));
}

TEST(Result, HoldsValueOrError) {
  Res<int> ok = 5;
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 5);
  Res<int> bad = unexpected(make_error(Errc::invalid_ttl, "ttl 300 is out of range"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_ttl);
}

}  // namespace
}  // namespace mctx
