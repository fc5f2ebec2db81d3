// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink over IPv4 on lo, inside scripts/mctx-netns: the start without a
// route, a socket provided by the application (kept open, reused
// descriptors, refused with other socket options), and a restart that
// keeps the settings; delivery proven by a real receiver.

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <numeric>

#include "gst-test-util.hpp"

using namespace mctx_gst_test;

static const char* const kGroup = "239.1.2.3";

// No route to the group (this namespace has only lo, and no multicast
// route): the start fails, and the message says what to set.
MCTX_GST_TEST(test_no_route_names_interface) {
  Sink s;
  g_object_set(s.element, "group", kGroup, nullptr);
  const std::string msg = start_error(s);
  assert_contains(msg, "Network is unreachable");
  assert_contains(msg, "the element property interface");
}
GST_END_TEST;

static GSocket* bound_socket(const char* address, guint16 port) {
  GError* err = nullptr;
  GSocket* sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, &err);
  fail_unless(sock != nullptr);
  GInetAddress* a = g_inet_address_new_from_string(address);
  GSocketAddress* sa = g_inet_socket_address_new(a, port);
  fail_unless(g_socket_bind(sock, sa, TRUE, &err), "bind: %s", err ? err->message : "");
  g_object_unref(sa);
  g_object_unref(a);
  return sock;
}

MCTX_GST_TEST(test_caller_socket_kept_open) {
  auto rx = receiver(kGroup, 5004, "lo");
  GSocket* sock = bound_socket("127.0.0.1", 42000);
  {
    Sink s;
    g_object_set(s.element, "group", kGroup, "interface", "lo", "socket", sock, "close-socket",
                 FALSE, nullptr);
    GstHarness* h = s.harness();
    GSocket* used = nullptr;
    g_object_get(s.element, "used-socket", &used, nullptr);
    fail_unless(used == sock, "used-socket is not the caller's socket");
    g_object_unref(used);
    for (int i = 0; i < 5; ++i) {
      fail_unless_equals_int(gst_harness_push(h, text_buffer(packet_text(i))), GST_FLOW_OK);
    }
    const auto got = receive_n(*rx, 6, 500);
    fail_unless_equals_int(got.size(), 5);
    for (const auto& d : got) {
      assert_str_eq(d.from.address.to_string(), "127.0.0.1");
      fail_unless_equals_int(d.from.port, 42000);
    }
    gst_element_set_state(s.element, GST_STATE_NULL);
    s.teardown();
  }
  // close-socket=FALSE: still open and usable by the caller.
  fail_if(g_socket_is_closed(sock));
  fail_unless(fcntl(g_socket_get_fd(sock), F_GETFD) >= 0);
  GError* err = nullptr;
  GInetAddress* g = g_inet_address_new_from_string(kGroup);
  GSocketAddress* ga = g_inet_socket_address_new(g, 5004);
  fail_unless(g_socket_send_to(sock, ga, "by caller", 9, nullptr, &err) == 9, "%s",
              err ? err->message : "");
  const auto got = receive_n(*rx, 1, 1000);
  fail_unless_equals_int(got.size(), 1);
  assert_str_eq(payload_string(got[0]), "by caller");
  g_object_unref(ga);
  g_object_unref(g);

  // close-socket=TRUE (the default): closed at stop.
  {
    Sink s;
    g_object_set(s.element, "group", kGroup, "interface", "lo", "socket", sock, nullptr);
    GstHarness* h = s.harness();
    fail_unless_equals_int(gst_harness_push(h, text_buffer("last")), GST_FLOW_OK);
    fail_unless_equals_int(receive_n(*rx, 1, 1000).size(), 1);
    gst_element_set_state(s.element, GST_STATE_NULL);
    fail_unless(g_socket_is_closed(sock));
    s.teardown();
  }
  g_object_unref(sock);
}
GST_END_TEST;

// The caller closes its socket under the element and the descriptor number
// is reused by a socket connected to an unrelated unicast peer: the element
// sends through its own duplicate, so every buffer still reaches the group
// and nothing reaches the peer.
MCTX_GST_TEST(test_closed_and_reused_descriptor) {
  auto rx = receiver(kGroup, 5004, "lo");
  GSocket* peer = bound_socket("127.0.0.1", 42010);  // the unrelated peer
  GSocket* sock = bound_socket("127.0.0.1", 0);
  const int number = g_socket_get_fd(sock);
  Sink s;
  g_object_set(s.element, "group", kGroup, "interface", "lo", "socket", sock, nullptr);
  GstHarness* h = s.harness();
  fail_unless_equals_int(gst_harness_push(h, text_buffer("before")), GST_FLOW_OK);
  g_socket_close(sock, nullptr);
  // The number now names a socket connected to the peer.
  const int other = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(42010);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  fail_unless(connect(other, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  if (other != number) {
    fail_unless(dup2(other, number) == number);
    close(other);
  }
  for (int i = 0; i < 14; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(packet_text(i))), GST_FLOW_OK);
  }
  fail_unless_equals_int(receive_n(*rx, 20, 500).size(), 15);
  char buf[64];
  fail_unless(g_socket_receive_with_blocking(peer, buf, sizeof buf, FALSE, nullptr, nullptr) < 0,
              "media reached the unrelated unicast peer");
  expect_counters(s.element, {{"packets-sent", 15}, {"dropped", 0}});
  gst_element_set_state(s.element, GST_STATE_NULL);
  s.teardown();
  close(number);
  g_object_unref(sock);
  g_object_unref(peer);
}
GST_END_TEST;

// Two sinks that share a socket must agree on its per-socket options: the
// second one's start fails with an error naming both.
MCTX_GST_TEST(test_shared_socket_with_other_options_is_refused) {
  GSocket* sock = bound_socket("127.0.0.1", 0);
  Sink a;
  g_object_set(a.element, "group", kGroup, "interface", "lo", "socket", sock, "close-socket",
               FALSE, "ttl", 1u, nullptr);
  fail_unless_equals_int(gst_element_set_state(a.element, GST_STATE_PLAYING),
                         GST_STATE_CHANGE_SUCCESS);
  Sink b;
  g_object_set(b.element, "group", "239.1.2.9", "interface", "lo", "socket", sock,
               "close-socket", FALSE, "ttl", 5u, nullptr);
  const std::string msg = start_error(b);
  assert_contains(msg, "is already used by the publication to 239.1.2.3:5004");
  assert_contains(msg, "the publication to 239.1.2.9:5004");
  assert_contains(msg, "ttl 1 vs 5");
  gst_element_set_state(a.element, GST_STATE_NULL);
  // Alone on the socket now: b starts.
  fail_unless_equals_int(gst_element_set_state(b.element, GST_STATE_PLAYING),
                         GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state(b.element, GST_STATE_NULL);
  g_object_unref(sock);
}
GST_END_TEST;

MCTX_GST_TEST(test_restart_reuses_settings) {
  // Start, stop, start again: a fresh socket, counters from zero.
  auto rx = receiver(kGroup, 5004, "lo");
  Sink s;
  g_object_set(s.element, "group", kGroup, "interface", "lo", "source-port", 41002u, nullptr);
  for (int round = 0; round < 2; ++round) {
    fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_PLAYING),
                           GST_STATE_CHANGE_SUCCESS);
    GstHarness* h = gst_harness_new_with_element(s.element, "sink", nullptr);
    gst_harness_set_src_caps_str(h, "application/octet-stream");
    fail_unless_equals_int(gst_harness_push(h, text_buffer("round")), GST_FLOW_OK);
    expect_counters(s.element, {{"packets-sent", 1}});
    gst_element_set_state(s.element, GST_STATE_NULL);
    gst_harness_teardown(h);
  }
  fail_unless_equals_int(receive_n(*rx, 3, 500).size(), 2);
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-socket", .netns = netns_lo()});
