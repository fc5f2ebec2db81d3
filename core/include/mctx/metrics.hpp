// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Send metrics: lock-free counters on the send path, coherent snapshots from
// any thread, deltas with rates, and a sampler. See docs/metrics.md.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "mctx/error.hpp"
#include "mctx/export.hpp"

namespace mctx {

// Plain counter values (cumulative).
struct MCTX_API SendCounters {
  uint64_t send_calls = 0;    // send()/send_batch() calls that reached the kernel
  uint64_t packets_sent = 0;  // datagrams the kernel accepted
  uint64_t bytes_sent = 0;    // payload bytes the kernel accepted
  uint64_t send_errors = 0;   // datagrams that failed with an error other than would-block
  uint64_t would_block = 0;   // EAGAIN events (not errors: the caller waits and retries)
  // ENOBUFS events: a datagram the local queue (a qdisc, the device) refused.
  // Not counted in send_errors: the caller sends it again or drops it.
  uint64_t queue_full = 0;
  // Of send_errors: datagrams refused because the network was unreachable
  // (interface down or gone, source address gone): lost to an outage.
  uint64_t unreachable = 0;
  // Messages that carried several datagrams (UDP_SEGMENT).
  uint64_t gso_sends = 0;

  friend bool operator==(const SendCounters&, const SendCounters&) = default;

  // Adds another publication's counts (totals over several).
  SendCounters& operator+=(const SendCounters& o) noexcept {
    send_calls += o.send_calls;
    packets_sent += o.packets_sent;
    bytes_sent += o.bytes_sent;
    send_errors += o.send_errors;
    would_block += o.would_block;
    queue_full += o.queue_full;
    unreachable += o.unreachable;
    gso_sends += o.gso_sends;
    return *this;
  }
};

// Counters written by senders without locks and read coherently by other
// threads: one record_*() call is one update that a snapshot sees entirely or
// not at all (a sequence lock; writers serialise on the sequence word with a
// compare-and-swap, readers retry while a write is in progress).
class MCTX_API SendMetrics {
 public:
  SendMetrics() = default;
  SendMetrics(const SendMetrics&) = delete;
  SendMetrics& operator=(const SendMetrics&) = delete;

  // One send call that put `packets` datagrams / `bytes` bytes on the wire,
  // and `errors` datagrams of the same call failed (batch sends), of which
  // `unreachable` because the network was unreachable; `gso_sends` of its
  // messages carried several datagrams each (segmentation offload).
  void record_send(uint64_t packets, uint64_t bytes, uint64_t errors = 0,
                   uint64_t unreachable = 0, uint64_t gso_sends = 0) noexcept;
  // One send call that failed as a whole (counts 1 call + 1 error; with
  // `unreachable` the error also counts in unreachable).
  void record_error(bool unreachable = false) noexcept;
  // One send call whose datagram the local queue refused (ENOBUFS): counts
  // 1 call + 1 queue_full, `packets`/`bytes` (`gso_sends` segmentation
  // messages) for the datagrams of the same call that went out before it.
  void record_queue_full(uint64_t packets = 0, uint64_t bytes = 0,
                         uint64_t gso_sends = 0) noexcept;
  // One send call that would have blocked (counts 1 would_block, no call).
  void record_would_block() noexcept;
  // One send call that stopped at a datagram refused with `code`, after
  // `packets` datagrams (`bytes` bytes) of the same call went out: counted
  // as would_block, queue_full (no_buffer_space), an unreachable error
  // (network_unreachable) or an error, in one update. publication_closed
  // never reached the kernel: only the datagrams sent are counted.
  // `gso_sends`: segmentation messages among the datagrams sent.
  void record_failed_send(Errc code, uint64_t packets = 0, uint64_t bytes = 0,
                          uint64_t gso_sends = 0) noexcept;
  // Adds a whole set of counters in one update (used to fold totals).
  void add(const SendCounters& c) noexcept;

  SendCounters load() const noexcept;

 private:
  template <class F>
  void write(F&& f) noexcept;
  mutable std::atomic<uint64_t> seq_{0};
  std::atomic<uint64_t> send_calls_{0};
  std::atomic<uint64_t> packets_sent_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> send_errors_{0};
  std::atomic<uint64_t> would_block_{0};
  std::atomic<uint64_t> queue_full_{0};
  std::atomic<uint64_t> unreachable_{0};
  std::atomic<uint64_t> gso_sends_{0};
};

// IP and UDP header bytes of one datagram that bytes_sent does not count
// for a UDP publication: 20 + 8 (IPv4), 40 + 8 (IPv6). Raw publications
// count whole datagrams, headers included: their overhead is 0.
inline constexpr uint32_t kIpv4UdpHeaderBytes = 28;
inline constexpr uint32_t kIpv6UdpHeaderBytes = 48;

// A point-in-time view of a Context (or of one publication: then the
// publication counts are 0 and active_publications 1).
struct MCTX_API Snapshot {
  std::chrono::system_clock::time_point wall_time{};       // for export
  std::chrono::steady_clock::time_point monotonic_time{};  // for rates
  uint64_t active_publications = 0;                        // gauge
  uint64_t publications_added = 0;                         // cumulative
  uint64_t publications_removed = 0;                       // cumulative
  SendCounters send;                                       // cumulative
  // Outages that began (OutageStatus::outages), cumulative; filled in by
  // whoever holds the publications (0 from Context::snapshot()).
  uint64_t outages = 0;
  // Header bytes per datagram on top of bytes_sent (kIpv4UdpHeaderBytes,
  // kIpv6UdpHeaderBytes, 0 for raw), for the IP-level bit rate. Set by the
  // caller that knows the family; 0 makes the IP rate equal the payload
  // rate.
  uint32_t datagram_overhead = 0;
};

// The change between two snapshots.
struct MCTX_API Delta {
  Snapshot start;
  Snapshot end;
  std::chrono::nanoseconds interval{0};  // monotonic
  uint64_t publications_added = 0;
  uint64_t publications_removed = 0;
  SendCounters send;  // counter increases over the interval
  uint64_t outages = 0;
  double send_calls_per_sec = 0;
  double packets_per_sec = 0;
  double bytes_per_sec = 0;
  double send_errors_per_sec = 0;
  // bytes_per_sec * 8: the payload bit rate (whole datagrams in raw mode).
  double payload_bits_per_sec = 0;
  // The bit rate at the IP level: payload plus end.datagram_overhead bytes
  // per datagram (what an interface counter or a link budget sees, without
  // the link layer).
  double ip_bits_per_sec = 0;
};

// The datagram_overhead of a total over destinations: `so_far` (0: none
// yet) combined with the next one's; when they differ (IPv4 and IPv6
// destinations), the IPv4 one.
inline constexpr uint32_t combined_datagram_overhead(uint32_t so_far, uint32_t next) noexcept {
  return so_far == 0 || so_far == next ? next : kIpv4UdpHeaderBytes;
}

// The bytes of `c` at the IP level: bytes_sent + packets_sent * overhead.
MCTX_API uint64_t ip_bytes(const SendCounters& c, uint32_t datagram_overhead) noexcept;

// Counter differences (saturating at 0 if a counter went backwards) and rates
// over the monotonic interval (0 rates for a zero-length interval).
MCTX_API Delta make_delta(const Snapshot& start, const Snapshot& end) noexcept;

// A snapshot of one publication's counters (or of any SendMetrics), taken
// now: coherent counters, both clocks read, active_publications 1 and the
// publication counts 0; `datagram_overhead` as in Snapshot.
MCTX_API Snapshot snapshot_of(const SendMetrics& metrics, uint32_t datagram_overhead = 0) noexcept;

// end - start per counter, saturating at 0.
MCTX_API SendCounters saturating_difference(const SendCounters& end,
                                            const SendCounters& start) noexcept;

// Seconds since the Unix epoch with microsecond fractions (JSONL "ts" and
// "created_at").
MCTX_API double unix_seconds(std::chrono::system_clock::time_point t) noexcept;

// Keeps the previous snapshot; returns a delta from the second call on.
class MCTX_API Sampler {
 public:
  std::optional<Delta> sample(const Snapshot& now) noexcept;
  void reset() noexcept { prev_.reset(); }
  const std::optional<Snapshot>& previous() const noexcept { return prev_; }

 private:
  std::optional<Snapshot> prev_;
};

}  // namespace mctx
