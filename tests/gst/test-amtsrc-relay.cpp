// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// amtsrc against a scripted relay (tests/amt/scripted_relay): the faults a
// real relay does not produce, checked at element level, with the buffers
// pushed downstream compared byte for byte (appsink):
//
//   a) NAT rebinding: the relay's query reports another gateway address/port
//      (G flag): a Teardown of the old session (nonce, MAC, address as on the
//      wire), then a new Request and a new session; data flows again.
//   b) the L flag (relay limited): the one group is still joined.
//   c) malformed and foreign messages: nothing forwarded, each counted under
//      its reason in `metrics`, the stream goes on; output=payload with
//      GstNetAddressMeta and live timestamps.
//   d) a silent relay: Requests with backoff (1 s doubling), one WARNING
//      naming the relay, amtsrc-timeout and periodic amt-metrics messages,
//      the change to NULL within a bound.
//   e) the relay lost mid-stream: after 8 unanswered Requests, amt-state
//      relay-lost and a new Relay Discovery; a relay answers and data flows
//      again. The 247 s of backoff are skipped by moving the element's clock
//      (std::chrono::steady_clock, see clock_gettime below) forward.
//   f) output=datagram: each complete inner IP datagram, UDP or not.
//
// Everything runs on loopback in a private namespace (scripts/mctx-netns):
// the relay on 127.0.0.1, another sender on 127.0.0.2, the anycast
// discovery address 192.52.193.1 on lo.

#include <dlfcn.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>

#include "amtsrc-test.hpp"
#include "process.hpp"

using namespace mctx_gst_test;
using namespace amtsrc_test;
using amt_relay::ScriptedRelay;

// ------------------------------------------------------------- clock warp

// Nanoseconds added to CLOCK_MONOTONIC as std::chrono::steady_clock::now()
// reads it (the clock of amtsrc's AMT state machine); GLib and GStreamer
// read the real clock. This program's clock_gettime() replaces libc's for
// the process (the executable exports it); only test_relay_lost sets it.
static std::atomic<int64_t> g_warp_ns{0};

static bool called_from_steady_clock(void* ret) {
  Dl_info info{};
  if (dladdr(ret, &info) == 0 || info.dli_sname == nullptr) return false;
  return std::strcmp(info.dli_sname, "_ZNSt6chrono3_V212steady_clock3nowEv") == 0;
}

extern "C" int clock_gettime(clockid_t id, struct timespec* ts) {
  const long r = syscall(SYS_clock_gettime, id, ts);
  if (r != 0) return -1;
  const int64_t warp = g_warp_ns.load(std::memory_order_relaxed);
  if (warp != 0 && id == CLOCK_MONOTONIC && called_from_steady_clock(__builtin_return_address(0))) {
    const int64_t ns = ts->tv_nsec + warp % 1000000000;
    ts->tv_sec += warp / 1000000000 + ns / 1000000000;
    ts->tv_nsec = ns % 1000000000;
  }
  return 0;
}

// ----------------------------------------------------------------- helpers

namespace {

ScriptedRelay relay_at(const char* address, uint16_t port = 0) {
  return must("opening the scripted relay", [&] {
    return ScriptedRelay(mctx::Endpoint{addr(address), port});
  });
}

void send(ScriptedRelay& r, const mctx::Endpoint& to, const Bytes& b) {
  must("relay send", [&] {
    r.send(to, b);
    return 0;
  });
}

std::string amtsrc(const ScriptedRelay& relay, const char* output, const std::string& extra = "") {
  return "amtsrc name=amt relay-address=" + relay.local().address.to_string() +
         " relay-port=" + std::to_string(relay.local().port) + " group=" + kGroup +
         " source-address=" + kSource + " output=" + output + " metrics-interval=0 " + extra;
}
const char* const kAppsink = " ! appsink name=out sync=false";

void expect_no_more_buffers(Pipeline& p) {
  GstBuffer* b = p.pull(300ms);
  if (b != nullptr) {
    const Bytes got = buffer_bytes(b);
    gst_buffer_unref(b);
    ck_abort_msg("an unexpected buffer of %zu bytes was pushed", got.size());
  }
}

Bytes field16(const mctx::Endpoint& e) { return amt_relay::gateway_field(e.address); }

}  // namespace

// --------------------------------------------------------------------- (a)

// NAT rebinding: the refresh's query says the relay now sees the gateway at
// another address and port. amtsrc tears the old session down (a Teardown
// with the old session's MAC, nonce, port and address, RFC 7450 §5.1.7),
// asks again with a new nonce, and joins the new session.
MCTX_GST_TEST(test_nat_rebinding_teardown) {
  ScriptedRelay relay = relay_at("127.0.0.1");
  Pipeline p(amtsrc(relay, "payload") + kAppsink);
  p.play();

  const Session s1 = answer_request(relay, 0x1111'2222'3333ULL, {.qqic = 1});
  check_join_update(s1);
  fail_unless(p.wait_state("joined", 5s));
  const GstClockTime t0 = running_time(p.src());
  send(relay, s1.gateway, amt_relay::multicast_data(inner(0)));
  expect_buffers(p, payloads(0, 1), kSource, t0);

  // The refresh (1 s): the relay answers as if the gateway moved.
  auto req2 = must("relay", [&] { return relay.expect(0x03, 5s); });
  fail_unless(req2.has_value(), "no refresh Request after the 1 s query interval");
  fail_unless(req2->from == s1.gateway, "the refresh came from another socket");
  const uint32_t nonce2 = amt_relay::parse_request(req2->bytes)->nonce;
  fail_unless(nonce2 != s1.nonce, "the refresh reuses the nonce");
  const mctx::Endpoint moved{addr("203.0.113.9"), 40000};
  send(relay, req2->from,
       amt_relay::membership_query(0x4444'5555'6666ULL, nonce2,
                                   amt_relay::igmpv3_query(2, 1, relay.local().address), false,
                                   moved));

  // First a Teardown of session 1, nothing before it.
  std::vector<amt_relay::Received> before;
  auto td = must("relay", [&] { return relay.expect(0x07, 5s, &before); });
  fail_unless(td.has_value(), "no Teardown after the gateway address changed; metrics %s",
              p.metrics_text().c_str());
  fail_unless(before.empty(), "%zu message(s) (first of type %d) before the Teardown",
              before.size(), before.empty() ? 0 : before[0].type());
  fail_unless(td->from == s1.gateway);
  fail_unless_equals_int(td->bytes.size(), 30);
  fail_unless_equals_int(td->bytes[1], 0);  // reserved
  auto t = amt_relay::parse_teardown(td->bytes);
  fail_unless(t.has_value());
  fail_unless_equals_uint64(t->mac, s1.mac);
  fail_unless_equals_uint64(t->nonce, s1.nonce);
  fail_unless_equals_int(t->port, s1.gateway.port);
  fail_unless(t->address == field16(s1.gateway), "Teardown gateway address is not ::ffff:127.0.0.1");

  // Then a new Request (a new nonce), and the session at the new address.
  std::vector<amt_relay::Received> between;
  const Session s3 =
      answer_request(relay, 0x7777'8888'9999ULL, {.qqic = 125, .seen_as = moved});
  check_join_update(s3);
  fail_unless(s3.nonce != nonce2 && s3.nonce != s1.nonce, "the new Request reuses a nonce");
  fail_unless(p.wait_state("joined", 5s, 0));

  const GstClockTime t1 = running_time(p.src());
  send(relay, s3.gateway, amt_relay::multicast_data(inner(1)));
  expect_buffers(p, payloads(1, 1), kSource, t1);
  fail_unless_equals_uint64(p.metric("nat-changes"), 1);
  fail_unless_equals_uint64(p.metric("teardowns-sent"), 1);
  fail_unless_equals_uint64(p.wait_metric("updates-sent", 2), 2);
  fail_unless_equals_uint64(p.metric("queries"), 3);

  const auto states = p.states();
  const std::vector<std::string> want = {"requesting", "joined", "requesting", "joined"};
  fail_unless(states == want, "amt-state sequence: %s", Pipeline::join(states).c_str());
  fail_unless(p.texts(GST_MESSAGE_WARNING).empty() && p.texts(GST_MESSAGE_ERROR).empty(),
              "warnings: %s", Pipeline::join(p.texts(GST_MESSAGE_WARNING)).c_str());
  p.stop();
  // The leave of session 3 on stop (a Membership Update with BLOCK_OLD_SOURCES).
  auto leave = must("relay", [&] { return relay.expect(0x05, 2s); });
  fail_unless(leave.has_value(), "no leave on stop");
  auto u = amt_relay::parse_update(leave->bytes);
  fail_unless(u && u->mac == s3.mac && u->nonce == s3.nonce);
  auto rec = amt_relay::parse_igmpv3_report(u->report);
  fail_unless(rec && rec->type == 6, "the leave is not BLOCK_OLD_SOURCES");
}
GST_END_TEST;

// --------------------------------------------------------------------- (b)

// The L flag (RFC 7450 §5.1.4: the relay limits the groups it takes): amtsrc
// wants one group, so its update is the same (one record), the session
// stands and data flows; the refresh goes on at the query interval.
MCTX_GST_TEST(test_limited_relay) {
  ScriptedRelay relay = relay_at("127.0.0.1");
  Pipeline p(amtsrc(relay, "payload") + kAppsink);
  p.play();
  const Session s = answer_request(relay, 0xabcdefULL, {.qqic = 1, .limited = true});
  check_join_update(s);
  fail_unless_equals_int(amt_relay::parse_igmpv3_report(s.update.report)->sources.size(), 1);
  fail_unless(p.wait_state("joined", 5s));
  const GstClockTime t0 = running_time(p.src());
  for (int i = 0; i < 5; ++i) send(relay, s.gateway, amt_relay::multicast_data(inner(i)));
  expect_buffers(p, payloads(0, 5), kSource, t0);
  // The next session (refresh) without L: the same single-record update.
  const Session s2 = answer_request(relay, 0xabcdf0ULL, {.qqic = 125}, 5s);
  check_join_update(s2);
  fail_unless_equals_uint64(p.wait_metric("updates-sent", 2), 2);
  fail_unless_equals_uint64(p.metric("limited-relay"), 0);  // one group: nothing was left out
  fail_unless(p.texts(GST_MESSAGE_WARNING).empty());
}
GST_END_TEST;

// --------------------------------------------------------------------- (c)

// Malformed and foreign messages among valid data (output=payload, port
// filter 5000): only the valid payloads are pushed, in order, with the inner
// source as GstNetAddressMeta and live timestamps; every other message is
// counted under its reason.
MCTX_GST_TEST(test_malformed_messages_counted) {
  ScriptedRelay relay = relay_at("127.0.0.1");
  ScriptedRelay other_port = relay_at("127.0.0.1");
  ScriptedRelay other_addr = relay_at("127.0.0.2", relay.local().port);
  Pipeline p(amtsrc(relay, "payload", "port=5000") + kAppsink);
  p.play();

  // The handshake, disturbed: a query from another address and one with a
  // wrong nonce are ignored; the right one is taken.
  auto req = must("relay", [&] { return relay.expect(0x03, 5s); });
  fail_unless(req.has_value(), "no Request");
  const uint32_t nonce = amt_relay::parse_request(req->bytes)->nonce;
  const Bytes q = amt_relay::igmpv3_query(2, 125, relay.local().address);
  send(other_addr, req->from, amt_relay::membership_query(1, nonce, q, false, req->from));
  send(relay, req->from, amt_relay::membership_query(2, nonce + 1, q, false, req->from));
  send(relay, req->from, amt_relay::membership_query(3, nonce, q, false, req->from));
  auto upd = must("relay", [&] { return relay.expect(0x05, 5s); });
  fail_unless(upd.has_value(), "no Update");
  fail_unless_equals_uint64(amt_relay::parse_update(upd->bytes)->mac, 3);
  fail_unless(p.wait_state("joined", 5s));
  const mctx::Endpoint gw = req->from;

  const mctx::IpAddress src = addr(kSource), grp = addr(kGroup);
  auto data = [&](const Bytes& d) { return amt_relay::multicast_data(d); };
  auto edited = [&](std::function<void(Bytes&)> f, bool fix = true) {
    Bytes d = inner(999);
    f(d);
    if (fix) amt_relay::fix_ipv4_checksum(d);
    return data(d);
  };
  struct Junk {
    ScriptedRelay* from;
    Bytes bytes;
    const char* counter;
  };
  Bytes truncated = inner(999);
  truncated.resize(truncated.size() - 3);
  Bytes bad_checksum = inner(999);
  bad_checksum[10] ^= 0x5a;
  Bytes bad_udp_length = inner(999);
  bad_udp_length[20 + 5] += 1;  // UDP length one more than the bytes
  const Bytes big = payload(999);
  const std::vector<Junk> junk = {
      {&other_port, data(inner(900)), "drop-not-from-relay"},  // relay address, other port
      {&other_addr, data(inner(901)), "drop-not-from-relay"},  // relay port, other address
      {&relay, {}, "control-malformed"},                       // empty datagram
      {&relay, {0x06}, "drop-malformed"},                      // Multicast Data, 1 byte
      {&relay, {0x06, 0x00}, "drop-inner-too-short"},          // no inner datagram
      {&relay, {0x09, 0, 0, 0, 0, 0, 0, 0}, "control-malformed"},  // type 9
      {&relay, amt_relay::Bytes{0x16, 0x00}, "control-malformed"},  // version 1
      {&relay, {0x04, 0x01, 0, 0, 0}, "control-malformed"},        // a query cut short
      {&relay, {0x01, 0, 0, 0, 0, 0, 0, 7}, "control-unexpected"},  // a Relay Discovery
      {&relay, amt_relay::membership_query(4, nonce, q, false, gw), "control-unexpected"},
      {&relay, data(Bytes(truncated.begin(), truncated.begin() + 10)), "drop-inner-too-short"},
      {&relay, edited([](Bytes& d) { d[0] = 0x55; }), "drop-inner-bad-version"},
      {&relay, edited([](Bytes& d) { d[3] += 1; }), "drop-inner-bad-length"},  // total length + 1
      {&relay, edited([](Bytes& d) { d[3] -= 4; }), "drop-inner-bad-length"},  // total length - 4
      {&relay, data(truncated), "drop-inner-bad-length"},
      {&relay, data(bad_checksum), "drop-inner-bad-checksum"},
      {&relay, data(amt_relay::ipv4_udp(addr("127.0.0.9"), grp, kSourcePort, kPort, big)),
       "drop-inner-bad-address"},
      {&relay, data(amt_relay::ipv4_udp(src, grp, kSourcePort, kPort, big, 0)),
       "drop-inner-bad-address"},  // TTL 0
      {&relay, data(amt_relay::ipv4_udp(src, grp, kSourcePort, kPort, big, 8, 0x2000)),
       "drop-inner-fragment"},  // MF
      {&relay, data(amt_relay::ipv4_udp(src, grp, kSourcePort, kPort, big, 8, 0x0010)),
       "drop-inner-fragment"},  // offset 128
      {&relay, data(amt_relay::ipv4_udp(src, addr("232.1.1.2"), kSourcePort, kPort, big)),
       "drop-not-subscribed"},
      {&relay, data(amt_relay::ipv4_udp(addr("198.51.100.8"), grp, kSourcePort, kPort, big)),
       "drop-source-not-subscribed"},
      {&relay, data(bad_udp_length), "drop-udp-malformed"},
      {&relay, data(amt_relay::ipv4_udp(src, grp, kSourcePort, kPort + 1, big)),
       "drop-udp-port-filtered"},
      {&relay, edited([](Bytes& d) { d[9] = 6; }), "drop-not-udp"},  // TCP
  };

  const GstClockTime t0 = running_time(p.src());
  const int valid = static_cast<int>(junk.size()) + 5;
  for (int i = 0; i < valid; ++i) {
    send(relay, gw, data(inner(i)));
    if (i < static_cast<int>(junk.size())) send(*junk[i].from, gw, junk[i].bytes);
  }
  expect_buffers(p, payloads(0, valid), kSource, t0);
  expect_no_more_buffers(p);

  std::map<std::string, uint64_t> want;
  for (const auto& j : junk) ++want[j.counter];
  want["nonce-mismatches"] += 1;
  want["control-not-from-relay"] += 1;
  const std::string m = p.metrics_text();
  uint64_t drops = 0;
  for (const auto& [name, n] : want) {
    fail_unless_equals_uint64(p.metric(name.c_str()), n);
    if (name.rfind("drop-", 0) == 0) drops += n;
  }
  // Nothing else was counted: the total of the drops, and datagrams.
  fail_unless_equals_uint64(p.metric("dropped"), drops);
  fail_unless_equals_uint64(p.metric("datagrams"), static_cast<uint64_t>(valid));
  fail_unless_equals_uint64(p.metric("queries"), 1);
  fail_unless_equals_uint64(p.metric("truncated"), 0);
  GST_INFO("metrics after the malformed messages: %s", m.c_str());
  fail_unless(p.texts(GST_MESSAGE_ERROR).empty(), "errors: %s", p.describe_errors().c_str());
}
GST_END_TEST;

// --------------------------------------------------------------------- (f)

// output=datagram: each buffer is the complete inner IP datagram as the
// relay sent it (header, UDP header, payload; a non-UDP datagram too), no
// GstNetAddressMeta.
MCTX_GST_TEST(test_datagram_output) {
  ScriptedRelay relay = relay_at("127.0.0.1");
  Pipeline p(amtsrc(relay, "datagram") + kAppsink);
  p.play();
  const Session s = answer_request(relay, 42);
  fail_unless(p.wait_state("joined", 5s));
  std::vector<Bytes> want;
  for (int i = 0; i < 20; ++i) want.push_back(inner(i));
  Bytes tcp = inner(20);
  tcp[9] = 6;
  amt_relay::fix_ipv4_checksum(tcp);
  want.push_back(tcp);
  const GstClockTime t0 = running_time(p.src());
  for (const auto& d : want) send(relay, s.gateway, amt_relay::multicast_data(d));
  expect_buffers(p, want, nullptr, t0);
  expect_no_more_buffers(p);
  uint64_t bytes = 0;
  for (const auto& d : want) bytes += d.size();
  fail_unless_equals_uint64(p.metric("bytes"), bytes);
}
GST_END_TEST;

// --------------------------------------------------------------------- (d)

// A relay that never answers: Requests at about 0, 1, 3 and 7 s (backoff),
// one WARNING naming the relay after the third, no ERROR; amtsrc-timeout
// every 0.5 s and amt-metrics every 0.5 s meanwhile; the change to NULL
// takes less than a second.
MCTX_GST_TEST(test_silent_relay) {
  ScriptedRelay relay = relay_at("127.0.0.1");
  Pipeline p(amtsrc(relay, "payload", "timeout=500000000") + " ! fakesink");
  g_object_set(p.src(), "metrics-interval", 500u, nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  p.play();
  std::vector<double> at;
  uint32_t nonce = 0;
  while (at.size() < 4) {
    auto r = must("relay", [&] { return relay.expect(0x03, 6s); });
    fail_unless(r.has_value(), "Request %zu did not come (backoff stops?)", at.size() + 1);
    at.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    const uint32_t n = amt_relay::parse_request(r->bytes)->nonce;
    fail_unless(at.size() == 1 || n == nonce, "a retransmission changed the nonce");
    nonce = n;
  }
  const double want[] = {0, 1, 3, 7};
  for (std::size_t i = 0; i < 4; ++i) {
    fail_unless(at[i] >= want[i] - 0.2 && at[i] <= want[i] + 1.5,
                "Request %zu at %.2f s, expected about %.0f s", i + 1, at[i], want[i]);
  }
  const auto warnings = p.texts(GST_MESSAGE_WARNING);
  fail_unless_equals_int(warnings.size(), 1);
  const std::string who = relay.local().to_string();
  fail_unless(warnings[0].find(who) != std::string::npos, "the WARNING does not name %s: %s",
              who.c_str(), warnings[0].c_str());
  fail_unless(p.texts(GST_MESSAGE_ERROR).empty(), "errors: %s", p.describe_errors().c_str());

  const double took = p.stop();
  fail_unless(took < 1.0, "the change to NULL took %.2f s", took);
  int timeouts = 0, periodic = 0;
  for (auto* m : p.messages()) {
    if (GST_MESSAGE_TYPE(m) != GST_MESSAGE_ELEMENT) continue;
    const GstStructure* s = gst_message_get_structure(m);
    guint64 v = 0;
    if (gst_structure_has_name(s, "amtsrc-timeout") &&
        gst_structure_get_uint64(s, "timeout", &v) && v == 500000000) {
      ++timeouts;
    }
    if (gst_structure_has_name(s, "amt-metrics") &&
        str(gst_structure_get_string(s, "reason")) == "interval" &&
        str(gst_structure_get_string(s, "state")) == "requesting") {
      ++periodic;
    }
  }
  // About 14 of each in 7 s; a loaded machine may lose some.
  fail_unless(timeouts >= 6, "%d amtsrc-timeout messages in 7 s (timeout 0.5 s)", timeouts);
  fail_unless(periodic >= 6, "%d periodic amt-metrics messages in 7 s (0.5 s)", periodic);
  const auto states = p.states();
  fail_unless(states == std::vector<std::string>({"requesting", "stopped"}),
              "amt-state sequence: %s", Pipeline::join(states).c_str());
}
GST_END_TEST;

// --------------------------------------------------------------------- (e)

// The relay, found by discovery (the anycast address 192.52.193.1 on lo),
// goes silent mid-stream. After the 8 unanswered Requests of the backoff
// (1+2+...+64+120 s on the element's clock, skipped here by moving that
// clock forward), amtsrc posts amt-state relay-lost and sends a new Relay
// Discovery; a relay answers, and data flows again.
MCTX_GST_TEST(test_relay_lost_rediscovery) {
  fail_unless_equals_int(mctx::test::shell("ip addr add 192.52.193.1/32 dev lo"), 0);
  ScriptedRelay relay = relay_at("127.0.0.1");
  ScriptedRelay anycast = relay_at("192.52.193.1", relay.local().port);
  Pipeline p("amtsrc name=amt relay-port=" + std::to_string(relay.local().port) + " group=" +
             kGroup + " source-address=" + kSource + " dns-discovery=false metrics-interval=0" +
             kAppsink);
  p.play();

  auto discover = [&](uint32_t* nonce_out) {
    auto d = must("relay", [&] { return anycast.expect(0x01, 5s); });
    fail_unless(d.has_value(), "no Relay Discovery at 192.52.193.1");
    const uint32_t nonce = amt_relay::parse_discovery(d->bytes);
    fail_unless(nonce != 0 || d->bytes.size() == 8, "malformed Relay Discovery");
    send(anycast, d->from, amt_relay::advertisement(nonce, relay.local().address));
    *nonce_out = nonce;
  };
  uint32_t n1 = 0, n2 = 0;
  discover(&n1);
  const Session s1 = answer_request(relay, 0x100, {.qqic = 1});
  check_join_update(s1);
  fail_unless(p.wait_state("joined", 5s));
  GstClockTime t0 = running_time(p.src());
  for (int i = 0; i < 3; ++i) send(relay, s1.gateway, amt_relay::multicast_data(inner(i)));
  expect_buffers(p, payloads(0, 3), kSource, t0);

  // Silence: the refresh and its 7 retransmissions go unanswered. After each
  // one, the element's clock jumps past the next retry, and a datagram from
  // the relay (a Relay Discovery, which a gateway ignores) wakes it.
  const Bytes poke = {0x01, 0, 0, 0, 0, 0, 0, 1};
  for (int k = 1; k <= 8; ++k) {
    auto r = must("relay", [&] { return relay.expect(0x03, 5s); });
    fail_unless(r.has_value(), "unanswered Request %d did not come; states %s", k,
                Pipeline::join(p.states()).c_str());
    g_warp_ns += int64_t{121} * 1000000000;
    send(relay, s1.gateway, poke);
  }
  fail_unless(p.wait_state("relay-lost", 5s), "no amt-state relay-lost; states %s",
              Pipeline::join(p.states()).c_str());
  discover(&n2);
  fail_unless(n2 != n1, "the new discovery reuses the nonce");
  const Session s2 = answer_request(relay, 0x200, {.qqic = 125});
  check_join_update(s2);
  t0 = running_time(p.src());
  for (int i = 3; i < 6; ++i) send(relay, s2.gateway, amt_relay::multicast_data(inner(i)));
  expect_buffers(p, payloads(3, 3), kSource, t0);

  const auto states = p.states();
  const std::vector<std::string> want = {"discovering", "requesting", "joined", "relay-lost",
                                         "requesting", "joined"};
  fail_unless(states == want, "amt-state sequence: %s", Pipeline::join(states).c_str());
  fail_unless_equals_uint64(p.metric("relay-losses"), 1);
  fail_unless_equals_uint64(p.metric("discoveries-sent"), 2);
  fail_unless_equals_uint64(p.metric("advertisements"), 2);
  fail_unless_equals_uint64(p.metric("control-unexpected"), 8);  // the pokes
  const auto warnings = p.texts(GST_MESSAGE_WARNING);
  fail_unless_equals_int(warnings.size(), 1);
  // It names the silent relay, and how it was found.
  const std::string who = relay.local().to_string();
  fail_unless(warnings[0].find(who) != std::string::npos &&
                  warnings[0].find("192.52.193.1") != std::string::npos,
              "the WARNING does not name the relay %s (found at 192.52.193.1): %s", who.c_str(),
              warnings[0].c_str());
  const double took = p.stop();
  fail_unless(took < 1.0, "the change to NULL took %.2f s", took);
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "amtsrc-relay", .netns = netns_lo(), .timeout = 60});
