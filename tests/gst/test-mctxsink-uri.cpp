// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink's mctx:// URI handler: URIs to properties and back, errors, and
// refusal while running. Runs inside scripts/mctx-netns --veth; nothing is
// sent.

#include <gst/base/gstbasesink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gst-test-util.hpp"

using namespace mctx_gst_test;

// ---------------------------------------------------------------------------
// URI handler

static GstElement* from_uri(const char* uri, GError** err) {
  return gst_element_make_from_uri(GST_URI_SINK, uri, nullptr, err);
}

MCTX_GST_TEST(test_uri_ipv4) {
  GError* err = nullptr;
  GstElement* e = from_uri("mctx://239.1.2.3:5004?ttl=4&interface=eth0&source=192.0.2.10", &err);
  fail_unless(e != nullptr, "%s", err ? err->message : "");
  fail_unless(g_str_has_prefix(G_OBJECT_TYPE_NAME(e), "GstMctxSink"));
  gchar *group, *itf, *source;
  guint port, ttl;
  g_object_get(e, "group", &group, "port", &port, "ttl", &ttl, "interface", &itf,
               "source-address", &source, nullptr);
  assert_equals_string(group, "239.1.2.3");
  fail_unless_equals_int(port, 5004);
  fail_unless_equals_int(ttl, 4);
  assert_equals_string(itf, "eth0");
  assert_equals_string(source, "192.0.2.10");
  g_free(group);
  g_free(itf);
  g_free(source);
  gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  assert_equals_string(uri, "mctx://239.1.2.3:5004?source=192.0.2.10&interface=eth0&ttl=4");
  g_free(uri);
  gst_object_unref(e);
}
GST_END_TEST;

MCTX_GST_TEST(test_uri_ipv6) {
  GError* err = nullptr;
  GstElement* e = from_uri("mctx://[ff3e::8000:1234]:5004?source=fd00::10", &err);
  fail_unless(e != nullptr, "%s", err ? err->message : "");
  gchar *group, *source;
  g_object_get(e, "group", &group, "source-address", &source, nullptr);
  assert_equals_string(group, "ff3e::8000:1234");
  assert_equals_string(source, "fd00::10");
  g_free(group);
  g_free(source);
  gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  assert_equals_string(uri, "mctx://[ff3e::8000:1234]:5004?source=fd00::10");
  g_free(uri);
  gst_object_unref(e);

  // A link-local group with a zone (RFC 6874: '%' written as %25).
  e = from_uri("mctx://[ff12::1%25mctx0]:6000?interface=mctx0", &err);
  fail_unless(e != nullptr, "%s", err ? err->message : "");
  g_object_get(e, "group", &group, nullptr);
  assert_equals_string(group, "ff12::1%mctx0");
  g_free(group);
  uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  assert_equals_string(uri, "mctx://[ff12::1%25mctx0]:6000?interface=mctx0");
  g_free(uri);
  gst_object_unref(e);
}
GST_END_TEST;

MCTX_GST_TEST(test_uri_round_trip_all_keys) {
  Sink s;
  g_object_set(s.element, "group", "239.255.1.1", "port", 6100u, "source-address", "127.0.0.1",
               "source-port", 40000u, "interface", "lo", "ttl", 0u, "loop", FALSE, "dscp", 46,
               "buffer-size", 65536, nullptr);
  gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(s.element));
  assert_equals_string(uri,
                       "mctx://239.255.1.1:6100?source=127.0.0.1&source-port=40000&interface=lo&"
                       "ttl=0&loop=false&dscp=46&buffer-size=65536");
  GError* err = nullptr;
  GstElement* e = from_uri(uri, &err);
  fail_unless(e != nullptr, "%s", err ? err->message : "");
  const char* props[] = {"group", "port", "source-address", "source-port", "interface",
                         "ttl", "loop", "dscp", "buffer-size"};
  for (const char* p : props) {
    GValue a = G_VALUE_INIT, b = G_VALUE_INIT;
    g_object_get_property(G_OBJECT(s.element), p, &a);
    g_object_get_property(G_OBJECT(e), p, &b);
    fail_unless(gst_value_compare(&a, &b) == GST_VALUE_EQUAL, "property %s differs", p);
    g_value_unset(&a);
    g_value_unset(&b);
  }
  gchar* uri2 = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  assert_equals_string(uri, uri2);
  g_free(uri);
  g_free(uri2);
  gst_object_unref(e);
}
GST_END_TEST;

MCTX_GST_TEST(test_uri_resets_unspecified_keys) {
  Sink s;
  g_object_set(s.element, "ttl", 9u, "interface", "lo", nullptr);
  GError* err = nullptr;
  fail_unless(gst_uri_handler_set_uri(GST_URI_HANDLER(s.element), "mctx://239.1.1.1", &err));
  guint ttl, port;
  gchar* itf;
  g_object_get(s.element, "ttl", &ttl, "port", &port, "interface", &itf, nullptr);
  fail_unless_equals_int(ttl, 1);
  fail_unless_equals_int(port, 5004);
  fail_unless(itf == nullptr);
}
GST_END_TEST;

static void check_bad_uri(const char* uri, const std::vector<std::string>& expected) {
  GError* err = nullptr;
  GstElement* e = gst_element_factory_make("mctxsink", nullptr);
  gst_object_ref_sink(e);
  g_object_set(e, "group", "239.7.7.7", nullptr);
  const gboolean ok = gst_uri_handler_set_uri(GST_URI_HANDLER(e), uri, &err);
  fail_if(ok, "URI '%s' accepted", uri);
  fail_unless(err != nullptr && err->domain == GST_URI_ERROR);
  GST_INFO("%s -> %s", uri, err->message);
  for (const auto& x : expected) {
    fail_unless(contains(err->message, x), "URI '%s': '%s' does not contain '%s'", uri,
                err->message, x.c_str());
  }
  // The element keeps its previous configuration.
  gchar* group = nullptr;
  g_object_get(e, "group", &group, nullptr);
  assert_equals_string(group, "239.7.7.7");
  g_free(group);
  g_clear_error(&err);
  gst_object_unref(e);
}

MCTX_GST_TEST(test_uri_errors) {
  check_bad_uri("mctx://239.1.2.3:5004?colour=blue", {"unknown query key 'colour'", "'blue'",
                                                      "ttl"});
  check_bad_uri("mctx://239.1.2.3:5004?ttl=300", {"'ttl'", "'300'", "0 to 255"});
  check_bad_uri("mctx://239.1.2.3:5004?ttl=", {"'ttl'", "0 to 255"});
  check_bad_uri("mctx://239.1.2.3:5004?dscp=x", {"'dscp'", "'x'", "-1 to 63"});
  check_bad_uri("mctx://239.1.2.3:5004?loop=maybe", {"'loop'", "'maybe'", "true or false"});
  check_bad_uri("mctx://239.1.2.3:5004?source=nohost", {"'source'", "'nohost'"});
  check_bad_uri("mctx://239.1.2.3:5004?source-port=70000", {"'source-port'", "'70000'"});
  check_bad_uri("mctx://239.1.2.3:5004?buffer-size=-5", {"'buffer-size'", "'-5'"});
  check_bad_uri("mctx://239.1.2.3:5004?interface=eth%200", {"'interface'", "'eth 0'"});
  check_bad_uri("mctx://239.1.2.3:5004?ttl=1&ttl=2", {"'ttl'", "twice"});
  check_bad_uri("mctx://192.168.1.5:5004", {"group '192.168.1.5' is not a multicast address"});
  check_bad_uri("mctx://not-an-ip:5004", {"group 'not-an-ip'"});
  check_bad_uri("mctx://239.1.2.3:0", {"port '0'"});
  check_bad_uri("mctx://239.1.2.3:99999", {"malformed"});
  check_bad_uri("mctx://:5004", {"no group"});
  check_bad_uri("mctx://239.1.2.3:5004/stream", {"path '/stream'"});
  check_bad_uri("mctx://user@239.1.2.3:5004", {"user"});
  check_bad_uri("mctx://[ff3e::1:5004", {"malformed"});
  check_bad_uri("udp://239.1.2.3:5004", {"scheme 'udp'"});
}
GST_END_TEST;

MCTX_GST_TEST(test_uri_refused_while_running) {
  Sink s;
  g_object_set(s.element, "group", "239.1.2.3", "interface", "lo", nullptr);
  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_PAUSED),
                         GST_STATE_CHANGE_SUCCESS);
  GError* err = nullptr;
  fail_if(gst_uri_handler_set_uri(GST_URI_HANDLER(s.element), "mctx://239.5.5.5:5004", &err));
  fail_unless(err != nullptr && err->code == GST_URI_ERROR_BAD_STATE);
  assert_contains(err->message, "NULL or READY");
  g_clear_error(&err);
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-uri", .netns = netns_veth()});
