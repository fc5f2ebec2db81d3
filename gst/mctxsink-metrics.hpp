// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The metrics of mctxsink (not installed): the `mctx-metrics` structure, the
// posting of element messages (periodic, at EOS, at stop) and the periodic
// timer (mctxsink-metrics.cpp).

#include <gst/gst.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "mctx/metrics.hpp"

namespace mctx::gst {

class Backend;
class Delivery;
struct Settings;

// One run's metrics: the counters of its backend and its delivery, and the
// sampler that turns them into interval rates. Not thread-safe: the element
// calls it with its state mutex held.
class RunMetrics {
 public:
  RunMetrics(const Settings& settings, const Backend& backend, const Delivery& delivery);

  // advance: a posted sample (the next interval starts now); otherwise (the
  // metrics property) the interval runs from the last posted sample to now
  // and the sampler is left alone.
  GstStructure* structure(const char* reason, bool advance);

 private:
  std::string group_;
  guint port_;
  const Backend& backend_;
  const Delivery& delivery_;
  mctx::Sampler sampler_;
};

// The structure of a stopped element: every counter 0 (never NULL).
GstStructure* stopped_metrics(const Settings& settings);

// ---------------------------------------------------------------------------
// The stats timer: a thread that calls tick() every interval, off the
// streaming thread. stop() joins it; set_interval() takes effect at once.
class StatsTimer {
 public:
  StatsTimer() = default;
  StatsTimer(const StatsTimer&) = delete;
  StatsTimer& operator=(const StatsTimer&) = delete;
  ~StatsTimer() { stop(); }

  bool start(guint interval_ms, std::function<void()> tick) noexcept;
  void set_interval(guint interval_ms) noexcept;
  void stop() noexcept;

 private:
  void run() noexcept;

  std::mutex m_;
  std::condition_variable cv_;
  std::thread thread_;
  std::function<void()> tick_;
  guint interval_ms_ = 0;
  bool stop_ = false;
  bool changed_ = false;
};

// ---------------------------------------------------------------------------
// Posting: one per element. Serialises building + posting of mctx-metrics
// messages, so that they reach the bus in the order they were sampled and
// no periodic one follows the "eos" one.

enum class Post { interval, eos, stop };

class MetricsPoster {
 public:
  // Builds the structure to post (nullptr: nothing to post); called with the
  // posting lock held, `reason` is "interval", "eos" or "stop".
  using Build = std::function<GstStructure*(const char* reason)>;

  explicit MetricsPoster(GstElement* element) noexcept : element_(element) {}

  void post(Post what, const Build& build);

  // Periodic messages resume (FLUSH_STOP, STREAM_START, start, stop).
  void clear_eos();

  // The periodic timer: tick() posts an interval message.
  bool start_timer(guint interval_ms, std::function<void()> tick) noexcept {
    return timer_.start(interval_ms, std::move(tick));
  }
  void set_interval(guint interval_ms) noexcept { timer_.set_interval(interval_ms); }
  void stop_timer() noexcept { timer_.stop(); }

 private:
  GstElement* element_;
  // Recursive: a synchronous bus handler may stop the element from inside a
  // post. Never held by the metrics property getter.
  std::recursive_mutex mutex_;
  bool at_eos_ = false;  // under mutex_: no periodic messages after EOS
  StatsTimer timer_;
};

}  // namespace mctx::gst
