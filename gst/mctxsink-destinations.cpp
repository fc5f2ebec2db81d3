// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The destinations of mctxsink: see mctxsink-destinations.hpp.

#include "mctxsink-destinations.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <utility>

#define GST_CAT_DEFAULT gst_mctx_sink_debug

namespace mctx::gst {

namespace {

void add_counters(MetricsFields& to, const MetricsFields& from) noexcept {
  to.send += from.send;
  to.drops += from.drops;
}

BackendResult make_backend(const Settings& s) {
  return s.raw_mode ? make_raw_backend(s) : make_udp_backend(s);
}

// IP and UDP header bytes per datagram of a destination (0 in raw mode,
// where datagrams carry their headers).
guint32 datagram_overhead(const Destination& d) noexcept {
  const mctx::Publication* p = d.backend().publication();
  if (p == nullptr) return 0;
  return p->destination().address.family() == mctx::Family::ipv6 ? mctx::kIpv6UdpHeaderBytes
                                                                 : mctx::kIpv4UdpHeaderBytes;
}

// The primary destination exists when the properties describe one, or
// when there is no other.
bool has_primary(const Settings& s, const Destinations& list) {
  return s.raw_mode || s.socket || !s.group.empty() || list.empty();
}

}  // namespace

// ---------------------------------------------------------------------------
// Destination

Destination::Destination(GstBaseSink* sink, const Settings& settings, std::string uri,
                         bool primary, std::unique_ptr<Backend> backend, Waiter& waiter)
    : uri_(std::move(uri)),
      primary_(primary),
      backend_(std::move(backend)),
      delivery_(sink, *backend_, waiter,
                DeliveryPolicy{settings.queue_full,
                               std::chrono::milliseconds(settings.max_outage_ms)}, uri_),
      metrics_(uri_, settings, *backend_, delivery_) {}

// Only the primary destination can have a caller's socket, and stop()
// shuts it down first with close-socket: here it is left open.
Destination::~Destination() { backend_->shutdown(false); }

DestinationResult open_destination(GstBaseSink* sink, const Settings& d, bool primary,
                                   Waiter& waiter) {
  BackendResult backend = make_backend(d);
  if (!backend) return mctx::unexpected(backend.error());
  std::string uri = primary && d.raw_mode ? std::string() : canonical_uri(d);
  return std::make_shared<Destination>(sink, d, std::move(uri), primary, std::move(*backend),
                                       waiter);
}

// ---------------------------------------------------------------------------
// DestinationSet

DestinationSet::DestinationSet(const Settings& settings, Waiter& waiter)
    : waiter_(waiter),
      group_(settings.raw_mode ? std::string() : settings.group),
      port_(settings.raw_mode ? 0 : settings.port),
      mode_(settings.raw_mode ? "raw" : "udp"),
      published_(std::make_shared<const List>()) {
  (void)totals_.take(mctx::SendCounters{}, true);  // the first interval starts now
}

mctx::Result<std::unique_ptr<DestinationSet>, StartError> DestinationSet::open(
    GstBaseSink* sink, const Settings& s, const Destinations& list, Waiter& waiter) {
  auto set = std::make_unique<DestinationSet>(s, waiter);
  const bool primary = has_primary(s, list);
  auto checked = list.check(primary && !s.raw_mode ? canonical_uri(s) : std::string());
  if (!checked) return mctx::unexpected(checked.error());

  if (primary) {
    DestinationResult d = open_destination(sink, s, true, waiter);
    if (!d) return mctx::unexpected(d.error());
    set->add(std::move(*d));
  }
  const auto& entries = list.entries();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    DestinationResult d =
        open_destination(sink, Destinations::settings_for(entries[i], s), false, waiter);
    if (!d) {
      StartError e = d.error();
      e.message = "destinations[" + std::to_string(i) + "] '" + entries[i].uri + "': " + e.message;
      // The primary one keeps a caller's socket open: the caller decides.
      set->shutdown(false);
      return mctx::unexpected(std::move(e));
    }
    GST_INFO_OBJECT(sink, "Destination %s: %s", entries[i].key.c_str(),
                    (*d)->backend().describe_socket().c_str());
    set->add(std::move(*d));
  }
  return set;
}

void DestinationSet::publish() {
  published_ = std::make_shared<const List>(list_);
  generation_.fetch_add(1, std::memory_order_release);
}

void DestinationSet::add(std::shared_ptr<Destination> d) {
  const guint32 overhead = datagram_overhead(*d);
  std::lock_guard<std::mutex> lk(mutex_);
  overhead_ = mctx::combined_datagram_overhead(overhead_, overhead);
  added_++;
  list_.push_back(std::move(d));
  publish();
}

bool DestinationSet::remove(const std::string& uri) {
  std::shared_ptr<Destination> gone;  // released after the lock
  {
    std::lock_guard<std::mutex> lk(mutex_);
    for (auto it = list_.begin(); it != list_.end(); ++it) {
      if ((*it)->primary() || uri.empty() || (*it)->uri() != uri) continue;
      gone = std::move(*it);
      list_.erase(it);
      break;
    }
    if (!gone) return false;
    gone->delivery().remove();
    retiring_.push_back(gone);  // counted until the streaming thread lets go
    removed_count_++;
    publish();
  }
  return true;
}

std::size_t DestinationSet::clear() {
  List gone;  // released after the lock
  {
    std::lock_guard<std::mutex> lk(mutex_);
    List kept;
    for (auto& d : list_) {
      if (d->primary()) {
        kept.push_back(std::move(d));
        continue;
      }
      d->delivery().remove();
      retiring_.push_back(d);  // counted until the streaming thread lets go
      gone.push_back(std::move(d));
    }
    list_ = std::move(kept);
    removed_count_ += gone.size();
    if (!gone.empty()) publish();
  }
  return gone.size();
}

Destination* DestinationSet::primary() const {
  std::lock_guard<std::mutex> lk(mutex_);
  for (const auto& d : list_) {
    if (d->primary()) return d.get();
  }
  return nullptr;
}

std::size_t DestinationSet::size() const {
  std::lock_guard<std::mutex> lk(mutex_);
  return list_.size();
}

std::vector<const mctx::Publication*> DestinationSet::publications() const {
  std::lock_guard<std::mutex> lk(mutex_);
  std::vector<const mctx::Publication*> pubs;
  for (const auto& d : list_) {
    const mctx::Publication* p = d->backend().publication();
    if (p == nullptr) continue;
    if (d->primary()) {
      pubs.insert(pubs.begin(), p);
    } else {
      pubs.push_back(p);
    }
  }
  return pubs;
}

void DestinationSet::shutdown(bool close_caller_socket) noexcept {
  std::lock_guard<std::mutex> lk(mutex_);
  for (auto& d : list_) d->shutdown(d->primary() ? close_caller_socket : true);
}

GstStructure* DestinationSet::structure(const char* reason, bool advance) {
  std::lock_guard<std::mutex> lk(mutex_);
  MetricsFields totals = removed_;
  totals.group = group_;
  totals.port = port_;
  totals.mode = mode_;
  totals.drops.dropped += unsent_.load(std::memory_order_relaxed);

  GValue array = G_VALUE_INIT;
  gst_value_array_init(&array, static_cast<guint>(list_.size()));
  for (const auto& d : list_) {
    const MetricsFields f = d->metrics().fields();
    add_counters(totals, f);
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed(&v, d->metrics().structure(f, reason, advance));
    gst_value_array_append_and_take_value(&array, &v);
  }
  for (const auto& d : retiring_) add_counters(totals, d->metrics().fields());
  GstStructure* s =
      metrics_structure("mctx-metrics", totals, totals_.take(totals.send, advance), reason);
  for (const auto& d : list_) {
    if (d->primary()) d->backend().append_stats(s);
  }
  gst_structure_set(s, "destination-count", G_TYPE_UINT, static_cast<guint>(list_.size()),
                    nullptr);
  gst_structure_take_value(s, "destinations", &array);
  return s;
}

GstStructure* DestinationSet::destination_structure(const std::string& uri) {
  std::lock_guard<std::mutex> lk(mutex_);
  for (const auto& d : list_) {
    if (uri.empty() || d->uri() != uri) continue;
    return d->metrics().structure(d->metrics().fields(), "query", false);
  }
  return nullptr;
}

SetSample DestinationSet::sample() const {
  SetSample out;
  mctx::Snapshot& t = out.totals;
  t.wall_time = std::chrono::system_clock::now();
  t.monotonic_time = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lk(mutex_);
  MetricsFields totals = removed_;
  for (const auto& d : retiring_) add_counters(totals, d->metrics().fields());
  out.destinations.reserve(list_.size());
  for (const auto& d : list_) {
    const MetricsFields f = d->metrics().fields();
    add_counters(totals, f);
    const mctx::Publication* p = d->backend().publication();
    if (p == nullptr) continue;  // raw mode: each datagram has its own destination
    mctx::Snapshot s;
    s.wall_time = t.wall_time;
    s.monotonic_time = t.monotonic_time;
    s.active_publications = 1;
    s.send = f.send;
    s.outages = f.drops.outages;
    s.datagram_overhead = datagram_overhead(*d);
    out.destinations.push_back({d->uri(), p->destination().to_string(), std::move(s)});
  }
  t.active_publications = list_.size();
  t.publications_added = added_;
  t.publications_removed = removed_count_;
  t.send = totals.send;
  t.outages = totals.drops.outages;
  t.datagram_overhead = overhead_;
  return out;
}

const DestinationSet::List& DestinationSet::take_published() noexcept {
  // A destination let go of here may close its socket: the waiter must not
  // keep watching a descriptor that is closed (and maybe reused).
  waiter_.forget_fd();
  std::shared_ptr<const List> old;
  List released;
  {
    std::lock_guard<std::mutex> lk(mutex_);
    old = std::exchange(snapshot_, published_);
    snapshot_generation_ = generation_.load(std::memory_order_relaxed);
    // Every destination removed so far is out of the list taken here, and
    // this thread is between two buffers: none of them sends any more, so
    // their counters are final. Fold them into the totals now.
    for (const auto& d : retiring_) add_counters(removed_, d->metrics().fields());
    released = std::move(retiring_);
    retiring_.clear();
  }
  // `old` and `released` are released here, outside the lock.
  return *snapshot_;
}

bool DestinationSet::count_unsent(std::size_t n) noexcept {
  unsent_.fetch_add(n, std::memory_order_relaxed);
  return !warned_unsent_.exchange(true, std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------
// Fanout

GstFlowReturn Fanout::destination_failed(Destination& failed, const DestinationSet::List& list) {
  std::size_t alive = 0;
  for (const auto& d : list) {
    if (!d->delivery().failed() && !d->delivery().removed()) alive++;
  }
  const std::string& why = failed.delivery().failure();
  if (alive == 0) {
    GST_ELEMENT_ERROR(sink_, RESOURCE, WRITE, ("%s.", why.c_str()),
                      ("no destination is left to send to"));
    return GST_FLOW_ERROR;
  }
  GST_ELEMENT_WARNING(sink_, RESOURCE, WRITE,
                      ("%s. Destination %s has failed: its datagrams are counted as dropped "
                       "from now on; the other %zu destinations go on.",
                       why.c_str(), failed.uri().c_str(), alive),
                      ("a fatal send error on one destination of several"));
  return GST_FLOW_OK;
}

GstFlowReturn Fanout::deliver_to_all(std::span<const mctx::OutMessage> messages) {
  const DestinationSet::List& list = set_.current();
  if (list.empty()) {
    if (set_.count_unsent(messages.size())) {
      GST_ELEMENT_WARNING(sink_, RESOURCE, WRITE,
                          ("No destination: buffers are dropped and counted (dropped) until a "
                           "destination is added."),
                          ("the destinations were removed and no group is set"));
    }
    return GST_FLOW_OK;
  }
  GstFlowReturn ret = GST_FLOW_OK;
  for (const auto& d : list) {
    // Each destination is given every message whatever the others did: its
    // own deliver() counts what it could not send (a flush: all of it).
    const bool failed_before = d->delivery().failed();
    GstFlowReturn r = d->delivery().deliver(messages);
    if (r == GST_FLOW_ERROR && !failed_before && d->delivery().failed()) {
      r = destination_failed(*d, list);
    }
    if (ret == GST_FLOW_OK) ret = r;
  }
  return ret;
}

void Fanout::grow_scratch(std::size_t memories, std::size_t messages) {
  if (maps_.size() < memories) {
    // Doubling: a list that grows one buffer at a time reallocates rarely.
    const std::size_t n = std::max(memories, 2 * maps_.size());
    maps_.resize(n);
    iov_.resize(n);
  }
  if (msgs_.size() < messages) msgs_.resize(std::max(messages, 2 * msgs_.size()));
}

// Out of line: the rare case. Unmaps what map_buffer() mapped of buf, warns,
// and counts the buffer as dropped on every destination.
void Fanout::map_failed(GstBuffer* buf, GstMapInfo* maps, guint failed, guint n) noexcept {
  for (guint j = 0; j < failed; ++j) gst_memory_unmap(maps[j].memory, &maps[j]);
  GST_ELEMENT_WARNING(sink_, RESOURCE, READ,
                      ("Could not read a buffer (memory %u of %u cannot be mapped); the "
                       "buffer was dropped.",
                       failed, n),
                      ("gst_memory_map failed on %" GST_PTR_FORMAT, buf));
  const DestinationSet::List& list = set_.current();
  if (list.empty()) (void)set_.count_unsent(1);
  for (const auto& d : list) d->delivery().count_unreadable(1);
}

void Fanout::unmap(std::size_t count) noexcept {
  GstMapInfo* const maps = maps_.data();
  for (std::size_t i = 0; i < count; ++i) gst_memory_unmap(maps[i].memory, &maps[i]);
}

GstFlowReturn Fanout::internal_error(const std::exception& e) noexcept {
  GST_ELEMENT_ERROR(sink_, CORE, FAILED, ("Internal error while sending: %s", e.what()), (nullptr));
  return GST_FLOW_ERROR;
}

// The per-buffer path: one gst_memory_map() per memory into the scratch
// arrays (grown only when a buffer or list is larger than any before), the
// same messages to every destination, the memories unmapped.
GstFlowReturn Fanout::render(GstBuffer* buffer) noexcept {
  std::size_t mapped = 0;
  try {
    const guint n = gst_buffer_n_memory(buffer);
    if (G_UNLIKELY(maps_.size() < n || msgs_.empty())) grow_scratch(n, 1);
    if (G_UNLIKELY(!map_buffer(buffer, maps_.data(), iov_.data(), n))) return GST_FLOW_OK;
    mapped = n;
    GST_LOG_OBJECT(sink_, "sending %" G_GSIZE_FORMAT " bytes in %u memories",
                   gst_buffer_get_size(buffer), n);
    msgs_[0].iov = iov_.data();
    msgs_[0].iov_count = n;
    const GstFlowReturn ret = deliver_to_all(std::span<const mctx::OutMessage>(msgs_.data(), 1));
    unmap(mapped);
    return ret;
  } catch (const std::exception& e) {
    unmap(mapped);
    return internal_error(e);
  }
}

GstFlowReturn Fanout::render_list(GstBufferList* list) noexcept {
  const guint len = gst_buffer_list_length(list);
  if (len == 0) return GST_FLOW_OK;
  std::size_t mapped = 0;  // memories mapped so far (maps_[0..mapped))
  try {
    if (G_UNLIKELY(msgs_.size() < len || maps_.size() < len)) grow_scratch(len, len);
    // One pass over the list, through running pointers (the compiler cannot
    // keep the vectors' in registers across the GStreamer calls). Message
    // k's iovecs follow message k-1's in iov_: the core sends such runs in
    // place.
    GstMapInfo* map = maps_.data();
    std::size_t room = maps_.size();  // entries of maps_ and iov_ from map on
    iovec* v = iov_.data();
    mctx::OutMessage* m = msgs_.data();
    for (guint i = 0; i < len; ++i) {
      GstBuffer* buf = gst_buffer_list_get(list, i);
      const guint n = gst_buffer_n_memory(buf);
      if (G_UNLIKELY(room < n)) {
        // Buffers of several memories: iov_ moves, the messages so far
        // point into it again.
        mapped = static_cast<std::size_t>(map - maps_.data());
        const std::size_t count = static_cast<std::size_t>(m - msgs_.data());
        grow_scratch(mapped + n, len);
        map = maps_.data() + mapped;
        room = maps_.size() - mapped;
        v = iov_.data();
        m = msgs_.data();
        for (std::size_t k = 0; k < count; ++k, ++m) {
          m->iov = v;
          v += m->iov_count;
        }
      }
      // n == 1 spelled out: the compiler unrolls the common case.
      if (G_UNLIKELY(!(n == 1 ? map_buffer(buf, map, v, 1) : map_buffer(buf, map, v, n)))) {
        continue;  // dropped, warned; the rest goes out
      }
      m->iov = v;
      m->iov_count = n;
      map += n;
      v += n;
      room -= n;
      ++m;
    }
    mapped = static_cast<std::size_t>(map - maps_.data());
    const auto count = static_cast<std::size_t>(m - msgs_.data());
    GST_LOG_OBJECT(sink_, "sending a list of %u buffers", len);
    const GstFlowReturn ret =
        deliver_to_all(std::span<const mctx::OutMessage>(msgs_.data(), count));
    unmap(mapped);
    return ret;
  } catch (const std::exception& e) {
    unmap(mapped);
    return internal_error(e);
  }
}

}  // namespace mctx::gst
