// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Waiting for something to happen: poll a condition until a deadline,
// rather than pausing for a guessed time.

#include <chrono>
#include <thread>

namespace mctx::test {

// Calls `done` every `step` until it returns true (then true) or `timeout`
// passes (then false, after one last look).
template <class Done>
bool wait_until(Done&& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(1)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(step);
  }
  return true;
}

}  // namespace mctx::test
