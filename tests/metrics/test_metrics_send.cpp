// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Metrics on the real send path (runs inside scripts/mctx-netns): one thread
// sends through a Context, another snapshots the context and the
// publication while it runs. Every snapshot must be coherent, and the final
// totals must equal what a real receiver joined to the group got.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest_netns.hpp"
#include "mctx/mctx.hpp"
#include "receiver.hpp"
#include "values.hpp"
#include "wait.hpp"

namespace {

using namespace std::chrono_literals;

constexpr std::size_t kPayload = 100;

mctx::PublicationConfig loopback_config(uint16_t port) {
  return mctx::PublicationConfig(mctx::test::ip("239.255.42.1"), port)
      .with_interface(mctx::InterfaceSpec::name("lo"))
      .with_ttl(0);
}

// Sends `count` datagrams, waiting for POLLOUT on would-block (never drops).
void send_all_of(mctx::Context& ctx, mctx::PublicationId id, std::size_t count,
                 std::atomic<uint64_t>& failures) {
  std::vector<std::byte> payload(kPayload, std::byte{0x5a});
  const int fd = ctx.get(id)->fd();
  for (std::size_t i = 0; i < count;) {
    auto r = ctx.send(id, payload);
    if (r) {
      ++i;
    } else if (r.error().would_block()) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 100);
    } else {
      failures.fetch_add(1);
      ++i;
    }
  }
}

TEST(MetricsSendPath, SnapshotsStayCoherentWhileSending) {
  constexpr std::size_t kCount = 20'000;
  const uint16_t port = 47001;

  // The receiver drains in its own thread with a large buffer, so that the
  // count it sees can be compared with the counters.
  mctx::test::Receiver rx(mctx::test::ip("239.255.42.1"), port, mctx::test::ifindex("lo"));
  rx.set_buffer_size(16 << 20);
  std::atomic<uint64_t> received{0}, received_bytes{0};
  std::atomic<bool> stop_rx{false};
  std::thread drain([&] {
    while (!stop_rx.load()) {
      auto d = rx.receive(50ms);
      if (d) {
        received.fetch_add(1);
        received_bytes.fetch_add(d->payload.size());
      }
    }
    for (;;) {  // whatever is still queued
      auto d = rx.receive(200ms);
      if (!d) break;
      received.fetch_add(1);
      received_bytes.fetch_add(d->payload.size());
    }
  });

  mctx::Context ctx;
  auto id = ctx.add(loopback_config(port));
  ASSERT_TRUE(id) << id.error().what();
  const mctx::Publication* pub = ctx.get(*id);
  ASSERT_NE(pub, nullptr);

  std::atomic<bool> sending{true};
  std::atomic<uint64_t> failures{0};
  uint64_t snapshots = 0, torn = 0, backwards = 0, in_flight = 0;
  std::atomic<uint64_t> in_flight_seen{0};
  std::thread reader([&] {
    mctx::SendCounters prev{};
    while (sending.load(std::memory_order_acquire)) {
      const mctx::Snapshot c = ctx.snapshot();
      const mctx::Snapshot p = mctx::snapshot_of(pub->metrics());
      ++snapshots;
      for (const mctx::SendCounters& s : {c.send, p.send}) {
        // record_send(1, 100) per successful send; errors are whole calls.
        if (s.bytes_sent != kPayload * s.packets_sent ||
            s.send_calls != s.packets_sent + s.send_errors) {
          ++torn;
        }
      }
      if (c.send.send_calls < prev.send_calls) ++backwards;
      if (c.send.packets_sent != prev.packets_sent) {
        ++in_flight;
        in_flight_seen.store(in_flight, std::memory_order_relaxed);
      }
      if (c.active_publications != 1 || c.publications_added != 1) ++torn;
      prev = c.send;
    }
  });

  // Send at least kCount, and go on (up to 10x) until the reader has seen
  // the counters move while sending, however busy the machine is.
  uint64_t total = 0;
  do {
    send_all_of(ctx, *id, kCount / 10, failures);
    total += kCount / 10;
    // Let the receiver catch up before the next chunk: on a slow machine
    // (sanitizers) a sender that runs ahead overflows even a 16 MiB receive
    // buffer, and a datagram lost there would fail the exact count below.
    (void)mctx::test::wait_until([&] { return received.load() >= total; }, 10s);
  } while ((total < kCount || in_flight_seen.load() < 100) && total < 10 * kCount);
  sending.store(false, std::memory_order_release);
  reader.join();
  stop_rx.store(true);
  drain.join();

  const mctx::Snapshot end = ctx.snapshot();
  std::printf(
      "sent %llu, received %llu, snapshots %llu (%llu saw a change), torn %llu, "
      "would-block %llu\n",
      static_cast<unsigned long long>(end.send.packets_sent),
      static_cast<unsigned long long>(received.load()), static_cast<unsigned long long>(snapshots),
      static_cast<unsigned long long>(in_flight), static_cast<unsigned long long>(torn),
      static_cast<unsigned long long>(end.send.would_block));
  EXPECT_EQ(torn, 0u);
  EXPECT_EQ(backwards, 0u);
  EXPECT_GE(in_flight, 100u) << "snapshots did not overlap the sending";
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_EQ(end.send.packets_sent, total);
  EXPECT_EQ(end.send.bytes_sent, total * kPayload);
  EXPECT_EQ(end.send.send_errors, 0u);
  // Publication counters match the context totals for a single publication.
  const mctx::SendCounters pc = pub->metrics().load();
  EXPECT_EQ(pc.packets_sent, end.send.packets_sent);
  EXPECT_EQ(pc.bytes_sent, end.send.bytes_sent);
  EXPECT_EQ(pc.would_block, end.send.would_block);
  // And the receiver got exactly what the counters say went out.
  EXPECT_EQ(received.load(), end.send.packets_sent);
  EXPECT_EQ(received_bytes.load(), end.send.bytes_sent);
}

TEST(MetricsSendPath, ContextTotalsSurviveRemoval) {
  const uint16_t port = 47002;
  mctx::test::Receiver rx(mctx::test::ip("239.255.42.1"), port, mctx::test::ifindex("lo"));
  mctx::Context ctx;
  mctx::Sampler sampler;
  (void)sampler.sample(ctx.snapshot());

  auto a = ctx.add(loopback_config(port));
  ASSERT_TRUE(a) << a.error().what();
  auto b = ctx.add(loopback_config(port).with_source_port(47100));
  ASSERT_TRUE(b) << b.error().what();
  std::atomic<uint64_t> failures{0};
  send_all_of(ctx, *a, 5, failures);
  send_all_of(ctx, *b, 7, failures);
  ASSERT_TRUE(ctx.remove(*a));

  auto d = sampler.sample(ctx.snapshot());
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->publications_added, 2u);
  EXPECT_EQ(d->publications_removed, 1u);
  EXPECT_EQ(d->end.active_publications, 1u);
  EXPECT_EQ(d->send.packets_sent, 12u);  // the removed publication's sends stay counted
  EXPECT_EQ(d->send.bytes_sent, 12 * kPayload);
  EXPECT_GT(d->interval, 0ns);
  EXPECT_GT(d->packets_per_sec, 0.0);

  const auto got = rx.receive_n(12, 500ms);
  EXPECT_EQ(got.size(), 12u);

  // The next interval starts from the previous snapshot.
  send_all_of(ctx, *b, 3, failures);
  d = sampler.sample(ctx.snapshot());
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->send.packets_sent, 3u);
  EXPECT_EQ(d->end.send.packets_sent, 15u);
  EXPECT_EQ(d->publications_added, 0u);
  EXPECT_EQ(failures.load(), 0u);
}

}  // namespace

int main(int argc, char** argv) {
  return mctx::test::run_tests_in_private_netns(argc, argv, {});
}
