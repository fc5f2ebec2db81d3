// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// main() of the kernel tests (scripts/mctx-netns --peer): they send, so they
// run only inside a private namespace holding lo and the veth pair.

#include "gtest_netns.hpp"

int main(int argc, char** argv) {
  return mctx::test::run_tests_in_private_netns(
      argc, argv, {.required_env = {"MCTX_PEER_NETNS", "MCTX_VETH"},
                   .how_to_run = "scripts/mctx-netns --peer"});
}
