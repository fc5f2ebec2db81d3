// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink over IPv4 on lo, inside scripts/mctx-netns: every test proves
// delivery with a real receiver joined to the group (payload, order, count,
// source address and port, TTL, TOS), and checks the mctx-metrics totals
// against what the receiver counted.

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <numeric>

#include "gst-test-util.hpp"

using namespace mctx_gst_test;

static const char* const kGroup = "239.1.2.3";

// A sink sending to kGroup:5004 on lo, posting metrics every stats_interval
// ms (0: at EOS and stop only), with a receiver joined there.
struct LoSink : Sink {
  explicit LoSink(guint stats_interval = 1000) {
    g_object_set(element, "group", kGroup, "interface", "lo", "stats-interval", stats_interval,
                 nullptr);
  }
  std::unique_ptr<mctx::test::Receiver> rx = receiver(kGroup, 5004, "lo");
};

MCTX_GST_TEST(test_buffers_delivered) {
  auto rx = receiver(kGroup, 5004, "lo");
  Sink s;
  g_object_set(s.element, "group", kGroup, "port", 5004u, "interface", "lo", "source-address",
               "127.0.0.1", "source-port", 41000u, "ttl", 3u, "dscp", 10, nullptr);
  GstHarness* h = s.harness();
  const int n = 20;
  for (int i = 0; i < n; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(packet_text(i))), GST_FLOW_OK);
  }
  const auto got = receive_n(*rx, n + 1, 500);
  fail_unless_equals_int(got.size(), n);
  for (int i = 0; i < n; ++i) {
    assert_str_eq(payload_string(got[i]), packet_text(i).c_str());
    assert_str_eq(got[i].from.address.to_string(), "127.0.0.1");
    fail_unless_equals_int(got[i].from.port, 41000);
    fail_unless_equals_int(got[i].ttl, 3);
    fail_unless_equals_int(got[i].tos, 10 << 2);
    assert_str_eq(got[i].destination.to_string(), kGroup);
  }
  GstStructure* st = stats(s.element);
  expect_counters(st, {{"packets-sent", n}, {"send-calls", n}, {"dropped", 0}});
  assert_str_eq(field_string(st, "local-address"), "127.0.0.1");
  gst_structure_free(st);
}
GST_END_TEST;

MCTX_GST_TEST(test_multi_memory_buffer) {
  LoSink s;
  GstHarness* h = s.harness();
  GstBuffer* b = multi_memory_buffer({"head|", "middle|", "-|", "tail"});
  fail_unless_equals_int(gst_buffer_n_memory(b), 4);
  gst_buffer_ref(b);
  fail_unless_equals_int(gst_harness_push(h, b), GST_FLOW_OK);
  // The element did not merge the memories (no copy into one block).
  fail_unless_equals_int(gst_buffer_n_memory(b), 4);
  gst_buffer_unref(b);
  // A buffer without memory is an empty datagram.
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new()), GST_FLOW_OK);
  const auto got = receive_n(*s.rx, 3, 500);
  fail_unless_equals_int(got.size(), 2);
  assert_str_eq(payload_string(got[0]), "head|middle|-|tail");
  fail_unless_equals_int(got[1].payload.size(), 0);
}
GST_END_TEST;

MCTX_GST_TEST(test_buffer_list_batched) {
  LoSink s;
  g_object_set(s.element, "source-port", 41001u, nullptr);
  GstHarness* h = s.harness();
  const int n = 150;  // more than one sendmmsg batch
  GstBufferList* list = gst_buffer_list_new();
  std::size_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    const std::string p = packet_text(i);
    bytes += p.size();
    if (i % 3 == 0) {
      gst_buffer_list_add(list, multi_memory_buffer({p.substr(0, 5), p.substr(5)}));
    } else {
      gst_buffer_list_add(list, text_buffer(p));
    }
  }
  fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);
  // An empty list is fine too.
  fail_unless_equals_int(push_list(h, gst_buffer_list_new()), GST_FLOW_OK);

  const auto got = receive_n(*s.rx, n + 1, 500);
  fail_unless_equals_int(got.size(), n);
  for (int i = 0; i < n; ++i) {
    assert_str_eq(payload_string(got[i]), packet_text(i).c_str());
    fail_unless_equals_int(got[i].from.port, 41001);
  }
  GstStructure* st = stats(s.element);
  expect_counters(st, {{"packets-sent", n}, {"bytes-sent", bytes}});
  // Batched: far fewer send calls than datagrams.
  fail_unless(u64(st, "send-calls") <= 3, "send-calls %" G_GUINT64_FORMAT,
              u64(st, "send-calls"));
  gst_structure_free(st);
}
GST_END_TEST;

MCTX_GST_TEST(test_ephemeral_port) {
  {
    LoSink s;
    GstHarness* h = s.harness();
    fail_unless_equals_int(gst_harness_push(h, text_buffer("x")), GST_FLOW_OK);
    const auto got = receive_n(*s.rx, 1, 1000);
    fail_unless_equals_int(got.size(), 1);
    GstStructure* st = stats(s.element);
    guint lport = 0;
    fail_unless(gst_structure_get_uint(st, "local-port", &lport));
    fail_unless(lport != 0);
    fail_unless_equals_int(got[0].from.port, lport);
    gst_structure_free(st);
    s.teardown();
  }
}
GST_END_TEST;

// mctx-metrics messages: periodic ones while running, one at EOS (before the
// EOS message), one at stop; totals equal what the receiver counted.
MCTX_GST_TEST(test_metrics_messages) {
  LoSink s(100u);
  GstHarness* h = s.harness();
  const int n = 40;
  const std::size_t bytes = push_packets_over_intervals(h, n);
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));

  // The eos metrics message comes before the EOS message.
  bool eos_metrics_seen = false;
  bool eos_seen = false;
  std::vector<GstStructure*> interval_msgs;
  while (GstMessage* m = gst_bus_timed_pop(s.bus, GST_SECOND)) {
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS) {
      fail_unless(eos_metrics_seen, "EOS before the final mctx-metrics message");
      eos_seen = true;
      gst_message_unref(m);
      break;
    }
    const GstStructure* st = gst_message_get_structure(m);
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ELEMENT && gst_structure_has_name(st, "mctx-metrics")) {
      fail_unless(GST_MESSAGE_SRC(m) == GST_OBJECT(s.element));
      const std::string reason = field_string(st, "reason");
      if (reason == "eos") {
        eos_metrics_seen = true;
        fail_unless_equals_uint64(u64(st, "packets-sent"), n);
        fail_unless_equals_uint64(u64(st, "bytes-sent"), bytes);
      } else {
        assert_str_eq(reason, "interval");
        interval_msgs.push_back(gst_structure_copy(st));
      }
    }
    gst_message_unref(m);
  }
  fail_unless(eos_seen);
  // ~600 ms at 100 ms: several interval messages, counters never go down,
  // intervals about 100 ms, and some interval saw traffic.
  fail_unless(interval_msgs.size() >= 3, "only %zu interval messages", interval_msgs.size());
  guint64 prev = 0;
  bool some_rate = false;
  for (GstStructure* st : interval_msgs) {
    const guint64 p = u64(st, "packets-sent");
    fail_unless(p >= prev);
    prev = p;
    const guint64 iv = u64(st, "interval");
    fail_unless(iv >= 50 * GST_MSECOND && iv <= 1000 * GST_MSECOND,
                "interval %" GST_TIME_FORMAT, GST_TIME_ARGS(iv));
    gdouble pps = 0, bps = 0;
    fail_unless(gst_structure_get_double(st, "packets-per-second", &pps));
    fail_unless(gst_structure_get_double(st, "bytes-per-second", &bps));
    if (pps > 0) {
      some_rate = true;
      fail_unless(bps > pps);
    }
    assert_str_eq(field_string(st, "group"), kGroup);
    assert_str_eq(field_string(st, "mode"), "udp");
    guint port = 0;
    fail_unless(gst_structure_get_uint(st, "port", &port) && port == 5004);
    gst_structure_free(st);
  }
  fail_unless(some_rate);

  // What the receiver counted.
  const auto got = receive_n(*s.rx, n + 1, 300);
  fail_unless_equals_int(got.size(), n);
  const std::size_t rx_bytes =
      std::accumulate(got.begin(), got.end(), std::size_t{0},
                      [](std::size_t a, const mctx::test::Datagram& d) { return a + d.payload.size(); });
  fail_unless_equals_uint64(rx_bytes, bytes);

  // The stats property agrees; then stopping posts the last message.
  expect_counters(s.element, {{"packets-sent", got.size()}});
  gst_element_set_state(s.element, GST_STATE_NULL);
  auto rest = pop_metrics(s.bus);
  fail_unless(!rest.empty());
  assert_str_eq(field_string(rest.back(), "reason"), "stop");
  expect_counters(rest.back(),
                  {{"packets-sent", got.size()}, {"bytes-sent", rx_bytes}, {"dropped", 0}});
  for (auto* x : rest) gst_structure_free(x);
  // Stopped: zeros, never NULL.
  expect_counters(s.element, {{"packets-sent", 0}});
}
GST_END_TEST;

MCTX_GST_TEST(test_stats_interval_zero_only_final) {
  Sink s;
  g_object_set(s.element, "group", kGroup, "interface", "lo", "stats-interval", 0u, nullptr);
  GstHarness* h = s.harness();
  fail_unless_equals_int(gst_harness_push(h, text_buffer("a")), GST_FLOW_OK);
  g_usleep(300 * 1000);  // stats-interval 0: no message in that time
  auto msgs = pop_metrics(s.bus);
  fail_unless_equals_int(msgs.size(), 0);
  // Switching it on while playing takes effect at once.
  g_object_set(s.element, "stats-interval", 50u, nullptr);
  mctx::test::wait_until(
      [&] {
        for (auto* x : pop_metrics(s.bus)) msgs.push_back(x);
        return msgs.size() >= 2;
      },
      std::chrono::seconds(5), std::chrono::milliseconds(10));
  fail_unless(msgs.size() >= 2, "%zu messages", msgs.size());
  for (auto* x : msgs) gst_structure_free(x);
}
GST_END_TEST;

// A datagram the kernel refuses (too long for UDP) is counted, warned about
// (rate-limited) and streaming continues.
MCTX_GST_TEST(test_send_error_counted_and_streaming_continues) {
  LoSink s(0u);
  GstHarness* h = s.harness();
  const std::string big(70000, 'B');
  for (int i = 0; i < 5; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(big)), GST_FLOW_OK);
  }
  fail_unless_equals_int(gst_harness_push(h, text_buffer("after")), GST_FLOW_OK);
  // A list with a bad datagram in the middle: the others go out.
  GstBufferList* list = gst_buffer_list_new();
  gst_buffer_list_add(list, text_buffer("list-0"));
  gst_buffer_list_add(list, text_buffer(big));
  gst_buffer_list_add(list, text_buffer("list-2"));
  fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);

  const auto got = receive_n(*s.rx, 4, 500);
  fail_unless_equals_int(got.size(), 3);
  assert_str_eq(payload_string(got[0]), "after");
  assert_str_eq(payload_string(got[1]), "list-0");
  assert_str_eq(payload_string(got[2]), "list-2");

  const std::vector<std::string> warnings = pop_warnings(s.bus);
  fail_unless_equals_int(warnings.size(), 1);  // rate-limited: not one per packet
  assert_contains(warnings[0], "Could not send a datagram to 239.1.2.3:5004");
  assert_contains(warnings[0], "too long");
  assert_contains(warnings[0], "streaming continues");

  expect_counters(s.element, {{"dropped", 6}, {"send-errors", 6}, {"packets-sent", 3}});

  // What the next warning after the rate limit window says: test-mctxsink-
  // fanout (SendErrorWarningsAreRateLimited), on Delivery's injectable clock.
}
GST_END_TEST;

// The destinations property: two groups (two paths of a redundant pair) both
// receive the same byte-identical stream, buffers and lists, and each
// destination has its own structure in the metrics.
MCTX_GST_TEST(test_destinations_receive_identical_streams) {
  auto rx_a = receiver(kGroup, 5004, "lo");
  auto rx_b = receiver("239.1.2.4", 5006, "lo");
  Sink s;
  g_object_set(s.element, "group", kGroup, "port", 5004u, "interface", "lo", nullptr);
  gst_util_set_object_arg(G_OBJECT(s.element), "destinations",
                          "<\"mctx://239.1.2.4:5006?interface=lo&ttl=2\">");
  GValue uris = G_VALUE_INIT;
  g_object_get_property(G_OBJECT(s.element), "destinations", &uris);
  fail_unless_equals_int(gst_value_array_get_size(&uris), 1);
  assert_str_eq(g_value_get_string(gst_value_array_get_value(&uris, 0)),
                "mctx://239.1.2.4:5006?interface=lo&ttl=2");
  g_value_unset(&uris);

  GstHarness* h = s.harness();
  const int n = 10;
  push_texts(h, n, n, packet_text);  // singles, then a list

  const auto a = receive_n(*rx_a, 2 * n + 1, 500);
  const auto b = receive_n(*rx_b, 2 * n + 1, 500);
  fail_unless_equals_int(a.size(), 2 * n);
  fail_unless_equals_int(b.size(), 2 * n);
  for (int i = 0; i < 2 * n; ++i) {
    fail_unless(a[i].payload == b[i].payload, "datagram %d differs between the paths", i);
    assert_str_eq(payload_string(a[i]), packet_text(i).c_str());
    assert_str_eq(b[i].destination.to_string(), "239.1.2.4");
    fail_unless_equals_int(a[i].ttl, 1);
    fail_unless_equals_int(b[i].ttl, 2);  // the URI's own options
  }

  // Top level: totals over both destinations; the array: the properties'
  // destination first, then destinations.
  GstStructure* st = stats(s.element);
  // The list: one batch on each path.
  expect_counters(st, {{"packets-sent", 4 * n}, {"send-calls", 2 * (n + 1)}});
  fail_unless_equals_int(destination_count(st), 2);
  fail_unless_equals_int(entries(st), 2);
  const char* const expected_uris[] = {"mctx://239.1.2.3:5004?interface=lo",
                                       "mctx://239.1.2.4:5006?interface=lo&ttl=2"};
  for (guint i = 0; i < 2; ++i) {
    const GstStructure* d = entry(st, i);
    assert_str_eq(field_string(d, "uri"), expected_uris[i]);
    assert_str_eq(field_string(d, "state"), "sending");
    // Batched on each path.
    expect_counters(d, {{"packets-sent", 2 * n}, {"send-calls", n + 1}, {"dropped", 0}});
  }
  gst_structure_free(st);
}
GST_END_TEST;

// A bad URI in destinations fails the start with the URI handler's message.
MCTX_GST_TEST(test_destinations_bad_uri) {
  const char* bad = "mctx://239.1.2.4:5006?ttl=300";
  GstElement* other = gst_element_factory_make("mctxsink", nullptr);
  GError* err = nullptr;
  fail_if(gst_uri_handler_set_uri(GST_URI_HANDLER(other), bad, &err));
  fail_unless(err != nullptr);
  const std::string handler_message = err->message;
  g_clear_error(&err);
  gst_object_unref(other);

  Sink s;
  g_object_set(s.element, "group", kGroup, "interface", "lo", nullptr);
  gst_util_set_object_arg(G_OBJECT(s.element), "destinations",
                          "<\"mctx://239.1.2.5\", \"mctx://239.1.2.4:5006?ttl=300\">");
  const std::string msg = start_error(s);
  fail_unless(contains(msg, "destinations[1] 'mctx://239.1.2.4:5006?ttl=300': "), "%s",
              msg.c_str());
  fail_unless(contains(msg, handler_message), "'%s' lacks '%s'", msg.c_str(),
              handler_message.c_str());
}
GST_END_TEST;

// A URI naming a destination twice (here with its keys in another order),
// or naming the group/port/... destination again, fails the start: every
// datagram would go out twice.
MCTX_GST_TEST(test_destinations_repeated) {
  {
    Sink s;
    g_object_set(s.element, "group", kGroup, "interface", "lo", nullptr);
    gst_util_set_object_arg(G_OBJECT(s.element), "destinations",
                            "<\"mctx://239.1.2.4:5006?interface=lo&ttl=2\", "
                            "\"mctx://239.1.2.4:5006?ttl=2&interface=lo\">");
    const std::string msg = start_error(s);
    assert_contains(msg, "destinations[1] 'mctx://239.1.2.4:5006?ttl=2&interface=lo': the same "
                         "destination as destinations[0] "
                         "(mctx://239.1.2.4:5006?interface=lo&ttl=2): every datagram would be "
                         "sent twice");
  }
  {
    Sink s;
    g_object_set(s.element, "group", kGroup, "interface", "lo", nullptr);
    gst_util_set_object_arg(G_OBJECT(s.element), "destinations",
                            "<\"mctx://239.1.2.3:5004?interface=lo\">");
    const std::string msg = start_error(s);
    assert_contains(msg, "destinations[0] 'mctx://239.1.2.3:5004?interface=lo': the same "
                         "destination as the destination of the group, port, interface, ... "
                         "properties");
  }
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-send", .netns = netns_lo()});
