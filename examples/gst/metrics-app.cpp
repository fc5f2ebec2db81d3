// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-gst-metrics: an application that builds a GStreamer pipeline around
// mctxsink, prints the mctx-metrics messages it posts on the bus and, at the
// end, its metrics property.
//
//   audiotestsrc ! audioconvert ! audio/x-raw,format=S16BE,... ! rtpL16pay
//     ! mctxsink group=G port=P interface=I ttl=T stats-interval=MS
//
// Defaults keep everything on this host (239.255.0.1:5004 out of the
// loopback interface, given by its address 127.0.0.1, ttl 0).
// Run it with the plugin on the path, e.g.
//   meson devenv -C build ./examples/mctx-gst-metrics --seconds 3
// or GST_PLUGIN_PATH=build/gst build/examples/mctx-gst-metrics; as root, wrap
// it in scripts/mctx-netns so nothing can leave the machine.

#include <gst/gst.h>

#include <cstdio>
#include <cstdlib>

namespace {

struct App {
  GMainLoop* loop = nullptr;
  int status = 0;
};

void print_metrics(const GstStructure* s) {
  guint64 packets = 0, bytes = 0, calls = 0, errors = 0, would_block = 0, dropped = 0;
  guint64 interval = 0;
  gdouble pps = 0, bps = 0;
  guint port = 0;
  gst_structure_get(s, "packets-sent", G_TYPE_UINT64, &packets, "bytes-sent", G_TYPE_UINT64,
                    &bytes, "send-calls", G_TYPE_UINT64, &calls, "send-errors", G_TYPE_UINT64,
                    &errors, "would-block", G_TYPE_UINT64, &would_block, "dropped", G_TYPE_UINT64,
                    &dropped, "interval", G_TYPE_UINT64, &interval, "packets-per-second",
                    G_TYPE_DOUBLE, &pps, "bytes-per-second", G_TYPE_DOUBLE, &bps, "port",
                    G_TYPE_UINT, &port, nullptr);
  std::printf("[%-8s] %s:%u  %6" G_GUINT64_FORMAT " packets %9" G_GUINT64_FORMAT
              " bytes in %5" G_GUINT64_FORMAT " calls | last %.2f s: %7.1f pkt/s %8.1f kbit/s | "
              "errors %" G_GUINT64_FORMAT ", would-block %" G_GUINT64_FORMAT
              ", dropped %" G_GUINT64_FORMAT "\n",
              gst_structure_get_string(s, "reason"), gst_structure_get_string(s, "group"), port,
              packets, bytes, calls, static_cast<double>(interval) / GST_SECOND, pps,
              bps * 8 / 1000, errors, would_block, dropped);
  std::fflush(stdout);
}

gboolean on_message(GstBus*, GstMessage* msg, gpointer data) {
  auto* app = static_cast<App*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ELEMENT: {
      const GstStructure* s = gst_message_get_structure(msg);
      if (s != nullptr && gst_structure_has_name(s, "mctx-metrics")) print_metrics(s);
      break;
    }
    case GST_MESSAGE_WARNING: {
      GError* err = nullptr;
      gst_message_parse_warning(msg, &err, nullptr);
      std::fprintf(stderr, "warning from %s: %s\n", GST_OBJECT_NAME(msg->src), err->message);
      g_clear_error(&err);
      break;
    }
    case GST_MESSAGE_ERROR: {
      GError* err = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      std::fprintf(stderr, "error from %s: %s\n  (%s)\n", GST_OBJECT_NAME(msg->src), err->message,
                   debug ? debug : "no details");
      g_clear_error(&err);
      g_free(debug);
      app->status = 1;
      g_main_loop_quit(app->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit(app->loop);
      break;
    default:
      break;
  }
  return TRUE;
}

GstElement* make(const char* factory) {
  GstElement* e = gst_element_factory_make(factory, nullptr);
  if (e == nullptr) {
    std::fprintf(stderr, "element '%s' not found%s\n", factory,
                 g_str_equal(factory, "mctxsink")
                     ? ": put the build's gst/ directory on GST_PLUGIN_PATH (or use meson devenv)"
                     : "");
    std::exit(2);
  }
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  gchar* group = g_strdup("239.255.0.1");
  gchar* itf = g_strdup("127.0.0.1");
  gchar* source = nullptr;
  gint port = 5004;
  gint ttl = 0;
  gint seconds = 5;
  gint interval_ms = 1000;
  const GOptionEntry entries[] = {
      {"group", 'g', 0, G_OPTION_ARG_STRING, &group, "Multicast group (default 239.255.0.1)", "ADDR"},
      {"port", 'p', 0, G_OPTION_ARG_INT, &port, "Destination port (default 5004)", "PORT"},
      {"interface", 'i', 0, G_OPTION_ARG_STRING, &itf,
       "Outgoing interface: address, name or index (default 127.0.0.1, the loopback)", "IF"},
      {"source", 's', 0, G_OPTION_ARG_STRING, &source, "Exact source address", "ADDR"},
      {"ttl", 't', 0, G_OPTION_ARG_INT, &ttl, "TTL / hop limit (default 0: this host only)", "N"},
      {"seconds", 'n', 0, G_OPTION_ARG_INT, &seconds, "Seconds of audio to send (default 5)", "N"},
      {"stats-interval", 'm', 0, G_OPTION_ARG_INT, &interval_ms,
       "Milliseconds between metrics messages (default 1000)", "MS"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  GOptionContext* ctx = g_option_context_new("- send RTP audio with mctxsink and print its metrics");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  GError* err = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
    std::fprintf(stderr, "%s\n", err->message);
    return 2;
  }
  g_option_context_free(ctx);
  if (seconds <= 0 || port <= 0 || port > 65535 || ttl < 0 || ttl > 255 || interval_ms < 0) {
    std::fprintf(stderr, "out-of-range option: --seconds > 0, --port 1..65535, --ttl 0..255\n");
    return 2;
  }

  GstElement* pipeline = gst_pipeline_new("sender");
  GstElement* src = make("audiotestsrc");
  GstElement* conv = make("audioconvert");
  GstElement* caps = make("capsfilter");
  GstElement* pay = make("rtpL16pay");
  GstElement* sink = make("mctxsink");
  g_object_set(src, "num-buffers", seconds * 100, "samplesperbuffer", 480, nullptr);
  GstCaps* c = gst_caps_from_string("audio/x-raw,format=S16BE,rate=48000,channels=1");
  g_object_set(caps, "caps", c, nullptr);
  gst_caps_unref(c);
  // Properties as in gst-launch: group/interface/source are strings; the
  // element checks them when the pipeline starts and says what is wrong.
  g_object_set(sink, "group", group, "port", static_cast<guint>(port), "interface", itf, "ttl",
               static_cast<guint>(ttl), "stats-interval", static_cast<guint>(interval_ms), nullptr);
  if (source != nullptr) g_object_set(sink, "source-address", source, nullptr);
  gst_bin_add_many(GST_BIN(pipeline), src, conv, caps, pay, sink, nullptr);
  if (!gst_element_link_many(src, conv, caps, pay, sink, nullptr)) {
    std::fprintf(stderr, "could not link the pipeline\n");
    return 1;
  }

  App app;
  app.loop = g_main_loop_new(nullptr, FALSE);
  GstBus* bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline));
  gst_bus_add_watch(bus, on_message, &app);
  gst_object_unref(bus);

  std::printf("sending %d s of RTP audio to %s:%d via %s (ttl %d)\n", seconds, group, port, itf,
              ttl);
  std::fflush(stdout);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    // The reason is on the bus as an error message: run the loop to print it.
    app.status = 1;
  }
  g_main_loop_run(app.loop);

  // The metrics property: the same structure as the messages, at any time
  // (reason "query"). GstBaseSink's own "stats" property is left as it is.
  GstStructure* metrics = nullptr;
  g_object_get(sink, "metrics", &metrics, nullptr);
  print_metrics(metrics);
  gst_structure_free(metrics);

  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  g_main_loop_unref(app.loop);
  g_free(group);
  g_free(itf);
  g_free(source);
  return app.status;
}
