// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The metrics of mctxsink: see mctxsink-metrics.hpp.

#include "mctxsink-metrics.hpp"

#include <chrono>
#include <exception>
#include <new>

#include "mctxsink-deliver.hpp"
#include "mctxsink-backend.hpp"
#include "mctxsink-log.hpp"
#include "mctxsink-settings.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

namespace mctx::gst {

// ---------------------------------------------------------------------------
// Structures

mctx::Delta Rates::take(const mctx::SendCounters& counters, bool advance) noexcept {
  mctx::Snapshot now;
  now.wall_time = std::chrono::system_clock::now();
  now.monotonic_time = std::chrono::steady_clock::now();
  now.active_publications = 1;
  now.send = counters;
  const auto& prev = sampler_.previous();
  if (!prev) {
    (void)sampler_.sample(now);
    return mctx::make_delta(now, now);
  }
  if (!advance) return mctx::make_delta(*prev, now);
  auto sampled = sampler_.sample(now);
  return sampled ? *sampled : mctx::make_delta(now, now);
}

GstStructure* metrics_structure(const char* name, const MetricsFields& f, const mctx::Delta& d,
                                const char* reason) {
  const mctx::SendCounters& c = f.send;
  const DropCounts& k = f.drops;
  return gst_structure_new(name,                                                   //
                           "group", G_TYPE_STRING, f.group.c_str(),                //
                           "port", G_TYPE_UINT, f.port,                            //
                           "mode", G_TYPE_STRING, f.mode,                          //
                           "packets-sent", G_TYPE_UINT64, guint64(c.packets_sent),
                           "bytes-sent", G_TYPE_UINT64, guint64(c.bytes_sent),
                           "send-calls", G_TYPE_UINT64, guint64(c.send_calls),
                           "send-errors", G_TYPE_UINT64, guint64(c.send_errors),
                           "would-block", G_TYPE_UINT64, guint64(c.would_block),
                           "gso-sends", G_TYPE_UINT64, guint64(c.gso_sends),       //
                           "dropped", G_TYPE_UINT64, k.dropped,                    //
                           "queue-full", G_TYPE_UINT64, guint64(c.queue_full),     //
                           "queue-full-dropped", G_TYPE_UINT64, k.queue_full_dropped,
                           "outage-dropped", G_TYPE_UINT64, k.outage_dropped,      //
                           "outages", G_TYPE_UINT64, k.outages,                    //
                           "interval", GST_TYPE_CLOCK_TIME, GstClockTime(d.interval.count()),
                           "packets-per-second", G_TYPE_DOUBLE, d.packets_per_sec,  //
                           "bytes-per-second", G_TYPE_DOUBLE, d.bytes_per_sec,      //
                           "reason", G_TYPE_STRING, reason,                         //
                           nullptr);
}

// ---------------------------------------------------------------------------
// RunMetrics

namespace {

const char* state_name(Delivery::State s) noexcept {
  switch (s) {
    case Delivery::State::sending: return "sending";
    case Delivery::State::waiting: return "waiting";
    case Delivery::State::outage: return "outage";
    case Delivery::State::failed: return "failed";
  }
  return "sending";
}

}  // namespace

RunMetrics::RunMetrics(std::string uri, const Settings& settings, const Backend& backend,
                       const Delivery& delivery)
    : uri_(std::move(uri)),
      group_(settings.group),
      port_(settings.port),
      backend_(backend),
      delivery_(delivery) {
  (void)rates_.take(backend_.counters(), true);  // the first interval starts now
}

MetricsFields RunMetrics::fields() const {
  return MetricsFields{group_, port_, backend_.mode(), backend_.counters(),
                       delivery_.drop_counts()};
}

GstStructure* RunMetrics::structure(const MetricsFields& f, const char* reason, bool advance) {
  GstStructure* s = metrics_structure("mctx-destination", f, rates_.take(f.send, advance), reason);
  gst_structure_set(s, "uri", G_TYPE_STRING, uri_.c_str(),  //
                    "state", G_TYPE_STRING, state_name(delivery_.state()), nullptr);
  backend_.append_stats(s);
  return s;
}

GstStructure* stopped_metrics(const Settings& settings) {
  MetricsFields f;
  f.group = settings.group;
  f.port = settings.port;
  f.mode = settings.raw_mode ? "raw" : "udp";
  if (settings.raw_mode) {  // each datagram has its own destination
    f.group.clear();
    f.port = 0;
  }
  const auto now = mctx::Snapshot{};
  GstStructure* s = metrics_structure("mctx-metrics", f, mctx::make_delta(now, now), "query");
  GValue array = G_VALUE_INIT;
  gst_value_array_init(&array, 0);
  gst_structure_set(s, "destination-count", G_TYPE_UINT, 0u, nullptr);
  gst_structure_take_value(s, "destinations", &array);
  return s;
}

// ---------------------------------------------------------------------------
// MetricsPoster

void MetricsPoster::post(Post what, const Build& build) {
  GstStructure* s = nullptr;
  {
    // The lock covers the EOS flag and the sample, not the posting: a
    // synchronous bus handler may change the element's state (stop() posts
    // too, from another thread, while it holds the state lock).
    std::lock_guard<std::recursive_mutex> lk(mutex_);
    if (what == Post::interval && at_eos_) return;
    if (what == Post::eos) at_eos_ = true;
    const char* reason = what == Post::interval ? "interval" : what == Post::eos ? "eos" : "stop";
    try {
      s = build(reason);
    } catch (const std::exception& e) {
      GST_ERROR_OBJECT(element_, "Could not build the metrics message: %s", e.what());
      return;
    }
  }
  if (s == nullptr) return;
  GST_LOG_OBJECT(element_, "Posting %" GST_PTR_FORMAT, s);
  // Posted without the element's state mutex or ours: a synchronous bus
  // handler may read the metrics property or set the element's state.
  gst_element_post_message(element_, gst_message_new_element(GST_OBJECT_CAST(element_), s));
}

void MetricsPoster::clear_eos() {
  std::lock_guard<std::recursive_mutex> lk(mutex_);
  at_eos_ = false;
}

// ---------------------------------------------------------------------------
// StatsTimer

// One run of the timer. Shared by the StatsTimer (while it is the current
// run) and by its scheduled clock id (the id's user data, released when the
// clock frees the id).
struct StatsTimer::Run {
  GstClock* clock = nullptr;  // a reference of its own
  GWeakRef owner;             // the element; a tick holds a strong reference
  std::function<void()> tick;

  std::mutex m;
  bool active = true;
  GstClockID id = nullptr;  // the scheduled tick (owned), or nullptr
  guint interval_ms = 0;

  Run(GstClock* c, GObject* o, std::function<void()> t) : clock(c), tick(std::move(t)) {
    g_weak_ref_init(&owner, o);
  }
  ~Run() {
    if (id != nullptr) gst_clock_id_unref(id);
    g_weak_ref_clear(&owner);
    gst_object_unref(clock);
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // Schedules the next tick `interval_ms` after `from` (never in the past).
  // Call with m held.
  void schedule(const std::shared_ptr<Run>& self, GstClockTime from) noexcept;
  void cancel() noexcept {  // with m held
    if (id == nullptr) return;
    gst_clock_id_unschedule(id);
    gst_clock_id_unref(id);
    id = nullptr;
  }

  static gboolean on_tick(GstClock* clock, GstClockTime time, GstClockID id, gpointer data);
};

namespace {

void release_run(gpointer data) { delete static_cast<std::shared_ptr<StatsTimer::Run>*>(data); }

}  // namespace

void StatsTimer::Run::schedule(const std::shared_ptr<Run>& self, GstClockTime from) noexcept {
  cancel();
  if (!active || interval_ms == 0) return;
  const GstClockTime period = static_cast<GstClockTime>(interval_ms) * GST_MSECOND;
  GstClockTime at = from + period;
  const GstClockTime now = gst_clock_get_time(clock);
  if (at <= now) at = now + period;
  auto* ref = new (std::nothrow) std::shared_ptr<Run>(self);
  if (ref == nullptr) {
    GST_ERROR("stats timer: out of memory, no more periodic messages");
    return;
  }
  GstClockID next = gst_clock_new_single_shot_id(clock, at);
  if (gst_clock_id_wait_async(next, &Run::on_tick, ref, release_run) != GST_CLOCK_OK) {
    GST_ERROR("stats timer: gst_clock_id_wait_async failed, no more periodic messages");
    gst_clock_id_unref(next);  // release_run ran or will run with the id
    return;
  }
  id = next;
}

gboolean StatsTimer::Run::on_tick(GstClock*, GstClockTime time, GstClockID fired, gpointer data) {
  const std::shared_ptr<Run>& run = *static_cast<std::shared_ptr<Run>*>(data);
  {
    std::lock_guard<std::mutex> lk(run->m);
    // An id that was unscheduled (stop, a new interval) may still fire once.
    if (!run->active || fired != run->id) return TRUE;
  }
  // The element cannot be finalized while the tick runs: it holds a strong
  // reference (none once the element is being disposed).
  if (GObject* owner = static_cast<GObject*>(g_weak_ref_get(&run->owner))) {
    try {
      run->tick();
    } catch (...) {
      GST_ERROR("stats timer: unexpected exception in a tick");
    }
    g_object_unref(owner);
  }
  std::lock_guard<std::mutex> lk(run->m);
  // Still this run's id (no stop, no new interval meanwhile): the next tick.
  if (run->active && fired == run->id) run->schedule(run, time);
  return TRUE;
}

StatsTimer::StatsTimer() noexcept
    : clock_(gst_system_clock_obtain()), interval_ms_(kDefaultStatsInterval) {}

StatsTimer::~StatsTimer() {
  stop();
  gst_object_unref(clock_);
}

bool StatsTimer::start(GObject* owner, std::function<void()> tick) noexcept {
  stop();
  try {
    auto run = std::make_shared<Run>(static_cast<GstClock*>(gst_object_ref(clock_)), owner,
                                     std::move(tick));
    std::lock_guard<std::mutex> lk(mutex_);
    run->interval_ms = interval_ms_;
    {
      std::lock_guard<std::mutex> rlk(run->m);
      run->schedule(run, gst_clock_get_time(clock_));
    }
    run_ = std::move(run);
    return true;
  } catch (...) {
    return false;
  }
}

void StatsTimer::set_interval(guint interval_ms) noexcept {
  std::lock_guard<std::mutex> lk(mutex_);
  interval_ms_ = interval_ms;
  if (!run_) return;
  std::lock_guard<std::mutex> rlk(run_->m);
  if (run_->interval_ms == interval_ms) return;
  run_->interval_ms = interval_ms;
  run_->schedule(run_, gst_clock_get_time(clock_));  // the new period starts now
}

void StatsTimer::stop() noexcept {
  std::shared_ptr<Run> run;
  {
    std::lock_guard<std::mutex> lk(mutex_);
    run = std::move(run_);
  }
  if (!run) return;
  std::lock_guard<std::mutex> lk(run->m);
  run->active = false;
  run->cancel();
}

}  // namespace mctx::gst
