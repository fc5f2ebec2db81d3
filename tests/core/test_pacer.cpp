// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Pacer arithmetic, on a fake clock: wire time per datagram, the burst that
// an idle sender may send at once, the wait it is told, no catching up after
// a late wake-up beyond the burst, one wake-up per burst (not per datagram)
// and the busiest 10 ms window.

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

TEST(Pacer, BurstIsOneMillisecondOrFourFullDatagrams) {
  // The floor: 3 x 1500 B after the first datagram, 36,000 bits.
  EXPECT_EQ(Pacer(100'000'000).burst(), 1ms);        // 0.36 ms < 1 ms
  EXPECT_EQ(Pacer(36'000'000).burst(), 1ms);
  EXPECT_EQ(Pacer(20'000'000).burst(), 1800us);
  EXPECT_EQ(Pacer(5'000'000).burst(), 7200us);
  EXPECT_EQ(Pacer(3'600'000).burst(), 10ms);
  EXPECT_EQ(Pacer(1'000'000).burst(), 10ms);         // the floor stops at 10 ms
  EXPECT_EQ(Pacer(20'000'000, 5ms).burst(), 5ms);    // a longer burst is kept
}

TEST(Pacer, IdleSenderMayBurstItsBurst) {
  Pacer p(20'000'000);  // burst 1.8 ms
  const Tp t0(10s);
  const auto size = [](std::size_t) { return std::size_t{1344}; };  // 0.5376 ms each
  // tat starts in the past: the first datagram goes, then up to 1.8 ms ahead.
  const std::size_t k = p.admissible(64, t0, size);
  EXPECT_EQ(k, 4u);  // at t0 + 0, 0.54, 1.08, 1.61 ms <= t0 + 1.8 ms
  for (std::size_t i = 0; i < k; ++i) p.consume(1344, t0);
  // Held back: it waits until a whole burst may go (back on the rate's
  // schedule), not until the next datagram may.
  EXPECT_EQ(p.delay(t0), 4 * 537600ns);
  EXPECT_EQ(p.admissible(64, t0, size), 0u);
  const Tp t1 = t0 + p.delay(t0);
  EXPECT_EQ(p.delay(t1).count(), 0);
  EXPECT_EQ(p.admissible(64, t1, size), 4u);
}

TEST(Pacer, NotHeldBackNeverWaits) {
  Pacer p(20'000'000);
  const Tp t0(10s);
  for (int i = 0; i < 3; ++i) p.consume(1344, t0);  // 1.61 ms ahead, within the burst
  EXPECT_EQ(p.delay(t0).count(), 0);
  p.consume(1344, t0);  // 2.15 ms ahead
  EXPECT_EQ(p.delay(t0), 4 * 537600ns);
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
  // 1 s at 20 Mbit/s: 1860.1 datagrams of 1344 B, plus the initial burst
  // (1.8 ms: 3.3 more).
  EXPECT_GE(sent, 1860u);
  EXPECT_LE(sent, 1864u);
}

TEST(Pacer, IdleLongerThanTheCatchUpGivesNoCredit) {
  Pacer p(20'000'000);
  const Tp t0(1s);
  const auto size = [](std::size_t) { return std::size_t{1344}; };
  p.consume(1344, t0);
  // 100 ms later: idle, not late: one burst (1.8 ms) worth, as after a start.
  EXPECT_EQ(p.admissible(64, t0 + 100ms, size), 4u);
}

// A sender that wakes up 20 ms late keeps its average: it catches up at no
// more than 1.2 x the rate, in bursts of 1.8 ms, and no 10 ms window goes
// above 25 datagrams (1.34 x the rate; the bound, udp/pacing.hpp, is 1.47 x).
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
  EXPECT_LE(sent.size(), 1864u);  // as in SteadyStateFollowsTheRate
  std::size_t worst = 0;
  for (std::size_t i = 0, j = 0; i < sent.size(); ++i) {
    while (j < sent.size() && sent[j] < sent[i] + 10ms) ++j;
    worst = std::max(worst, j - i);
  }
  // 10 ms at 20 Mbit/s: 18.6 datagrams of 1344 B; 1.47 x: 27.3.
  EXPECT_GE(worst, 21u);  // it did catch up faster than the rate
  EXPECT_LE(worst, 25u);
}

// A sender with a backlog (lists of 64 as fast as it is let), on a fake
// clock: it sends what admissible() allows, then sleeps delay(), waking
// `late(i)` after it. Records every send time and counts the sleeps.
struct Sends {
  std::vector<Tp> sent;
  std::size_t sleeps = 0;
};

template <class Late>
Sends backlog(Pacer& p, Tp start, std::chrono::nanoseconds length, Late&& late) {
  Sends r;
  Tp t = start;
  const auto size = [](std::size_t) { return std::size_t{1344}; };
  while (t < start + length) {
    const std::size_t k = p.admissible(64, t, size);
    for (std::size_t i = 0; i < k; ++i) {
      p.consume(1344, t);
      r.sent.push_back(t);
    }
    const auto d = p.delay(t);
    EXPECT_GT(d.count(), 0) << "a sender with a backlog is held back after what it may send";
    t += d + late(r.sleeps);
    ++r.sleeps;
  }
  return r;
}

// The most datagrams in any 10 ms window.
std::size_t busiest_10ms(const std::vector<Tp>& sent) {
  std::size_t worst = 0;
  for (std::size_t i = 0, j = 0; i < sent.size(); ++i) {
    while (j < sent.size() && sent[j] < sent[i] + 10ms) ++j;
    worst = std::max(worst, j - i);
  }
  return worst;
}

// At 5 Mbit/s a datagram of 1344 B is 2.15 ms on the wire: 1 ms bursts would
// wake the sender once per datagram (465 times a second). Bursts of at least
// 4 datagrams: at most rate / (4 x 10752 bits) = 116.3 sleeps a second, the
// average rate exact, and no 10 ms window above rate x (10 ms + burst) plus
// one datagram (8 datagrams: 1.72 x the rate).
TEST(Pacer, BacklogWakesOncePerBurstOfFourAtFiveMegabits) {
  constexpr uint64_t kRate = 5'000'000;
  Pacer p(kRate);
  const Sends r = backlog(p, Tp(5s), 10s, [](std::size_t) { return 0ns; });
  const double seconds = 10;
  EXPECT_LE(static_cast<double>(r.sleeps), seconds * kRate / (4.0 * 10752) + 1);  // 1163.3 (+ the end)
  // The average: 10 s at 5 Mbit/s are 4650.3 datagrams, plus the first burst.
  EXPECT_GE(r.sent.size(), 4650u);
  EXPECT_LE(r.sent.size(), 4650u + 4);
  const double bound = (kRate * 0.0172 + 10752) / 10752;  // 10 ms + 7.2 ms burst
  EXPECT_LE(static_cast<double>(busiest_10ms(r.sent)), bound);
  EXPECT_EQ(busiest_10ms(r.sent), 8u);
}

// Over the range of rates, on time and late (by up to 0.1 ms, one wake-up
// in ten by up to 3 ms: a loaded machine): sleeps per second at most
// rate / (bits of a full burst), the average within one burst of exact
// (late: and 10 ms), the busiest 10 ms window within the documented bound (on time: rate x (10 ms + burst) + one datagram; late,
// catching up at the peak: 1.2 x that).
TEST(Pacer, WakeUpsAndBusiestWindowOverTheRange) {
  for (const uint64_t rate : {uint64_t{1'000'000}, uint64_t{5'000'000}, uint64_t{10'000'000},
                              uint64_t{20'000'000}, uint64_t{100'000'000}}) {
    for (const bool late : {false, true}) {
      Pacer p(rate);
      const int64_t cost = p.cost(1344).count();
      const int64_t burst = p.burst().count();
      const std::size_t per_burst = static_cast<std::size_t>(burst / cost) + 1;
      uint32_t seed = 12345;
      const Sends r = backlog(p, Tp(5s), 10s, [&](std::size_t) {
        if (!late) return std::chrono::nanoseconds(0);
        seed = seed * 1664525u + 1013904223u;
        return std::chrono::nanoseconds(seed % 10 == 0 ? seed % 3'000'000 : seed % 100'000);
      });
      SCOPED_TRACE(::testing::Message() << "rate " << rate << (late ? ", late" : ", on time")
                                        << ", burst " << burst << " ns, " << per_burst
                                        << " datagrams");
      const double bits_per_burst = static_cast<double>(per_burst) * 10752;
      EXPECT_LE(static_cast<double>(r.sleeps), static_cast<double>(rate) * 10 / bits_per_burst + 1);
      const double expected = static_cast<double>(rate) * 10 / 10752;
      // Late, it may end some 10 ms behind: it catches up at 1.2 x the rate
      // while every tenth wake-up is up to 3 ms late.
      const double behind = late ? static_cast<double>(rate) * 0.010 / 10752 : 0;
      EXPECT_GE(static_cast<double>(r.sent.size()), expected - static_cast<double>(per_burst) - behind);
      EXPECT_LE(static_cast<double>(r.sent.size()), expected + static_cast<double>(per_burst));
      const double on_time = static_cast<double>(rate) * (0.010 + static_cast<double>(burst) / 1e9);
      const double bound = ((late ? 1.2 : 1.0) * on_time + 10752) / 10752;
      EXPECT_LE(static_cast<double>(busiest_10ms(r.sent)), bound);
    }
  }
}

// The peak bucket (1.2 x the rate) saturates at the top of the range: a
// datagram never waits longer than its wire time at the rate (and not at all
// when that fits in the burst). 1.2 x 15372286728091293100 wrapped to about
// 100 bit/s (a wait of two minutes per datagram).
TEST(Pacer, PeakBucketSaturatesAtTheTopOfTheRange) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const Tp t0(10s);
  for (const uint64_t rate :
       {uint64_t{1}, uint64_t{99}, uint64_t{20'000'000}, kMax / 120 * 100, kMax / 120 * 100 + 100,
        uint64_t{15372286728091293100u}, kMax / 100 * 99, kMax - 1, kMax}) {
    Pacer p(rate);
    ASSERT_TRUE(p.enabled());
    p.consume(1344, t0);
    const auto expected = p.cost(1344) > p.burst() ? p.cost(1344) : std::chrono::nanoseconds(0);
    EXPECT_EQ(p.delay(t0), expected) << "rate " << rate;
    if (rate >= 1'000'000'000'000) {  // 1000 datagrams take at most 11 us
      EXPECT_EQ(p.admissible(1000, t0, [](std::size_t) { return std::size_t{1344}; }), 1000u)
          << "rate " << rate;
    }
  }
}

}  // namespace
}  // namespace mctx
