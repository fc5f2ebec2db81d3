// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The one main() of the mctxsink gst-check programs. A program defines its
// tests with MCTX_GST_TEST(name) ... GST_END_TEST (they register themselves,
// in the order they are written) and ends with
//
//   MCTX_GST_CHECK_MAIN({.suite = "mctxsink-send", .netns = netns_lo()});
//
// main() refuses to run outside a private network namespace made by
// scripts/mctx-netns (exit 77, skipped), initialises gst-check, and runs
// every registered test in one test case of the suite.

#include <gst/check/gstcheck.h>

#include <vector>

#include "netns_guard.hpp"

namespace mctx_gst_test {

// One program: its suite, the namespace it needs, and how to run its tests.
struct Program {
  const char* suite = nullptr;            // "mctxsink-send"
  mctx::test::NetnsRules netns;           // one of the netns_*() below
  int timeout = 0;                        // seconds a test may take (0: CK_DEFAULT_TIMEOUT)
  void (*setup)() = nullptr;              // run before each test (checked fixture)
  void (*init)() = nullptr;               // run once after gst_check_init()
  // Run first (inside the namespace): an exit status to stop there with
  // (a child process of a test), or -1 to run the tests.
  int (*child)() = nullptr;
};

// The namespaces of scripts/mctx-netns, as its options make them.
inline mctx::test::NetnsRules netns_lo() { return {.how_to_run = "scripts/mctx-netns"}; }
inline mctx::test::NetnsRules netns_veth() {
  return {.required_env = {"MCTX_VETH"}, .how_to_run = "scripts/mctx-netns --veth"};
}
// `strict`: no other interface may exist, even down (raw sockets).
inline mctx::test::NetnsRules netns_peer(bool strict = false) {
  return {.others_may_exist_down = !strict,
          .required_env = {"MCTX_PEER_NETNS"},
          .how_to_run = "scripts/mctx-netns --peer"};
}
inline mctx::test::NetnsRules netns_peer2() {
  return {.allowed_interfaces = {"lo", "mctx0", "mctx1", "mctx2", "mctx3"},
          .required_env = {"MCTX_PEER_NETNS", "MCTX_PEER2_NETNS", "MCTX_VETH2"},
          .how_to_run = "scripts/mctx-netns --peer2"};
}

struct RegisteredTest {
  TFun fn;
  const char* name;
};

inline std::vector<RegisteredTest>& registered_tests() {
  static std::vector<RegisteredTest> tests;
  return tests;
}

struct Register {
  Register(TFun fn, const char* name) { registered_tests().push_back({fn, name}); }
};

inline int run_program(int argc, char** argv, const Program& p) {
  if (!mctx::test::require_private_netns(p.netns, "mctxsink's tests send multicast")) {
    return mctx::test::kSkipExitCode;
  }
  if (p.child) {
    if (const int status = p.child(); status >= 0) return status;
  }
  gst_check_init(&argc, &argv);
  if (p.init) p.init();
  Suite* s = suite_create(p.suite);
  TCase* tc = tcase_create(p.suite);
  if (p.timeout > 0) tcase_set_timeout(tc, p.timeout);
  if (p.setup) tcase_add_checked_fixture(tc, p.setup, nullptr);
  suite_add_tcase(s, tc);
  // gst-check's _tcase_add_test (GST_CHECKS selects tests by name).
  for (const auto& t : registered_tests()) _tcase_add_test(tc, t.fn, t.name, 0, 0, 0, 1);
  return gst_check_run_suite(s, p.suite, __FILE__);
}

}  // namespace mctx_gst_test

// A test of this program: MCTX_GST_TEST(test_name) { ... } GST_END_TEST;
#define MCTX_GST_TEST(name)                                                   \
  static void name(int);                                                      \
  static const mctx_gst_test::Register name##_registered(name, #name);        \
  GST_START_TEST(name)

#define MCTX_GST_CHECK_MAIN(...)                                              \
  int main(int argc, char** argv) {                                           \
    return mctx_gst_test::run_program(argc, argv, mctx_gst_test::Program __VA_ARGS__); \
  }
