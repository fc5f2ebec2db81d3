// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

/**
 * SECTION:element-mctxsink
 * @title: mctxsink
 * @short_description: send buffers to an IPv4/IPv6 multicast group
 *
 * mctxsink sends each buffer as one UDP datagram to a multicast group. It is a
 * thin element over libmctx-core: the core validates the configuration,
 * binds the exact source address, pins the outgoing interface
 * (IP_MULTICAST_IF / IPV6_MULTICAST_IF), sets TTL / hop limit, loopback and
 * DSCP, connects the socket and sends, batching buffer lists with sendmmsg.
 *
 * Buffers made of several memories are sent without copying them together.
 * When the socket buffer is full, the element waits until the socket is
 * writable again instead of dropping buffers; a pause interrupts the wait
 * and sending resumes where it stopped at the next PLAYING, a flush or a
 * stop ends it. A full local queue (a shaping qdisc) is backpressure too
 * (#GstMctxSink:queue-full). A buffer that cannot be sent (for example
 * larger than the path allows) is counted as dropped and reported in a
 * rate-limited warning; streaming continues. When the interface goes down
 * or away, or the source address is removed, the outage is reported once,
 * its datagrams are counted, and sending resumes by itself when an
 * interface given by name or address is back (#GstMctxSink:max-outage turns
 * a long outage into an error). See docs/reliability.md.
 *
 * With #GstMctxSink:raw-mode, each buffer is instead one complete IPv4 or
 * IPv6 datagram (header included), sent unchanged with its original source
 * address through a raw socket (IPv4) or a link-layer socket on
 * #GstMctxSink:interface, or without it on the interface of the group's
 * route in the kernel's main routing table (IPv6). This is the last step of an AMT gateway
 * (RFC 7450): the decapsulated datagrams reach receivers that filter on the
 * original (source, group). It needs CAP_NET_RAW. Invalid datagrams are
 * dropped, counted and reported; streaming continues.
 *
 * The stream can describe itself: #GstMctxSink:sdp holds its SDP, made from
 * the negotiated caps (application/x-rtp, or video/mpegts for MPEG-TS over
 * UDP) with one media section per destination; #GstMctxSink:sdp-file writes
 * it to a file and #GstMctxSink:announce announces it with SAP until EOS or
 * stop (docs/element.md).
 *
 * Every #GstMctxSink:stats-interval milliseconds, and once more at EOS and
 * when the element stops, an element message named `mctx-metrics` is posted
 * on the bus with the send counters and the rates over the interval;
 * #GstMctxSink:metrics-file appends them to a JSON lines file as well.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -m audiotestsrc num-buffers=250 ! audioconvert ! \
 *     audio/x-raw,format=S16BE,channels=1,rate=48000 ! rtpL16pay ! \
 *     mctxsink group=239.255.0.1 port=5004 interface=127.0.0.1 ttl=0
 * ]| Sends about 5 seconds of RTP audio (L16) to 239.255.0.1:5004 out of the
 * loopback interface only (ttl=0: the packets never leave the host) and
 * prints the mctx-metrics messages. Receive it with
 * `gst-launch-1.0 udpsrc address=239.255.0.1 port=5004 multicast-iface=lo ! fakesink`.
 *
 * |[
 * scripts/mctx-netns --veth -- gst-launch-1.0 audiotestsrc num-buffers=100 ! \
 *     audioconvert ! audio/x-raw,format=S16BE,channels=1,rate=48000 ! rtpL16pay ! \
 *     "mctx://[ff3e::8000:1234]:5004?source=fd00::1&interface=mctx0"
 * ]| The same to an IPv6 group from the exact source fd00::1, configured by
 * an mctx:// URI, inside a private network namespace with a veth pair.
 *
 * In raw mode the pipeline feeds complete datagrams, e.g. an AMT gateway's
 * `udpsrc port=2268 ! mctxsink raw-mode=true interface=eth1 sync=false` with
 * a pad probe on udpsrc that strips the 2-byte AMT Multicast Data header
 * (the program in examples/amt-gateway/ of the mctx sources).
 *
 * Since: 0.1
 */

#include "gstmctxsink.h"

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mctxsink-backend.hpp"
#include "mctxsink-deliver.hpp"
#include "mctxsink-destination-list.hpp"
#include "mctxsink-destinations.hpp"
#include "mctxsink-element.hpp"
#include "mctxsink-errors.hpp"
#include "mctxsink-log.hpp"
#include "mctxsink-metrics-file.hpp"
#include "mctxsink-metrics.hpp"
#include "mctxsink-properties.hpp"
#include "mctxsink-sdp.hpp"
#include "mctxsink-settings.hpp"
#include "mctxsink-uri.hpp"
#include "uri-handler.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

using mctx::gst::Announcement;
using mctx::gst::Destination;
using mctx::gst::DestinationSet;
using mctx::gst::Destinations;
using mctx::gst::MetricsFile;
using mctx::gst::Post;
using mctx::gst::Settings;
using mctx::gst::StartError;
using mctx::gst::PROP_METRICS;
using mctx::gst::PROP_SDP;
using mctx::gst::PROP_STATS_INTERVAL;
using mctx::gst::PROP_USED_SOCKET;

using State = mctx::gst::SinkState;
using Private = mctx::gst::SinkPrivate;

static void gst_mctx_sink_uri_handler_init(gpointer g_iface, gpointer iface_data);

#define gst_mctx_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstMctxSink, gst_mctx_sink, GST_TYPE_BASE_SINK,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER,
                                              gst_mctx_sink_uri_handler_init);
                        GST_DEBUG_CATEGORY_INIT(gst_mctx_sink_debug, "mctxsink", 0,
                                                "mctx multicast sink"));
GST_ELEMENT_REGISTER_DEFINE(mctxsink, "mctxsink", GST_RANK_NONE, GST_TYPE_MCTX_SINK);

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

// ---------------------------------------------------------------------------
// Metrics (mctxsink-metrics.cpp builds and posts them)

// The mctx-metrics structure of a run, with metrics-file-errors when it
// writes a metrics file.
static GstStructure* run_metrics(State& st, const char* reason, bool advance) {
  GstStructure* s = st.set->structure(reason, advance);
  if (st.metrics_file) {
    gst_structure_set(s, "metrics-file-errors", G_TYPE_UINT64, st.metrics_file->errors(), nullptr);
  }
  return s;
}

// Posts an mctx-metrics element message (from the timer, at EOS and at
// stop). `taken` is the state to sample when the caller already took it out
// of priv (stop).
static void post_metrics(GstMctxSink* self, Post what, State* taken = nullptr) {
  Private* priv = self->priv;
  priv->poster.post(what, [priv, taken](const char* reason) -> GstStructure* {
    if (taken != nullptr) return run_metrics(*taken, reason, true);
    std::lock_guard<std::mutex> lk(priv->state_mutex);
    return priv->state ? run_metrics(*priv->state, reason, true) : nullptr;
  });
}

// The timer's tick: the bus message, then the metrics file's rows (on the
// timer's thread, with no lock of the streaming thread held while writing).
static void metrics_tick(GstMctxSink* self) {
  post_metrics(self, Post::interval);
  Private* priv = self->priv;
  std::shared_ptr<MetricsFile> file;
  {
    std::lock_guard<std::mutex> lk(priv->state_mutex);
    if (priv->state) file = priv->state->metrics_file;
  }
  if (!file) return;
  const std::string warning =
      file->write_interval([priv, &file]() -> std::optional<mctx::gst::SetSample> {
        std::lock_guard<std::mutex> lk(priv->state_mutex);
        if (!priv->state || priv->state->metrics_file != file) return std::nullopt;  // stopped
        return priv->state->set->sample();
      });
  mctx::gst::post_metrics_file_warning(GST_ELEMENT_CAST(self), warning);
}

static GstStructure* current_metrics(GstMctxSink* self) {
  Private* priv = self->priv;
  {
    std::lock_guard<std::mutex> lk(priv->state_mutex);
    if (priv->state) return run_metrics(*priv->state, "query", false);
  }
  std::lock_guard<std::mutex> lk(priv->settings_mutex);
  return mctx::gst::stopped_metrics(priv->settings);
}

// ---------------------------------------------------------------------------
// Errors (mctxsink-errors.cpp maps them to GErrors)

static void post_start_error(GstMctxSink* self, const StartError& e) {
  mctx::gst::post_start_error(GST_ELEMENT_CAST(self), GST_MESSAGE_ERROR, e);
}

// ---------------------------------------------------------------------------
// Sending (mctxsink-deliver.cpp holds the send policy)

// GstBaseSink calls these with its own instance: no checked cast per buffer.
static GstFlowReturn gst_mctx_sink_render(GstBaseSink* sink, GstBuffer* buffer) {
  auto self = reinterpret_cast<GstMctxSink*>(sink);
  State* st = self->priv->state.get();
  if (G_UNLIKELY(st == nullptr)) return GST_FLOW_FLUSHING;
  return st->fanout.render(buffer);
}

static GstFlowReturn gst_mctx_sink_render_list(GstBaseSink* sink, GstBufferList* list) {
  auto self = reinterpret_cast<GstMctxSink*>(sink);
  State* st = self->priv->state.get();
  if (G_UNLIKELY(st == nullptr)) return GST_FLOW_FLUSHING;
  return st->fanout.render_list(list);
}

static gboolean gst_mctx_sink_unlock(GstBaseSink* sink) {
  auto self = GST_MCTX_SINK(sink);
  GST_DEBUG_OBJECT(self, "unlock: interrupting any wait of the streaming thread");
  self->priv->waiter.unlock();
  return TRUE;
}

static gboolean gst_mctx_sink_unlock_stop(GstBaseSink* sink) {
  auto self = GST_MCTX_SINK(sink);
  GST_DEBUG_OBJECT(self, "unlock_stop");
  self->priv->waiter.unlock_stop();
  return TRUE;
}

static void announce_tick(GstMctxSink* self);  // the SAP timer (below)

// ---------------------------------------------------------------------------
// Lifecycle

// start()/stop() run from change_state() on READY->PAUSED and PAUSED->READY
// (not from GstBaseSink's NULL->READY start vfunc): a bad configuration fails
// the READY->PAUSED change, and properties set in READY take effect at the
// next PAUSED.
static gboolean gst_mctx_sink_start(GstMctxSink* self) {
  auto priv = self->priv;
  std::unique_lock<std::mutex> run(priv->run_mutex);
  auto fail = [self, priv, &run](const StartError& e) {
    {
      std::lock_guard<std::mutex> lk(priv->settings_mutex);
      priv->started = false;
    }
    // A synchronous bus handler may add destinations or stop us.
    if (run.owns_lock()) run.unlock();
    post_start_error(self, e);
    return FALSE;
  };
  try {
    Settings s;
    Destinations list;
    {
      std::lock_guard<std::mutex> lk(priv->settings_mutex);
      s = priv->settings;
      list = priv->destinations;
      priv->started = true;  // from here on, MUTABLE_READY properties are refused
    }
    if (!priv->waiter.valid()) {
      return fail(StartError{StartError::Kind::open, "Could not create a poll set.",
                             "gst_poll_new() failed"});
    }

    mctx::gst::sync_core_log_threshold();  // the core logs into our category
    // The metrics file first: a file problem fails the start before any
    // socket is opened.
    std::shared_ptr<MetricsFile> metrics_file;
    if (!s.metrics_file.empty()) {
      auto opened = MetricsFile::open(s);
      if (!opened) return fail(opened.error());
      metrics_file = std::move(*opened);
      GST_INFO_OBJECT(self, "Metrics file %s", metrics_file->path().c_str());
    }
    auto set = DestinationSet::open(GST_BASE_SINK_CAST(self), s, list, priv->waiter);
    if (!set) return fail(set.error());

    const Destination* primary = (*set)->primary();
    const std::string start_warning = primary ? primary->backend().start_warning() : "";
    if (primary) {
      GST_INFO_OBJECT(self, "Started (%s mode, %s socket): %s", primary->backend().mode(),
                      s.socket ? "caller-provided" : "own",
                      primary->backend().describe_socket().c_str());
    }
    GST_INFO_OBJECT(self, "%zu destinations", (*set)->size());
    // udpsink's ttl is its unicast TTL; here it is the multicast one.
    GST_INFO_OBJECT(self, "TTL %u (multicast, from %s)", s.ttl, s.ttl_from);

    auto announcement = Announcement::open(s, (*set)->publications(), G_OBJECT(self),
                                           [self] { announce_tick(self); });
    if (!announcement) return fail(announcement.error());

    const std::string repaired = metrics_file ? metrics_file->repaired() : std::string();
    auto st = std::make_unique<State>(GST_BASE_SINK_CAST(self), s, std::move(*set));
    st->announcement = std::move(*announcement);
    st->metrics_file = std::move(metrics_file);
    priv->waiter.unlock_stop();
    priv->poster.clear_eos();
    {
      std::lock_guard<std::mutex> lk(priv->state_mutex);
      priv->state = std::move(st);
    }
    run.unlock();

    if (!start_warning.empty()) {
      GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS, ("%s", start_warning.c_str()),
                          ("properties set that this mode does not use"));
    }
    if (!repaired.empty()) {
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                          ("metrics-file '%s': %s", s.metrics_file.c_str(), repaired.c_str()),
                          ("JsonlWriter::open repaired the file"));
    }
    if (const std::string note = mctx::gst::metrics_file_start_note(s); !note.empty()) {
      GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS, ("%s", note.c_str()),
                          ("metrics-file with stats-interval 0"));
    }
    if (!priv->poster.start_timer([self] { metrics_tick(self); })) {
      GST_ELEMENT_WARNING(self, RESOURCE, FAILED,
                          ("Could not start the metrics timer: no periodic mctx-metrics "
                           "messages will be posted."),
                          ("out of memory"));
    }
    return TRUE;
  } catch (const std::exception& e) {
    {
      std::lock_guard<std::mutex> lk(priv->state_mutex);
      priv->state.reset();
    }
    return fail(StartError{StartError::Kind::open,
                           std::string("Internal error while starting: ") + e.what(), ""});
  }
}

static gboolean gst_mctx_sink_stop(GstMctxSink* self) {
  auto priv = self->priv;
  priv->poster.stop_timer();
  priv->waiter.forget_fd();

  // Take the state out first (the metrics property reads zeros from now on),
  // then post its final sample.
  std::unique_ptr<State> st;
  {
    std::lock_guard<std::mutex> run(priv->run_mutex);
    std::lock_guard<std::mutex> lk(priv->state_mutex);
    st = std::move(priv->state);
  }
  if (st && st->announcement) st->announcement->end();  // the SAP deletion
  if (st) post_metrics(self, Post::stop, st.get());
  if (st && st->metrics_file) {  // the final rows, synced; the file is closed
    mctx::gst::post_metrics_file_warning(GST_ELEMENT_CAST(self),
                                         st->metrics_file->finish(st->set->sample()));
  }
  priv->poster.clear_eos();

  bool close_socket;
  {
    std::lock_guard<std::mutex> lk(priv->settings_mutex);
    close_socket = priv->settings.close_socket;
    priv->started = false;
  }
  if (st) {
    st->set->shutdown(close_socket);
    st.reset();
    GST_DEBUG_OBJECT(self, "Stopped");
  }
  return TRUE;
}

static GstStateChangeReturn gst_mctx_sink_change_state(GstElement* element,
                                                       GstStateChange transition) {
  auto self = GST_MCTX_SINK(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !gst_mctx_sink_start(self)) {
    return GST_STATE_CHANGE_FAILURE;
  }
  const GstStateChangeReturn ret = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && ret == GST_STATE_CHANGE_FAILURE) {
    gst_mctx_sink_stop(self);
  }
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) gst_mctx_sink_stop(self);
  return ret;
}

// ---------------------------------------------------------------------------
// The stream's description (mctxsink-sdp.cpp: SDP from the caps, the file,
// SAP)

static void announce_tick(GstMctxSink* self) {
  Private* priv = self->priv;
  std::lock_guard<std::mutex> lk(priv->state_mutex);
  if (priv->state && priv->state->announcement) priv->state->announcement->tick();
}

// EOS (ended): the SAP deletion; a new stream or a flush: announced again.
static void stream_ended(GstMctxSink* self, bool ended) {
  Private* priv = self->priv;
  std::lock_guard<std::mutex> lk(priv->state_mutex);
  if (!priv->state || !priv->state->announcement) return;
  if (ended) {
    priv->state->announcement->end();
  } else {
    priv->state->announcement->resume();
  }
}

static gboolean gst_mctx_sink_set_caps(GstBaseSink* sink, GstCaps* caps) {
  auto self = GST_MCTX_SINK(sink);
  Private* priv = self->priv;
  mctx::Result<bool, std::string> described = false;
  bool needed = false;
  {
    std::lock_guard<std::mutex> lk(priv->state_mutex);
    Announcement* a = priv->state ? priv->state->announcement.get() : nullptr;
    if (a == nullptr) return TRUE;
    needed = a->needed();
    described = a->describe(caps);
  }
  if (described && *described) g_object_notify(G_OBJECT(self), "sdp");
  if (described || !needed) {
    if (!described) GST_DEBUG_OBJECT(self, "No SDP: %s", described.error().c_str());
    return TRUE;
  }
  GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                    ("Could not describe the stream (sdp-file, announce): %s",
                     described.error().c_str()),
                    ("caps %" GST_PTR_FORMAT, caps));
  return FALSE;
}

static gboolean gst_mctx_sink_event(GstBaseSink* sink, GstEvent* event) {
  auto self = GST_MCTX_SINK(sink);
  // Before the base class posts the EOS message: an application that stops at
  // EOS has the final metrics already.
  // Periodic messages stop after EOS (nothing more can be sent until a
  // flush) and resume with the next flush or stream.
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      stream_ended(self, true);
      post_metrics(self, Post::eos);
      break;
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_STREAM_START:
      self->priv->poster.clear_eos();
      stream_ended(self, false);
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS(parent_class)->event(sink, event);
}

// ---------------------------------------------------------------------------
// Properties (mctxsink-properties.cpp: specs and values; here: locking,
// refusal while running, notification)

static void gst_mctx_sink_set_property(GObject* object, guint prop_id, const GValue* value,
                                       GParamSpec* pspec) {
  auto self = GST_MCTX_SINK(object);
  auto priv = self->priv;
  bool refused = false;
  bool changed = false;
  std::string current;
  try {
    std::unique_lock<std::mutex> lk(priv->settings_mutex);
    Settings& s = priv->settings;
    if ((pspec->flags & GST_PARAM_MUTABLE_READY) != 0 && priv->started) {
      refused = true;
      GValue v = G_VALUE_INIT;
      g_value_init(&v, pspec->value_type);
      lk.unlock();
      g_object_get_property(object, pspec->name, &v);
      gchar* text = gst_value_serialize(&v);
      current = text ? text : "(none)";
      g_free(text);
      g_value_unset(&v);
    } else {
      if (prop_id == PROP_STATS_INTERVAL) {
        changed = mctx::gst::write_property(object, prop_id, value, pspec, s, priv->destinations);
        // Under settings_mutex: the timer gets the changes in order, also
        // before start() and while it starts.
        priv->poster.set_interval(s.stats_interval_ms);
      } else if (prop_id != PROP_METRICS && prop_id != PROP_USED_SOCKET && prop_id != PROP_SDP) {
        changed = mctx::gst::write_property(object, prop_id, value, pspec, s, priv->destinations);
      } else {
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      }
    }
  } catch (const std::exception& e) {
    GST_ERROR_OBJECT(self, "Could not set property %s: %s", pspec->name, e.what());
    return;
  }
  // Every property has G_PARAM_EXPLICIT_NOTIFY: notified only when its value
  // changed. An alias and its target are one value: whoever watches the other
  // name hears of the change too.
  if (changed) {
    g_object_notify_by_pspec(object, pspec);
    if (const char* other = mctx::gst::alias_partner(pspec->name)) g_object_notify(object, other);
  }
  if (refused) {
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                        ("Property '%s' cannot be changed while the element is running (PAUSED "
                         "or PLAYING); set it in the NULL or READY state. It stays %s.",
                         pspec->name, current.c_str()),
                        ("GST_PARAM_MUTABLE_READY property set after start()"));
  }
}

static void gst_mctx_sink_get_property(GObject* object, guint prop_id, GValue* value,
                                       GParamSpec* pspec) {
  auto self = GST_MCTX_SINK(object);
  auto priv = self->priv;
  try {
    if (prop_id == PROP_METRICS) {
      g_value_take_boxed(value, current_metrics(self));
      return;
    }
    if (prop_id == PROP_SDP) {
      std::lock_guard<std::mutex> lk(priv->state_mutex);
      Announcement* a = priv->state ? priv->state->announcement.get() : nullptr;
      g_value_set_string(value, a ? a->text().c_str() : "");
      return;
    }
    if (prop_id == PROP_USED_SOCKET) {
      std::lock_guard<std::mutex> lk(priv->state_mutex);
      const Destination* primary = priv->state ? priv->state->set->primary() : nullptr;
      GSocket* s = primary ? primary->backend().used_socket() : nullptr;
      g_value_take_object(value, s);
      return;
    }
    std::lock_guard<std::mutex> lk(priv->settings_mutex);
    mctx::gst::read_property(object, prop_id, value, pspec, priv->settings, priv->destinations);
  } catch (const std::exception& e) {
    GST_ERROR_OBJECT(self, "Could not get property %s: %s", pspec->name, e.what());
  }
}

// ---------------------------------------------------------------------------
// GObject lifecycle

static void gst_mctx_sink_init(GstMctxSink* self) {
  try {
    self->priv = new Private(GST_ELEMENT_CAST(self));
  } catch (...) {
    g_error("mctxsink: out of memory");
  }
  // enable-last-sample defaults to FALSE here: keeping a reference to each
  // buffer costs a lock and two reference counts per buffer and holds a
  // buffer back from its pool, for a sample a network sink rarely shows.
  // The property still turns it on (docs/element.md).
  gst_base_sink_set_last_sample_enabled(GST_BASE_SINK(self), FALSE);
}

static void gst_mctx_sink_finalize(GObject* object) {
  auto self = GST_MCTX_SINK(object);
  if (self->priv != nullptr) {
    self->priv->poster.stop_timer();
    delete self->priv;
    self->priv = nullptr;
  }
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_mctx_sink_class_init(GstMctxSinkClass* klass) {
  auto gobject_class = G_OBJECT_CLASS(klass);
  auto element_class = GST_ELEMENT_CLASS(klass);
  auto basesink_class = GST_BASE_SINK_CLASS(klass);

  gobject_class->set_property = gst_mctx_sink_set_property;
  gobject_class->get_property = gst_mctx_sink_get_property;
  gobject_class->finalize = gst_mctx_sink_finalize;

  mctx::gst::install_properties(gobject_class);

  mctx::gst::install_signals(gobject_class);

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(
      element_class, "Multicast UDP sink", "Sink/Network",
      "Send data to an IPv4/IPv6 multicast group from an exact source and interface",
      MCTX_PACKAGE_AUTHOR);

  element_class->change_state = gst_mctx_sink_change_state;
  basesink_class->render = gst_mctx_sink_render;
  basesink_class->render_list = gst_mctx_sink_render_list;
  basesink_class->unlock = gst_mctx_sink_unlock;
  basesink_class->unlock_stop = gst_mctx_sink_unlock_stop;
  basesink_class->event = gst_mctx_sink_event;
  basesink_class->set_caps = gst_mctx_sink_set_caps;
}

// ---------------------------------------------------------------------------
// GstURIHandler

static const gchar* const kUriProtocols[] = {"mctx", nullptr};

static gchar* gst_mctx_sink_uri_get_uri(GstURIHandler* handler) {
  auto self = GST_MCTX_SINK(handler);
  try {
    std::lock_guard<std::mutex> lk(self->priv->settings_mutex);
    const std::string uri = mctx::gst::build_uri(self->priv->settings);
    return uri.empty() ? nullptr : g_strdup(uri.c_str());
  } catch (...) {
    return nullptr;
  }
}

static gboolean gst_mctx_sink_uri_set_uri(GstURIHandler* handler, const gchar* uri,
                                          GError** error) {
  auto self = GST_MCTX_SINK(handler);
  auto priv = self->priv;
  try {
    Settings parsed;
    std::vector<const char*> changed;
    if (!mctx::gst::parse_uri(uri, parsed, error)) {
      GST_WARNING_OBJECT(self, "Rejected URI '%s': %s", uri ? uri : "(null)",
                         (error && *error) ? (*error)->message : "");
      return FALSE;
    }
    {
      std::lock_guard<std::mutex> lk(priv->settings_mutex);
      if (priv->started) {
        g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
                    "mctx URI: cannot change the URI while the element is running (PAUSED or "
                    "PLAYING); set it in the NULL or READY state");
        return FALSE;
      }
      const Settings before = priv->settings;
      mctx::gst::copy_uri_fields(parsed, priv->settings);
      const Settings& now = priv->settings;
      const std::pair<const char*, bool> fields[] = {
          {"group", before.group != now.group},
          {"port", before.port != now.port},
          {"source-address", before.source_address != now.source_address},
          {"source-port", before.source_port != now.source_port},
          {"interface", before.interface != now.interface},
          {"ttl", before.ttl != now.ttl},
          {"loop", before.loop != now.loop},
          {"dscp", before.dscp != now.dscp},
          {"buffer-size", before.buffer_size != now.buffer_size},
      };
      for (const auto& [name, differs] : fields) {
        if (differs) changed.push_back(name);
      }
    }
    GST_INFO_OBJECT(self, "URI set to %s", uri);
    // Only what changed is notified (G_PARAM_EXPLICIT_NOTIFY), an alias too.
    for (const char* name : changed) {
      g_object_notify(G_OBJECT(self), name);
      if (const char* other = mctx::gst::alias_partner(name)) g_object_notify(G_OBJECT(self), other);
    }
    return TRUE;
  } catch (const std::exception& e) {
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "mctx URI: internal error: %s",
                e.what());
    return FALSE;
  }
}

static void gst_mctx_sink_uri_handler_init(gpointer g_iface, gpointer) {
  mctx::gst::init_uri_handler<GST_URI_SINK, kUriProtocols>(g_iface, gst_mctx_sink_uri_get_uri,
                                                           gst_mctx_sink_uri_set_uri);
}
