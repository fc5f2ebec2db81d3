// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink raw-mode=true on the wire (gst-raw-test.hpp): IPv4 and IPv6
// datagrams with a foreign source, both families in one stream, buffer lists,
// malformed buffers dropped and counted (nothing of them reaches the wire),
// IPv6 without an interface.
//
// The binary refuses to run (exit 77) outside a private namespace holding
// only lo and the veth pair, like the core's raw tests.

#include "gst-raw-test.hpp"

using namespace mctx_gst_test;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------

// IPv4 with a foreign source: on the wire byte for byte (a non-zero ID and a
// correct checksum leave Linux nothing to fill in), and delivered to an
// (S,G) receiver for that source.
MCTX_GST_TEST(test_ipv4_foreign_source) {
  RawPeer peer;
  RawSink s;
  GstHarness* h = s.harness();

  const Datagram d1 = v4("mctx-gst-raw-v4-one", 0x1001);
  const Datagram d2 = v4("mctx-gst-raw-v4-two-split", 0x1002);
  fail_unless_equals_int(gst_harness_push(h, buffer_of(d1.bytes)), GST_FLOW_OK);
  GstBuffer* split = split_buffer_of(d2.bytes);
  gst_buffer_ref(split);
  fail_unless_equals_int(gst_harness_push(h, split), GST_FLOW_OK);
  fail_unless_equals_int(gst_buffer_n_memory(split), 3);  // not merged
  gst_buffer_unref(split);

  for (const auto& g : expect_received(*peer.rx4, {d1, d2})) {
    assert_str_eq(g.from.address.to_string(), kSource4);
    fail_unless_equals_int(g.from.port, kSourcePort);
    fail_unless_equals_int(g.ttl, 8);
    fail_unless_equals_int(g.tos, 0x28);
  }
  auto frames = peer.cap.frames();
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

  const std::vector<std::string> warnings = pop_warnings(s.bus);
  fail_unless_equals_int(warnings.size(), 0);  // nothing ignored, nothing dropped
}
GST_END_TEST;

// IPv6 with a foreign source, traffic class, flow label, hop limit and a
// Destination Options header: every byte on the wire, and an SSM receiver
// (MCAST_JOIN_SOURCE_GROUP) in the peer gets it.
MCTX_GST_TEST(test_ipv6_foreign_source) {
  RawPeer peer;
  RawSink s;
  GstHarness* h = s.harness();

  const Datagram d1 = v6("mctx-gst-raw-v6-one");
  const Datagram d2 = v6("mctx-gst-raw-v6-two-split");
  fail_unless_equals_int(gst_harness_push(h, buffer_of(d1.bytes)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_push(h, split_buffer_of(d2.bytes)), GST_FLOW_OK);

  for (const auto& g : expect_received(*peer.rx6, {d1, d2})) {
    assert_str_eq(g.from.address.to_string(), kSource6);
    fail_unless_equals_int(g.ttl, 9);
    fail_unless_equals_int(g.tos, 0xb8);
  }
  auto frames = peer.cap.frames();
  expect_on_wire(frames, d1, kGroup6);
  expect_on_wire(frames, d2, kGroup6);

  expect_counters(s.element, {{"packets-sent", 2},
                              {"ipv6-packets-sent", 2},
                              {"bytes-sent", d1.bytes.size() + d2.bytes.size()}});
}
GST_END_TEST;

// IPv4 and IPv6 interleaved in one stream: each family's publication is
// opened on its first datagram; everything arrives in order.
MCTX_GST_TEST(test_both_families_one_stream) {
  RawPeer peer;
  RawSink s;
  GstHarness* h = s.harness();

  for (int i = 0; i < 6; ++i) {
    const std::string tag = "mctx-gst-raw-mixed-" + std::to_string(i) + ";";
    if (i % 2 == 0) {
      peer.sent4.push_back(v4(tag + "-v4", static_cast<uint16_t>(0x2000 + i)));
      fail_unless_equals_int(gst_harness_push(h, buffer_of(peer.sent4.back().bytes)), GST_FLOW_OK);
    } else {
      peer.sent6.push_back(v6(tag + "-v6"));
      fail_unless_equals_int(gst_harness_push(h, buffer_of(peer.sent6.back().bytes)), GST_FLOW_OK);
    }
  }
  peer.expect_delivered();

  expect_counters(s.element,
                  {{"packets-sent", 6}, {"ipv4-packets-sent", 3}, {"ipv6-packets-sent", 3}});
}
GST_END_TEST;

// A buffer list in raw mode: every buffer is one datagram (both families,
// some split into several memories), sent in order.
MCTX_GST_TEST(test_buffer_list) {
  RawPeer peer;
  RawSink s;
  GstHarness* h = s.harness();

  GstBufferList* list = gst_buffer_list_new();
  for (int i = 0; i < 20; ++i) {
    char tag[32];
    g_snprintf(tag, sizeof tag, "mctx-gst-raw-list-%02d;", i);
    const bool is_v6 = i % 4 == 3;
    const Datagram d = is_v6 ? v6(tag) : v4(tag, static_cast<uint16_t>(0x3000 + i));
    gst_buffer_list_add(list, i % 3 == 0 ? split_buffer_of(d.bytes) : buffer_of(d.bytes));
    (is_v6 ? peer.sent6 : peer.sent4).push_back(d);
  }
  fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);

  peer.expect_delivered();

  // One batch (one sendmmsg) per run of one family: v4 v4 v4 v6, five times.
  expect_counters(s.element, {{"packets-sent", 20}, {"dropped", 0}, {"send-calls", 10}});
}
GST_END_TEST;

// Malformed datagrams between good ones, pushed alone and in a list: the
// good ones arrive, each bad one is dropped and counted (dropped,
// invalid-datagrams), a warning says what was wrong, and nothing of the bad
// ones is on the wire.
MCTX_GST_TEST(test_bad_buffers_dropped_streaming_continues) {
  RawPeer peer;
  RawSink s;
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

  const auto got = receive(*peer.rx4, good.size() + 1);
  fail_unless_equals_int(got.size(), good.size());
  for (std::size_t i = 0; i < good.size(); ++i) assert_str_eq(payload_string(got[i]), good[i].payload);
  auto frames = peer.cap.frames();
  for (const auto& d : good) expect_on_wire(frames, d, kGroup4);
  for (const auto& f : frames) {
    fail_if(rt::contains(f.bytes, "BAD"), "a malformed datagram reached the wire:\n%s",
            rt::hexdump(f.bytes).c_str());
  }

  // nothing reached the kernel (send-errors)
  expect_counters(s.element, {{"packets-sent", good.size()},
                              {"invalid-datagrams", 5},
                              {"dropped", 5},
                              {"send-errors", 0}});

  // The first datagram of each kind of fault is reported at once (the rest
  // within the second are counted); each warning has the validator's words.
  const std::vector<std::string> warnings = pop_warnings(s.bus);
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
}
GST_END_TEST;

// No interface: IPv4 follows routing; each IPv6 datagram follows the route
// of its group in the kernel's main table (route-selected egress). Without
// such a route an IPv6 datagram is dropped, counted and reported, and goes
// nowhere; once a route exists the next one leaves by it.
MCTX_GST_TEST(test_ipv6_without_interface) {
  peer_setup();
  // The sending namespace has no default route: give IPv4 multicast one.
  fail_unless_equals_int(std::system("ip route replace 232.0.0.0/8 dev mctx0"), 0);
  rt::Capture cap = capture();
  auto rx4 = ssm_receiver(kSource4, kGroup4);
  RawSink s(nullptr);
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

  // valid, but no way out (invalid-datagrams)
  expect_counters(
      s.element,
      {{"packets-sent", 2}, {"ipv6-packets-sent", 1}, {"dropped", 2}, {"invalid-datagrams", 0}});

  const std::vector<std::string> warnings = pop_warnings(s.bus);
  fail_unless_equals_int(warnings.size(), 1);  // the second is within the same second
  assert_contains(warnings[0], "IPv6 datagram 2001:db8:99::7 -> ff3e::8000:1: ");
  assert_contains(warnings[0], "no usable route in the kernel's main routing table");
  s.teardown();
  (void)std::system("ip -6 route del ff3e::/16 dev mctx0");
  (void)std::system("ip route del 232.0.0.0/8 dev mctx0");
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-raw", .netns = netns_peer(true), .timeout = 60});
