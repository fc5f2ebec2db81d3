// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// libmctx-core's log lines in the mctxsink debug category: the core's
// handler (mctx/log.hpp) writes each line with gst_debug_log() at the
// matching GStreamer level, naming the core function that logged. The core's
// threshold follows the category's, read when the plugin loads and again at
// every start(), so GST_DEBUG=mctxsink:6 shows a line per send and
// mctxsink:4 the socket each publication opened with.

#include <gst/gst.h>

#include "mctx/log.hpp"
#include "mctxsink-log.hpp"

// The mctxsink debug category (initialised when the element type is
// registered, or by a test program that links the internal library).
GST_DEBUG_CATEGORY(gst_mctx_sink_debug);

namespace mctx::gst {

namespace {

GstDebugLevel to_gst(mctx::LogLevel level) noexcept {
  switch (level) {
    case mctx::LogLevel::error:
      return GST_LEVEL_ERROR;
    case mctx::LogLevel::warning:
      return GST_LEVEL_WARNING;
    case mctx::LogLevel::info:
      return GST_LEVEL_INFO;
    case mctx::LogLevel::debug:
      return GST_LEVEL_DEBUG;
    case mctx::LogLevel::log:
      return GST_LEVEL_LOG;
    case mctx::LogLevel::none:
      break;
  }
  return GST_LEVEL_NONE;
}

mctx::LogLevel from_gst(GstDebugLevel threshold) noexcept {
  if (!gst_debug_is_active()) return mctx::LogLevel::none;
  if (threshold >= GST_LEVEL_LOG) return mctx::LogLevel::log;
  if (threshold >= GST_LEVEL_DEBUG) return mctx::LogLevel::debug;
  if (threshold >= GST_LEVEL_INFO) return mctx::LogLevel::info;
  if (threshold >= GST_LEVEL_WARNING) return mctx::LogLevel::warning;
  if (threshold >= GST_LEVEL_ERROR) return mctx::LogLevel::error;
  return mctx::LogLevel::none;
}

void to_category(mctx::LogLevel level, const char* function, const char* message, void*) {
  gst_debug_log(gst_mctx_sink_debug, to_gst(level), "libmctx-core", function, 0, nullptr, "%s",
                message);
}

mctx::LogLevel category_threshold() noexcept {
  return from_gst(gst_debug_category_get_threshold(gst_mctx_sink_debug));
}

}  // namespace

void route_core_log() noexcept {
  // An application that installed its own handler keeps it.
  const mctx::LogHandler current = mctx::log_handler();
  if (current != nullptr && current != &to_category) return;
  mctx::set_log_handler(&to_category, nullptr, category_threshold());
}

void sync_core_log_threshold() noexcept {
  if (mctx::log_handler() == &to_category) mctx::set_log_threshold(category_threshold());
}

}  // namespace mctx::gst
