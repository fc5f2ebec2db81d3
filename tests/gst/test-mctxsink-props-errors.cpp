// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink's validation: READY -> PAUSED fails with a message that names
// the property, the value and the rule. Runs inside scripts/mctx-netns --veth
// (lo, mctx0 192.0.2.1/fd00::1, mctx1 192.0.2.2/fd00::2); nothing is sent.

#include <gst/base/gstbasesink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gst-test-util.hpp"

using namespace mctx_gst_test;

// ---------------------------------------------------------------------------
// Validation: READY -> PAUSED fails with a message that names the property,
// the value and the rule.

struct BadConfig {
  const char* what;
  std::function<void(GstElement*)> set;
  std::vector<std::string> expected;  // every one must appear in the message
};

static void check_bad_config(const BadConfig& c) {
  Sink s;
  c.set(s.element);
  std::string debug;
  const std::string msg = start_error(s, &debug);
  GST_INFO("%s -> '%s' (%s)", c.what, msg.c_str(), debug.c_str());
  fail_if(msg.empty(), "%s: no error message", c.what);
  for (const auto& e : c.expected) {
    fail_unless(contains(msg, e), "%s: message '%s' does not contain '%s'", c.what, msg.c_str(),
                e.c_str());
  }
  GstState state;
  gst_element_get_state(s.element, &state, nullptr, 0);
  fail_unless(state <= GST_STATE_READY);
}

MCTX_GST_TEST(test_error_group_missing) {
  check_bad_config({"no group", [](GstElement*) {}, {"group is not set"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_group_not_multicast) {
  check_bad_config({"unicast group",
                    [](GstElement* e) { g_object_set(e, "group", "192.168.1.5", nullptr); },
                    {"group '192.168.1.5' is not a multicast address"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_group_unparsable) {
  check_bad_config({"bad group",
                    [](GstElement* e) { g_object_set(e, "group", "239.1.2", nullptr); },
                    {"group", "'239.1.2'", "not an IPv4 or IPv6 address"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_group_scope_needs_interface) {
  check_bad_config({"ff02 group without interface",
                    [](GstElement* e) { g_object_set(e, "group", "ff02::1:3", nullptr); },
                    {"group", "ff02::1:3", "interface"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_source_address_unparsable) {
  check_bad_config({"bad source",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "source-address", "localhost",
                                   nullptr);
                    },
                    {"source-address", "'localhost'", "not an IPv4 or IPv6 address"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_source_address_multicast) {
  check_bad_config({"multicast source",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "source-address", "224.0.0.1",
                                   nullptr);
                    },
                    {"source address", "'224.0.0.1'", "multicast"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_source_address_family) {
  check_bad_config({"IPv6 source for IPv4 group",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "source-address", "fd00::1", nullptr);
                    },
                    {"source address", "'fd00::1'", "IPv6", "IPv4"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_source_address_not_local) {
  check_bad_config({"foreign source",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "source-address", "198.51.100.7",
                                   nullptr);
                    },
                    {"source address", "'198.51.100.7'", "not configured"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_source_address_on_another_interface) {
  // Linux would refuse it at connect() with a bare "Invalid argument".
  check_bad_config({"IPv4 source on another interface",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.1.1", "source-address", "127.0.0.1",
                                   "interface", "mctx0", nullptr);
                    },
                    {"source-address and interface disagree", "'127.0.0.1'", "is on lo",
                     "not on the configured interface mctx0",
                     "must be an address of the outgoing interface"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_interface_unknown) {
  check_bad_config({"unknown interface",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "interface", "nosuch0", nullptr);
                    },
                    {"interface 'nosuch0' does not exist"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_interface_family) {
  check_bad_config({"IPv6 interface for IPv4 group",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "interface", "fd00::1", nullptr);
                    },
                    {"interface", "'fd00::1'", "IPv6", "IPv4"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_interface_index_zero) {
  check_bad_config({"interface index 0",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "interface", "0", nullptr);
                    },
                    {"interface index 0"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_interface_multicast) {
  check_bad_config({"multicast interface address",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "interface", "224.1.1.1", nullptr);
                    },
                    {"interface", "'224.1.1.1'", "multicast"}});
}
GST_END_TEST;

MCTX_GST_TEST(test_error_interface_syntax) {
  check_bad_config({"interface syntax",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "interface", "eth 0", nullptr);
                    },
                    {"interface", "'eth 0'"}});
}
GST_END_TEST;

// Raw mode checks its settings at start too (delivery: test-mctxsink-raw).
MCTX_GST_TEST(test_error_raw_mode) {
  check_bad_config({"raw mode, unknown interface",
                    [](GstElement* e) {
                      g_object_set(e, "raw-mode", TRUE, "interface", "nosuch0", nullptr);
                    },
                    {"interface 'nosuch0' does not exist"}});
  GError* err = nullptr;
  GSocket* sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, &err);
  fail_unless(sock != nullptr);
  check_bad_config({"raw mode with a caller socket",
                    [sock](GstElement* e) {
                      g_object_set(e, "raw-mode", TRUE, "socket", sock, nullptr);
                    },
                    {"socket: a caller-provided socket cannot be used in raw mode"}});
  fail_if(g_socket_is_closed(sock));
  g_object_unref(sock);
}
GST_END_TEST;

MCTX_GST_TEST(test_error_socket_family) {
  GError* err = nullptr;
  GSocket* sock = g_socket_new(G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, &err);
  fail_unless(sock != nullptr);
  check_bad_config({"IPv6 socket for IPv4 group",
                    [sock](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "socket", sock, nullptr);
                    },
                    {"socket"}});
  // On failure the socket stays the caller's and open.
  fail_if(g_socket_is_closed(sock));
  g_object_unref(sock);
}
GST_END_TEST;

MCTX_GST_TEST(test_error_socket_port_mismatch) {
  GError* err = nullptr;
  GSocket* sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, &err);
  GInetAddress* lo = g_inet_address_new_from_string("127.0.0.1");
  GSocketAddress* sa = g_inet_socket_address_new(lo, 0);
  fail_unless(g_socket_bind(sock, sa, TRUE, &err));
  check_bad_config({"socket bound to another port",
                    [sock](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "source-port", 1u, "socket", sock,
                                   nullptr);
                    },
                    {"port"}});
  fail_if(g_socket_is_closed(sock));
  g_object_unref(sa);
  g_object_unref(lo);
  g_object_unref(sock);
}
GST_END_TEST;

MCTX_GST_TEST(test_error_socket_closed) {
  GError* err = nullptr;
  GSocket* sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, &err);
  g_socket_close(sock, nullptr);
  check_bad_config({"closed socket",
                    [sock](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "socket", sock, nullptr);
                    },
                    {"socket", "closed"}});
  g_object_unref(sock);
}
GST_END_TEST;

MCTX_GST_TEST(test_error_then_fixed) {
  // A failed start leaves the element usable: fix the property and start.
  Sink s;
  g_object_set(s.element, "group", "192.168.1.5", nullptr);
  assert_contains(start_error(s), "not a multicast address");
  g_object_set(s.element, "group", "239.1.2.3", "interface", "lo", nullptr);
  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_PAUSED),
                         GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_NULL),
                         GST_STATE_CHANGE_SUCCESS);
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-props-errors", .netns = netns_veth()});
