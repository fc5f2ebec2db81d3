// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The destinations of mctxsink (not installed): what one running element
// sends to, and how the set changes while the streaming thread sends
// (mctxsink-destinations.cpp).
//
//   * Destination: one socket (a Backend), its send policy (Delivery) and
//     its metrics. The destination of the group/port/... properties is the
//     "primary" one; each URI of the destinations property is another.
//   * DestinationSet: the destinations of one run. The application changes
//     it (add/remove/clear signals) under its mutex; each change publishes a
//     new immutable list, which the streaming thread picks up at the next
//     buffer or list (never in the middle of one) without taking the mutex
//     on the way unless the list changed. A removed destination is told at
//     once (Delivery::remove(): its current send stops, a wait on its socket
//     is interrupted) and closed when the streaming thread lets go of it.
//   * Fanout: render()/render_list() map each buffer once into messages and
//     hand the same messages to every destination in turn.

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>
#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "mctx/error.hpp"
#include "mctx/jsonl.hpp"
#include "mctx/publication.hpp"
#include "mctxsink-deliver.hpp"
#include "mctxsink-destination-list.hpp"
#include "mctxsink-metrics.hpp"
#include "mctxsink-backend.hpp"
#include "mctxsink-errors.hpp"
#include "mctxsink-settings.hpp"

namespace mctx::gst {

// ---------------------------------------------------------------------------
// One destination of a run.
class Destination {
 public:
  Destination(GstBaseSink* sink, const Settings& settings, std::string uri, bool primary,
              std::unique_ptr<Backend> backend, Waiter& waiter);
  // Shuts the backend down (closing its own socket, not a caller's) unless
  // shutdown() did.
  ~Destination();
  Destination(const Destination&) = delete;
  Destination& operator=(const Destination&) = delete;

  // The canonical mctx:// URI (canonical_uri() of its settings; "" for the
  // primary one in raw mode).
  const std::string& uri() const noexcept { return uri_; }
  // The destination of the group/port/... properties (never removed).
  bool primary() const noexcept { return primary_; }
  Backend& backend() noexcept { return *backend_; }
  const Backend& backend() const noexcept { return *backend_; }
  Delivery& delivery() noexcept { return delivery_; }
  RunMetrics& metrics() noexcept { return metrics_; }

  void shutdown(bool close_caller_socket) noexcept { backend_->shutdown(close_caller_socket); }

 private:
  std::string uri_;
  bool primary_;
  std::unique_ptr<Backend> backend_;
  Delivery delivery_;
  RunMetrics metrics_;
};

using DestinationResult = mctx::Result<std::shared_ptr<Destination>, StartError>;

// The counters of a run at one instant, as the core's Snapshots (for the
// metrics file, mctxsink-metrics-file.hpp). Every snapshot has the same
// wall and monotonic time.
struct SetSample {
  // The current destinations that have a group (not raw mode's primary
  // one), in the set's order: key = the canonical URI, destination =
  // "GROUP:PORT" ("[GROUP]:PORT" for IPv6), a snapshot with
  // active_publications 1, its outages and its datagram overhead.
  std::vector<mctx::DestinationSnapshot> destinations;
  // Totals over every destination of the run (removed ones included):
  // active_publications = current destinations, publications_added /
  // publications_removed = destinations opened / removed since the start.
  // datagram_overhead is the destinations' (28 IPv4, 48 IPv6, 0 raw); with
  // both families it is the IPv4 one (docs/metrics-file.md).
  mctx::Snapshot totals;
};

// Opens one destination (a socket of its own) from its settings:
// Destinations::settings_for() of a URI of the destinations property, or the
// element's for the primary one. Its URI is canonical_uri() of them ("" for
// the primary one in raw mode, where each datagram has its own).
DestinationResult open_destination(GstBaseSink* sink, const Settings& destination, bool primary,
                                   Waiter& waiter);

// ---------------------------------------------------------------------------
// The destinations of one run.
class DestinationSet {
 public:
  using List = std::vector<std::shared_ptr<Destination>>;

  // Opens every destination of a run: the properties' one (when a group, a
  // socket or raw mode is set, or `list` is empty), then each of `list`,
  // all checked (Destinations::check()) before any socket is opened. Errors
  // name the URI and its position ("destinations[1] 'mctx://...': ...").
  static mctx::Result<std::unique_ptr<DestinationSet>, StartError> open(
      GstBaseSink* sink, const Settings& settings, const Destinations& list, Waiter& waiter);

  DestinationSet(const Settings& settings, Waiter& waiter);
  DestinationSet(const DestinationSet&) = delete;
  DestinationSet& operator=(const DestinationSet&) = delete;

  // --- the application's side (any thread) -------------------------------

  void add(std::shared_ptr<Destination> d);
  // Removes the destination with this canonical URI. false: there is none,
  // or it is the primary one (not removable).
  bool remove(const std::string& uri);
  // Removes every destination but the primary one; returns how many.
  std::size_t clear();
  // The primary destination, or nullptr (never removed: valid while the set
  // lives).
  Destination* primary() const;
  std::size_t size() const;
  // The UDP publications of the current destinations, the primary one
  // first (for the SDP; valid while those destinations live).
  std::vector<const mctx::Publication*> publications() const;

  // stop(): every destination's backend (close_caller_socket: the primary's;
  // the others never have a caller socket).
  void shutdown(bool close_caller_socket) noexcept;

  // The mctx-metrics structure: totals over every destination of the run
  // (removed ones included), the primary's group, port, mode and socket
  // fields, and `destinations` (one mctx-destination structure each).
  GstStructure* structure(const char* reason, bool advance);
  // One destination's mctx-destination structure (reason "query"), or
  // nullptr.
  GstStructure* destination_structure(const std::string& uri);
  // The counters of every destination and the totals, now.
  SetSample sample() const;

  // --- the streaming thread ------------------------------------------------

  // The current list (a new one is picked up here, when there is one).
  // Inline: per buffer it is one acquire load and a comparison.
  const List& current() noexcept {
    if (G_LIKELY(snapshot_ && generation_.load(std::memory_order_acquire) == snapshot_generation_)) {
      return *snapshot_;
    }
    return take_published();
  }
  // Datagrams rendered while there was no destination at all (the
  // destinations were cleared and there is no primary one): counted in the
  // top-level `dropped`, with one warning. Returns true the first time.
  [[gnu::cold]] bool count_unsent(std::size_t n) noexcept;

 private:
  void publish();  // mutex_ held
  const List& take_published() noexcept;  // current() when the list changed

  Waiter& waiter_;
  const std::string group_;  // the properties' group, port and mode (top level)
  const guint port_;
  const char* const mode_;

  mutable std::mutex mutex_;
  List list_;                              // under mutex_
  std::shared_ptr<const List> published_;  // under mutex_
  std::atomic<guint64> generation_{0};     // changes after published_
  // Streaming thread only, next to generation_ (current(): one cache line).
  std::shared_ptr<const List> snapshot_;
  guint64 snapshot_generation_ = 0;
  MetricsFields removed_;                  // under mutex_: counters of removed destinations
  // Under mutex_: removed destinations the streaming thread may still be
  // sending to (in the list it holds); their counters are read live, and
  // folded into removed_ when it lets go of them (current()).
  List retiring_;
  Rates totals_;                           // under mutex_
  guint64 added_ = 0;                      // under mutex_: destinations added since the start
  guint64 removed_count_ = 0;              // under mutex_: destinations removed since the start
  guint32 overhead_ = 0;                   // under mutex_: IP+UDP header bytes (SetSample)
  std::atomic<guint64> unsent_{0};
  std::atomic<bool> warned_unsent_{false};
};

// The common case of Delivery::deliver() (mctxsink-deliver.hpp), inline.
GstFlowReturn Delivery::deliver(std::span<const mctx::OutMessage> messages) {
  if (G_LIKELY(messages.size() == 1 && !paced_ && !failed() && !removed())) {
    const std::optional<mctx::SendError> err = backend_.send(messages[0].iov, messages[0].iov_count);
    if (G_LIKELY(!err && !in_outage_)) return GST_FLOW_OK;
    return deliver_rest(messages, one_sent(err));
  }
  return deliver_rest(messages, std::nullopt);
}

// ---------------------------------------------------------------------------
// Buffers and buffer lists to every destination. render()/render_list() map
// the buffers into grow-only scratch arrays (no allocation per buffer once
// they reached the largest size seen) and hand the same messages to each
// destination's Delivery::deliver(), in the set's order:
//  * each destination is given every message whatever the others did (its
//    own deliver() counts what it could not send);
//  * a destination that fails (fatal error) while others remain is a
//    WARNING and counts from then on; the last one failing is an ERROR;
//  * the flow returned is the first one that is not OK.
// Streaming thread only; no exception escapes.
class Fanout {
 public:
  Fanout(GstBaseSink* sink, DestinationSet& set) noexcept : sink_(sink), set_(set) {}
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  GstFlowReturn render(GstBuffer* buffer) noexcept;
  GstFlowReturn render_list(GstBufferList* list) noexcept;

 private:
  // Inlined into render() and render_list(): one call less per buffer.
  [[gnu::always_inline]] inline GstFlowReturn deliver_to_all(
      std::span<const mctx::OutMessage> messages);
  // The rare cases are [[gnu::cold]]: out of the hot code.
  [[gnu::cold]] GstFlowReturn destination_failed(Destination& failed,
                                                 const DestinationSet::List& list);
  // Grows the scratch arrays to at least these sizes (may throw).
  [[gnu::cold]] void grow_scratch(std::size_t memories, std::size_t messages);
  // Maps the n memories of buf into maps[0..n) and iov[0..n) (room made by
  // the caller; pointers into maps_ and iov_, held in locals by the callers
  // so that the compiler need not reload the vectors after each GStreamer
  // call). false: nothing of buf is left mapped, and map_failed() warned and
  // counted the buffer as dropped on every destination.
  bool map_buffer(GstBuffer* buf, GstMapInfo* maps, iovec* iov, guint n) noexcept {
    for (guint i = 0; i < n; ++i) {
      if (G_UNLIKELY(!gst_memory_map(gst_buffer_peek_memory(buf, i), &maps[i], GST_MAP_READ))) {
        map_failed(buf, maps, i, n);
        return false;
      }
      iov[i].iov_base = maps[i].data;
      iov[i].iov_len = maps[i].size;
    }
    return true;
  }
  [[gnu::cold]] void map_failed(GstBuffer* buf, GstMapInfo* maps, guint failed, guint n) noexcept;
  void unmap(std::size_t count) noexcept;
  [[gnu::cold]] GstFlowReturn internal_error(const std::exception& e) noexcept;

  GstBaseSink* sink_;
  DestinationSet& set_;
  std::vector<GstMapInfo> maps_;
  std::vector<iovec> iov_;
  std::vector<mctx::OutMessage> msgs_;
};

}  // namespace mctx::gst
