// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Pacer: two token buckets over bits at the IP level, each kept as a
// theoretical arrival time (the generic cell rate algorithm, GCRA). It never
// sleeps and never owns a thread: it tells the caller how long to wait
// before the next datagram may go, so that the caller can wait in whatever
// way it can interrupt (a GStreamer element in its own poll, an application
// in its event loop). See docs/performance.md, "Pacing".
//
//   rate      bits per second on the wire at the IP level: every datagram
//             costs (payload + 8 UDP + 20 IPv4 / 40 IPv6 header bytes) * 8
//             bits; 0 = unpaced. Over any interval of `catch_up` or more
//             the sender stays at or below it.
//   burst     how far ahead of the rate a sender may be: the larger of 1 ms
//             and the wire time of kMinBurstDatagrams - 1 full-size
//             (kFullDatagramBytes) datagrams, that floor at most
//             kMaxBurstFloor (10 ms). A burst is the datagram that starts it
//             plus at most `burst` of wire time: at least 4 datagrams of up
//             to 1500 bytes as long as they fit in 10 ms (above 3.6 Mbit/s),
//             about 1 ms of data from 36 Mbit/s up. fq sends a quantum of
//             2 x MTU per timer, TCP bursts of 1 ms with at least 2
//             segments (tcp_min_tso_segs); 4 halves the wake-ups again.
//   wake-up   a sender that is held back is told to wait until a whole
//             burst may go (it is back on the rate's schedule), not just the
//             next datagram: one wake-up per burst, not one per datagram.
//             Below about 32 Mbit/s 1 ms holds less than 4 datagrams of
//             1344 bytes; with the floor, 100 streams at 10 Mbit/s wake 23,000
//             times a second instead of 93,000.
//   peak      1.2 x rate, to catch up at most `catch_up` (50 ms): a sender
//             that came back late (a loaded machine wakes a sleeper late by
//             milliseconds) makes the time up at no more than the peak, so
//             the stream keeps its average rate without a burst. A sender
//             that was idle for longer starts afresh (no credit).
//
// The busiest window: over any L, a sender on schedule sends at most
// rate * (L + burst) plus one datagram; catching up, at most 1.2 x that.
// At 10 Mbit/s (burst 3.6 ms), 10 ms hold at most 1.47 x the rate's worth of
// 1344-byte datagrams on schedule, 1.74 x catching up; at 20 Mbit/s (1.8 ms)
// 1.23 x and 1.47 x; from 36 Mbit/s up (1 ms) 1.1 x and 1.32 x plus one
// datagram.

#include <chrono>
#include <cstddef>
#include <cstdint>


namespace mctx {

class Pacer {
 public:
  using clock = std::chrono::steady_clock;

  static constexpr std::chrono::nanoseconds kDefaultBurst{1'000'000};      // 1 ms
  static constexpr std::chrono::nanoseconds kDefaultCatchUp{50'000'000};   // 50 ms
  static constexpr uint64_t kPeakPercent = 120;                            // of the rate
  // The burst floor: the wire time of kMinBurstDatagrams - 1 datagrams of
  // kFullDatagramBytes (IP level) after the one that starts the burst, at
  // most kMaxBurstFloor.
  static constexpr std::size_t kMinBurstDatagrams = 4;
  static constexpr std::size_t kFullDatagramBytes = 1500;
  static constexpr std::chrono::nanoseconds kMaxBurstFloor{10'000'000};    // 10 ms

  Pacer() noexcept = default;  // unpaced
  explicit Pacer(uint64_t bits_per_second, std::chrono::nanoseconds burst = kDefaultBurst,
                 std::chrono::nanoseconds catch_up = kDefaultCatchUp) noexcept;

  bool enabled() const noexcept { return rate_ != 0; }
  uint64_t rate() const noexcept { return rate_; }
  std::chrono::nanoseconds burst() const noexcept { return std::chrono::nanoseconds(burst_ns_); }

  // The wire time of `ip_bytes` at the rate.
  std::chrono::nanoseconds cost(std::size_t ip_bytes) const noexcept;

  // 0 when a datagram may go at `now`, whatever its size (its cost is
  // charged when it goes); otherwise how long until a whole burst may go.
  std::chrono::nanoseconds delay(clock::time_point now) const noexcept;

  // Records a datagram of `ip_bytes` that went out at `now`.
  void consume(std::size_t ip_bytes, clock::time_point now) noexcept;

  // How many of the datagrams whose IP sizes `ip_size(i)` gives (i in
  // [0, count)) may go now, one after the other; records nothing.
  template <class IpSize>
  std::size_t admissible(std::size_t count, clock::time_point now, IpSize&& ip_size) const noexcept {
    if (rate_ == 0) return count;
    Gcra avg = avg_;
    Gcra peak = peak_;
    const int64_t t = ns(now);
    std::size_t k = 0;
    for (; k < count; ++k) {
      if (t < avg.tat - burst_ns_ || t < peak.tat - burst_ns_) break;
      const std::size_t b = ip_size(k);
      avg.advance(t, cost_at(b, rate_), catch_up_ns_);
      peak.advance(t, cost_at(b, peak_rate_), 0);
    }
    return k;
  }

 private:
  // One bucket: the theoretical arrival time of the next datagram. A sender
  // that is behind it by at most `lag` keeps its place (and catches up); one
  // further behind was idle and starts afresh at t.
  struct Gcra {
    int64_t tat = 0;
    void advance(int64_t t, int64_t cost, int64_t lag) noexcept {
      tat = (tat >= t - lag ? tat : t) + cost;
    }
  };
  static int64_t ns(clock::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }
  static int64_t cost_at(std::size_t ip_bytes, uint64_t rate) noexcept;
  uint64_t rate_ = 0;
  uint64_t peak_rate_ = 0;
  int64_t burst_ns_ = 0;
  int64_t catch_up_ns_ = 0;
  Gcra avg_;
  Gcra peak_;
};

// The IP-level size of a UDP datagram with `payload` bytes.
inline constexpr std::size_t ip_datagram_size(std::size_t payload, bool ipv6) noexcept {
  return payload + 8 + (ipv6 ? 40 : 20);
}

}  // namespace mctx
