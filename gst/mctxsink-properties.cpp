// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The properties of mctxsink: see mctxsink-properties.hpp. The gtk-doc of
// each property is here, at its spec.

#include "mctxsink-properties.hpp"

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mctxsink-log.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

namespace mctx::gst {

namespace {


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
GType gst_mctx_sink_gso_get_type() {
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


// The values of the queue-full property.
GType gst_mctx_sink_queue_full_get_type() {
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


const char* str_or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

// "Changing <property> from A to B" at INFO, logged as from
// gst_mctx_sink_set_property (not from a helper or a lambda).
#define LOG_CHANGE(self, ...)                                                                      \
  gst_debug_log(GST_CAT_DEFAULT, GST_LEVEL_INFO, __FILE__, "gst_mctx_sink_set_property", __LINE__, \
                self, __VA_ARGS__)

// One property value written into its Settings field, logged when it
// changes; to() says whether it changed. An alias writes its target's field;
// udpsink's int aliases (ttl-mc, bind-port) land in guint fields, within the
// same range.
struct Change {
  GObject* self;
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
constexpr const char* kAliases[][2] = {
    {"host", "group"},
    {"multicast-iface", "interface"},
    {"ttl-mc", "ttl"},
    {"qos-dscp", "dscp"},
    {"bind-address", "source-address"},
    {"bind-port", "source-port"},
};

// The other name of an alias pair, or nullptr.
}  // namespace

const char* alias_partner(const char* name) {
  for (const auto& pair : kAliases) {
    if (g_strcmp0(name, pair[0]) == 0) return pair[1];
    if (g_strcmp0(name, pair[1]) == 0) return pair[0];
  }
  return nullptr;
}


void install_properties(GObjectClass* gobject_class) {
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
   * this host, 1 (the default) on the local network. It is the multicast
   * TTL (udpsink's ttl is its unicast one); the start log states it.
   */
  g_object_class_install_property(
      gobject_class, PROP_TTL,
      g_param_spec_uint("ttl", "TTL / hop limit",
                        "Multicast IPv4 TTL / IPv6 hop limit of sent packets (0-255; 0 = this host only, "
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
   * GstMctxSink:metrics-file:
   *
   * Path of a metrics file (JSON lines, docs/metrics-file.md, the format
   * mctx-send writes and mctx-plot draws) that the element appends to while
   * it runs: every #GstMctxSink:stats-interval milliseconds one row per
   * destination and a totals row, and a final row at stop (then the file is
   * synced to disk). The file is created (its folder must exist) or appended
   * to when its header matches, and locked for the run: a start fails with
   * an error naming this property, the path and the reason when it cannot be
   * opened or another writer holds it. A failed write is a warning (once)
   * and counted in `metrics-file-errors` of #GstMctxSink:metrics; streaming
   * goes on. With stats-interval 0 only the final row is written. The rows
   * are written from the timer's thread and the thread that stops the
   * element, never from the streaming thread. NULL = no file.
   */
  g_object_class_install_property(
      gobject_class, PROP_METRICS_FILE,
      g_param_spec_string("metrics-file", "Metrics file",
                          "Path of a JSON lines metrics file (docs/metrics-file.md) to append a "
                          "row per destination and a totals row to every stats-interval, and a "
                          "final row at stop; created if missing, locked while running; NULL = "
                          "none",
                          nullptr, rw_ready));

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
   * IP level (payload + UDP + IP headers), in bursts of 1 ms or 4 datagrams
   * of up to 1500 bytes, whichever is longer (at most 10 ms), one wake-up
   * per burst; buffer lists are spread out instead of leaving as one burst. A sender
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
                          "included), in bursts of 1 ms or 4 datagrams, whichever is longer (at "
                          "most 10 ms); 0 = unpaced",
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

  /**
   * GstMctxSink:sdp-file:
   *
   * A file to write the stream's SDP (RFC 8866) into, for receivers that
   * read one (`ffplay -protocol_whitelist file,udp,rtp -i FILE`, VLC,
   * GStreamer's sdpdemux). Written once the caps are known and again when
   * they change, atomically: a temporary file in the same directory renamed
   * over it, so a reader never sees half a file. The caps must be
   * application/x-rtp or video/mpegts. The start fails, naming this
   * property, when the directory does not take a new file. See
   * #GstMctxSink:sdp and docs/element.md.
   */
  g_object_class_install_property(
      gobject_class, PROP_SDP_FILE,
      g_param_spec_string("sdp-file", "SDP file",
                          "Path of a file to write the stream's SDP into (atomically, once the "
                          "caps are known and when they change; caps application/x-rtp or "
                          "video/mpegts); NULL = none",
                          nullptr, rw_ready));

  /**
   * GstMctxSink:announce:
   *
   * Announce the stream with SAP (RFC 2974): the SDP of #GstMctxSink:sdp is
   * sent to the SAP address of each destination's group (or
   * #GstMctxSink:announce-address), port 9875, out of that destination's
   * interface with its TTL and source address, as soon as the caps are
   * known and then every #GstMctxSink:announce-interval seconds; a deletion
   * follows at EOS and at stop. Receivers: VLC's SAP discovery, FFmpeg's
   * `sap://` reader.
   */
  g_object_class_install_property(
      gobject_class, PROP_ANNOUNCE,
      g_param_spec_boolean("announce", "Announce with SAP",
                           "Announce the stream's SDP with SAP (RFC 2974) to the SAP address of "
                           "each destination's group (or announce-address), every "
                           "announce-interval seconds; deletion at EOS and stop",
                           mctx::gst::kDefaultAnnounce, rw_ready));

  /**
   * GstMctxSink:sdp:
   *
   * The stream's current SDP text (CRLF line ends): one media section per
   * destination, from the negotiated caps. Empty before the caps are known,
   * when they have no SDP form, and when the element is stopped.
   */
  g_object_class_install_property(
      gobject_class, PROP_SDP,
      g_param_spec_string("sdp", "SDP",
                          "The stream's current SDP (from the negotiated caps and the "
                          "destinations); empty before caps and when stopped",
                          "", ro));

  /**
   * GstMctxSink:session-name:
   *
   * The session name of the SDP (its s= line), which SAP receivers list
   * (VLC's playlist). One line, not empty.
   */
  g_object_class_install_property(
      gobject_class, PROP_SESSION_NAME,
      g_param_spec_string("session-name", "Session name",
                          "Session name of the SDP (s= line; VLC lists it); one line, not empty",
                          mctx::gst::kDefaultSessionName, rw_ready));

  /**
   * GstMctxSink:announce-address:
   *
   * The multicast address SAP announcements go to (port 9875). NULL: the
   * SAP address of the group's scope (RFC 2974 §3: 239.255.255.255 for
   * 239.255.0.0/16, 239.195.255.255 for the rest of 239/8, 224.2.127.254
   * for other IPv4 groups, ff0X::2:7ffe for an IPv6 group of scope X). It
   * must be a multicast address of the group's family.
   */
  g_object_class_install_property(
      gobject_class, PROP_ANNOUNCE_ADDRESS,
      g_param_spec_string("announce-address", "SAP address",
                          "Multicast address of the SAP announcements (port 9875), of the group's "
                          "family; NULL = the SAP address of the group's scope (e.g. "
                          "239.255.255.255, 224.2.127.254, ff0e::2:7ffe)",
                          nullptr, rw_ready));

  /**
   * GstMctxSink:announce-interval:
   *
   * Seconds between two SAP announcements (1-3600). The default, 5 s, lets
   * receivers find the stream quickly; VLC forgets a session after ten
   * intervals without one.
   */
  g_object_class_install_property(
      gobject_class, PROP_ANNOUNCE_INTERVAL,
      g_param_spec_uint("announce-interval", "Announce interval",
                        "Seconds between SAP announcements (1-3600)", 1,
                        mctx::gst::kMaxAnnounceInterval, mctx::gst::kDefaultAnnounceInterval,
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

  /*
   * udpsink's properties whose meaning mctxsink makes moot: accepted (both
   * values), read back as set, no effect.
   */
  g_object_class_install_property(
      gobject_class, PROP_AUTO_MULTICAST,
      g_param_spec_boolean("auto-multicast", "Auto multicast (moot)",
                           "udpsink's: whether to join the group on the sending socket. "
                           "mctxsink never joins (as udpsink with FALSE); both values accepted",
                           mctx::gst::kDefaultAutoMulticast, rw_ready));
  g_object_class_install_property(
      gobject_class, PROP_FORCE_IPV4,
      g_param_spec_boolean("force-ipv4", "Force IPv4 (moot)",
                           "udpsink's: send over IPv4 only. mctxsink's socket has the group's "
                           "family; both values accepted",
                           mctx::gst::kDefaultForceIpv4, rw_ready));
  g_object_class_install_property(
      gobject_class, PROP_SEND_DUPLICATES,
      g_param_spec_boolean("send-duplicates", "Send duplicates (moot)",
                           "multiudpsink's: send once per duplicate client. mctxsink's "
                           "destinations are unique; both values accepted",
                           mctx::gst::kDefaultSendDuplicates, rw_ready));

  // The enum types of the properties are part of the plugin's documented API.
  gst_type_mark_as_plugin_api(GST_TYPE_MCTX_SINK_GSO, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(gst_mctx_sink_queue_full_get_type(),
                              static_cast<GstPluginAPIFlags>(0));
}

bool write_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec,
                    Settings& s, Destinations& destinations) {
  const Change change{object, pspec, value};
  bool changed = false;
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
        case PROP_TTL_MC:
          changed = change.to(s.ttl);
          s.ttl_from = pspec->name;  // interned: lives as long as the class
          break;
        case PROP_AUTO_MULTICAST: changed = change.to(s.auto_multicast); break;
        case PROP_FORCE_IPV4: changed = change.to(s.force_ipv4); break;
        case PROP_SEND_DUPLICATES: changed = change.to(s.send_duplicates); break;
        case PROP_LOOP: changed = change.to(s.loop); break;
        case PROP_DSCP:
        case PROP_QOS_DSCP: changed = change.to(s.dscp); break;
        case PROP_BUFFER_SIZE: changed = change.to(s.buffer_size); break;
        case PROP_RAW_MODE: changed = change.to(s.raw_mode); break;
        case PROP_SOCKET: {
          auto* sock = static_cast<GSocket*>(g_value_get_object(value));
          changed = sock != s.socket.get();
          if (!changed) break;
          GST_INFO_OBJECT(object, "Changing socket from %p to %p", static_cast<void*>(s.socket.get()),
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
          changed = uris != destinations.uris();
          if (!changed) break;
          GST_INFO_OBJECT(object, "Changing destinations: %u URIs", n);
          destinations.assign(uris);
          break;
        }
    case PROP_STATS_INTERVAL: changed = change.to(s.stats_interval_ms); break;
    case PROP_SDP_FILE: changed = change.to(s.sdp_file); break;
    case PROP_METRICS_FILE: changed = change.to(s.metrics_file); break;
    case PROP_ANNOUNCE: changed = change.to(s.announce); break;
    case PROP_SESSION_NAME: changed = change.to(s.session_name); break;
    case PROP_ANNOUNCE_ADDRESS: changed = change.to(s.announce_address); break;
    case PROP_ANNOUNCE_INTERVAL: changed = change.to(s.announce_interval_s); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
  return changed;
}

void read_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec,
                   const Settings& s, const Destinations& destinations) {
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
      case PROP_AUTO_MULTICAST: g_value_set_boolean(value, s.auto_multicast); break;
      case PROP_FORCE_IPV4: g_value_set_boolean(value, s.force_ipv4); break;
      case PROP_SEND_DUPLICATES: g_value_set_boolean(value, s.send_duplicates); break;
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
        for (const std::string& uri : destinations.uris()) {
          GValue v = G_VALUE_INIT;
          g_value_init(&v, G_TYPE_STRING);
          g_value_set_string(&v, uri.c_str());
          gst_value_array_append_and_take_value(value, &v);
        }
        break;
      case PROP_SDP_FILE: g_value_set_string(value, str_or_null(s.sdp_file)); break;
      case PROP_METRICS_FILE: g_value_set_string(value, str_or_null(s.metrics_file)); break;
      case PROP_ANNOUNCE: g_value_set_boolean(value, s.announce); break;
      case PROP_SESSION_NAME: g_value_set_string(value, s.session_name.c_str()); break;
      case PROP_ANNOUNCE_ADDRESS: g_value_set_string(value, str_or_null(s.announce_address)); break;
      case PROP_ANNOUNCE_INTERVAL: g_value_set_uint(value, s.announce_interval_s); break;
      default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
    }
}

}  // namespace mctx::gst
