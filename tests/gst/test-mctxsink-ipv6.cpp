// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink over IPv6, inside scripts/mctx-netns --veth. IPv6 multicast over
// lo is not delivered, so the element sends out of mctx0 with the exact
// source fd00::1 and a receiver joined on mctx0 gets the looped-back copy.

#include <cstdlib>

#include "gst-test-util.hpp"

using namespace mctx_gst_test;

static std::string text(int i) { return "v6-packet-" + std::to_string(i); }

MCTX_GST_TEST(test_ipv6_source_and_hop_limit) {
  auto rx = receiver("ff3e::8000:1234", 5004, "mctx0");
  Sink s;
  g_object_set(s.element, "group", "ff3e::8000:1234", "source-address", "fd00::1", "source-port",
               43000u, "interface", "mctx0", "ttl", 7u, "dscp", 46, nullptr);
  GstHarness* h = s.harness();
  const int n = 10;
  push_texts(h, n, n, text);  // singles, then a list

  const auto got = receive_n(*rx, 2 * n + 1, 500);
  fail_unless_equals_int(got.size(), 2 * n);
  const uint32_t mctx0 = must("ifindex", [] { return mctx::test::ifindex("mctx0"); });
  for (int i = 0; i < 2 * n; ++i) {
    assert_str_eq(payload_string(got[i]), text(i).c_str());
    assert_str_eq(got[i].from.address.with_scope_id(0).to_string(), "fd00::1");
    fail_unless_equals_int(got[i].from.port, 43000);
    fail_unless_equals_int(got[i].ttl, 7);
    fail_unless_equals_int(got[i].tos, 46 << 2);
    fail_unless_equals_int(got[i].ifindex, mctx0);
  }
  GstStructure* st = stats(s.element);
  fail_unless_equals_uint64(u64(st, "packets-sent"), 2 * n);
  assert_str_eq(field_string(st, "local-address"), "fd00::1");
  gst_structure_free(st);
}
GST_END_TEST;

// Configured through an mctx:// URI, as an application using playbin-style
// URIs would.
MCTX_GST_TEST(test_ipv6_from_uri) {
  auto rx = receiver("ff3e::8000:1234", 5006, "mctx0");
  GError* err = nullptr;
  GstElement* e = gst_element_make_from_uri(
      GST_URI_SINK, "mctx://[ff3e::8000:1234]:5006?source=fd00::1&interface=mctx0&ttl=2",
      nullptr, &err);
  fail_unless(e != nullptr, "%s", err ? err->message : "");
  g_object_set(e, "async", FALSE, nullptr);
  GstHarness* h = gst_harness_new_with_element(e, "sink", nullptr);
  gst_object_unref(e);
  gst_harness_set_src_caps_str(h, "application/octet-stream");
  fail_unless_equals_int(gst_harness_push(h, text_buffer("from uri")), GST_FLOW_OK);
  const auto got = receive_n(*rx, 2, 500);
  fail_unless_equals_int(got.size(), 1);
  assert_str_eq(payload_string(got[0]), "from uri");
  assert_str_eq(got[0].from.address.with_scope_id(0).to_string(), "fd00::1");
  fail_unless_equals_int(got[0].ttl, 2);
  gst_harness_teardown(h);
}
GST_END_TEST;

// A link-local group (ff12::/16) is sent on the interface given.
MCTX_GST_TEST(test_ipv6_link_local_group) {
  auto rx = receiver("ff12::4242", 5008, "mctx0");
  Sink s;
  g_object_set(s.element, "group", "ff12::4242", "port", 5008u, "interface", "mctx0", nullptr);
  GstHarness* h = s.harness();
  fail_unless_equals_int(gst_harness_push(h, text_buffer("link-local")), GST_FLOW_OK);
  const auto got = receive_n(*rx, 2, 500);
  fail_unless_equals_int(got.size(), 1);
  assert_str_eq(payload_string(got[0]), "link-local");
}
GST_END_TEST;

// loop=FALSE: the copy for receivers on this host is not made (on the veth
// pair the only way a local receiver joined on mctx0 gets a packet), while
// the packet is still sent.
MCTX_GST_TEST(test_ipv6_loop_off) {
  auto rx = receiver("ff3e::8000:1234", 5010, "mctx0");
  Sink s;
  g_object_set(s.element, "group", "ff3e::8000:1234", "port", 5010u, "source-address", "fd00::1",
               "interface", "mctx0", "loop", FALSE, nullptr);
  GstHarness* h = s.harness();
  fail_unless_equals_int(gst_harness_push(h, text_buffer("not looped")), GST_FLOW_OK);
  fail_unless_equals_int(receive_n(*rx, 1, 300).size(), 0);
  expect_counters(s.element, {{"packets-sent", 1}});
}
GST_END_TEST;


// Dual stack in one element: IPv6 out of mctx0 and, through destinations, an
// IPv4 group on lo, byte-identical. With mctx0 down, the IPv6 path loses
// (and counts) every datagram while the IPv4 path still receives all.
MCTX_GST_TEST(test_dual_stack_destinations_and_one_link_down) {
  auto rx6 = receiver("ff3e::8000:1240", 5012, "mctx0");
  auto rx4 = receiver("239.1.2.40", 5012, "lo");
  Sink s;
  g_object_set(s.element, "group", "ff3e::8000:1240", "port", 5012u, "interface", "mctx0",
               nullptr);
  gst_util_set_object_arg(G_OBJECT(s.element), "destinations",
                          "<\"mctx://239.1.2.40:5012?interface=lo\">");
  GstHarness* h = s.harness();
  const int n = 10;
  GstBufferList* list = gst_buffer_list_new();
  for (int i = 0; i < n; ++i) gst_buffer_list_add(list, text_buffer(text(i)));
  fail_unless_equals_int(push_list(h, list), GST_FLOW_OK);
  const auto a = receive_n(*rx6, n + 1, 500);
  const auto b = receive_n(*rx4, n + 1, 500);
  fail_unless_equals_int(a.size(), n);
  fail_unless_equals_int(b.size(), n);
  for (int i = 0; i < n; ++i) fail_unless(a[i].payload == b[i].payload, "datagram %d differs", i);

  fail_unless_equals_int(std::system("ip link set mctx0 down"), 0);
  for (int i = n; i < 2 * n; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(text(i))), GST_FLOW_OK);
  }
  const auto during = receive_n(*rx4, n + 1, 500);
  // Up again, with the IPv6 address a link going down removes.
  fail_unless_equals_int(
      std::system("ip link set mctx0 up && ip -6 addr replace fd00::1/64 dev mctx0 nodad"), 0);
  fail_unless_equals_int(during.size(), n);  // the other path lost nothing
  for (int i = 0; i < n; ++i) assert_str_eq(payload_string(during[i]), text(n + i).c_str());

  GstStructure* st = stats(s.element);
  // Pushed = received + counted, per destination; the top level is the sum.
  expect_counters(st, {{"packets-sent", 3 * n}, {"outage-dropped", n}, {"dropped", n}});
  fail_unless_equals_int(destination_count(st), 2);
  fail_unless_equals_int(entries(st), 2);
  const GstStructure* d6 = entry(st, 0);
  const GstStructure* d4 = entry(st, 1);
  assert_str_eq(field_string(d6, "group"), "ff3e::8000:1240");
  expect_counters(d6, {{"packets-sent", n}, {"outage-dropped", n}, {"dropped", n}});
  assert_str_eq(field_string(d4, "group"), "239.1.2.40");
  expect_counters(d4, {{"packets-sent", 2 * n}, {"dropped", 0}});
  gst_structure_free(st);
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-ipv6", .netns = netns_veth()});
