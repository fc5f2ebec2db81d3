// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "netns_util.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "netns_guard.hpp"

namespace mctx::coretest {

std::string peer_netns() {
  const char* p = std::getenv("MCTX_PEER_NETNS");
  return p != nullptr ? p : "";
}

test::Receiver peer_receiver(const IpAddress& group, uint16_t port,
                             std::optional<IpAddress> source) {
  std::optional<test::Receiver> rx;
  test::in_netns(peer_netns(), [&] { rx.emplace(group, port, test::ifindex("mctx1"), source); });
  return std::move(*rx);
}

}  // namespace mctx::coretest

int main(int argc, char** argv) {
  const mctx::test::NetnsRules rules{.required_env = {"MCTX_PEER_NETNS", "MCTX_VETH"},
                                     .how_to_run = "scripts/mctx-netns --peer"};
  if (!mctx::test::require_private_netns(rules, "these tests send multicast")) {
    return mctx::test::kSkipExitCode;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
