// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "udp/pacing.hpp"

#include <algorithm>
#include <limits>

namespace mctx {

namespace {

// kPeakPercent of the rate, saturated: past about 1.5e19 bit/s the product
// does not fit (it would wrap to a few bits per second).
uint64_t peak_of(uint64_t rate) noexcept {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  constexpr uint64_t k = Pacer::kPeakPercent;
  const uint64_t q = rate / 100;
  if (q > (kMax - 99 * k / 100) / k) return kMax;
  return q * k + rate % 100 * k / 100;
}

}  // namespace

Pacer::Pacer(uint64_t bits_per_second, std::chrono::nanoseconds burst,
             std::chrono::nanoseconds catch_up) noexcept
    : rate_(bits_per_second),
      peak_rate_(peak_of(bits_per_second)),
      burst_ns_(std::max<int64_t>(
          burst.count(), std::min<int64_t>(cost_at((kMinBurstDatagrams - 1) * kFullDatagramBytes,
                                                   bits_per_second),
                                           kMaxBurstFloor.count()))),
      catch_up_ns_(std::max<int64_t>(catch_up.count(), burst_ns_)) {}

int64_t Pacer::cost_at(std::size_t ip_bytes, uint64_t rate) noexcept {
  if (rate == 0) return 0;
  // bits * 1e9 / rate, rounded up. Datagrams are at most 64 KiB: sizes past
  // 1 GiB (never sent) are clamped so that the product cannot overflow.
  constexpr uint64_t kMaxBytes = uint64_t{1} << 30;
  const uint64_t bytes = ip_bytes < kMaxBytes ? ip_bytes : kMaxBytes;
  const uint64_t num = bytes * 8u * 1'000'000'000u;
  return static_cast<int64_t>((num + rate - 1) / rate);
}

std::chrono::nanoseconds Pacer::cost(std::size_t ip_bytes) const noexcept {
  return std::chrono::nanoseconds(cost_at(ip_bytes, rate_));
}

std::chrono::nanoseconds Pacer::delay(clock::time_point now) const noexcept {
  if (rate_ == 0) return std::chrono::nanoseconds(0);
  // Held back (ahead of the rate by more than the burst): wait until the
  // sender is back on schedule, when a whole burst may go.
  const int64_t on_schedule = std::max(avg_.tat, peak_.tat);
  const int64_t t = ns(now);
  return std::chrono::nanoseconds(on_schedule - burst_ns_ > t ? on_schedule - t : 0);
}

void Pacer::consume(std::size_t ip_bytes, clock::time_point now) noexcept {
  if (rate_ == 0) return;
  const int64_t t = ns(now);
  avg_.advance(t, cost_at(ip_bytes, rate_), catch_up_ns_);
  peak_.advance(t, cost_at(ip_bytes, peak_rate_), 0);
}

}  // namespace mctx
