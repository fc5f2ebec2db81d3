// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The metrics file of mctxsink (not installed): the metrics-file property.
// The rows of docs/metrics-file.md (a row per destination and a totals row
// per interval), written with mctx::JsonlWriter, the writer mctx-send uses
// (mctxsink-metrics-file.cpp).
//
// Threads. write_interval() runs on the stats timer's thread (the system
// clock's async thread, see StatsTimer), finish() on the thread that stops
// the element: never on the streaming thread, so a slow disk cannot hold
// up buffers. The file's own mutex orders sampling and writing, so rows stay
// in time order when a tick and stop() meet; the sample function takes the
// element's locks only to read the counters, never while writing.

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mctx/jsonl.hpp"
#include "mctx/metrics.hpp"
#include "mctx/result.hpp"
#include "mctxsink-destinations.hpp"
#include "mctxsink-errors.hpp"
#include "mctxsink-settings.hpp"

namespace mctx::gst {

// The header's producer.
inline constexpr const char* kMetricsFileProducer = "mctx/mctxsink";

class MetricsFile {
 public:
  using OpenResult = mctx::Result<std::shared_ptr<MetricsFile>, StartError>;
  // The run's counters now, or nullopt when the run that opened this file
  // has stopped (then nothing is written).
  using Sample = std::function<std::optional<SetSample>()>;

  // Opens (creating it if needed) and locks s.metrics_file with the header
  // of these settings (node_id: the file's folder name, producer
  // kMetricsFileProducer, flags: group, port, interface, ...); the first
  // interval starts now, with every counter 0. The error names the
  // property, the path and the reason (cannot open, locked by another
  // writer, not a metrics file or another sender's header).
  static OpenResult open(const Settings& s);

  explicit MetricsFile(mctx::JsonlWriter writer)
      : path_(writer.path()),
        repaired_(writer.repaired()),
        recorder_(std::in_place, std::move(writer)) {}
  MetricsFile(const MetricsFile&) = delete;
  MetricsFile& operator=(const MetricsFile&) = delete;

  // Samples (under this file's lock) and appends one interval. Returns the
  // warning to post ("" = none): the text of the first failed write; later
  // failures are only counted (errors()).
  std::string write_interval(const Sample& sample);
  // Appends the final interval of `last` (the stopped run's counters),
  // syncs the file to disk and closes it: later writes do nothing. Returns
  // a warning as write_interval() does.
  std::string finish(const SetSample& last);

  // Failed writes (and a failed final sync) so far.
  guint64 errors() const noexcept { return errors_.load(std::memory_order_relaxed); }
  const std::string& path() const noexcept { return path_; }
  // What opening repaired in an existing file (an incomplete last row cut
  // off), or "": the start posts it as a WARNING.
  const std::string& repaired() const noexcept { return repaired_; }

 private:
  std::string append(const SetSample& s);       // mutex_ held
  std::string failed(const std::string& what);  // mutex_ held

  const std::string path_;
  const std::string repaired_;
  std::mutex mutex_;
  std::optional<mctx::JsonlRecorder> recorder_;  // under mutex_; nullopt once finished
  bool warned_ = false;                          // under mutex_
  std::atomic<guint64> errors_{0};
};

// Posts `warning` (from write_interval() or finish()) as a WARNING message of
// `element` naming the metrics-file property; nothing when it is empty. Call
// with no lock held: a synchronous bus handler may stop the element.
void post_metrics_file_warning(GstElement* element, const std::string& warning);

// The start's note when the file gets no periodic rows (stats-interval 0),
// or "".
std::string metrics_file_start_note(const Settings& s);

}  // namespace mctx::gst
