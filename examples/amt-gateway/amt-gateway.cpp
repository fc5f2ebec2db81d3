// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-amt-gateway: the data path of an AMT gateway (RFC 7450) as a
// GStreamer pipeline.
//
//   udpsrc address=LISTEN port=PORT ! mctxsink raw-mode=true interface=IF
//
// udpsrc receives the AMT messages a relay sends to the gateway by unicast
// UDP. A buffer probe on udpsrc's source pad keeps only Multicast Data
// messages (RFC 7450 section 5.1.6: first byte = version 0 in the high
// nibble, type 6 in the low nibble; second byte reserved, ignored) and
// strips those two bytes, without copying the payload: the buffer becomes a
// view of the encapsulated IP datagram. mctxsink in raw mode puts that
// datagram on the local network unchanged, with its original source, so
// local receivers that joined (source, group) get it.
//
// Only the data path: the AMT control plane (Relay Discovery, Request,
// Membership Query / Update with nonce and response MAC) is not implemented
// here. See README.md.
//
//   mctx-amt-gateway --interface IF [--listen ADDR] [--port N] [--count N]
//                    [--ready-file PATH]
//
// Needs CAP_NET_RAW (mctxsink raw mode). Prints the mctx-metrics messages
// and, at the end, what it forwarded.

#include <glib-unix.h>
#include <gst/gst.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr guint8 kAmtMulticastData = 0x06;  // version 0, type 6
constexpr gsize kAmtDataHeaderSize = 2;     // version/type + reserved

struct Gateway {
  GstElement* pipeline = nullptr;
  GMainLoop* loop = nullptr;
  guint64 count = 0;  // stop after this many data messages; 0 = run until a signal
  std::atomic<guint64> forwarded{0};  // data messages handed to mctxsink
  std::atomic<guint64> ignored{0};    // other AMT messages or runts, dropped here
  std::atomic<bool> eos_requested{false};
  const char* ready_file = nullptr;
  int exit_code = 0;
};

// Keeps `buf` if it is an AMT Multicast Data message and strips its header.
// Returns the buffer to pass on, or nullptr to drop it.
GstBuffer* strip_amt_header(Gateway& gw, GstBuffer* buf) {
  guint8 head[kAmtDataHeaderSize];
  if (gst_buffer_extract(buf, 0, head, sizeof head) != sizeof head ||
      head[0] != kAmtMulticastData) {
    gw.ignored.fetch_add(1, std::memory_order_relaxed);
    gst_buffer_unref(buf);
    return nullptr;
  }
  buf = gst_buffer_make_writable(buf);  // udpsrc's buffers are ours already: no copy
  gst_buffer_resize(buf, kAmtDataHeaderSize, -1);  // a view from offset 2 on
  gw.forwarded.fetch_add(1, std::memory_order_relaxed);
  return buf;
}

gboolean send_eos(gpointer data) {
  auto* gw = static_cast<Gateway*>(data);
  gst_element_send_event(gw->pipeline, gst_event_new_eos());
  return G_SOURCE_REMOVE;
}

void maybe_finish(Gateway& gw) {
  if (gw.count == 0 || gw.forwarded.load() + gw.ignored.load() < gw.count) return;
  if (!gw.eos_requested.exchange(true)) g_idle_add(send_eos, &gw);
}

GstPadProbeReturn on_buffer(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto& gw = *static_cast<Gateway*>(data);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer* out = strip_amt_header(gw, GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = out;
    maybe_finish(gw);
    if (out == nullptr) return GST_PAD_PROBE_HANDLED;  // dropped (we unreffed it)
    return GST_PAD_PROBE_OK;
  }
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList* list = gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
    gst_buffer_list_foreach(
        list,
        [](GstBuffer** b, guint, gpointer d) -> gboolean {
          *b = strip_amt_header(*static_cast<Gateway*>(d), *b);  // nullptr removes it
          return TRUE;
        },
        &gw);
    GST_PAD_PROBE_INFO_DATA(info) = list;
    maybe_finish(gw);
  }
  return GST_PAD_PROBE_OK;
}

void print_structure(const char* prefix, const GstStructure* s) {
  gchar* text = gst_structure_to_string(s);
  std::printf("%s%s\n", prefix, text);
  std::fflush(stdout);
  g_free(text);
}

gboolean on_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto& gw = *static_cast<Gateway*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ELEMENT: {
      const GstStructure* s = gst_message_get_structure(msg);
      if (s && gst_structure_has_name(s, "mctx-metrics")) print_structure("metrics: ", s);
      break;
    }
    case GST_MESSAGE_WARNING: {
      GError* err = nullptr;
      gst_message_parse_warning(msg, &err, nullptr);
      std::fprintf(stderr, "warning: %s\n", err ? err->message : "?");
      g_clear_error(&err);
      break;
    }
    case GST_MESSAGE_ERROR: {
      GError* err = nullptr;
      gchar* dbg = nullptr;
      gst_message_parse_error(msg, &err, &dbg);
      std::fprintf(stderr, "error: %s\n", err ? err->message : "?");
      g_clear_error(&err);
      g_free(dbg);
      gw.exit_code = 1;
      g_main_loop_quit(gw.loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit(gw.loop);
      break;
    case GST_MESSAGE_STATE_CHANGED:
      if (GST_MESSAGE_SRC(msg) == GST_OBJECT(gw.pipeline)) {
        GstState state;
        gst_message_parse_state_changed(msg, nullptr, &state, nullptr);
        if (state == GST_STATE_PLAYING && gw.ready_file != nullptr) {
          // udpsrc is bound and mctxsink has started: the relay may send.
          g_file_set_contents(gw.ready_file, "ready\n", -1, nullptr);
          gw.ready_file = nullptr;
        }
      }
      break;
    default:
      break;
  }
  return TRUE;
}

gboolean on_signal(gpointer data) {
  auto* gw = static_cast<Gateway*>(data);
  if (!gw->eos_requested.exchange(true)) {
    std::fprintf(stderr, "stopping (EOS)\n");
    send_eos(gw);
  } else {
    g_main_loop_quit(gw->loop);
  }
  return G_SOURCE_CONTINUE;
}

}  // namespace

int main(int argc, char** argv) {
  gchar* interface = nullptr;
  gchar* listen = nullptr;
  gint port = 2268;  // the IANA port of AMT
  gint64 count = 0;
  gchar* ready_file = nullptr;
  const GOptionEntry entries[] = {
      {"interface", 'i', 0, G_OPTION_ARG_STRING, &interface,
       "Interface the decapsulated datagrams leave by (name, index or local address; required "
       "for IPv6 datagrams)",
       "IF"},
      {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
       "Local address udpsrc receives the relay's AMT messages on (default 127.0.0.1)", "ADDR"},
      {"port", 'p', 0, G_OPTION_ARG_INT, &port, "UDP port of the AMT messages (default 2268)",
       "N"},
      {"count", 'c', 0, G_OPTION_ARG_INT64, &count,
       "Stop after N AMT messages (0 = run until SIGINT/SIGTERM)", "N"},
      {"ready-file", 0, 0, G_OPTION_ARG_FILENAME, &ready_file,
       "Create this file once the pipeline is playing", "PATH"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GError* err = nullptr;
  GOptionContext* ctx = g_option_context_new("- the data path of an AMT gateway (RFC 7450)");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
    std::fprintf(stderr, "mctx-amt-gateway: %s\n", err->message);
    return 2;
  }
  g_option_context_free(ctx);
  if (port < 1 || port > 65535) {
    std::fprintf(stderr, "mctx-amt-gateway: --port %d is out of range: must be 1-65535\n", port);
    return 2;
  }
  if (count < 0) {
    std::fprintf(stderr, "mctx-amt-gateway: --count must not be negative\n");
    return 2;
  }

  Gateway gw;
  gw.count = static_cast<guint64>(count);
  gw.ready_file = ready_file;

  gw.pipeline = gst_pipeline_new("amt-gateway");
  GstElement* src = gst_element_factory_make("udpsrc", "amt-in");
  GstElement* sink = gst_element_factory_make("mctxsink", "local-out");
  if (!gw.pipeline || !src || !sink) {
    std::fprintf(stderr, "mctx-amt-gateway: %s not found (GST_PLUGIN_PATH?)\n",
                 !src ? "udpsrc (gst-plugins-good)" : "mctxsink (the mctx plugin)");
    return 1;
  }
  g_object_set(src, "address", listen ? listen : "127.0.0.1", "port", port, "buffer-size",
               4 << 20, nullptr);
  // sync=false: forward as datagrams arrive (they carry no timestamps to
  // pace by); async=false: a live source never prerolls.
  g_object_set(sink, "raw-mode", TRUE, "sync", FALSE, "async", FALSE, "stats-interval", 1000u,
               nullptr);
  if (interface) g_object_set(sink, "interface", interface, nullptr);
  gst_bin_add_many(GST_BIN(gw.pipeline), src, sink, nullptr);
  if (!gst_element_link(src, sink)) {
    std::fprintf(stderr, "mctx-amt-gateway: cannot link udpsrc to mctxsink\n");
    return 1;
  }
  GstPad* pad = gst_element_get_static_pad(src, "src");
  gst_pad_add_probe(pad,
                    static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                 GST_PAD_PROBE_TYPE_BUFFER_LIST),
                    on_buffer, &gw, nullptr);
  gst_object_unref(pad);

  gw.loop = g_main_loop_new(nullptr, FALSE);
  GstBus* bus = gst_element_get_bus(gw.pipeline);
  gst_bus_add_watch(bus, on_bus, &gw);
  gst_object_unref(bus);
  g_unix_signal_add(SIGINT, on_signal, &gw);
  g_unix_signal_add(SIGTERM, on_signal, &gw);

  std::printf("amt-gateway: AMT data on %s:%d -> raw multicast out of %s\n",
              listen ? listen : "127.0.0.1", port, interface ? interface : "(routing)");
  std::fflush(stdout);
  if (gst_element_set_state(gw.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    gw.exit_code = 1;  // the error message is on the bus
  }
  g_main_loop_run(gw.loop);
  // PAUSED -> READY posts the final "stop" metrics; print them before the
  // bus is flushed at READY -> NULL.
  gst_element_set_state(gw.pipeline, GST_STATE_READY);
  while (g_main_context_iteration(nullptr, FALSE)) {
  }
  gst_element_set_state(gw.pipeline, GST_STATE_NULL);
  std::printf("amt-gateway: %" G_GUINT64_FORMAT " Multicast Data messages handed to mctxsink, %" G_GUINT64_FORMAT
              " other messages ignored\n",
              gw.forwarded.load(), gw.ignored.load());
  gst_object_unref(gw.pipeline);
  g_main_loop_unref(gw.loop);
  g_free(interface);
  g_free(listen);
  g_free(ready_file);
  return gw.exit_code;
}
