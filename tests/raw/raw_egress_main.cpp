// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// main() of the raw egress tests (route-selected egress, raw IP control
// transmit): refuses to run (exit 77, meson's skip) outside a private
// namespace holding only lo and the two mctx veth pairs
// (scripts/mctx-netns --peer --veth2).

#include <gtest/gtest.h>

#include "netns_guard.hpp"

int main(int argc, char** argv) {
  const mctx::test::NetnsRules rules{
      .allowed_interfaces = {"lo", "mctx0", "mctx1", "mctx2", "mctx3"},
      .others_may_exist_down = false,
      .how_to_run = "scripts/mctx-netns --peer --veth2"};
  if (!mctx::test::require_private_netns(rules, "these tests send raw datagrams")) {
    return mctx::test::kSkipExitCode;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
