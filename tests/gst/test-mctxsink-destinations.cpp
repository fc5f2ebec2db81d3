// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Several destinations per mctxsink, inside scripts/mctx-netns --peer2: two
// veth pairs whose far ends are two peer hosts. Path A leaves by mctx0
// (192.0.2.1) and is received in MCTX_PEER_NETNS on mctx1; path B leaves by
// mctx2 (198.51.100.1) and is received in MCTX_PEER2_NETNS on mctx3. The
// receivers join source-specifically, so a datagram that arrives also proves
// its source address.
//
//   - an ST 2022-7 pair: byte-identical streams on both hosts, totals and
//     per-destination metrics;
//   - path B's link down and up while streaming: path A loses nothing, path
//     B counts its losses on its own destination and resumes;
//   - an IPv4 and an IPv6 destination together;
//   - add / remove / clear while PLAYING: the staying path loses and
//     duplicates nothing, the added one receives a contiguous run starting at
//     a buffer or list boundary; remove while blocked on the removed path's
//     full socket returns at once; the signals' answers and warnings;
//   - add and remove before the start; a restart keeps what was added;
//   - destinations without group.

#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>

#include "gst-test-util.hpp"
#include "netns_guard.hpp"

using namespace mctx_gst_test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

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
std::string uri_a(uint16_t port) {
  return "mctx://239.255.1.1:" + std::to_string(port) + "?source=192.0.2.1&interface=mctx0";
}
std::string uri_b(uint16_t port, const std::string& extra = "") {
  return "mctx://239.255.2.1:" + std::to_string(port) + "?source=198.51.100.1&interface=mctx2" +
         extra;
}

void configure_a(Sink& s, uint16_t port) {
  g_object_set(s.element, "group", kGroupA, "port", static_cast<guint>(port), "interface", "mctx0",
               "source-address", kSourceA, "stats-interval", 0u, nullptr);
}

void set_destinations(Sink& s, const std::vector<std::string>& uris) {
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

std::vector<std::string> destinations_property(GstElement* e) {
  GValue uris = G_VALUE_INIT;
  g_object_get_property(G_OBJECT(e), "destinations", &uris);
  std::vector<std::string> out;
  for (guint i = 0; i < gst_value_array_get_size(&uris); ++i) {
    out.push_back(str(g_value_get_string(gst_value_array_get_value(&uris, i))));
  }
  g_value_unset(&uris);
  return out;
}

std::string joined(const std::vector<std::string>& v) {
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
gboolean emit_add(GstElement* e, const std::string& uri) {
  gboolean ok = FALSE;
  g_signal_emit_by_name(e, "add", uri.c_str(), &ok);
  return ok;
}
gboolean emit_remove(GstElement* e, const std::string& uri) {
  gboolean ok = FALSE;
  g_signal_emit_by_name(e, "remove", uri.c_str(), &ok);
  return ok;
}
void emit_clear(GstElement* e) { g_signal_emit_by_name(e, "clear"); }
// One destination's mctx-destination structure (free it), or nullptr.
GstStructure* destination_metrics(GstElement* e, const std::string& uri) {
  GstStructure* st = nullptr;
  g_signal_emit_by_name(e, "get-metrics", uri.c_str(), &st);
  return st;
}
std::string destination_state(GstElement* e, const std::string& uri) {
  GstStructure* st = destination_metrics(e, uri);
  fail_unless(st != nullptr, "get-metrics('%s') is NULL", uri.c_str());
  std::string state = field_string(st, "state");
  gst_structure_free(st);
  return state;
}
guint64 destination_counter(GstElement* e, const std::string& uri, const char* field) {
  GstStructure* st = destination_metrics(e, uri);
  fail_unless(st != nullptr, "get-metrics('%s') is NULL", uri.c_str());
  const guint64 v = u64(st, field);
  gst_structure_free(st);
  return v;
}

// The `destinations` array of an mctx-metrics structure.
guint entries(const GstStructure* metrics) {
  const GValue* d = gst_structure_get_value(metrics, "destinations");
  fail_unless(d != nullptr && GST_VALUE_HOLDS_ARRAY(d), "no destinations array in %s",
              gst_structure_get_name(metrics));
  return gst_value_array_get_size(d);
}
const GstStructure* entry(const GstStructure* metrics, guint i) {
  fail_unless(i < entries(metrics), "no destinations[%u]", i);
  const GValue* v = gst_value_array_get_value(gst_structure_get_value(metrics, "destinations"), i);
  fail_unless(GST_VALUE_HOLDS_STRUCTURE(v), "destinations[%u] is not a structure", i);
  const GstStructure* s = gst_value_get_structure(v);
  fail_unless(gst_structure_has_name(s, "mctx-destination"), "destinations[%u] is %s", i,
              gst_structure_get_name(s));
  return s;
}
guint destination_count(const GstStructure* metrics) {
  guint n = 0;
  fail_unless(gst_structure_get_uint(metrics, "destination-count", &n),
              "destination-count missing");
  return n;
}

// The counters that are totals at the top level.
const char* const kCounters[] = {"packets-sent",   "bytes-sent",  "send-calls",
                                 "send-errors",    "would-block", "gso-sends",
                                 "dropped",        "queue-full",  "queue-full-dropped",
                                 "outage-dropped", "outages"};

// Top level = the sum of the entries, for every counter.
void assert_totals_are_sums(const GstStructure* metrics) {
  for (const char* f : kCounters) {
    guint64 sum = 0;
    for (guint i = 0; i < entries(metrics); ++i) sum += u64(entry(metrics, i), f);
    fail_unless_equals_uint64(u64(metrics, f), sum);
  }
}

// Polls cond every 5 ms until it holds or `timeout` passes.
template <class F>
bool poll_until(F&& cond, milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (!cond()) {
    if (Clock::now() >= end) return false;
    g_usleep(5 * 1000);
  }
  return true;
}

void run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  fail_unless(rc == 0, "'%s' failed (%d)", cmd.c_str(), rc);
}

// ---------------------------------------------------------------------------
// Receiving on the peer hosts

// A receiver on peer host 1 (MCTX_PEER_NETNS, joined on mctx1) or 2
// (MCTX_PEER2_NETNS, on mctx3), source-specific when `source` is given. Its
// receive buffer is enlarged so that a busy machine does not make it drop.
std::unique_ptr<mctx::test::Receiver> peer_receiver(int peer, const char* group, uint16_t port,
                                                    const char* source = nullptr) {
  const char* var = peer == 1 ? "MCTX_PEER_NETNS" : "MCTX_PEER2_NETNS";
  const char* ns = g_getenv(var);
  fail_unless(ns != nullptr, "%s not set: run under scripts/mctx-netns --peer2", var);
  std::unique_ptr<mctx::test::Receiver> rx;
  must("receiver on a peer host", [&] {
    mctx::test::in_netns(ns, [&] {
      std::optional<mctx::IpAddress> src;
      if (source) src = addr(source);
      rx = std::make_unique<mctx::test::Receiver>(
          addr(group), port, mctx::test::ifindex(peer == 1 ? "mctx1" : "mctx3"), src);
    });
    return 0;
  });
  const int size = 8 << 20;
  fail_unless(::setsockopt(rx->fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) == 0,
              "SO_RCVBUFFORCE on the test receiver failed");
  return rx;
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

std::string payload(int seq) {
  std::string p(kPayloadSize, static_cast<char>('a' + seq % 26));
  char tag[24];
  const int n = std::snprintf(tag, sizeof tag, "seq=%08d;", seq);
  p.replace(0, static_cast<std::size_t>(n), tag);
  return p;
}

int seq_of(const mctx::test::Datagram& d) {
  const std::string p = payload_string(d);
  fail_unless(p.size() == kPayloadSize && p.compare(0, 4, "seq=") == 0, "foreign datagram '%s'",
              p.substr(0, 16).c_str());
  return std::atoi(p.c_str() + 4);
}

std::vector<int> seqs(const std::vector<mctx::test::Datagram>& ds) {
  std::vector<int> out;
  for (const auto& d : ds) out.push_back(seq_of(d));
  return out;
}

// The sequence numbers around position i, for failure messages.
std::string around(const std::vector<int>& got, std::size_t i) {
  std::string out;
  for (std::size_t k = i >= 3 ? i - 3 : 0; k < std::min(got.size(), i + 4); ++k) {
    out += (k == i ? "[" : "") + std::to_string(got[k]) + (k == i ? "] " : " ");
  }
  return out;
}

// Every datagram of `ds` carries payload(first + i), in order, nothing else.
void assert_run(const std::vector<mctx::test::Datagram>& ds, int from, int count,
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
int assert_each_once(const std::vector<mctx::test::Datagram>& ds, int from, int count,
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
    return poll_until([&] { return done_ >= n || finished_; }, timeout) && done_ >= n;
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
int finish(Pusher& pusher, Collector& rx_a, Collector& rx_b) {
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
void push_buffers_then_list(GstHarness* h, int n) {
  for (int i = 0; i < n; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(payload(i))), GST_FLOW_OK);
  }
  GstBufferList* list = gst_buffer_list_new();
  for (int i = n; i < 2 * n; ++i) gst_buffer_list_add(list, text_buffer(payload(i)));
  fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);
}

// Warnings now on the element's bus (other messages are dropped).
std::vector<std::string> warnings(Sink& s) {
  std::vector<std::string> w;
  for (GstStructure* m : pop_metrics(s.bus, &w)) gst_structure_free(m);
  return w;
}

// Before each test (in its own process): mctx2 up, with the IPv6 address
// a link going down removes, and no qdisc a test put on mctx0 or mctx2.
void reset_links() {
  run("tc qdisc del dev mctx0 root 2>/dev/null; tc qdisc del dev mctx2 root 2>/dev/null; "
      "ip link set mctx2 up && ip -6 addr replace fd01::1/64 dev mctx2 nodad");
}

}  // namespace

// ---------------------------------------------------------------------------

// An ST 2022-7 pair: two interfaces, two groups, two source addresses, two
// receiving hosts; buffers, a multi-memory buffer and a list arrive
// byte-identical, in order, from the right source on each host. The
// metrics' top level is the sum of the two destinations.
GST_START_TEST(test_st2022_7_pair) {
  auto rx_a = peer_receiver(1, kGroupA, 5004, kSourceA);
  auto rx_b = peer_receiver(2, kGroupB, 5006, kSourceB);
  Sink s;
  configure_a(s, 5004);
  set_destinations(s, {uri_b(5006)});
  GstHarness* h = s.harness();

  const int n = 10;
  for (int i = 0; i < n; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(payload(i))), GST_FLOW_OK);
  }
  const std::string p = payload(n);
  fail_unless_equals_int(
      gst_harness_push(h, multi_memory_buffer({p.substr(0, 7), p.substr(7, 100), p.substr(107)})),
      GST_FLOW_OK);
  GstBufferList* list = gst_buffer_list_new();
  for (int i = n + 1; i < 2 * n + 1; ++i) gst_buffer_list_add(list, text_buffer(payload(i)));
  fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);
  const int total = 2 * n + 1;

  const auto a = receive_n(*rx_a, total + 1, 1000);
  const auto b = receive_n(*rx_b, total + 1, 1000);
  assert_run(a, 0, total, "path A");
  assert_run(b, 0, total, "path B");
  for (int i = 0; i < total; ++i) {
    fail_unless(a[i].payload == b[i].payload, "datagram %d differs between the paths", i);
    assert_str_eq(a[i].from.address.to_string(), kSourceA);
    assert_str_eq(b[i].from.address.to_string(), kSourceB);
    assert_str_eq(a[i].destination.to_string(), kGroupA);
    assert_str_eq(b[i].destination.to_string(), kGroupB);
  }

  GstStructure* st = stats(s.element);
  fail_unless_equals_int(destination_count(st), 2);
  fail_unless_equals_int(entries(st), 2);
  // Top level: the properties' destination's identity, the totals.
  assert_str_eq(field_string(st, "group"), kGroupA);
  fail_unless_equals_uint64(u64(st, "packets-sent"), 2 * total);
  fail_unless_equals_uint64(u64(st, "bytes-sent"), 2 * total * kPayloadSize);
  assert_totals_are_sums(st);
  const GstStructure* da = entry(st, 0);  // the properties' destination first
  const GstStructure* db = entry(st, 1);
  assert_str_eq(field_string(da, "uri"), uri_a(5004));
  assert_str_eq(field_string(db, "uri"), uri_b(5006));
  assert_str_eq(field_string(da, "group"), kGroupA);
  assert_str_eq(field_string(db, "group"), kGroupB);
  guint port = 0;
  fail_unless(gst_structure_get_uint(db, "port", &port));
  fail_unless_equals_int(port, 5006);
  for (const GstStructure* d : {da, db}) {
    assert_str_eq(field_string(d, "mode"), "udp");
    assert_str_eq(field_string(d, "state"), "sending");
    fail_unless_equals_uint64(u64(d, "packets-sent"), total);
    fail_unless_equals_uint64(u64(d, "dropped"), 0);
    fail_unless(u64(d, "send-calls") < static_cast<guint64>(total), "the list was not batched");
    fail_unless(gst_structure_has_field_typed(d, "packets-per-second", G_TYPE_DOUBLE));
  }
  fail_unless_equals_uint64(u64(da, "send-calls"), u64(db, "send-calls"));
  assert_str_eq(field_string(db, "local-address"), kSourceB);
  gst_structure_free(st);

  // get-metrics reads the same destination.
  GstStructure* gb = destination_metrics(s.element, uri_b(5006));
  fail_unless(gb != nullptr);
  fail_unless(gst_structure_has_name(gb, "mctx-destination"));
  assert_str_eq(field_string(gb, "uri"), uri_b(5006));
  fail_unless_equals_uint64(u64(gb, "packets-sent"), total);
  gst_structure_free(gb);
  gst_harness_teardown(h);
}
GST_END_TEST;

// Path B's link goes down and comes back while buffers stream: path A
// receives every datagram; path B counts each datagram it could not send on
// its own destination (pushed = received + dropped), shows "outage" while
// down, and receives again once the link is up. About 1500 datagrams a
// second, as a stream would come: a datagram handed to the device in the
// instant it is taken down can be discarded by the kernel with no error to
// any sender (docs/reliability.md, Limits), which a flood would hit.
GST_START_TEST(test_one_link_down_other_path_delivers) {
  Collector rx_a(peer_receiver(1, kGroupA, 5020, kSourceA));
  Collector rx_b(peer_receiver(2, kGroupB, 5022, kSourceB));
  Sink s;
  configure_a(s, 5020);
  const std::string b = uri_b(5022);
  set_destinations(s, {b});
  GstHarness* h = s.harness();
  Pusher pusher(h, rx_a, std::chrono::microseconds(2000));

  fail_unless(rx_b.wait_for(300, milliseconds(20000)), "path B received %zu", rx_b.count());
  run("ip link set mctx2 down");
  fail_unless(
      poll_until([&] { return destination_state(s.element, b) == "outage"; }, milliseconds(10000)),
      "path B's state is '%s' with its link down", destination_state(s.element, b).c_str());
  fail_unless(poll_until([&] { return destination_counter(s.element, b, "outage-dropped") >= 300; },
                         milliseconds(20000)),
              "path B: %" G_GUINT64_FORMAT " outage drops",
              destination_counter(s.element, b, "outage-dropped"));
  assert_str_eq(destination_state(s.element, uri_a(5020)), "sending");
  const std::size_t before_up = rx_b.count();
  run("ip link set mctx2 up");
  fail_unless(rx_b.wait_for(before_up + 300, milliseconds(20000)),
              "path B did not resume: %zu received, %zu before the link came up", rx_b.count(),
              before_up);
  fail_unless(
      poll_until([&] { return destination_state(s.element, b) == "sending"; }, milliseconds(10000)),
      "path B's state is '%s' after the link came up", destination_state(s.element, b).c_str());
  const int pushed = finish(pusher, rx_a, rx_b);

  assert_run(rx_a.datagrams(), 0, pushed, "path A");
  // Path B: everything but one gap (the outage), in order.
  const auto got_b = seqs(rx_b.datagrams());
  fail_unless(!got_b.empty() && got_b.front() == 0 && got_b.back() == pushed - 1,
              "path B received %zu datagrams, from %d to %d of 0 to %d", got_b.size(),
              got_b.empty() ? -1 : got_b.front(), got_b.empty() ? -1 : got_b.back(), pushed - 1);
  int gaps = 0;
  for (std::size_t i = 1; i < got_b.size(); ++i) {
    fail_unless(got_b[i] > got_b[i - 1], "path B: seq %d after %d", got_b[i], got_b[i - 1]);
    if (got_b[i] != got_b[i - 1] + 1) ++gaps;
  }
  fail_unless_equals_int(gaps, 1);
  g_printerr("link down and up: %d pushed, path A received all, path B %zu (then %d lost)\n",
             pushed, got_b.size(), pushed - static_cast<int>(got_b.size()));

  GstStructure* st = stats(s.element);
  const GstStructure* da = entry(st, 0);
  const GstStructure* db = entry(st, 1);
  fail_unless_equals_uint64(u64(da, "packets-sent"), pushed);
  fail_unless_equals_uint64(u64(da, "dropped"), 0);
  fail_unless_equals_uint64(u64(da, "outages"), 0);
  // Pushed = received + counted, on path B.
  fail_unless_equals_uint64(u64(db, "packets-sent"), got_b.size());
  fail_unless_equals_uint64(got_b.size() + u64(db, "dropped"), pushed);
  fail_unless_equals_uint64(u64(db, "outage-dropped"), u64(db, "dropped"));
  fail_unless_equals_uint64(u64(db, "outages"), 1);
  assert_totals_are_sums(st);
  gst_structure_free(st);
  gst_harness_teardown(h);
}
GST_END_TEST;

// An IPv4 destination (the properties, to host 1) and an IPv6 one (a URI,
// out of mctx2 from fd01::1, to host 2) in one element.
GST_START_TEST(test_ipv4_and_ipv6_destinations) {
  const char* group6 = "ff3e::8000:1";
  auto rx4 = peer_receiver(1, kGroupA, 5030, kSourceA);
  auto rx6 = peer_receiver(2, group6, 5030, "fd01::1");
  Sink s;
  configure_a(s, 5030);
  const std::string uri6 = "mctx://[ff3e::8000:1]:5030?source=fd01::1&interface=mctx2";
  set_destinations(s, {uri6});
  GstHarness* h = s.harness();
  const int n = 10;
  push_buffers_then_list(h, n);

  const auto a = receive_n(*rx4, 2 * n + 1, 1000);
  const auto b = receive_n(*rx6, 2 * n + 1, 1000);
  assert_run(a, 0, 2 * n, "IPv4");
  assert_run(b, 0, 2 * n, "IPv6");
  for (int i = 0; i < 2 * n; ++i) {
    assert_str_eq(b[i].from.address.with_scope_id(0).to_string(), "fd01::1");
    assert_str_eq(b[i].destination.with_scope_id(0).to_string(), group6);
  }
  GstStructure* st = stats(s.element);
  fail_unless_equals_int(entries(st), 2);
  assert_str_eq(field_string(entry(st, 1), "group"), group6);
  fail_unless_equals_uint64(u64(entry(st, 1), "packets-sent"), 2 * n);
  fail_unless_equals_uint64(u64(st, "packets-sent"), 4 * n);
  assert_totals_are_sums(st);
  gst_structure_free(st);
  gst_harness_teardown(h);
}
GST_END_TEST;

// add and remove while buffers stream (PLAYING): the staying path receives
// every datagram once (in any order: it is shaped, see assert_each_once);
// the added path (unshaped) a contiguous run, in order, that starts
// at a buffer or list boundary, with nothing pushed after remove returned.
// Path A's link is rate-limited and its send buffer small, so the streaming
// thread spends most of its time waiting inside a buffer or a list for path
// A's socket: add and remove come in the middle of one.
GST_START_TEST(test_add_remove_while_playing) {
  run("tc qdisc replace dev mctx0 root tbf rate 20mbit burst 8kb limit 1mb");
  Collector rx_a(peer_receiver(1, kGroupA, 5040, kSourceA));
  Collector rx_b(peer_receiver(2, kGroupB, 5042, kSourceB));
  Sink s;
  configure_a(s, 5040);
  g_object_set(s.element, "buffer-size", 4096, nullptr);
  const std::string b = uri_b(5042);
  GstHarness* h = s.harness();
  Pusher pusher(h, rx_a);

  fail_unless(pusher.wait_done(300, milliseconds(20000)), "%d pushed", pusher.done());
  const int done_before_add = pusher.done();
  fail_unless(emit_add(s.element, b), "add('%s') returned FALSE", b.c_str());
  const int started_after_add = pusher.started();
  assert_destinations(s.element, b);

  fail_unless(rx_b.wait_for(500, milliseconds(20000)), "path B received %zu", rx_b.count());
  fail_unless(pusher.wait_done(started_after_add + 1000, milliseconds(20000)), "%d pushed",
              pusher.done());
  const int done_before_remove = pusher.done();
  fail_unless(emit_remove(s.element, b), "remove('%s') returned FALSE", b.c_str());
  const int started_after_remove = pusher.started();
  assert_destinations(s.element);
  fail_unless(destination_metrics(s.element, b) == nullptr, "get-metrics of a removed destination");

  // The stayer goes on.
  fail_unless(pusher.wait_done(started_after_remove + 300, milliseconds(20000)));
  const int pushed = finish(pusher, rx_a, rx_b);

  const int a_reordered = assert_each_once(rx_a.datagrams(), 0, pushed, "path A");
  const auto got_b = seqs(rx_b.datagrams());
  fail_unless(!got_b.empty(), "path B received nothing");
  const int b_first = got_b.front();
  const int b_last = got_b.back();
  assert_run(rx_b.datagrams(), b_first, b_last - b_first + 1, "path B");  // contiguous
  g_printerr(
      "add/remove while playing: %d pushed (path A, shaped: %d arrived out of order); path B "
      "received %d to %d (add between %d and %d, remove between %d and %d)\n",
      pushed, a_reordered, b_first, b_last, done_before_add, started_after_add,
      done_before_remove, started_after_remove);
  fail_unless(pusher.is_boundary(b_first), "path B starts at seq %d, inside a list", b_first);
  fail_unless(b_first >= done_before_add && b_first <= started_after_add,
              "path B starts at seq %d; add was called after seq %d was sent and returned before "
              "seq %d was pushed",
              b_first, done_before_add, started_after_add);
  fail_unless(b_last >= done_before_remove - 1 && b_last < started_after_remove,
              "path B ends at seq %d; remove was called after seq %d was sent and returned before "
              "seq %d was pushed",
              b_last, done_before_remove, started_after_remove);

  // The removed destination's counts stay in the totals.
  GstStructure* st = stats(s.element);
  fail_unless_equals_int(destination_count(st), 1);
  fail_unless_equals_int(entries(st), 1);
  fail_unless_equals_uint64(u64(entry(st, 0), "packets-sent"), pushed);
  fail_unless(u64(entry(st, 0), "would-block") > 0, "path A never waited: the test proves less");
  fail_unless_equals_uint64(u64(st, "packets-sent"), pushed + got_b.size());
  fail_unless_equals_uint64(u64(st, "dropped"), 0);
  gst_structure_free(st);
  gst_harness_teardown(h);
}
GST_END_TEST;

// remove while the streaming thread waits for the removed path's full socket
// (a link rate-limited to 2 kbit/s and a tiny send buffer: room for the next
// datagram comes only every few seconds): the call returns at once, the
// waiting thread is woken and moves on, and the staying path, held back to
// the other's rate until then, receives everything at its own speed.
GST_START_TEST(test_remove_while_blocked_on_it) {
  run("tc qdisc replace dev mctx2 root tbf rate 2kbit burst 2kb limit 1mb");
  Collector rx_a(peer_receiver(1, kGroupA, 5050, kSourceA));
  Collector rx_b(peer_receiver(2, kGroupB, 5052, kSourceB));
  Sink s;
  configure_a(s, 5050);
  const std::string b = uri_b(5052, "&buffer-size=2048");
  set_destinations(s, {b});
  GstHarness* h = s.harness();
  Pusher pusher(h, rx_a);

  fail_unless(poll_until([&] { return destination_counter(s.element, b, "would-block") > 0; },
                         milliseconds(20000)),
              "path B never waited for its socket: the test proves nothing");
  fail_unless(
      poll_until([&] { return destination_state(s.element, b) == "waiting"; }, milliseconds(10000)),
      "path B's state is '%s' while its socket is full", destination_state(s.element, b).c_str());
  const int done_before_remove = pusher.done();
  fail_unless(done_before_remove < 100, "%d pushed: path B did not hold the stream back",
              done_before_remove);

  const auto t0 = Clock::now();
  fail_unless(emit_remove(s.element, b));
  const int started_after_remove = pusher.started();
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
  fail_unless(took < 500, "remove took %lld ms", static_cast<long long>(took));
  // The push that waited for path B returns without waiting for its socket
  // (which would take seconds), then 2000 datagrams go (path B: hours).
  fail_unless(pusher.wait_done(started_after_remove, milliseconds(20000)));
  const auto woken = std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
  fail_unless(woken < 1000, "the waiting push returned %lld ms after remove",
              static_cast<long long>(woken));
  g_printerr("remove while blocked: remove took %lld ms, the waiting push returned after %lld ms\n",
             static_cast<long long>(took), static_cast<long long>(woken));
  fail_unless(pusher.wait_done(started_after_remove + 2000, milliseconds(10000)),
              "the stream did not go on after remove: %d pushed", pusher.done());
  const int pushed = finish(pusher, rx_a, rx_b);

  assert_run(rx_a.datagrams(), 0, pushed, "path A");
  // Path B: the beginning of the stream, nothing pushed after remove (what
  // the rate limit still holds is discarded with it).
  const auto got_b = seqs(rx_b.datagrams());
  fail_unless(!got_b.empty(), "path B received nothing");
  assert_run(rx_b.datagrams(), 0, static_cast<int>(got_b.size()), "path B");
  fail_unless(got_b.back() < started_after_remove, "path B received seq %d, pushed after remove",
              got_b.back());
  gst_harness_teardown(h);
}
GST_END_TEST;

// The answers of add, remove, clear and get-metrics, and the destinations
// property following them, with three destinations received.
GST_START_TEST(test_signals_answers_and_clear) {
  auto rx_a = peer_receiver(1, kGroupA, 5060, kSourceA);
  auto rx_b = peer_receiver(2, kGroupB, 5062, kSourceB);
  auto rx_c = peer_receiver(1, "239.255.3.1", 5064);
  Sink s;
  configure_a(s, 5060);
  GstHarness* h = s.harness();
  const std::string b = uri_b(5062);
  const std::string c = "mctx://239.255.3.1:5064?interface=mctx0";

  fail_unless(emit_add(s.element, b));
  assert_destinations(s.element, b);
  fail_unless(warnings(s).empty());

  // A duplicate, a bad URI, one that cannot be opened: FALSE and a warning
  // naming the URI; the set stays.
  fail_if(emit_add(s.element, b));
  auto w = warnings(s);
  fail_unless_equals_int(w.size(), 1);
  assert_contains(w[0], "add '" + b + "': ");

  const std::string bad = "mctx://239.255.2.9:5006?ttl=300";
  GstElement* other = gst_element_factory_make("mctxsink", nullptr);
  GError* err = nullptr;
  fail_if(gst_uri_handler_set_uri(GST_URI_HANDLER(other), bad.c_str(), &err));
  fail_unless(err != nullptr);
  const std::string handler_message = err->message;
  g_clear_error(&err);
  gst_object_unref(other);
  fail_if(emit_add(s.element, bad));
  w = warnings(s);
  fail_unless_equals_int(w.size(), 1);
  assert_contains(w[0], "add '" + bad + "': ");
  assert_contains(w[0], handler_message);

  const std::string unopenable = "mctx://239.255.2.9:5006?interface=nosuch0";
  fail_if(emit_add(s.element, unopenable));
  w = warnings(s);
  fail_unless_equals_int(w.size(), 1);
  assert_contains(w[0], "add '" + unopenable + "': ");
  assert_contains(w[0], "nosuch0");
  assert_destinations(s.element, b);

  // remove: FALSE for an unknown URI and for the properties' destination,
  // each with a warning naming the URI, as add does.
  fail_if(emit_remove(s.element, "mctx://239.255.9.9:5000"));
  w = warnings(s);
  fail_unless_equals_int(w.size(), 1);
  assert_contains(w[0], "remove 'mctx://239.255.9.9:5000': not one of the destinations");
  fail_if(emit_remove(s.element, uri_a(5060)));
  w = warnings(s);
  fail_unless_equals_int(w.size(), 1);
  assert_contains(w[0], "remove '" + uri_a(5060) + "': ");

  // Addresses are compared as the core parses them: FF3E::1 and ff3e::1,
  // or an interface address written in full, are the same destination
  // (checked on a stopped element: nothing is opened).
  {
    GstElement* stopped = gst_element_factory_make("mctxsink", nullptr);
    fail_unless(emit_add(stopped, "mctx://[FF3E::1]:5004?interface=fd00:0::1"));
    fail_if(emit_add(stopped, "mctx://[ff3e::1]:5004?interface=fd00::1"));
    fail_if(emit_add(stopped, "mctx://[ff3e:0:0::0001]:5004?interface=FD00::1"));
    fail_unless(emit_remove(stopped, "mctx://[ff3e::1]:5004?interface=fd00::0:1"));
    assert_destinations(stopped);
    gst_object_unref(stopped);
  }

  // get-metrics: NULL for an unknown URI; a destination found whatever the
  // key order and with defaults written out; the properties' one too.
  fail_unless(destination_metrics(s.element, "mctx://239.255.9.9:5000") == nullptr);
  const std::string b_reordered =
      "mctx://239.255.2.1:5062?interface=mctx2&ttl=1&source=198.51.100.1";
  GstStructure* m = destination_metrics(s.element, b_reordered);
  fail_unless(m != nullptr, "get-metrics('%s') is NULL", b_reordered.c_str());
  fail_unless(gst_structure_has_name(m, "mctx-destination"));
  assert_str_eq(field_string(m, "uri"), b);
  gst_structure_free(m);
  m = destination_metrics(s.element, uri_a(5060));
  fail_unless(m != nullptr, "get-metrics of the properties' destination is NULL");
  assert_str_eq(field_string(m, "uri"), uri_a(5060));
  assert_str_eq(field_string(m, "group"), kGroupA);
  gst_structure_free(m);

  fail_unless(emit_add(s.element, c));
  assert_destinations(s.element, b, c);
  const int n = 5;
  for (int i = 0; i < n; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(payload(i))), GST_FLOW_OK);
  }
  assert_run(receive_n(*rx_b, n + 1, 1000), 0, n, "B");
  assert_run(receive_n(*rx_c, n + 1, 1000), 0, n, "C");
  GstStructure* st = stats(s.element);
  fail_unless_equals_int(destination_count(st), 3);
  fail_unless_equals_int(entries(st), 3);
  assert_str_eq(field_string(entry(st, 1), "uri"), b);
  assert_str_eq(field_string(entry(st, 2), "uri"), c);
  gst_structure_free(st);

  // remove by the reordered URI, then clear: only the properties' one stays.
  fail_unless(emit_remove(s.element, b_reordered));
  assert_destinations(s.element, c);
  emit_clear(s.element);
  assert_destinations(s.element);
  for (int i = n; i < 2 * n; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(payload(i))), GST_FLOW_OK);
  }
  assert_run(receive_n(*rx_a, 2 * n + 1, 1000), 0, 2 * n, "A");
  fail_unless(!rx_b->receive(milliseconds(300)).has_value(), "B received after remove");
  fail_unless(!rx_c->receive(milliseconds(300)).has_value(), "C received after clear");
  st = stats(s.element);
  fail_unless_equals_int(destination_count(st), 1);
  fail_unless_equals_int(entries(st), 1);
  fail_unless_equals_uint64(u64(st, "packets-sent"), 4 * n);  // A 10, B 5, C 5
  gst_structure_free(st);
  emit_clear(s.element);  // nothing left to clear: harmless
  assert_destinations(s.element);
  gst_harness_teardown(h);
}
GST_END_TEST;

// add and remove before the start (NULL): they change `destinations`, which
// the start opens; a restart keeps what was added while running.
GST_START_TEST(test_add_when_stopped_and_restart) {
  auto rx_a = peer_receiver(1, kGroupA, 5080, kSourceA);
  auto rx_b = peer_receiver(2, kGroupB, 5082, kSourceB);
  auto rx_c = peer_receiver(1, "239.255.3.1", 5084);
  const std::string c = "mctx://239.255.3.1:5084?interface=mctx0";
  Sink s;
  configure_a(s, 5080);
  fail_unless(emit_add(s.element, uri_b(5082)));
  fail_unless(emit_add(s.element, c));
  fail_unless(emit_remove(s.element, c));
  assert_destinations(s.element, uri_b(5082));
  GstHarness* h = s.harness();
  fail_unless_equals_int(gst_harness_push(h, text_buffer(payload(0))), GST_FLOW_OK);
  assert_run(receive_n(*rx_b, 2, 1000), 0, 1, "B");
  fail_unless(emit_add(s.element, c));  // while running

  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_NULL),
                         GST_STATE_CHANGE_SUCCESS);
  assert_destinations(s.element, uri_b(5082), c);
  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_PLAYING),
                         GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int(gst_harness_push(h, text_buffer(payload(1))), GST_FLOW_OK);
  assert_run(receive_n(*rx_a, 3, 1000), 0, 2, "A");
  assert_run(receive_n(*rx_b, 2, 1000), 1, 1, "B after the restart");
  assert_run(receive_n(*rx_c, 2, 1000), 1, 1, "C after the restart");
  gst_harness_teardown(h);
}
GST_END_TEST;

// destinations without group: the element starts and sends to each. An
// empty set (clear) counts what it cannot send as dropped, with one
// warning; an add sends again.
GST_START_TEST(test_destinations_without_group) {
  auto rx_a = peer_receiver(1, kGroupA, 5070, kSourceA);
  auto rx_b = peer_receiver(2, kGroupB, 5072, kSourceB);
  {
    Sink none;  // neither: refused as before
    assert_contains(start_error(none), "group is not set");
  }
  Sink s;
  g_object_set(s.element, "stats-interval", 0u, nullptr);
  set_destinations(s, {uri_a(5070), uri_b(5072)});
  GstHarness* h = s.harness();
  const int n = 10;
  push_buffers_then_list(h, n);
  assert_run(receive_n(*rx_a, 2 * n + 1, 1000), 0, 2 * n, "A");
  assert_run(receive_n(*rx_b, 2 * n + 1, 1000), 0, 2 * n, "B");

  GstStructure* st = stats(s.element);
  fail_unless_equals_int(destination_count(st), 2);
  fail_unless_equals_int(entries(st), 2);
  assert_str_eq(field_string(entry(st, 0), "uri"), uri_a(5070));
  assert_str_eq(field_string(entry(st, 1), "uri"), uri_b(5072));
  fail_unless_equals_uint64(u64(st, "packets-sent"), 4 * n);
  assert_totals_are_sums(st);
  gst_structure_free(st);
  fail_unless(warnings(s).empty());

  emit_clear(s.element);
  assert_destinations(s.element);
  for (int i = 0; i < 3; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(payload(2 * n + i))), GST_FLOW_OK);
  }
  st = stats(s.element);
  fail_unless_equals_int(destination_count(st), 0);
  fail_unless_equals_uint64(u64(st, "dropped"), 3);
  fail_unless_equals_uint64(u64(st, "packets-sent"), 4 * n);
  gst_structure_free(st);
  fail_unless_equals_int(warnings(s).size(), 1);

  fail_unless(emit_add(s.element, uri_b(5072)));
  fail_unless_equals_int(gst_harness_push(h, text_buffer(payload(2 * n + 3))), GST_FLOW_OK);
  assert_run(receive_n(*rx_b, 2, 1000), 2 * n + 3, 1, "B after add");
  fail_unless(!rx_a->receive(milliseconds(300)).has_value(), "A received after clear");
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite* mctxsink_destinations_suite() {
  Suite* s = suite_create("mctxsink-destinations");
  TCase* tc = tcase_create("destinations");
  tcase_set_timeout(tc, 100);
  tcase_add_checked_fixture(tc, reset_links, nullptr);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_st2022_7_pair);
  tcase_add_test(tc, test_one_link_down_other_path_delivers);
  tcase_add_test(tc, test_ipv4_and_ipv6_destinations);
  tcase_add_test(tc, test_add_remove_while_playing);
  tcase_add_test(tc, test_remove_while_blocked_on_it);
  tcase_add_test(tc, test_signals_answers_and_clear);
  tcase_add_test(tc, test_add_when_stopped_and_restart);
  tcase_add_test(tc, test_destinations_without_group);
  return s;
}

int main(int argc, char** argv) {
  const mctx::test::NetnsRules rules{
      .allowed_interfaces = {"lo", "mctx0", "mctx1", "mctx2", "mctx3"},
      .required_env = {"MCTX_PEER_NETNS", "MCTX_PEER2_NETNS", "MCTX_VETH2"},
      .how_to_run = "scripts/mctx-netns --peer2"};
  if (!mctx::test::require_private_netns(rules, "the destinations tests send multicast")) {
    return mctx::test::kSkipExitCode;
  }
  gst_check_init(&argc, &argv);
  return gst_check_run_suite(mctxsink_destinations_suite(), "mctxsink-destinations", __FILE__);
}
