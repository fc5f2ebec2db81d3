// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// amtsrc against the independent relay amtrelayd (Juniper's RFC 7450 relay,
// built from ../shared/peers into the build directory), in namespaces
// (scripts/mctx-netns --peer2):
//
//   peer2 ns (source)    mctx3 198.51.100.2 / fd01::2 sends (S,G) UDP
//   main ns  (relay)     amtrelayd -a/-r 192.0.2.1 (fd00::1) -c mctx2
//   peer ns  (gateway)   mctx1 192.0.2.2 / fd00::2: the pipeline under test;
//                        lan0 10.9.0.1 <-> lan1 10.9.0.2 (the LAN), with an
//                        (S,G)-joined receiver on lan1
//
// One meson test per case (GST_CHECKS=test_NAME): amtsrc-props,
// amtsrc-datagram, amtsrc-ipv6, amtsrc-payload, amtsrc-no-relay,
// amtsrc-forged, amtsrc-relay-restart, amtsrc-tshark. The path of amtrelayd
// is $MCTX_AMTRELAYD; without it the relay cases exit 77 (skipped) and say
// why.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "amtsrc-test.hpp"
#include "process.hpp"

using namespace mctx_gst_test;
using namespace amtsrc_test;

extern char** environ;

namespace {

constexpr const char* kSource4 = "198.51.100.2";
constexpr const char* kSource6 = "fd01::2";
constexpr const char* kGroup6 = "ff3e::8000:1";
constexpr const char* kRelay4 = "192.0.2.1";
constexpr const char* kRelay6 = "fd00::1";

std::string env(const char* name) { return str(std::getenv(name)); }

// A child process (argv[0] looked up on PATH), its output appended to
// `log`; killed by the destructor.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int r = posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    fail_unless(r == 0, "starting %s: %s", argv[0].c_str(), g_strerror(r));
  }
  ~Child() { stop(SIGKILL); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool running() {
    if (pid_ <= 0) return false;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  void stop(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int st = 0;
    waitpid(pid_, &st, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

const std::string kRelayLog = "/tmp/amtsrc-amtrelayd-" + std::to_string(getpid()) + ".log";

std::unique_ptr<Child> start_relay(bool v6) {
  std::vector<std::string> argv = {env("MCTX_AMTRELAYD"), "-d", "-c", "mctx2"};
  if (v6) {
    argv.insert(argv.end(), {"-n", "inet6", "-l", "inet6", "-a", kRelay6, "-r", kRelay6});
  } else {
    argv.insert(argv.end(), {"-a", kRelay4, "-r", kRelay4});
  }
  auto c = std::make_unique<Child>(argv, kRelayLog);
  g_usleep(500000);
  fail_unless(c->running(), "amtrelayd exited at once (see %s)", kRelayLog.c_str());
  return c;
}

// The source on the peer2 host: UDP from S:4000 to (G, 5000), TTL 8.
class Source {
 public:
  explicit Source(bool v6) : v6_(v6) {
    must("the source socket", [&] {
      mctx::test::in_netns(mctx::test::peer_netns(mctx::test::Peer::second), [&] {
        fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (v6) {
          const int idx = static_cast<int>(mctx::test::ifindex("mctx3")), hops = 8;
          setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx);
          setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
        } else {
          const in_addr a = addr(kSource4).to_in_addr();
          const int ttl = 8;
          setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof a);
          setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
        }
        sockaddr_storage ss{};
        const socklen_t l =
            mctx::Endpoint{addr(v6 ? kSource6 : kSource4), kSourcePort}.to_sockaddr(ss);
        if (bind(fd_, reinterpret_cast<sockaddr*>(&ss), l) != 0) {
          throw std::runtime_error(std::string("bind: ") + g_strerror(errno));
        }
      });
      return 0;
    });
  }
  ~Source() { close(fd_); }
  void send(int first, int count, int gap_us = 5000) {
    sockaddr_storage ss{};
    const socklen_t l = mctx::Endpoint{addr(v6_ ? kGroup6 : kGroup), kPort}.to_sockaddr(ss);
    for (int i = first; i < first + count; ++i) {
      const Bytes b = payload(i);
      fail_unless(sendto(fd_, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&ss), l) ==
                      static_cast<ssize_t>(b.size()),
                  "the source's sendto: %s", g_strerror(errno));
      g_usleep(gap_us);
    }
  }

 private:
  bool v6_;
  int fd_ = -1;
};

// The LAN receiver on lan1 in the gateway's namespace, joined to (S,G).
std::unique_ptr<mctx::test::Receiver> lan_receiver(bool v6) {
  return must("the LAN receiver", [&] {
    std::unique_ptr<mctx::test::Receiver> rx;
    mctx::test::in_netns(mctx::test::peer_netns(), [&] {
      rx = std::make_unique<mctx::test::Receiver>(addr(v6 ? kGroup6 : kGroup), kPort,
                                                  mctx::test::ifindex("lan1"),
                                                  addr(v6 ? kSource6 : kSource4));
      rx->set_buffer_size(8 << 20);
    });
    return rx;
  });
}

// Every datagram first..first+count-1 byte-identical, from S:4000.
void check_lan(mctx::test::Receiver& rx, int first, int count, bool v6) {
  const auto got = receive_n(rx, 1000000, 3000);
  std::set<int> seen;
  const char* src = v6 ? kSource6 : kSource4;
  for (const auto& d : got) {
    const Bytes b(d.payload.begin(), d.payload.end());
    fail_unless(b.size() > 10, "a datagram of %zu bytes on the LAN", b.size());
    const int i = std::atoi(std::string(b.begin() + 4, b.begin() + 10).c_str());
    fail_unless(b == payload(i), "LAN datagram %d differs from what the source sent", i);
    fail_unless(d.from.address.to_string() == src && d.from.port == kSourcePort,
                "LAN datagram %d from %s", i, d.from.to_string().c_str());
    seen.insert(i);
  }
  for (int i = first; i < first + count; ++i) {
    fail_unless(seen.count(i) == 1, "the LAN receiver missed datagram %d (%zu of %d came)", i,
                seen.size(), count);
  }
}

// The pipeline, started in the gateway's namespace (its sockets live there).
std::unique_ptr<Pipeline> gateway(const std::string& description) {
  auto p = std::make_unique<Pipeline>(description);
  GstStateChangeReturn r = GST_STATE_CHANGE_FAILURE;
  must("starting the gateway", [&] {
    mctx::test::in_netns(mctx::test::peer_netns(),
                         [&] { r = gst_element_set_state(p->element(), GST_STATE_PLAYING); });
    return 0;
  });
  fail_unless(r != GST_STATE_CHANGE_FAILURE, "the gateway did not start: %s",
              p->describe_errors().c_str());
  return p;
}

void wait_joined(Pipeline& p) {
  fail_unless(p.wait_state("joined", 15s), "not joined within 15 s; states %s; metrics %s",
              Pipeline::join(p.states()).c_str(), p.metrics_text().c_str());
  g_usleep(500000);  // the relay's join upstream
}

std::string datagram_pipeline(bool v6) {
  return std::string("amtsrc name=amt relay-address=") + (v6 ? kRelay6 : kRelay4) +
         " group=" + (v6 ? kGroup6 : kGroup) + " source-address=" + (v6 ? kSource6 : kSource4) +
         " output=datagram metrics-interval=0 ! mctxsink raw-mode=true interface=lan0 "
         "stats-interval=0";
}

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
      {{{"group", "232.1.1.1"}, {"relay-address", "no-such-relay.invalid"}},
       {"relay-address 'no-such-relay.invalid'"}},
      {{{"group", "232.1.1.1"}, {"relay-address", "192.0.2.1"}, {"local-address", "fd00::1"}},
       {"local-address 'fd00::1'", "family"}},
      {{{"group", "232.1.1.1"}, {"relay-address", "192.0.2.1"}, {"interface", "nosuchif9"}},
       {"interface", "'nosuchif9'"}},
  };
  for (const auto& c : cases) {
    Pipeline p("amtsrc name=amt ! fakesink");
    for (const auto& [k, v] : c.props) g_object_set(p.src(), k, v, nullptr);
    gst_element_set_state(p.element(), GST_STATE_PLAYING);
    GstMessage* e = p.wait([](GstMessage* m) { return GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR; },
                           5s);
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

// Once, before the tests: the LAN in the gateway's namespace, the relay's
// routes toward the source.
void setup_network() {
  const std::string peer = mctx::test::peer_netns();
  mctx::test::shell(
      "ip link add lan0 type veth peer name lan1 2>/dev/null || true\n"
      "ip link set lan0 multicast on up; ip link set lan1 multicast on up\n"
      "ip addr add 10.9.0.1/24 dev lan0 2>/dev/null || true\n"
      "ip addr add 10.9.0.2/24 dev lan1 2>/dev/null || true\n"
      "ip -6 addr add fd09::1/64 dev lan0 nodad 2>/dev/null || true\n"
      "ip -6 addr add fd09::2/64 dev lan1 nodad 2>/dev/null || true\n"
      "for i in all default lan0 lan1; do sysctl -qw net.ipv4.conf.$i.rp_filter=0; done",
      peer);
  mctx::test::shell(
      "ip route add 232.0.0.0/8 dev mctx2 2>/dev/null || true; "
      "ip -6 route add ff3e::/16 dev mctx2 2>/dev/null || true");
}

// Skips (77) a relay case without amtrelayd, the tshark case without its
// tools; otherwise sets the network up.
int check_needs() {
  const std::string which = env("GST_CHECKS");
  if (which != "test_props" && which != "test_no_relay") {
    const std::string relayd = env("MCTX_AMTRELAYD");
    if (relayd.empty() || access(relayd.c_str(), X_OK) != 0) {
      std::fprintf(stderr,
                   "SKIP: amtrelayd not available (../shared/peers/build-amtrelayd missing or "
                   "its build failed; see tests/amt/amtrelayd-build.log in the build directory)\n");
      return mctx::test::kSkipExitCode;
    }
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
