// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Helpers for the core tests that run inside scripts/mctx-netns --peer.
// The test binary's main() (netns_util.cpp) refuses to run outside a private
// namespace that holds only lo and the veth pair, so nothing can leave the
// machine even if the binary is started by hand.

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mctx/mctx.hpp"
#include "receiver.hpp"

namespace mctx::coretest {

using namespace std::chrono_literals;

inline IpAddress ip(const std::string& text) {
  auto a = IpAddress::parse(text);
  if (!a) throw std::runtime_error(a.error().message);
  return *a;
}

inline Endpoint ep(const std::string& text) {
  auto e = Endpoint::parse(text);
  if (!e) throw std::runtime_error(e.error().message);
  return *e;
}

inline std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

inline std::string text(const test::Datagram& d) {
  return std::string(d.payload.begin(), d.payload.end());
}

// $MCTX_PEER_NETNS (set by mctx-netns --peer); empty if absent.
std::string peer_netns();

// A receiver created in the peer namespace, joined on mctx1 there.
test::Receiver peer_receiver(const IpAddress& group, uint16_t port,
                             std::optional<IpAddress> source = std::nullopt);

}  // namespace mctx::coretest

#define MCTX_REQUIRE_PEER()                                                  \
  do {                                                                       \
    if (::mctx::coretest::peer_netns().empty())                              \
      GTEST_SKIP() << "needs scripts/mctx-netns --peer (MCTX_PEER_NETNS)";   \
  } while (0)
