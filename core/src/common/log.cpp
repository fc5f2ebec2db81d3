// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The log hook: one process-wide handler, a threshold read with relaxed
// loads on every logging site, lines formatted on the stack.

#include "mctx/log.hpp"

#include <atomic>
#include <cstdarg>
#include <cstdio>

#include "common/logging.hpp"

namespace mctx {

namespace internal {
std::atomic<int> g_log_threshold{0};
}  // namespace internal

namespace {
std::atomic<LogHandler> g_handler{nullptr};
std::atomic<void*> g_user_data{nullptr};
std::atomic<int> g_wanted_threshold{0};  // as set; effective only with a handler

void apply_threshold() noexcept {
  const int wanted = g_wanted_threshold.load(std::memory_order_relaxed);
  internal::g_log_threshold.store(g_handler.load(std::memory_order_acquire) ? wanted : 0,
                                  std::memory_order_relaxed);
}
}  // namespace

const char* log_level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::none:
      return "none";
    case LogLevel::error:
      return "error";
    case LogLevel::warning:
      return "warning";
    case LogLevel::info:
      return "info";
    case LogLevel::debug:
      return "debug";
    case LogLevel::log:
      return "log";
  }
  return "unknown";
}

void set_log_handler(LogHandler handler, void* user_data, LogLevel threshold) noexcept {
  internal::g_log_threshold.store(0, std::memory_order_relaxed);
  g_user_data.store(user_data, std::memory_order_relaxed);
  g_handler.store(handler, std::memory_order_release);
  g_wanted_threshold.store(static_cast<int>(threshold), std::memory_order_relaxed);
  apply_threshold();
}

void set_log_threshold(LogLevel threshold) noexcept {
  g_wanted_threshold.store(static_cast<int>(threshold), std::memory_order_relaxed);
  apply_threshold();
}

LogLevel log_threshold() noexcept {
  return static_cast<LogLevel>(g_wanted_threshold.load(std::memory_order_relaxed));
}

LogHandler log_handler() noexcept { return g_handler.load(std::memory_order_acquire); }

namespace internal {

void log_write(LogLevel level, const char* function, const char* format, ...) noexcept {
  const LogHandler handler = g_handler.load(std::memory_order_acquire);
  if (handler == nullptr) return;
  char line[kLogLineMax];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (n < 0) return;
  handler(level, function, line, g_user_data.load(std::memory_order_relaxed));
}

}  // namespace internal
}  // namespace mctx
