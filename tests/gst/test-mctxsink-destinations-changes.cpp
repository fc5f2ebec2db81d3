// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Several destinations per mctxsink (gst-destinations-test.hpp), changing
// the set:
//   - add / remove / clear while PLAYING: the staying path loses and
//     duplicates nothing, the added one receives a contiguous run starting at
//     a buffer or list boundary; remove while blocked on the removed path's
//     full socket returns at once; the signals' answers and warnings;
//   - add and remove before the start; a restart keeps what was added;
//   - destinations without group.

#include "gst-destinations-test.hpp"

using namespace mctx_gst_test;
using std::chrono::milliseconds;

// add and remove while buffers stream (PLAYING): the staying path receives
// every datagram once (in any order: it is shaped, see assert_each_once);
// the added path (unshaped) a contiguous run, in order, that starts
// at a buffer or list boundary, with nothing pushed after remove returned.
// Path A's link is rate-limited and its send buffer small, so the streaming
// thread spends most of its time waiting inside a buffer or a list for path
// A's socket: add and remove come in the middle of one.
MCTX_GST_TEST(test_add_remove_while_playing) {
  run("tc qdisc replace dev mctx0 root tbf rate 20mbit burst 8kb limit 1mb");
  Collector rx_a(peer_receiver(1, kGroupA, 5040, kSourceA));
  Collector rx_b(peer_receiver(2, kGroupB, 5042, kSourceB));
  SinkA s(5040);
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
}
GST_END_TEST;

// remove while the streaming thread waits for the removed path's full socket
// (a link rate-limited to 2 kbit/s and a tiny send buffer: room for the next
// datagram comes only every few seconds): the call returns at once, the
// waiting thread is woken and moves on, and the staying path, held back to
// the other's rate until then, receives everything at its own speed.
MCTX_GST_TEST(test_remove_while_blocked_on_it) {
  run("tc qdisc replace dev mctx2 root tbf rate 2kbit burst 2kb limit 1mb");
  Collector rx_a(peer_receiver(1, kGroupA, 5050, kSourceA));
  Collector rx_b(peer_receiver(2, kGroupB, 5052, kSourceB));
  SinkA s(5050);
  const std::string b = uri_b(5052, "&buffer-size=2048");
  set_destinations(s, {b});
  GstHarness* h = s.harness();
  Pusher pusher(h, rx_a);

  fail_unless(mctx::test::wait_until([&] { return destination_counter(s.element, b, "would-block") > 0; },
                         milliseconds(20000)),
              "path B never waited for its socket: the test proves nothing");
  fail_unless(
      mctx::test::wait_until([&] { return destination_state(s.element, b) == "waiting"; }, milliseconds(10000)),
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
}
GST_END_TEST;

// The answers of add, remove, clear and get-metrics, and the destinations
// property following them, with three destinations received.
MCTX_GST_TEST(test_signals_answers_and_clear) {
  auto rx_a = peer_receiver(1, kGroupA, 5060, kSourceA);
  auto rx_b = peer_receiver(2, kGroupB, 5062, kSourceB);
  auto rx_c = peer_receiver(1, "239.255.3.1", 5064);
  SinkA s(5060);
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
}
GST_END_TEST;

// add and remove before the start (NULL): they change `destinations`, which
// the start opens; a restart keeps what was added while running.
MCTX_GST_TEST(test_add_when_stopped_and_restart) {
  auto rx_a = peer_receiver(1, kGroupA, 5080, kSourceA);
  auto rx_b = peer_receiver(2, kGroupB, 5082, kSourceB);
  auto rx_c = peer_receiver(1, "239.255.3.1", 5084);
  const std::string c = "mctx://239.255.3.1:5084?interface=mctx0";
  SinkA s(5080);
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
}
GST_END_TEST;

// destinations without group: the element starts and sends to each. An
// empty set (clear) counts what it cannot send as dropped, with one
// warning; an add sends again.
MCTX_GST_TEST(test_destinations_without_group) {
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
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-destinations-changes", .netns = netns_peer2(),
                    .timeout = 100, .setup = reset_links});
