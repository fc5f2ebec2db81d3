// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Lifecycle of mctxsink's metrics timer, inside a private network namespace
// (sending over lo): a restart from a synchronous bus handler on the timer's
// own message, the threads that fifty sinks cost, a stats-interval change
// while the element starts, and finalize while ticks are due.

#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include "gst-test-util.hpp"

using namespace mctx_gst_test;
using Clock = std::chrono::steady_clock;

static const char* const kGroup = "239.1.2.5";

// Threads of this process.
static int thread_count() {
  DIR* d = opendir("/proc/self/task");
  fail_unless(d != nullptr, "cannot read /proc/self/task");
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') n++;
  }
  closedir(d);
  return n;
}

static bool is_metrics(GstMessage* m, const char* reason) {
  if (GST_MESSAGE_TYPE(m) != GST_MESSAGE_ELEMENT) return false;
  const GstStructure* s = gst_message_get_structure(m);
  return s != nullptr && gst_structure_has_name(s, "mctx-metrics") &&
         field_string(s, "reason") == reason;
}

// An application's synchronous bus handler that restarts the element (NULL,
// then PLAYING) on the first interval message, on the timer's own thread,
// and records when every interval message came.
struct Restarter {
  GstElement* element = nullptr;
  std::atomic<bool> restarted{false};
  std::atomic<bool> restart_ok{false};
  std::mutex m;
  std::vector<Clock::time_point> intervals;  // under m
  Clock::time_point restarted_at;            // under m

  static GstBusSyncReply handler(GstBus*, GstMessage* msg, gpointer data) {
    auto* self = static_cast<Restarter*>(data);
    if (is_metrics(msg, "interval")) {
      {
        std::lock_guard<std::mutex> lk(self->m);
        self->intervals.push_back(Clock::now());
      }
      if (!self->restarted.exchange(true)) {
        const bool down = gst_element_set_state(self->element, GST_STATE_NULL) ==
                          GST_STATE_CHANGE_SUCCESS;
        const bool up = gst_element_set_state(self->element, GST_STATE_PLAYING) ==
                        GST_STATE_CHANGE_SUCCESS;
        std::lock_guard<std::mutex> lk(self->m);
        self->restarted_at = Clock::now();
        self->restart_ok = down && up;
      }
    }
    gst_message_unref(msg);
    return GST_BUS_DROP;
  }
};

// Restarting from the handler leaves exactly one timer: one interval message
// per interval afterwards, and no thread more than before the restart.
MCTX_GST_TEST(test_restart_from_sync_handler_keeps_one_timer) {
  Sink s;
  g_object_set(s.element, "group", kGroup, "interface", "lo", "stats-interval", 100u, nullptr);
  Restarter r;
  r.element = s.element;
  gst_bus_set_sync_handler(s.bus, &Restarter::handler, &r, nullptr);
  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_PLAYING),
                         GST_STATE_CHANGE_SUCCESS);
  mctx::test::wait_until([&] { return r.restarted.load(); }, std::chrono::seconds(3),
                         std::chrono::milliseconds(10));
  fail_unless(r.restarted.load(), "no interval message within 3 s");
  g_usleep(100 * 1000);
  const int threads_after_restart = thread_count();
  g_usleep(1100 * 1000);
  const int threads_later = thread_count();
  fail_unless(r.restart_ok.load(), "the restart from the handler failed");
  gst_element_set_state(s.element, GST_STATE_NULL);
  gst_bus_set_sync_handler(s.bus, nullptr, nullptr, nullptr);

  std::lock_guard<std::mutex> lk(r.m);
  // The interval messages in the 1 s window starting 100 ms after the
  // restart: 100 ms apart, about ten (two timers would give about twenty).
  const auto from = r.restarted_at + std::chrono::milliseconds(100);
  const auto to = from + std::chrono::milliseconds(1000);
  int in_window = 0;
  Clock::time_point prev{};
  for (const auto& t : r.intervals) {
    if (t < r.restarted_at) continue;
    if (prev != Clock::time_point{}) {
      const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(t - prev);
      fail_unless(gap.count() >= 60, "two interval messages %lld ms apart",
                  static_cast<long long>(gap.count()));
    }
    prev = t;
    if (t >= from && t < to) in_window++;
  }
  std::printf("interval messages in the second after the restart: %d; threads %d -> %d\n", in_window,
           threads_after_restart, threads_later);
  fail_unless(in_window >= 3 && in_window <= 11, "%d interval messages in 1 s at 100 ms",
              in_window);
  fail_unless(threads_later <= threads_after_restart, "threads grew from %d to %d",
              threads_after_restart, threads_later);
}
GST_END_TEST;

// Fifty running sinks with periodic metrics cost no thread each: the ticks
// share the system clock's one thread.
MCTX_GST_TEST(test_fifty_sinks_share_the_clock_thread) {
  const int before = thread_count();
  constexpr int kSinks = 50;
  std::vector<std::unique_ptr<Sink>> sinks;
  for (int i = 0; i < kSinks; ++i) {
    auto s = std::make_unique<Sink>();
    g_object_set(s->element, "group", kGroup, "interface", "lo", "port", 6000u + i,
                 "stats-interval", 50u, nullptr);
    fail_unless_equals_int(gst_element_set_state(s->element, GST_STATE_PLAYING),
                           GST_STATE_CHANGE_SUCCESS);
    sinks.push_back(std::move(s));
  }
  // Until every sink has posted an interval message (all timers run).
  std::vector<bool> seen(kSinks, false);
  int with_interval = 0;
  mctx::test::wait_until(
      [&] {
        for (int i = 0; i < kSinks; ++i) {
          while (GstMessage* m = gst_bus_pop(sinks[i]->bus)) {
            if (!seen[i] && is_metrics(m, "interval")) {
              seen[i] = true;
              ++with_interval;
            }
            gst_message_unref(m);
          }
        }
        return with_interval == kSinks;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(10));
  const int during = thread_count();
  std::printf("threads: %d before, %d with %d sinks running\n", before, during, kSinks);
  fail_unless_equals_int(with_interval, kSinks);
  fail_unless(during - before <= 2, "%d sinks added %d threads", kSinks, during - before);
  sinks.clear();
}
GST_END_TEST;

// stats-interval set while the element starts (here from a handler of the
// start warning raw mode posts, between start()'s copy of the settings and
// the timer's start) is not lost.
static GstBusSyncReply set_interval_on_warning(GstBus*, GstMessage* msg, gpointer data) {
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
    g_object_set(static_cast<GstElement*>(data), "stats-interval", 50u, nullptr);
  }
  return GST_BUS_PASS;
}

MCTX_GST_TEST(test_interval_change_while_starting_is_kept) {
  if (geteuid() != 0) {
    GST_INFO("skipped: raw mode needs CAP_NET_RAW (run as root)");
    return;
  }
  Sink s;
  // ttl is ignored in raw mode: start() posts a warning naming it.
  g_object_set(s.element, "raw-mode", TRUE, "interface", "lo", "ttl", 5u, "stats-interval", 0u,
               nullptr);
  gst_bus_set_sync_handler(s.bus, &set_interval_on_warning, s.element, nullptr);
  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_PLAYING),
                         GST_STATE_CHANGE_SUCCESS);
  // Until the warning and three interval messages are on the bus.
  int intervals = 0;
  bool warned = false;
  mctx::test::wait_until(
      [&] {
        while (GstMessage* m = gst_bus_pop(s.bus)) {
          intervals += is_metrics(m, "interval") ? 1 : 0;
          warned = warned || GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING;
          gst_message_unref(m);
        }
        return warned && intervals >= 3;
      },
      std::chrono::seconds(5), std::chrono::milliseconds(10));
  gst_bus_set_sync_handler(s.bus, nullptr, nullptr, nullptr);
  guint interval = 0;
  g_object_get(s.element, "stats-interval", &interval, nullptr);
  fail_unless_equals_int(interval, 50);
  fail_unless(warned, "no start warning: the test proves nothing");
  fail_unless(intervals >= 3, "%d interval messages within 5 s at 50 ms", intervals);
}
GST_END_TEST;

// Elements stopped and finalized while their ticks are due, some from the
// timer's own thread: nothing runs after finalize (ASan and the sanitizer
// build see a use after free).
static GstBusSyncReply stop_on_interval(GstBus*, GstMessage* msg, gpointer data) {
  if (is_metrics(msg, "interval")) {
    gst_element_set_state(static_cast<GstElement*>(data), GST_STATE_NULL);
  }
  gst_message_unref(msg);
  return GST_BUS_DROP;
}

MCTX_GST_TEST(test_finalize_while_ticks_are_due) {
  for (int i = 0; i < 40; ++i) {
    auto s = std::make_unique<Sink>();
    g_object_set(s->element, "group", kGroup, "interface", "lo", "stats-interval", 1u, nullptr);
    if (i % 2 == 0) gst_bus_set_sync_handler(s->bus, &stop_on_interval, s->element, nullptr);
    fail_unless_equals_int(gst_element_set_state(s->element, GST_STATE_PLAYING),
                           GST_STATE_CHANGE_SUCCESS);
    g_usleep(static_cast<gulong>(1000 + (i % 5) * 700));
    g_object_set(s->element, "stats-interval", 2u, nullptr);
    s.reset();  // NULL, then the last reference
  }
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-lifecycle", .netns = netns_lo(), .timeout = 60});
