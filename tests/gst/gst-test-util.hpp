// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Helpers shared by the mctxsink gst-check tests.

// C++ headers first: check.h defines a macro `fail` that breaks std::ios.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gst-check-main.hpp"
#include "mctx/address.hpp"
#include "receiver.hpp"
#include "wait.hpp"

#include <gio/gio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

namespace mctx_gst_test {

inline std::string str(const char* s) { return s ? s : ""; }

// Fails the test with `what` when f throws (Receiver and friends throw with
// context; an exception must not reach check's C code).
template <class F>
auto must(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    ck_abort_msg("%s: %s", what, e.what());
  } catch (...) {
    ck_abort_msg("%s: unknown exception", what);
  }
  throw 0;  // not reached
}

inline mctx::IpAddress addr(const char* text) {
  auto a = mctx::IpAddress::parse(text);
  fail_unless(a.has_value(), "bad test address %s", text);
  return *a;
}

// A receiver in this namespace, joined on `ifname` (nullptr: the kernel's
// choice), with a receive buffer of `buffer_bytes` (0: the kernel's).
inline std::unique_ptr<mctx::test::Receiver> receiver(const char* group, uint16_t port,
                                                      const char* ifname = nullptr,
                                                      int buffer_bytes = 0) {
  return must("creating the test receiver", [&] {
    const uint32_t idx = ifname ? mctx::test::ifindex(ifname) : 0;
    auto rx = std::make_unique<mctx::test::Receiver>(addr(group), port, idx);
    if (buffer_bytes > 0) rx->set_buffer_size(buffer_bytes);
    return rx;
  });
}

// A receiver on a peer host of scripts/mctx-netns (--peer: mctx1, --peer2:
// Peer::second, mctx3), source-specific when `source` is given, with a
// receive buffer of `buffer_bytes` (0: the kernel's) so that a busy machine
// does not make it drop.
inline std::unique_ptr<mctx::test::Receiver> peer_rx(
    const char* group, uint16_t port, const char* source = nullptr,
    mctx::test::Peer peer = mctx::test::Peer::first, int buffer_bytes = 0) {
  return must("creating a receiver on the peer host", [&] {
    std::optional<mctx::IpAddress> src;
    if (source) src = addr(source);
    auto rx = std::make_unique<mctx::test::Receiver>(
        mctx::test::peer_receiver(addr(group), port, src, peer));
    if (buffer_bytes > 0) rx->set_buffer_size(buffer_bytes);
    return rx;
  });
}

inline std::vector<mctx::test::Datagram> receive_n(mctx::test::Receiver& r, std::size_t n,
                                                   int idle_ms = 1000) {
  return must("receiving", [&] { return r.receive_n(n, std::chrono::milliseconds(idle_ms)); });
}

inline std::string payload_string(const mctx::test::Datagram& d) {
  return std::string(d.payload.begin(), d.payload.end());
}

// The text of packet i of a numbered stream ("packet-0007-xxxxxxx"; sizes vary).
inline std::string packet_text(int i) {
  char buf[64];
  g_snprintf(buf, sizeof buf, "packet-%04d-%s", i, std::string(i % 50, 'x').c_str());
  return buf;
}

// A buffer holding text (one memory).
inline GstBuffer* text_buffer(const std::string& text) {
  return gst_buffer_new_memdup(text.data(), text.size());
}

// A buffer made of several memories, one per part.
inline GstBuffer* multi_memory_buffer(const std::vector<std::string>& parts) {
  GstBuffer* b = gst_buffer_new();
  for (const auto& p : parts) {
    gpointer data = g_memdup2(p.data(), p.size());
    gst_buffer_append_memory(b, gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, data, p.size(),
                                                       0, p.size(), data, g_free));
  }
  return b;
}

// An mctxsink with properties set, a bus, async=FALSE (so that the harness
// can set it to PLAYING before any buffer arrives), and the harness it is
// handed to, torn down with it (or before, by teardown()).
struct Sink {
  GstElement* element = nullptr;
  GstBus* bus = nullptr;
  GstHarness* h = nullptr;

  Sink() {
    element = gst_element_factory_make("mctxsink", nullptr);
    fail_unless(element != nullptr, "mctxsink not found: check GST_PLUGIN_PATH_1_0");
    gst_object_ref_sink(element);
    bus = gst_bus_new();
    gst_element_set_bus(element, bus);
    g_object_set(element, "async", FALSE, nullptr);
  }
  ~Sink() {
    teardown();
    if (element) {
      gst_element_set_state(element, GST_STATE_NULL);
      gst_element_set_bus(element, nullptr);
      gst_object_unref(element);
    }
    if (bus) gst_object_unref(bus);
  }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  // Hands the element to a harness (which sets it to PLAYING).
  GstHarness* harness(const char* caps = "application/octet-stream") {
    fail_unless(h == nullptr, "the element already has a harness: teardown() it first");
    h = gst_harness_new_with_element(element, "sink", nullptr);
    gst_harness_set_src_caps_str(h, caps);
    return h;
  }
  // Tears the harness down (the element goes to NULL), if there is one.
  void teardown() {
    if (h) gst_harness_teardown(h);
    h = nullptr;
  }
};

// GStreamer 1.22 has no gst_harness_push_list().
inline GstFlowReturn push_list(GstHarness* h, GstBufferList* list) {
  return gst_pad_push_list(h->srcpad, list);
}

// Pushes buffers of the texts text_of(0) .. text_of(singles - 1) one by
// one, then text_of(singles) .. text_of(singles + listed - 1) in one list;
// every push returns OK.
inline void push_texts(GstHarness* h, int singles, int listed,
                       const std::function<std::string(int)>& text_of) {
  for (int i = 0; i < singles; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(text_of(i))), GST_FLOW_OK);
  }
  GstBufferList* list = gst_buffer_list_new();
  for (int i = singles; i < singles + listed; ++i)
    gst_buffer_list_add(list, text_buffer(text_of(i)));
  fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);
}

// Pushes packet_text(0 .. n-1) as single buffers, 120 ms apart after every
// tenth (so a stats-interval of 100 ms sees several intervals), then waits
// 150 ms. Returns the payload bytes pushed.
inline std::size_t push_packets_over_intervals(GstHarness* h, int n) {
  std::size_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    const std::string p = packet_text(i);
    bytes += p.size();
    fail_unless_equals_int(gst_harness_push(h, text_buffer(p)), GST_FLOW_OK);
    if (i % 10 == 9) g_usleep(120 * 1000);
  }
  g_usleep(150 * 1000);
  return bytes;
}

// Tries READY -> PAUSED on an element that must refuse; returns the error
// message posted on the bus ("" if none).
inline std::string start_error(Sink& s, std::string* debug = nullptr) {
  const GstStateChangeReturn ret = gst_element_set_state(s.element, GST_STATE_PAUSED);
  fail_unless_equals_int(ret, GST_STATE_CHANGE_FAILURE);
  GstMessage* msg = gst_bus_pop_filtered(s.bus, GST_MESSAGE_ERROR);
  if (msg == nullptr) return "";
  GError* err = nullptr;
  gchar* dbg = nullptr;
  gst_message_parse_error(msg, &err, &dbg);
  std::string text = err ? err->message : "";
  if (debug) *debug = str(dbg);
  g_clear_error(&err);
  g_free(dbg);
  gst_message_unref(msg);
  gst_element_set_state(s.element, GST_STATE_NULL);
  return text;
}

// Every mctx-metrics structure currently on the bus (copies; free with
// gst_structure_free), in order. Other messages are dropped, except that
// warnings are appended to *warnings when given.
inline std::vector<GstStructure*> pop_metrics(GstBus* bus, std::vector<std::string>* warnings = nullptr) {
  std::vector<GstStructure*> out;
  while (GstMessage* m = gst_bus_pop(bus)) {
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ELEMENT) {
      const GstStructure* s = gst_message_get_structure(m);
      if (s && gst_structure_has_name(s, "mctx-metrics")) out.push_back(gst_structure_copy(s));
    } else if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING && warnings) {
      GError* err = nullptr;
      gst_message_parse_warning(m, &err, nullptr);
      warnings->push_back(err ? err->message : "");
      g_clear_error(&err);
    }
    gst_message_unref(m);
  }
  return out;
}

inline guint64 u64(const GstStructure* s, const char* field) {
  guint64 v = 0;
  fail_unless(gst_structure_get_uint64(s, field, &v), "field %s missing in %s", field,
              gst_structure_get_name(s));
  return v;
}

inline std::string field_string(const GstStructure* s, const char* field) {
  return str(gst_structure_get_string(s, field));
}

// The element's metrics property (an mctx-metrics structure; free it).
inline GstStructure* stats(GstElement* e) {
  GstStructure* s = nullptr;
  g_object_get(e, "metrics", &s, nullptr);
  fail_unless(s != nullptr, "metrics is NULL");
  return s;
}

// The `destinations` array of an mctx-metrics structure.
inline guint entries(const GstStructure* metrics) {
  const GValue* d = gst_structure_get_value(metrics, "destinations");
  fail_unless(d != nullptr && GST_VALUE_HOLDS_ARRAY(d), "no destinations array in %s",
              gst_structure_get_name(metrics));
  return gst_value_array_get_size(d);
}
inline const GstStructure* entry(const GstStructure* metrics, guint i) {
  fail_unless(i < entries(metrics), "no destinations[%u]", i);
  const GValue* v = gst_value_array_get_value(gst_structure_get_value(metrics, "destinations"), i);
  fail_unless(GST_VALUE_HOLDS_STRUCTURE(v), "destinations[%u] is not a structure", i);
  const GstStructure* s = gst_value_get_structure(v);
  fail_unless(gst_structure_has_name(s, "mctx-destination"), "destinations[%u] is %s", i,
              gst_structure_get_name(s));
  return s;
}
inline guint destination_count(const GstStructure* metrics) {
  guint n = 0;
  fail_unless(gst_structure_get_uint(metrics, "destination-count", &n),
              "destination-count missing");
  return n;
}

using Counters = std::initializer_list<std::pair<const char*, guint64>>;

// The metrics structure st holds these counters (field, value), each checked.
inline void expect_counters(const GstStructure* st, Counters want) {
  for (const auto& [field, value] : want) {
    const guint64 got = u64(st, field);
    fail_unless(got == value, "%s is %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT, field,
                got, value);
  }
}

// The element's metrics hold these counters.
inline void expect_counters(GstElement* e, Counters want) {
  GstStructure* st = stats(e);
  expect_counters(st, want);
  gst_structure_free(st);
}

// After n datagrams pushed into a full socket: every one sent, none dropped
// or failed, and the element did wait (would-block > 0, else the test proves
// nothing). Returns the would-block count.
inline guint64 expect_sent_through_backpressure(GstElement* e, guint64 n) {
  GstStructure* st = stats(e);
  GST_INFO("after backpressure: %" GST_PTR_FORMAT, st);
  expect_counters(st, {{"packets-sent", n}, {"dropped", 0}, {"send-errors", 0}});
  const guint64 would_block = u64(st, "would-block");
  gst_structure_free(st);
  fail_unless(would_block > 0, "the socket never filled up: the test proves nothing");
  return would_block;
}

// The warnings on the bus (the mctx-metrics messages there are dropped).
inline std::vector<std::string> pop_warnings(GstBus* bus) {
  std::vector<std::string> warnings;
  for (auto* x : pop_metrics(bus, &warnings)) gst_structure_free(x);
  return warnings;
}

// gst_parse_launch() that fails the test with the parser's message.
inline GstElement* launch(const std::string& description) {
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(description.c_str(), &err);
  fail_unless(p != nullptr && err == nullptr, "parse '%s': %s", description.c_str(),
              err ? err->message : "");
  return p;
}

// Pulls every sample an appsink has until `idle` passes without one.
inline std::vector<std::string> pull_all(GstElement* appsink, GstClockTime idle) {
  std::vector<std::string> out;
  for (;;) {
    GstSample* sample = nullptr;
    g_signal_emit_by_name(appsink, "try-pull-sample", idle, &sample);
    if (sample == nullptr) break;
    GstBuffer* b = gst_sample_get_buffer(sample);
    GstMapInfo info;
    fail_unless(gst_buffer_map(b, &info, GST_MAP_READ));
    out.emplace_back(reinterpret_cast<const char*>(info.data), info.size);
    gst_buffer_unmap(b, &info);
    gst_sample_unref(sample);
  }
  return out;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

#define assert_contains(haystack, needle)                                                       \
  fail_unless(mctx_gst_test::contains((haystack), (needle)), "'%s' does not contain '%s'",      \
              std::string(haystack).c_str(), std::string(needle).c_str())

// Compares two strings held by value (assert_equals_string keeps only the
// char pointer, which dangles for a temporary std::string).
#define assert_str_eq(a, b)                                                                   \
  do {                                                                                        \
    const std::string mctx_a_ = (a);                                                          \
    const std::string mctx_b_ = (b);                                                          \
    fail_unless(mctx_a_ == mctx_b_, "'%s' is not '%s'", mctx_a_.c_str(), mctx_b_.c_str());    \
  } while (0)


// Pushes buffer make(0) .. make(count - 1) from a thread while the element
// waits for a full socket, pauses it there and resumes it (GstBaseSink's
// contract: the interrupted render waits for preroll and sends again). The
// first `singles` buffers go one by one, the rest in lists of `list_size`.
// Checks that both state changes complete within a second, that nothing is
// sent or dropped while paused, and that every push returned OK. The caller
// checks what arrived.
inline void pause_and_resume_while_blocked(GstHarness* h, GstElement* element, int count,
                                           const std::function<GstBuffer*(int)>& make,
                                           int singles, int list_size) {
  // As in a pipeline: a sink that lost its preroll buffer would go ASYNC.
  g_object_set(element, "async", TRUE, nullptr);
  std::atomic<int> flow{GST_FLOW_OK};
  std::atomic<bool> done{false};
  std::thread pusher([&] {
    for (int i = 0; i < count;) {
      GstFlowReturn r;
      if (i < singles) {
        r = gst_harness_push(h, make(i++));
      } else {
        GstBufferList* list = gst_buffer_list_new();
        for (int k = 0; k < list_size && i < count; ++k) gst_buffer_list_add(list, make(i++));
        r = push_list(h, list);
      }
      if (r != GST_FLOW_OK) {
        flow = r;
        break;
      }
    }
    done = true;
  });
  auto counter = [element](const char* field) {
    GstStructure* st = stats(element);
    const guint64 v = u64(st, field);
    gst_structure_free(st);
    return v;
  };
  mctx::test::wait_until([&] { return counter("would-block") > 0; }, std::chrono::seconds(5),
                         std::chrono::milliseconds(10));
  g_usleep(200 * 1000);  // the pusher stays stuck (checked below)
  auto change_state = [&](GstState to) {
    const auto t0 = std::chrono::steady_clock::now();
    fail_if(gst_element_set_state(element, to) == GST_STATE_CHANGE_FAILURE);
    GstState cur = GST_STATE_VOID_PENDING;
    fail_unless_equals_int(gst_element_get_state(element, &cur, nullptr, GST_SECOND),
                           GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int(cur, to);
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    fail_unless(took.count() < 1000, "the change to %s took %lld ms",
                gst_element_state_get_name(to), static_cast<long long>(took.count()));
  };
  if (done.load()) {
    pusher.join();
    ck_abort_msg("the pusher never blocked: the test proves nothing");
  }
  change_state(GST_STATE_PAUSED);
  const guint64 sent_at_pause = counter("packets-sent");
  g_usleep(500 * 1000);
  fail_unless_equals_uint64(counter("packets-sent"), sent_at_pause);  // paused: nothing sent
  fail_unless_equals_uint64(counter("dropped"), 0);
  fail_if(done.load(), "the pusher returned while the element was paused (flow %s)",
          gst_flow_get_name(static_cast<GstFlowReturn>(flow.load())));
  change_state(GST_STATE_PLAYING);
  pusher.join();
  fail_unless_equals_int(flow.load(), GST_FLOW_OK);
}

}  // namespace mctx_gst_test
