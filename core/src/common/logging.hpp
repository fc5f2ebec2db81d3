// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// How the core's sources log (the public side is <mctx/log.hpp>):
//
//   MCTX_LOG(LogLevel::info, "Publication::open", "publication %llu: ...", ...);
//
// The function is named explicitly, so lines from lambdas and helpers read
// as the API call they belong to. When the level is above the threshold the
// macro is one relaxed atomic load; the arguments are not evaluated.
// Internal header: not installed.

#include <atomic>

#include "mctx/log.hpp"

namespace mctx::internal {

extern std::atomic<int> g_log_threshold;

inline bool log_enabled(LogLevel level) noexcept {
  return static_cast<int>(level) <= g_log_threshold.load(std::memory_order_relaxed);
}

// Formats into a stack buffer (no allocation) and calls the handler.
void log_write(LogLevel level, const char* function, const char* format, ...) noexcept
    __attribute__((format(printf, 3, 4)));

}  // namespace mctx::internal

#define MCTX_LOG(level, function, ...)                           \
  do {                                                           \
    if (::mctx::internal::log_enabled(level)) {                  \
      ::mctx::internal::log_write(level, function, __VA_ARGS__); \
    }                                                            \
  } while (0)
