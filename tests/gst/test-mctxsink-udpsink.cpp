// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Moving from udpsink: typical udpsink multicast pipelines, written as
// udpsink users write them, run with only the element's name changed to
// mctxsink, and their packets are received (udpsrc, and the test receiver
// that also reports TTL, TOS and the sender's address and port, so that
// ttl-mc, qos-dscp, bind-address and bind-port are shown to take effect).
// udpsink-only options that are moot here (auto-multicast, force-ipv4,
// send-duplicates) parse, and the start log states the TTL in effect.
// Also: the aliases read back the current value of their target, their
// blurbs name the target, and a unicast host keeps its clear error.
// Inside scripts/mctx-netns (IPv4 on lo).

#include <algorithm>
#include <mutex>

#include "gst-test-util.hpp"

using namespace mctx_gst_test;

// "udpsink" -> "mctxsink", nothing else.
static std::string renamed(std::string udpsink_pipeline) {
  const std::string from = "udpsink";
  const auto at = udpsink_pipeline.find(from);
  fail_unless(at != std::string::npos);
  udpsink_pipeline.replace(at, from.size(), "mctxsink");
  fail_unless(udpsink_pipeline.find(from) == std::string::npos);
  return udpsink_pipeline;
}

// Runs a pipeline to EOS; fails on an error message.
static void run_to_eos(GstElement* pipeline) {
  GstBus* bus = gst_element_get_bus(pipeline);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstMessage* m = gst_bus_timed_pop_filtered(
      bus, 20 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(m != nullptr, "no EOS after 20 s");
  if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    GError* err = nullptr;
    gst_message_parse_error(m, &err, nullptr);
    ck_abort_msg("pipeline error: %s", err ? err->message : "");
  }
  gst_message_unref(m);
  gst_object_unref(bus);
}

// udpsink host=G port=P multicast-iface=lo ttl-mc=N qos-dscp=D bind-address
// bind-port: every datagram arrives with that TTL, TOS and source.
MCTX_GST_TEST(test_udpsink_options_take_effect) {
  auto rx = receiver("239.1.3.1", 5020, "lo");
  const std::string udpsink_line =
      "fakesrc num-buffers=20 sizetype=fixed sizemax=1316 filltype=pattern-span ! "
      "udpsink name=sink host=239.1.3.1 port=5020 multicast-iface=lo ttl-mc=4 qos-dscp=46 "
      "bind-address=127.0.0.1 bind-port=5555 loop=true sync=false";
  GstElement* tx = launch(renamed(udpsink_line));
  GstElement* sink = gst_bin_get_by_name(GST_BIN(tx), "sink");

  // The aliases and their targets are one value.
  gchar *host = nullptr, *group = nullptr, *iface = nullptr, *mciface = nullptr;
  gchar *bind_address = nullptr, *source_address = nullptr;
  gint ttl_mc = 0, qos_dscp = 0, bind_port = 0, dscp = 0;
  guint ttl = 0, source_port = 0;
  g_object_get(sink, "host", &host, "group", &group, "interface", &iface, "multicast-iface",
               &mciface, "ttl-mc", &ttl_mc, "ttl", &ttl, "qos-dscp", &qos_dscp, "dscp", &dscp,
               "bind-address", &bind_address, "source-address", &source_address, "bind-port",
               &bind_port, "source-port", &source_port, nullptr);
  assert_str_eq(str(host), "239.1.3.1");
  assert_str_eq(str(group), "239.1.3.1");
  assert_str_eq(str(iface), "lo");
  assert_str_eq(str(mciface), "lo");
  assert_str_eq(str(bind_address), "127.0.0.1");
  assert_str_eq(str(source_address), "127.0.0.1");
  fail_unless_equals_int(ttl_mc, 4);
  fail_unless_equals_int(ttl, 4);
  fail_unless_equals_int(qos_dscp, 46);
  fail_unless_equals_int(dscp, 46);
  fail_unless_equals_int(bind_port, 5555);
  fail_unless_equals_int(source_port, 5555);
  for (gchar* s : {host, group, iface, mciface, bind_address, source_address}) g_free(s);

  run_to_eos(tx);
  const auto got = receive_n(*rx, 21);
  fail_unless_equals_int(got.size(), 20);
  for (const auto& d : got) {
    fail_unless_equals_int(d.payload.size(), 1316);
    fail_unless_equals_int(d.ttl, 4);
    fail_unless_equals_int(d.tos, 46 << 2);
    assert_str_eq(d.from.to_string(), "127.0.0.1:5555");
  }
  gst_element_set_state(tx, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(tx);
}
GST_END_TEST;

// The RTP audio line of udpsink's documentation style, received by udpsrc.
MCTX_GST_TEST(test_udpsink_rtp_line_received_by_udpsrc) {
  GstElement* rx = launch(
      "udpsrc address=239.1.3.2 port=5022 multicast-iface=lo "
      "caps=\"application/x-rtp,media=audio,clock-rate=44100,encoding-name=L16,channels=1,"
      "payload=96\" ! rtpL16depay ! appsink name=recv sync=false async=false");
  fail_unless(gst_element_set_state(rx, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  gst_element_get_state(rx, nullptr, nullptr, 5 * GST_SECOND);

  const std::string udpsink_line =
      "audiotestsrc num-buffers=30 samplesperbuffer=441 ! audioconvert ! "
      "audio/x-raw,format=S16BE,rate=44100,channels=1 ! rtpL16pay pt=96 ! "
      "udpsink host=239.1.3.2 port=5022 multicast-iface=lo ttl-mc=0";
  GstElement* tx = launch(renamed(udpsink_line));
  run_to_eos(tx);

  GstElement* recv = gst_bin_get_by_name(GST_BIN(rx), "recv");
  const auto got = pull_all(recv, GST_SECOND);
  fail_unless_equals_int(got.size(), 30);
  std::size_t bytes = 0;
  for (const auto& g : got) bytes += g.size();
  fail_unless_equals_int(bytes, 30 * 441 * 2);
  gst_element_set_state(tx, GST_STATE_NULL);
  gst_element_set_state(rx, GST_STATE_NULL);
  gst_object_unref(recv);
  gst_object_unref(tx);
  gst_object_unref(rx);
}
GST_END_TEST;

// mctxsink's INFO lines, captured.
static std::mutex g_log_mutex;
static std::vector<std::string> g_info;

static void capture_info(GstDebugCategory* category, GstDebugLevel level, const gchar*,
                         const gchar*, gint, GObject*, GstDebugMessage* message, gpointer) {
  if (level != GST_LEVEL_INFO || g_strcmp0(gst_debug_category_get_name(category), "mctxsink") != 0)
    return;
  std::lock_guard<std::mutex> lk(g_log_mutex);
  g_info.emplace_back(str(gst_debug_message_get(message)));
}

static bool logged(const std::string& line) {
  std::lock_guard<std::mutex> lk(g_log_mutex);
  return std::find(g_info.begin(), g_info.end(), line) != g_info.end();
}

// udpsink's auto-multicast=false (and the other moot options) failed to
// parse before; now the renamed line streams, and udpsink's ttl=64 is the
// multicast TTL, stated at start.
MCTX_GST_TEST(test_udpsink_only_options_parse_and_stream) {
  gst_debug_add_log_function(capture_info, nullptr, nullptr);
  gst_debug_set_threshold_for_name("mctxsink", GST_LEVEL_INFO);
  auto rx = receiver("239.1.3.3", 5024, "lo");
  const std::string udpsink_line =
      "fakesrc num-buffers=10 sizetype=fixed sizemax=200 filltype=pattern-span ! "
      "udpsink host=239.1.3.3 port=5024 multicast-iface=lo ttl=64 auto-multicast=false "
      "force-ipv4=true send-duplicates=false close-socket=false sync=false";
  GstElement* tx = launch(renamed(udpsink_line));
  run_to_eos(tx);
  const auto got = receive_n(*rx, 11);
  fail_unless_equals_int(got.size(), 10);
  for (const auto& d : got) fail_unless_equals_int(d.ttl, 64);
  fail_unless(logged("TTL 64 (multicast, from ttl)"));
  gst_element_set_state(tx, GST_STATE_NULL);
  gst_object_unref(tx);

  // Not set: the default, said so.
  {
    std::lock_guard<std::mutex> lk(g_log_mutex);
    g_info.clear();
  }
  GstElement* tx2 = launch(
      "fakesrc num-buffers=1 ! mctxsink host=239.1.3.3 port=5024 multicast-iface=lo sync=false");
  run_to_eos(tx2);
  fail_unless(logged("TTL 1 (multicast, from default)"));
  gst_element_set_state(tx2, GST_STATE_NULL);
  gst_object_unref(tx2);
  gst_debug_remove_log_function(capture_info);
}
GST_END_TEST;

// The moot properties: defaults as udpsink's, MUTABLE_READY, read back as
// set, notify only on a real change, and the blurb says they are moot.
MCTX_GST_TEST(test_moot_properties) {
  Sink s;
  struct Moot {
    const char* name;
    gboolean def;
  };
  const Moot moot[] = {{"auto-multicast", TRUE}, {"force-ipv4", FALSE}, {"send-duplicates", TRUE}};
  std::vector<std::string> notified;
  g_signal_connect(s.element, "notify",
                   G_CALLBACK(+[](GObject*, GParamSpec* p, gpointer out) {
                     static_cast<std::vector<std::string>*>(out)->push_back(p->name);
                   }),
                   &notified);
  for (const Moot& m : moot) {
    GParamSpec* p = g_object_class_find_property(G_OBJECT_GET_CLASS(s.element), m.name);
    fail_unless(p != nullptr, "no property %s", m.name);
    fail_unless(p->flags & GST_PARAM_MUTABLE_READY);
    fail_unless(p->flags & G_PARAM_EXPLICIT_NOTIFY);
    fail_unless_equals_int(G_PARAM_SPEC_BOOLEAN(p)->default_value, m.def);
    assert_contains(str(g_param_spec_get_blurb(p)), "both values accepted");
    gboolean v = !m.def;
    g_object_get(s.element, m.name, &v, nullptr);
    fail_unless_equals_int(v, m.def);

    notified.clear();
    g_object_set(s.element, m.name, m.def, nullptr);  // no change
    fail_unless_equals_int(notified.size(), 0);
    g_object_set(s.element, m.name, !m.def, nullptr);
    fail_unless(notified == std::vector<std::string>({m.name}));
    g_object_get(s.element, m.name, &v, nullptr);
    fail_unless_equals_int(v, !m.def);
  }
  g_signal_handlers_disconnect_by_data(s.element, &notified);
}
GST_END_TEST;

// Reading an alias returns the current value of its target, whichever name
// set it last; setting either name notifies both; each alias's blurb says
// what it is an alias of and keeps udpsink's type.
MCTX_GST_TEST(test_aliases_read_back_and_describe_themselves) {
  Sink s;
  g_object_set(s.element, "group", "239.9.9.9", "interface", "lo", "ttl", 7u, "dscp", 10,
               "source-address", "127.0.0.1", "source-port", 4000u, nullptr);
  gchar *host = nullptr, *mciface = nullptr, *bind_address = nullptr;
  gint ttl_mc = 0, qos_dscp = 0, bind_port = 0;
  g_object_get(s.element, "host", &host, "multicast-iface", &mciface, "bind-address", &bind_address,
               "ttl-mc", &ttl_mc, "qos-dscp", &qos_dscp, "bind-port", &bind_port, nullptr);
  assert_str_eq(str(host), "239.9.9.9");
  assert_str_eq(str(mciface), "lo");
  assert_str_eq(str(bind_address), "127.0.0.1");
  fail_unless_equals_int(ttl_mc, 7);
  fail_unless_equals_int(qos_dscp, 10);
  fail_unless_equals_int(bind_port, 4000);
  g_free(host);
  g_free(mciface);
  g_free(bind_address);

  // Setting either name notifies both.
  std::vector<std::string> notified;
  g_signal_connect(s.element, "notify",
                   G_CALLBACK(+[](GObject*, GParamSpec* p, gpointer out) {
                     static_cast<std::vector<std::string>*>(out)->push_back(p->name);
                   }),
                   &notified);
  g_object_set(s.element, "host", "239.8.8.8", nullptr);
  g_object_set(s.element, "ttl", 3u, nullptr);
  std::sort(notified.begin(), notified.end());
  fail_unless(notified == std::vector<std::string>({"group", "host", "ttl", "ttl-mc"}),
              "notified: %s", [&] {
                std::string all;
                for (const auto& n : notified) all += n + " ";
                return all;
              }().c_str());
  g_signal_handlers_disconnect_by_data(s.element, &notified);

  struct Alias {
    const char* name;
    const char* target;
    GType type;
  };
  const Alias aliases[] = {
      {"host", "group", G_TYPE_STRING},
      {"multicast-iface", "interface", G_TYPE_STRING},
      {"ttl-mc", "ttl", G_TYPE_INT},
      {"qos-dscp", "dscp", G_TYPE_INT},
      {"bind-address", "source-address", G_TYPE_STRING},
      {"bind-port", "source-port", G_TYPE_INT},
  };
  for (const Alias& a : aliases) {
    GParamSpec* p = g_object_class_find_property(G_OBJECT_GET_CLASS(s.element), a.name);
    fail_unless(p != nullptr, "no property %s", a.name);
    fail_unless_equals_int(G_PARAM_SPEC_VALUE_TYPE(p), a.type);
    const std::string blurb = str(g_param_spec_get_blurb(p));
    assert_contains(blurb, std::string("Alias of '") + a.target + "'");
  }
}
GST_END_TEST;

// host is multicast only: a unicast host or a host name fails the start
// with the same clear sentence as group.
MCTX_GST_TEST(test_unicast_host_keeps_its_clear_error) {
  {
    Sink s;
    g_object_set(s.element, "host", "192.168.1.5", "multicast-iface", "lo", nullptr);
    assert_contains(start_error(s), "'192.168.1.5' is not a multicast address");
  }
  {
    Sink s;
    g_object_set(s.element, "host", "localhost", nullptr);
    assert_contains(start_error(s), "'localhost' is not an IPv4 or IPv6 address");
  }
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-udpsink", .netns = netns_lo(), .timeout = 60});
