// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The per-datagram paths make no heap allocation: decapsulation, the
// gateway's data and query handling, its timers, and building messages into
// the caller's buffer. Counts every operator new of this program while a
// section runs (a separate executable: the replacement is global).

#include <gtest/gtest.h>

#include "alloc_counter.hpp"
#include "alloc_counter_hooks.hpp"
#include "amt_test_util.hpp"

using namespace mctx;
using namespace amt_test;
using namespace std::chrono_literals;

TEST(AmtNoAlloc, CountingWorks) {
  // The counter must see an allocation, or the zero below proves nothing.
  test::AllocationScope scope;
  auto* p = new std::string(100, 'x');
  delete p;
  EXPECT_GE(scope.stop(), 1u);
}

TEST(AmtNoAlloc, DecapsulationAndGatewayPaths) {
  const Endpoint relay = ep("192.0.2.1:2268");
  AmtGatewayConfig c;
  c.relay = relay;
  c.groups = {{ip("232.1.1.1"), ip("198.51.100.9")}, {ip("239.1.1.1"), std::nullopt}};
  uint32_t nonce = 7;
  c.random = [&nonce] { return nonce; };
  auto gw = AmtGateway::create(std::move(c));
  ASSERT_TRUE(gw);
  std::vector<std::byte> out(gw->max_transmit_size());
  const Bytes data = amt_data(udp_datagram("198.51.100.9", "232.1.1.1", 5004, 1200));
  const Bytes dropped = amt_data(udp_datagram("198.51.100.9", "232.1.1.2", 5004, 100));
  const Bytes q = igmp_query(2, 60);
  AmtMembershipQuery mq;
  mq.nonce = nonce;
  mq.mac = 0x1234;
  mq.query = S(q);
  mq.has_gateway = true;
  mq.gateway_port = 40000;
  mq.gateway_address = amt_gateway_field(ip("198.51.100.7"));
  Bytes query(amt_message_size(mq));
  ASSERT_TRUE(build_amt_message(mq, std::as_writable_bytes(std::span(query))));
  const AmtDataFilter filter = gw->data_filter();
  AmtDataCounters counters;
  AmtGateway::TimePoint now{};

  long delivered = 0;
  uint64_t allocations = 0;
  {
    test::AllocationScope scope;
    gw->start(now);
    (void)gw->poll_transmit(out);
    (void)gw->on_datagram(relay, S(query), now);
    for (int i = 0; i < 1000; ++i) {
      auto r = gw->on_datagram(relay, S(data), now);
      delivered += r.kind == AmtReceiveKind::data ? 1 : 0;
      (void)gw->on_datagram(relay, S(dropped), now);
      counters.record(amt_decapsulate(relay, S(data), filter));
      (void)gw->poll_transmit(out);
      now += 100ms;
      gw->on_timer(now);  // refreshes every 60 s, with retries
    }
    gw->stop(now);
    while (auto t = gw->poll_transmit(out)) {
      if (!*t) break;
    }
    allocations = scope.stop();
  }
  EXPECT_EQ(allocations, 0u) << test::allocation_report();
  EXPECT_EQ(delivered, 1000);
  EXPECT_EQ(counters.datagrams, 1000u);
  EXPECT_GE(gw->counters().requests_sent, 2u);
  EXPECT_GE(gw->counters().updates_sent, 2u);  // the join and the leave
}
