// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink: metadata, property specs and defaults, validation error texts,
// GST_PARAM_MUTABLE_READY enforcement, the stats property when stopped, and
// the mctx:// URI handler. Runs inside scripts/mctx-netns --veth (so that the
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

GST_START_TEST(test_metadata) {
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

struct UIntSpec {
  const char* name;
  guint min, max, def;
};
struct IntSpec {
  const char* name;
  gint min, max, def;
};

GST_START_TEST(test_property_specs) {
  Sink s;
  GObjectClass* klass = G_OBJECT_GET_CLASS(s.element);
  const UIntSpec uints[] = {
      {"port", 1, 65535, 5004},   {"source-port", 0, 65535, 0},
      {"ttl", 0, 255, 1},         {"stats-interval", 0, G_MAXUINT, 1000},
  };
  for (const auto& u : uints) {
    GParamSpec* p = g_object_class_find_property(klass, u.name);
    fail_unless(p != nullptr && G_IS_PARAM_SPEC_UINT(p), "%s", u.name);
    fail_unless_equals_uint64(G_PARAM_SPEC_UINT(p)->minimum, u.min);
    fail_unless_equals_uint64(G_PARAM_SPEC_UINT(p)->maximum, u.max);
    fail_unless_equals_uint64(G_PARAM_SPEC_UINT(p)->default_value, u.def);
  }
  const IntSpec ints[] = {{"dscp", -1, 63, -1}, {"buffer-size", 0, G_MAXINT, 0}};
  for (const auto& i : ints) {
    GParamSpec* p = g_object_class_find_property(klass, i.name);
    fail_unless(p != nullptr && G_IS_PARAM_SPEC_INT(p), "%s", i.name);
    fail_unless_equals_int(G_PARAM_SPEC_INT(p)->minimum, i.min);
    fail_unless_equals_int(G_PARAM_SPEC_INT(p)->maximum, i.max);
    fail_unless_equals_int(G_PARAM_SPEC_INT(p)->default_value, i.def);
  }
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

GST_START_TEST(test_defaults) {
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

GST_START_TEST(test_out_of_range_values_refused) {
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

GST_START_TEST(test_stats_when_stopped) {
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

GST_START_TEST(test_error_group_missing) {
  check_bad_config({"no group", [](GstElement*) {}, {"group is not set"}});
}
GST_END_TEST;

GST_START_TEST(test_error_group_not_multicast) {
  check_bad_config({"unicast group",
                    [](GstElement* e) { g_object_set(e, "group", "192.168.1.5", nullptr); },
                    {"group '192.168.1.5' is not a multicast address"}});
}
GST_END_TEST;

GST_START_TEST(test_error_group_unparsable) {
  check_bad_config({"bad group",
                    [](GstElement* e) { g_object_set(e, "group", "239.1.2", nullptr); },
                    {"group", "'239.1.2'", "not an IPv4 or IPv6 address"}});
}
GST_END_TEST;

GST_START_TEST(test_error_group_scope_needs_interface) {
  check_bad_config({"ff02 group without interface",
                    [](GstElement* e) { g_object_set(e, "group", "ff02::1:3", nullptr); },
                    {"group", "ff02::1:3", "interface"}});
}
GST_END_TEST;

GST_START_TEST(test_error_source_address_unparsable) {
  check_bad_config({"bad source",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "source-address", "localhost",
                                   nullptr);
                    },
                    {"source-address", "'localhost'", "not an IPv4 or IPv6 address"}});
}
GST_END_TEST;

GST_START_TEST(test_error_source_address_multicast) {
  check_bad_config({"multicast source",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "source-address", "224.0.0.1",
                                   nullptr);
                    },
                    {"source address", "'224.0.0.1'", "multicast"}});
}
GST_END_TEST;

GST_START_TEST(test_error_source_address_family) {
  check_bad_config({"IPv6 source for IPv4 group",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "source-address", "fd00::1", nullptr);
                    },
                    {"source address", "'fd00::1'", "IPv6", "IPv4"}});
}
GST_END_TEST;

GST_START_TEST(test_error_source_address_not_local) {
  check_bad_config({"foreign source",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "source-address", "198.51.100.7",
                                   nullptr);
                    },
                    {"source address", "'198.51.100.7'", "not configured"}});
}
GST_END_TEST;

GST_START_TEST(test_error_source_address_on_another_interface) {
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

GST_START_TEST(test_error_interface_unknown) {
  check_bad_config({"unknown interface",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "interface", "nosuch0", nullptr);
                    },
                    {"interface 'nosuch0' does not exist"}});
}
GST_END_TEST;

GST_START_TEST(test_error_interface_family) {
  check_bad_config({"IPv6 interface for IPv4 group",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "interface", "fd00::1", nullptr);
                    },
                    {"interface", "'fd00::1'", "IPv6", "IPv4"}});
}
GST_END_TEST;

GST_START_TEST(test_error_interface_index_zero) {
  check_bad_config({"interface index 0",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "interface", "0", nullptr);
                    },
                    {"interface index 0"}});
}
GST_END_TEST;

GST_START_TEST(test_error_interface_multicast) {
  check_bad_config({"multicast interface address",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "interface", "224.1.1.1", nullptr);
                    },
                    {"interface", "'224.1.1.1'", "multicast"}});
}
GST_END_TEST;

GST_START_TEST(test_error_interface_syntax) {
  check_bad_config({"interface syntax",
                    [](GstElement* e) {
                      g_object_set(e, "group", "239.1.2.3", "interface", "eth 0", nullptr);
                    },
                    {"interface", "'eth 0'"}});
}
GST_END_TEST;

// Raw mode checks its settings at start too (delivery: test-mctxsink-raw).
GST_START_TEST(test_error_raw_mode) {
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

GST_START_TEST(test_error_socket_family) {
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

GST_START_TEST(test_error_socket_port_mismatch) {
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

GST_START_TEST(test_error_socket_closed) {
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

GST_START_TEST(test_error_then_fixed) {
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

// ---------------------------------------------------------------------------
// MUTABLE_READY is enforced

GST_START_TEST(test_mutable_ready_enforced) {
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

GST_START_TEST(test_used_socket_lifetime) {
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

// ---------------------------------------------------------------------------
// URI handler

static GstElement* from_uri(const char* uri, GError** err) {
  return gst_element_make_from_uri(GST_URI_SINK, uri, nullptr, err);
}

GST_START_TEST(test_uri_ipv4) {
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

GST_START_TEST(test_uri_ipv6) {
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

GST_START_TEST(test_uri_round_trip_all_keys) {
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

GST_START_TEST(test_uri_resets_unspecified_keys) {
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

GST_START_TEST(test_uri_errors) {
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

GST_START_TEST(test_uri_refused_while_running) {
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

static Suite* mctxsink_props_suite() {
  Suite* s = suite_create("mctxsink-props");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_metadata);
  tcase_add_test(tc, test_property_specs);
  tcase_add_test(tc, test_defaults);
  tcase_add_test(tc, test_out_of_range_values_refused);
  tcase_add_test(tc, test_stats_when_stopped);
  tcase_add_test(tc, test_error_group_missing);
  tcase_add_test(tc, test_error_group_not_multicast);
  tcase_add_test(tc, test_error_group_unparsable);
  tcase_add_test(tc, test_error_group_scope_needs_interface);
  tcase_add_test(tc, test_error_source_address_unparsable);
  tcase_add_test(tc, test_error_source_address_multicast);
  tcase_add_test(tc, test_error_source_address_family);
  tcase_add_test(tc, test_error_source_address_not_local);
  tcase_add_test(tc, test_error_source_address_on_another_interface);
  tcase_add_test(tc, test_error_interface_unknown);
  tcase_add_test(tc, test_error_interface_family);
  tcase_add_test(tc, test_error_interface_index_zero);
  tcase_add_test(tc, test_error_interface_multicast);
  tcase_add_test(tc, test_error_interface_syntax);
  tcase_add_test(tc, test_error_raw_mode);
  tcase_add_test(tc, test_error_socket_family);
  tcase_add_test(tc, test_error_socket_port_mismatch);
  tcase_add_test(tc, test_error_socket_closed);
  tcase_add_test(tc, test_error_then_fixed);
  tcase_add_test(tc, test_mutable_ready_enforced);
  tcase_add_test(tc, test_used_socket_lifetime);
  tcase_add_test(tc, test_uri_ipv4);
  tcase_add_test(tc, test_uri_ipv6);
  tcase_add_test(tc, test_uri_round_trip_all_keys);
  tcase_add_test(tc, test_uri_resets_unspecified_keys);
  tcase_add_test(tc, test_uri_errors);
  tcase_add_test(tc, test_uri_refused_while_running);
  return s;
}

GST_CHECK_MAIN(mctxsink_props);
