// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink raw-mode=true (gst-raw-test.hpp): backpressure with both
// families, a pause while blocked, the ignored-properties warning, metrics
// when stopped, and the start without CAP_NET_RAW (a child process started
// under setpriv / capsh fails with the privilege message).

#include "gst-raw-test.hpp"

using namespace mctx_gst_test;
using namespace std::chrono_literals;

// Backpressure with two families: mctx0's egress is rate-limited (tc tbf)
// and the send buffers are tiny, so both raw sockets keep filling up; the
// element waits on the socket that blocked and every datagram arrives.
MCTX_GST_TEST(test_backpressure_both_families) {
  peer_setup();
  fail_unless_equals_int(
      std::system("tc qdisc replace dev mctx0 root tbf rate 8mbit burst 4kb limit 8mb"), 0);
  auto rx4 = ssm_receiver(kSource4, kGroup4);
  auto rx6 = ssm_receiver(kSource6, kGroup6);
  RawSink s("mctx0", 2048);  // tiny send buffers: they fill up at once
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
  const guint64 would_block = expect_sent_through_backpressure(s.element, n);
  // Waiting on the socket that blocked makes the next try succeed: at most
  // one would-block per datagram. Polling the other family's (writable)
  // socket would spin and count hundreds per datagram.
  fail_unless(would_block <= static_cast<guint64>(n), "would-block %" G_GUINT64_FORMAT,
              would_block);
}
GST_END_TEST;

// PLAYING -> PAUSED while the raw socket is full, then PLAYING again: the
// interrupted render waits for preroll and sends again. Single buffers and
// lists; every datagram arrives in order, nothing is dropped or sent while
// paused, and each state change completes within a second.
MCTX_GST_TEST(test_pause_while_blocked_resumes) {
  peer_setup();
  fail_unless_equals_int(
      std::system("tc qdisc replace dev mctx0 root tbf rate 32kbit burst 2kb limit 8mb"), 0);
  auto rx4 = ssm_receiver(kSource4, kGroup4);
  RawSink s("mctx0", 2048);  // tiny send buffers: they fill up at once
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
  expect_counters(s.element, {{"packets-sent", n}, {"dropped", 0}});
}
GST_END_TEST;

// group, port, ttl and source-address are not used in raw mode: one warning
// at start names those that are set; streaming is not affected.
MCTX_GST_TEST(test_ignored_properties_warning) {
  peer_setup();
  auto rx = ssm_receiver(kSource4, kGroup4);
  RawSink s;
  g_object_set(s.element, "group", "239.9.9.9", "port", 6000u, "ttl", 4u, "source-address",
               "192.0.2.1", nullptr);
  GstHarness* h = s.harness();
  std::vector<std::string> warnings = pop_warnings(s.bus);
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
  s.teardown();

  // One property: singular wording.
  RawSink s2;
  g_object_set(s2.element, "dscp", 46, nullptr);
  s2.harness();
  warnings = pop_warnings(s2.bus);
  fail_unless_equals_int(warnings.size(), 1);
  assert_contains(warnings[0], "raw-mode: dscp is ignored in raw mode");
  assert_contains(warnings[0], "leave it unset");
  s2.teardown();

  // max-rate alone: raw mode does not pace, and says so.
  RawSink s3;
  g_object_set(s3.element, "max-rate", guint64(20000000), nullptr);
  s3.harness();
  warnings = pop_warnings(s3.bus);
  fail_unless_equals_int(warnings.size(), 1);
  assert_str_eq(warnings[0],
                "raw-mode: max-rate 20000000 is not applied in raw mode: raw datagrams are sent "
                "unpaced");
}
GST_END_TEST;

// mode "raw" in the stats of a stopped element too.
MCTX_GST_TEST(test_stats_when_stopped) {
  RawSink s;
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

MCTX_GST_TEST(test_no_cap_net_raw) {
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

// The child of the no-CAP_NET_RAW test (MCTX_GST_RAW_CHILD=nocap), or -1.
static int raw_child() {
  const char* child = std::getenv("MCTX_GST_RAW_CHILD");
  if (child == nullptr) return -1;
  return std::string(child) == "nocap" ? child_no_cap() : 2;
}

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-raw-flow", .netns = netns_peer(true), .timeout = 60,
                    .child = raw_child});
