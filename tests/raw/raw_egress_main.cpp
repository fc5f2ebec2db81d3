// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// main() of the raw egress tests (route-selected egress, raw IP control
// transmit): refuses to run (exit 77, meson's skip) outside a private
// namespace holding only lo and the two mctx veth pairs
// (scripts/mctx-netns --peer --veth2).

#include "gtest_netns.hpp"

int main(int argc, char** argv) {
  return mctx::test::run_tests_in_private_netns(
      argc, argv,
      {.allowed_interfaces = {"lo", "mctx0", "mctx1", "mctx2", "mctx3"},
       .others_may_exist_down = false,
       .how_to_run = "scripts/mctx-netns --peer --veth2"},
      "these tests send raw datagrams");
}
