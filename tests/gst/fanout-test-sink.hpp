// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The GstBaseSink of the tests that compile mctxsink's send path (Fanout,
// DestinationSet, Delivery) into their binary instead of loading the plugin.

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

// Delivery and the Fanout need a GstBaseSink: they post messages on it when
// something goes wrong and wait for preroll on it when unlocked. These
// binaries load no plugin (the gst sources are compiled in, and the system
// plugins are off), so the sink is a minimal subclass of the abstract
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
