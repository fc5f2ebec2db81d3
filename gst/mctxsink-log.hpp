// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The mctxsink debug category, and libmctx-core's log lines in it
// (mctxsink-log.cpp; not installed).

#include <gst/gst.h>

GST_DEBUG_CATEGORY_EXTERN(gst_mctx_sink_debug);

namespace mctx::gst {

// libmctx-core's log lines (mctxsink-log.cpp)

// Installs the core's log handler that writes into the mctxsink debug
// category, unless the application installed its own. Called when the
// plugin loads, after the category exists.
void route_core_log() noexcept;
// Sets the core's threshold from the category's (at start()).
void sync_core_log_threshold() noexcept;


}  // namespace mctx::gst
