// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// main() of the raw tests that send: refuses to run (exit 77, meson's skip)
// outside a private network namespace holding only lo and the mctx veth
// pair, so nothing can leave the machine even if a binary is started by hand.

#include <gtest/gtest.h>

#include "netns_guard.hpp"

int main(int argc, char** argv) {
  // Stricter than the default: no other interface at all, not even a down one.
  const mctx::test::NetnsRules rules{.others_may_exist_down = false,
                                     .how_to_run = "scripts/mctx-netns --peer"};
  if (!mctx::test::require_private_netns(rules, "these tests send raw multicast")) {
    return mctx::test::kSkipExitCode;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
