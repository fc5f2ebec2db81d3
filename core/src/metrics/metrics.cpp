// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Send metrics. SendMetrics is a sequence lock (seqlock):
//
//   writer: CAS seq even -> odd (acquire), release fence, relaxed updates of
//           the counters, store seq odd + 1 (release).
//   reader: load seq (acquire); retry while odd; relaxed loads of the
//           counters; acquire fence; reload seq (relaxed); retry if changed.
//
// The CAS serialises concurrent writers (only one holds the odd value), so
// the counters are updated with plain load + store instead of locked
// read-modify-writes. The release fence after the CAS and the acquire fence
// before the reader's second load pair up (fence-fence synchronisation): if
// a reader saw any counter value written inside a write section, its second
// sequence load sees that section's odd value (or later) and it retries.
// Every variable is a std::atomic, so there is no data race in the C++
// memory model and ThreadSanitizer stays quiet. See H.-J. Boehm, "Can
// seqlocks get along with programming language memory models?" (MSPC 2012).

#include "mctx/metrics.hpp"

#include <thread>

namespace mctx {

namespace {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#endif
}

// Spin briefly, then give the CPU away: a writer preempted inside its
// (tiny) critical section must be able to run again.
inline void backoff(unsigned& spins) noexcept {
  if (++spins < 64) {
    cpu_relax();
  } else {
    std::this_thread::yield();
  }
}

inline uint64_t sat_sub(uint64_t end, uint64_t start) noexcept {
  return end >= start ? end - start : 0;
}

inline void bump(std::atomic<uint64_t>& a, uint64_t v) noexcept {
  // Writers are serialised by the sequence word: no RMW needed.
  a.store(a.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

}  // namespace

template <class F>
void SendMetrics::write(F&& f) noexcept {
  uint64_t s = seq_.load(std::memory_order_relaxed);
  unsigned spins = 0;
  for (;;) {
    if ((s & 1u) == 0 && seq_.compare_exchange_weak(s, s + 1, std::memory_order_acquire,
                                                    std::memory_order_relaxed)) {
      break;
    }
    backoff(spins);
    s = seq_.load(std::memory_order_relaxed);
  }
  std::atomic_thread_fence(std::memory_order_release);
  f();
  seq_.store(s + 2, std::memory_order_release);
}

void SendMetrics::record_send(uint64_t packets, uint64_t bytes, uint64_t errors,
                              uint64_t unreachable, uint64_t gso_sends) noexcept {
  write([&]() noexcept {
    bump(send_calls_, 1);
    if (packets != 0) bump(packets_sent_, packets);
    if (bytes != 0) bump(bytes_sent_, bytes);
    if (errors != 0) bump(send_errors_, errors);
    if (unreachable != 0) bump(unreachable_, unreachable);
    if (gso_sends != 0) bump(gso_sends_, gso_sends);
  });
}

void SendMetrics::record_error(bool unreachable) noexcept {
  write([&]() noexcept {
    bump(send_calls_, 1);
    bump(send_errors_, 1);
    if (unreachable) bump(unreachable_, 1);
  });
}

void SendMetrics::record_queue_full(uint64_t packets, uint64_t bytes, uint64_t gso_sends) noexcept {
  write([&]() noexcept {
    bump(send_calls_, 1);
    if (packets != 0) bump(packets_sent_, packets);
    if (bytes != 0) bump(bytes_sent_, bytes);
    if (gso_sends != 0) bump(gso_sends_, gso_sends);
    bump(queue_full_, 1);
  });
}

void SendMetrics::record_would_block() noexcept {
  write([&]() noexcept { bump(would_block_, 1); });
}

void SendMetrics::record_failed_send(Errc code, uint64_t packets, uint64_t bytes,
                                     uint64_t gso_sends) noexcept {
  switch (code) {
    case Errc::would_block:
      if (packets > 0) record_send(packets, bytes, 0, 0, gso_sends);
      record_would_block();
      return;
    case Errc::no_buffer_space: record_queue_full(packets, bytes, gso_sends); return;
    case Errc::publication_closed:
      if (packets > 0) record_send(packets, bytes, 0, 0, gso_sends);
      return;
    case Errc::network_unreachable:
      if (packets > 0) {
        record_send(packets, bytes, 1, 1, gso_sends);
      } else {
        record_error(true);
      }
      return;
    default:
      if (packets > 0) {
        record_send(packets, bytes, 1, 0, gso_sends);
      } else {
        record_error();
      }
      return;
  }
}

void SendMetrics::add(const SendCounters& c) noexcept {
  write([&]() noexcept {
    bump(send_calls_, c.send_calls);
    bump(packets_sent_, c.packets_sent);
    bump(bytes_sent_, c.bytes_sent);
    bump(send_errors_, c.send_errors);
    bump(would_block_, c.would_block);
    bump(queue_full_, c.queue_full);
    bump(unreachable_, c.unreachable);
    bump(gso_sends_, c.gso_sends);
  });
}

SendCounters SendMetrics::load() const noexcept {
  unsigned spins = 0;
  for (;;) {
    const uint64_t s0 = seq_.load(std::memory_order_acquire);
    if ((s0 & 1u) == 0) {
      SendCounters c;
      c.send_calls = send_calls_.load(std::memory_order_relaxed);
      c.packets_sent = packets_sent_.load(std::memory_order_relaxed);
      c.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
      c.send_errors = send_errors_.load(std::memory_order_relaxed);
      c.would_block = would_block_.load(std::memory_order_relaxed);
      c.queue_full = queue_full_.load(std::memory_order_relaxed);
      c.unreachable = unreachable_.load(std::memory_order_relaxed);
      c.gso_sends = gso_sends_.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seq_.load(std::memory_order_relaxed) == s0) return c;
    }
    backoff(spins);
  }
}

SendCounters saturating_difference(const SendCounters& end, const SendCounters& start) noexcept {
  SendCounters d;
  d.send_calls = sat_sub(end.send_calls, start.send_calls);
  d.packets_sent = sat_sub(end.packets_sent, start.packets_sent);
  d.bytes_sent = sat_sub(end.bytes_sent, start.bytes_sent);
  d.send_errors = sat_sub(end.send_errors, start.send_errors);
  d.would_block = sat_sub(end.would_block, start.would_block);
  d.queue_full = sat_sub(end.queue_full, start.queue_full);
  d.unreachable = sat_sub(end.unreachable, start.unreachable);
  d.gso_sends = sat_sub(end.gso_sends, start.gso_sends);
  return d;
}

Delta make_delta(const Snapshot& start, const Snapshot& end) noexcept {
  Delta d;
  d.start = start;
  d.end = end;
  d.interval = end.monotonic_time > start.monotonic_time
                   ? std::chrono::duration_cast<std::chrono::nanoseconds>(end.monotonic_time -
                                                                          start.monotonic_time)
                   : std::chrono::nanoseconds{0};
  d.publications_added = sat_sub(end.publications_added, start.publications_added);
  d.publications_removed = sat_sub(end.publications_removed, start.publications_removed);
  d.send = saturating_difference(end.send, start.send);
  d.outages = sat_sub(end.outages, start.outages);
  if (d.interval.count() > 0) {
    const double secs = std::chrono::duration<double>(d.interval).count();
    d.send_calls_per_sec = static_cast<double>(d.send.send_calls) / secs;
    d.packets_per_sec = static_cast<double>(d.send.packets_sent) / secs;
    d.bytes_per_sec = static_cast<double>(d.send.bytes_sent) / secs;
    d.send_errors_per_sec = static_cast<double>(d.send.send_errors) / secs;
    d.payload_bits_per_sec = d.bytes_per_sec * 8;
    d.ip_bits_per_sec = static_cast<double>(ip_bytes(d.send, end.datagram_overhead)) * 8 / secs;
  }
  return d;
}

uint64_t ip_bytes(const SendCounters& c, uint32_t datagram_overhead) noexcept {
  return c.bytes_sent + c.packets_sent * datagram_overhead;
}

Snapshot snapshot_of(const SendMetrics& metrics, uint32_t datagram_overhead) noexcept {
  Snapshot s;
  s.datagram_overhead = datagram_overhead;
  s.send = metrics.load();
  s.monotonic_time = std::chrono::steady_clock::now();
  s.wall_time = std::chrono::system_clock::now();
  s.active_publications = 1;
  return s;
}

double unix_seconds(std::chrono::system_clock::time_point t) noexcept {
  // Microsecond resolution (a double holds ~0.2 us at today's epoch): an
  // exact integer divided once, so 1779999999.123 prints as such.
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch());
  return static_cast<double>(us.count()) / 1e6;
}

std::optional<Delta> Sampler::sample(const Snapshot& now) noexcept {
  std::optional<Delta> out;
  if (prev_) out = make_delta(*prev_, now);
  prev_ = now;
  return out;
}

}  // namespace mctx
