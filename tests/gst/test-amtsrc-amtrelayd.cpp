// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// amtsrc against the independent relay amtrelayd (Juniper's RFC 7450 relay,
// built from ../shared/peers into the build directory), in namespaces
// (scripts/mctx-netns --peer2; the layout and its helpers in
// amtsrc-amtrelayd.hpp).
//
// One meson test per case (GST_CHECKS=test_NAME): amtsrc-props,
// amtsrc-datagram, amtsrc-ipv6, amtsrc-payload, amtsrc-no-relay,
// amtsrc-forged, amtsrc-relay-restart, amtsrc-tshark. The path of amtrelayd
// is $MCTX_AMTRELAYD; without it the relay cases exit 77 (skipped) and say
// why.

#include "amtsrc-amtrelayd.hpp"

using namespace mctx_gst_test;
using namespace amtsrc_test;

namespace {

// The amt-metrics message posted at stop.
GstStructure* final_metrics(Pipeline& p) {
  for (auto* m : p.messages()) {
    if (GST_MESSAGE_TYPE(m) != GST_MESSAGE_ELEMENT) continue;
    const GstStructure* s = gst_message_get_structure(m);
    if (gst_structure_has_name(s, "amt-metrics") &&
        str(gst_structure_get_string(s, "reason")) == "stop") {
      return gst_structure_copy(s);
    }
  }
  return nullptr;
}

void run_datagram(bool v6) {
  auto relay = start_relay(v6);
  auto p = gateway(datagram_pipeline(v6));
  wait_joined(*p);
  auto rx = lan_receiver(v6);
  Source src(v6);
  src.send(0, 300);
  check_lan(*rx, 0, 300, v6);
  fail_unless(p->metric("datagrams") >= 300, "metrics: %s", p->metrics_text().c_str());
  const uint64_t updates = p->metric("updates-sent");
  const double took = p->stop();
  fail_unless(took < 2.0, "stopping took %.2f s", took);
  GstStructure* fin = final_metrics(*p);
  fail_unless(fin != nullptr, "no amt-metrics message at stop");
  guint64 u = 0;
  gst_structure_get_uint64(fin, "updates-sent", &u);
  gst_structure_free(fin);
  fail_unless_equals_uint64(u, updates + 1);  // the leave
  const auto states = p->states();
  fail_unless(!states.empty() && states.back() == "stopped", "amt-state sequence: %s",
              Pipeline::join(states).c_str());
}

}  // namespace

// Output=datagram ! mctxsink raw-mode=true: the LAN receiver gets every
// datagram byte-identical from the original source; the leave at stop.
MCTX_GST_TEST(test_datagram) { run_datagram(false); }
GST_END_TEST;

// The same with an IPv6 tunnel, an MLDv2 update and an IPv6 (S,G).
MCTX_GST_TEST(test_ipv6) { run_datagram(true); }
GST_END_TEST;

// output=payload: exactly the source's payloads, with its address in a
// GstNetAddressMeta and live timestamps (the running time of arrival).
MCTX_GST_TEST(test_payload) {
  auto relay = start_relay(false);
  auto p = gateway(std::string("amtsrc name=amt relay-address=") + kRelay4 + " group=" + kGroup +
                   " source-address=" + kSource4 + " port=5000 metrics-interval=0 " +
                   "! appsink name=out sync=false");
  wait_joined(*p);
  Source src(false);
  const GstClockTime t0 = running_time(p->src());
  src.send(0, 100);
  expect_buffers(*p, payloads(0, 100), kSource4, t0);
}
GST_END_TEST;

// No relay at all (an address nobody has): the source starts, one WARNING
// names the relay, no ERROR, and it stops within two seconds.
MCTX_GST_TEST(test_no_relay) {
  auto p = gateway(std::string("amtsrc name=amt relay-address=192.0.2.99 group=") + kGroup +
                   " source-address=" + kSource4 + " metrics-interval=0 ! fakesink");
  GstMessage* w = p->wait(
      [](GstMessage* m) { return GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING; }, 10s);
  fail_unless(w != nullptr, "no WARNING within 10 s without a relay");
  const auto warnings = p->texts(GST_MESSAGE_WARNING);
  fail_unless(warnings[0].find("192.0.2.99:2268") != std::string::npos,
              "the WARNING does not name the relay: %s", warnings[0].c_str());
  fail_unless(p->texts(GST_MESSAGE_ERROR).empty(), "errors: %s", p->describe_errors().c_str());
  const double took = p->stop();
  fail_unless(took < 2.0, "stopping took %.2f s", took);
}
GST_END_TEST;

// AMT data from another address (192.0.2.3:2268) to the tunnel: dropped and
// counted; the genuine stream is delivered.
MCTX_GST_TEST(test_forged) {
  fail_unless_equals_int(mctx::test::shell("ip addr add 192.0.2.3/24 dev mctx0 2>/dev/null || true"),
                         0);
  auto relay = start_relay(false);
  auto p = gateway(datagram_pipeline(false));
  wait_joined(*p);
  GstStructure* s = p->metrics();
  const std::string tunnel = str(gst_structure_get_string(s, "tunnel"));
  gst_structure_free(s);
  const auto colon = tunnel.rfind(':');
  fail_unless(colon != std::string::npos, "no tunnel address in the metrics: %s", tunnel.c_str());
  const uint16_t port = static_cast<uint16_t>(std::atoi(tunnel.c_str() + colon + 1));
  auto rx = lan_receiver(false);
  {
    amt_relay::ScriptedRelay forger = must("the forger", [] {
      return amt_relay::ScriptedRelay(mctx::Endpoint{addr("192.0.2.3"), 2268});
    });
    Bytes body;
    for (int k = 0; k < 10; ++k) body.insert(body.end(), {'f', 'o', 'r', 'g', 'e', 'd'});
    const Bytes forged = amt_relay::multicast_data(
        amt_relay::ipv4_udp(addr(kSource4), addr(kGroup), kSourcePort, kPort, body));
    for (int i = 0; i < 50; ++i) {
      must("forging", [&] {
        forger.send(mctx::Endpoint{addr("192.0.2.2"), port}, forged);
        return 0;
      });
    }
  }
  Source src(false);
  src.send(0, 100);
  check_lan(*rx, 0, 100, false);  // fails on anything but the source's datagrams
  fail_unless_equals_uint64(p->metric("drop-not-from-relay"), 50);
}
GST_END_TEST;

// amtrelayd restarted mid-stream: data resumes by itself (the gateway's
// refresh at the relay's query interval, or its retries).
MCTX_GST_TEST(test_relay_restart) {
  auto relay = start_relay(false);
  auto p = gateway(datagram_pipeline(false));
  wait_joined(*p);
  Source src(false);
  {
    auto rx = lan_receiver(false);
    src.send(0, 50);
    check_lan(*rx, 0, 50, false);
  }
  const uint64_t before = p->metric("datagrams");
  relay.reset();
  g_usleep(1000000);
  relay = start_relay(false);
  const auto t0 = std::chrono::steady_clock::now();
  int first = 1000;
  bool resumed = false;
  while (!resumed && std::chrono::steady_clock::now() - t0 < 90s) {
    src.send(first, 10, 50000);
    first += 10;
    resumed = p->metric("datagrams") > before;
  }
  fail_unless(resumed, "data did not resume within 90 s of the relay's restart; metrics %s",
              p->metrics_text().c_str());
  GST_INFO("data resumed %.1f s after the restart",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  auto rx = lan_receiver(false);
  src.send(5000, 50);
  check_lan(*rx, 5000, 50, false);
}
GST_END_TEST;

// tshark's AMT dissector decodes the exchange captured on the tunnel.
MCTX_GST_TEST(test_tshark) {
  const std::string dir = must("mkdtemp", [] {
    char t[] = "/tmp/amtsrc-tshark-XXXXXX";
    if (mkdtemp(t) == nullptr) throw std::runtime_error("mkdtemp failed");
    return std::string(t);
  });
  const std::string cap = dir + "/amt.pcap";
  {
    Child dump({"nsenter", "--net=" + mctx::test::peer_netns(), "tcpdump", "-q", "-i", "mctx1",
                "-w", cap, "udp port 2268"},
               dir + "/tcpdump.log");
    g_usleep(1000000);
    run_datagram(false);
    g_usleep(500000);
    dump.stop(SIGTERM);
  }
  const auto r = mctx::test::run_process({"tshark", "-r", cap, "-Y", "amt", "-T", "fields", "-e",
                                          "amt.type"});
  fail_unless(r.exit_code == 0, "tshark: %s", r.err.c_str());
  std::set<int> types;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) types.insert(std::atoi(line.c_str()));
  }
  for (int t : {3, 4, 5, 6}) {
    fail_unless(types.count(t) == 1, "tshark did not decode AMT type %d (output: %s)", t,
                r.out.substr(0, 200).c_str());
  }
  mctx::test::shell("rm -rf " + dir);
}
GST_END_TEST;

// Property checks at start (the ERROR names the property, the value and the
// rule) and the amt:// URI handler. Sends nothing.
MCTX_GST_TEST(test_props) {
  struct Case {
    std::vector<std::pair<const char*, const char*>> props;
    std::vector<const char*> needles;
  };
  const std::vector<Case> cases = {
      {{{"group", ""}}, {"group", "not set"}},
      {{{"group", "10.1.1.1"}}, {"group '10.1.1.1'", "not a multicast address"}},
      {{{"group", "232.1.1.999"}}, {"group '232.1.1.999'"}},
      {{{"group", "232.1.1.1"}, {"source-address", "2001:db8::1"}},
       {"source-address '2001:db8::1'", "family"}},
      {{{"group", "232.1.1.1"}, {"source-address", "232.2.2.2"}},
       {"source-address '232.2.2.2'", "unicast"}},
      {{{"group", "232.1.1.1"}, {"source-address", "198.51.100.2"},
        {"relay-address", "no-such-relay.invalid"}},
       {"relay-address 'no-such-relay.invalid'", "resolving relay name"}},
      {{{"group", "232.1.1.1"}, {"relay-address", "192.0.2.1"}, {"local-address", "fd00::1"}},
       {"local-address 'fd00::1'", "family"}},
      {{{"group", "232.1.1.1"}, {"relay-address", "192.0.2.1"}, {"interface", "nosuchif9"}},
       {"interface", "'nosuchif9'"}},
  };
  for (const auto& c : cases) {
    Pipeline p("amtsrc name=amt ! fakesink");
    for (const auto& [k, v] : c.props) g_object_set(p.src(), k, v, nullptr);
    gst_element_set_state(p.element(), GST_STATE_PLAYING);
    // (35 s: a host name is resolved off the state change, within the
    // resolver's bound.)
    GstMessage* e = p.wait([](GstMessage* m) { return GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR; },
                           35s);
    fail_unless(e != nullptr, "%s='%s': no ERROR", c.props.back().first, c.props.back().second);
    const std::string text = p.describe_errors();
    for (const char* n : c.needles) {
      fail_unless(text.find(n) != std::string::npos, "the ERROR %s does not say %s",
                  text.c_str(), n);
    }
  }

  auto uri_of = [](const char* uri, GError** err) {
    GstElement* e = gst_element_factory_make("amtsrc", nullptr);
    gst_object_ref_sink(e);
    const gboolean ok = gst_uri_handler_set_uri(GST_URI_HANDLER(e), uri, err);
    return std::make_pair(e, ok);
  };
  auto prop = [](GstElement* e, const char* name) {
    gchar* v = nullptr;
    g_object_get(e, name, &v, nullptr);
    std::string s = str(v);
    g_free(v);
    return s;
  };
  {
    const char* uri = "amt://198.51.100.2@232.1.1.1:5000?relay=192.0.2.1";
    auto [e, ok] = uri_of(uri, nullptr);
    fail_unless(ok, "%s refused", uri);
    guint port = 0;
    g_object_get(e, "port", &port, nullptr);
    fail_unless(prop(e, "source-address") == "198.51.100.2" && prop(e, "group") == "232.1.1.1" &&
                port == 5000 && prop(e, "relay-address") == "192.0.2.1");
    gchar* back = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
    fail_unless(str(back) == uri, "get_uri gives %s", back);
    g_free(back);
    gst_object_unref(e);
  }
  {
    auto [e, ok] = uri_of("amt://[fd01::2]@[ff3e::8000:1]:5000?relay=[fd00::1]", nullptr);
    fail_unless(ok && prop(e, "group") == "ff3e::8000:1" && prop(e, "source-address") == "fd01::2" &&
                prop(e, "relay-address") == "fd00::1");
    gst_object_unref(e);
  }
  {
    auto [e, ok] = uri_of("amt://239.1.2.3", nullptr);
    fail_unless(ok && prop(e, "source-address").empty(), "amt://239.1.2.3 not taken as (*,G)");
    gst_object_unref(e);
  }
  for (const char* bad : {"amt://", "amt://232.1.1.1:0", "amt://232.1.1.1:99999",
                          "amt://x@232.1.1.1", "amt://232.1.1.1?foo=1", "udp://232.1.1.1"}) {
    GError* err = nullptr;
    auto [e, ok] = uri_of(bad, &err);
    fail_unless(!ok, "URI %s accepted", bad);
    fail_unless(err != nullptr);
    if (g_str_has_prefix(bad, "amt:")) {
      fail_unless(std::string(err->message).find(bad) != std::string::npos,
                  "the error for %s does not quote it: %s", bad, err->message);
    }
    g_error_free(err);
    gst_object_unref(e);
  }
}
GST_END_TEST;

namespace {

int check_needs() {
  const std::string which = env("GST_CHECKS");
  if (which != "test_props" && which != "test_no_relay" && amtrelayd_missing()) {
    return mctx::test::kSkipExitCode;
  }
  if (which == "test_tshark") {
    for (const char* tool : {"tshark", "tcpdump"}) {
      if (mctx::test::shell(std::string("command -v ") + tool + " >/dev/null") != 0) {
        std::fprintf(stderr, "SKIP: %s not installed (apt-get install %s)\n", tool, tool);
        return mctx::test::kSkipExitCode;
      }
    }
  }
  setup_network();
  return -1;
}

}  // namespace

MCTX_GST_CHECK_MAIN({.suite = "amtsrc-amtrelayd", .netns = netns_peer2(), .timeout = 150,
                     .child = check_needs});
