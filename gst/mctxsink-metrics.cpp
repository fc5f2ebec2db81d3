// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The metrics of mctxsink: see mctxsink-metrics.hpp.

#include "mctxsink-metrics.hpp"

#include <pthread.h>

#include <chrono>
#include <exception>

#include "mctxsink-deliver.hpp"
#include "mctxsink-private.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

namespace mctx::gst {

namespace {

mctx::Snapshot snapshot_now(const Backend& backend) noexcept {
  mctx::Snapshot s;
  s.wall_time = std::chrono::system_clock::now();
  s.monotonic_time = std::chrono::steady_clock::now();
  s.active_publications = 1;
  s.send = backend.counters();
  return s;
}

GstStructure* metrics_structure(const std::string& group, guint port, const char* mode,
                                const mctx::SendCounters& c, guint64 dropped,
                                GstClockTime interval, double pps, double bps,
                                const char* reason) {
  return gst_structure_new("mctx-metrics",                                    //
                           "group", G_TYPE_STRING, group.c_str(),              //
                           "port", G_TYPE_UINT, port,                          //
                           "mode", G_TYPE_STRING, mode,                        //
                           "packets-sent", G_TYPE_UINT64, guint64(c.packets_sent),
                           "bytes-sent", G_TYPE_UINT64, guint64(c.bytes_sent),
                           "send-calls", G_TYPE_UINT64, guint64(c.send_calls),
                           "send-errors", G_TYPE_UINT64, guint64(c.send_errors),
                           "would-block", G_TYPE_UINT64, guint64(c.would_block),
                           "gso-sends", G_TYPE_UINT64, guint64(c.gso_sends),
                           "dropped", G_TYPE_UINT64, dropped,                  //
                           "interval", GST_TYPE_CLOCK_TIME, interval,          //
                           "packets-per-second", G_TYPE_DOUBLE, pps,           //
                           "bytes-per-second", G_TYPE_DOUBLE, bps,             //
                           "reason", G_TYPE_STRING, reason,                    //
                           nullptr);
}

}  // namespace

// ---------------------------------------------------------------------------
// RunMetrics

RunMetrics::RunMetrics(const Settings& settings, const Backend& backend, const Delivery& delivery)
    : group_(settings.group), port_(settings.port), backend_(backend), delivery_(delivery) {
  (void)sampler_.sample(snapshot_now(backend_));  // the first interval starts now
}

GstStructure* RunMetrics::structure(const char* reason, bool advance) {
  const mctx::Snapshot now = snapshot_now(backend_);
  mctx::Delta d;
  if (advance) {
    auto sampled = sampler_.sample(now);
    d = sampled ? *sampled : mctx::make_delta(now, now);
  } else {
    const auto& prev = sampler_.previous();
    d = prev ? mctx::make_delta(*prev, now) : mctx::make_delta(now, now);
  }
  GstStructure* s = metrics_structure(group_, port_, backend_.mode(), now.send,
                                      delivery_.dropped(),
                                      static_cast<GstClockTime>(d.interval.count()),
                                      d.packets_per_sec, d.bytes_per_sec, reason);
  backend_.append_stats(s);
  return s;
}

GstStructure* stopped_metrics(const Settings& settings) {
  std::string group = settings.group;
  guint port = settings.port;
  const char* mode = settings.raw_mode ? "raw" : "udp";
  if (settings.raw_mode) {  // each datagram has its own destination
    group.clear();
    port = 0;
  }
  return metrics_structure(group, port, mode, mctx::SendCounters{}, 0, 0, 0.0, 0.0, "query");
}

// ---------------------------------------------------------------------------
// MetricsPoster

void MetricsPoster::post(Post what, const Build& build) {
  std::lock_guard<std::recursive_mutex> lk(mutex_);
  if (what == Post::interval && at_eos_) return;
  if (what == Post::eos) at_eos_ = true;
  const char* reason = what == Post::interval ? "interval" : what == Post::eos ? "eos" : "stop";
  GstStructure* s = nullptr;
  try {
    s = build(reason);
  } catch (const std::exception& e) {
    GST_ERROR_OBJECT(element_, "Could not build the metrics message: %s", e.what());
    return;
  }
  if (s == nullptr) return;
  GST_LOG_OBJECT(element_, "Posting %" GST_PTR_FORMAT, s);
  // Posted without the element's state mutex: a synchronous bus handler may
  // read the metrics property.
  gst_element_post_message(element_, gst_message_new_element(GST_OBJECT_CAST(element_), s));
}

void MetricsPoster::clear_eos() {
  std::lock_guard<std::recursive_mutex> lk(mutex_);
  at_eos_ = false;
}

// ---------------------------------------------------------------------------
// StatsTimer

bool StatsTimer::start(guint interval_ms, std::function<void()> tick) noexcept {
  stop();
  try {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = false;
    changed_ = false;
    interval_ms_ = interval_ms;
    tick_ = std::move(tick);
    thread_ = std::thread([this] { run(); });
    return true;
  } catch (...) {
    return false;
  }
}

void StatsTimer::set_interval(guint interval_ms) noexcept {
  {
    std::lock_guard<std::mutex> lk(m_);
    interval_ms_ = interval_ms;
    changed_ = true;
  }
  cv_.notify_all();
}

void StatsTimer::stop() noexcept {
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = true;
  }
  cv_.notify_all();
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    // stop() from inside tick() (an application stopping the element from
    // a synchronous bus handler): the loop sees stop_ and ends by itself.
    thread_.detach();
    return;
  }
  try {
    thread_.join();
  } catch (...) {
  }
}

void StatsTimer::run() noexcept {
  pthread_setname_np(pthread_self(), "mctxsink-stats");
  try {
    using clock = std::chrono::steady_clock;
    std::unique_lock<std::mutex> lk(m_);
    auto next = clock::now() + std::chrono::milliseconds(interval_ms_);
    auto woken = [this] { return stop_ || changed_; };
    while (!stop_) {
      if (changed_) {
        changed_ = false;
        next = clock::now() + std::chrono::milliseconds(interval_ms_);
      }
      if (interval_ms_ == 0) {
        cv_.wait(lk, woken);
        continue;
      }
      if (cv_.wait_until(lk, next, woken)) continue;
      lk.unlock();
      tick_();
      lk.lock();
      const auto period = std::chrono::milliseconds(interval_ms_);
      next += period;
      const auto now = clock::now();
      if (next <= now) next = now + period;
    }
  } catch (...) {
    GST_ERROR("stats timer stopped by an unexpected exception");
  }
}

}  // namespace mctx::gst
