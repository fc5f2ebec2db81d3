// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink raw-mode=true on the wire, inside scripts/mctx-netns --peer: the
// element sends out of mctx0; in the peer namespace an AF_PACKET capture on
// mctx1 compares every frame byte for byte with the buffer that was pushed,
// and source-specific (S,G) receivers joined for the datagrams' foreign
// source get the payloads. Malformed buffers are dropped, counted and
// reported, and nothing of them reaches the wire. Without CAP_NET_RAW (a
// child process started under setpriv / capsh) the start fails with the
// privilege message.
//
// The binary refuses to run (exit 77) outside a private namespace holding
// only lo and the veth pair (netns_guard.hpp), like the core's raw tests.

// C++ and the raw test helpers first: check.h defines a macro `fail`.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "netns_guard.hpp"
#include "raw/raw_test_util.hpp"

#include "gst-test-util.hpp"

using namespace mctx_gst_test;
namespace rt = mctx::rawtest;
using namespace std::chrono_literals;

static const char* const kSource4 = "198.51.100.7";
static const char* const kGroup4 = "232.1.1.1";
static const char* const kSource6 = "2001:db8:99::7";
static const char* const kGroup6 = "ff3e::8000:1";
static constexpr uint16_t kPort = 5000;
static constexpr uint16_t kSourcePort = 4000;

// A datagram to build; the payload and extension header live here, so the
// spec never points to a temporary.
struct Datagram {
  std::string payload;
  std::vector<std::byte> ext;
  std::vector<uint8_t> bytes;
};

static Datagram v4(const std::string& payload, uint16_t id, const char* group = kGroup4) {
  Datagram d;
  d.payload = payload;
  mctx::UdpDatagramSpec s;
  s.source = addr(kSource4);
  s.destination = addr(group);
  s.source_port = kSourcePort;
  s.destination_port = kPort;
  s.payload = rt::bytes(d.payload);
  s.ttl = 8;
  s.traffic_class = 0x28;
  s.ipv4_id = id;  // non-zero: Linux keeps it, so the capture matches exactly
  d.bytes = must("building an IPv4 datagram", [&] { return rt::build(s); });
  return d;
}

static Datagram v6(const std::string& payload) {
  Datagram d;
  d.payload = payload;
  d.ext = rt::dstopts_padn();  // Destination Options (PadN), Next Header UDP
  mctx::UdpDatagramSpec s;
  s.source = addr(kSource6);
  s.destination = addr(kGroup6);
  s.source_port = kSourcePort;
  s.destination_port = kPort;
  s.payload = rt::bytes(d.payload);
  s.ttl = 9;  // hop limit
  s.traffic_class = 0xb8;
  s.flow_label = 0x12345;
  s.ipv6_extension_headers = d.ext;
  s.ipv6_first_extension = 60;
  d.bytes = must("building an IPv6 datagram", [&] { return rt::build(s); });
  return d;
}

static GstBuffer* buffer_of(const std::vector<uint8_t>& bytes) {
  return gst_buffer_new_memdup(bytes.data(), bytes.size());
}

// The datagram in three memories, split inside the header: the element
// validates and sends them gathered, without merging.
static GstBuffer* split_buffer_of(const std::vector<uint8_t>& bytes) {
  const std::string all(bytes.begin(), bytes.end());
  return multi_memory_buffer({all.substr(0, 7), all.substr(7, 23), all.substr(30)});
}

static void peer_setup() {
  fail_if(rt::peer_netns().empty(), "run under scripts/mctx-netns --peer");
  must("turning rp_filter off in the peer", [] {
    rt::peer_rp_filter_off();
    return 0;
  });
}

static rt::Capture capture() {
  return must("opening the capture in the peer", [] { return rt::peer_capture(); });
}

static std::unique_ptr<mctx::test::Receiver> ssm_receiver(const char* source, const char* group) {
  return must("joining in the peer", [&] {
    return std::make_unique<mctx::test::Receiver>(
        rt::peer_receiver(addr(group), kPort, addr(source)));
  });
}

// Exactly one frame carries the datagram's payload, and it is the datagram:
// Ethernet destination of the group, EtherType, every IP byte.
static void expect_on_wire(std::vector<rt::Frame>& frames, const Datagram& d, const char* group) {
  std::vector<rt::Frame> mine;
  for (auto& f : frames) {
    if (rt::contains(f.bytes, d.payload)) mine.push_back(f);
  }
  fail_unless_equals_int(mine.size(), 1);
  const rt::Frame& f = mine.front();
  fail_unless(f.bytes.size() >= 14);
  fail_unless(std::vector<uint8_t>(f.bytes.begin(), f.bytes.begin() + 6) ==
                  rt::ethernet_multicast(addr(group)),
              "Ethernet destination is not the group's");
  fail_unless_equals_int(f.ethertype(), addr(group).is_v4() ? 0x0800 : 0x86dd);
  fail_unless(f.l3() == d.bytes, "captured:\n%s\nsent:\n%s", rt::hexdump(f.l3()).c_str(),
              rt::hexdump(d.bytes).c_str());
}

static std::vector<mctx::test::Datagram> receive(mctx::test::Receiver& rx, std::size_t n) {
  return receive_n(rx, n, 1000);
}

// The receiver gets exactly the datagrams of `sent`, in order (it waits for
// one more, so a duplicate would show).
static void expect_received(mctx::test::Receiver& rx, const std::vector<Datagram>& sent) {
  const auto got = receive(rx, sent.size() + 1);
  fail_unless_equals_int(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) assert_str_eq(payload_string(got[i]), sent[i].payload);
}

static void raw_sink(Sink& s, const char* interface = "mctx0") {
  g_object_set(s.element, "raw-mode", TRUE, "stats-interval", 0u, nullptr);
  if (interface) g_object_set(s.element, "interface", interface, nullptr);
}

// ---------------------------------------------------------------------------

// IPv4 with a foreign source: on the wire byte for byte (a non-zero ID and a
// correct checksum leave Linux nothing to fill in), and delivered to an
// (S,G) receiver for that source.
GST_START_TEST(test_ipv4_foreign_source) {
  peer_setup();
  rt::Capture cap = capture();
  auto rx = ssm_receiver(kSource4, kGroup4);
  Sink s;
  raw_sink(s);
  GstHarness* h = s.harness();

  const Datagram d1 = v4("mctx-gst-raw-v4-one", 0x1001);
  const Datagram d2 = v4("mctx-gst-raw-v4-two-split", 0x1002);
  fail_unless_equals_int(gst_harness_push(h, buffer_of(d1.bytes)), GST_FLOW_OK);
  GstBuffer* split = split_buffer_of(d2.bytes);
  gst_buffer_ref(split);
  fail_unless_equals_int(gst_harness_push(h, split), GST_FLOW_OK);
  fail_unless_equals_int(gst_buffer_n_memory(split), 3);  // not merged
  gst_buffer_unref(split);

  const auto got = receive(*rx, 3);
  fail_unless_equals_int(got.size(), 2);
  assert_str_eq(payload_string(got[0]), d1.payload);
  assert_str_eq(payload_string(got[1]), d2.payload);
  for (const auto& g : got) {
    assert_str_eq(g.from.address.to_string(), kSource4);
    fail_unless_equals_int(g.from.port, kSourcePort);
    fail_unless_equals_int(g.ttl, 8);
    fail_unless_equals_int(g.tos, 0x28);
  }
  auto frames = cap.frames();
  expect_on_wire(frames, d1, kGroup4);
  expect_on_wire(frames, d2, kGroup4);

  GstStructure* st = stats(s.element);
  assert_str_eq(field_string(st, "mode"), "raw");
  assert_str_eq(field_string(st, "group"), "");
  fail_unless_equals_uint64(u64(st, "packets-sent"), 2);
  fail_unless_equals_uint64(u64(st, "bytes-sent"), d1.bytes.size() + d2.bytes.size());
  fail_unless_equals_uint64(u64(st, "ipv4-packets-sent"), 2);
  fail_unless_equals_uint64(u64(st, "ipv6-packets-sent"), 0);
  fail_unless_equals_uint64(u64(st, "invalid-datagrams"), 0);
  fail_unless_equals_uint64(u64(st, "dropped"), 0);
  gst_structure_free(st);

  std::vector<std::string> warnings;
  for (auto* x : pop_metrics(s.bus, &warnings)) gst_structure_free(x);
  fail_unless_equals_int(warnings.size(), 0);  // nothing ignored, nothing dropped
  gst_harness_teardown(h);
}
GST_END_TEST;

// IPv6 with a foreign source, traffic class, flow label, hop limit and a
// Destination Options header: every byte on the wire, and an SSM receiver
// (MCAST_JOIN_SOURCE_GROUP) in the peer gets it.
GST_START_TEST(test_ipv6_foreign_source) {
  peer_setup();
  rt::Capture cap = capture();
  auto rx = ssm_receiver(kSource6, kGroup6);
  Sink s;
  raw_sink(s);
  GstHarness* h = s.harness();

  const Datagram d1 = v6("mctx-gst-raw-v6-one");
  const Datagram d2 = v6("mctx-gst-raw-v6-two-split");
  fail_unless_equals_int(gst_harness_push(h, buffer_of(d1.bytes)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_push(h, split_buffer_of(d2.bytes)), GST_FLOW_OK);

  const auto got = receive(*rx, 3);
  fail_unless_equals_int(got.size(), 2);
  assert_str_eq(payload_string(got[0]), d1.payload);
  assert_str_eq(payload_string(got[1]), d2.payload);
  for (const auto& g : got) {
    assert_str_eq(g.from.address.to_string(), kSource6);
    fail_unless_equals_int(g.ttl, 9);
    fail_unless_equals_int(g.tos, 0xb8);
  }
  auto frames = cap.frames();
  expect_on_wire(frames, d1, kGroup6);
  expect_on_wire(frames, d2, kGroup6);

  GstStructure* st = stats(s.element);
  fail_unless_equals_uint64(u64(st, "packets-sent"), 2);
  fail_unless_equals_uint64(u64(st, "ipv6-packets-sent"), 2);
  fail_unless_equals_uint64(u64(st, "bytes-sent"), d1.bytes.size() + d2.bytes.size());
  gst_structure_free(st);
  gst_harness_teardown(h);
}
GST_END_TEST;

// IPv4 and IPv6 interleaved in one stream: each family's publication is
// opened on its first datagram; everything arrives in order.
GST_START_TEST(test_both_families_one_stream) {
  peer_setup();
  rt::Capture cap = capture();
  auto rx4 = ssm_receiver(kSource4, kGroup4);
  auto rx6 = ssm_receiver(kSource6, kGroup6);
  Sink s;
  raw_sink(s);
  GstHarness* h = s.harness();

  std::vector<Datagram> sent4, sent6;
  for (int i = 0; i < 6; ++i) {
    const std::string tag = "mctx-gst-raw-mixed-" + std::to_string(i) + ";";
    if (i % 2 == 0) {
      sent4.push_back(v4(tag + "-v4", static_cast<uint16_t>(0x2000 + i)));
      fail_unless_equals_int(gst_harness_push(h, buffer_of(sent4.back().bytes)), GST_FLOW_OK);
    } else {
      sent6.push_back(v6(tag + "-v6"));
      fail_unless_equals_int(gst_harness_push(h, buffer_of(sent6.back().bytes)), GST_FLOW_OK);
    }
  }
  expect_received(*rx4, sent4);
  expect_received(*rx6, sent6);
  auto frames = cap.frames();
  for (const auto& d : sent4) expect_on_wire(frames, d, kGroup4);
  for (const auto& d : sent6) expect_on_wire(frames, d, kGroup6);

  GstStructure* st = stats(s.element);
  fail_unless_equals_uint64(u64(st, "packets-sent"), 6);
  fail_unless_equals_uint64(u64(st, "ipv4-packets-sent"), 3);
  fail_unless_equals_uint64(u64(st, "ipv6-packets-sent"), 3);
  gst_structure_free(st);
  gst_harness_teardown(h);
}
GST_END_TEST;

// A buffer list in raw mode: every buffer is one datagram (both families,
// some split into several memories), sent in order.
GST_START_TEST(test_buffer_list) {
  peer_setup();
  rt::Capture cap = capture();
  auto rx4 = ssm_receiver(kSource4, kGroup4);
  auto rx6 = ssm_receiver(kSource6, kGroup6);
  Sink s;
  raw_sink(s);
  GstHarness* h = s.harness();

  std::vector<Datagram> sent4, sent6;
  GstBufferList* list = gst_buffer_list_new();
  for (int i = 0; i < 20; ++i) {
    char tag[32];
    g_snprintf(tag, sizeof tag, "mctx-gst-raw-list-%02d;", i);
    const bool is_v6 = i % 4 == 3;
    const Datagram d = is_v6 ? v6(tag) : v4(tag, static_cast<uint16_t>(0x3000 + i));
    gst_buffer_list_add(list, i % 3 == 0 ? split_buffer_of(d.bytes) : buffer_of(d.bytes));
    (is_v6 ? sent6 : sent4).push_back(d);
  }
  fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);

  expect_received(*rx4, sent4);
  expect_received(*rx6, sent6);
  auto frames = cap.frames();
  for (const auto& d : sent4) expect_on_wire(frames, d, kGroup4);
  for (const auto& d : sent6) expect_on_wire(frames, d, kGroup6);

  GstStructure* st = stats(s.element);
  fail_unless_equals_uint64(u64(st, "packets-sent"), 20);
  fail_unless_equals_uint64(u64(st, "dropped"), 0);
  // One batch (one sendmmsg) per run of one family: v4 v4 v4 v6, five times.
  fail_unless_equals_uint64(u64(st, "send-calls"), 10);
  gst_structure_free(st);
  gst_harness_teardown(h);
}
GST_END_TEST;

// Malformed datagrams between good ones, pushed alone and in a list: the
// good ones arrive, each bad one is dropped and counted (dropped,
// invalid-datagrams), a warning says what was wrong, and nothing of the bad
// ones is on the wire.
GST_START_TEST(test_bad_buffers_dropped_streaming_continues) {
  peer_setup();
  rt::Capture cap = capture();
  auto rx = ssm_receiver(kSource4, kGroup4);
  Sink s;
  raw_sink(s);
  GstHarness* h = s.harness();

  Datagram bad_checksum = v4("mctx-gst-raw-BAD-checksum", 0x4001);
  bad_checksum.bytes[10] ^= 0x5a;
  Datagram bad_length = v4("mctx-gst-raw-BAD-length", 0x4002);
  bad_length.bytes.pop_back();  // total length no longer matches
  const Datagram bad_unicast = v4("mctx-gst-raw-BAD-unicast", 0x4003, "192.0.2.2");
  const std::vector<uint8_t> bad_garbage = {0x45, 0x00, 0x01};  // too short for IPv4

  std::vector<Datagram> good;
  for (int i = 0; i < 6; ++i) {
    good.push_back(
        v4("mctx-gst-raw-good-" + std::to_string(i) + ";", static_cast<uint16_t>(0x4100 + i)));
  }
  auto push = [&](const std::vector<uint8_t>& b) {
    fail_unless_equals_int(gst_harness_push(h, buffer_of(b)), GST_FLOW_OK);
  };
  push(good[0].bytes);
  push(bad_checksum.bytes);
  push(good[1].bytes);
  push(bad_length.bytes);
  push(good[2].bytes);
  push(bad_garbage);
  push(good[3].bytes);
  GstBufferList* list = gst_buffer_list_new();
  gst_buffer_list_add(list, buffer_of(good[4].bytes));
  gst_buffer_list_add(list, buffer_of(bad_unicast.bytes));
  gst_buffer_list_add(list, buffer_of(bad_checksum.bytes));
  gst_buffer_list_add(list, buffer_of(good[5].bytes));
  fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);

  const auto got = receive(*rx, good.size() + 1);
  fail_unless_equals_int(got.size(), good.size());
  for (std::size_t i = 0; i < good.size(); ++i) assert_str_eq(payload_string(got[i]), good[i].payload);
  auto frames = cap.frames();
  for (const auto& d : good) expect_on_wire(frames, d, kGroup4);
  for (const auto& f : frames) {
    fail_if(rt::contains(f.bytes, "BAD"), "a malformed datagram reached the wire:\n%s",
            rt::hexdump(f.bytes).c_str());
  }

  GstStructure* st = stats(s.element);
  fail_unless_equals_uint64(u64(st, "packets-sent"), good.size());
  fail_unless_equals_uint64(u64(st, "invalid-datagrams"), 5);
  fail_unless_equals_uint64(u64(st, "dropped"), 5);
  fail_unless_equals_uint64(u64(st, "send-errors"), 0);  // nothing reached the kernel
  gst_structure_free(st);

  // The first datagram of each kind of fault is reported at once (the rest
  // within the second are counted); each warning has the validator's words.
  std::vector<std::string> warnings;
  for (auto* x : pop_metrics(s.bus, &warnings)) gst_structure_free(x);
  fail_unless_equals_int(warnings.size(), 4);
  const std::string all = warnings[0] + "\n" + warnings[1] + "\n" + warnings[2] + "\n" +
                          warnings[3];
  for (const auto& w : warnings) {
    assert_contains(w, "the datagram is invalid: ");
    assert_contains(w, "The buffer was dropped; streaming continues");
  }
  assert_contains(all, "IPv4 header checksum 0x");
  assert_contains(all, "is wrong (expected 0x");
  assert_contains(all, "IPv4 total length " + std::to_string(bad_length.bytes.size() + 1) +
                           " does not match the datagram size " +
                           std::to_string(bad_length.bytes.size()));
  assert_contains(all, "IPv4 datagram of 3 bytes is shorter than the minimum IPv4 header");
  assert_contains(all, "destination 192.0.2.2 of the IPv4 datagram is not a multicast address");
  gst_harness_teardown(h);
}
GST_END_TEST;

// No interface: IPv4 follows routing; each IPv6 datagram follows the route
// of its group in the kernel's main table (route-selected egress). Without
// such a route an IPv6 datagram is dropped, counted and reported, and goes
// nowhere; once a route exists the next one leaves by it.
GST_START_TEST(test_ipv6_without_interface) {
  peer_setup();
  // The sending namespace has no default route: give IPv4 multicast one.
  fail_unless_equals_int(std::system("ip route replace 232.0.0.0/8 dev mctx0"), 0);
  rt::Capture cap = capture();
  auto rx4 = ssm_receiver(kSource4, kGroup4);
  Sink s;
  raw_sink(s, nullptr);
  GstHarness* h = s.harness();

  const Datagram d6 = v6("mctx-gst-raw-v6-NOIF");
  const Datagram d4 = v4("mctx-gst-raw-v4-routed", 0x5001);
  const Datagram routed6 = v6("mctx-gst-raw-v6-ROUTED");
  fail_unless_equals_int(gst_harness_push(h, buffer_of(d6.bytes)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_push(h, buffer_of(d4.bytes)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_push(h, buffer_of(d6.bytes)), GST_FLOW_OK);
  // A main-table route for the group: the next IPv6 datagram follows it.
  fail_unless_equals_int(std::system("ip -6 route replace ff3e::/16 dev mctx0"), 0);
  fail_unless_equals_int(gst_harness_push(h, buffer_of(routed6.bytes)), GST_FLOW_OK);

  const auto got4 = receive(*rx4, 2);
  fail_unless_equals_int(got4.size(), 1);
  assert_str_eq(payload_string(got4[0]), d4.payload);
  auto frames = cap.frames();
  expect_on_wire(frames, d4, kGroup4);
  expect_on_wire(frames, routed6, kGroup6);
  for (const auto& f : frames) fail_if(rt::contains(f.bytes, "NOIF"), "IPv6 datagram on the wire");

  GstStructure* st = stats(s.element);
  fail_unless_equals_uint64(u64(st, "packets-sent"), 2);
  fail_unless_equals_uint64(u64(st, "ipv6-packets-sent"), 1);
  fail_unless_equals_uint64(u64(st, "dropped"), 2);
  fail_unless_equals_uint64(u64(st, "invalid-datagrams"), 0);  // valid, but no way out
  gst_structure_free(st);

  std::vector<std::string> warnings;
  for (auto* x : pop_metrics(s.bus, &warnings)) gst_structure_free(x);
  fail_unless_equals_int(warnings.size(), 1);  // the second is within the same second
  assert_contains(warnings[0], "IPv6 datagram 2001:db8:99::7 -> ff3e::8000:1: ");
  assert_contains(warnings[0], "no usable route in the kernel's main routing table");
  gst_harness_teardown(h);
  (void)std::system("ip -6 route del ff3e::/16 dev mctx0");
  (void)std::system("ip route del 232.0.0.0/8 dev mctx0");
}
GST_END_TEST;

// Backpressure with two families: mctx0's egress is rate-limited (tc tbf)
// and the send buffers are tiny, so both raw sockets keep filling up; the
// element waits on the socket that blocked and every datagram arrives.
GST_START_TEST(test_backpressure_both_families) {
  peer_setup();
  fail_unless_equals_int(
      std::system("tc qdisc replace dev mctx0 root tbf rate 8mbit burst 4kb limit 8mb"), 0);
  auto rx4 = ssm_receiver(kSource4, kGroup4);
  auto rx6 = ssm_receiver(kSource6, kGroup6);
  Sink s;
  raw_sink(s);
  g_object_set(s.element, "buffer-size", 2048, nullptr);
  GstHarness* h = s.harness();

  const int n = 160;
  std::vector<Datagram> sent4, sent6;
  GstBufferList* list = gst_buffer_list_new();
  for (int i = 0; i < n; ++i) {
    char tag[40];
    g_snprintf(tag, sizeof tag, "mctx-gst-raw-bp-%03d;", i);
    const std::string payload = tag + std::string(900, 'p');
    const bool is_v6 = (i / 10) % 2 == 1;  // runs of ten per family
    const Datagram d = is_v6 ? v6(payload) : v4(payload, static_cast<uint16_t>(0x7000 + i));
    if (i < n / 2) {
      fail_unless_equals_int(gst_harness_push(h, buffer_of(d.bytes)), GST_FLOW_OK);
    } else {
      gst_buffer_list_add(list, buffer_of(d.bytes));
    }
    (is_v6 ? sent6 : sent4).push_back(d);
  }
  fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);

  expect_received(*rx4, sent4);
  expect_received(*rx6, sent6);
  (void)std::system("tc qdisc del dev mctx0 root");
  GstStructure* st = stats(s.element);
  GST_INFO("after raw backpressure: %" GST_PTR_FORMAT, st);
  fail_unless_equals_uint64(u64(st, "packets-sent"), n);
  fail_unless_equals_uint64(u64(st, "dropped"), 0);
  fail_unless_equals_uint64(u64(st, "send-errors"), 0);
  fail_unless(u64(st, "would-block") > 0, "the sockets never filled up: the test proves nothing");
  // Waiting on the socket that blocked makes the next try succeed: at most
  // one would-block per datagram. Polling the other family's (writable)
  // socket would spin and count hundreds per datagram.
  fail_unless(u64(st, "would-block") <= static_cast<guint64>(n), "would-block %" G_GUINT64_FORMAT,
              u64(st, "would-block"));
  gst_structure_free(st);
  gst_harness_teardown(h);
}
GST_END_TEST;

// PLAYING -> PAUSED while the raw socket is full, then PLAYING again: the
// interrupted render waits for preroll and sends again. Single buffers and
// lists; every datagram arrives in order, nothing is dropped or sent while
// paused, and each state change completes within a second.
GST_START_TEST(test_pause_while_blocked_resumes) {
  peer_setup();
  fail_unless_equals_int(
      std::system("tc qdisc replace dev mctx0 root tbf rate 32kbit burst 2kb limit 8mb"), 0);
  auto rx4 = ssm_receiver(kSource4, kGroup4);
  Sink s;
  raw_sink(s);
  g_object_set(s.element, "buffer-size", 2048, nullptr);
  GstHarness* h = s.harness();

  const int n = 24;
  std::vector<Datagram> sent;
  for (int i = 0; i < n; ++i) {
    char tag[40];
    g_snprintf(tag, sizeof tag, "mctx-gst-raw-pause-%03d;", i);
    sent.push_back(v4(tag + std::string(450, 'p'), static_cast<uint16_t>(0x7400 + i)));
  }
  // Single buffers, then lists of four.
  pause_and_resume_while_blocked(
      h, s.element, n, [&](int i) { return buffer_of(sent[i].bytes); }, 8, 4);

  expect_received(*rx4, sent);
  (void)std::system("tc qdisc del dev mctx0 root");
  GstStructure* st = stats(s.element);
  fail_unless_equals_uint64(u64(st, "packets-sent"), n);
  fail_unless_equals_uint64(u64(st, "dropped"), 0);
  gst_structure_free(st);
  gst_harness_teardown(h);
}
GST_END_TEST;

// group, port, ttl and source-address are not used in raw mode: one warning
// at start names those that are set; streaming is not affected.
GST_START_TEST(test_ignored_properties_warning) {
  peer_setup();
  auto rx = ssm_receiver(kSource4, kGroup4);
  Sink s;
  raw_sink(s);
  g_object_set(s.element, "group", "239.9.9.9", "port", 6000u, "ttl", 4u, "source-address",
               "192.0.2.1", nullptr);
  GstHarness* h = s.harness();
  std::vector<std::string> warnings;
  for (auto* x : pop_metrics(s.bus, &warnings)) gst_structure_free(x);
  fail_unless_equals_int(warnings.size(), 1);
  assert_str_eq(warnings[0],
                "raw-mode: group, port, ttl and source-address are ignored in raw mode: each "
                "buffer is a complete IP datagram whose header already holds the source, the "
                "group, the ports, the TTL / hop limit and the traffic class; leave them unset");

  // The datagram's own destination and TTL are used.
  const Datagram d = v4("mctx-gst-raw-ignored", 0x6001);
  fail_unless_equals_int(gst_harness_push(h, buffer_of(d.bytes)), GST_FLOW_OK);
  const auto got = receive(*rx, 2);
  fail_unless_equals_int(got.size(), 1);
  fail_unless_equals_int(got[0].ttl, 8);
  assert_str_eq(got[0].from.address.to_string(), kSource4);
  GstStructure* st = stats(s.element);
  assert_str_eq(field_string(st, "group"), "");
  guint port = 1;
  fail_unless(gst_structure_get_uint(st, "port", &port));
  fail_unless_equals_int(port, 0);
  gst_structure_free(st);
  gst_harness_teardown(h);

  // One property: singular wording.
  Sink s2;
  raw_sink(s2);
  g_object_set(s2.element, "dscp", 46, nullptr);
  GstHarness* h2 = s2.harness();
  warnings.clear();
  for (auto* x : pop_metrics(s2.bus, &warnings)) gst_structure_free(x);
  fail_unless_equals_int(warnings.size(), 1);
  assert_contains(warnings[0], "raw-mode: dscp is ignored in raw mode");
  assert_contains(warnings[0], "leave it unset");
  gst_harness_teardown(h2);

  // max-rate alone: raw mode does not pace, and says so.
  Sink s3;
  raw_sink(s3);
  g_object_set(s3.element, "max-rate", guint64(20000000), nullptr);
  GstHarness* h3 = s3.harness();
  warnings.clear();
  for (auto* x : pop_metrics(s3.bus, &warnings)) gst_structure_free(x);
  fail_unless_equals_int(warnings.size(), 1);
  assert_str_eq(warnings[0],
                "raw-mode: max-rate 20000000 is not applied in raw mode: raw datagrams are sent "
                "unpaced");
  gst_harness_teardown(h3);
}
GST_END_TEST;

// mode "raw" in the stats of a stopped element too.
GST_START_TEST(test_stats_when_stopped) {
  Sink s;
  raw_sink(s);
  g_object_set(s.element, "group", "239.9.9.9", nullptr);
  GstStructure* st = stats(s.element);
  assert_str_eq(field_string(st, "mode"), "raw");
  assert_str_eq(field_string(st, "group"), "");
  fail_unless_equals_uint64(u64(st, "packets-sent"), 0);
  gst_structure_free(st);
}
GST_END_TEST;

// ---------------------------------------------------------------------------
// Without CAP_NET_RAW. A child process (this binary, MCTX_GST_RAW_CHILD=nocap)
// is started under setpriv or capsh without the capability; it tries to
// start a raw-mode mctxsink and prints the error it got.

static std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  fail_unless(n > 0, "readlink /proc/self/exe");
  return std::string(buf, static_cast<std::size_t>(n));
}

static bool have_program(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

GST_START_TEST(test_no_cap_net_raw) {
  peer_setup();
  rt::Capture cap = capture();
  const std::string exe = self_exe();
  std::vector<std::vector<std::string>> wrappers;
  if (have_program("setpriv")) {
    wrappers.push_back({"setpriv", "--inh-caps=-net_raw", "--ambient-caps=-net_raw",
                        "--bounding-set=-net_raw", "--"});
  }
  if (have_program("capsh")) {
    wrappers.push_back({"capsh", "--drop=cap_net_raw", "--", "-c", "exec \"$@\"", "capsh"});
  }
  fail_if(wrappers.empty(), "neither setpriv nor capsh is installed (util-linux / libcap2-bin)");
  for (auto argv : wrappers) {
    argv.insert(argv.end(), {"env", "MCTX_GST_RAW_CHILD=nocap", exe});
    const rt::ProcessResult r = must("running the child", [&] { return rt::run_process(argv); });
    GST_INFO("%s: exit %d\nstdout: %s\nstderr: %s", argv[0].c_str(), r.exit_code, r.out.c_str(),
             r.err.c_str());
    fail_unless_equals_int(r.exit_code, 0);
    assert_contains(r.out, "cap_net_raw=0\n");
    assert_contains(r.out, "state-change=failure\n");
    assert_contains(r.out, "domain=gst-resource-error-quark code=" +
                               std::to_string(GST_RESOURCE_ERROR_NOT_AUTHORIZED) + "\n");
    assert_contains(r.out,
                    "message=raw mode needs CAP_NET_RAW (run as root, or setcap cap_net_raw+ep "
                    "on the program)\n");
  }
  for (const auto& f : cap.frames(200ms)) {
    fail_if(rt::contains(f.bytes, "mctx-gst-raw-nocap"), "the child sent something");
  }
}
GST_END_TEST;

static bool net_raw_effective() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return true;
  char line[256];
  unsigned long long eff = ~0ull;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "CapEff: %llx", &eff) == 1) break;
  }
  std::fclose(f);
  return (eff >> 13) & 1;  // CAP_NET_RAW = 13
}

// The child: start a raw-mode mctxsink, print what happened, push a
// datagram if it (wrongly) started.
static int child_no_cap() {
  gst_init(nullptr, nullptr);
  std::printf("cap_net_raw=%d\n", net_raw_effective() ? 1 : 0);
  GstElement* e = gst_element_factory_make("mctxsink", nullptr);
  if (e == nullptr) {
    std::printf("no mctxsink\n");
    return 3;
  }
  gst_object_ref_sink(e);
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(e, bus);
  g_object_set(e, "raw-mode", TRUE, "interface", "mctx0", "async", FALSE, nullptr);
  const GstStateChangeReturn ret = gst_element_set_state(e, GST_STATE_PAUSED);
  std::printf("state-change=%s\n", ret == GST_STATE_CHANGE_FAILURE ? "failure" : "success");
  if (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
    GError* err = nullptr;
    gchar* dbg = nullptr;
    gst_message_parse_error(m, &err, &dbg);
    std::printf("domain=%s code=%d\nmessage=%s\ndebug=%s\n", g_quark_to_string(err->domain),
                err->code, err->message, dbg ? dbg : "");
    g_clear_error(&err);
    g_free(dbg);
    gst_message_unref(m);
  }
  gst_element_set_state(e, GST_STATE_NULL);
  gst_element_set_bus(e, nullptr);
  gst_object_unref(bus);
  gst_object_unref(e);
  std::fflush(stdout);
  return 0;
}

// ---------------------------------------------------------------------------

static Suite* mctxsink_raw_suite() {
  Suite* s = suite_create("mctxsink-raw");
  TCase* tc = tcase_create("raw");
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_ipv4_foreign_source);
  tcase_add_test(tc, test_ipv6_foreign_source);
  tcase_add_test(tc, test_both_families_one_stream);
  tcase_add_test(tc, test_buffer_list);
  tcase_add_test(tc, test_bad_buffers_dropped_streaming_continues);
  tcase_add_test(tc, test_ipv6_without_interface);
  tcase_add_test(tc, test_backpressure_both_families);
  tcase_add_test(tc, test_pause_while_blocked_resumes);
  tcase_add_test(tc, test_ignored_properties_warning);
  tcase_add_test(tc, test_stats_when_stopped);
  tcase_add_test(tc, test_no_cap_net_raw);
  return s;
}

int main(int argc, char** argv) {
  // As the core's raw tests: no interface but lo and the veth pair, not even
  // a down one.
  const mctx::test::NetnsRules rules{.others_may_exist_down = false,
                                     .required_env = {"MCTX_PEER_NETNS"},
                                     .how_to_run = "scripts/mctx-netns --peer"};
  if (!mctx::test::require_private_netns(rules, "mctxsink raw-mode tests send raw multicast")) {
    return mctx::test::kSkipExitCode;
  }
  if (const char* child = std::getenv("MCTX_GST_RAW_CHILD")) {
    if (std::string(child) == "nocap") return child_no_cap();
    return 2;
  }
  gst_check_init(&argc, &argv);
  return gst_check_run_suite(mctxsink_raw_suite(), "mctxsink-raw", __FILE__);
}
