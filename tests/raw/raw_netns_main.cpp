// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// main() of the raw tests that send: refuses to run (exit 77, meson's skip)
// outside a private network namespace holding only lo and the mctx veth
// pair, so nothing can leave the machine even if a binary is started by hand.

#include "gtest_netns.hpp"

int main(int argc, char** argv) {
  // Stricter than the default: no other interface at all, not even a down one.
  return mctx::test::run_tests_in_private_netns(
      argc, argv, {.others_may_exist_down = false, .how_to_run = "scripts/mctx-netns --peer"},
      "these tests send raw multicast");
}
