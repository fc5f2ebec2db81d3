// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink: metadata, property specs and defaults, GST_PARAM_MUTABLE_READY
// enforcement, the stats property when stopped (validation errors:
// test-mctxsink-props-errors.cpp, the URI handler: test-mctxsink-uri.cpp). Runs inside scripts/mctx-netns --veth (so that the
// interfaces are known: lo, mctx0 192.0.2.1/fd00::1, mctx1 192.0.2.2/fd00::2);
// nothing is sent.

#include <gst/base/gstbasesink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gst-test-util.hpp"

using namespace mctx_gst_test;

// ---------------------------------------------------------------------------
// Metadata and property specs

MCTX_GST_TEST(test_metadata) {
  GstElementFactory* f = gst_element_factory_find("mctxsink");
  fail_unless(f != nullptr);
  assert_equals_string(gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS),
                       "Sink/Network");
  const gchar* const* protocols = gst_element_factory_get_uri_protocols(f);
  fail_unless(protocols != nullptr && g_strcmp0(protocols[0], "mctx") == 0);
  fail_unless_equals_int(gst_element_factory_get_uri_type(f), GST_URI_SINK);
  GstPlugin* plugin = GST_PLUGIN(gst_plugin_feature_get_plugin(GST_PLUGIN_FEATURE(f)));
  assert_equals_string(gst_plugin_get_license(plugin), "BSD");
  assert_equals_string(gst_plugin_get_name(plugin), "mctx");
  // GStreamer-style metadata: the origin is a URL, the descriptions are one
  // short line, the author line has a contact, there is a release date.
  const std::string origin = str(gst_plugin_get_origin(plugin));
  fail_unless(origin.rfind("https://", 0) == 0, "origin '%s' is not a URL", origin.c_str());
  const std::string plugin_desc = str(gst_plugin_get_description(plugin));
  fail_unless(!plugin_desc.empty() && plugin_desc.size() <= 80 &&
                  plugin_desc.find('\n') == std::string::npos,
              "plugin description is not one short line: '%s'", plugin_desc.c_str());
  const std::string desc =
      str(gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_DESCRIPTION));
  fail_unless(!desc.empty() && desc.size() <= 80, "element description is not one short line: '%s'",
              desc.c_str());
  const std::string author = str(gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_AUTHOR));
  fail_unless(author.find('<') != std::string::npos && author.back() == '>',
              "author '%s' has no <contact>", author.c_str());
  const std::string date = str(gst_plugin_get_release_date_string(plugin));
  fail_unless(g_regex_match_simple("^\\d{4}-\\d{2}-\\d{2}", date.c_str(), GRegexCompileFlags(0),
                                   GRegexMatchFlags(0)),
              "release date '%s'", date.c_str());
  gst_object_unref(plugin);
  gst_object_unref(f);
  // Loading the plugin registers the debug category.
  GstElement* e = gst_element_factory_make("mctxsink", nullptr);
  gst_object_unref(gst_object_ref_sink(e));
  fail_unless(_gst_debug_get_category("mctxsink") != nullptr, "debug category mctxsink missing");
}
GST_END_TEST;

template <class T>
struct Range {
  const char* name;
  T min, max, def;
};

// Each property is a `Spec` (GParamSpecUInt, GParamSpecInt: of GType
// spec_type) with the range and default given.
template <class Spec, class T>
static void expect_ranges(GObjectClass* klass, GType spec_type,
                          std::initializer_list<Range<T>> ranges) {
  for (const auto& r : ranges) {
    GParamSpec* p = g_object_class_find_property(klass, r.name);
    fail_unless(p != nullptr && G_PARAM_SPEC_TYPE(p) == spec_type, "%s", r.name);
    const auto* spec = reinterpret_cast<const Spec*>(p);
    fail_unless(spec->minimum == r.min, "%s: minimum %lld", r.name,
                static_cast<long long>(spec->minimum));
    fail_unless(spec->maximum == r.max, "%s: maximum %lld", r.name,
                static_cast<long long>(spec->maximum));
    fail_unless(spec->default_value == r.def, "%s: default %lld", r.name,
                static_cast<long long>(spec->default_value));
  }
}

MCTX_GST_TEST(test_property_specs) {
  Sink s;
  GObjectClass* klass = G_OBJECT_GET_CLASS(s.element);
  expect_ranges<GParamSpecUInt, guint>(klass, G_TYPE_PARAM_UINT,
                                       {{"port", 1, 65535, 5004},
                                        {"source-port", 0, 65535, 0},
                                        {"ttl", 0, 255, 1},
                                        {"stats-interval", 0, G_MAXUINT, 1000}});
  expect_ranges<GParamSpecInt, gint>(klass, G_TYPE_PARAM_INT,
                                     {{"dscp", -1, 63, -1}, {"buffer-size", 0, G_MAXINT, 0}});
  const char* ready_only[] = {"group", "port", "source-address", "source-port", "interface",
                              "ttl", "loop", "dscp", "buffer-size", "raw-mode", "socket"};
  for (const char* name : ready_only) {
    GParamSpec* p = g_object_class_find_property(klass, name);
    fail_unless(p != nullptr, "%s", name);
    fail_unless((p->flags & GST_PARAM_MUTABLE_READY) != 0, "%s is not MUTABLE_READY", name);
    fail_unless((p->flags & G_PARAM_WRITABLE) != 0);
    // Every blurb says something useful.
    fail_unless(strlen(g_param_spec_get_blurb(p)) > 20, "%s has a short blurb", name);
  }
  const char* playing[] = {"close-socket", "stats-interval"};
  for (const char* name : playing) {
    GParamSpec* p = g_object_class_find_property(klass, name);
    fail_unless((p->flags & GST_PARAM_MUTABLE_PLAYING) != 0, "%s is not MUTABLE_PLAYING", name);
  }
  const char* read_only[] = {"used-socket", "metrics"};
  for (const char* name : read_only) {
    GParamSpec* p = g_object_class_find_property(klass, name);
    fail_unless(p != nullptr, "%s", name);
    fail_unless((p->flags & G_PARAM_WRITABLE) == 0, "%s is writable", name);
  }
  // GstBaseSink's stats property is GstBaseSink's: not overridden.
  GParamSpec* base_stats = g_object_class_find_property(klass, "stats");
  fail_unless(base_stats != nullptr);
  fail_unless(base_stats->owner_type == GST_TYPE_BASE_SINK, "stats is owned by %s",
              g_type_name(base_stats->owner_type));
  // Sentinels are documented in the blurbs.
  assert_contains(g_param_spec_get_blurb(g_object_class_find_property(klass, "dscp")), "-1 =");
  assert_contains(g_param_spec_get_blurb(g_object_class_find_property(klass, "buffer-size")),
                  "0 = system default");
  assert_contains(g_param_spec_get_blurb(g_object_class_find_property(klass, "source-port")),
                  "0 = any");
  assert_contains(g_param_spec_get_blurb(g_object_class_find_property(klass, "stats-interval")),
                  "milliseconds");
}
GST_END_TEST;

MCTX_GST_TEST(test_defaults) {
  Sink s;
  gchar *group, *source, *itf;
  guint port, sport, ttl, interval;
  gboolean loop, raw, close_socket;
  gint dscp, bufsize;
  GSocket *socket, *used;
  g_object_get(s.element, "group", &group, "port", &port, "source-address", &source,
               "source-port", &sport, "interface", &itf, "ttl", &ttl, "loop", &loop, "dscp", &dscp,
               "buffer-size", &bufsize, "raw-mode", &raw, "socket", &socket, "close-socket",
               &close_socket, "used-socket", &used, "stats-interval", &interval, nullptr);
  fail_unless(group == nullptr);
  fail_unless_equals_int(port, 5004);
  fail_unless(source == nullptr);
  fail_unless_equals_int(sport, 0);
  fail_unless(itf == nullptr);
  fail_unless_equals_int(ttl, 1);
  fail_unless(loop);
  fail_unless_equals_int(dscp, -1);
  fail_unless_equals_int(bufsize, 0);
  fail_unless(!raw);
  fail_unless(socket == nullptr);
  fail_unless(close_socket);
  fail_unless(used == nullptr);
  fail_unless_equals_int(interval, 1000);
}
GST_END_TEST;

MCTX_GST_TEST(test_out_of_range_values_refused) {
  Sink s;
  // GLib refuses values outside the ranges with a warning and keeps the old value.
  ASSERT_WARNING(g_object_set(s.element, "port", 0u, nullptr));
  ASSERT_WARNING(g_object_set(s.element, "ttl", 256u, nullptr));
  ASSERT_WARNING(g_object_set(s.element, "dscp", 64, nullptr));
  ASSERT_WARNING(g_object_set(s.element, "dscp", -2, nullptr));
  ASSERT_WARNING(g_object_set(s.element, "buffer-size", -1, nullptr));
  ASSERT_WARNING(g_object_set(s.element, "source-port", 65536u, nullptr));
  guint port, ttl, sport;
  gint dscp, bufsize;
  g_object_get(s.element, "port", &port, "ttl", &ttl, "dscp", &dscp, "buffer-size", &bufsize,
               "source-port", &sport, nullptr);
  fail_unless_equals_int(port, 5004);
  fail_unless_equals_int(ttl, 1);
  fail_unless_equals_int(dscp, -1);
  fail_unless_equals_int(bufsize, 0);
  fail_unless_equals_int(sport, 0);
}
GST_END_TEST;

MCTX_GST_TEST(test_stats_when_stopped) {
  Sink s;
  g_object_set(s.element, "group", "239.1.2.3", "port", 6000u, nullptr);
  GstStructure* st = stats(s.element);
  fail_unless(gst_structure_has_name(st, "mctx-metrics"));
  assert_equals_string(gst_structure_get_string(st, "group"), "239.1.2.3");
  guint port = 0;
  fail_unless(gst_structure_get_uint(st, "port", &port));
  fail_unless_equals_int(port, 6000);
  assert_equals_string(gst_structure_get_string(st, "mode"), "udp");
  for (const char* f : {"packets-sent", "bytes-sent", "send-calls", "send-errors", "would-block",
                        "dropped", "interval"}) {
    fail_unless_equals_uint64(u64(st, f), 0);
  }
  gdouble pps = -1, bps = -1;
  fail_unless(gst_structure_get_double(st, "packets-per-second", &pps));
  fail_unless(gst_structure_get_double(st, "bytes-per-second", &bps));
  fail_unless(pps == 0.0 && bps == 0.0);
  gst_structure_free(st);
}
GST_END_TEST;

// ---------------------------------------------------------------------------
// MUTABLE_READY is enforced

MCTX_GST_TEST(test_mutable_ready_enforced) {
  Sink s;
  g_object_set(s.element, "group", "239.1.2.3", "interface", "lo", "ttl", 2u, nullptr);
  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_PAUSED),
                         GST_STATE_CHANGE_SUCCESS);
  // A refused set notifies nothing (G_PARAM_EXPLICIT_NOTIFY); a set to the
  // value a property has notifies nothing either; a change notifies once.
  std::vector<std::string> notified;
  const gulong handler = g_signal_connect(
      s.element, "notify", G_CALLBACK(+[](GObject*, GParamSpec* p, gpointer out) {
        static_cast<std::vector<std::string>*>(out)->push_back(p->name);
      }),
      &notified);
  g_object_set(s.element, "group", "239.9.9.9", "ttl", 9u, nullptr);
  fail_unless_equals_int(notified.size(), 0);
  gchar* group = nullptr;
  guint ttl = 0;
  g_object_get(s.element, "group", &group, "ttl", &ttl, nullptr);
  assert_equals_string(group, "239.1.2.3");
  fail_unless_equals_int(ttl, 2);
  g_free(group);

  // Each refusal is a warning on the bus that says what to do.
  int warnings = 0;
  while (GstMessage* m = gst_bus_pop_filtered(s.bus, GST_MESSAGE_WARNING)) {
    GError* err = nullptr;
    gst_message_parse_warning(m, &err, nullptr);
    assert_contains(err->message, "cannot be changed while the element is running");
    assert_contains(err->message, "NULL or READY");
    g_clear_error(&err);
    gst_message_unref(m);
    warnings++;
  }
  fail_unless_equals_int(warnings, 2);

  // MUTABLE_PLAYING properties are accepted.
  g_object_set(s.element, "stats-interval", 50u, "close-socket", FALSE, nullptr);
  guint interval = 0;
  g_object_get(s.element, "stats-interval", &interval, nullptr);
  fail_unless_equals_int(interval, 50);
  std::sort(notified.begin(), notified.end());
  fail_unless(notified == std::vector<std::string>({"close-socket", "stats-interval"}),
              "%zu notified, first %s", notified.size(),
              notified.empty() ? "-" : notified[0].c_str());
  g_object_set(s.element, "stats-interval", 50u, "close-socket", FALSE, nullptr);
  fail_unless_equals_int(notified.size(), 2);
  g_signal_handler_disconnect(s.element, handler);

  // Back in READY, the change is accepted and used at the next start.
  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_READY),
                         GST_STATE_CHANGE_SUCCESS);
  g_object_set(s.element, "group", "239.9.9.9", nullptr);
  g_object_get(s.element, "group", &group, nullptr);
  assert_equals_string(group, "239.9.9.9");
  g_free(group);
  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_PAUSED),
                         GST_STATE_CHANGE_SUCCESS);
  GstStructure* st = stats(s.element);
  assert_equals_string(gst_structure_get_string(st, "group"), "239.9.9.9");
  gst_structure_free(st);
}
GST_END_TEST;

MCTX_GST_TEST(test_used_socket_lifetime) {
  Sink s;
  g_object_set(s.element, "group", "239.1.2.3", "interface", "lo", "source-port", 47001u,
               nullptr);
  GSocket* used = nullptr;
  g_object_get(s.element, "used-socket", &used, nullptr);
  fail_unless(used == nullptr);
  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_PAUSED),
                         GST_STATE_CHANGE_SUCCESS);
  g_object_get(s.element, "used-socket", &used, nullptr);
  fail_unless(used != nullptr);
  GSocketAddress* local = g_socket_get_local_address(used, nullptr);
  fail_unless(local != nullptr);
  fail_unless_equals_int(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local)), 47001);
  g_object_unref(local);
  // The stats name the same local port.
  GstStructure* st = stats(s.element);
  guint lport = 0;
  fail_unless(gst_structure_get_uint(st, "local-port", &lport));
  fail_unless_equals_int(lport, 47001);
  gst_structure_free(st);

  fail_unless_equals_int(gst_element_set_state(s.element, GST_STATE_NULL),
                         GST_STATE_CHANGE_SUCCESS);
  // Our reference stays valid (a duplicate descriptor) after the element stopped.
  fail_if(g_socket_is_closed(used));
  g_object_unref(used);
  GSocket* after = nullptr;
  g_object_get(s.element, "used-socket", &after, nullptr);
  fail_unless(after == nullptr);
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-props", .netns = netns_veth()});
