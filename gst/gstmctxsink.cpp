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
 * Every #GstMctxSink:stats-interval milliseconds, and once more at EOS and
 * when the element stops, an element message named `mctx-metrics` is posted
 * on the bus with the send counters and the rates over the interval.
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
#include <type_traits>
#include <utility>
#include <vector>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mctxsink-deliver.hpp"
#include "mctxsink-destination-list.hpp"
#include "mctxsink-destinations.hpp"
#include "mctxsink-metrics.hpp"
#include "mctxsink-private.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

using mctx::gst::Backend;
using mctx::gst::Destination;
using mctx::gst::DestinationSet;
using mctx::gst::Destinations;
using mctx::gst::Fanout;
using mctx::gst::GRef;
using mctx::gst::MetricsPoster;
using mctx::gst::Post;
using mctx::gst::Settings;
using mctx::gst::StartError;
using mctx::gst::Waiter;

enum {
  PROP_0,
  PROP_GROUP,
  PROP_PORT,
  PROP_SOURCE_ADDRESS,
  PROP_SOURCE_PORT,
  PROP_INTERFACE,
  PROP_TTL,
  PROP_LOOP,
  PROP_DSCP,
  PROP_BUFFER_SIZE,
  PROP_RAW_MODE,
  PROP_SOCKET,
  PROP_CLOSE_SOCKET,
  PROP_USED_SOCKET,
  PROP_METRICS,
  PROP_STATS_INTERVAL,
  PROP_GSO,
  PROP_MAX_RATE,
  PROP_QUEUE_FULL,
  PROP_MAX_OUTAGE,
  PROP_DESTINATIONS,
  // udpsink's names for the properties above (aliases)
  PROP_HOST,
  PROP_MULTICAST_IFACE,
  PROP_TTL_MC,
  PROP_QOS_DSCP,
  PROP_BIND_ADDRESS,
  PROP_BIND_PORT,
};

#define DEFAULT_GROUP nullptr
#define DEFAULT_PORT mctx::gst::kDefaultPort
#define DEFAULT_SOURCE_ADDRESS nullptr
#define DEFAULT_SOURCE_PORT mctx::gst::kDefaultSourcePort
#define DEFAULT_INTERFACE nullptr
#define DEFAULT_TTL mctx::gst::kDefaultTtl
#define DEFAULT_LOOP mctx::gst::kDefaultLoop
#define DEFAULT_DSCP mctx::gst::kDefaultDscp
#define DEFAULT_BUFFER_SIZE mctx::gst::kDefaultBufferSize
#define DEFAULT_RAW_MODE mctx::gst::kDefaultRawMode
#define DEFAULT_CLOSE_SOCKET mctx::gst::kDefaultCloseSocket
#define DEFAULT_STATS_INTERVAL mctx::gst::kDefaultStatsInterval
#define DEFAULT_GSO mctx::gst::kDefaultGso
#define DEFAULT_MAX_RATE mctx::gst::kDefaultMaxRate

// The values of the gso property.
#define GST_TYPE_MCTX_SINK_GSO (gst_mctx_sink_gso_get_type())
static GType gst_mctx_sink_gso_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(mctx::Gso::automatic),
       "Use segmentation offload where the kernel and device accept it", "auto"},
      {static_cast<gint>(mctx::Gso::off), "One message per datagram", "off"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstMctxSinkGso", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

namespace {

// Runtime state: exists between start() and stop(), built from a copy of the
// settings. render()/render_list() use it without locking (they never run
// concurrently with start()/stop()); other threads hold Private::state_mutex
// to read it, and Private::run_mutex to change its destinations.
struct State {
  State(GstBaseSink* sink, const Settings& s, std::unique_ptr<DestinationSet> d)
      : settings(s), set(std::move(d)), fanout(sink, *set) {}

  Settings settings;                   // the copy start() used
  std::unique_ptr<DestinationSet> set; // every destination of the run
  Fanout fanout;                       // buffers to every destination (streaming thread)
};

struct Private {
  explicit Private(GstElement* element) : poster(element) {}

  // Serialises start(), stop() and the add/remove/clear signals: the set of
  // destinations changes under it. Never held while a message is posted.
  std::mutex run_mutex;

  std::mutex settings_mutex;
  Settings settings;          // under settings_mutex
  Destinations destinations;  // under settings_mutex: the destinations property
  bool started = false;  // under settings_mutex: between start() and stop()

  std::mutex state_mutex;
  std::unique_ptr<State> state;  // pointer changes under run_mutex and state_mutex

  Waiter waiter;         // the streaming thread's waits; unlock() interrupts them
  MetricsPoster poster;  // mctx-metrics messages and the stats timer
};

}  // namespace

struct _GstMctxSink {
  GstBaseSink parent;
  Private* priv;
};

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

// Posts an mctx-metrics element message (from the timer, at EOS and at
// stop). `taken` is the state to sample when the caller already took it out
// of priv (stop).
static void post_metrics(GstMctxSink* self, Post what, State* taken = nullptr) {
  Private* priv = self->priv;
  priv->poster.post(what, [priv, taken](const char* reason) -> GstStructure* {
    if (taken != nullptr) return taken->set->structure(reason, true);
    std::lock_guard<std::mutex> lk(priv->state_mutex);
    return priv->state ? priv->state->set->structure(reason, true) : nullptr;
  });
}

static GstStructure* current_metrics(GstMctxSink* self) {
  Private* priv = self->priv;
  {
    std::lock_guard<std::mutex> lk(priv->state_mutex);
    if (priv->state) return priv->state->set->structure("query", false);
  }
  std::lock_guard<std::mutex> lk(priv->settings_mutex);
  return mctx::gst::stopped_metrics(priv->settings);
}

// ---------------------------------------------------------------------------
// Errors (mctxsink-errors.cpp maps them to GErrors)

static void post_start_error(GstMctxSink* self, const StartError& e) {
  mctx::gst::post_start_error(GST_ELEMENT_CAST(self), GST_MESSAGE_ERROR, e);
}

// A failed add or remove: a WARNING naming the signal and the URI.
static gboolean refuse(GstMctxSink* self, const char* signal, const std::string& uri,
                       StartError e) {
  e.message = std::string(signal) + " '" + uri + "': " + e.message;
  mctx::gst::post_start_error(GST_ELEMENT_CAST(self), GST_MESSAGE_WARNING, e);
  return FALSE;
}

// ---------------------------------------------------------------------------
// Sending (mctxsink-deliver.cpp holds the send policy)

static GstFlowReturn gst_mctx_sink_render(GstBaseSink* sink, GstBuffer* buffer) {
  auto self = GST_MCTX_SINK(sink);
  State* st = self->priv->state.get();
  if (G_UNLIKELY(st == nullptr)) return GST_FLOW_FLUSHING;
  return st->fanout.render(buffer);
}

static GstFlowReturn gst_mctx_sink_render_list(GstBaseSink* sink, GstBufferList* list) {
  auto self = GST_MCTX_SINK(sink);
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

    auto st = std::make_unique<State>(GST_BASE_SINK_CAST(self), s, std::move(*set));
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
    if (!priv->poster.start_timer([self] { post_metrics(self, Post::interval); })) {
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
  if (st) post_metrics(self, Post::stop, st.get());
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

static gboolean gst_mctx_sink_event(GstBaseSink* sink, GstEvent* event) {
  auto self = GST_MCTX_SINK(sink);
  // Before the base class posts the EOS message: an application that stops at
  // EOS has the final metrics already.
  // Periodic messages stop after EOS (nothing more can be sent until a
  // flush) and resume with the next flush or stream.
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      post_metrics(self, Post::eos);
      break;
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_STREAM_START:
      self->priv->poster.clear_eos();
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS(parent_class)->event(sink, event);
}

// ---------------------------------------------------------------------------
// Properties

static const char* str_or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

// "Changing <property> from A to B" at INFO, logged as from
// gst_mctx_sink_set_property (not from a helper or a lambda).
#define LOG_CHANGE(self, ...)                                                                      \
  gst_debug_log(GST_CAT_DEFAULT, GST_LEVEL_INFO, __FILE__, "gst_mctx_sink_set_property", __LINE__, \
                G_OBJECT(self), __VA_ARGS__)

// One property value written into its Settings field, logged when it
// changes; to() says whether it changed. An alias writes its target's field;
// udpsink's int aliases (ttl-mc, bind-port) land in guint fields, within the
// same range.
struct Change {
  GstMctxSink* self;
  GParamSpec* pspec;
  const GValue* value;

  bool to(std::string& field) const {
    const gchar* v = g_value_get_string(value);
    std::string nv = v ? v : "";
    if (nv == field) return false;
    LOG_CHANGE(self, "Changing %s from '%s' to '%s'", pspec->name, field.c_str(), nv.c_str());
    field = std::move(nv);
    return true;
  }
  bool to(guint& field) const {
    const guint nv = G_VALUE_HOLDS_INT(value) ? static_cast<guint>(g_value_get_int(value))
                                              : g_value_get_uint(value);
    if (nv == field) return false;
    LOG_CHANGE(self, "Changing %s from %u to %u", pspec->name, field, nv);
    field = nv;
    return true;
  }
  bool to(gint& field) const {
    const gint nv = g_value_get_int(value);
    if (nv == field) return false;
    LOG_CHANGE(self, "Changing %s from %d to %d", pspec->name, field, nv);
    field = nv;
    return true;
  }
  bool to(guint64& field) const {
    const guint64 nv = g_value_get_uint64(value);
    if (nv == field) return false;
    LOG_CHANGE(self, "Changing %s from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT, pspec->name,
               field, nv);
    field = nv;
    return true;
  }
  bool to(bool& field) const {
    const bool nv = g_value_get_boolean(value) != FALSE;
    if (nv == field) return false;
    LOG_CHANGE(self, "Changing %s from %s to %s", pspec->name, field ? "true" : "false",
               nv ? "true" : "false");
    field = nv;
    return true;
  }
  // An enum property: the value is the enum's, its nick is logged.
  template <class E>
    requires std::is_enum_v<E>
  bool to(E& field) const {
    const auto nv = static_cast<E>(g_value_get_enum(value));
    if (nv == field) return false;
    GEnumClass* klass = static_cast<GEnumClass*>(g_type_class_peek(pspec->value_type));
    const GEnumValue* from = klass ? g_enum_get_value(klass, static_cast<gint>(field)) : nullptr;
    const GEnumValue* into = klass ? g_enum_get_value(klass, static_cast<gint>(nv)) : nullptr;
    LOG_CHANGE(self, "Changing %s from %s to %s", pspec->name, from ? from->value_nick : "?",
               into ? into->value_nick : "?");
    field = nv;
    return true;
  }
};

// udpsink's names and the properties they are aliases of.
static constexpr const char* kAliases[][2] = {
    {"host", "group"},
    {"multicast-iface", "interface"},
    {"ttl-mc", "ttl"},
    {"qos-dscp", "dscp"},
    {"bind-address", "source-address"},
    {"bind-port", "source-port"},
};

// The other name of an alias pair, or nullptr.
static const char* alias_partner(const char* name) {
  for (const auto& pair : kAliases) {
    if (g_strcmp0(name, pair[0]) == 0) return pair[1];
    if (g_strcmp0(name, pair[1]) == 0) return pair[0];
  }
  return nullptr;
}

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
      const Change change{self, pspec, value};
      switch (prop_id) {
        case PROP_GROUP:
        case PROP_HOST: changed = change.to(s.group); break;
        case PROP_PORT: changed = change.to(s.port); break;
        case PROP_SOURCE_ADDRESS:
        case PROP_BIND_ADDRESS: changed = change.to(s.source_address); break;
        case PROP_SOURCE_PORT:
        case PROP_BIND_PORT: changed = change.to(s.source_port); break;
        case PROP_INTERFACE:
        case PROP_MULTICAST_IFACE: changed = change.to(s.interface); break;
        case PROP_TTL:
        case PROP_TTL_MC: changed = change.to(s.ttl); break;
        case PROP_LOOP: changed = change.to(s.loop); break;
        case PROP_DSCP:
        case PROP_QOS_DSCP: changed = change.to(s.dscp); break;
        case PROP_BUFFER_SIZE: changed = change.to(s.buffer_size); break;
        case PROP_RAW_MODE: changed = change.to(s.raw_mode); break;
        case PROP_SOCKET: {
          auto* sock = static_cast<GSocket*>(g_value_get_object(value));
          changed = sock != s.socket.get();
          if (!changed) break;
          GST_INFO_OBJECT(self, "Changing socket from %p to %p", static_cast<void*>(s.socket.get()),
                          static_cast<void*>(sock));
          s.socket = GRef<GSocket>::ref(sock);
          break;
        }
        case PROP_CLOSE_SOCKET: changed = change.to(s.close_socket); break;
        case PROP_GSO: changed = change.to(s.gso); break;
        case PROP_MAX_RATE: changed = change.to(s.max_rate); break;
        case PROP_QUEUE_FULL: changed = change.to(s.queue_full); break;
        case PROP_MAX_OUTAGE: changed = change.to(s.max_outage_ms); break;
        case PROP_DESTINATIONS: {
          std::vector<std::string> uris;
          const guint n = gst_value_array_get_size(value);
          for (guint i = 0; i < n; ++i) {
            const gchar* uri = g_value_get_string(gst_value_array_get_value(value, i));
            uris.emplace_back(uri ? uri : "");
          }
          changed = uris != priv->destinations.uris();
          if (!changed) break;
          GST_INFO_OBJECT(self, "Changing destinations: %u URIs", n);
          priv->destinations.assign(uris);
          break;
        }
        case PROP_STATS_INTERVAL:
          changed = change.to(s.stats_interval_ms);
          // Under settings_mutex: the timer gets the changes in order, also
          // before start() and while it starts.
          priv->poster.set_interval(s.stats_interval_ms);
          break;
        default:
          G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
          break;
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
    if (const char* other = alias_partner(pspec->name)) g_object_notify(object, other);
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
    if (prop_id == PROP_USED_SOCKET) {
      std::lock_guard<std::mutex> lk(priv->state_mutex);
      const Destination* primary = priv->state ? priv->state->set->primary() : nullptr;
      GSocket* s = primary ? primary->backend().used_socket() : nullptr;
      g_value_take_object(value, s);
      return;
    }
    std::lock_guard<std::mutex> lk(priv->settings_mutex);
    const Settings& s = priv->settings;
    switch (prop_id) {
      case PROP_GROUP:
      case PROP_HOST: g_value_set_string(value, str_or_null(s.group)); break;
      case PROP_PORT: g_value_set_uint(value, s.port); break;
      case PROP_SOURCE_ADDRESS:
      case PROP_BIND_ADDRESS: g_value_set_string(value, str_or_null(s.source_address)); break;
      case PROP_SOURCE_PORT: g_value_set_uint(value, s.source_port); break;
      case PROP_BIND_PORT: g_value_set_int(value, static_cast<gint>(s.source_port)); break;
      case PROP_INTERFACE:
      case PROP_MULTICAST_IFACE: g_value_set_string(value, str_or_null(s.interface)); break;
      case PROP_TTL: g_value_set_uint(value, s.ttl); break;
      case PROP_TTL_MC: g_value_set_int(value, static_cast<gint>(s.ttl)); break;
      case PROP_LOOP: g_value_set_boolean(value, s.loop); break;
      case PROP_DSCP:
      case PROP_QOS_DSCP: g_value_set_int(value, s.dscp); break;
      case PROP_BUFFER_SIZE: g_value_set_int(value, s.buffer_size); break;
      case PROP_RAW_MODE: g_value_set_boolean(value, s.raw_mode); break;
      case PROP_GSO: g_value_set_enum(value, static_cast<gint>(s.gso)); break;
      case PROP_MAX_RATE: g_value_set_uint64(value, s.max_rate); break;
      case PROP_SOCKET: g_value_set_object(value, s.socket.get()); break;
      case PROP_CLOSE_SOCKET: g_value_set_boolean(value, s.close_socket); break;
      case PROP_STATS_INTERVAL: g_value_set_uint(value, s.stats_interval_ms); break;
      case PROP_QUEUE_FULL: g_value_set_enum(value, static_cast<gint>(s.queue_full)); break;
      case PROP_MAX_OUTAGE: g_value_set_uint(value, s.max_outage_ms); break;
      case PROP_DESTINATIONS:
        for (const std::string& uri : priv->destinations.uris()) {
          GValue v = G_VALUE_INIT;
          g_value_init(&v, G_TYPE_STRING);
          g_value_set_string(&v, uri.c_str());
          gst_value_array_append_and_take_value(value, &v);
        }
        break;
      default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
    }
  } catch (const std::exception& e) {
    GST_ERROR_OBJECT(self, "Could not get property %s: %s", pspec->name, e.what());
  }
}

// ---------------------------------------------------------------------------
// Action signals: add, remove, clear, get-metrics (the destinations)

// The canonical URI of the properties' destination, "" when there is none
// to compare with (raw mode, no group).
static std::string primary_key(const Settings& s) {
  return s.raw_mode ? std::string() : mctx::gst::canonical_uri(s);
}

static gboolean gst_mctx_sink_add(GstMctxSink* self, const gchar* uri_arg) {
  auto priv = self->priv;
  const std::string uri = uri_arg ? uri_arg : "";
  StartError error;
  bool added = false;
  try {
    std::lock_guard<std::mutex> run(priv->run_mutex);
    mctx::Result<Destinations::Entry, StartError> entry = mctx::unexpected(StartError{});
    Settings element;
    {
      std::lock_guard<std::mutex> lk(priv->settings_mutex);
      element = priv->settings;
      entry = priv->destinations.admit(uri, primary_key(element));
    }
    // Running: the element-wide values (raw-mode, gso, ...) of the run.
    State* st = priv->state.get();
    if (!entry) {
      error = entry.error();
    } else if (st != nullptr) {
      // Running: open it now; the streaming thread takes it at the next
      // buffer or list.
      auto opened = mctx::gst::open_destination(
          GST_BASE_SINK_CAST(self), Destinations::settings_for(*entry, st->settings), false,
          priv->waiter);
      if (!opened) {
        error = opened.error();
      } else {
        GST_INFO_OBJECT(self, "Destination added: %s",
                        (*opened)->backend().describe_socket().c_str());
        st->set->add(std::move(*opened));
        added = true;
      }
    } else {
      added = true;
    }
    if (added) {
      std::lock_guard<std::mutex> lk(priv->settings_mutex);
      priv->destinations.append(std::move(*entry));
    }
  } catch (const std::exception& e) {
    error = StartError{StartError::Kind::open, std::string("internal error: ") + e.what(), ""};
    added = false;
  }
  if (!added) return refuse(self, "add", uri, std::move(error));
  GST_INFO_OBJECT(self, "add '%s'", uri.c_str());
  g_object_notify(G_OBJECT(self), "destinations");
  return TRUE;
}

static gboolean gst_mctx_sink_remove(GstMctxSink* self, const gchar* uri_arg) {
  auto priv = self->priv;
  const std::string uri = uri_arg ? uri_arg : "";
  StartError error;
  bool removed = false;
  try {
    std::lock_guard<std::mutex> run(priv->run_mutex);
    std::lock_guard<std::mutex> lk(priv->settings_mutex);
    auto key = priv->destinations.remove(uri);
    if (!key) {
      error = std::move(key.error());
    } else {
      removed = true;
      // Its send stops at once and a wait on its socket is interrupted; the
      // streaming thread lets go of it (and closes it) at the next buffer.
      if (priv->state) (void)priv->state->set->remove(*key);
    }
  } catch (const std::exception& e) {
    error = StartError{StartError::Kind::open, std::string("internal error: ") + e.what(), ""};
  }
  // Posted with no lock held: a synchronous bus handler may call us.
  if (!removed) return refuse(self, "remove", uri, std::move(error));
  GST_INFO_OBJECT(self, "remove '%s'", uri.c_str());
  g_object_notify(G_OBJECT(self), "destinations");
  return TRUE;
}

static void gst_mctx_sink_clear(GstMctxSink* self) {
  auto priv = self->priv;
  std::size_t n = 0;
  {
    std::lock_guard<std::mutex> run(priv->run_mutex);
    std::lock_guard<std::mutex> lk(priv->settings_mutex);
    n = priv->destinations.clear();
    if (priv->state) (void)priv->state->set->clear();
  }
  GST_INFO_OBJECT(self, "clear: %zu destinations removed", n);
  if (n > 0) g_object_notify(G_OBJECT(self), "destinations");
}

static GstStructure* gst_mctx_sink_get_metrics(GstMctxSink* self, const gchar* uri_arg) {
  auto priv = self->priv;
  try {
    const std::string canonical = Destinations::key_of(uri_arg ? uri_arg : "");
    std::lock_guard<std::mutex> lk(priv->state_mutex);
    if (canonical.empty() || !priv->state) return nullptr;
    return priv->state->set->destination_structure(canonical);
  } catch (const std::exception& e) {
    GST_ERROR_OBJECT(self, "get-metrics: %s", e.what());
    return nullptr;
  }
}

// ---------------------------------------------------------------------------
// The queue-full enum

static GType gst_mctx_sink_queue_full_get_type() {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    static const GEnumValue values[] = {
        {static_cast<gint>(mctx::gst::QueueFull::wait),
         "Send again after a short wait: nothing is lost (backpressure)", "wait"},
        {static_cast<gint>(mctx::gst::QueueFull::drop),
         "Drop the datagram and count it (queue-full-dropped)", "drop"},
        {0, nullptr, nullptr},
    };
    g_once_init_leave(&type, g_enum_register_static("GstMctxSinkQueueFull", values));
  }
  return type;
}

// ---------------------------------------------------------------------------
// GObject lifecycle

static void gst_mctx_sink_init(GstMctxSink* self) {
  try {
    self->priv = new Private(GST_ELEMENT_CAST(self));
  } catch (...) {
    g_error("mctxsink: out of memory");
  }
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

  // G_PARAM_EXPLICIT_NOTIFY: set_property notifies when a value changed,
  // never for a refused set or the same value.
  const auto rw_ready = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 G_PARAM_EXPLICIT_NOTIFY | GST_PARAM_MUTABLE_READY);
  const auto rw_playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   G_PARAM_EXPLICIT_NOTIFY |
                                                   GST_PARAM_MUTABLE_PLAYING);
  const auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMctxSink:group:
   *
   * The IPv4 or IPv6 multicast group to send to. Required, unless
   * #GstMctxSink:destinations names the destinations. Interface-local
   * and link-local IPv6 groups (ff01::/16, ff02::/16) only mean something on
   * one link: they need #GstMctxSink:interface (or a scope, "ff02::1%eth0").
   */
  g_object_class_install_property(
      gobject_class, PROP_GROUP,
      g_param_spec_string(
          "group", "Multicast group",
          "IPv4 or IPv6 multicast group to send to, e.g. 239.1.2.3 or ff3e::8000:1234 "
          "(required unless 'destinations' is set; ff01::/16 and ff02::/16 groups also need "
          "'interface' or a %scope; not used in raw-mode)",
          DEFAULT_GROUP, rw_ready));

  /**
   * GstMctxSink:port:
   *
   * The destination UDP port.
   */
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_uint("port", "Port", "Destination UDP port (1-65535)", 1, 65535, DEFAULT_PORT,
                        rw_ready));

  /**
   * GstMctxSink:source-address:
   *
   * The exact local address the socket binds to, so that it is the source
   * address of every packet (receivers of source-specific multicast filter
   * on it). It must be configured on this host and be of the group's
   * family. It is not the outgoing interface: use #GstMctxSink:interface
   * for that.
   */
  g_object_class_install_property(
      gobject_class, PROP_SOURCE_ADDRESS,
      g_param_spec_string(
          "source-address", "Source address",
          "Exact local IPv4/IPv6 address to send from (bound on the socket; must be configured "
          "on this host, same family as the group). NULL = chosen by routing",
          DEFAULT_SOURCE_ADDRESS, rw_ready));

  /**
   * GstMctxSink:source-port:
   *
   * The local UDP port to send from; 0 lets the kernel choose one.
   */
  g_object_class_install_property(
      gobject_class, PROP_SOURCE_PORT,
      g_param_spec_uint("source-port", "Source port",
                        "Local UDP port to send from (1-65535); 0 = any free port chosen by the "
                        "kernel",
                        0, 65535, DEFAULT_SOURCE_PORT, rw_ready));

  /**
   * GstMctxSink:interface:
   *
   * The interface multicast packets leave by: a local address (IPv4:
   * IP_MULTICAST_IF by address; IPv6: resolved to its interface, and bound as
   * the source when #GstMctxSink:source-address is not set), an interface
   * name or an interface index. Without it, the routing table decides.
   * In raw mode it is the egress of both families; without it, IPv6
   * datagrams (sent at the link layer) leave by their group's route in the
   * kernel's main routing table. An address also selects its interface for
   * the other family.
   */
  g_object_class_install_property(
      gobject_class, PROP_INTERFACE,
      g_param_spec_string(
          "interface", "Outgoing interface",
          "Interface the multicast packets leave by: a local IPv4/IPv6 address (192.0.2.1), a "
          "name (eth0, lo) or an index (2). NULL = the routing table decides (raw-mode "
          "IPv6: the group's route in the main table)",
          DEFAULT_INTERFACE, rw_ready));

  /**
   * GstMctxSink:ttl:
   *
   * IPv4 time-to-live or IPv6 hop limit of the sent packets. 0 keeps them on
   * this host, 1 (the default) on the local network.
   */
  g_object_class_install_property(
      gobject_class, PROP_TTL,
      g_param_spec_uint("ttl", "TTL / hop limit",
                        "IPv4 TTL / IPv6 hop limit of sent packets (0-255; 0 = this host only, "
                        "1 = local network)",
                        0, 255, DEFAULT_TTL, rw_ready));

  /**
   * GstMctxSink:loop:
   *
   * Whether receivers on this host that joined the group get a copy
   * (IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP).
   */
  g_object_class_install_property(
      gobject_class, PROP_LOOP,
      g_param_spec_boolean("loop", "Multicast loopback",
                           "Deliver sent packets to receivers on this host that joined the group "
                           "(IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP)",
                           DEFAULT_LOOP, rw_ready));

  /**
   * GstMctxSink:dscp:
   *
   * Differentiated Services code point, written into the upper six bits of
   * the IPv4 TOS / IPv6 traffic class byte. -1 leaves the system default.
   */
  g_object_class_install_property(
      gobject_class, PROP_DSCP,
      g_param_spec_int("dscp", "DSCP",
                       "Differentiated Services code point of sent packets (0-63, e.g. 46 = EF, "
                       "34 = AF41); -1 = leave the system default",
                       -1, 63, DEFAULT_DSCP, rw_ready));

  /**
   * GstMctxSink:buffer-size:
   *
   * Kernel send buffer size (SO_SNDBUF) in bytes. Linux doubles the value and
   * caps it at net.core.wmem_max. A small buffer makes backpressure (waiting
   * for the socket) start sooner; nothing is dropped either way.
   */
  g_object_class_install_property(
      gobject_class, PROP_BUFFER_SIZE,
      g_param_spec_int("buffer-size", "Send buffer size",
                       "Kernel send buffer size (SO_SNDBUF) in bytes (1-2147483647; Linux "
                       "doubles it and caps it at net.core.wmem_max); 0 = system default",
                       0, G_MAXINT, DEFAULT_BUFFER_SIZE, rw_ready));

  /**
   * GstMctxSink:raw-mode:
   *
   * Each buffer (or each buffer of a list) is one complete IPv4 or IPv6
   * datagram, header included, sent unchanged with its own source address:
   * for AMT gateways and relays (RFC 7450) and anything else that must put
   * a datagram back on a network exactly as it was sent. IPv4 and IPv6 may
   * be mixed in one stream. Needs CAP_NET_RAW; without it the start fails.
   *
   * Used in raw mode: #GstMctxSink:interface (the egress; without it IPv6
   * datagrams, sent at the link layer, leave by their group's route in the
   * kernel's main routing table, and are dropped with a warning when there
   * is none), #GstMctxSink:loop (IPv4 only) and
   * #GstMctxSink:buffer-size. #GstMctxSink:group, #GstMctxSink:port,
   * #GstMctxSink:ttl, #GstMctxSink:source-address,
   * #GstMctxSink:source-port and #GstMctxSink:dscp come from each datagram
   * and are ignored (a warning at start names those that are set);
   * #GstMctxSink:socket cannot be used. An invalid datagram (bad header,
   * checksum or length, unicast destination, ...) is dropped, counted in
   * `dropped` and `invalid-datagrams`, and reported in a warning that says
   * what is wrong; streaming continues.
   */
  g_object_class_install_property(
      gobject_class, PROP_RAW_MODE,
      g_param_spec_boolean("raw-mode", "Raw mode",
                           "Each buffer is a complete IPv4/IPv6 datagram (header included) sent "
                           "unchanged with its own source; needs CAP_NET_RAW. Uses 'interface' "
                           "(IPv6 without it: the group's main-table route), 'loop' (IPv4) and 'buffer-size'; group, port, "
                           "ttl, source-address, source-port and dscp come from each datagram",
                           DEFAULT_RAW_MODE, rw_ready));

  /**
   * GstMctxSink:socket:
   *
   * A UDP socket of the group's family to send from instead of creating one.
   * If it is already bound, its address and port must agree with
   * #GstMctxSink:source-address and #GstMctxSink:source-port. The element
   * applies interface, TTL, loop, DSCP and buffer size, binds it if it is
   * unbound, and sends through its own duplicate of the descriptor without
   * connecting it (each datagram names the group). So the caller may close
   * it while the element runs, and several sinks and a udpsrc may share it;
   * sinks sharing one socket must set the same interface, TTL, loop, DSCP and
   * buffer size (a sink that differs fails to start, naming both). Set
   * #GstMctxSink:close-socket to FALSE on sinks that share a socket.
   */
  g_object_class_install_property(
      gobject_class, PROP_SOCKET,
      g_param_spec_object("socket", "Socket",
                          "Caller-provided UDP socket (GSocket, same family as the group) to send "
                          "from instead of creating one; the element configures it and sends "
                          "through a duplicate without connecting it, so it may be shared with "
                          "other sinks (same ttl, loop, interface, dscp, buffer-size) and a "
                          "udpsrc. NULL = create a socket",
                          G_TYPE_SOCKET, rw_ready));

  /**
   * GstMctxSink:close-socket:
   *
   * Whether the element closes the caller-provided #GstMctxSink:socket when
   * it stops. Sockets the element creates are always closed.
   */
  g_object_class_install_property(
      gobject_class, PROP_CLOSE_SOCKET,
      g_param_spec_boolean("close-socket", "Close socket",
                           "Close the caller-provided 'socket' when the element stops; FALSE = "
                           "leave it open for the caller (sockets the element creates are always "
                           "closed)",
                           DEFAULT_CLOSE_SOCKET, rw_playing));

  /**
   * GstMctxSink:used-socket:
   *
   * The socket in use while the element runs: the caller's
   * #GstMctxSink:socket, or a #GSocket on a duplicate descriptor of the
   * socket the element created (the same kernel socket; closing this
   * #GSocket does not disturb the element). NULL when stopped.
   */
  g_object_class_install_property(
      gobject_class, PROP_USED_SOCKET,
      g_param_spec_object("used-socket", "Used socket",
                          "Socket in use while PAUSED/PLAYING: the caller's 'socket', or a "
                          "GSocket on a duplicate descriptor of the element's own socket. NULL "
                          "when stopped",
                          G_TYPE_SOCKET, ro));

  /**
   * GstMctxSink:metrics:
   *
   * The current metrics, as an `mctx-metrics` structure with the fields of
   * the bus message (`reason` is "query"); `interval` and the rates cover the
   * time since the last posted message. All counters are 0 when the element
   * is stopped. GstBaseSink's own #GstBaseSink:stats is not replaced.
   */
  g_object_class_install_property(
      gobject_class, PROP_METRICS,
      g_param_spec_boxed("metrics", "Metrics",
                         "Current send metrics: an mctx-metrics structure with the fields of the "
                         "bus message (counters since start; rates since the last message); all "
                         "0 when stopped, never NULL",
                         GST_TYPE_STRUCTURE, ro));

  /**
   * GstMctxSink:stats-interval:
   *
   * Period of the `mctx-metrics` element messages, in milliseconds. 0 posts
   * only the final messages (at EOS and at stop). May be changed while
   * playing.
   */
  g_object_class_install_property(
      gobject_class, PROP_STATS_INTERVAL,
      g_param_spec_uint("stats-interval", "Stats interval",
                        "Period of mctx-metrics bus messages in milliseconds (0-4294967295); 0 = "
                        "only the final messages at EOS and stop",
                        0, G_MAXUINT, DEFAULT_STATS_INTERVAL, rw_playing));

  /**
   * GstMctxSink:gso:
   *
   * UDP segmentation offload for buffer lists: runs of equal-size buffers
   * (the last may be shorter) go to the kernel as one message each, which
   * the device or the stack cuts into the same datagrams; receivers see
   * exactly the buffers, in order. `auto` uses it where the kernel and the
   * device accept it (probed once; on a refusal the element falls back to
   * one message per buffer for good, losing nothing); `off` never. Single
   * buffers are never affected. The start log and the `gso` field of
   * mctx-metrics say whether it is in use; `gso-sends` counts the messages.
   * UDP mode only.
   */
  g_object_class_install_property(
      gobject_class, PROP_GSO,
      g_param_spec_enum("gso", "Segmentation offload",
                        "UDP segmentation offload (UDP_SEGMENT) for buffer lists: auto = where "
                        "the kernel and device accept it, off = one message per buffer",
                        GST_TYPE_MCTX_SINK_GSO, static_cast<gint>(DEFAULT_GSO), rw_ready));

  /**
   * GstMctxSink:max-rate:
   *
   * Pacing: at most this many bits per second on the wire, counted at the
   * IP level (payload + UDP + IP headers), in bursts of at most about 1 ms;
   * buffer lists are spread out instead of leaving as one burst. A sender
   * held up by scheduling catches up at no more than 1.2 times the rate.
   * The waits are interrupted by flushes and state changes. The element
   * paces itself; it also sets SO_MAX_PACING_RATE, which the fq qdisc
   * honours (`tc qdisc replace dev IFACE root fq`). The `pacing` field of
   * mctx-metrics says which pacing is in effect. 0 = unpaced. UDP mode only.
   */
  g_object_class_install_property(
      gobject_class, PROP_MAX_RATE,
      g_param_spec_uint64("max-rate", "Maximum rate",
                          "Pacing: at most this many bits per second at the IP level (headers "
                          "included), in bursts of about 1 ms; 0 = unpaced",
                          0, G_MAXUINT64, DEFAULT_MAX_RATE, rw_ready));

  /**
   * GstMctxSink:queue-full:
   *
   * What to do when the local queue refuses a datagram (ENOBUFS: a shaping
   * qdisc such as tbf, or a full device queue). `wait` (the default) sends
   * it again after a short wait (2 ms) that flushing and state changes
   * interrupt, so nothing is lost and the pipeline slows to the queue's
   * rate. `drop` drops it and counts it in `queue-full-dropped` (and
   * `dropped`), for live senders that must not fall behind. Either way
   * `queue-full` in the `mctx-metrics` message counts the events. See
   * docs/reliability.md.
   */
  g_object_class_install_property(
      gobject_class, PROP_QUEUE_FULL,
      g_param_spec_enum("queue-full", "Queue full",
                        "When the local queue is full (ENOBUFS): wait = send again shortly, "
                        "nothing lost (backpressure); drop = drop the datagram and count it",
                        gst_mctx_sink_queue_full_get_type(),
                        static_cast<gint>(mctx::gst::kDefaultQueueFull), rw_ready));

  /**
   * GstMctxSink:max-outage:
   *
   * Longest outage, in milliseconds, before the element stops with an
   * ERROR (so that a supervisor can restart the pipeline). An outage is a
   * time during which the network is unreachable: the interface is down or
   * was deleted, or the source address was removed; its datagrams are
   * dropped and counted. 0 (the default) = wait forever. The limit is
   * checked when a datagram is sent. See docs/reliability.md.
   */
  g_object_class_install_property(
      gobject_class, PROP_MAX_OUTAGE,
      g_param_spec_uint("max-outage", "Max outage",
                        "Longest outage in milliseconds (interface down or gone, source address "
                        "gone) before an ERROR; 0 = wait forever (datagrams are dropped and "
                        "counted meanwhile)",
                        0, G_MAXUINT, mctx::gst::kDefaultMaxOutage, rw_ready));

  /**
   * GstMctxSink:destinations:
   *
   * Further destinations, as `mctx://` URIs (the URI handler's syntax, each
   * with its own interface, source, TTL, DSCP...), sent to in addition to
   * the destination of the single-destination properties (when a group is
   * set): every buffer and list goes to each, with its own socket, batching
   * and counters. A bad URI fails the start with the URI handler's message.
   * While the element runs, the #GstMctxSink::add, #GstMctxSink::remove and
   * #GstMctxSink::clear signals change the set, and this property reads it.
   */
  g_object_class_install_property(
      gobject_class, PROP_DESTINATIONS,
      gst_param_spec_array(
          "destinations", "Destinations",
          "Further mctx:// URIs (the URI handler's syntax) each buffer is also sent to, e.g. "
          "<\"mctx://239.1.1.2:5004?interface=eth1\">; empty = none. While running, the add, "
          "remove and clear signals change the set",
          g_param_spec_string("destination", "Destination", "One mctx:// URI", nullptr, rw_ready),
          rw_ready));

  /*
   * udpsink's names, so that a udpsink multicast pipeline moves over by
   * renaming the element (docs/migrating-from-udpsink.md). Each is an alias:
   * setting it sets its target, reading it returns the target's value. The
   * int ones keep udpsink's type and range.
   */
  g_object_class_install_property(
      gobject_class, PROP_HOST,
      g_param_spec_string("host", "Host (alias of group)",
                          "Alias of 'group' (udpsink's name): the multicast group to send to, "
                          "as an IPv4/IPv6 address; a unicast host or a host name fails the "
                          "start",
                          DEFAULT_GROUP, rw_ready));
  g_object_class_install_property(
      gobject_class, PROP_MULTICAST_IFACE,
      g_param_spec_string("multicast-iface", "Multicast interface (alias of interface)",
                          "Alias of 'interface' (udpsink's name): the interface packets leave "
                          "by (name, address or index); NULL = the routing table decides",
                          DEFAULT_INTERFACE, rw_ready));
  g_object_class_install_property(
      gobject_class, PROP_TTL_MC,
      g_param_spec_int("ttl-mc", "Multicast TTL (alias of ttl)",
                       "Alias of 'ttl' (udpsink's name and type): IPv4 TTL / IPv6 hop limit of "
                       "sent packets (0-255)",
                       0, 255, static_cast<gint>(DEFAULT_TTL), rw_ready));
  g_object_class_install_property(
      gobject_class, PROP_QOS_DSCP,
      g_param_spec_int("qos-dscp", "QoS DSCP (alias of dscp)",
                       "Alias of 'dscp' (udpsink's name): DSCP of sent packets (0-63); -1 = "
                       "leave the system default",
                       -1, 63, DEFAULT_DSCP, rw_ready));
  g_object_class_install_property(
      gobject_class, PROP_BIND_ADDRESS,
      g_param_spec_string("bind-address", "Bind address (alias of source-address)",
                          "Alias of 'source-address' (udpsink's name): the exact local address "
                          "to send from; NULL = chosen by routing",
                          DEFAULT_SOURCE_ADDRESS, rw_ready));
  g_object_class_install_property(
      gobject_class, PROP_BIND_PORT,
      g_param_spec_int("bind-port", "Bind port (alias of source-port)",
                       "Alias of 'source-port' (udpsink's name and type): local UDP port to "
                       "send from; 0 = any free port chosen by the kernel",
                       0, 65535, static_cast<gint>(DEFAULT_SOURCE_PORT), rw_ready));

  /**
   * GstMctxSink::add:
   * @sink: the mctxsink
   * @uri: an `mctx://` URI (the URI handler's syntax)
   *
   * Adds a destination, in any state. While the element runs its socket
   * opens at once and it is sent every buffer and list rendered from then
   * on (from a buffer or list boundary); the URI is appended to
   * #GstMctxSink:destinations. Returns %FALSE when the URI is bad, is
   * already a destination or cannot be opened: a WARNING message then names
   * the URI and the rule ("add 'URI': ...").
   */
  g_signal_new_class_handler("add", G_TYPE_FROM_CLASS(klass),
                             static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                             G_CALLBACK(gst_mctx_sink_add), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  /**
   * GstMctxSink::remove:
   * @sink: the mctxsink
   * @uri: a URI of #GstMctxSink:destinations (compared after parsing: key
   *   order and defaults written out do not matter)
   *
   * Removes a destination, in any state. While the element runs, the
   * destination is sent nothing after the call returns (a datagram being
   * sent at that moment completes) and a wait for its socket ends at once;
   * the other destinations lose and repeat nothing. Returns %FALSE when it
   * is not one of #GstMctxSink:destinations (the destination of the group,
   * port, ... properties cannot be removed).
   */
  g_signal_new_class_handler("remove", G_TYPE_FROM_CLASS(klass),
                             static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                             G_CALLBACK(gst_mctx_sink_remove), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  /**
   * GstMctxSink::clear:
   * @sink: the mctxsink
   *
   * Removes every destination of #GstMctxSink:destinations, in any state
   * (the destination of the group, port, ... properties stays).
   */
  g_signal_new_class_handler("clear", G_TYPE_FROM_CLASS(klass),
                             static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                             G_CALLBACK(gst_mctx_sink_clear), nullptr, nullptr, nullptr,
                             G_TYPE_NONE, 0);
  /**
   * GstMctxSink::get-metrics:
   * @sink: the mctxsink
   * @uri: the destination's URI (its `uri` field in the metrics)
   *
   * Returns: (transfer full) (nullable): the `mctx-destination` structure of
   * one destination (counters, rates, state), or %NULL when the element is
   * not running or has no such destination.
   */
  g_signal_new_class_handler("get-metrics", G_TYPE_FROM_CLASS(klass),
                             static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                             G_CALLBACK(gst_mctx_sink_get_metrics), nullptr, nullptr, nullptr,
                             GST_TYPE_STRUCTURE, 1, G_TYPE_STRING);

  // The enum types of the properties are part of the plugin's documented API.
  gst_type_mark_as_plugin_api(GST_TYPE_MCTX_SINK_GSO, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(gst_mctx_sink_queue_full_get_type(),
                              static_cast<GstPluginAPIFlags>(0));

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
}

// ---------------------------------------------------------------------------
// GstURIHandler

static GstURIType gst_mctx_sink_uri_get_type(GType) { return GST_URI_SINK; }

static const gchar* const* gst_mctx_sink_uri_get_protocols(GType) {
  static const gchar* const protocols[] = {"mctx", nullptr};
  return protocols;
}

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
      if (const char* other = alias_partner(name)) g_object_notify(G_OBJECT(self), other);
    }
    return TRUE;
  } catch (const std::exception& e) {
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "mctx URI: internal error: %s",
                e.what());
    return FALSE;
  }
}

static void gst_mctx_sink_uri_handler_init(gpointer g_iface, gpointer) {
  auto iface = static_cast<GstURIHandlerInterface*>(g_iface);
  iface->get_type = gst_mctx_sink_uri_get_type;
  iface->get_protocols = gst_mctx_sink_uri_get_protocols;
  iface->get_uri = gst_mctx_sink_uri_get_uri;
  iface->set_uri = gst_mctx_sink_uri_set_uri;
}
