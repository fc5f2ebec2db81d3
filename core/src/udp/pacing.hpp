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
//   burst     1 ms: no burst holds more than about a millisecond at the
//             peak rate (plus the datagram that starts it).
//   peak      1.2 x rate, to catch up at most `catch_up` (50 ms): a sender
//             that came back late (a loaded machine wakes a sleeper late by
//             milliseconds) makes the time up at no more than the peak, so
//             the stream keeps its average rate without a burst. A sender
//             that was idle for longer starts afresh (no credit). Over 10 ms
//             at most about 1.32 x rate go out.

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

  Pacer() noexcept = default;  // unpaced
  explicit Pacer(uint64_t bits_per_second, std::chrono::nanoseconds burst = kDefaultBurst,
                 std::chrono::nanoseconds catch_up = kDefaultCatchUp) noexcept;

  bool enabled() const noexcept { return rate_ != 0; }
  uint64_t rate() const noexcept { return rate_; }
  std::chrono::nanoseconds burst() const noexcept { return std::chrono::nanoseconds(burst_ns_); }

  // The wire time of `ip_bytes` at the rate.
  std::chrono::nanoseconds cost(std::size_t ip_bytes) const noexcept;

  // How long from `now` until the next datagram may go (0: now), whatever
  // its size: its cost is charged when it goes.
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
