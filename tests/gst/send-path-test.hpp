// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// For the gst-check programs that test mctxsink's send path (Fanout,
// DestinationSet, Delivery, the backends) directly, linking the element's
// internal library instead of loading the plugin: a GstBaseSink to hand it,
// and the category their main() initialises (gst-check-main.hpp).

#include <gst/base/gstbasesink.h>
#include <gst/check/gstcheck.h>
#include <gst/gst.h>

#include <sstream>
#include <string>

#include "gst-check-main.hpp"
#include "mctxsink-log.hpp"

// Delivery and the Fanout need a GstBaseSink: they post messages on it when
// something goes wrong and wait for preroll on it when unlocked. These
// programs load no plugin (they link the element's internal library, and the
// system plugins are off), so the sink is a minimal subclass of the abstract
// GstBaseSink, never added to a pipeline (give it a bus with
// gst_element_set_bus() to read what it posts).
struct FanoutTestSink {
  GstBaseSink parent;
};
struct FanoutTestSinkClass {
  GstBaseSinkClass parent_class;
};
G_DEFINE_TYPE(FanoutTestSink, fanout_test_sink, GST_TYPE_BASE_SINK)
static void fanout_test_sink_class_init(FanoutTestSinkClass* klass) {
  static GstStaticPadTemplate sink_template =
      GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
  gst_element_class_add_static_pad_template(GST_ELEMENT_CLASS(klass), &sink_template);
}
static void fanout_test_sink_init(FanoutTestSink*) {}

// The text of a failure message: every argument streamed in turn.
template <class... Args>
std::string mctx_test_text(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// Program::init of such a program: the mctxsink debug category, which the
// plugin's init would have made.
inline void init_mctxsink_category() {
  GST_DEBUG_CATEGORY_INIT(gst_mctx_sink_debug, "mctxsink", 0, "mctx multicast sink");
}
