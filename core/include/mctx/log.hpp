// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The log hook of libmctx-core: diagnostics for people, never needed for
// correctness (errors are returned as values, see error.hpp).
//
// The core is silent by default. An application installs one process-wide
// handler and a threshold; the core then reports, at
//   info   what each publication opened with: bound local address and port,
//          interface name and index, effective send buffer (SO_SNDBUF as the
//          kernel reports it), TTL / hop limit, loopback, DSCP;
//   log    every send: sizes and the result.
// mctxsink routes these lines into its GStreamer debug category (mctxsink),
// the CLIs to stderr with -v.
//
// Cost: with the threshold below a line's level, logging costs one relaxed
// atomic load and a compare; nothing is formatted. When a line is emitted it
// is formatted into a fixed stack buffer (at most kLogLineMax - 1 bytes,
// longer lines are cut) without heap allocation, so per-send lines keep the
// send path allocation-free.

#include <cstddef>
#include <cstdint>

#include "mctx/export.hpp"

namespace mctx {

// Levels, most severe first. A handler receives lines whose level is at most
// the threshold; `none` turns logging off.
enum class LogLevel : uint8_t { none = 0, error = 1, warning = 2, info = 3, debug = 4, log = 5 };

// "none", "error", "warning", "info", "debug", "log".
MCTX_API const char* log_level_name(LogLevel level) noexcept;

inline constexpr std::size_t kLogLineMax = 512;

// Receives one line. `function` names the core function that logs, as
// "Publication::open" (never empty); `message` is one line without a
// newline. Called on the thread that logs, possibly on several threads at
// once; must not throw and must not call set_log_handler().
using LogHandler = void (*)(LogLevel level, const char* function, const char* message,
                            void* user_data);

// Installs `handler` (nullptr: none) with its `user_data` and `threshold`.
// Meant to be called once, before publications are opened; a handler must
// stay callable until it is replaced. Without a handler nothing is logged
// whatever the threshold.
MCTX_API void set_log_handler(LogHandler handler, void* user_data, LogLevel threshold) noexcept;
// Changes the threshold only (any time, any thread).
MCTX_API void set_log_threshold(LogLevel threshold) noexcept;
MCTX_API LogLevel log_threshold() noexcept;
// The installed handler, nullptr if none.
MCTX_API LogHandler log_handler() noexcept;

}  // namespace mctx
