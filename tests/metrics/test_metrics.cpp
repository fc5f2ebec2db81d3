// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Counters, deltas, rates, samplers, and the sequence-lock consistency of
// SendMetrics under concurrent writers and readers.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include "mctx/metrics.hpp"

namespace {

using namespace std::chrono_literals;
using mctx::Delta;
using mctx::SendCounters;
using mctx::SendMetrics;
using mctx::Snapshot;

Snapshot snap(std::chrono::nanoseconds at, SendCounters c, uint64_t added = 0, uint64_t removed = 0,
              uint64_t active = 0) {
  Snapshot s;
  s.monotonic_time = std::chrono::steady_clock::time_point(at);
  s.wall_time = std::chrono::system_clock::time_point(
      std::chrono::seconds(1'700'000'000) +
      std::chrono::duration_cast<std::chrono::microseconds>(at));
  s.send = c;
  s.publications_added = added;
  s.publications_removed = removed;
  s.active_publications = active;
  return s;
}

SendCounters counters(uint64_t calls, uint64_t packets, uint64_t bytes, uint64_t errors = 0,
                      uint64_t wb = 0) {
  SendCounters c;
  c.send_calls = calls;
  c.packets_sent = packets;
  c.bytes_sent = bytes;
  c.send_errors = errors;
  c.would_block = wb;
  return c;
}

// ------------------------------------------------------------ counters

TEST(SendMetrics, StartsAtZero) {
  SendMetrics m;
  EXPECT_EQ(m.load(), SendCounters{});
}

TEST(SendMetrics, RecordSendCountsOneCallAndItsPacketsAndBytes) {
  SendMetrics m;
  m.record_send(1, 1200);
  m.record_send(8, 8 * 1316);  // a batch of 8 in one call
  EXPECT_EQ(m.load(), counters(2, 9, 1200 + 8 * 1316));
}

TEST(SendMetrics, RecordSendWithPartialBatchErrors) {
  SendMetrics m;
  m.record_send(5, 500, 3);
  EXPECT_EQ(m.load(), counters(1, 5, 500, 3));
}

TEST(SendMetrics, RecordErrorCountsACallAndAnError) {
  SendMetrics m;
  m.record_error();
  m.record_error();
  EXPECT_EQ(m.load(), counters(2, 0, 0, 2));
}

TEST(SendMetrics, WouldBlockIsNeitherACallNorAnError) {
  SendMetrics m;
  m.record_would_block();
  m.record_would_block();
  m.record_would_block();
  EXPECT_EQ(m.load(), counters(0, 0, 0, 0, 3));
}

TEST(SendMetrics, AddFoldsAWholeSetInOneUpdate) {
  SendMetrics m;
  m.record_send(1, 10);
  m.add(counters(3, 4, 50, 1, 2));
  EXPECT_EQ(m.load(), counters(4, 5, 60, 1, 2));
}

TEST(SendMetrics, SnapshotOfAPublication) {
  SendMetrics m;
  m.record_send(2, 200);
  const auto before_wall = std::chrono::system_clock::now();
  const auto before_mono = std::chrono::steady_clock::now();
  Snapshot s = mctx::snapshot_of(m);
  EXPECT_EQ(s.send, counters(1, 2, 200));
  EXPECT_EQ(s.active_publications, 1u);
  EXPECT_EQ(s.publications_added, 0u);
  EXPECT_EQ(s.publications_removed, 0u);
  EXPECT_GE(s.monotonic_time, before_mono);
  EXPECT_GE(s.wall_time, before_wall);
}

// ------------------------------------------------------------ deltas and rates

TEST(Delta, CountersAndRatesOverTheMonotonicInterval) {
  const Snapshot a = snap(10s, counters(100, 100, 64000, 1, 5), 1, 0, 1);
  const Snapshot b = snap(12s, counters(120, 130, 83200, 3, 9), 2, 1, 1);
  const Delta d = mctx::make_delta(a, b);
  EXPECT_EQ(d.interval, 2s);
  EXPECT_EQ(d.send, counters(20, 30, 19200, 2, 4));
  EXPECT_EQ(d.publications_added, 1u);
  EXPECT_EQ(d.publications_removed, 1u);
  EXPECT_DOUBLE_EQ(d.send_calls_per_sec, 10.0);
  EXPECT_DOUBLE_EQ(d.packets_per_sec, 15.0);
  EXPECT_DOUBLE_EQ(d.bytes_per_sec, 9600.0);
  EXPECT_DOUBLE_EQ(d.send_errors_per_sec, 1.0);
  EXPECT_EQ(d.start.send, a.send);
  EXPECT_EQ(d.end.send, b.send);
}

TEST(Delta, SubSecondInterval) {
  const Delta d = mctx::make_delta(snap(0ms, counters(0, 0, 0)), snap(250ms, counters(5, 5, 500)));
  EXPECT_DOUBLE_EQ(d.packets_per_sec, 20.0);
  EXPECT_DOUBLE_EQ(d.bytes_per_sec, 2000.0);
}

TEST(Delta, SaturatesWhenACounterWentBackwards) {
  const Snapshot a = snap(1s, counters(10, 10, 1000, 4, 4), 3, 2, 1);
  const Snapshot b = snap(2s, counters(5, 12, 900, 0, 9), 1, 2, 0);
  const Delta d = mctx::make_delta(a, b);
  EXPECT_EQ(d.send.send_calls, 0u);
  EXPECT_EQ(d.send.packets_sent, 2u);
  EXPECT_EQ(d.send.bytes_sent, 0u);
  EXPECT_EQ(d.send.send_errors, 0u);
  EXPECT_EQ(d.send.would_block, 5u);
  EXPECT_EQ(d.publications_added, 0u);
  EXPECT_EQ(d.publications_removed, 0u);
  EXPECT_DOUBLE_EQ(d.send_calls_per_sec, 0.0);
  EXPECT_DOUBLE_EQ(d.packets_per_sec, 2.0);
}

TEST(Delta, SaturatesAtTheTopOfTheRange) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  const Delta d =
      mctx::make_delta(snap(0s, counters(0, 0, 0)), snap(1s, counters(max, max, max, max, max)));
  EXPECT_EQ(d.send.bytes_sent, max);
  EXPECT_GT(d.bytes_per_sec, 1e19);
}

TEST(Delta, ZeroOrNegativeIntervalGivesZeroRates) {
  const Snapshot a = snap(5s, counters(1, 1, 100));
  const Snapshot b = snap(5s, counters(3, 3, 300));
  Delta d = mctx::make_delta(a, b);
  EXPECT_EQ(d.interval, 0ns);
  EXPECT_EQ(d.send.packets_sent, 2u);
  EXPECT_DOUBLE_EQ(d.packets_per_sec, 0.0);
  EXPECT_DOUBLE_EQ(d.bytes_per_sec, 0.0);

  // Snapshots passed in the wrong order: interval clamps to 0.
  d = mctx::make_delta(snap(6s, counters(3, 3, 300)), snap(5s, counters(4, 4, 400)));
  EXPECT_EQ(d.interval, 0ns);
  EXPECT_DOUBLE_EQ(d.send_calls_per_sec, 0.0);
}

TEST(Delta, RatesIgnoreTheWallClock) {
  // The wall clock jumped back an hour between the snapshots; the monotonic
  // interval (1 s) still drives the rates.
  Snapshot a = snap(100s, counters(0, 0, 0));
  Snapshot b = snap(101s, counters(10, 10, 1000));
  b.wall_time = a.wall_time - std::chrono::hours(1);
  const Delta d = mctx::make_delta(a, b);
  EXPECT_EQ(d.interval, 1s);
  EXPECT_DOUBLE_EQ(d.packets_per_sec, 10.0);
}

TEST(SaturatingDifference, PerCounter) {
  EXPECT_EQ(mctx::saturating_difference(counters(5, 6, 7, 8, 9), counters(1, 7, 3, 8, 10)),
            counters(4, 0, 4, 0, 0));
}

TEST(UnixSeconds, KeepsFractions) {
  const auto t =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'779'999'999'123));
  EXPECT_NEAR(mctx::unix_seconds(t), 1779999999.123, 1e-6);
  EXPECT_DOUBLE_EQ(mctx::unix_seconds(std::chrono::system_clock::time_point{}), 0.0);
}

// ------------------------------------------------------------ sampler

TEST(Sampler, FirstSampleHasNoDelta) {
  mctx::Sampler s;
  EXPECT_FALSE(s.previous().has_value());
  EXPECT_FALSE(s.sample(snap(1s, counters(1, 1, 10))).has_value());
  ASSERT_TRUE(s.previous().has_value());
  EXPECT_EQ(s.previous()->send.packets_sent, 1u);
}

TEST(Sampler, EachCallReturnsTheDeltaSinceThePreviousOne) {
  mctx::Sampler s;
  (void)s.sample(snap(1s, counters(1, 1, 10)));
  auto d1 = s.sample(snap(2s, counters(4, 4, 40)));
  ASSERT_TRUE(d1.has_value());
  EXPECT_EQ(d1->send.packets_sent, 3u);
  EXPECT_EQ(d1->interval, 1s);
  auto d2 = s.sample(snap(4s, counters(10, 10, 100)));
  ASSERT_TRUE(d2.has_value());
  EXPECT_EQ(d2->send.packets_sent, 6u);
  EXPECT_EQ(d2->interval, 2s);
  EXPECT_DOUBLE_EQ(d2->packets_per_sec, 3.0);
  // Deltas chain: their sum is the total change.
  EXPECT_EQ(d1->send.bytes_sent + d2->send.bytes_sent, 90u);
}

TEST(Sampler, ResetStartsOver) {
  mctx::Sampler s;
  (void)s.sample(snap(1s, counters(1, 1, 10)));
  s.reset();
  EXPECT_FALSE(s.previous().has_value());
  EXPECT_FALSE(s.sample(snap(2s, counters(2, 2, 20))).has_value());
}

TEST(Sampler, WorksWithLiveSnapshots) {
  SendMetrics m;
  mctx::Sampler s;
  EXPECT_FALSE(s.sample(mctx::snapshot_of(m)).has_value());
  for (int i = 0; i < 10; ++i) m.record_send(1, 100);
  std::this_thread::sleep_for(20ms);  // the interval under test: 20 ms pass between samples
  auto d = s.sample(mctx::snapshot_of(m));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->send, counters(10, 10, 1000));
  EXPECT_GE(d->interval, 20ms);
  EXPECT_GT(d->packets_per_sec, 0.0);
  EXPECT_LE(d->packets_per_sec, 10.0 / 0.020);
}

// ------------------------------------------------------------ consistency

// One writer thread doing record_send(1, 100), one reader snapshotting: every
// snapshot must satisfy bytes == 100 * packets == 100 * calls, and counters
// never go backwards. The writer goes on until the reader has seen the
// counters change many times, so the two really overlapped even on a busy
// machine.
TEST(SendMetricsStress, OneWriterOneReaderEverySnapshotCoherent) {
  SendMetrics m;
  constexpr uint64_t kMinSends = 1'000'000;
  constexpr uint64_t kMinChanges = 2'000;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> changes{0};
  uint64_t snapshots = 0, torn = 0, backwards = 0, writes = 0;

  std::thread reader([&] {
    SendCounters prev{};
    while (!done.load(std::memory_order_acquire)) {
      const SendCounters c = m.load();
      ++snapshots;
      if (c.bytes_sent != 100 * c.packets_sent || c.packets_sent != c.send_calls ||
          c.send_errors != 0) {
        ++torn;
      }
      if (c.send_calls < prev.send_calls) ++backwards;
      if (c.send_calls != prev.send_calls) changes.fetch_add(1, std::memory_order_relaxed);
      prev = c;
    }
  });
  std::thread writer([&] {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (writes < kMinSends || changes.load(std::memory_order_relaxed) < kMinChanges) {
      for (int k = 0; k < 1000; ++k) m.record_send(1, 100);
      writes += 1000;
      if (std::chrono::steady_clock::now() > deadline) break;
    }
    done.store(true, std::memory_order_release);
  });
  writer.join();
  reader.join();

  std::printf("writes: %llu, snapshots: %llu, changes seen: %llu, torn: %llu, backwards: %llu\n",
              static_cast<unsigned long long>(writes), static_cast<unsigned long long>(snapshots),
              static_cast<unsigned long long>(changes.load()),
              static_cast<unsigned long long>(torn), static_cast<unsigned long long>(backwards));
  EXPECT_EQ(torn, 0u);
  EXPECT_EQ(backwards, 0u);
  // The test only proves something if snapshots overlapped the writing.
  EXPECT_GE(changes.load(), kMinChanges);
  EXPECT_EQ(m.load(), counters(writes, writes, 100 * writes));
}

// Two writers serialise on the sequence word; mixed record functions keep
// their own invariants: calls == packets/3 + errors, bytes == 300 * (packets/3).
TEST(SendMetricsStress, TwoWritersMixedRecordsOneReader) {
  SendMetrics m;
  constexpr uint64_t kPerWriter = 500'000;
  std::atomic<int> writers_left{2};
  uint64_t snapshots = 0, torn = 0;

  auto writer = [&](bool with_errors) {
    for (uint64_t i = 0; i < kPerWriter; ++i) {
      if (with_errors && i % 4 == 0) {
        m.record_error();
      } else if (with_errors && i % 4 == 1) {
        m.record_would_block();
      } else {
        m.record_send(3, 300);
      }
    }
    writers_left.fetch_sub(1, std::memory_order_release);
  };
  std::thread reader([&] {
    while (writers_left.load(std::memory_order_acquire) > 0) {
      const SendCounters c = m.load();
      ++snapshots;
      const uint64_t good_calls = c.packets_sent / 3;
      if (c.packets_sent % 3 != 0 || c.bytes_sent != 300 * good_calls ||
          c.send_calls != good_calls + c.send_errors) {
        ++torn;
      }
    }
  });
  std::thread w1(writer, false);
  std::thread w2(writer, true);
  w1.join();
  w2.join();
  reader.join();

  const uint64_t errors = kPerWriter / 4;
  const uint64_t wb = kPerWriter / 4;
  const uint64_t good = kPerWriter + (kPerWriter - errors - wb);
  std::printf("snapshots taken: %llu, torn: %llu\n", static_cast<unsigned long long>(snapshots),
              static_cast<unsigned long long>(torn));
  EXPECT_EQ(torn, 0u);
  EXPECT_EQ(m.load(), counters(good + errors, 3 * good, 300 * good, errors, wb));
}

// add() of a whole set is one update too.
TEST(SendMetricsStress, AddIsAtomicForReaders) {
  SendMetrics m;
  std::atomic<bool> done{false};
  uint64_t torn = 0;
  std::thread reader([&] {
    while (!done.load(std::memory_order_acquire)) {
      const SendCounters c = m.load();
      if (c.packets_sent != 2 * c.send_calls || c.bytes_sent != 7 * c.send_calls ||
          c.send_errors != c.send_calls || c.would_block != 5 * c.send_calls) {
        ++torn;
      }
    }
  });
  for (int i = 0; i < 500'000; ++i) m.add(counters(1, 2, 7, 1, 5));
  done.store(true, std::memory_order_release);
  reader.join();
  EXPECT_EQ(torn, 0u);
  EXPECT_EQ(m.load().send_calls, 500'000u);
}

}  // namespace
