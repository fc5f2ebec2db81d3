// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

/**
 * SECTION:element-amtsrc
 * @title: amtsrc
 *
 * An AMT gateway (RFC 7450): receives an (S,G) or (*,G) multicast stream
 * through a relay over a UDP tunnel, where the network between has no
 * native multicast. A live source like udpsrc.
 *
 * `output=payload` (default) pushes each inner UDP payload with a
 * #GstNetAddressMeta holding the inner source address and port;
 * `output=datagram` pushes each complete inner IP datagram, for
 * `mctxsink raw-mode=true`, which re-emits it on a LAN with its original
 * source.
 *
 * |[
 * gst-launch-1.0 amtsrc relay-address=192.0.2.1 group=232.1.1.1 \
 *     source-address=198.51.100.7 output=datagram ! mctxsink raw-mode=true interface=lan0
 * gst-launch-1.0 amtsrc uri="amt://198.51.100.7@232.1.1.1:5000?relay=192.0.2.1" ! \
 *     tsdemux ! ...
 * ]|
 *
 * With an empty #GstAmtSrc:relay-address and a #GstAmtSrc:source-address,
 * the relay comes from the source's AMTRELAY DNS records (DRIAD, RFC 8777),
 * looked up with the system resolver on a thread of its own; without a
 * usable record (or for (*,G)), Relay Discovery goes to the anycast address.
 *
 * Messages: `amt-relay-dns` (what DNS gave: result=found|next|none|failed, relay,
 * record, precedence, discovery), `amt-state` (state=discovering|requesting|
 * joined|relay-lost|stopped, relay), `amt-metrics` (periodic, every
 * #GstAmtSrc:metrics-interval ms, and at stop), `amtsrc-timeout` (no data
 * for #GstAmtSrc:timeout ns). A WARNING names the relay when it stops
 * answering (once per loss), and says so when DNS names no relay. See
 * docs/amt.md.
 */

#include "gstamtsrc.h"

#include <gio/gio.h>
#include <gst/net/gstnetaddressmeta.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "amtsrc-settings.hpp"
#include "mctx/amt.hpp"
#include "mctx/amt_driad.hpp"
#include "mctx/amt_tunnel.hpp"
#include "mctxsink-metrics.hpp"
#include "uri-handler.hpp"

GST_DEBUG_CATEGORY_STATIC(gst_amt_src_debug);
#define GST_CAT_DEFAULT gst_amt_src_debug

namespace {

using mctx::gst::AmtOutput;
using mctx::gst::AmtSettings;

// Datagrams taken per recvmmsg, and the size of each pool buffer (the
// largest UDP payload a tunnel datagram can have).
constexpr std::size_t kBatch = 32;
constexpr guint kBufferSize = 65536;
// Unanswered Discoveries / Requests (the first and two retries, about 3 s)
// before the WARNING that names the relay.
constexpr uint64_t kSilentSendsBeforeWarning = 3;

enum {
  PROP_0,
  PROP_RELAY_ADDRESS,
  PROP_RELAY_PORT,
  PROP_GROUP,
  PROP_SOURCE_ADDRESS,
  PROP_OUTPUT,
  PROP_CAPS,
  PROP_LOCAL_ADDRESS,
  PROP_INTERFACE,
  PROP_PORT,
  PROP_BUFFER_SIZE,
  PROP_TIMEOUT,
  PROP_METRICS,
  PROP_METRICS_INTERVAL,
  PROP_URI,
  PROP_DNS_DISCOVERY,
};

GType amt_output_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(AmtOutput::payload), "The inner UDP payload (like udpsrc)", "payload"},
      {static_cast<gint>(AmtOutput::datagram),
       "The complete inner IP datagram (for mctxsink raw-mode=true)", "datagram"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstAmtSrcOutput", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

using Clock = std::chrono::steady_clock;

// One receive slot: a pool buffer, mapped for writing.
struct Slot {
  GstBuffer* buffer = nullptr;
  GstMapInfo map{};
};

// A relay to try when the one in use never answers.
struct NextRelay {
  std::optional<mctx::AmtRelayChoice> driad;  // a relay an AMTRELAY record gave
  std::optional<mctx::IpAddress> address;      // another address of relay-address's name
  // neither: Relay Discovery at the anycast address
};

// Everything start() creates from a copy of the settings; used by the
// streaming thread only (except the snapshot, under its mutex).
struct Run {
  Run(mctx::AmtTunnel t, mctx::AmtGateway g) : tunnel(std::move(t)), gateway(std::move(g)) {}
  mctx::AmtTunnel tunnel;
  mctx::AmtGateway gateway;
  AmtSettings settings;
  std::string relay_text;
  GstBufferPool* pool = nullptr;
  std::vector<std::byte> tx;
  std::array<Slot, kBatch> slots{};
  std::array<mctx::AmtTunnelSlot, kBatch> rx{};
  std::vector<GstBuffer*> ready;  // accepted, not yet returned by create()
  std::size_t ready_pos = 0;
  // Warning bookkeeping.
  uint64_t answers = 0;      // advertisements + queries seen
  uint64_t sends_base = 0;   // discoveries + requests sent at the last answer
  bool warned = false;
  GstClockTime last_data = GST_CLOCK_TIME_NONE;  // running time
  uint64_t send_errors = 0;
  uint64_t truncated = 0;
  // Relays still to try when this one never answers: DRIAD's next
  // AMTRELAY records in order, then the anycast address; or the other
  // addresses of relay-address's name.
  std::vector<NextRelay> next_relays;
  std::optional<mctx::IpAddress> dns_source;  // the source DRIAD looked up
  std::size_t dns_records = 0;
  bool switch_relay = false;  // set by check_relay_silence(): move to next_relays
  // The address object of the last inner source (payload output).
  GSocketAddress* meta_address = nullptr;
  mctx::IpAddress meta_source;
  uint16_t meta_port = 0;
  ~Run() {
    if (meta_address != nullptr) g_object_unref(meta_address);
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
};

// A DNS lookup on a thread of its own: the AMTRELAY records of `source`
// (DRIAD, RFC 8777), or the addresses of relay-address given as a host
// name. The system resolver blocks for up to its own timeouts, and a lookup
// cannot be interrupted. The thread holds a reference; the element drops
// its own on stop, abandoning a pending lookup (the thread then ends on its
// own and touches nothing of the element). create() waits for it, and
// unlock() wakes that wait.
struct DnsJob {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  bool flushing = false;  // unlock() .. unlock_stop()
  std::string relay_name;  // set: resolve it; empty: DRIAD for `source`
  mctx::IpAddress source;
  std::optional<mctx::Res<mctx::AmtRelayLookup>> relays;         // DRIAD's answer
  std::optional<mctx::Res<std::vector<mctx::IpAddress>>> addresses;  // the name's
  AmtSettings settings;  // the snapshot start() took

  bool same_query(const DnsJob& o) const {
    return relay_name == o.relay_name && (!relay_name.empty() || source == o.source);
  }
  std::string what() const {
    return relay_name.empty() ? "AMTRELAY records for source " + source.to_string()
                              : "relay-address '" + relay_name + "'";
  }
};

struct Private {
  std::mutex settings_mutex;
  AmtSettings settings;
  GstCaps* caps = nullptr;

  std::unique_ptr<Run> run;
  // The pending DNS lookup (between start() and the first create() that
  // sees it done). Set in start(), taken by the streaming thread.
  std::mutex dns_mutex;
  std::shared_ptr<DnsJob> dns;
  // The lookup a stop abandoned, while its thread still runs: a start with
  // the same query waits for it instead of starting one more thread.
  std::weak_ptr<DnsJob> abandoned_dns;
  GstPoll* poll = nullptr;
  GstPollFD pollfd = GST_POLL_FD_INIT;

  // The metrics snapshot (any thread reads it).
  std::mutex snapshot_mutex;
  mctx::AmtGatewayCounters counters;
  mctx::AmtGatewayState state = mctx::AmtGatewayState::idle;
  std::string relay;
  std::optional<mctx::Endpoint> relay_endpoint;  // what `relay` was made from
  std::string tunnel;  // the tunnel socket's local address:port
  uint64_t send_errors = 0;
  uint64_t truncated = 0;

  std::unique_ptr<mctx::gst::MetricsPoster> poster;
};

}  // namespace

struct _GstAmtSrc {
  GstPushSrc parent;
  Private* priv;
};

static void gst_amt_src_uri_handler_init(gpointer g_iface, gpointer iface_data);

G_DEFINE_TYPE_WITH_CODE(GstAmtSrc, gst_amt_src, GST_TYPE_PUSH_SRC,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER, gst_amt_src_uri_handler_init);
                        GST_DEBUG_CATEGORY_INIT(gst_amt_src_debug, "amtsrc", 0,
                                                "AMT gateway source"));
GST_ELEMENT_REGISTER_DEFINE(amtsrc, "amtsrc", GST_RANK_NONE, GST_TYPE_AMT_SRC);

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

namespace {

// ------------------------------------------------------------------ metrics

GstStructure* metrics_structure(Private* priv, const char* reason) {
  std::lock_guard<std::mutex> lk(priv->snapshot_mutex);
  const mctx::AmtGatewayCounters& c = priv->counters;
  GstStructure* s = gst_structure_new(
      "amt-metrics", "reason", G_TYPE_STRING, reason, "state", G_TYPE_STRING,
      mctx::amt_gateway_state_name(priv->state), "relay", G_TYPE_STRING, priv->relay.c_str(),
      "tunnel", G_TYPE_STRING, priv->tunnel.c_str(), "datagrams", G_TYPE_UINT64, c.data.datagrams, "bytes", G_TYPE_UINT64, c.data.bytes,
      "dropped", G_TYPE_UINT64, c.data.dropped_total(), "discoveries-sent", G_TYPE_UINT64,
      c.discoveries_sent, "requests-sent", G_TYPE_UINT64, c.requests_sent, "updates-sent",
      G_TYPE_UINT64, c.updates_sent, "advertisements", G_TYPE_UINT64, c.advertisements,
      "queries", G_TYPE_UINT64, c.queries, "nonce-mismatches", G_TYPE_UINT64, c.nonce_mismatches,
      "control-not-from-relay", G_TYPE_UINT64, c.control_not_from_relay, "control-malformed",
      G_TYPE_UINT64, c.control_malformed, "control-unexpected", G_TYPE_UINT64,
      c.control_unexpected, "nat-changes", G_TYPE_UINT64, c.nat_changes, "teardowns-sent", G_TYPE_UINT64,
      c.teardowns_sent, "limited-relay", G_TYPE_UINT64, c.limited_relay, "relay-losses",
      G_TYPE_UINT64, c.relay_losses, "send-errors", G_TYPE_UINT64, priv->send_errors,
      "truncated", G_TYPE_UINT64, priv->truncated, nullptr);
  // One field per drop reason: "drop-not-from-relay", ...
  for (std::size_t i = 0; i < mctx::kAmtDropReasonCount; ++i) {
    std::string name = std::string("drop-") +
                       mctx::amt_drop_reason_name(static_cast<mctx::AmtDropReason>(i));
    for (char& ch : name) {
      if (ch == '_') ch = '-';
    }
    gst_structure_set(s, name.c_str(), G_TYPE_UINT64, c.data.drops[i], nullptr);
  }
  return s;
}

void post_metrics(GstAmtSrc* self, mctx::gst::Post what) {
  Private* priv = self->priv;
  priv->poster->post(what, [self, priv](const char* reason) -> GstStructure* {
    (void)self;
    return metrics_structure(priv, reason);
  });
}

void publish_snapshot(Private* priv, const Run& run) {
  std::lock_guard<std::mutex> lk(priv->snapshot_mutex);
  priv->counters = run.gateway.counters();
  priv->state = run.gateway.state();
  // The text only when the relay changed: to_string() allocates, and this
  // runs once per received batch.
  if (auto r = run.gateway.relay(); r && r != priv->relay_endpoint) {
    priv->relay_endpoint = r;
    priv->relay = r->to_string();
  }
  priv->send_errors = run.send_errors;
  priv->truncated = run.truncated;
}

// ----------------------------------------------------------------- helpers

GstClockTime running_time_now(GstElement* element) {
  GstClock* clock = gst_element_get_clock(element);
  if (clock == nullptr) return GST_CLOCK_TIME_NONE;
  const GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  const GstClockTime base = gst_element_get_base_time(element);
  return now >= base ? now - base : 0;
}

void post_state(GstAmtSrc* self, mctx::AmtGatewayState to, const std::string& relay) {
  GstStructure* s = gst_structure_new("amt-state", "state", G_TYPE_STRING,
                                      mctx::amt_gateway_state_name(to), "relay", G_TYPE_STRING,
                                      relay.c_str(), nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

// Sends everything the gateway has queued. A failed send is counted and
// logged, never a flow error: the gateway retries by itself.
void flush_transmits(GstAmtSrc* self, Run& run) {
  for (;;) {
    auto t = run.gateway.poll_transmit(run.tx);
    if (!t) {
      GST_ERROR_OBJECT(self, "building an AMT message: %s", t.error().message().c_str());
      return;
    }
    if (!*t) return;
    const auto& m = **t;
    const int err = run.tunnel.send(m.to, std::span<const std::byte>(run.tx.data(), m.size));
    if (err != 0) {
      ++run.send_errors;
      GST_WARNING_OBJECT(self, "sending AMT %s to %s: %s", mctx::amt_type_name(m.type),
                         m.to.to_string().c_str(), g_strerror(err));
    } else {
      GST_LOG_OBJECT(self, "sent AMT %s (%zu bytes) to %s", mctx::amt_type_name(m.type), m.size,
                     m.to.to_string().c_str());
    }
  }
}

// The WARNING naming the relay, once per loss: after a few unanswered
// Discoveries / Requests; re-armed by the next answer.
void check_relay_silence(GstAmtSrc* self, Run& run) {
  const auto& c = run.gateway.counters();
  const uint64_t answers = c.advertisements + c.queries;
  const uint64_t sends = c.discoveries_sent + c.requests_sent;
  if (answers != run.answers) {
    run.answers = answers;
    run.sends_base = sends;
    run.warned = false;
    return;
  }
  if (run.warned || sends - run.sends_base < kSilentSendsBeforeWarning) return;
  if (answers == 0 && !run.next_relays.empty()) {
    run.switch_relay = true;  // never answered: the next relay DNS gave
    return;
  }
  run.warned = true;
  // The relay in use when discovery found one (it is the one silent now).
  std::string who = run.relay_text;
  if (auto r = run.gateway.relay(); r && who.find(r->to_string()) == std::string::npos) {
    who = "relay " + r->to_string() + " (found by " + run.relay_text + ")";
  }
  GST_ELEMENT_WARNING(self, RESOURCE, READ,
                      ("The AMT %s does not answer (%" G_GUINT64_FORMAT
                       " messages unanswered); still trying.",
                       who.c_str(), sends - run.sends_base),
                      ("state %s; retries back off up to %lld s",
                       mctx::amt_gateway_state_name(run.gateway.state()),
                       static_cast<long long>(mctx::kAmtMaxRetry.count() / 1000)));
}

bool refill_slot(GstAmtSrc* self, Run& run, Slot& slot) {
  if (slot.buffer != nullptr) return true;
  GstBuffer* buf = nullptr;
  if (gst_buffer_pool_acquire_buffer(run.pool, &buf, nullptr) != GST_FLOW_OK) return false;
  gsize offset = 0, maxsize = 0;
  const gsize size = gst_buffer_get_sizes(buf, &offset, &maxsize);
  if (offset != 0 || size != maxsize) gst_buffer_resize(buf, -static_cast<gssize>(offset), maxsize);
  if (!gst_buffer_map(buf, &slot.map, GST_MAP_WRITE)) {
    GST_ERROR_OBJECT(self, "cannot map a pool buffer");
    gst_buffer_unref(buf);
    return false;
  }
  slot.buffer = buf;
  return true;
}

void release_slots(Run& run) {
  for (Slot& s : run.slots) {
    if (s.buffer == nullptr) continue;
    gst_buffer_unmap(s.buffer, &s.map);
    gst_buffer_unref(s.buffer);
    s.buffer = nullptr;
  }
  for (std::size_t i = run.ready_pos; i < run.ready.size(); ++i) gst_buffer_unref(run.ready[i]);
  run.ready.clear();
  run.ready_pos = 0;
}

GSocketAddress* inet_socket_address(const mctx::IpAddress& a, uint16_t port) {
  GInetAddress* ia = g_inet_address_new_from_bytes(
      a.bytes().data(),
      a.family() == mctx::Family::ipv4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
  GSocketAddress* sa = g_inet_socket_address_new(ia, port);
  g_object_unref(ia);
  return sa;
}

// The inner source as a GstNetAddressMeta without an allocation per
// datagram: the address object is kept while the source stays the same, and
// the meta is POOLED, so it stays on the buffer when it returns to the pool.
void set_source_meta(Run& run, GstBuffer* buf, const mctx::AmtInnerDatagram& d) {
  if (run.meta_address == nullptr || run.meta_source != d.source ||
      run.meta_port != d.source_port) {
    if (run.meta_address != nullptr) g_object_unref(run.meta_address);
    run.meta_address = inet_socket_address(d.source, d.source_port);
    run.meta_source = d.source;
    run.meta_port = d.source_port;
  }
  GstNetAddressMeta* meta = gst_buffer_get_net_address_meta(buf);
  if (meta == nullptr) {
    meta = gst_buffer_add_net_address_meta(buf, run.meta_address);
    meta->meta.flags = static_cast<GstMetaFlags>(meta->meta.flags | GST_META_FLAG_POOLED);
  } else if (meta->addr != run.meta_address) {
    g_object_unref(meta->addr);
    meta->addr = G_SOCKET_ADDRESS(g_object_ref(run.meta_address));
  }
}

// One batch: receive what is queued, hand each datagram to the gateway,
// queue the accepted ones. Returns false on a socket error (posted).
bool receive_batch(GstAmtSrc* self, Run& run, std::size_t& got) {
  got = 0;
  for (std::size_t i = 0; i < kBatch; ++i) {
    if (!refill_slot(self, run, run.slots[i])) return false;
    run.rx[i].buffer = std::span<std::byte>(reinterpret_cast<std::byte*>(run.slots[i].map.data),
                                            run.slots[i].map.size);
  }
  auto n = run.tunnel.receive(run.rx);
  if (!n) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not receive from the AMT tunnel."),
                      ("recvmmsg on %s: %s", run.tunnel.local().to_string().c_str(),
                       g_strerror(n.error())));
    return false;
  }
  got = *n;
  if (got == 0) return true;
  const auto now = Clock::now();
  const GstClockTime ts = running_time_now(GST_ELEMENT(self));
  run.ready.clear();
  run.ready_pos = 0;
  for (std::size_t i = 0; i < got; ++i) {
    const auto& rx = run.rx[i];
    if (rx.truncated) {
      ++run.truncated;  // the rest of the datagram is lost: never deliver a part
      continue;
    }
    auto bytes = rx.buffer.first(rx.size);
    const mctx::AmtReceive r = run.gateway.on_datagram(rx.from, bytes, now);
    if (r.kind != mctx::AmtReceiveKind::data) {
      if (r.kind == mctx::AmtReceiveKind::dropped) {
        GST_LOG_OBJECT(self, "dropped a datagram from %s: %s", rx.from.to_string().c_str(),
                       mctx::amt_drop_reason_name(r.drop));
      }
      continue;  // the slot keeps its buffer for the next batch
    }
    const std::span<const std::byte> out =
        run.settings.output == AmtOutput::payload ? r.data.udp_payload : r.data.datagram;
    Slot& slot = run.slots[i];
    const auto offset = static_cast<gsize>(out.data() - rx.buffer.data());
    gst_buffer_unmap(slot.buffer, &slot.map);
    GstBuffer* buf = slot.buffer;
    slot.buffer = nullptr;
    gst_buffer_resize(buf, static_cast<gssize>(offset), static_cast<gssize>(out.size()));
    GST_BUFFER_PTS(buf) = ts;
    GST_BUFFER_DTS(buf) = ts;
    if (run.settings.output == AmtOutput::payload) set_source_meta(run, buf, r.data);
    run.ready.push_back(buf);
  }
  if (!run.ready.empty()) run.last_data = ts;
  return true;
}

}  // namespace

// ------------------------------------------------------------- lifecycle

namespace {

// Opens the tunnel and creates the gateway for `plan`, and starts it: the
// relay is known (given, found by DNS, or anycast discovery). Errors are
// posted. From start() or, after a DRIAD lookup, from create().
bool open_run(GstAmtSrc* self, const AmtSettings& s, mctx::gst::AmtPlan plan) {
  auto priv = self->priv;
  plan.gateway.on_state_change = [self](mctx::AmtGatewayState, mctx::AmtGatewayState to) {
    auto p = self->priv;
    std::string r;
    if (p->run) {
      if (auto e = p->run->gateway.relay()) r = e->to_string();
    }
    GST_INFO_OBJECT(self, "AMT gateway state: %s", mctx::amt_gateway_state_name(to));
    {
      std::lock_guard<std::mutex> lk(p->snapshot_mutex);
      p->state = to;
    }
    if (to != mctx::AmtGatewayState::idle) post_state(self, to, r);
  };
  auto tunnel = mctx::AmtTunnel::open(plan.tunnel);
  if (!tunnel) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
                      ("Could not open the AMT tunnel socket (local-address '%s', interface "
                       "'%s'): %s",
                       s.local_address.c_str(), s.interface.c_str(),
                       tunnel.error().message.c_str()),
                      ("%s", tunnel.error().what().c_str()));
    return false;
  }
  auto gw = mctx::AmtGateway::create(plan.gateway);
  if (!gw) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", gw.error().message.c_str()), (nullptr));
    return false;
  }
  auto run = std::make_unique<Run>(std::move(*tunnel), std::move(*gw));
  run->settings = s;
  run->relay_text = plan.relay_text;
  run->tx.resize(run->gateway.max_transmit_size());
  run->ready.reserve(kBatch);
  run->pool = gst_buffer_pool_new();
  GstStructure* config = gst_buffer_pool_get_config(run->pool);
  gst_buffer_pool_config_set_params(config, nullptr, kBufferSize, kBatch, 0);
  if (!gst_buffer_pool_set_config(run->pool, config) ||
      !gst_buffer_pool_set_active(run->pool, TRUE)) {
    GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("Could not set up the buffer pool."), (nullptr));
    gst_object_unref(run->pool);
    return false;
  }
  GST_INFO_OBJECT(self, "AMT tunnel on %s (receive buffer %d bytes), %s, %s",
                  run->tunnel.local().to_string().c_str(), run->tunnel.receive_buffer(),
                  run->relay_text.c_str(), plan.gateway.groups[0].to_string().c_str());

  gst_poll_fd_init(&priv->pollfd);
  priv->pollfd.fd = run->tunnel.fd();
  gst_poll_add_fd(priv->poll, &priv->pollfd);
  gst_poll_fd_ctl_read(priv->poll, &priv->pollfd, TRUE);
  {
    std::lock_guard<std::mutex> lk(priv->snapshot_mutex);
    priv->relay = plan.gateway.relay ? plan.gateway.relay->to_string() : std::string();
    priv->relay_endpoint = plan.gateway.relay;
    priv->tunnel = run->tunnel.local().to_string();
  }
  priv->run = std::move(run);
  priv->run->gateway.start(Clock::now());
  flush_transmits(self, *priv->run);
  return true;
}

// Starts the lookup `query` asks for (relay_name, or DRIAD for source) on
// its own thread. False when the thread cannot be created (`why` says why).
bool start_dns(GstAmtSrc* self, const AmtSettings& s, std::shared_ptr<DnsJob> query,
               std::string& why) {
  {
    std::lock_guard<std::mutex> lk(self->priv->dns_mutex);
    if (auto pending = self->priv->abandoned_dns.lock(); pending && pending->same_query(*query)) {
      std::lock_guard<std::mutex> jl(pending->mutex);
      if (!pending->done) {
        pending->flushing = false;
        pending->settings = s;
        self->priv->dns = std::move(pending);
        GST_INFO_OBJECT(self, "the DNS lookup of %s from the previous start is still pending: "
                        "waiting for it", query->what().c_str());
        return true;
      }
    }
  }
  std::shared_ptr<DnsJob> job = std::move(query);
  job->settings = s;
  try {
    std::thread([job] {
      // Nothing may escape a detached thread (std::terminate): a throw
      // (bad_alloc, std::random_device) is a failed lookup.
      auto guarded = [](auto lookup) -> decltype(lookup()) {
        try {
          return lookup();
        } catch (const std::exception& e) {
          return mctx::unexpected(mctx::make_error(
              mctx::Errc::amt_dns_failed, std::string("DNS lookup failed: ") + e.what()));
        }
      };
      std::optional<mctx::Res<mctx::AmtRelayLookup>> relays;
      std::optional<mctx::Res<std::vector<mctx::IpAddress>>> addresses;
      if (job->relay_name.empty()) {
        relays = guarded([&] { return mctx::lookup_amt_relays(job->source); });
      } else {
        addresses = guarded([&] { return mctx::resolve_amt_relay_name(job->relay_name); });
      }
      std::lock_guard<std::mutex> lk(job->mutex);
      job->relays = std::move(relays);
      job->addresses = std::move(addresses);
      job->done = true;
      job->cv.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    why = e.what();
    GST_WARNING_OBJECT(self, "cannot start the DNS lookup thread: %s", why.c_str());
    return false;
  }
  if (job->relay_name.empty()) {
    GST_INFO_OBJECT(self, "looking up AMT relays for source %s: AMTRELAY at %s",
                    job->source.to_string().c_str(), mctx::amt_reverse_name(job->source).c_str());
  } else {
    GST_INFO_OBJECT(self, "resolving relay-address '%s'", job->relay_name.c_str());
  }
  std::lock_guard<std::mutex> lk(self->priv->dns_mutex);
  self->priv->dns = std::move(job);
  return true;
}

void post_driad(GstAmtSrc* self, const char* result, const mctx::IpAddress& source,
                const std::string& query, std::size_t records,
                const mctx::AmtRelayChoice* choice) {
  GstStructure* st = gst_structure_new(
      "amt-relay-dns", "result", G_TYPE_STRING, result, "source", G_TYPE_STRING,
      source.to_string().c_str(), "query", G_TYPE_STRING, query.c_str(), "records", G_TYPE_UINT,
      static_cast<guint>(records), "relay", G_TYPE_STRING,
      choice ? choice->address.to_string().c_str() : "", "record", G_TYPE_STRING,
      choice ? choice->record.to_string().c_str() : "", "precedence", G_TYPE_UINT,
      choice ? static_cast<guint>(choice->record.precedence) : 0u, "relay-type", G_TYPE_STRING,
      choice ? mctx::amt_relay_type_name(choice->record.type) : "", "name", G_TYPE_STRING,
      choice ? choice->record.name.c_str() : "", "discovery", G_TYPE_BOOLEAN,
      choice ? static_cast<gboolean>(choice->discovery) : FALSE, nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), st));
}

// What a run found by DNS keeps for trying the next relay.
void priv_run_dns(GstAmtSrc* self, std::vector<NextRelay> next,
                  const std::optional<mctx::IpAddress>& source, std::size_t records) {
  Run& run = *self->priv->run;
  run.next_relays = std::move(next);
  run.dns_source = source;
  run.dns_records = records;
}

// The tunnel's family when local-address fixes it.
std::optional<mctx::Family> fixed_tunnel_family(const AmtSettings& s) {
  if (auto la = mctx::IpAddress::parse(s.local_address); !s.local_address.empty() && la) {
    return la->family();
  }
  return std::nullopt;
}

// relay-address's name resolved: a run toward its first address (of the
// tunnel's family when local-address fixes it), the others kept to try in
// turn; an ERROR naming the property, the name and why when none is usable.
bool finish_relay_name(GstAmtSrc* self, DnsJob& job) {
  const AmtSettings& s = job.settings;
  std::vector<mctx::IpAddress> usable;
  std::string why = "the lookup did not run";
  if (job.addresses && *job.addresses) {
    const auto family = fixed_tunnel_family(s);
    std::string all;
    for (const mctx::IpAddress& a : **job.addresses) {
      if (!family || a.family() == *family) usable.push_back(a);
      all += (all.empty() ? "" : ", ") + a.to_string();
    }
    why = "it resolves to " + all + ", none of the family of local-address '" + s.local_address +
          "' (the tunnel's)";
  } else if (job.addresses) {
    why = job.addresses->error().message;
  }
  if (usable.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
                      ("relay-address '%s': not an IP address, and as a host name: %s",
                       job.relay_name.c_str(), why.c_str()),
                      (nullptr));
    return false;
  }
  auto plan = mctx::gst::make_plan(s, usable.front());
  if (!plan) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", plan.error().c_str()), (nullptr));
    return false;
  }
  GST_INFO_OBJECT(self, "relay-address '%s' resolved to %zu usable address(es); using %s",
                  job.relay_name.c_str(), usable.size(), usable.front().to_string().c_str());
  if (!open_run(self, s, std::move(*plan))) return false;
  std::vector<NextRelay> next;
  for (std::size_t i = 1; i < usable.size(); ++i) next.push_back({std::nullopt, usable[i]});
  priv_run_dns(self, std::move(next), std::nullopt, 0);
  return true;
}

// The lookup is done: the relay it names (posted as amt-relay-dns), or the
// anycast discovery address with a WARNING saying why; then the run.
bool finish_driad(GstAmtSrc* self, DnsJob& job) {
  const AmtSettings& s = job.settings;
  const mctx::IpAddress& source = job.source;
  const std::string query = mctx::amt_reverse_name(source);
  const std::optional<mctx::Family> family = fixed_tunnel_family(s);
  std::string why;
  std::size_t records = 0;
  std::optional<mctx::AmtRelayChoice> choice;
  std::vector<NextRelay> next;
  if (!job.relays || !*job.relays) {
    why = job.relays ? job.relays->error().message : "the lookup did not run";
  } else {
    const mctx::AmtRelayLookup& l = **job.relays;
    records = l.records;
    for (const std::string& line : l.skipped) {
      GST_WARNING_OBJECT(self, "DNS %s: %s", query.c_str(), line.c_str());
    }
    for (const mctx::AmtRelayCandidate& c : l.relays) {
      GST_INFO_OBJECT(self, "AMTRELAY %s%s%s", c.record.to_string().c_str(),
                      c.problem.empty() ? "" : ": ", c.problem.c_str());
    }
    auto all = mctx::amt_relay_choices(l, family);
    if (all.empty()) {
      why = "AMTRELAY at " + query + ": " + l.why_none(family);
    } else {
      choice = all.front();
      for (std::size_t i = 1; i < all.size(); ++i) next.push_back({all[i], std::nullopt});
      next.push_back({});  // the anycast address, last
    }
  }
  auto anycast = mctx::gst::make_plan(s, std::nullopt);
  if (choice) {
    GST_INFO_OBJECT(self,
                    "AMT relay %s found by DNS for source %s: AMTRELAY '%s' at %s (precedence "
                    "%u; D=%d: %s)",
                    choice->address.to_string().c_str(), source.to_string().c_str(),
                    choice->record.to_string().c_str(), query.c_str(),
                    static_cast<unsigned>(choice->record.precedence),
                    choice->record.discovery_optional ? 1 : 0,
                    choice->discovery ? "Relay Discovery to it first" : "Requests straight to it");
    post_driad(self, "found", source, query, records, &*choice);
    auto plan = mctx::gst::make_plan(s, choice->address, choice->discovery);
    if (!plan) {
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", plan.error().c_str()), (nullptr));
      return false;
    }
    plan->relay_text += " (AMTRELAY " + choice->record.to_string() + ")";
    if (!open_run(self, s, std::move(*plan))) return false;
    priv_run_dns(self, std::move(next), source, records);
    return true;
  }
  post_driad(self, job.relays && *job.relays ? "none" : "failed", source, query, records,
             nullptr);
  if (!anycast) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", anycast.error().c_str()), (nullptr));
    return false;
  }
  GST_ELEMENT_WARNING(self, RESOURCE, NOT_FOUND,
                      ("No AMT relay found by DNS for source %s; trying %s instead.",
                       source.to_string().c_str(), anycast->relay_text.c_str()),
                      ("%s", why.c_str()));
  return open_run(self, s, std::move(*anycast));
}

// Closes the run's tunnel and returns its buffers (no message is sent).
void close_run(Private* priv) {
  Run& run = *priv->run;
  gst_poll_remove_fd(priv->poll, &priv->pollfd);
  gst_poll_fd_init(&priv->pollfd);
  release_slots(run);
  gst_buffer_pool_set_active(run.pool, FALSE);
  gst_object_unref(run.pool);
  priv->run.reset();
}

// The relay in use never answered: the next one DNS gave (DRIAD's next
// record or, last, the anycast address; or the name's next address), with a
// WARNING naming both.
bool next_relay(GstAmtSrc* self) {
  auto priv = self->priv;
  Run& old = *priv->run;
  auto next = std::move(old.next_relays);
  const AmtSettings s = old.settings;
  const std::string old_text = old.relay_text;
  const auto source = old.dns_source;
  const std::size_t records = old.dns_records;
  const std::optional<mctx::AmtRelayChoice> choice = next.front().driad;
  const std::optional<mctx::IpAddress> address = next.front().address;
  next.erase(next.begin());
  close_run(priv);
  auto plan = choice ? mctx::gst::make_plan(s, choice->address, choice->discovery)
                     : mctx::gst::make_plan(s, address);
  if (!plan) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", plan.error().c_str()), (nullptr));
    return false;
  }
  if (choice) plan->relay_text += " (AMTRELAY " + choice->record.to_string() + ")";
  GST_ELEMENT_WARNING(self, RESOURCE, READ,
                      ("The AMT %s does not answer; trying %s instead.", old_text.c_str(),
                       plan->relay_text.c_str()),
                      ("%" G_GUINT64_FORMAT " messages unanswered; %zu more relays after it",
                       kSilentSendsBeforeWarning, next.size()));
  if (choice && source) {
    post_driad(self, "next", *source, mctx::amt_reverse_name(*source), records, &*choice);
  }
  if (!open_run(self, s, std::move(*plan))) return false;
  priv_run_dns(self, std::move(next), source, records);
  return true;
}

}  // namespace

static gboolean gst_amt_src_start(GstBaseSrc* src) {
  auto self = GST_AMT_SRC(src);
  auto priv = self->priv;
  AmtSettings s;
  {
    std::lock_guard<std::mutex> lk(priv->settings_mutex);
    s = priv->settings;
  }
  // A relay given by name is resolved on a thread of its own, like DRIAD.
  std::optional<mctx::IpAddress> relay;
  std::string relay_name;
  if (!s.relay_address.empty()) {
    if (auto a = mctx::IpAddress::parse(s.relay_address)) {
      relay = *a;
    } else {
      relay_name = s.relay_address;
    }
  }
  // Every setting is checked now, whatever DNS says later.
  auto plan = mctx::gst::make_plan(s, relay);
  if (!plan) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", plan.error().c_str()), (nullptr));
    return FALSE;
  }
  gst_poll_set_flushing(priv->poll, FALSE);
  {
    std::lock_guard<std::mutex> lk(priv->snapshot_mutex);
    priv->counters = {};
    priv->state = mctx::AmtGatewayState::idle;
    priv->relay.clear();
    priv->relay_endpoint.reset();
    priv->tunnel.clear();
    priv->send_errors = 0;
    priv->truncated = 0;
  }
  // A relay name: its addresses. No relay given, an (S,G), dns-discovery
  // on: DRIAD first (RFC 8777 needs the source). The streaming thread waits
  // for the answer (create()).
  const auto& source = plan->gateway.groups[0].source;
  bool dns = false;
  if (!relay_name.empty()) {
    auto job = std::make_shared<DnsJob>();
    job->relay_name = relay_name;
    std::string why;
    if (!start_dns(self, s, std::move(job), why)) {
      GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
                        ("relay-address '%s': cannot start the thread of its DNS lookup: %s",
                         relay_name.c_str(), why.c_str()),
                        (nullptr));
      return FALSE;
    }
    dns = true;
  } else if (s.relay_address.empty() && source && s.dns_discovery) {
    auto job = std::make_shared<DnsJob>();
    job->source = *source;
    std::string why;
    dns = start_dns(self, s, std::move(job), why);  // false: anycast discovery
  }
  if (!dns && !open_run(self, s, std::move(*plan))) return FALSE;
  priv->poster->clear_eos();
  priv->poster->set_interval(s.metrics_interval);
  priv->poster->start_timer([self] { post_metrics(self, mctx::gst::Post::interval); });
  return TRUE;
}

static gboolean gst_amt_src_stop(GstBaseSrc* src) {
  auto self = GST_AMT_SRC(src);
  auto priv = self->priv;
  priv->poster->stop_timer();
  bool abandoned = false;
  {
    // A pending lookup is abandoned: its thread ends on its own.
    std::lock_guard<std::mutex> lk(priv->dns_mutex);
    abandoned = priv->dns != nullptr;
    if (abandoned) priv->abandoned_dns = priv->dns;
    priv->dns.reset();
  }
  if (!priv->run) {
    if (abandoned) {
      GST_DEBUG_OBJECT(self, "stopped with the DNS lookup pending (abandoned)");
      post_metrics(self, mctx::gst::Post::stop);
    }
    return TRUE;
  }
  Run& run = *priv->run;
  run.gateway.stop(Clock::now());  // the leave (Membership Update), if joined
  flush_transmits(self, run);
  publish_snapshot(priv, run);
  post_metrics(self, mctx::gst::Post::stop);
  close_run(priv);
  return TRUE;
}

// Sets the flushing flag of a pending DNS lookup and wakes create()'s wait.
static void set_dns_flushing(Private* priv, bool flushing) {
  std::shared_ptr<DnsJob> job;
  {
    std::lock_guard<std::mutex> lk(priv->dns_mutex);
    job = priv->dns;
  }
  if (!job) return;
  std::lock_guard<std::mutex> lk(job->mutex);
  job->flushing = flushing;
  job->cv.notify_all();
}

static gboolean gst_amt_src_unlock(GstBaseSrc* src) {
  auto priv = GST_AMT_SRC(src)->priv;
  gst_poll_set_flushing(priv->poll, TRUE);
  set_dns_flushing(priv, true);
  return TRUE;
}

static gboolean gst_amt_src_unlock_stop(GstBaseSrc* src) {
  auto priv = GST_AMT_SRC(src)->priv;
  gst_poll_set_flushing(priv->poll, FALSE);
  set_dns_flushing(priv, false);
  return TRUE;
}

static GstCaps* gst_amt_src_get_caps(GstBaseSrc* src, GstCaps* filter) {
  auto priv = GST_AMT_SRC(src)->priv;
  GstCaps* caps;
  {
    std::lock_guard<std::mutex> lk(priv->settings_mutex);
    caps = priv->caps ? gst_caps_ref(priv->caps) : gst_caps_new_any();
  }
  if (filter != nullptr) {
    GstCaps* r = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = r;
  }
  return caps;
}

static GstFlowReturn gst_amt_src_create(GstPushSrc* psrc, GstBuffer** out) {
  auto self = GST_AMT_SRC(psrc);
  auto priv = self->priv;
  if (!priv->run) {
    // The DNS lookup start() began: wait for it (unlock() wakes the wait),
    // then open the tunnel toward the relay it gives.
    std::shared_ptr<DnsJob> job;
    {
      std::lock_guard<std::mutex> lk(priv->dns_mutex);
      job = priv->dns;
    }
    if (!job) return GST_FLOW_FLUSHING;
    {
      std::unique_lock<std::mutex> lk(job->mutex);
      job->cv.wait(lk, [&] { return job->done || job->flushing; });
      if (!job->done) return GST_FLOW_FLUSHING;
    }
    {
      std::lock_guard<std::mutex> lk(priv->dns_mutex);
      priv->dns.reset();
    }
    const bool ok = job->relay_name.empty() ? finish_driad(self, *job)
                                            : finish_relay_name(self, *job);
    if (!ok) return GST_FLOW_ERROR;
  }
  for (;;) {
    if (priv->run->switch_relay && !next_relay(self)) return GST_FLOW_ERROR;
    Run& run = *priv->run;  // (a new one after next_relay())
    if (run.ready_pos < run.ready.size()) {
      *out = run.ready[run.ready_pos++];
      return GST_FLOW_OK;
    }
    std::size_t got = 0;
    if (!receive_batch(self, run, got)) return GST_FLOW_ERROR;
    flush_transmits(self, run);  // answers to control messages
    check_relay_silence(self, run);
    publish_snapshot(priv, run);
    if (got != 0 || run.switch_relay) continue;

    // Nothing queued: wait for the socket, the gateway's next deadline or
    // the data timeout, whichever comes first.
    auto now = Clock::now();
    GstClockTime wait = GST_CLOCK_TIME_NONE;
    if (auto d = run.gateway.next_deadline()) {
      wait = *d <= now ? 0
                       : static_cast<GstClockTime>(
                             std::chrono::duration_cast<std::chrono::nanoseconds>(*d - now)
                                 .count());
    }
    const guint64 timeout = run.settings.timeout;
    GstClockTime timeout_at = GST_CLOCK_TIME_NONE;
    if (timeout != 0) {
      const GstClockTime rt = running_time_now(GST_ELEMENT(self));
      if (GST_CLOCK_TIME_IS_VALID(rt)) {
        if (!GST_CLOCK_TIME_IS_VALID(run.last_data)) run.last_data = rt;
        timeout_at = run.last_data + timeout;
        const GstClockTime left = timeout_at > rt ? timeout_at - rt : 0;
        if (!GST_CLOCK_TIME_IS_VALID(wait) || left < wait) wait = left;
      }
    }
    if (wait != 0) {
      const gint r = gst_poll_wait(priv->poll, wait);
      if (r < 0 && errno == EBUSY) return GST_FLOW_FLUSHING;
    }
    if (GST_CLOCK_TIME_IS_VALID(timeout_at)) {
      const GstClockTime rt = running_time_now(GST_ELEMENT(self));
      if (GST_CLOCK_TIME_IS_VALID(rt) && rt >= timeout_at) {
        gst_element_post_message(
            GST_ELEMENT(self),
            gst_message_new_element(GST_OBJECT(self),
                                    gst_structure_new("amtsrc-timeout", "timeout", G_TYPE_UINT64,
                                                      timeout, nullptr)));
        run.last_data = rt;  // the next one after another `timeout` of silence
      }
    }
    now = Clock::now();
    if (auto d = run.gateway.next_deadline(); d && *d <= now) {
      run.gateway.on_timer(now);
      flush_transmits(self, run);
      check_relay_silence(self, run);
      publish_snapshot(priv, run);
    }
  }
}

// ------------------------------------------------------------ properties

static bool settable(GstAmtSrc* self, GParamSpec* pspec) {
  if (!(pspec->flags & GST_PARAM_MUTABLE_READY)) return true;
  GST_OBJECT_LOCK(self);
  const GstState st = GST_STATE(self);
  GST_OBJECT_UNLOCK(self);
  if (st <= GST_STATE_READY) return true;
  GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                      ("Property '%s' can only be changed in the NULL or READY state; the "
                       "new value is ignored.",
                       pspec->name),
                      (nullptr));
  return false;
}

static void gst_amt_src_set_property(GObject* object, guint prop_id, const GValue* value,
                                     GParamSpec* pspec) {
  auto self = GST_AMT_SRC(object);
  auto priv = self->priv;
  if (!settable(self, pspec)) return;
  std::string uri_error;  // posted after the lock is released
  {
  std::lock_guard<std::mutex> lk(priv->settings_mutex);
  AmtSettings& s = priv->settings;
  auto str = [value] {
    const gchar* v = g_value_get_string(value);
    return std::string(v ? v : "");
  };
  switch (prop_id) {
    case PROP_RELAY_ADDRESS: s.relay_address = str(); break;
    case PROP_RELAY_PORT: s.relay_port = g_value_get_uint(value); break;
    case PROP_GROUP: s.group = str(); break;
    case PROP_SOURCE_ADDRESS: s.source_address = str(); break;
    case PROP_OUTPUT: s.output = static_cast<AmtOutput>(g_value_get_enum(value)); break;
    case PROP_CAPS: {
      const GstCaps* c = gst_value_get_caps(value);
      GstCaps* n = c ? gst_caps_copy(c) : nullptr;
      if (priv->caps) gst_caps_unref(priv->caps);
      priv->caps = n;
      break;
    }
    case PROP_LOCAL_ADDRESS: s.local_address = str(); break;
    case PROP_INTERFACE: s.interface = str(); break;
    case PROP_PORT: s.port = g_value_get_uint(value); break;
    case PROP_BUFFER_SIZE: s.buffer_size = g_value_get_int(value); break;
    case PROP_TIMEOUT: s.timeout = g_value_get_uint64(value); break;
    case PROP_METRICS_INTERVAL:
      s.metrics_interval = g_value_get_uint(value);
      priv->poster->set_interval(s.metrics_interval);
      break;
    case PROP_DNS_DISCOVERY: s.dns_discovery = g_value_get_boolean(value); break;
    case PROP_URI: {
      AmtSettings copy = s;
      auto r = mctx::gst::parse_amt_uri(str(), copy);
      if (!r) {
        uri_error = r.error();
        break;
      }
      s = copy;
      break;
    }
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  }
  if (!uri_error.empty()) {
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS, ("%s", uri_error.c_str()), (nullptr));
  }
}

static void gst_amt_src_get_property(GObject* object, guint prop_id, GValue* value,
                                     GParamSpec* pspec) {
  auto self = GST_AMT_SRC(object);
  auto priv = self->priv;
  if (prop_id == PROP_METRICS) {
    g_value_take_boxed(value, metrics_structure(priv, "query"));
    return;
  }
  std::lock_guard<std::mutex> lk(priv->settings_mutex);
  const AmtSettings& s = priv->settings;
  switch (prop_id) {
    case PROP_RELAY_ADDRESS: g_value_set_string(value, s.relay_address.c_str()); break;
    case PROP_RELAY_PORT: g_value_set_uint(value, s.relay_port); break;
    case PROP_GROUP: g_value_set_string(value, s.group.c_str()); break;
    case PROP_SOURCE_ADDRESS: g_value_set_string(value, s.source_address.c_str()); break;
    case PROP_OUTPUT: g_value_set_enum(value, static_cast<gint>(s.output)); break;
    case PROP_CAPS: gst_value_set_caps(value, priv->caps); break;
    case PROP_LOCAL_ADDRESS: g_value_set_string(value, s.local_address.c_str()); break;
    case PROP_INTERFACE: g_value_set_string(value, s.interface.c_str()); break;
    case PROP_PORT: g_value_set_uint(value, s.port); break;
    case PROP_BUFFER_SIZE: g_value_set_int(value, s.buffer_size); break;
    case PROP_TIMEOUT: g_value_set_uint64(value, s.timeout); break;
    case PROP_METRICS_INTERVAL: g_value_set_uint(value, s.metrics_interval); break;
    case PROP_DNS_DISCOVERY: g_value_set_boolean(value, s.dns_discovery); break;
    case PROP_URI: g_value_set_string(value, mctx::gst::make_amt_uri(s).c_str()); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
}

// ------------------------------------------------------------ URI handler

static const gchar* const kUriProtocols[] = {"amt", nullptr};

static gchar* gst_amt_src_uri_get_uri(GstURIHandler* handler) {
  auto priv = GST_AMT_SRC(handler)->priv;
  std::lock_guard<std::mutex> lk(priv->settings_mutex);
  return g_strdup(mctx::gst::make_amt_uri(priv->settings).c_str());
}

static gboolean gst_amt_src_uri_set_uri(GstURIHandler* handler, const gchar* uri,
                                        GError** error) {
  auto self = GST_AMT_SRC(handler);
  auto priv = self->priv;
  std::lock_guard<std::mutex> lk(priv->settings_mutex);
  AmtSettings copy = priv->settings;
  auto r = mctx::gst::parse_amt_uri(uri ? uri : "", copy);
  if (!r) {
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "%s", r.error().c_str());
    return FALSE;
  }
  priv->settings = copy;
  return TRUE;
}

static void gst_amt_src_uri_handler_init(gpointer g_iface, gpointer) {
  mctx::gst::init_uri_handler<GST_URI_SRC, kUriProtocols>(g_iface, gst_amt_src_uri_get_uri,
                                                          gst_amt_src_uri_set_uri);
}

// ------------------------------------------------------------------ class

static void gst_amt_src_init(GstAmtSrc* self) {
  self->priv = new Private();
  self->priv->poll = gst_poll_new(TRUE);
  self->priv->poster = std::make_unique<mctx::gst::MetricsPoster>(GST_ELEMENT(self));
  self->priv->poster->set_interval(mctx::gst::kAmtDefaultMetricsInterval);
  gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
}

static void gst_amt_src_finalize(GObject* object) {
  auto self = GST_AMT_SRC(object);
  auto priv = self->priv;
  priv->poster->stop_timer();
  if (priv->caps) gst_caps_unref(priv->caps);
  if (priv->poll) gst_poll_free(priv->poll);
  delete priv;
  G_OBJECT_CLASS(gst_amt_src_parent_class)->finalize(object);
}

static void gst_amt_src_class_init(GstAmtSrcClass* klass) {
  auto gobject_class = G_OBJECT_CLASS(klass);
  auto element_class = GST_ELEMENT_CLASS(klass);
  auto basesrc_class = GST_BASE_SRC_CLASS(klass);
  auto pushsrc_class = GST_PUSH_SRC_CLASS(klass);

  gobject_class->set_property = gst_amt_src_set_property;
  gobject_class->get_property = gst_amt_src_get_property;
  gobject_class->finalize = gst_amt_src_finalize;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  const auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  const auto live = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                             GST_PARAM_MUTABLE_PLAYING);

  g_object_class_install_property(
      gobject_class, PROP_RELAY_ADDRESS,
      g_param_spec_string("relay-address", "Relay address",
                          "The AMT relay: an IP address or a host name; empty = the relay the "
                          "source's AMTRELAY DNS records name (DRIAD, RFC 8777; needs "
                          "source-address), else relay discovery at the anycast address "
                          "192.52.193.1 / 2001:3::",
                          "", rw));
  g_object_class_install_property(
      gobject_class, PROP_RELAY_PORT,
      g_param_spec_uint("relay-port", "Relay port", "UDP port of the relay (and of discovery)",
                        1, 65535, mctx::gst::kAmtDefaultRelayPort, rw));
  g_object_class_install_property(
      gobject_class, PROP_GROUP,
      g_param_spec_string("group", "Group", "The multicast group to receive (IPv4 or IPv6)", "",
                          rw));
  g_object_class_install_property(
      gobject_class, PROP_SOURCE_ADDRESS,
      g_param_spec_string("source-address", "Source address",
                          "The multicast source (S of (S,G)); empty = any source (*,G)", "",
                          rw));
  g_object_class_install_property(
      gobject_class, PROP_OUTPUT,
      g_param_spec_enum("output", "Output",
                        "payload: the inner UDP payload with a GstNetAddressMeta of the inner "
                        "source; datagram: the complete inner IP datagram (for mctxsink "
                        "raw-mode=true)",
                        amt_output_get_type(), static_cast<gint>(AmtOutput::payload), rw));
  g_object_class_install_property(
      gobject_class, PROP_CAPS,
      g_param_spec_boxed("caps", "Caps", "The caps of the output (NULL = ANY)", GST_TYPE_CAPS,
                         rw));
  g_object_class_install_property(
      gobject_class, PROP_LOCAL_ADDRESS,
      g_param_spec_string("local-address", "Local address",
                          "Local address of the tunnel socket; empty = any address of the "
                          "relay's family",
                          "", rw));
  g_object_class_install_property(
      gobject_class, PROP_INTERFACE,
      g_param_spec_string("interface", "Interface",
                          "Interface of the tunnel socket (SO_BINDTODEVICE); empty = any", "",
                          rw));
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_uint("port", "Port",
                        "Only inner UDP datagrams to this destination port; 0 = any", 0, 65535,
                        0, rw));
  g_object_class_install_property(
      gobject_class, PROP_BUFFER_SIZE,
      g_param_spec_int("buffer-size", "Buffer size",
                       "Receive buffer of the tunnel socket in bytes (SO_RCVBUF); 0 = the "
                       "system default",
                       0, G_MAXINT, 0, rw));
  g_object_class_install_property(
      gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64("timeout", "Timeout",
                          "Post an amtsrc-timeout element message after this many nanoseconds "
                          "without data; 0 = off",
                          0, G_MAXUINT64, 0, rw));
  g_object_class_install_property(
      gobject_class, PROP_METRICS,
      g_param_spec_boxed("metrics", "Metrics",
                         "The gateway's state, counters and drop reasons: an amt-metrics "
                         "structure; zeros before start, never NULL",
                         GST_TYPE_STRUCTURE, ro));
  g_object_class_install_property(
      gobject_class, PROP_METRICS_INTERVAL,
      g_param_spec_uint("metrics-interval", "Metrics interval",
                        "Period of the amt-metrics element messages in milliseconds; 0 = only "
                        "at stop",
                        0, G_MAXUINT, mctx::gst::kAmtDefaultMetricsInterval, live));
  g_object_class_install_property(
      gobject_class, PROP_DNS_DISCOVERY,
      g_param_spec_boolean("dns-discovery", "DNS discovery",
                           "With an empty relay-address and a source-address: look the relay "
                           "up in the source's AMTRELAY DNS records first (DRIAD, RFC 8777); "
                           "false = straight to the anycast discovery address",
                           TRUE, rw));
  g_object_class_install_property(
      gobject_class, PROP_URI,
      g_param_spec_string("uri", "URI",
                          "amt://SOURCE@GROUP[:PORT]?relay=ADDRESS (amt://GROUP for any source)",
                          "", rw));

  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "AMT gateway source", "Source/Network",
      "Receives multicast through an AMT relay (RFC 7450)", "The mctx authors");
  gst_type_mark_as_plugin_api(amt_output_get_type(), static_cast<GstPluginAPIFlags>(0));

  basesrc_class->start = gst_amt_src_start;
  basesrc_class->stop = gst_amt_src_stop;
  basesrc_class->unlock = gst_amt_src_unlock;
  basesrc_class->unlock_stop = gst_amt_src_unlock_stop;
  basesrc_class->get_caps = gst_amt_src_get_caps;
  pushsrc_class->create = gst_amt_src_create;
}
