// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink with segmentation offload and pacing, over the veth pair with
// software segmentation (tx-udp-segmentation off on mctx0), received on
// mctx1 in the peer namespace: buffer lists of equal sizes (one message per run), mixed sizes,
// an oversized buffer in the middle (dropped alone), gso=off, IPv6, a full
// shaping queue (tbf: queue-full=wait sends refused messages again); and
// max-rate: lists spread out at the rate, a flush interrupts the wait.
// Runs inside scripts/mctx-netns --peer.

#include "gst-test-util.hpp"

using namespace mctx_gst_test;

static void software_segmentation() {
  fail_unless(std::system("ethtool -K mctx0 tx-udp-segmentation off >/dev/null 2>&1") == 0,
              "ethtool -K mctx0 tx-udp-segmentation off failed");
}

// Buffer i of a list: `size` bytes starting with "i:".
static std::string payload(int i, std::size_t size) {
  std::string p(size, static_cast<char>('a' + i % 26));
  const std::string tag = std::to_string(i) + ":";
  if (size >= tag.size()) p.replace(0, tag.size(), tag);
  return p;
}

static GstBufferList* make_list(const std::vector<std::size_t>& sizes, int first,
                                std::vector<std::string>* sent) {
  GstBufferList* list = gst_buffer_list_new();
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    const std::string p = payload(first + static_cast<int>(k), sizes[k]);
    gst_buffer_list_add(list, text_buffer(p));
    if (sent) sent->push_back(p);
  }
  return list;
}

// Pushes `lists` lists of 64 datagrams of 1316 bytes (numbered from 0 on),
// appending them to *sent.
static void push_equal_lists(GstHarness* h, int lists, std::vector<std::string>* sent) {
  for (int l = 0; l < lists; ++l) {
    fail_unless_equals_int(
        push_list(h, make_list(std::vector<std::size_t>(64, 1316), l * 64, sent)), GST_FLOW_OK);
  }
}

// A receiver in the peer namespace, joined on mctx1 there (an IPv4 datagram
// from 192.0.2.1 arriving on mctx1 in the sender's own namespace would be a
// martian: its source is local), with room for every datagram of a test.
static std::unique_ptr<mctx::test::Receiver> peer_receiver(const char* group, uint16_t port) {
  return peer_rx(group, port, nullptr, mctx::test::Peer::first, 16 << 20);
}

static void expect_received(mctx::test::Receiver& rx, const std::vector<std::string>& want) {
  const auto got = receive_n(rx, want.size() + 1, 500);
  fail_unless_equals_int(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    fail_unless(payload_string(got[i]) == want[i], "datagram %zu differs (%zu bytes, want %zu)", i,
                got[i].payload.size(), want[i].size());
  }
}

// A sink sending to group:port out of mctx0 with software segmentation (no
// offload on mctx0), and the receiver of that group in the peer.
struct PeerPath {
  PeerPath(const char* group, guint port)
      : rx((software_segmentation(), peer_receiver(group, static_cast<uint16_t>(port)))) {
    g_object_set(s.element, "group", group, "port", port, "interface", "mctx0", nullptr);
  }
  // Pushes `lists` lists of equal datagrams (push_equal_lists()) through
  // the harness of s: the receiver gets every one, in order. Returns them.
  std::vector<std::string> deliver_equal_lists(int lists) {
    std::vector<std::string> sent;
    push_equal_lists(s.h, lists, &sent);
    expect_received(*rx, sent);
    return sent;
  }
  std::unique_ptr<mctx::test::Receiver> rx;
  Sink s;
};

static void lists_of_equal_sizes(const char* group, guint port) {
  PeerPath path(group, port);
  Sink& s = path.s;
  s.harness();
  path.deliver_equal_lists(3);
  GstStructure* st = stats(s.element);
  fail_unless_equals_uint64(u64(st, "packets-sent"), 192);
  fail_unless_equals_uint64(u64(st, "dropped"), 0);
  // 49 datagrams of 1316 bytes per message: 2 per list.
  fail_unless_equals_uint64(u64(st, "gso-sends"), 6);
  assert_str_eq(field_string(st, "gso"), "active");
  assert_str_eq(field_string(st, "pacing"), "unpaced");
  gst_structure_free(st);
  s.teardown();
}

MCTX_GST_TEST(test_lists_equal_sizes_ipv4) { lists_of_equal_sizes("239.1.30.1", 5400); }
GST_END_TEST;

MCTX_GST_TEST(test_lists_equal_sizes_ipv6) { lists_of_equal_sizes("ff3e::30:1", 5401); }
GST_END_TEST;

MCTX_GST_TEST(test_mixed_sizes_and_oversized_buffer) {
  PeerPath path("239.1.30.1", 5402u);
  Sink& s = path.s;
  GstHarness* h = s.harness();
  std::vector<std::size_t> sizes = {1316, 1316, 1316, 1000, 200, 200, 200, 200, 7, 1400, 1400};
  for (int i = 0; i < 70; ++i) sizes.push_back(300);  // longer than one message (64)
  sizes.push_back(70000);                              // over the UDP limit: EMSGSIZE
  for (int i = 0; i < 10; ++i) sizes.push_back(300);
  std::vector<std::string> sent;
  fail_unless_equals_int(push_list(h, make_list(sizes, 0, &sent)), GST_FLOW_OK);
  sent.erase(sent.begin() + 81);  // the oversized one is dropped, alone
  expect_received(*path.rx, sent);
  GstStructure* st = stats(s.element);
  fail_unless_equals_uint64(u64(st, "packets-sent"), sizes.size() - 1);
  fail_unless_equals_uint64(u64(st, "send-errors"), 1);
  fail_unless_equals_uint64(u64(st, "dropped"), 1);
  fail_unless(u64(st, "gso-sends") >= 5);
  assert_str_eq(field_string(st, "gso"), "active");
  gst_structure_free(st);
}
GST_END_TEST;

MCTX_GST_TEST(test_gso_off) {
  PeerPath path("239.1.30.1", 5403u);
  Sink& s = path.s;
  gst_util_set_object_arg(G_OBJECT(s.element), "gso", "off");
  s.harness();
  path.deliver_equal_lists(1);
  GstStructure* st = stats(s.element);
  fail_unless_equals_uint64(u64(st, "gso-sends"), 0);
  assert_str_eq(field_string(st, "gso"), "off");
  gst_structure_free(st);
}
GST_END_TEST;

// 20 Mbit/s: a list of 64 datagrams of 1316 bytes (1344 at the IP level)
// takes 34.4 ms on the wire; three lists at least 3 x 34.4 / 1.2 (the
// catch-up peak) minus the 1 ms burst.
MCTX_GST_TEST(test_max_rate_spreads_lists) {
  auto rx = peer_receiver("239.1.30.1", 5404);
  Sink s;
  g_object_set(s.element, "group", "239.1.30.1", "port", 5404u, "interface", "mctx0", "max-rate",
               guint64(20000000), nullptr);
  GstHarness* h = s.harness();
  std::vector<std::string> sent;
  const gint64 t0 = g_get_monotonic_time();
  push_equal_lists(h, 3, &sent);
  const gint64 elapsed_us = g_get_monotonic_time() - t0;
  fail_unless(elapsed_us >= 85000, "3 lists at 20 Mbit/s took only %" G_GINT64_FORMAT " us",
              elapsed_us);
  expect_received(*rx, sent);
  GstStructure* st = stats(s.element);
  assert_str_eq(field_string(st, "pacing"), "sender");  // no fq on mctx0
  fail_unless_equals_uint64(u64(st, "max-rate"), 20000000);
  fail_unless_equals_uint64(u64(st, "dropped"), 0);
  gst_structure_free(st);
}
GST_END_TEST;

// A flush interrupts a pacing wait: render returns FLUSHING at once and the
// datagrams not sent are counted as dropped.
MCTX_GST_TEST(test_flush_interrupts_pacing_wait) {
  Sink s;
  g_object_set(s.element, "group", "239.1.30.1", "port", 5405u, "interface", "mctx0", "max-rate",
               guint64(100000), nullptr);  // 100 kbit/s: 64 x 1344 B take 6.9 s
  GstHarness* h = s.harness();
  GstPad* src = h->srcpad;
  std::thread flusher([src] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    gst_pad_push_event(src, gst_event_new_flush_start());
  });
  const gint64 t0 = g_get_monotonic_time();
  const GstFlowReturn ret = push_list(h, make_list(std::vector<std::size_t>(64, 1316), 0, nullptr));
  const gint64 elapsed_us = g_get_monotonic_time() - t0;
  flusher.join();
  fail_unless_equals_int(ret, GST_FLOW_FLUSHING);
  fail_unless(elapsed_us < 3000000, "the flush did not interrupt the wait (%" G_GINT64_FORMAT
              " us)", elapsed_us);
  GstStructure* st = stats(s.element);
  fail_unless(u64(st, "dropped") > 0);
  fail_unless_equals_uint64(u64(st, "packets-sent") + u64(st, "dropped"), 64);
  gst_structure_free(st);
  gst_pad_push_event(src, gst_event_new_flush_stop(TRUE));
}
GST_END_TEST;

// A shaping qdisc with a tiny queue (tbf) refuses whole segmentation
// messages (ENOBUFS): with queue-full=wait they are sent again, nothing lost,
// in order; segmentation stays on.
MCTX_GST_TEST(test_queue_full_with_segmentation) {
  PeerPath path("239.1.30.1", 5406u);
  Sink& s = path.s;
  fail_unless(std::system("tc qdisc replace dev mctx0 root tbf rate 50mbit burst 100kb "
                          "limit 100kb") == 0);
  s.harness();
  const auto sent = path.deliver_equal_lists(10);  // before the qdisc (and its queue) goes
  fail_unless(std::system("tc qdisc del dev mctx0 root") == 0);
  GstStructure* st = stats(s.element);
  fail_unless(u64(st, "queue-full") > 0, "the queue was never full");
  fail_unless_equals_uint64(u64(st, "dropped"), 0);
  fail_unless_equals_uint64(u64(st, "queue-full-dropped"), 0);
  fail_unless_equals_uint64(u64(st, "send-errors"), 0);
  fail_unless_equals_uint64(u64(st, "packets-sent"), sent.size());
  fail_unless(u64(st, "gso-sends") > 0);
  assert_str_eq(field_string(st, "gso"), "active");
  gst_structure_free(st);
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-gso", .netns = netns_peer()});
