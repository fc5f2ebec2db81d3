// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The namespace guard of every test and benchmark binary that sends: it
// refuses to run unless the process is inside a private network namespace
// made by scripts/mctx-netns whose interfaces cannot lead off the machine,
// so nothing leaves the host even when a binary is started by hand.
//
// Plain POSIX and the standard library only: the benchmarks compile this
// file too (bench/meson.build), also when the tests are disabled.

#include <string>
#include <vector>

namespace mctx::test {

struct NetnsRules {
  // Interfaces that may be up in the namespace.
  std::vector<std::string> allowed_interfaces{"lo", "mctx0", "mctx1"};
  // Whether other interfaces may exist while down. A fresh namespace can
  // hold fallback tunnel devices (tunl0, sit0, ...) when their modules are
  // loaded; they are down and harmless. False: every interface present must
  // be an allowed one.
  bool others_may_exist_down = true;
  // Variables scripts/mctx-netns exports for the options the binary needs:
  // MCTX_VETH for --veth, MCTX_PEER_NETNS for --peer. MCTX_NETNS=1 is
  // always required.
  std::vector<std::string> required_env{};
  // How to run the binary, for messages ("scripts/mctx-netns --peer").
  std::string how_to_run = "scripts/mctx-netns";
};

// True when this process runs in a namespace made by scripts/mctx-netns
// (MCTX_NETNS=1 and the required variables set; not PID 1's namespace,
// where /proc/1 is readable) that satisfies `rules`. Otherwise false and
// `why` says what is wrong.
bool safe_namespace(const NetnsRules& rules, std::string& why);

// For main(): true when safe_namespace(); otherwise prints
// "SKIP: <what> and only run in a private namespace (<why>)" to stderr,
// and the caller exits with kSkipExitCode.
bool require_private_netns(const NetnsRules& rules, const char* what);

// The exit status meson counts as a skipped test.
inline constexpr int kSkipExitCode = 77;

}  // namespace mctx::test
