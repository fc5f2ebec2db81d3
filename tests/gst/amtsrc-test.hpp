// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Helpers of the amtsrc gst-check programs: a pipeline `amtsrc ! ...` with
// its bus messages kept, buffers pulled from an appsink, the metrics
// property, and the handshake of a scripted relay (tests/amt/scripted_relay).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gst-test-util.hpp"
#include "scripted_relay.hpp"

#include <gst/app/gstappsink.h>
#include <gst/net/gstnetaddressmeta.h>

namespace amtsrc_test {

using amt_relay::Bytes;
using namespace std::chrono_literals;

inline constexpr const char* kGroup = "232.1.1.1";
inline constexpr const char* kSource = "198.51.100.7";
inline constexpr uint16_t kSourcePort = 4000;
inline constexpr uint16_t kPort = 5000;

// Payload i of the test stream: "amt-000007-" and a pattern, 200..899 bytes.
inline Bytes payload(int i) {
  char head[32];
  g_snprintf(head, sizeof head, "amt-%06d-", i);
  Bytes b(head, head + 11);
  for (int k = 0; k < 200 + i % 700; ++k) b.push_back(static_cast<uint8_t>(i + k));
  return b;
}
inline std::vector<Bytes> payloads(int first, int count) {
  std::vector<Bytes> v;
  for (int i = first; i < first + count; ++i) v.push_back(payload(i));
  return v;
}
// The inner IPv4/UDP datagram of payload i from (kSource, kGroup).
inline Bytes inner(int i) {
  return amt_relay::ipv4_udp(mctx_gst_test::addr(kSource), mctx_gst_test::addr(kGroup),
                             kSourcePort, kPort, payload(i));
}

inline std::string hex_diff(const Bytes& got, const Bytes& want) {
  std::size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  return "sizes " + std::to_string(got.size()) + "/" + std::to_string(want.size()) +
         ", first difference at byte " + std::to_string(i);
}

// amtsrc and what follows it (a gst-launch description), in a pipeline whose
// bus messages are all kept (in order) for the checks.
class Pipeline {
 public:
  explicit Pipeline(const std::string& description) {
    GError* err = nullptr;
    pipeline_ = gst_parse_launch(description.c_str(), &err);
    fail_unless(pipeline_ != nullptr, "gst_parse_launch(%s): %s", description.c_str(),
                err ? err->message : "?");
    g_clear_error(&err);
    gst_object_ref_sink(pipeline_);
    src_ = gst_bin_get_by_name(GST_BIN(pipeline_), "amt");
    fail_unless(src_ != nullptr, "no element named amt in %s", description.c_str());
    sink_ = gst_bin_get_by_name(GST_BIN(pipeline_), "out");
    bus_ = gst_element_get_bus(pipeline_);
  }
  ~Pipeline() {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    for (auto* m : messages_) gst_message_unref(m);
    if (sink_) gst_object_unref(sink_);
    gst_object_unref(src_);
    gst_object_unref(bus_);
    gst_object_unref(pipeline_);
  }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  GstElement* src() const { return src_; }
  GstElement* element() const { return pipeline_; }

  void play() {
    const GstStateChangeReturn r = gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    fail_unless(r != GST_STATE_CHANGE_FAILURE, "the pipeline did not start: %s",
                describe_errors().c_str());
  }
  // Stops (READY, where amtsrc stops, then NULL) and returns the seconds
  // that took. The messages of the stop are kept: a pipeline's bus drops
  // what is posted once it is in NULL.
  double stop() {
    const auto t0 = std::chrono::steady_clock::now();
    gst_element_set_state(pipeline_, GST_STATE_READY);
    drain();
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  // Takes what is on the bus now.
  void drain() {
    while (GstMessage* m = gst_bus_pop(bus_)) messages_.push_back(m);
  }
  const std::vector<GstMessage*>& messages() {
    drain();
    return messages_;
  }
  // The first message (kept or new) that `pred` accepts, waiting up to
  // `timeout`; nullptr when none came.
  GstMessage* wait(const std::function<bool(GstMessage*)>& pred, std::chrono::milliseconds timeout,
                   std::size_t from = 0) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::size_t i = from;
    for (;;) {
      drain();
      for (; i < messages_.size(); ++i) {
        if (pred(messages_[i])) return messages_[i];
      }
      const auto left = end - std::chrono::steady_clock::now();
      if (left <= 0ms) return nullptr;
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
      if (GstMessage* m = gst_bus_timed_pop(bus_, std::min<gint64>(ms, 100) * GST_MSECOND)) {
        messages_.push_back(m);
      }
    }
  }
  // The amt-state messages' states, in order.
  std::vector<std::string> states() {
    std::vector<std::string> out;
    for (auto* m : messages()) {
      if (auto s = state_of(m)) out.push_back(*s);
    }
    return out;
  }
  static std::optional<std::string> state_of(GstMessage* m) {
    if (GST_MESSAGE_TYPE(m) != GST_MESSAGE_ELEMENT) return std::nullopt;
    const GstStructure* s = gst_message_get_structure(m);
    if (!gst_structure_has_name(s, "amt-state")) return std::nullopt;
    return mctx_gst_test::str(gst_structure_get_string(s, "state"));
  }
  // Waits for the amt-state message `state` (after message index `from`).
  bool wait_state(const char* state, std::chrono::milliseconds timeout, std::size_t from = 0) {
    return wait([state](GstMessage* m) { return state_of(m) == std::string(state); }, timeout,
                from) != nullptr;
  }
  std::vector<std::string> texts(GstMessageType type) {
    std::vector<std::string> out;
    for (auto* m : messages()) {
      if (GST_MESSAGE_TYPE(m) != type) continue;
      GError* e = nullptr;
      gchar* dbg = nullptr;
      if (type == GST_MESSAGE_WARNING) gst_message_parse_warning(m, &e, &dbg);
      else gst_message_parse_error(m, &e, &dbg);
      out.push_back(std::string(e ? e->message : "") + " (" + mctx_gst_test::str(dbg) + ")");
      g_clear_error(&e);
      g_free(dbg);
    }
    return out;
  }
  std::string describe_errors() { return join(texts(GST_MESSAGE_ERROR)); }
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
    return s.empty() ? "none" : s;
  }

  // The next buffer from the appsink named out (a ref), or nullptr after
  // `timeout`.
  GstBuffer* pull(std::chrono::milliseconds timeout) {
    GstSample* s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink_),
                                                static_cast<GstClockTime>(timeout.count()) *
                                                    GST_MSECOND);
    if (s == nullptr) return nullptr;
    GstBuffer* b = gst_buffer_ref(gst_sample_get_buffer(s));
    gst_sample_unref(s);
    return b;
  }

  // The metrics property now.
  GstStructure* metrics() {
    GstStructure* s = nullptr;
    g_object_get(src_, "metrics", &s, nullptr);
    fail_unless(s != nullptr, "metrics is NULL");
    return s;
  }
  uint64_t metric(const char* name) {
    GstStructure* s = metrics();
    guint64 v = 0;
    const gboolean ok = gst_structure_get_uint64(s, name, &v);
    gchar* text = gst_structure_to_string(s);
    const std::string t = text;
    g_free(text);
    gst_structure_free(s);
    fail_unless(ok, "metrics have no guint64 field %s: %s", name, t.c_str());
    return v;
  }
  // Waits until metric `name` is `value` (the snapshot follows the
  // streaming thread); returns the last value read.
  uint64_t wait_metric(const char* name, uint64_t value, std::chrono::milliseconds timeout = 5s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    uint64_t v = metric(name);
    while (v != value && std::chrono::steady_clock::now() < end) {
      g_usleep(10000);
      v = metric(name);
    }
    return v;
  }
  std::string metrics_text() {
    GstStructure* s = metrics();
    gchar* text = gst_structure_to_string(s);
    std::string t = text;
    g_free(text);
    gst_structure_free(s);
    return t;
  }

 private:
  GstElement* pipeline_ = nullptr;
  GstElement* src_ = nullptr;
  GstElement* sink_ = nullptr;
  GstBus* bus_ = nullptr;
  std::vector<GstMessage*> messages_;
};

inline Bytes buffer_bytes(GstBuffer* b) {
  GstMapInfo map;
  fail_unless(gst_buffer_map(b, &map, GST_MAP_READ));
  Bytes out(map.data, map.data + map.size);
  gst_buffer_unmap(b, &map);
  return out;
}

inline GstClockTime running_time(GstElement* e) {
  GstClock* c = gst_element_get_clock(e);
  fail_unless(c != nullptr, "no clock");
  const GstClockTime now = gst_clock_get_time(c);
  gst_object_unref(c);
  return now - gst_element_get_base_time(e);
}

// Pulls want.size() buffers and checks each against want[i] byte for byte;
// with `source`, a GstNetAddressMeta of source:kSourcePort (else none);
// every PTS (= DTS) the running time of its arrival: within [not_before,
// the running time after the pull], never decreasing.
inline void expect_buffers(Pipeline& p, const std::vector<Bytes>& want, const char* source,
                           GstClockTime not_before) {
  GstClockTime last = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    GstBuffer* b = p.pull(5s);
    fail_unless(b != nullptr, "buffer %zu of %zu did not come; metrics %s", i, want.size(),
                p.metrics_text().c_str());
    const Bytes got = buffer_bytes(b);
    fail_unless(got == want[i], "buffer %zu: %s", i, hex_diff(got, want[i]).c_str());
    const GstClockTime pts = GST_BUFFER_PTS(b);
    fail_unless(GST_CLOCK_TIME_IS_VALID(pts) && GST_BUFFER_DTS(b) == pts,
                "buffer %zu: PTS/DTS not set", i);
    fail_unless(pts >= not_before && pts >= last && pts <= running_time(p.src()),
                "buffer %zu: PTS %" GST_TIME_FORMAT " not the running time of its arrival", i,
                GST_TIME_ARGS(pts));
    last = pts;
    GstNetAddressMeta* m = gst_buffer_get_net_address_meta(b);
    if (source != nullptr) {
      fail_unless(m != nullptr, "buffer %zu: no GstNetAddressMeta", i);
      GInetSocketAddress* sa = G_INET_SOCKET_ADDRESS(m->addr);
      gchar* a = g_inet_address_to_string(g_inet_socket_address_get_address(sa));
      const std::string text = a;
      g_free(a);
      fail_unless(text == source && g_inet_socket_address_get_port(sa) == kSourcePort,
                  "buffer %zu: meta %s:%u", i, text.c_str(), g_inet_socket_address_get_port(sa));
    } else {
      fail_unless(m == nullptr, "buffer %zu: a GstNetAddressMeta in datagram output", i);
    }
    gst_buffer_unref(b);
  }
}

// One session of the handshake: what the relay put in its query and what
// the gateway answered.
struct Session {
  mctx::Endpoint gateway;  // where the gateway's Request came from
  uint32_t nonce = 0;      // the Request's nonce
  uint64_t mac = 0;        // the MAC the relay gave
  amt_relay::Update update;
};

struct QueryOptions {
  uint8_t qqic = 125;     // query interval, s
  bool limited = false;   // L flag
  bool gateway = true;    // G flag
  std::optional<mctx::Endpoint> seen_as;  // the G field (default: the Request's sender)
};

// The relay takes the gateway's next Request (within `timeout`), answers it
// with a Membership Query and takes the Membership Update that follows.
// Fails the test when one of them does not come.
inline Session answer_request(amt_relay::ScriptedRelay& relay, uint64_t mac,
                              const QueryOptions& o = {}, std::chrono::milliseconds timeout = 5s) {
  Session s;
  auto req = mctx_gst_test::must("relay", [&] { return relay.expect(0x03, timeout); });
  fail_unless(req.has_value(), "the relay got no Request within %lld ms",
              static_cast<long long>(timeout.count()));
  auto r = amt_relay::parse_request(req->bytes);
  fail_unless(r.has_value(), "malformed Request (%zu bytes)", req->bytes.size());
  fail_unless(!r->mld, "Request with P=1 for an IPv4 group");
  s.gateway = req->from;
  s.nonce = r->nonce;
  s.mac = mac;
  const Bytes q = amt_relay::igmpv3_query(2, o.qqic, relay.local().address);
  std::optional<mctx::Endpoint> g;
  if (o.gateway) g = o.seen_as.value_or(req->from);
  mctx_gst_test::must("relay", [&] {
    relay.send(req->from, amt_relay::membership_query(mac, r->nonce, q, o.limited, g));
    return 0;
  });
  auto upd = mctx_gst_test::must("relay", [&] { return relay.expect(0x05, timeout); });
  fail_unless(upd.has_value(), "the relay got no Membership Update after its query");
  auto u = amt_relay::parse_update(upd->bytes);
  fail_unless(u.has_value(), "malformed Membership Update");
  s.update = *u;
  return s;
}

// The join the Update carries: IGMPv3 MODE_IS_INCLUDE {kSource} for kGroup,
// with the session's MAC and nonce.
inline void check_join_update(const Session& s) {
  fail_unless_equals_uint64(s.update.mac, s.mac);
  fail_unless_equals_uint64(s.update.nonce, s.nonce);
  auto rec = amt_relay::parse_igmpv3_report(s.update.report);
  fail_unless(rec.has_value(), "the Update does not carry an IGMPv3 report");
  fail_unless_equals_int(rec->type, 1);  // MODE_IS_INCLUDE
  fail_unless(rec->group.to_string() == kGroup, "report group %s", rec->group.to_string().c_str());
  fail_unless_equals_int(rec->sources.size(), 1);
  fail_unless(rec->sources[0].to_string() == kSource);
}

}  // namespace amtsrc_test
