// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// A real pipeline, inside scripts/mctx-netns: RTP audio sent by
//   audiotestsrc ! audioconvert ! S16BE ! tee ! rtpL16pay ! mctxsink
// is received by GStreamer's own
//   udpsrc (joined on lo) ! rtpL16depay ! appsink
// and the audio that comes out must be byte for byte the audio that went in
// (kept by a second appsink on the tee), in order; the sender's mctx-metrics
// totals must equal the RTP packets udpsrc received.

#include "gst-test-util.hpp"

using namespace mctx_gst_test;

static const int kBuffers = 50;

static std::string join(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += p;
  return s;
}

MCTX_GST_TEST(test_rtp_audio_received_by_udpsrc) {
  GstElement* rx = launch(
      "udpsrc name=src address=239.1.2.5 port=5004 multicast-iface=lo auto-multicast=true "
      "caps=\"application/x-rtp,media=audio,clock-rate=48000,encoding-name=L16,channels=1,"
      "payload=96\" ! identity name=rtp ! rtpL16depay ! appsink name=recv sync=false "
      "wait-on-eos=false async=false");
  // Count the RTP packets udpsrc hands out.
  std::atomic<int> rtp_packets{0};
  GstElement* identity = gst_bin_get_by_name(GST_BIN(rx), "rtp");
  g_signal_connect(identity, "handoff",
                   G_CALLBACK(+[](GstElement*, GstBuffer*, gpointer counter) {
                     static_cast<std::atomic<int>*>(counter)->fetch_add(1);
                   }),
                   &rtp_packets);
  gst_object_unref(identity);
  fail_unless(gst_element_set_state(rx, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  fail_unless(gst_element_get_state(rx, nullptr, nullptr, 5 * GST_SECOND) !=
              GST_STATE_CHANGE_FAILURE);

  GstElement* tx = launch(
      "audiotestsrc num-buffers=" + std::to_string(kBuffers) +
      " samplesperbuffer=480 wave=sine freq=440 ! audioconvert ! "
      "audio/x-raw,format=S16BE,rate=48000,channels=1,layout=interleaved ! tee name=t "
      "t. ! queue ! appsink name=sent sync=false wait-on-eos=false "
      "t. ! queue ! rtpL16pay mtu=1400 pt=96 ! "
      "mctxsink name=sink group=239.1.2.5 port=5004 interface=lo ttl=0 stats-interval=100");
  GstBus* bus = gst_element_get_bus(tx);
  fail_unless(gst_element_set_state(tx, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);

  GstElement* sent_sink = gst_bin_get_by_name(GST_BIN(tx), "sent");
  GstElement* recv_sink = gst_bin_get_by_name(GST_BIN(rx), "recv");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(tx), "sink");

  // Run the sender to EOS, keeping its metrics messages.
  std::vector<GstStructure*> metrics;
  bool eos = false;
  const gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
  while (GstMessage* m = gst_bus_timed_pop(bus, 10 * GST_SECOND)) {
    fail_if(g_get_monotonic_time() > deadline, "no EOS from the sender after 20 s");
    const GstMessageType t = GST_MESSAGE_TYPE(m);
    if (t == GST_MESSAGE_ERROR) {
      GError* err = nullptr;
      gst_message_parse_error(m, &err, nullptr);
      ck_abort_msg("sender error: %s", err->message);
    }
    if (t == GST_MESSAGE_ELEMENT && GST_MESSAGE_SRC(m) == GST_OBJECT(sink)) {
      const GstStructure* s = gst_message_get_structure(m);
      if (gst_structure_has_name(s, "mctx-metrics")) metrics.push_back(gst_structure_copy(s));
    }
    gst_message_unref(m);
    if (t == GST_MESSAGE_EOS) {
      eos = true;
      break;
    }
  }
  fail_unless(eos, "the sender did not reach EOS");

  const auto sent = pull_all(sent_sink, 100 * GST_MSECOND);
  const auto received = pull_all(recv_sink, 1000 * GST_MSECOND);
  fail_unless_equals_int(sent.size(), kBuffers);
  const std::string sent_bytes = join(sent);
  const std::string received_bytes = join(received);
  fail_unless_equals_int(sent_bytes.size(), kBuffers * 480 * 2);
  fail_unless_equals_int(received_bytes.size(), sent_bytes.size());
  fail_unless(received_bytes == sent_bytes, "the received audio differs from the sent audio");
  fail_unless_equals_int(rtp_packets.load(), kBuffers);

  // The metrics: periodic messages while playing, the last (eos) one has the
  // totals udpsrc saw.
  fail_unless(metrics.size() >= 3, "%zu metrics messages", metrics.size());
  GstStructure* last = metrics.back();
  assert_str_eq(field_string(last, "reason"), "eos");
  fail_unless_equals_uint64(u64(last, "packets-sent"), rtp_packets.load());
  fail_unless_equals_uint64(u64(last, "dropped"), 0);
  fail_unless_equals_uint64(u64(last, "send-errors"), 0);
  for (auto* s : metrics) gst_structure_free(s);

  gst_element_set_state(tx, GST_STATE_NULL);
  gst_element_set_state(rx, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(sent_sink);
  gst_object_unref(recv_sink);
  gst_object_unref(bus);
  gst_object_unref(tx);
  gst_object_unref(rx);
}
GST_END_TEST;

// The mctx:// URI works in gst-launch syntax too (the element is found by its
// URI protocol through a generic URI sink lookup).
MCTX_GST_TEST(test_uri_in_pipeline) {
  GstElement* rx = launch(
      "udpsrc address=239.1.2.6 port=5006 multicast-iface=lo ! appsink name=recv sync=false "
      "wait-on-eos=false async=false");
  fail_unless(gst_element_set_state(rx, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  gst_element_get_state(rx, nullptr, nullptr, 5 * GST_SECOND);

  GError* err = nullptr;
  GstElement* tx = gst_parse_launch(
      "fakesrc num-buffers=10 sizetype=fixed sizemax=1316 filltype=pattern-span ! "
      "mctx://239.1.2.6:5006?interface=lo&ttl=0",
      &err);
  fail_unless(tx != nullptr && err == nullptr, "%s", err ? err->message : "");
  GstBus* bus = gst_element_get_bus(tx);
  gst_element_set_state(tx, GST_STATE_PLAYING);
  GstMessage* m = gst_bus_timed_pop_filtered(bus, 10 * GST_SECOND,
                                             static_cast<GstMessageType>(GST_MESSAGE_EOS |
                                                                         GST_MESSAGE_ERROR));
  fail_unless(m != nullptr && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS);
  gst_message_unref(m);
  GstElement* recv = gst_bin_get_by_name(GST_BIN(rx), "recv");
  const auto got = pull_all(recv, 1000 * GST_MSECOND);
  fail_unless_equals_int(got.size(), 10);
  for (const auto& d : got) fail_unless_equals_int(d.size(), 1316);
  gst_element_set_state(tx, GST_STATE_NULL);
  gst_element_set_state(rx, GST_STATE_NULL);
  gst_object_unref(recv);
  gst_object_unref(bus);
  gst_object_unref(tx);
  gst_object_unref(rx);
}
GST_END_TEST;

// One application socket shared by a udpsrc and two mctxsinks (two groups):
// each group receives exactly its own datagrams, the udpsrc keeps receiving
// on the socket, and stopping one sink leaves the other sending.
MCTX_GST_TEST(test_two_sinks_and_udpsrc_share_one_socket) {
  GError* err = nullptr;
  GSocket* sock =
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &err);
  fail_unless(sock != nullptr);
  GInetAddress* lo = g_inet_address_new_from_string("127.0.0.1");
  GSocketAddress* here = g_inet_socket_address_new(lo, 5300);
  fail_unless(g_socket_bind(sock, here, TRUE, &err), "bind: %s", err ? err->message : "");

  GstElement* rx = launch("udpsrc name=src ! fakesink name=fs signal-handoffs=true sync=false");
  GstElement* src = gst_bin_get_by_name(GST_BIN(rx), "src");
  g_object_set(src, "socket", sock, "close-socket", FALSE, nullptr);
  gst_object_unref(src);
  std::atomic<int> received{0};
  GstElement* fs = gst_bin_get_by_name(GST_BIN(rx), "fs");
  g_signal_connect(fs, "handoff", G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad*, gpointer c) {
                     static_cast<std::atomic<int>*>(c)->fetch_add(1);
                   }),
                   &received);
  gst_object_unref(fs);
  fail_unless(gst_element_set_state(rx, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);

  // Unicast datagrams to the shared socket, for the udpsrc.
  GSocket* poker =
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &err);
  auto poke = [&](int n) {
    for (int i = 0; i < n; ++i) {
      fail_unless(g_socket_send_to(poker, here, "poke", 4, nullptr, &err) == 4, "%s",
                  err ? err->message : "");
    }
  };
  auto udpsrc_count = [&](int want) {
    mctx::test::wait_until([&] { return received.load() >= want; }, std::chrono::seconds(2),
                           std::chrono::milliseconds(10));
    g_usleep(50 * 1000);  // and no more than `want`
    return received.load();
  };

  auto rx1 = receiver("239.1.2.6", 5006, "lo");
  auto rx2 = receiver("239.1.2.7", 5006, "lo");
  auto sink1 = std::make_unique<Sink>();
  Sink sink2;
  g_object_set(sink1->element, "group", "239.1.2.6", "port", 5006u, "interface", "lo", "socket",
               sock, "close-socket", FALSE, nullptr);
  g_object_set(sink2.element, "group", "239.1.2.7", "port", 5006u, "interface", "lo", "socket",
               sock, "close-socket", FALSE, nullptr);
  GstHarness* h1 = sink1->harness();
  GstHarness* h2 = sink2.harness();
  for (int i = 0; i < 20; ++i) {
    fail_unless_equals_int(gst_harness_push(h1, text_buffer("one " + std::to_string(i))),
                           GST_FLOW_OK);
    fail_unless_equals_int(gst_harness_push(h2, text_buffer("two " + std::to_string(i))),
                           GST_FLOW_OK);
  }
  poke(5);
  fail_unless_equals_int(udpsrc_count(5), 5);

  const auto got1 = receive_n(*rx1, 40, 300);
  const auto got2 = receive_n(*rx2, 40, 300);
  fail_unless_equals_int(got1.size(), 20);
  fail_unless_equals_int(got2.size(), 20);
  for (int i = 0; i < 20; ++i) {
    assert_str_eq(payload_string(got1[i]), "one " + std::to_string(i));
    assert_str_eq(payload_string(got2[i]), "two " + std::to_string(i));
    fail_unless_equals_int(got1[i].from.port, 5300);
    fail_unless_equals_int(got2[i].from.port, 5300);
  }

  // Sink one stops (close-socket=FALSE): sink two and the udpsrc go on.
  gst_element_set_state(sink1->element, GST_STATE_NULL);
  sink1->teardown();
  sink1.reset();
  for (int i = 20; i < 25; ++i) {
    fail_unless_equals_int(gst_harness_push(h2, text_buffer("two " + std::to_string(i))),
                           GST_FLOW_OK);
  }
  const auto later = receive_n(*rx2, 10, 300);
  fail_unless_equals_int(later.size(), 5);
  fail_unless_equals_int(receive_n(*rx1, 10, 100).size(), 0);
  poke(5);
  fail_unless_equals_int(udpsrc_count(10), 10);
  fail_if(g_socket_is_closed(sock));

  gst_element_set_state(sink2.element, GST_STATE_NULL);
  sink2.teardown();
  gst_element_set_state(rx, GST_STATE_NULL);
  gst_object_unref(rx);
  g_object_unref(poker);
  g_object_unref(here);
  g_object_unref(lo);
  g_object_unref(sock);
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-pipeline", .netns = netns_lo(), .timeout = 60});
