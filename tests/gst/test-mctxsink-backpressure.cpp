// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Backpressure, inside scripts/mctx-netns --peer: the element sends out of
// mctx0, whose egress is rate-limited with a token bucket (tc tbf), and a
// receiver in the peer namespace (joined on mctx1) counts what crossed the
// link. With a tiny send buffer the socket keeps filling up: the element must
// wait for writability and deliver every buffer, and a flush or a state
// change while it waits must return promptly.

#include <cstdlib>

#include "gst-test-util.hpp"

using namespace mctx_gst_test;
using Clock = std::chrono::steady_clock;

static const char* const kGroup = "239.1.2.4";

static void tc(const std::string& args) {
  const std::string cmd = "tc qdisc replace dev mctx0 root " + args;
  const int rc = std::system(cmd.c_str());
  fail_unless(rc == 0, "'%s' failed (%d)", cmd.c_str(), rc);
}

static std::unique_ptr<mctx::test::Receiver> peer_receiver(uint16_t port) {
  return peer_rx(kGroup, port);
}

static std::string payload(int i) {
  std::string p(1000, static_cast<char>('a' + i % 26));
  const std::string tag = "seq=" + std::to_string(i) + ";";
  p.replace(0, tag.size(), tag);
  return p;
}

// Reads up to `count` datagrams (until 800 ms pass without one) on a thread
// of its own, so that a receiver keeps up while the element sends.
class BackgroundReader {
 public:
  BackgroundReader(mctx::test::Receiver& rx, std::size_t count)
      : thread_([this, &rx, count] {
          try {
            got_ = rx.receive_n(count, std::chrono::milliseconds(800));
          } catch (const std::exception& e) {
            error_ = e.what();
          }
        }) {}
  std::vector<mctx::test::Datagram> join(const char* what) {
    thread_.join();
    fail_unless(error_.empty(), "%s: %s", what, error_.c_str());
    return std::move(got_);
  }

 private:
  std::vector<mctx::test::Datagram> got_;
  std::string error_;
  std::thread thread_;  // last: starts once the others exist
};

// A sink sending to kGroup:port out of the rate-limited mctx0 from
// 192.0.2.1, with a tiny send buffer (2048 bytes).
struct SlowSink : Sink {
  explicit SlowSink(uint16_t port) {
    g_object_set(element, "group", kGroup, "port", static_cast<guint>(port), "interface", "mctx0",
                 "source-address", "192.0.2.1", "buffer-size", 2048, "stats-interval", 0u, nullptr);
  }
};

// Two paths of one sink, both to `port`: the first destination fast_group
// on lo (never full), and a further one, kGroup out of the rate-limited
// mctx0 from 192.0.2.1 with a socket buffer of buffer_size bytes. Each has
// its receiver (the fast one with room for every datagram: a loaded machine
// may leave its reader unscheduled while lo delivers the whole stream).
struct TwoPathSink : Sink {
  TwoPathSink(const char* fast_group, uint16_t port, int buffer_size)
      : slow(peer_receiver(port)), fast(receiver(fast_group, port, "lo", 8 << 20)) {
    g_object_set(element, "group", fast_group, "port", static_cast<guint>(port), "interface", "lo",
                 "stats-interval", 0u, nullptr);
    const std::string further =
        "<\"mctx://" + std::string(kGroup) + ":" + std::to_string(port) +
        "?interface=mctx0&source=192.0.2.1&buffer-size=" + std::to_string(buffer_size) + "\">";
    gst_util_set_object_arg(G_OBJECT(element), "destinations", further.c_str());
  }
  std::unique_ptr<mctx::test::Receiver> slow, fast;
};

// Every buffer arrives although the socket is full most of the time.
MCTX_GST_TEST(test_backpressure_delivers_everything) {
  tc("tbf rate 8mbit burst 4kb limit 8mb");
  auto rx = peer_receiver(5004);
  const int n = 200;
  std::vector<mctx::test::Datagram> got;
  std::string reader_error;
  std::thread reader([&] {
    try {
      got = rx->receive_n(2 * n, std::chrono::milliseconds(800));
    } catch (const std::exception& e) {
      reader_error = e.what();
    }
  });

  SlowSink s(5004);
  GstHarness* h = s.harness();
  push_texts(h, n / 2, n - n / 2, payload);  // singles, then a list
  reader.join();
  fail_unless(reader_error.empty(), "receiver: %s", reader_error.c_str());

  fail_unless_equals_int(got.size(), n);
  for (int i = 0; i < n; ++i) {
    fail_unless(payload_string(got[i]) == payload(i), "datagram %d out of order or damaged", i);
    assert_str_eq(got[i].from.address.to_string(), "192.0.2.1");
  }
  expect_sent_through_backpressure(s.element, n);
}
GST_END_TEST;

// Pushes buffers from a thread until the element blocks on a full socket.
struct BlockedPusher {
  GstHarness* h;
  GstElement* element;
  std::thread thread;
  std::atomic<bool> done{false};
  std::atomic<int> last{GST_FLOW_OK};
  Clock::time_point returned_at;

  BlockedPusher(GstHarness* harness, GstElement* e) : h(harness), element(e) {
    thread = std::thread([this] {
      for (int i = 0; i < 100000; ++i) {
        const GstFlowReturn r = gst_harness_push(h, text_buffer(payload(i)));
        if (r != GST_FLOW_OK) {
          last = r;
          break;
        }
      }
      returned_at = Clock::now();
      done = true;
    });
  }
  // Waits until the element is blocked: would-block counted and the pusher
  // stuck for a while.
  void wait_blocked() {
    mctx::test::wait_until(
        [&] {
          GstStructure* st = stats(element);
          const guint64 wb = u64(st, "would-block");
          gst_structure_free(st);
          return wb > 0;
        },
        std::chrono::seconds(5), std::chrono::milliseconds(10));
    g_usleep(300 * 1000);  // the pusher stays stuck (checked below)
    fail_if(done.load(), "the pusher never blocked");
  }
  ~BlockedPusher() {
    if (thread.joinable()) thread.join();
  }
};

MCTX_GST_TEST(test_flush_while_blocked_returns_promptly) {
  tc("tbf rate 16kbit burst 2kb limit 8mb");  // ~2 packets per second
  SlowSink s(5006);
  GstHarness* h = s.harness();
  {
    BlockedPusher p(h, s.element);
    p.wait_blocked();
    const auto t0 = Clock::now();
    fail_unless(gst_pad_push_event(h->srcpad, gst_event_new_flush_start()));
    p.thread.join();
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(p.returned_at - t0);
    GST_INFO("flush returned after %lld ms", static_cast<long long>(waited.count()));
    fail_unless(waited.count() < 500, "flush took %lld ms", static_cast<long long>(waited.count()));
    fail_unless_equals_int(p.last.load(), GST_FLOW_FLUSHING);
  }
  fail_unless(gst_pad_push_event(h->srcpad, gst_event_new_flush_stop(TRUE)));
  // The interrupted buffer is counted, not silently lost.
  GstStructure* st = stats(s.element);
  fail_unless(u64(st, "dropped") >= 1);
  const guint64 sent_before = u64(st, "packets-sent");
  gst_structure_free(st);

  // Streaming resumes once the link is fast again.
  tc("tbf rate 100mbit burst 100kb limit 8mb");
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(h, gst_event_new_segment(&seg)));
  const auto t0 = Clock::now();
  fail_unless_equals_int(gst_harness_push(h, text_buffer("after flush")), GST_FLOW_OK);
  fail_unless(Clock::now() - t0 < std::chrono::seconds(5));
  st = stats(s.element);
  fail_unless_equals_uint64(u64(st, "packets-sent"), sent_before + 1);
  gst_structure_free(st);
}
GST_END_TEST;

MCTX_GST_TEST(test_state_change_while_blocked_returns_promptly) {
  tc("tbf rate 16kbit burst 2kb limit 8mb");
  SlowSink s(5008);
  GstHarness* h = s.harness();
  {
    BlockedPusher p(h, s.element);
    p.wait_blocked();
    const auto t0 = Clock::now();
    fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_NULL),
                           GST_STATE_CHANGE_SUCCESS);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
    fail_unless(took.count() < 1000, "set_state(NULL) took %lld ms",
                static_cast<long long>(took.count()));
    p.thread.join();
    fail_unless(p.last.load() != GST_FLOW_OK);
  }
  // The stop message carries the final totals.
  auto msgs = pop_metrics(s.bus);
  fail_unless(!msgs.empty());
  assert_str_eq(field_string(msgs.back(), "reason"), "stop");
  fail_unless(u64(msgs.back(), "would-block") > 0);
  for (auto* m : msgs) gst_structure_free(m);
}
GST_END_TEST;

// PLAYING -> PAUSED while the element waits for a full socket, then PLAYING
// again (GstBaseSink's contract: the interrupted render waits for preroll
// and sends again). Every buffer arrives, in order; nothing is counted as
// dropped; nothing is sent while paused; each state change completes within
// a second. list_size 0: single buffers, otherwise lists of that many.
static void pause_and_resume(uint16_t port, int list_size) {
  // ~8 datagrams of 500 bytes per second; the socket holds about three.
  tc("tbf rate 32kbit burst 2kb limit 8mb");
  auto rx = peer_receiver(port);
  const int n = 24;
  SlowSink s(port);
  GstHarness* h = s.harness();
  const auto small_payload = [](int i) { return payload(i).substr(0, 500); };
  pause_and_resume_while_blocked(
      h, s.element, n, [&](int i) { return text_buffer(small_payload(i)); },
      list_size == 0 ? n : 0, list_size);

  const auto got =
      must("receiving", [&] { return rx->receive_n(n + 1, std::chrono::milliseconds(1500)); });
  fail_unless_equals_int(got.size(), n);
  for (int i = 0; i < n; ++i) {
    fail_unless(payload_string(got[i]) == small_payload(i), "datagram %d out of order or damaged",
                i);
  }
  GstStructure* st = stats(s.element);
  GST_INFO("after pause and resume: %" GST_PTR_FORMAT, st);
  fail_unless_equals_uint64(u64(st, "packets-sent"), n);
  fail_unless_equals_uint64(u64(st, "dropped"), 0);
  gst_structure_free(st);
  s.teardown();
}

MCTX_GST_TEST(test_pause_while_blocked_resumes_single_buffers) {
  pause_and_resume(5010, 0);
}
GST_END_TEST;

MCTX_GST_TEST(test_pause_while_blocked_resumes_lists) {
  pause_and_resume(5012, 6);
}
GST_END_TEST;

// The slow and the fast path each got datagrams 0 .. n-1 of `payload_of`,
// in order, and nothing more.
static void expect_both_paths(const std::vector<mctx::test::Datagram>& got_slow,
                              const std::vector<mctx::test::Datagram>& got_fast, int n,
                              const std::function<std::string(int)>& payload_of) {
  fail_unless_equals_int(got_slow.size(), n);
  fail_unless_equals_int(got_fast.size(), n);
  for (int i = 0; i < n; ++i) {
    fail_unless(payload_string(got_slow[i]) == payload_of(i), "slow path: datagram %d", i);
    fail_unless(got_fast[i].payload == got_slow[i].payload, "the paths differ at %d", i);
  }
}

// Several destinations, one of them slow: the destination out of the
// rate-limited mctx0 keeps filling its tiny socket, the first destination
// (lo) never does. With queue-full=wait the streaming thread waits for the
// slow path, so both receive every datagram, in the same order, and nothing
// is dropped on either (the documented choice: redundant paths stay
// identical, the fast path slows to the slow one's rate).
MCTX_GST_TEST(test_slow_destination_is_waited_for) {
  tc("tbf rate 8mbit burst 4kb limit 8mb");
  TwoPathSink s("239.1.2.44", 5014, 2048);
  const int n = 200;
  // Both paths are read while the element sends.
  BackgroundReader slow_reader(*s.slow, 2 * n), fast_reader(*s.fast, 2 * n);
  GstHarness* h = s.harness();
  push_texts(h, n / 2, n - n / 2, payload);  // singles, then a list
  const auto got_slow = slow_reader.join("receiver");
  const auto got_fast = fast_reader.join("receiver on lo");

  expect_both_paths(got_slow, got_fast, n, payload);
  GstStructure* st = stats(s.element);
  expect_counters(st, {{"packets-sent", 2 * n}, {"dropped", 0}});  // both destinations
  fail_unless_equals_int(entries(st), 2);
  expect_counters(entry(st, 0), {{"packets-sent", n}});  // the fast path
  const GstStructure* d = entry(st, 1);
  expect_counters(d, {{"packets-sent", n}, {"dropped", 0}});
  fail_unless(u64(d, "would-block") > 0, "the slow path never filled up: the test proves nothing");
  gst_structure_free(st);
}
GST_END_TEST;

// The same with two destinations, the element blocked on the slow one (a
// further destination out of the rate-limited mctx0, after the fast one on
// lo): the pause interrupts the wait on that path, and after PLAYING both
// paths receive every datagram, in order, nothing counted as dropped.
MCTX_GST_TEST(test_pause_while_blocked_on_a_further_destination) {
  tc("tbf rate 32kbit burst 2kb limit 8mb");
  TwoPathSink s("239.1.2.46", 5018, 2048);
  const int n = 24;
  GstHarness* h = s.harness();
  const auto small_payload = [](int i) { return payload(i).substr(0, 500); };
  pause_and_resume_while_blocked(
      h, s.element, n, [&](int i) { return text_buffer(small_payload(i)); }, 0, 6);

  const auto got_slow =
      must("receiving", [&] { return s.slow->receive_n(n + 1, std::chrono::milliseconds(1500)); });
  const auto got_fast =
      must("receiving", [&] { return s.fast->receive_n(n + 1, std::chrono::milliseconds(500)); });
  expect_both_paths(got_slow, got_fast, n, small_payload);
  expect_counters(s.element, {{"packets-sent", 2 * n}, {"dropped", 0}});
}
GST_END_TEST;

// Several destinations with queue-full=drop: the local queue of one path
// (a tbf with a 3000-byte limit on mctx0, the socket buffer large enough
// that the qdisc, not the socket, is full) refuses datagrams; that path
// drops and counts them, the other path (lo) is sent every datagram and
// nothing is waited for. Per path: pushed = received + counted. The lists
// would go out as segmentation sends, which tbf segments itself, dropping
// segments unseen: the mctx0 destination sees the tbf at start and sends
// one datagram per message (gso "avoided"), so its count is exact.
MCTX_GST_TEST(test_queue_full_drop_on_one_path) {
  tc("tbf rate 2mbit burst 3000 limit 3000");
  TwoPathSink s("239.1.2.45", 5016, 4194304);
  const int n = 300;
  BackgroundReader slow_reader(*s.slow, 2 * n), fast_reader(*s.fast, 2 * n);
  gst_util_set_object_arg(G_OBJECT(s.element), "queue-full", "drop");
  GstHarness* h = s.harness();
  const auto start = Clock::now();
  for (int i = 0; i < n; i += 30) {
    GstBufferList* list = gst_buffer_list_new();
    for (int j = i; j < i + 30; ++j) gst_buffer_list_add(list, text_buffer(payload(j)));
    fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  const auto got_slow = slow_reader.join("receiver");
  const auto got_fast = fast_reader.join("receiver on lo");

  GstStructure* st = stats(s.element);
  fail_unless_equals_int(entries(st), 2);
  const GstStructure* fast_path = entry(st, 0);
  const GstStructure* d = entry(st, 1);
  g_printerr("pushed %d in %lld ms; lo received %zu; mctx0 received %zu, queue-full-dropped %"
           G_GUINT64_FORMAT "\n", n, static_cast<long long>(took.count()), got_fast.size(),
           got_slow.size(), u64(d, "queue-full-dropped"));
  // The fast path: everything, in order, nothing counted.
  fail_unless_equals_int(got_fast.size(), n);
  for (int i = 0; i < n; ++i) {
    fail_unless(payload_string(got_fast[i]) == payload(i), "lo path: datagram %d", i);
  }
  expect_counters(fast_path, {{"packets-sent", n}, {"dropped", 0}});
  // tbf on mctx0 segments segmentation sends by itself and hides its drops:
  // that destination does not use them (lo's does).
  assert_str_eq(field_string(d, "gso"), "avoided");
  assert_str_eq(field_string(fast_path, "gso"), "active");
  // The limited path: what it did not deliver is counted, on it alone.
  fail_unless(u64(d, "queue-full-dropped") > 0, "the queue never filled: the test proves nothing");
  fail_unless_equals_uint64(u64(d, "dropped"), u64(d, "queue-full-dropped"));
  fail_unless_equals_uint64(got_slow.size() + u64(d, "dropped"), n);
  fail_unless_equals_uint64(u64(d, "packets-sent"), got_slow.size());
  // Totals: the sum of both.
  fail_unless_equals_uint64(u64(st, "queue-full-dropped"), u64(d, "queue-full-dropped"));
  fail_unless_equals_uint64(u64(st, "packets-sent"), n + got_slow.size());
  gst_structure_free(st);
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-backpressure", .netns = netns_peer(), .timeout = 60});
