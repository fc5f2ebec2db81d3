// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The instance data of mctxsink (not installed): its runtime state and
// private part, shared by gstmctxsink.cpp (lifecycle, streaming,
// properties, URI handler) and mctxsink-signals.cpp (the action signals).

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

#include <memory>
#include <mutex>

#include "gstmctxsink.h"
#include "mctxsink-deliver.hpp"
#include "mctxsink-destination-list.hpp"
#include "mctxsink-destinations.hpp"
#include "mctxsink-metrics-file.hpp"
#include "mctxsink-metrics.hpp"
#include "mctxsink-sdp.hpp"
#include "mctxsink-settings.hpp"

namespace mctx::gst {

// Runtime state: exists between start() and stop(), built from a copy of the
// settings. render()/render_list() use it without locking (they never run
// concurrently with start()/stop()); other threads hold SinkPrivate::state_mutex
// to read it, and SinkPrivate::run_mutex to change its destinations.
struct SinkState {
  SinkState(GstBaseSink* sink, const Settings& s, std::unique_ptr<DestinationSet> d)
      : settings(s), set(std::move(d)), fanout(sink, *set) {}

  Settings settings;                   // the copy start() used
  std::unique_ptr<DestinationSet> set; // every destination of the run
  Fanout fanout;                       // buffers to every destination (streaming thread)
  std::unique_ptr<Announcement> announcement;  // SDP and SAP; nullptr in raw mode
  std::shared_ptr<MetricsFile> metrics_file;   // the metrics-file property; or nullptr
};

struct SinkPrivate {
  explicit SinkPrivate(GstElement* element) : poster(element) {}

  // Serialises start(), stop() and the add/remove/clear signals: the set of
  // destinations changes under it. Never held while a message is posted.
  std::mutex run_mutex;

  std::mutex settings_mutex;
  Settings settings;          // under settings_mutex
  Destinations destinations;  // under settings_mutex: the destinations property
  bool started = false;  // under settings_mutex: between start() and stop()

  std::mutex state_mutex;
  std::unique_ptr<SinkState> state;  // pointer changes under run_mutex and state_mutex

  Waiter waiter;         // the streaming thread's waits; unlock() interrupts them
  MetricsPoster poster;  // mctx-metrics messages and the stats timer
};


// Installs the action signals add, remove, clear and get-metrics on the
// element class (mctxsink-signals.cpp).
void install_signals(GObjectClass* klass);

}  // namespace mctx::gst

struct _GstMctxSink {
  GstBaseSink parent;
  mctx::gst::SinkPrivate* priv;
};
