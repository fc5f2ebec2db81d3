// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// libFuzzer target for what an AMT gateway reads from the network:
// parse_amt_message, parse_membership_query, amt_decapsulate, an
// AmtGateway fed the input as if from its relay, and the input as the RDATA
// of an AMTRELAY record (DRIAD: parse_amtrelay_rdata, order_amt_relays).
// Build: CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=enabled
// Run:   build-fuzz/tests/amt/fuzz-amt NEW_DIR tests/amt/corpus
//
// Besides memory safety it checks that whatever parses builds back into a
// message that parses to the same fields, that accepted inner datagrams lie
// inside the input and go to a subscribed group, and that everything the
// gateway queues in response builds and parses.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "fuzz_common.hpp"
#include "mctx/amt.hpp"
#include "mctx/amt_driad.hpp"

namespace {

[[noreturn]] void fail() { __builtin_trap(); }

using mctx::IpAddress;

bool inside(std::span<const std::byte> inner, std::span<const std::byte> outer) {
  return inner.empty() ||
         (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}
bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

void check_round_trip(const mctx::AmtMessage& m) {
  std::vector<std::byte> out(mctx::amt_message_size(m));
  auto n = mctx::build_amt_message(m, out);
  if (!n || *n != out.size()) fail();
  auto again = mctx::parse_amt_message(out);
  if (!again || again->index() != m.index()) fail();
  if (const auto* q = std::get_if<mctx::AmtMembershipQuery>(&m)) {
    const auto& r = std::get<mctx::AmtMembershipQuery>(*again);
    if (r.limited != q->limited || r.has_gateway != q->has_gateway || r.mac != q->mac ||
        r.nonce != q->nonce || !same_bytes(r.query, q->query) ||
        r.gateway_port != q->gateway_port || !(r.gateway_address == q->gateway_address)) {
      fail();
    }
  } else if (const auto* u = std::get_if<mctx::AmtMembershipUpdate>(&m)) {
    const auto& r = std::get<mctx::AmtMembershipUpdate>(*again);
    if (r.mac != u->mac || r.nonce != u->nonce || !same_bytes(r.report, u->report)) fail();
  } else if (const auto* d = std::get_if<mctx::AmtMulticastData>(&m)) {
    if (!same_bytes(std::get<mctx::AmtMulticastData>(*again).datagram, d->datagram)) fail();
  } else if (const auto* a = std::get_if<mctx::AmtRelayAdvertisement>(&m)) {
    if (!(std::get<mctx::AmtRelayAdvertisement>(*again) == *a)) fail();
  } else if (const auto* t = std::get_if<mctx::AmtTeardown>(&m)) {
    if (!(std::get<mctx::AmtTeardown>(*again) == *t)) fail();
  } else if (const auto* r = std::get_if<mctx::AmtRequest>(&m)) {
    if (!(std::get<mctx::AmtRequest>(*again) == *r)) fail();
  } else if (const auto* dd = std::get_if<mctx::AmtRelayDiscovery>(&m)) {
    if (!(std::get<mctx::AmtRelayDiscovery>(*again) == *dd)) fail();
  }
}

void check_query(std::span<const std::byte> datagram) {
  auto q = mctx::parse_membership_query(datagram);
  if (q) {
    const unsigned version = static_cast<unsigned>(datagram[0]) >> 4;
    if ((q->family == mctx::Family::ipv4) != (version == 4)) fail();
    if (q->qrv > 7) fail();
  } else if (q.error().code == mctx::AmtErrc::ok || q.error().message().empty()) {
    fail();
  }
}

const mctx::Endpoint& relay_v4() {
  static const mctx::Endpoint e = mctx::Endpoint::parse("192.0.2.1:2268").value();
  return e;
}

void check_decap(std::span<const std::byte> input) {
  static const std::vector<mctx::AmtGroup> v4 = {
      {IpAddress::parse("232.1.1.1").value(), IpAddress::parse("198.51.100.9").value()},
      {IpAddress::parse("239.1.1.1").value(), std::nullopt}};
  static const std::vector<mctx::AmtGroup> v6 = {
      {IpAddress::parse("ff3e::8000:1").value(), IpAddress::parse("2001:db8::9").value()},
      {IpAddress::parse("ff0e::1234").value(), std::nullopt}};
  for (const auto* groups : {&v4, &v6}) {
    mctx::AmtDataFilter f;
    f.relay = relay_v4();
    f.groups = *groups;
    if (!input.empty()) f.udp_port = static_cast<uint16_t>(input.size() & 1 ? 5004 : 0);
    if (f.udp_port == 0) f.udp_port.reset();
    auto r = mctx::amt_decapsulate(relay_v4(), input, f);
    mctx::AmtDataCounters c;
    c.record(r);
    if (c.datagrams + c.dropped_total() != 1) fail();
    if (!r) continue;
    if (!inside(r->datagram, input) || !inside(r->udp_payload, r->datagram)) fail();
    if (r->datagram.size() + mctx::kAmtDataHeaderSize != input.size()) fail();
    bool subscribed = false;
    for (const auto& g : *groups) {
      subscribed = subscribed || (g.group == r->destination && (!g.source || *g.source == r->source));
    }
    if (!subscribed) fail();
    if (f.udp_port && (!r->is_udp || r->destination_port != *f.udp_port)) fail();
  }
}

void check_gateway(std::span<const std::byte> input) {
  mctx::AmtGatewayConfig c;
  c.relay = relay_v4();
  c.groups = {{IpAddress::parse("232.1.1.1").value(), IpAddress::parse("198.51.100.9").value()},
              {IpAddress::parse("239.1.1.1").value(), std::nullopt}};
  c.random = [] { return 0u; };  // a nonce the fuzzer can match
  auto gw = mctx::AmtGateway::create(std::move(c));
  if (!gw) fail();
  const auto t0 = mctx::AmtGateway::TimePoint{};
  gw->start(t0);
  std::vector<std::byte> buf(gw->max_transmit_size());
  auto drain = [&] {
    for (int i = 0; i < 8; ++i) {
      auto t = gw->poll_transmit(buf);
      if (!t) fail();
      if (!*t) return;
      if (!mctx::parse_amt_message(std::span(buf).first((*t)->size))) fail();
    }
    fail();  // more queued than the gateway ever holds
  };
  drain();
  (void)gw->on_datagram(relay_v4(), input, t0);
  drain();
  gw->stop(t0);
  drain();
}

// The input as one AMTRELAY RDATA: a record keeps what the bytes say (the
// precedence, the D bit, the type, an address of the type's size, a name
// that fills the rest), and the ordering accounts for it exactly once.
void check_amtrelay(std::span<const std::byte> input) {
  auto r = mctx::parse_amtrelay_rdata(input);
  if (r) {
    if (input.size() < 2 || r->precedence != static_cast<uint8_t>(input[0]) ||
        r->discovery_optional != ((static_cast<unsigned>(input[1]) & 0x80) != 0) ||
        static_cast<unsigned>(r->type) != (static_cast<unsigned>(input[1]) & 0x7f)) {
      fail();
    }
    switch (r->type) {
      case mctx::AmtRelayType::none:
        if (input.size() != 2) fail();
        break;
      case mctx::AmtRelayType::ipv4:
      case mctx::AmtRelayType::ipv6:
        if (!r->address || r->address->is_multicast() ||
            input.size() != (r->type == mctx::AmtRelayType::ipv4 ? 6u : 18u)) {
          fail();
        }
        break;
      case mctx::AmtRelayType::name:
        // Text "a.b." is as long as the wire form minus its first length byte.
        if (r->name.empty() || r->name.back() != '.' || r->name.size() + 3 != input.size()) {
          fail();
        }
        break;
    }
  } else if (r.error().empty()) {
    fail();
  }
  const std::vector<std::vector<std::byte>> one = {{input.begin(), input.end()}};
  const auto l = mctx::order_amt_relays("q.", one, [] { return 0u; });
  const std::size_t seen =
      l.relays.size() + l.skipped.size() + (l.no_relay_record ? 1u : 0u);
  if (l.records != 1 || seen != 1) fail();
  if (!mctx::choose_amt_relay(l) && l.why_none().empty()) fail();
}

}  // namespace

extern "C" int mctx_fuzz_accepts(const uint8_t* data, std::size_t size) {
  const auto input = std::as_bytes(std::span<const uint8_t>(data, size));
  auto m = mctx::parse_amt_message(input);
  check_decap(input);
  check_gateway(input);
  check_amtrelay(input);
  if (!m) {
    if (m.error().code == mctx::AmtErrc::ok || m.error().message().empty()) fail();
    return 0;
  }
  check_round_trip(*m);
  if (const auto* q = std::get_if<mctx::AmtMembershipQuery>(&*m)) {
    if (!inside(q->query, input)) fail();
    check_query(q->query);
  } else if (const auto* u = std::get_if<mctx::AmtMembershipUpdate>(&*m)) {
    check_query(u->report);
  }
  return 1;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  (void)mctx_fuzz_accepts(data, size);
  return 0;
}
