// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The metrics of mctxsink (not installed): the `mctx-metrics` structure, the
// posting of element messages (periodic, at EOS, at stop) and the periodic
// timer (mctxsink-metrics.cpp).

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "mctx/metrics.hpp"
#include "mctxsink-deliver.hpp"

namespace mctx::gst {

class Backend;
struct Settings;

// Interval rates of a set of cumulative counters.
class Rates {
 public:
  Rates() noexcept = default;
  // advance: a posted sample (the next interval starts now); otherwise (the
  // metrics property, get-metrics) the interval runs from the last posted
  // sample to now and the sampler is left alone. The first call starts the
  // first interval.
  mctx::Delta take(const mctx::SendCounters& now, bool advance) noexcept;

 private:
  mctx::Sampler sampler_;
};

// What one `mctx-metrics` or `mctx-destination` structure reports.
struct MetricsFields {
  std::string group;
  guint port = 0;
  const char* mode = "udp";
  mctx::SendCounters send;
  DropCounts drops;
};

// A structure named `name` with the fields, the interval and rates of `d`,
// and `reason`.
GstStructure* metrics_structure(const char* name, const MetricsFields& f, const mctx::Delta& d,
                                const char* reason);

// The metrics of one destination: the counters of its backend and its
// delivery as an `mctx-destination` structure (with its URI and state). Not
// thread-safe: the caller serialises calls (DestinationSet's mutex).
class RunMetrics {
 public:
  RunMetrics(std::string uri, const Settings& settings, const Backend& backend,
             const Delivery& delivery);

  // The counters now.
  MetricsFields fields() const;
  // The structure of `f` (taken from fields()).
  GstStructure* structure(const MetricsFields& f, const char* reason, bool advance);

 private:
  std::string uri_;
  std::string group_;
  guint port_;
  const Backend& backend_;
  const Delivery& delivery_;
  Rates rates_;
};

// The structure of a stopped element: every counter 0, no destination (never
// NULL).
GstStructure* stopped_metrics(const Settings& settings);

// ---------------------------------------------------------------------------
// The stats timer. It owns no thread: each tick is a single-shot GstClockID
// of the system clock waited asynchronously (gst_clock_id_wait_async), so
// every timer of the process shares the system clock's one async thread.
//
// Each start() makes a new run (its own control block, shared with the
// scheduled clock id); stop() deactivates it and unschedules its id, so no
// tick of that run starts after stop() returns. stop() never waits for a
// tick in progress: it may be called from inside tick() (a synchronous bus
// handler stopping the element on the timer's own message), or while a
// handler on the timer's thread waits for the state lock stop()'s caller
// holds. A tick in progress holds a strong reference to the owner (taken
// from a weak one), so the owner is never finalized under it; a tick that
// finishes after stop() finds the element stopped and posts nothing.
//
// A tick that comes late (a slow handler, a loaded machine) is not caught
// up: the next one is one interval after it. The interval belongs to the
// timer, not to a run: set_interval() before start() is kept, and while
// running it reschedules at once.
class StatsTimer {
 public:
  StatsTimer() noexcept;
  ~StatsTimer();
  StatsTimer(const StatsTimer&) = delete;
  StatsTimer& operator=(const StatsTimer&) = delete;

  // Starts a new run with the current interval (0: no periodic ticks until
  // set_interval()); tick() runs while `owner` is alive. false: out of
  // memory.
  bool start(GObject* owner, std::function<void()> tick) noexcept;
  void set_interval(guint interval_ms) noexcept;
  void stop() noexcept;

  struct Run;  // mctxsink-metrics.cpp

 private:
  GstClock* clock_;
  std::mutex mutex_;  // guards run_ and interval_ms_
  std::shared_ptr<Run> run_;
  guint interval_ms_;
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
  bool start_timer(std::function<void()> tick) noexcept {
    return timer_.start(G_OBJECT(element_), std::move(tick));
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
