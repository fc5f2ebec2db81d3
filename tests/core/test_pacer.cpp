// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Pacer arithmetic, on a fake clock: wire time per datagram, the burst that
// an idle sender may send at once, the wait it is told, no catching up after
// a late wake-up beyond the burst.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "udp/pacing.hpp"  // internal

namespace mctx {
namespace {

using namespace std::chrono_literals;
using Tp = Pacer::clock::time_point;

TEST(Pacer, UnpacedAdmitsEverythingAndNeverWaits) {
  Pacer p;
  EXPECT_FALSE(p.enabled());
  EXPECT_EQ(p.admissible(1000, Tp(1s), [](std::size_t) { return 1500; }), 1000u);
  p.consume(1500, Tp(1s));
  EXPECT_EQ(p.delay(Tp(1s)).count(), 0);
}

TEST(Pacer, CostIsTheWireTimeAtTheRate) {
  const Pacer p(20'000'000);  // 20 Mbit/s
  EXPECT_EQ(p.cost(ip_datagram_size(1316, false)), 537600ns);  // 1344 B = 10752 bits
  EXPECT_EQ(p.cost(ip_datagram_size(1316, true)), 545600ns);   // + 20 B of IPv6 header
  EXPECT_EQ(Pacer(3).cost(1), 2666666667ns);                   // rounded up
}

TEST(Pacer, IdleSenderMayBurstAboutOneMillisecond) {
  Pacer p(20'000'000);
  const Tp t0(10s);
  const auto size = [](std::size_t) { return std::size_t{1344}; };  // 0.5376 ms each
  // tat starts in the past: the first datagram goes, then up to 1 ms ahead.
  const std::size_t k = p.admissible(64, t0, size);
  EXPECT_EQ(k, 2u);  // at t0 and t0 + 0.54 ms <= t0 + 1 ms
  for (std::size_t i = 0; i < k; ++i) p.consume(1344, t0);
  EXPECT_EQ(p.delay(t0), 2 * 537600ns - 1ms);
  EXPECT_EQ(p.admissible(64, t0, size), 0u);
  // After the wait exactly one more fits.
  const Tp t1 = t0 + p.delay(t0);
  EXPECT_EQ(p.admissible(64, t1, size), 1u);
}

TEST(Pacer, SteadyStateFollowsTheRate) {
  Pacer p(20'000'000);
  Tp t(5s);
  std::size_t sent = 0;
  const Tp end = t + 1s;
  while (t < end) {
    const std::size_t k = p.admissible(64, t, [](std::size_t) { return std::size_t{1344}; });
    for (std::size_t i = 0; i < k; ++i) p.consume(1344, t);
    sent += k;
    t += p.delay(t) + 1ns;
  }
  // 1 s at 20 Mbit/s: 1860.1 datagrams of 1344 B, plus the initial burst.
  EXPECT_GE(sent, 1860u);
  EXPECT_LE(sent, 1863u);
}

TEST(Pacer, IdleLongerThanTheCatchUpGivesNoCredit) {
  Pacer p(20'000'000);
  const Tp t0(1s);
  const auto size = [](std::size_t) { return std::size_t{1344}; };
  p.consume(1344, t0);
  // 100 ms later: idle, not late: 1 ms worth, as after a start.
  EXPECT_EQ(p.admissible(64, t0 + 100ms, size), 2u);
}

// A sender that wakes up 20 ms late keeps its average: it catches up at no
// more than 1.2 x the rate, in bursts of 1 ms, and no 10 ms window goes
// above 1.32 x the rate.
TEST(Pacer, LateWakeUpCatchesUpAtThePeakRate) {
  Pacer p(20'000'000);
  Tp t(5s);
  const Tp start = t;
  std::vector<Tp> sent;
  bool stalled = false;
  while (t < start + 1s) {
    const std::size_t k = p.admissible(64, t, [](std::size_t) { return std::size_t{1344}; });
    for (std::size_t i = 0; i < k; ++i) {
      p.consume(1344, t);
      sent.push_back(t);
    }
    t += p.delay(t) + 1ns;
    if (!stalled && t > start + 300ms) {
      t += 20ms;
      stalled = true;
    }
  }
  EXPECT_GE(sent.size(), 1860u);
  EXPECT_LE(sent.size(), 1863u);
  std::size_t worst = 0;
  for (std::size_t i = 0, j = 0; i < sent.size(); ++i) {
    while (j < sent.size() && sent[j] < sent[i] + 10ms) ++j;
    worst = std::max(worst, j - i);
  }
  // 10 ms at 20 Mbit/s: 18.6 datagrams of 1344 B; 1.32 x: 24.6.
  EXPECT_GE(worst, 21u);  // it did catch up faster than the rate
  EXPECT_LE(worst, 25u);
}

// The peak bucket (1.2 x the rate) saturates at the top of the range: a
// datagram never waits longer than its wire time at the rate, less the
// burst. 1.2 x 15372286728091293100 wrapped to about 100 bit/s (a wait of
// two minutes per datagram).
TEST(Pacer, PeakBucketSaturatesAtTheTopOfTheRange) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const Tp t0(10s);
  for (const uint64_t rate :
       {uint64_t{1}, uint64_t{99}, uint64_t{20'000'000}, kMax / 120 * 100, kMax / 120 * 100 + 100,
        uint64_t{15372286728091293100u}, kMax / 100 * 99, kMax - 1, kMax}) {
    Pacer p(rate);
    ASSERT_TRUE(p.enabled());
    p.consume(1344, t0);
    const auto expected = std::max(p.cost(1344) - p.burst(), std::chrono::nanoseconds(0));
    EXPECT_EQ(p.delay(t0), expected) << "rate " << rate;
    if (rate >= 1'000'000'000'000) {  // 1000 datagrams take at most 11 us
      EXPECT_EQ(p.admissible(1000, t0, [](std::size_t) { return std::size_t{1344}; }), 1000u)
          << "rate " << rate;
    }
  }
}

}  // namespace
}  // namespace mctx
