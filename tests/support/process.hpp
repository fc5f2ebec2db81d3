// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Programs the tests run: the tools under test, and ip / tc / ethtool to
// shape the namespace they run in.

#include <string>
#include <vector>

namespace mctx::test {

// A program's exit status and output.
struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs argv (argv[0] looked up on PATH) and collects its output.
ProcessResult run_process(const std::vector<std::string>& argv);

// Runs `command` with sh -ec in this namespace, or in the namespace at
// netns_path (nsenter). Returns sh's exit status; 0 is success.
int shell(const std::string& command, const std::string& netns_path = "");

}  // namespace mctx::test
