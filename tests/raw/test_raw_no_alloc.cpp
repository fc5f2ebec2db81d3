// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The raw send path allocates nothing: validate_raw_datagram() (both forms),
// RawPublication::send() (span and iovec, IPv4 and IPv6, success, invalid
// datagram and kernel error), RawPublication::send_batch() (both families,
// stopped at an invalid datagram, would-block), RawContext::send(), the same
// with route-selected egress (a cached route, a cached "no route") and
// RawIpPublication::send() (IPv4, IPv6 with a cached protocol socket, an
// invalid datagram) make zero heap allocations per call after one warm-up
// call.
//
// How (as tests/core/test_no_alloc.cpp): tests/support/alloc_counter.hpp,
// whose hooks this file includes. Counting is on only for the measuring
// thread, around the calls.
// Delivery of the measured sends is checked on an AF_PACKET capture in the
// peer namespace (scripts/mctx-netns --peer).

#include <gtest/gtest.h>
#include <net/if.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "alloc_counter_hooks.hpp"
#include "mctx/mctx.hpp"
#include "platform/platform.hpp"
#include "gtest_netns.hpp"
#include "raw_test_util.hpp"

namespace mctx::test {
namespace {

constexpr int kCalls = 50;

// Counts the allocations the calling thread makes while `f` runs kCalls times.
template <class F>
uint64_t allocations_of(F&& f) {
  f();  // warm-up: lazy initialisation is allowed once
  test::AllocationScope scope;
  for (int i = 0; i < kCalls; ++i) f();
  return scope.stop();
}

class RawNoAlloc : public ::testing::Test {
 protected:
  void SetUp() override {
    if (peer_netns().empty()) GTEST_SKIP() << "needs scripts/mctx-netns --peer (MCTX_PEER_NETNS)";
  }
};

TEST_F(RawNoAlloc, CountingWorks) {
  // The counter must see an allocation, or the zeros below prove nothing.
  const uint64_t n = allocations_of([] {
    auto* p = new std::string(100, 'x');
    delete p;
  });
  EXPECT_GE(n, static_cast<uint64_t>(kCalls));
}

TEST_F(RawNoAlloc, ValidatorAndSendPathsAllocateNothing) {
  const std::string p4 = "mctx-raw-noalloc-v4";
  const std::string p6 = "mctx-raw-noalloc-v6";
  UdpDatagramSpec s4;
  s4.source = ip("198.51.100.7");
  s4.destination = ip("232.1.2.3");
  s4.source_port = 4000;
  s4.destination_port = 5000;
  s4.payload = bytes(p4);
  s4.ipv4_id = 7;
  UdpDatagramSpec s6 = s4;
  s6.source = ip("2001:db8:99::7");
  s6.destination = ip("ff3e::8000:1234");
  s6.payload = bytes(p6);
  const auto d4 = build(s4);
  const auto d6 = build(s6);
  auto bad = d4;
  bad[11] ^= 1;
  iovec iov6[2] = {{const_cast<uint8_t*>(d6.data()), 30},
                   {const_cast<uint8_t*>(d6.data()) + 30, d6.size() - 30}};

  Capture cap = peer_capture();
  RawContext ctx;
  auto id4 =
      ctx.add(RawPublicationConfig(Family::ipv4).with_interface(InterfaceSpec::name("mctx0")));
  ASSERT_TRUE(id4) << id4.error().what();
  auto id6 =
      ctx.add(RawPublicationConfig(Family::ipv6).with_interface(InterfaceSpec::name("mctx0")));
  ASSERT_TRUE(id6) << id6.error().what();
  RawPublication& pub4 = *ctx.get(*id4);
  RawPublication& pub6 = *ctx.get(*id6);

  bool all_ok = true;
  EXPECT_EQ(allocations_of([&] { all_ok &= validate_raw_datagram(bytes(d4)).has_value(); }), 0u);
  EXPECT_EQ(allocations_of([&] { all_ok &= validate_raw_datagram(iov6, 2).has_value(); }), 0u);
  EXPECT_EQ(allocations_of([&] { all_ok &= !validate_raw_datagram(bytes(bad)).has_value(); }), 0u);
  EXPECT_EQ(allocations_of([&] { all_ok &= pub4.send(bytes(d4)).has_value(); }), 0u);
  EXPECT_EQ(allocations_of([&] { all_ok &= pub6.send(iov6, 2).has_value(); }), 0u);
  EXPECT_EQ(allocations_of([&] { all_ok &= ctx.send(*id4, bytes(d4)).has_value(); }), 0u);
  EXPECT_EQ(allocations_of([&] {
              auto r = pub4.send(bytes(bad));
              all_ok &= !r && r.error().invalid_datagram();
            }),
            0u);
  {
    const platform::Syscalls failing{[](int, const msghdr*, int) -> ssize_t {
                                       errno = ENOBUFS;
                                       return -1;
                                     },
                                     platform::real_syscalls().sendmmsg};
    platform::ScopedSyscalls seam(failing);
    EXPECT_EQ(allocations_of([&] {
                auto r = pub6.send(bytes(d6));
                all_ok &= !r && r.error().code == Errc::no_buffer_space;
              }),
              0u);
  }
  EXPECT_TRUE(all_ok);

  // The measured sends really went out: (1 + kCalls) * 2 IPv4 datagrams
  // (publication and context) and (1 + kCalls) IPv6 ones.
  int seen4 = 0, seen6 = 0;
  for (const auto& f : cap.frames()) {
    if (f.l3() == d4) ++seen4;
    if (f.l3() == d6) ++seen6;
  }
  EXPECT_EQ(seen4, 2 * (kCalls + 1));
  EXPECT_EQ(seen6, kCalls + 1);
}

TEST_F(RawNoAlloc, SendBatchAllocatesNothing) {
  // Batches of 4 IPv4 and 4 IPv6 datagrams (gathered from two buffers), a
  // batch that stops at an invalid datagram, and one that would block.
  constexpr std::size_t kN = 4;
  std::vector<std::string> payloads4, payloads6;
  std::vector<std::vector<uint8_t>> d4, d6;
  for (std::size_t i = 0; i < kN; ++i) {
    payloads4.push_back("mctx-raw-noalloc-batch-v4-" + std::to_string(i));
    payloads6.push_back("mctx-raw-noalloc-batch-v6-" + std::to_string(i));
  }
  for (std::size_t i = 0; i < kN; ++i) {
    UdpDatagramSpec s;
    s.source = ip("198.51.100.7");
    s.destination = ip("232.1.2.3");
    s.source_port = 4000;
    s.destination_port = 5000;
    s.payload = bytes(payloads4[i]);
    s.ipv4_id = 9;
    d4.push_back(build(s));
    s.source = ip("2001:db8:99::7");
    s.destination = ip("ff3e::8000:1234");
    s.payload = bytes(payloads6[i]);
    d6.push_back(build(s));
  }
  auto bad = d4[0];
  bad[11] ^= 1;
  std::vector<iovec> iov4, iov6;
  for (std::size_t i = 0; i < kN; ++i) {
    iov4.push_back({d4[i].data(), 20});
    iov4.push_back({d4[i].data() + 20, d4[i].size() - 20});
    iov6.push_back({d6[i].data(), 30});
    iov6.push_back({d6[i].data() + 30, d6[i].size() - 30});
  }
  iovec bad_iov{bad.data(), bad.size()};
  std::vector<OutMessage> m4, m6;
  for (std::size_t i = 0; i < kN; ++i) {
    m4.push_back({&iov4[2 * i], 2});
    m6.push_back({&iov6[2 * i], 2});
  }
  const OutMessage with_bad[2] = {m4[0], {&bad_iov, 1}};

  Capture cap = peer_capture();
  auto pub4 = RawPublication::open(
      RawPublicationConfig(Family::ipv4).with_interface(InterfaceSpec::name("mctx0")));
  ASSERT_TRUE(pub4) << pub4.error().what();
  auto pub6 = RawPublication::open(
      RawPublicationConfig(Family::ipv6).with_interface(InterfaceSpec::name("mctx0")));
  ASSERT_TRUE(pub6) << pub6.error().what();

  bool all_ok = true;
  EXPECT_EQ(allocations_of([&] {
              const BatchReport r = pub4->send_batch(m4);
              all_ok &= !r.error && r.sent == kN;
            }),
            0u);
  EXPECT_EQ(allocations_of([&] {
              const BatchReport r = pub6->send_batch(m6);
              all_ok &= !r.error && r.sent == kN;
            }),
            0u);
  RawDatagramError why;
  EXPECT_EQ(allocations_of([&] {
              const BatchReport r = pub4->send_batch(with_bad, &why);
              all_ok &= r.sent == 1 && r.error && r.error->code == Errc::raw_bad_checksum &&
                        why.code == Errc::raw_bad_checksum;
            }),
            0u);
  {
    const platform::Syscalls blocking{platform::real_syscalls().sendmsg,
                                      [](int, void*, unsigned int, int) -> int {
                                        errno = EAGAIN;
                                        return -1;
                                      }};
    platform::ScopedSyscalls seam(blocking);
    EXPECT_EQ(allocations_of([&] {
                const BatchReport r = pub6->send_batch(m6);
                all_ok &= r.sent == 0 && r.error && r.error->would_block();
              }),
              0u);
  }
  EXPECT_TRUE(all_ok);

  // The measured batches went out: (1 + kCalls) of each IPv4 datagram, plus
  // (1 + kCalls) more of the first one (before the invalid one), and
  // (1 + kCalls) of each IPv6 datagram.
  std::vector<int> seen4(kN, 0), seen6(kN, 0);
  for (const auto& f : cap.frames()) {
    for (std::size_t i = 0; i < kN; ++i) {
      if (f.l3() == d4[i]) ++seen4[i];
      if (f.l3() == d6[i]) ++seen6[i];
    }
  }
  for (std::size_t i = 0; i < kN; ++i) {
    EXPECT_EQ(seen4[i], (i == 0 ? 2 : 1) * (kCalls + 1)) << "IPv4 datagram " << i;
    EXPECT_EQ(seen6[i], kCalls + 1) << "IPv6 datagram " << i;
  }
}

TEST_F(RawNoAlloc, RouteSelectedEgressAndRawIpAllocateNothing) {
  ASSERT_EQ(std::system("ip -6 route replace ff3e::/16 dev mctx0"), 0);
  ASSERT_EQ(std::system("ip route replace 232.0.0.0/8 dev mctx0"), 0);
  const std::string p4 = "mctx-raw-noalloc-route-v4";
  const std::string p6 = "mctx-raw-noalloc-route-v6";
  const std::string pip4 = "mctx-raw-noalloc-ip-v4";
  const std::string pip6 = "mctx-raw-noalloc-ip-v6";
  // Ports 4000 -> 5000, the default TTL, IPv4 ID 11.
  const auto datagram = [](const char* source, const char* destination,
                           const std::string& payload) {
    UdpDatagramSpec s = udp_spec(ip(source), ip(destination), payload, UdpDatagramSpec{}.ttl);
    s.ipv4_id = 11;
    return build(s);
  };
  const auto d4 = datagram("198.51.100.7", "232.1.2.3", p4);
  const auto d6 = datagram("2001:db8:99::7", "ff3e::8000:1234", p6);
  const auto lost6 = datagram("2001:db8:99::7", "ff05::1234", p6);  // no route
  const auto ip4 = datagram("192.0.2.1", "192.0.2.2", pip4);
  const auto ip6 = datagram("fd00::1", "fd00::2", pip6);
  auto bad_ip6 = ip6;
  bad_ip6[8] ^= 1;  // another source than the bind address
  iovec iov6{const_cast<uint8_t*>(d6.data()), d6.size()};
  const OutMessage batch6[1] = {{&iov6, 1}};

  Capture cap = peer_capture();
  auto r4 = RawPublication::open(RawPublicationConfig(Family::ipv4).with_route_selected_egress());
  ASSERT_TRUE(r4) << r4.error().what();
  auto r6 = RawPublication::open(RawPublicationConfig(Family::ipv6).with_route_selected_egress());
  ASSERT_TRUE(r6) << r6.error().what();
  auto x4 = RawIpPublication::open(RawIpConfig(Family::ipv4).with_bind(ip("192.0.2.1")));
  ASSERT_TRUE(x4) << x4.error().what();
  auto x6 = RawIpPublication::open(RawIpConfig(Family::ipv6).with_bind(ip("fd00::1")));
  ASSERT_TRUE(x6) << x6.error().what();

  bool all_ok = true;
  EXPECT_EQ(allocations_of([&] { all_ok &= r4->send(bytes(d4)).has_value(); }), 0u);
  EXPECT_EQ(allocations_of([&] { all_ok &= r6->send(bytes(d6)).has_value(); }), 0u);
  EXPECT_EQ(allocations_of([&] {
              const BatchReport r = r6->send_batch(batch6);
              all_ok &= !r.error && r.sent == 1;
            }),
            0u);
  EXPECT_EQ(allocations_of([&] {
              auto r = r6->send(bytes(lost6));
              all_ok &= !r && r.error().code == Errc::raw_no_route;
            }),
            0u);
  EXPECT_EQ(allocations_of([&] { all_ok &= x4->send(bytes(ip4)).has_value(); }), 0u);
  EXPECT_EQ(allocations_of([&] { all_ok &= x6->send(bytes(ip6)).has_value(); }), 0u);
  EXPECT_EQ(allocations_of([&] {
              auto r = x6->send(bytes(bad_ip6));
              all_ok &= !r && r.error().code == Errc::raw_ip_source_mismatch;
            }),
            0u);
  EXPECT_TRUE(all_ok);

  int seen4 = 0, seen6 = 0, seen_ip4 = 0, seen_ip6 = 0;
  for (const auto& f : cap.frames()) {
    seen4 += f.l3() == d4 ? 1 : 0;
    seen6 += f.l3() == d6 ? 1 : 0;
    seen_ip4 += f.l3() == ip4 ? 1 : 0;
    seen_ip6 += f.l3() == ip6 ? 1 : 0;
  }
  EXPECT_EQ(seen4, kCalls + 1);
  EXPECT_EQ(seen6, 2 * (kCalls + 1));
  EXPECT_EQ(seen_ip4, kCalls + 1);
  EXPECT_EQ(seen_ip6, kCalls + 1);
  (void)std::system("ip -6 route del ff3e::/16 dev mctx0");
  (void)std::system("ip route del 232.0.0.0/8 dev mctx0");
}

}  // namespace
}  // namespace mctx::test
