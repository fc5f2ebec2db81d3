// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// libmctx-core's log lines in the mctxsink debug category: at INFO the
// socket the element opened (bound address and port as the kernel chose
// them, interface name and index, effective send buffer, TTL, DSCP), from
// the core function that logged it; at LOG (threshold raised while the
// element is stopped, picked up at start) a line per send with its size and
// result. No mctxsink line is attributed to a lambda ("operator()").
// Inside scripts/mctx-netns (IPv4 on lo).

#include <mutex>

#include "gst-test-util.hpp"

using namespace mctx_gst_test;

namespace {

struct Line {
  std::string file;
  std::string function;
  std::string text;
  GstDebugLevel level;
};

std::mutex g_mutex;
std::vector<Line> g_lines;

void capture(GstDebugCategory* category, GstDebugLevel level, const gchar* file,
             const gchar* function, gint, GObject*, GstDebugMessage* message, gpointer) {
  if (g_strcmp0(gst_debug_category_get_name(category), "mctxsink") != 0) return;
  std::lock_guard<std::mutex> lk(g_mutex);
  g_lines.push_back({str(file), str(function), str(gst_debug_message_get(message)), level});
}

std::vector<Line> lines_from(const char* function) {
  std::lock_guard<std::mutex> lk(g_mutex);
  std::vector<Line> out;
  for (const Line& l : g_lines) {
    if (l.function == function) out.push_back(l);
  }
  return out;
}

}  // namespace

MCTX_GST_TEST(test_core_lines_in_the_category) {
  gst_debug_add_log_function(capture, nullptr, nullptr);
  gst_debug_set_threshold_for_name("mctxsink", GST_LEVEL_LOG);
  {
    std::lock_guard<std::mutex> lk(g_mutex);
    g_lines.clear();
  }
  auto rx = receiver("239.1.4.1", 5030, "lo");
  Sink s;
  g_object_set(s.element, "group", "239.1.4.1", "port", 5030u, "interface", "lo", "ttl", 2u, "dscp",
               34, "buffer-size", 100000, nullptr);
  GstHarness* h = s.harness();
  const int n = 5;
  for (int i = 0; i < n; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer("datagram " + std::to_string(i))),
                           GST_FLOW_OK);
  }
  fail_unless_equals_int(receive_n(*rx, n + 1, 500).size(), n);
  GstStructure* st = stats(s.element);
  guint local_port = 0;
  fail_unless(gst_structure_get_uint(st, "local-port", &local_port));
  gst_structure_free(st);
  s.teardown();

  // INFO from the core: what the socket has, with the kernel's port.
  const auto opened = lines_from("Publication::open");
  fail_unless_equals_int(opened.size(), 1);
  fail_unless_equals_int(opened[0].level, GST_LEVEL_INFO);
  assert_str_eq(opened[0].file, "libmctx-core");
  const std::string& o = opened[0].text;
  assert_contains(o, "127.0.0.1:" + std::to_string(local_port) + " -> 239.1.4.1:5030");
  assert_contains(o, "interface lo (index " + std::to_string(mctx::test::ifindex("lo")) + ")");
  assert_contains(o, "send buffer ");
  assert_contains(o, "(requested 100000)");
  assert_contains(o, "TTL 2");
  assert_contains(o, "DSCP 34");

  // The element's own start line says the same (not source-address '').
  bool started = false;
  {
    std::lock_guard<std::mutex> lk(g_mutex);
    for (const Line& l : g_lines) {
      if (l.text.rfind("Started (udp mode, own socket): ", 0) == 0) {
        started = true;
        assert_contains(l.text, "127.0.0.1:" + std::to_string(local_port));
        assert_str_eq(l.function, "gst_mctx_sink_start");
      }
      fail_if(l.function == "operator()", "a line from a lambda: %s", l.text.c_str());
    }
  }
  fail_unless(started, "no 'Started' line");

  // LOG from the core: one line per send with the size and the result.
  const auto sends = lines_from("Publication::send");
  fail_unless_equals_int(sends.size(), n);
  for (int i = 0; i < n; ++i) {
    fail_unless_equals_int(sends[i].level, GST_LEVEL_LOG);
    assert_contains(sends[i].text, "datagram of 10 bytes (1 buffer): sent");
  }

  // Property changes are logged as from the vfunc.
  {
    std::lock_guard<std::mutex> lk(g_mutex);
    g_lines.clear();
  }
  g_object_set(s.element, "ttl", 5u, nullptr);
  const auto changes = lines_from("gst_mctx_sink_set_property");
  fail_unless_equals_int(changes.size(), 1);
  assert_str_eq(changes[0].text, "Changing ttl from 2 to 5");

  gst_debug_remove_log_function(capture);
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-log", .netns = netns_lo()});
