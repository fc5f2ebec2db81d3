// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// main() of the core tests that send (scripts/mctx-netns --peer): refuses to
// run (exit 77) outside a private namespace holding only lo and the veth
// pair, so nothing can leave the machine even if the binary is started by hand.

#include "gtest_netns.hpp"

int main(int argc, char** argv) {
  return mctx::test::run_tests_in_private_netns(
      argc, argv, {.required_env = {"MCTX_PEER_NETNS", "MCTX_VETH"},
                   .how_to_run = "scripts/mctx-netns --peer"});
}
