// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// GoogleTest binaries that send: their main() and the skip of a test that
// needs a peer host. Header only: the support library itself does not link
// GoogleTest.

#include <gtest/gtest.h>

#include "netns_guard.hpp"
#include "receiver.hpp"

namespace mctx::test {

// main() of a test binary that sends: runs the tests only inside a private
// namespace that satisfies `rules` (see netns_guard.hpp), otherwise skips
// (exit 77) with a message saying why.
inline int run_tests_in_private_netns(int argc, char** argv, const NetnsRules& rules,
                                      const char* what = "these tests send multicast") {
  if (!require_private_netns(rules, what)) return kSkipExitCode;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

}  // namespace mctx::test

// In a test or SetUp(): skips unless run under scripts/mctx-netns --peer.
#define MCTX_REQUIRE_PEER()                                                \
  do {                                                                     \
    if (::mctx::test::peer_netns().empty())                                \
      GTEST_SKIP() << "needs scripts/mctx-netns --peer (MCTX_PEER_NETNS)"; \
  } while (0)
