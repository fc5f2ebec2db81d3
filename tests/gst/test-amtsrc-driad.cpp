// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// amtsrc's relay discovery by DNS (DRIAD, RFC 8777) against bind9's named
// and amtrelayd, in the namespaces of amtsrc-amtrelayd.hpp
// (scripts/mctx-netns --peer2). named runs in the relay's namespace on
// 192.0.2.1 with the AMTRELAY zones of tests/amt/driad_named.py
// ($MCTX_DRIAD_NAMED, run with $MCTX_PYTHON: it writes the zones and
// becomes named). This process runs in a private mount namespace of its
// own where /etc/resolv.conf is a bind mount naming the test's server, so
// the element uses the system resolver's default path, unchanged.
//
// One meson test per case (GST_CHECKS=test_NAME):
//   amtsrc-driad       the best AMTRELAY record names a relay that never
//                      answers (192.0.2.77): a WARNING naming it and the
//                      next, amtrelayd (D=0: Relay Discovery to it first);
//                      joined there, the LAN receiver gets every datagram
//                      byte for byte
//   amtsrc-driad-ipv6  an IPv6 (S,G): AMTRELAY type 2 fd00::1, D=1
//                      (Requests straight to it), MLDv2 over an IPv6 tunnel
//   amtsrc-driad-none  no record: a WARNING naming the source and the
//                      anycast address, then discovery there;
//                      dns-discovery=false: no lookup, no WARNING
//   amtsrc-driad-stop  a DNS server that never answers: the query reaches
//                      it, and the element stops within a second while the
//                      lookup is pending; a relay-address name does not
//                      hold the start up either
//   amtsrc-driad-name  relay-address amt.example.net: its first address
//                      (192.0.2.3) never answers, a WARNING names it and
//                      the second, amtrelayd on 192.0.2.1; every datagram
//                      on the LAN; a name with only an IPv6 address and an
//                      IPv4 local-address: an ERROR naming both
// Exit 77 (skipped, with the reason) without named (bind9) or, for the
// first two and the last, amtrelayd.

#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "amtsrc-amtrelayd.hpp"
#include "mctx/amt_driad.hpp"

using namespace mctx_gst_test;
using namespace amtsrc_test;

namespace {

constexpr const char* kDns = "192.0.2.1";

// This process's files: resolv.conf (bind-mounted on /etc/resolv.conf) and
// named's directory; made by the main process, removed at its exit.
std::string g_dir;
pid_t g_owner = 0;

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// The resolver configuration of this mount namespace, rewritten in place
// (the bind mount keeps the file's inode).
void use_resolver(const std::string& nameserver,
                  const char* options = "options timeout:2 attempts:2") {
  std::ofstream f(g_dir + "/resolv.conf", std::ios::trunc);
  f << "nameserver " << nameserver << "\n" << options << "\n";
  f.close();
  const bool written = f.good();
  fail_unless(written, "writing %s/resolv.conf", g_dir.c_str());
}

// named on 192.0.2.1 (the relay's namespace) with the test zones; ready
// when every zone is loaded and it says "running" after that (it answers
// SERVFAIL for zones not loaded yet before).
std::unique_ptr<Child> start_named() {
  const std::string dir = g_dir + "/named", log = g_dir + "/named.log";
  fail_unless(mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST, "mkdir %s: %s", dir.c_str(),
              g_strerror(errno));
  auto c = std::make_unique<Child>(
      std::vector<std::string>{env("MCTX_PYTHON"), env("MCTX_DRIAD_NAMED"), "named", dir}, log);
  const auto end = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    const std::string text = read_file(log);
    const auto loaded = text.find("all zones loaded");
    if (loaded != std::string::npos && text.find("running", loaded) != std::string::npos) break;
    fail_unless(c->running(), "named exited: %s",
                text.substr(text.size() > 2000 ? text.size() - 2000 : 0).c_str());
    fail_unless(std::chrono::steady_clock::now() < end,
                "named did not report 'all zones loaded' and 'running' within 20 s: %s",
                text.substr(text.size() > 2000 ? text.size() - 2000 : 0).c_str());
    g_usleep(100000);
  }
  use_resolver(kDns);
  return c;
}

std::string text_of(const GstStructure* s) {
  gchar* t = gst_structure_to_string(s);
  std::string out = t;
  g_free(t);
  return out;
}

// The element messages named `name`, in order (owned by the pipeline).
std::vector<const GstStructure*> element_messages(Pipeline& p, const char* name) {
  std::vector<const GstStructure*> out;
  for (auto* m : p.messages()) {
    if (GST_MESSAGE_TYPE(m) != GST_MESSAGE_ELEMENT) continue;
    const GstStructure* s = gst_message_get_structure(m);
    if (gst_structure_has_name(s, name)) out.push_back(s);
  }
  return out;
}

std::string texts_of(const std::vector<const GstStructure*>& v) {
  std::vector<std::string> t;
  for (const auto* s : v) t.push_back(text_of(s));
  return Pipeline::join(t);
}

// An amt-relay-dns message says `result` for relay `relay` of AMTRELAY
// precedence `precedence`, type `type` and the discovery it implies.
void check_dns(const GstStructure* s, const char* result, const char* relay,
               unsigned precedence, const char* type, bool discovery) {
  guint prec = 0;
  gboolean disc = FALSE;
  const bool ok = str(gst_structure_get_string(s, "result")) == result &&
                  str(gst_structure_get_string(s, "relay")) == relay &&
                  gst_structure_get_uint(s, "precedence", &prec) && prec == precedence &&
                  str(gst_structure_get_string(s, "relay-type")) == type &&
                  gst_structure_get_boolean(s, "discovery", &disc) && !disc == !discovery;
  fail_unless(ok, "amt-relay-dns does not say result=%s relay=%s precedence=%u relay-type=%s "
              "discovery=%d: %s", result, relay, precedence, type, discovery,
              text_of(s).c_str());
}

bool contains(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

// The last amt-state joined says `relay`; then the source's 200 datagrams
// reach the LAN receiver byte for byte, and the stop is prompt.
void check_joined_and_lan(Pipeline& p, const std::string& relay, bool v6) {
  const auto states = element_messages(p, "amt-state");
  const GstStructure* joined = nullptr;
  for (const auto* s : states) {
    if (str(gst_structure_get_string(s, "state")) == "joined") joined = s;
  }
  fail_unless(joined != nullptr && str(gst_structure_get_string(joined, "relay")) == relay,
              "joined, but not with %s: %s", relay.c_str(), texts_of(states).c_str());
  auto rx = lan_receiver(v6);
  Source src(v6);
  src.send(0, 200);
  check_lan(*rx, 0, 200, v6);
  const double took = p.stop();
  fail_unless(took < 2.0, "stopping took %.2f s", took);
}

// The DNS-found relay joined, then the stream to the LAN byte for byte,
// then a prompt stop.
void run_driad(bool v6) {
  auto named = start_named();
  auto relay = start_relay(v6);
  auto p = gateway(datagram_pipeline(v6, true));
  fail_unless(p->wait_state("joined", 20s), "not joined within 20 s; states %s; dns %s; "
              "warnings %s", Pipeline::join(p->states()).c_str(),
              texts_of(element_messages(*p, "amt-relay-dns")).c_str(),
              Pipeline::join(p->texts(GST_MESSAGE_WARNING)).c_str());
  g_usleep(500000);  // the relay's join upstream

  const auto dns = element_messages(*p, "amt-relay-dns");
  const auto warnings = p->texts(GST_MESSAGE_WARNING);
  const auto states = element_messages(*p, "amt-state");
  fail_unless(!states.empty());
  if (v6) {
    // AMTRELAY 10 1 2 fd00::1: D=1, Requests straight to it.
    fail_unless(dns.size() == 1, "amt-relay-dns messages: %s", texts_of(dns).c_str());
    check_dns(dns[0], "found", kRelay6, 10, "ipv6", false);
    fail_unless(warnings.empty(), "a WARNING although DNS named the relay: %s",
                Pipeline::join(warnings).c_str());
    fail_unless(str(gst_structure_get_string(states[0], "state")) == "requesting",
                "D=1, but the first state is %s", text_of(states[0]).c_str());
  } else {
    // AMTRELAY 5 1 1 192.0.2.77 (nobody there) first, then 10 0 1 192.0.2.1
    // (D=0: Relay Discovery to it first).
    fail_unless(dns.size() == 2, "amt-relay-dns messages: %s", texts_of(dns).c_str());
    check_dns(dns[0], "found", "192.0.2.77", 5, "ipv4", false);
    check_dns(dns[1], "next", kRelay4, 10, "ipv4", true);
    fail_unless(warnings.size() == 1 && contains(warnings[0], "192.0.2.77") &&
                    contains(warnings[0], kRelay4),
                "not one WARNING naming the silent relay and the next: %s",
                Pipeline::join(warnings).c_str());
    const auto st = p->states();
    fail_unless(std::find(st.begin(), st.end(), "discovering") != st.end(),
                "D=0, but no Relay Discovery to %s: %s", kRelay4, Pipeline::join(st).c_str());
  }
  fail_unless(p->texts(GST_MESSAGE_ERROR).empty(), "errors: %s", p->describe_errors().c_str());
  check_joined_and_lan(*p, v6 ? "[fd00::1]:2268" : "192.0.2.1:2268", v6);
}

}  // namespace

// IPv4: the best relay is silent; the next one, amtrelayd, by discovery.
MCTX_GST_TEST(test_driad) { run_driad(false); }
GST_END_TEST;

// IPv6: AMTRELAY type 2, D=1.
MCTX_GST_TEST(test_driad_ipv6) { run_driad(true); }
GST_END_TEST;

// No AMTRELAY record for the source (its reverse zone is served, empty):
// a WARNING, then discovery at the anycast address. dns-discovery=false:
// discovery at once, no lookup, no WARNING.
MCTX_GST_TEST(test_driad_none) {
  auto named = start_named();
  const std::string pipeline = std::string("amtsrc name=amt group=") + kGroup +
                               " source-address=203.0.113.99 metrics-interval=0 ";
  {
    auto p = gateway(pipeline + "! fakesink");
    GstMessage* w = p->wait(
        [](GstMessage* m) { return GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING; }, 15s);
    fail_unless(w != nullptr, "no WARNING within 15 s; dns %s",
                texts_of(element_messages(*p, "amt-relay-dns")).c_str());
    const std::string warning = p->texts(GST_MESSAGE_WARNING)[0];
    fail_unless(contains(warning, "203.0.113.99") && contains(warning, "192.52.193.1"),
                "the WARNING does not name the source and the anycast address: %s",
                warning.c_str());
    fail_unless(p->wait_state("discovering", 5s), "no discovery after DNS gave nothing: %s",
                Pipeline::join(p->states()).c_str());
    const auto dns = element_messages(*p, "amt-relay-dns");
    fail_unless(dns.size() == 1 && str(gst_structure_get_string(dns[0], "result")) == "none",
                "amt-relay-dns result=none missing: %s", texts_of(dns).c_str());
    fail_unless(p->texts(GST_MESSAGE_ERROR).empty(), "errors: %s", p->describe_errors().c_str());
    const double took = p->stop();
    fail_unless(took < 2.0, "stopping took %.2f s", took);
  }
  {
    auto p = gateway(pipeline + "dns-discovery=false ! fakesink");
    fail_unless(p->wait_state("discovering", 5s), "dns-discovery=false: no discovery at once: %s",
                Pipeline::join(p->states()).c_str());
    g_usleep(1000000);
    fail_unless(element_messages(*p, "amt-relay-dns").empty() &&
                    p->texts(GST_MESSAGE_WARNING).empty(),
                "dns-discovery=false, but DNS was asked: dns %s; warnings %s",
                texts_of(element_messages(*p, "amt-relay-dns")).c_str(),
                Pipeline::join(p->texts(GST_MESSAGE_WARNING)).c_str());
    p->stop();
  }
}
GST_END_TEST;

// A DNS server (192.0.2.53, in the relay's namespace) that takes the query
// and never answers: the element starts, posts nothing while the lookup is
// pending, and stops within a second.
std::size_t thread_count() {
  std::size_t n = 0;
  if (GDir* d = g_dir_open("/proc/self/task", 0, nullptr)) {
    while (g_dir_read_name(d) != nullptr) ++n;
    g_dir_close(d);
  }
  return n;
}

// `restarts` restarts of p while its lookup is still pending wait for it:
// no thread more per start (the resolver may take 2 x 5 s to give up).
// GLib's thread pools may keep an idle thread or two.
void check_restarts(Pipeline& p, int restarts, const char* what) {
  const std::size_t threads = thread_count();
  for (int i = 0; i < restarts; ++i) {
    p.play();
    g_usleep(100 * 1000);
    fail_unless(p.stop() < 1.0, "%s restart %d: the stop took 1 s or more", what, i + 1);
  }
  fail_unless(thread_count() <= threads + 2, "%zu threads after %d %s restarts, %zu before",
              thread_count(), restarts, what, threads);
}

MCTX_GST_TEST(test_driad_stop) {
  fail_unless_equals_int(
      mctx::test::shell("ip addr add 192.0.2.53/24 dev mctx0 2>/dev/null || true"), 0);
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  fail_unless(fd >= 0, "socket: %s", g_strerror(errno));
  sockaddr_storage ss{};
  const socklen_t l = mctx::Endpoint{addr("192.0.2.53"), 53}.to_sockaddr(ss);
  fail_unless(bind(fd, reinterpret_cast<sockaddr*>(&ss), l) == 0, "bind 192.0.2.53:53: %s",
              g_strerror(errno));
  use_resolver("192.0.2.53", "options timeout:5 attempts:2");
  auto p = gateway(std::string("amtsrc name=amt group=") + kGroup +
                   " source-address=198.51.100.2 metrics-interval=0 ! fakesink");
  // The query reaches the silent server (the element uses this mount
  // namespace's resolv.conf).
  pollfd pfd{fd, POLLIN, 0};
  fail_unless(poll(&pfd, 1, 10000) == 1, "no DNS query reached 192.0.2.53 within 10 s");
  char query[512];
  const ssize_t n = recv(fd, query, sizeof query, 0);
  static const char kName[] = "\x01" "2\x03" "100\x02" "51\x03" "198\x07" "in-addr\x04" "arpa";
  fail_unless(n > 0 && memmem(query, static_cast<size_t>(n), kName, sizeof kName - 1) != nullptr,
              "the query (%zd bytes) is not for 2.100.51.198.in-addr.arpa", n);
  g_usleep(1000000);
  fail_unless(p->texts(GST_MESSAGE_ERROR).empty() && p->texts(GST_MESSAGE_WARNING).empty() &&
                  p->states().empty() && element_messages(*p, "amt-relay-dns").empty(),
              "the lookup did not stay pending: errors %s; warnings %s; states %s; dns %s",
              p->describe_errors().c_str(), Pipeline::join(p->texts(GST_MESSAGE_WARNING)).c_str(),
              Pipeline::join(p->states()).c_str(),
              texts_of(element_messages(*p, "amt-relay-dns")).c_str());
  const double took = p->stop();
  fail_unless(took < 1.0, "stopping with the lookup pending took %.2f s", took);
  check_restarts(*p, 8, "DRIAD");

  // relay-address given by name: the lookup runs off the state change too.
  const auto t0 = std::chrono::steady_clock::now();
  auto q = gateway(std::string("amtsrc name=amt relay-address=amt.example.net group=") + kGroup +
                   " source-address=198.51.100.2 metrics-interval=0 ! fakesink");
  const std::chrono::duration<double> started = std::chrono::steady_clock::now() - t0;
  fail_unless(started.count() < 1.0, "PLAYING with the name's lookup pending took %.2f s",
              started.count());
  g_usleep(1000000);
  fail_unless(q->texts(GST_MESSAGE_ERROR).empty() && q->states().empty(),
              "the name's lookup did not stay pending: errors %s; states %s",
              q->describe_errors().c_str(), Pipeline::join(q->states()).c_str());
  const double q_took = q->stop();
  fail_unless(q_took < 1.0, "stopping with the name's lookup pending took %.2f s", q_took);
  check_restarts(*q, 4, "relay-name");
  close(fd);
}
GST_END_TEST;

// relay-address given as a host name, resolved with the system resolver.
MCTX_GST_TEST(test_driad_name) {
  auto named = start_named();
  {
    // Only an IPv6 address, and an IPv4 local-address: no usable relay.
    auto p = gateway(std::string("amtsrc name=amt relay-address=v6only.example.net "
                                 "local-address=192.0.2.2 group=") +
                     kGroup + " source-address=" + kSource4 + " metrics-interval=0 ! fakesink");
    GstMessage* e = p->wait(
        [](GstMessage* m) { return GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR; }, 10s);
    fail_unless(e != nullptr, "no ERROR within 10 s; states %s",
                Pipeline::join(p->states()).c_str());
    const std::string text = p->describe_errors();
    fail_unless(contains(text, "relay-address 'v6only.example.net'") &&
                    contains(text, kRelay6) && contains(text, "local-address '192.0.2.2'"),
                "the ERROR does not name the property, the address and local-address: %s",
                text.c_str());
    p->stop();
  }
  // The order this test needs: glibc's, in the gateway's namespace.
  std::string order;
  must("resolving amt.example.net", [&] {
    mctx::test::in_netns(mctx::test::peer_netns(), [&] {
      auto r = mctx::resolve_amt_relay_name("amt.example.net");
      order = r ? (r->empty() ? "" : r->front().to_string() + " first of " +
                                         std::to_string(r->size()))
                : r.error().message;
    });
    return 0;
  });
  fail_unless(order == "192.0.2.3 first of 2",
              "the system resolver's order is not the one this test needs (192.0.2.3 first of "
              "2): %s", order.c_str());
  auto relay = start_relay(false);
  auto p = gateway(std::string("amtsrc name=amt relay-address=amt.example.net group=") + kGroup +
                   " source-address=" + kSource4 +
                   " output=datagram metrics-interval=0 ! mctxsink raw-mode=true interface=lan0 "
                   "stats-interval=0");
  fail_unless(p->wait_state("joined", 20s), "not joined within 20 s; states %s; warnings %s",
              Pipeline::join(p->states()).c_str(),
              Pipeline::join(p->texts(GST_MESSAGE_WARNING)).c_str());
  g_usleep(500000);  // the relay's join upstream
  const auto warnings = p->texts(GST_MESSAGE_WARNING);
  fail_unless(warnings.size() == 1 && contains(warnings[0], "192.0.2.3") &&
                  contains(warnings[0], kRelay4) && contains(warnings[0], "amt.example.net"),
              "not one WARNING naming the silent address, the next and the name: %s",
              Pipeline::join(warnings).c_str());
  fail_unless(element_messages(*p, "amt-relay-dns").empty(), "amt-relay-dns without DRIAD: %s",
              texts_of(element_messages(*p, "amt-relay-dns")).c_str());
  fail_unless(p->texts(GST_MESSAGE_ERROR).empty(), "errors: %s", p->describe_errors().c_str());
  check_joined_and_lan(*p, "192.0.2.1:2268", false);
}
GST_END_TEST;

namespace {

void remove_dir() {
  if (getpid() == g_owner) mctx::test::shell("rm -rf '" + g_dir + "'");
}

// Skips (77) without named, python3 or (for the relay cases) amtrelayd;
// otherwise enters a private mount namespace (still single-threaded: every
// thread made later is in it) with /etc/resolv.conf bind-mounted from a
// file of this process, and sets the network up.
int check_needs() {
  const std::string which = env("GST_CHECKS");
  for (const char* tool : {"named", "named-checkzone"}) {
    if (mctx::test::shell(std::string("command -v ") + tool + " >/dev/null") != 0) {
      std::fprintf(stderr, "SKIP: %s not installed (scripts/deps --test installs bind9 and "
                   "bind9utils)\n", tool);
      return mctx::test::kSkipExitCode;
    }
  }
  if (env("MCTX_PYTHON").empty() || env("MCTX_DRIAD_NAMED").empty()) {
    std::fprintf(stderr, "SKIP: MCTX_PYTHON / MCTX_DRIAD_NAMED not set (run it from meson)\n");
    return mctx::test::kSkipExitCode;
  }
  if ((which.empty() || which == "test_driad" || which == "test_driad_ipv6" ||
       which == "test_driad_name") &&
      amtrelayd_missing()) {
    return mctx::test::kSkipExitCode;
  }
  char dir[] = "/tmp/amtsrc-driad-XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    std::fprintf(stderr, "mkdtemp: %s\n", g_strerror(errno));
    return 1;
  }
  g_dir = dir;
  g_owner = getpid();
  std::atexit(remove_dir);
  std::ofstream(g_dir + "/resolv.conf") << "nameserver " << kDns << "\n";
  if (unshare(CLONE_NEWNS) != 0 ||
      mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      mount((g_dir + "/resolv.conf").c_str(), "/etc/resolv.conf", nullptr, MS_BIND, nullptr) !=
          0) {
    std::fprintf(stderr, "a private mount namespace with /etc/resolv.conf bind-mounted: %s\n",
                 g_strerror(errno));
    return 1;
  }
  setup_network();
  return -1;
}

}  // namespace

MCTX_GST_CHECK_MAIN({.suite = "amtsrc-driad", .netns = netns_peer2(), .timeout = 150,
                     .child = check_needs});
