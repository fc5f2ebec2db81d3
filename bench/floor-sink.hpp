// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The floor of a GstBaseSink sender, a reference of mctx-gst-bench: the
// cheapest sink built on GstBaseSink that sends each buffer. Its render maps
// the buffer's memory, makes one send() on a connected UDP socket and unmaps;
// nothing else (no render_list: GstBaseSink renders a list buffer by buffer).
// GstBaseSink options as mctxsink's: enable-last-sample off; the benchmark
// sets sync=false async=false on every sink.

#include <gst/gst.h>

namespace mctx::bench {

// Element name of the floor sink, registered by register_floor_sink().
inline constexpr const char* kFloorSink = "mctxbenchfloorsink";

// Registers kFloorSink with GStreamer (no plugin: this process only).
// Idempotent; false if GStreamer refused it.
bool register_floor_sink();

// The connected socket the sink sends each buffer on; -1 (the default): it
// maps and unmaps each buffer and sends nothing (GstBaseSink and the map,
// without a system call). Set while the element is not running. The caller
// keeps the socket and closes it.
void floor_sink_set_fd(GstElement* sink, int fd);

// The probe of what a call level costs after a system call: send() is made
// `depth` nested calls below render (0 to kFloorMaxDepth; 0, the default, is
// the floor itself), each function on a page of its own, none a tail call.
inline constexpr int kFloorMaxDepth = 8;
void floor_sink_set_depth(GstElement* sink, int depth);

}  // namespace mctx::bench
