// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The send path allocates nothing: Publication::send(span), send(iov) and
// send_batch() make zero heap allocations per call in steady state (after
// one warm-up call), on success and on a per-packet error.
//
// How: tests/support/alloc_counter.hpp (this file includes its hooks, which
// replace operator new/delete and malloc in this executable). Counting is
// switched on only for the calling thread around the measured calls. The
// first allocation seen records its backtrace, which the failure message
// prints.
//
// Publications on their own (connected) socket and on an adopted caller
// socket (never connected: every datagram carries its destination).
//
// Every datagram is also checked on a real receiver that joined the group,
// so the calls measured are calls that really sent. Runs inside
// scripts/mctx-netns --veth (lo for IPv4, the veth mctx0 for IPv6).

#include <gtest/gtest.h>
#include <net/if.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mctx/mctx.hpp"
#include "support/alloc_counter.hpp"
#include "support/alloc_counter_hooks.hpp"
#include "support/gtest_netns.hpp"
#include "support/receiver.hpp"

namespace {

using mctx::test::allocation_report;
using mctx::test::AllocationScope;

// ---- fixtures -----------------------------------------------------------------

using namespace std::chrono_literals;
using mctx::test::Receiver;

mctx::IpAddress ip(const char* text) {
  auto a = mctx::IpAddress::parse(text);
  if (!a) throw std::runtime_error(a.error().what());
  return *a;
}

constexpr std::size_t kPayload = 200;
constexpr int kCalls = 100;  // measured calls per case
constexpr std::size_t kBatch = 16;

// A receiver with a receive buffer large enough for everything a case sends.
Receiver make_receiver(const mctx::IpAddress& group, uint16_t port, const char* ifname) {
  Receiver rx(group, port, ::if_nametoindex(ifname));
  const int big = 8 << 20;
  (void)::setsockopt(rx.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  return rx;
}

std::vector<std::byte> pattern(std::size_t n, uint8_t seed) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(seed + i * 13);
  return v;
}

// Receives everything and checks count and content (every datagram = want).
void expect_delivered(Receiver& rx, std::size_t count, const std::vector<std::byte>& want) {
  auto got = rx.receive_n(count + 1, 500ms);  // one more than sent: catches duplicates
  ASSERT_EQ(got.size(), count);
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].payload.size(), want.size()) << "datagram " << i;
    ASSERT_EQ(std::memcmp(got[i].payload.data(), want.data(), want.size()), 0) << "datagram " << i;
  }
}

// Makes `times` calls of `call` with allocation counting on and expects that
// none allocated (`what` names them in the failure); returns the sum of what
// the calls returned (datagrams sent, errors seen).
template <class F>
auto sum_without_allocating(const char* what, int times, F&& call) {
  AllocationScope scope;
  decltype(call()) sum{};
  for (int i = 0; i < times; ++i) sum += call();
  const uint64_t allocs = scope.stop();
  EXPECT_EQ(allocs, 0u) << what << " allocated: " << allocation_report();
  return sum;
}

// A warm-up call of `call`, which must return `each`, then `times` calls
// with allocation counting on: none allocates and each returns `each`.
template <class N, class F>
void expect_calls_allocate_nothing(const char* what, int times, N each, F&& call) {
  ASSERT_EQ(call(), each) << what << ": the warm-up call";
  EXPECT_EQ(sum_without_allocating(what, times, call), each * static_cast<N>(times));
}

struct Target {
  const char* group;
  const char* ifname;
  const char* source;  // nullptr = none
  bool adopted = false;  // a caller's socket (unconnected: each datagram names the group)
};

class NoAlloc : public ::testing::TestWithParam<Target> {
 protected:
  mctx::Publication open(uint16_t port) {
    const Target& t = GetParam();
    mctx::PublicationConfig c(ip(t.group), port);
    c.with_interface(mctx::InterfaceSpec::name(t.ifname)).with_loopback(true);
    if (t.source) c.with_source_address(ip(t.source));
    if (t.adopted) {
      const int fd = ::socket(ip(t.group).is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
      auto p = mctx::Publication::adopt(fd, c);
      ::close(fd);  // the publication sends through its own duplicate
      if (!p) throw std::runtime_error("adopt failed: " + p.error().what());
      return std::move(p).value();
    }
    auto p = mctx::Publication::open(c);
    if (!p) throw std::runtime_error("open failed: " + p.error().what());
    return std::move(p).value();
  }
  Receiver receiver(uint16_t port) {
    return make_receiver(ip(GetParam().group), port, GetParam().ifname);
  }
  // A receiver and a publication on `port`, and the payload to send.
  struct Sending {
    Receiver rx;
    mctx::Publication pub;
    std::vector<std::byte> data;
  };
  Sending start(uint16_t port, uint8_t seed) {
    return {receiver(port), open(port), pattern(kPayload, seed)};
  }
};

TEST_P(NoAlloc, SendSpan) {
  Sending c = start(5301, 1);
  const std::span<const std::byte> payload(c.data);
  expect_calls_allocate_nothing("Publication::send(span)", kCalls, 1,
                                [&] { return c.pub.send(payload) ? 1 : 0; });
  expect_delivered(c.rx, kCalls + 1, c.data);
}

TEST_P(NoAlloc, SendIovecs) {
  Sending c = start(5302, 2);
  // Three pieces of one datagram: header, body, trailer.
  std::byte* const data = c.data.data();
  const iovec iov[3] = {{data, 12}, {data + 12, 150}, {data + 162, kPayload - 162}};
  expect_calls_allocate_nothing("Publication::send(iov)", kCalls, 1,
                                [&] { return c.pub.send(iov, 3) ? 1 : 0; });
  expect_delivered(c.rx, kCalls + 1, c.data);
}

TEST_P(NoAlloc, SendBatch) {
  Sending c = start(5303, 3);
  const iovec whole{c.data.data(), c.data.size()};
  std::vector<mctx::OutMessage> msgs(kBatch, mctx::OutMessage{&whole, 1});
  const std::span<const mctx::OutMessage> batch(msgs);
  constexpr int kBatches = kCalls / 10;
  expect_calls_allocate_nothing("Publication::send_batch", kBatches, kBatch,
                                [&] { return c.pub.send_batch(batch).sent; });
  // Equal sizes: the segmentation path was the one measured.
  EXPECT_EQ(c.pub.gso().state, mctx::GsoState::active);
  EXPECT_EQ(c.pub.metrics().load().gso_sends, static_cast<uint64_t>(kBatches + 1));
  expect_delivered(c.rx, kBatch * (kBatches + 1), c.data);
}

// The paced path (pacer, segmentation runs it caps) allocates nothing either.
TEST_P(NoAlloc, SendBatchPaced) {
  Receiver rx = receiver(5305);
  const Target& t = GetParam();
  mctx::PublicationConfig c(ip(t.group), 5305);
  c.with_interface(mctx::InterfaceSpec::name(t.ifname)).with_max_rate(50'000'000);
  if (t.source) c.with_source_address(ip(t.source));
  auto opened = mctx::Publication::open(c);
  ASSERT_TRUE(opened) << opened.error().what();
  mctx::Publication pub = std::move(opened).value();
  const auto data = pattern(kPayload, 5);
  const iovec whole{const_cast<std::byte*>(data.data()), data.size()};
  std::vector<mctx::OutMessage> msgs(kBatch, mctx::OutMessage{&whole, 1});
  const auto send_all = [&] {
    std::size_t off = 0;
    while (off < msgs.size()) {
      const mctx::BatchReport r = pub.send_batch(std::span(msgs).subspan(off));
      off += r.sent;
      if (r.error) return off;
      if (r.pace_delay.count() > 0) {
        timespec ts{0, static_cast<long>(r.pace_delay.count())};
        ::nanosleep(&ts, nullptr);  // pacing: the delay the publication asks for
      }
    }
    return off;
  };
  ASSERT_EQ(send_all(), kBatch);  // warm-up

  constexpr int kBatches = kCalls / 10;
  EXPECT_EQ(sum_without_allocating("paced Publication::send_batch", kBatches, send_all),
            kBatch * kBatches);
  expect_delivered(rx, kBatch * (kBatches + 1), data);
}

// A per-packet error (EMSGSIZE: larger than any UDP datagram) is reported
// without allocating too, and the publication keeps working.
TEST_P(NoAlloc, ErrorPathsDoNotAllocate) {
  Receiver rx = receiver(5304);
  mctx::Publication pub = open(5304);
  const std::vector<std::byte> huge(70000);
  const iovec big{const_cast<std::byte*>(huge.data()), huge.size()};
  const mctx::OutMessage one_big{&big, 1};
  const std::span<const std::byte> huge_span(huge);
  (void)pub.send(huge_span);  // warm-up
  (void)pub.send_batch(std::span<const mctx::OutMessage>(&one_big, 1));

  const int errors = sum_without_allocating("the send error path", kCalls, [&] {
    auto r = pub.send(huge_span);
    int n = !r && r.error().code == mctx::Errc::message_too_long ? 1 : 0;
    const mctx::BatchReport b = pub.send_batch(std::span<const mctx::OutMessage>(&one_big, 1));
    if (b.sent == 0 && b.error && b.error->code == mctx::Errc::message_too_long) ++n;
    return n;
  });
  EXPECT_EQ(errors, 2 * kCalls);

  const auto data = pattern(kPayload, 4);
  ASSERT_TRUE(pub.send(std::span<const std::byte>(data)));
  expect_delivered(rx, 1, data);
}

// A full local queue (ENOBUFS from a tbf qdisc, reported because the socket
// has IP_RECVERR) is reported and counted without allocating.
TEST(NoAllocQueueFull, QueueFullDoesNotAllocate) {
  auto p = mctx::Publication::open(
      mctx::PublicationConfig(*mctx::IpAddress::parse("239.7.7.7"), 5310)
          .with_interface(mctx::InterfaceSpec::name("mctx0")));
  ASSERT_TRUE(p) << p.error().what();
  ASSERT_EQ(std::system("tc qdisc add dev mctx0 root tbf rate 1mbit burst 3000 limit 3000"), 0);
  const std::vector<std::byte> data(1300);
  const std::span<const std::byte> span(data);
  const iovec iov{const_cast<std::byte*>(data.data()), data.size()};
  const mctx::OutMessage msgs[4] = {{&iov, 1}, {&iov, 1}, {&iov, 1}, {&iov, 1}};
  (void)p->send(span);  // warm-up
  (void)p->send_batch(msgs);

  const int full = sum_without_allocating("the queue-full path", kCalls, [&] {
    auto r = p->send(span);
    int n = !r && r.error().code == mctx::Errc::no_buffer_space ? 1 : 0;
    const mctx::BatchReport b = p->send_batch(msgs);
    if (b.error && b.error->code == mctx::Errc::no_buffer_space) ++n;
    return n;
  });
  ASSERT_EQ(std::system("tc qdisc del dev mctx0 root"), 0);
  EXPECT_GT(full, 0);
  EXPECT_GE(p->metrics().load().queue_full, static_cast<uint64_t>(full));
  EXPECT_EQ(p->metrics().load().send_errors, 0u);
}

INSTANTIATE_TEST_SUITE_P(Families, NoAlloc,
                         ::testing::Values(Target{"239.255.0.42", "lo", nullptr},
                                           Target{"ff3e::4242", "mctx0", "fd00::1"},
                                           Target{"239.255.0.42", "lo", nullptr, true},
                                           Target{"ff3e::4242", "mctx0", "fd00::1", true}),
                         [](const ::testing::TestParamInfo<Target>& p) {
                           const std::string name = std::string(p.param.ifname) == "lo"
                                                        ? "Ipv4Loopback"
                                                        : "Ipv6Veth";
                           return p.param.adopted ? name + "Adopted" : name;
                         });

// The counter itself works: a test that can fail.
TEST(AllocationCounter, SeesOperatorNewAndMalloc) {
  AllocationScope scope;
  auto* p = new int(7);
  void* q = std::malloc(32);
  const uint64_t allocs = scope.stop();
  delete p;
  std::free(q);
  const mctx::test::AllocationCounts counts = mctx::test::allocation_counts();
  EXPECT_GE(counts.new_calls, 1u);
  EXPECT_GE(counts.malloc_calls, 1u);
  EXPECT_GE(allocs, 2u);
  EXPECT_GT(counts.first_frames, 0);
}

}  // namespace

int main(int argc, char** argv) {
  return mctx::test::run_tests_in_private_netns(
      argc, argv, {.required_env = {"MCTX_VETH"}, .how_to_run = "scripts/mctx-netns --veth"});
}
