// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The helpers of the mctxsink destinations tests (scripts/mctx-netns --peer2:
// two veth pairs whose far ends are two peer hosts). Path A leaves by mctx0
// (192.0.2.1) and is received in MCTX_PEER_NETNS on mctx1; path B leaves by
// mctx2 (198.51.100.1) and is received in MCTX_PEER2_NETNS on mctx3. The
// receivers join source-specifically, so a datagram that arrives also proves
// its source address.

#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>

#include "gst-test-util.hpp"
namespace mctx_gst_test {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kGroupA = "239.255.1.1";
constexpr const char* kGroupB = "239.255.2.1";
constexpr const char* kSourceA = "192.0.2.1";
constexpr const char* kSourceB = "198.51.100.1";
constexpr std::size_t kPayloadSize = 300;
constexpr int kListSize = 5;
// How far the pusher may run ahead of the staying path's receiver (whose
// buffer holds several thousand datagrams).
constexpr int kWindow = 1000;

// Path A as the single-destination properties give it and path B as a
// destination URI, both as the URI handler writes them back (canonical).
inline std::string uri_a(uint16_t port) {
  return "mctx://239.255.1.1:" + std::to_string(port) + "?source=192.0.2.1&interface=mctx0";
}
inline std::string uri_b(uint16_t port, const std::string& extra = "") {
  return "mctx://239.255.2.1:" + std::to_string(port) + "?source=198.51.100.1&interface=mctx2" +
         extra;
}

inline void configure_a(Sink& s, uint16_t port) {
  g_object_set(s.element, "group", kGroupA, "port", static_cast<guint>(port), "interface", "mctx0",
               "source-address", kSourceA, "stats-interval", 0u, nullptr);
}

// A sink whose own destination is path A (configure_a()).
struct SinkA : Sink {
  explicit SinkA(uint16_t port) { configure_a(*this, port); }
};

inline void set_destinations(Sink& s, const std::vector<std::string>& uris) {
  GValue array = G_VALUE_INIT;
  gst_value_array_init(&array, uris.size());
  for (const auto& u : uris) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_STRING);
    g_value_set_string(&v, u.c_str());
    gst_value_array_append_and_take_value(&array, &v);
  }
  g_object_set_property(G_OBJECT(s.element), "destinations", &array);
  g_value_unset(&array);
}

inline std::vector<std::string> destinations_property(GstElement* e) {
  GValue uris = G_VALUE_INIT;
  g_object_get_property(G_OBJECT(e), "destinations", &uris);
  std::vector<std::string> out;
  for (guint i = 0; i < gst_value_array_get_size(&uris); ++i) {
    out.push_back(str(g_value_get_string(gst_value_array_get_value(&uris, i))));
  }
  g_value_unset(&uris);
  return out;
}

inline std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return "[" + out + "]";
}

#define assert_destinations(element, ...)                                   \
  do {                                                                      \
    const std::vector<std::string> mctx_want_{__VA_ARGS__};                 \
    const auto mctx_got_ = destinations_property(element);                  \
    fail_unless(mctx_got_ == mctx_want_, "destinations is %s, expected %s", \
                joined(mctx_got_).c_str(), joined(mctx_want_).c_str());     \
  } while (0)

// The action signals.
inline gboolean emit_add(GstElement* e, const std::string& uri) {
  gboolean ok = FALSE;
  g_signal_emit_by_name(e, "add", uri.c_str(), &ok);
  return ok;
}
inline gboolean emit_remove(GstElement* e, const std::string& uri) {
  gboolean ok = FALSE;
  g_signal_emit_by_name(e, "remove", uri.c_str(), &ok);
  return ok;
}
inline void emit_clear(GstElement* e) { g_signal_emit_by_name(e, "clear"); }
// One destination's mctx-destination structure (free it), or nullptr.
inline GstStructure* destination_metrics(GstElement* e, const std::string& uri) {
  GstStructure* st = nullptr;
  g_signal_emit_by_name(e, "get-metrics", uri.c_str(), &st);
  return st;
}
inline std::string destination_state(GstElement* e, const std::string& uri) {
  GstStructure* st = destination_metrics(e, uri);
  fail_unless(st != nullptr, "get-metrics('%s') is NULL", uri.c_str());
  std::string state = field_string(st, "state");
  gst_structure_free(st);
  return state;
}
inline guint64 destination_counter(GstElement* e, const std::string& uri, const char* field) {
  GstStructure* st = destination_metrics(e, uri);
  fail_unless(st != nullptr, "get-metrics('%s') is NULL", uri.c_str());
  const guint64 v = u64(st, field);
  gst_structure_free(st);
  return v;
}

// The counters that are totals at the top level.
const char* const kCounters[] = {"packets-sent",   "bytes-sent",  "send-calls",
                                 "send-errors",    "would-block", "gso-sends",
                                 "dropped",        "queue-full",  "queue-full-dropped",
                                 "outage-dropped", "outages"};

// Top level = the sum of the entries, for every counter.
inline void assert_totals_are_sums(const GstStructure* metrics) {
  for (const char* f : kCounters) {
    guint64 sum = 0;
    for (guint i = 0; i < entries(metrics); ++i) sum += u64(entry(metrics, i), f);
    fail_unless_equals_uint64(u64(metrics, f), sum);
  }
}

inline void run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  fail_unless(rc == 0, "'%s' failed (%d)", cmd.c_str(), rc);
}

// ---------------------------------------------------------------------------
// Receiving on the peer hosts

// A receiver on peer host 1 (MCTX_PEER_NETNS, joined on mctx1) or 2
// (MCTX_PEER2_NETNS, on mctx3), source-specific when `source` is given.
inline std::unique_ptr<mctx::test::Receiver> peer_receiver(int peer, const char* group,
                                                           uint16_t port,
                                                           const char* source = nullptr) {
  return peer_rx(group, port, source, peer == 1 ? mctx::test::Peer::first : mctx::test::Peer::second,
                 8 << 20);
}

// Reads a receiver on a thread of its own from construction to stop().
class Collector {
 public:
  explicit Collector(std::unique_ptr<mctx::test::Receiver> rx)
      : rx_(std::move(rx)), thread_([this] { loop(); }) {}
  ~Collector() { stop(); }
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  std::size_t count() const {
    std::lock_guard<std::mutex> lk(m_);
    return got_.size();
  }
  // Waits until n datagrams arrived; false after `timeout` without them.
  bool wait_for(std::size_t n, milliseconds timeout) const {
    std::unique_lock<std::mutex> lk(m_);
    return cv_.wait_for(lk, timeout, [&] { return got_.size() >= n; });
  }
  // Waits until nothing arrived for `idle` (a datagram still on its way,
  // or one too many, would come within it).
  void settle(milliseconds idle) const {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      const auto last = last_;
      const std::size_t n = got_.size();
      cv_.wait_for(lk, idle, [&] { return got_.size() != n; });
      if (got_.size() == n && last == last_) return;
    }
  }
  void stop() {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
    fail_unless(error_.empty(), "receiver: %s", error_.c_str());
  }
  std::vector<mctx::test::Datagram> datagrams() const {
    std::lock_guard<std::mutex> lk(m_);
    return got_;
  }

 private:
  void loop() {
    while (!stop_) {
      try {
        auto d = rx_->receive(milliseconds(20));
        if (!d) continue;
        std::lock_guard<std::mutex> lk(m_);
        got_.push_back(std::move(*d));
        last_ = Clock::now();
        cv_.notify_all();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lk(m_);
        error_ = e.what();
        cv_.notify_all();
        return;
      }
    }
  }

  std::unique_ptr<mctx::test::Receiver> rx_;
  mutable std::mutex m_;
  mutable std::condition_variable cv_;
  std::vector<mctx::test::Datagram> got_;
  Clock::time_point last_{};
  std::string error_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts once everything above exists
};

// ---------------------------------------------------------------------------
// Numbered datagrams

inline std::string payload(int seq) {
  std::string p(kPayloadSize, static_cast<char>('a' + seq % 26));
  char tag[24];
  const int n = std::snprintf(tag, sizeof tag, "seq=%08d;", seq);
  p.replace(0, static_cast<std::size_t>(n), tag);
  return p;
}

inline int seq_of(const mctx::test::Datagram& d) {
  const std::string p = payload_string(d);
  fail_unless(p.size() == kPayloadSize && p.compare(0, 4, "seq=") == 0, "foreign datagram '%s'",
              p.substr(0, 16).c_str());
  return std::atoi(p.c_str() + 4);
}

inline std::vector<int> seqs(const std::vector<mctx::test::Datagram>& ds) {
  std::vector<int> out;
  for (const auto& d : ds) out.push_back(seq_of(d));
  return out;
}

// The sequence numbers around position i, for failure messages.
inline std::string around(const std::vector<int>& got, std::size_t i) {
  std::string out;
  for (std::size_t k = i >= 3 ? i - 3 : 0; k < std::min(got.size(), i + 4); ++k) {
    out += (k == i ? "[" : "") + std::to_string(got[k]) + (k == i ? "] " : " ");
  }
  return out;
}

// Every datagram of `ds` carries payload(first + i), in order, nothing else.
inline void assert_run(const std::vector<mctx::test::Datagram>& ds, int from, int count,
                const char* path) {
  const auto got = seqs(ds);
  fail_unless(static_cast<int>(got.size()) == count, "%s: %zu datagrams, expected %d", path,
              got.size(), count);
  for (int i = 0; i < count; ++i) {
    fail_unless(got[i] == from + i, "%s: datagram %d is seq %d, expected %d (received: %s)",
                path, i, got[i], from + i, around(got, static_cast<std::size_t>(i)).c_str());
    fail_unless(payload_string(ds[i]) == payload(from + i), "%s: seq %d has other bytes", path,
                from + i);
  }
}

// The same for a path shaped by tbf on a veth: each of the datagrams once,
// byte for byte, but the arrival order is not checked. tbf's watchdog timer
// may transmit from the other CPU than the sending thread, and a veth hands
// each packet to the receiving CPU's own backlog (netif_rx), so two packets
// sent in order can be delivered in the opposite order (a plain socket
// sending 30,000 numbered datagrams through the same tbf and veth had one
// arrive out of order). The order the element sends in is checked on the
// unshaped paths. Returns how many arrived out of order.
inline int assert_each_once(const std::vector<mctx::test::Datagram>& ds, int from, int count,
                     const char* path) {
  std::vector<int> got = seqs(ds);
  fail_unless(static_cast<int>(got.size()) == count, "%s: %zu datagrams, expected %d", path,
              got.size(), count);
  int out_of_order = 0;
  for (std::size_t i = 1; i < got.size(); ++i) out_of_order += got[i] < got[i - 1] ? 1 : 0;
  for (const auto& d : ds) {
    const int q = seq_of(d);
    fail_unless(payload_string(d) == payload(q), "%s: seq %d has other bytes", path, q);
  }
  std::sort(got.begin(), got.end());
  for (int i = 0; i < count; ++i) {
    fail_unless(got[i] == from + i, "%s: sorted, datagram %d is seq %d, expected %d (%s)", path,
                i, got[i], from + i, around(got, static_cast<std::size_t>(i)).c_str());
  }
  return out_of_order;
}

// Pushes numbered buffers from a thread until stop(): a single buffer and a
// list of kListSize in turn. It stays at most kWindow datagrams ahead of the
// staying path's receiver (`pace`), so no receiver overflows, and starts a
// push at most every `interval` when one is given.
class Pusher {
 public:
  Pusher(GstHarness* h, const Collector& pace, std::chrono::microseconds interval = {})
      : h_(h), pace_(pace), interval_(interval), thread_([this] { loop(); }) {}
  ~Pusher() { stop(); }
  Pusher(const Pusher&) = delete;
  Pusher& operator=(const Pusher&) = delete;

  // Every sequence number below this was handed to a push that has
  // started (or returned).
  int started() const { return started_; }
  // Every sequence number below this was in a push that returned.
  int done() const { return done_; }
  bool is_boundary(int seq) const {
    std::lock_guard<std::mutex> lk(m_);
    return boundaries_.count(seq) != 0;
  }
  bool wait_done(int n, milliseconds timeout) const {
    return mctx::test::wait_until([&] { return done_ >= n || finished_; }, timeout) && done_ >= n;
  }
  // Stops after the push in progress; returns how many were pushed.
  int stop() {
    if (thread_.joinable()) {
      stop_ = true;
      thread_.join();
      fail_unless(flow_ == GST_FLOW_OK, "a push returned %s",
                  gst_flow_get_name(static_cast<GstFlowReturn>(flow_.load())));
      fail_unless(error_.empty(), "%s", error_.c_str());
    }
    return done_;
  }

 private:
  void loop() {
    int seq = 0;
    auto due = Clock::now();
    for (int k = 0; !stop_; ++k) {
      const int n = k % 2 == 0 ? 1 : kListSize;
      std::this_thread::sleep_until(due);
      due = std::max(due, Clock::now()) + interval_;
      if (!pace_.wait_for(static_cast<std::size_t>(std::max(0, seq + n - kWindow)),
                          milliseconds(20000))) {
        error_ = "the staying path's receiver stopped at " + std::to_string(pace_.count()) +
                 " of " + std::to_string(seq) + " pushed";
        break;
      }
      {
        std::lock_guard<std::mutex> lk(m_);
        boundaries_.insert(seq);
      }
      started_ = seq + n;
      GstFlowReturn r;
      if (n == 1) {
        r = gst_harness_push(h_, text_buffer(payload(seq)));
      } else {
        GstBufferList* list = gst_buffer_list_new();
        for (int i = 0; i < n; ++i) gst_buffer_list_add(list, text_buffer(payload(seq + i)));
        r = push_list(h_, list);
      }
      if (r != GST_FLOW_OK) {
        flow_ = r;
        break;
      }
      seq += n;
      done_ = seq;
    }
    finished_ = true;
  }

  GstHarness* h_;
  const Collector& pace_;
  const std::chrono::microseconds interval_;
  mutable std::mutex m_;
  std::set<int> boundaries_;
  std::atomic<int> started_{0};
  std::atomic<int> done_{0};
  std::atomic<int> flow_{GST_FLOW_OK};
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::string error_;
  std::thread thread_;  // last
};

// Stops the pusher, waits until the staying path A received everything and
// both receivers are quiet, and stops them; returns how many were pushed.
inline int finish(Pusher& pusher, Collector& rx_a, Collector& rx_b) {
  const int pushed = pusher.stop();
  fail_unless(rx_a.wait_for(static_cast<std::size_t>(pushed), milliseconds(20000)),
              "path A received %zu of %d", rx_a.count(), pushed);
  rx_a.settle(milliseconds(300));
  rx_b.settle(milliseconds(300));
  rx_a.stop();
  rx_b.stop();
  return pushed;
}

// Pushes payload(0) .. payload(n - 1) one by one, then payload(n) ..
// payload(2n - 1) in one list.
inline void push_buffers_then_list(GstHarness* h, int n) {
  for (int i = 0; i < n; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(payload(i))), GST_FLOW_OK);
  }
  GstBufferList* list = gst_buffer_list_new();
  for (int i = n; i < 2 * n; ++i) gst_buffer_list_add(list, text_buffer(payload(i)));
  fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);
}

// Warnings now on the element's bus (other messages are dropped).
inline std::vector<std::string> warnings(Sink& s) {
  std::vector<std::string> w;
  for (GstStructure* m : pop_metrics(s.bus, &w)) gst_structure_free(m);
  return w;
}

// Before each test (in its own process): mctx2 up, with the IPv6 address
// a link going down removes, and no qdisc a test put on mctx0 or mctx2.
inline void reset_links() {
  run("tc qdisc del dev mctx0 root 2>/dev/null; tc qdisc del dev mctx2 root 2>/dev/null; "
      "ip link set mctx2 up && ip -6 addr replace fd01::1/64 dev mctx2 nodad");
}

}  // namespace mctx_gst_test
