// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-amt-bench: the AMT gateway path, `amtsrc output=datagram ! mctxsink
// raw-mode=true`, against a bare recvmmsg -> sendmmsg loop, in one run.
//
// A scripted relay (tests/amt/scripted_relay.cpp) on 127.0.0.1 answers the
// gateway's Request, then a feeder thread sends it `count` AMT Multicast
// Data messages (each a complete IPv4/UDP datagram of (198.51.100.7,
// 232.1.1.1), `size` payload bytes) as fast as sendmmsg goes, over loopback.
// The forwarder re-emits each inner datagram unchanged out of the discard
// device (mctxd0, bench/run), whose packet counter is what "forwarded"
// counts. When the forwarder is slower than the feeder, its socket stays
// full and the kernel drops the surplus: the rate is then the forwarder's
// capacity.
//
//   amtsrc ! mctxsink raw   the element pair in a pipeline (sync=false): the
//                           streaming thread receives (recvmmsg, 32 per call),
//                           checks, pushes, and mctxsink sends on a raw socket
//   bare recvmmsg/sendmmsg  one thread: recvmmsg of up to 32 from a UDP
//                           socket, the 2-byte AMT header skipped, sendmmsg
//                           of the batch on an IPPROTO_RAW socket bound to
//                           the device (no validation)
//
// Figures per case: forwarded datagrams/s (first to last forwarded), CPU
// ns per forwarded datagram of the forwarding thread alone
// (pthread_getcpuclockid of amtsrc's streaming thread, the bare loop's
// thread), fed and lost. For a load-independent figure run one case under
// callgrind (docs/performance.md): the instructions of gst_base_src_loop
// (one call per buffer) or of bare_forward_loop, per forwarded datagram.
//
// It refuses to run outside a private network namespace: use bench/run.

#include <arpa/inet.h>
#include <gst/gst.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench-common.hpp"
#include "gst-bench-common.hpp"
#include "scripted_relay.hpp"

#ifndef MCTX_BENCH_PLUGIN_DIR
#define MCTX_BENCH_PLUGIN_DIR ""
#endif

namespace {

using amt_relay::Bytes;
using mctx::bench::CaseResult;
using mctx::bench::Sample;

constexpr const char* kGroup = "232.1.1.1";
constexpr const char* kSource = "198.51.100.7";
constexpr std::size_t kBatch = 32;

struct Options : mctx::bench::CommonOptions {
  std::string plugin_dir = MCTX_BENCH_PLUGIN_DIR;
  std::string only;
  gboolean paced = FALSE;  // keep at most kPacedBacklog datagrams ahead of the device
};
constexpr uint64_t kPacedBacklog = 1024;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "mctx-amt-bench: %s\n", what.c_str());
  std::exit(1);
}

mctx::IpAddress ip(const char* text) {
  auto a = mctx::IpAddress::parse(text);
  if (!a) die(std::string("bad address ") + text);
  return *a;
}

// 64 different AMT Multicast Data messages, cycled by the feeder.
std::vector<Bytes> messages(int size) {
  std::vector<Bytes> m;
  for (int k = 0; k < 64; ++k) {
    Bytes payload(static_cast<std::size_t>(size));
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7 + k);
    m.push_back(amt_relay::multicast_data(
        amt_relay::ipv4_udp(ip(kSource), ip(kGroup), 4000, 5000, payload)));
  }
  return m;
}

// User and system time of thread `tid` (/proc, clock ticks).
mctx::bench::Usage thread_usage(pid_t tid) {
  mctx::bench::Usage u;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", static_cast<int>(tid));
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return u;
  char buf[1024];
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');  // after the command name
  unsigned long utime = 0, stime = 0;
  if (p != nullptr &&
      std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) == 2) {
    const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
    u.user = static_cast<double>(utime) / hz;
    u.sys = static_cast<double>(stime) / hz;
  }
  return u;
}

double thread_cpu(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

uint64_t device_now(const Options& o) {
  auto v = mctx::bench::device_packets(o.interface);
  if (!v) die("no interface " + o.interface);
  return *v;
}

uint64_t device_now(const Options& o);

// Feeds `count` messages to `to` from a thread; the caller joins it. Paced:
// in batches of 256, never more than kPacedBacklog ahead of the device's
// counter (which was `tx0` at the start), so that nothing is lost.
std::thread feed(const Options& o, amt_relay::ScriptedRelay& relay, const mctx::Endpoint& to,
                 const std::vector<Bytes>& msgs, uint64_t count, uint64_t tx0,
                 std::atomic<bool>& done) {
  return std::thread([&o, &relay, to, &msgs, count, tx0, &done] {
    if (!o.paced) {
      relay.send_many(to, msgs, count);
    } else {
      uint64_t sent = 0;
      while (sent < count) {
        if (sent - std::min(sent, device_now(o) - tx0) > kPacedBacklog) {
          g_usleep(500);
          continue;
        }
        sent += relay.send_many(to, msgs, std::min<uint64_t>(256, count - sent));
      }
    }
    done = true;
  });
}

// Waits until the device counter stops growing for 300 ms after the feeder
// is done; returns the wall time of its last growth.
double wait_drained(const Options& o, const std::atomic<bool>& fed, uint64_t& tx_end) {
  uint64_t last = device_now(o);
  double last_change = mctx::bench::wall_now();
  for (;;) {
    g_usleep(5000);
    const uint64_t now = device_now(o);
    const double t = mctx::bench::wall_now();
    if (now != last) {
      last = now;
      last_change = t;
    } else if (fed && t - last_change > 0.3) {
      tx_end = last;
      return last_change;
    }
  }
}

// ---- the bare loop ----------------------------------------------------------

struct BareResult {
  uint64_t forwarded = 0;
  double first = 0, last = 0, cpu = 0;
  mctx::bench::Usage usage;
};

// The reference forwarder (its own function: callgrind --toggle-collect).
__attribute__((noinline)) void bare_forward_loop(int udp, int raw, const std::atomic<bool>& fed,
                                                 BareResult& r) {
  std::vector<std::vector<uint8_t>> bufs(kBatch, std::vector<uint8_t>(65536));
  std::vector<iovec> riov(kBatch), siov(kBatch);
  std::vector<mmsghdr> rmsg(kBatch), smsg(kBatch);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  inet_pton(AF_INET, kGroup, &dst.sin_addr);
  for (std::size_t i = 0; i < kBatch; ++i) {
    riov[i] = {bufs[i].data(), bufs[i].size()};
    rmsg[i] = {};
    rmsg[i].msg_hdr.msg_iov = &riov[i];
    rmsg[i].msg_hdr.msg_iovlen = 1;
  }
  const double c0 = thread_cpu(CLOCK_THREAD_CPUTIME_ID);
  const pid_t tid = gettid();
  const mctx::bench::Usage u0 = thread_usage(tid);
  int idle = 0;
  for (;;) {
    const int n = recvmmsg(udp, rmsg.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n < 0) {
      if (errno == EAGAIN && fed && ++idle >= 3) break;  // 3 x 100 ms of silence
      if (errno != EAGAIN && errno != EINTR) die(std::string("recvmmsg: ") + std::strerror(errno));
      continue;
    }
    idle = 0;
    if (r.forwarded == 0) r.first = mctx::bench::wall_now();
    std::size_t k = 0;
    for (int i = 0; i < n; ++i) {
      const uint8_t* m = bufs[static_cast<std::size_t>(i)].data();
      const std::size_t len = rmsg[static_cast<std::size_t>(i)].msg_len;
      if (len <= 2 || m[0] != 0x06) continue;
      siov[k] = {const_cast<uint8_t*>(m + 2), len - 2};
      smsg[k] = {};
      smsg[k].msg_hdr.msg_name = &dst;
      smsg[k].msg_hdr.msg_namelen = sizeof dst;
      smsg[k].msg_hdr.msg_iov = &siov[k];
      smsg[k].msg_hdr.msg_iovlen = 1;
      ++k;
    }
    std::size_t sent = 0;
    while (sent < k) {
      const int s = sendmmsg(raw, smsg.data() + sent, static_cast<unsigned>(k - sent), 0);
      if (s < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) continue;
        die(std::string("sendmmsg on the raw socket: ") + std::strerror(errno));
      }
      sent += static_cast<std::size_t>(s);
    }
    r.forwarded += sent;
    r.last = mctx::bench::wall_now();
  }
  r.cpu = thread_cpu(CLOCK_THREAD_CPUTIME_ID) - c0;
  const mctx::bench::Usage u1 = thread_usage(tid);
  r.usage = {u1.user - u0.user, u1.sys - u0.sys};
}

bool run_bare(const Options& o, const std::vector<Bytes>& msgs, Sample& s) {
  const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (udp < 0 || raw < 0) die(std::string("socket: ") + std::strerror(errno));
  const int buf = 8 << 20;
  setsockopt(udp, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
  timeval tv{0, 100000};
  setsockopt(udp, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (setsockopt(raw, SOL_SOCKET, SO_BINDTODEVICE, o.interface.c_str(),
                 static_cast<socklen_t>(o.interface.size())) != 0) {
    die("SO_BINDTODEVICE " + o.interface + ": " + std::strerror(errno));
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t l = sizeof a;
  if (bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(udp, reinterpret_cast<sockaddr*>(&a), &l) != 0) {
    die(std::string("bind: ") + std::strerror(errno));
  }
  amt_relay::ScriptedRelay relay(mctx::Endpoint{ip("127.0.0.1"), 0});
  const uint64_t tx0 = device_now(o);
  std::atomic<bool> fed{false};
  BareResult r;
  std::thread fwd([&] { bare_forward_loop(udp, raw, fed, r); });
  std::thread feeder = feed(o, relay, mctx::Endpoint{ip("127.0.0.1"), ntohs(a.sin_port)}, msgs,
                            static_cast<uint64_t>(o.count), tx0, fed);
  feeder.join();
  fwd.join();
  const uint64_t tx1 = device_now(o);
  close(udp);
  close(raw);
  s.packets = r.forwarded;
  s.bytes = r.forwarded * msgs[0].size() - 2 * r.forwarded;
  s.wall = r.last - r.first;
  s.cpu = r.cpu;
  s.user = r.usage.user;
  s.sys = r.usage.sys;
  s.device_tx = tx1 - tx0;
  s.would_block = static_cast<uint64_t>(o.count) - r.forwarded;  // lost
  return r.forwarded > 0 && s.device_tx >= r.forwarded;
}

// ---- amtsrc ! mctxsink raw-mode=true ----------------------------------------

struct Probe {
  std::atomic<bool> seen{false};
  clockid_t cpu_clock{};
  pid_t tid = 0;
  mctx::bench::Usage usage0;
  double first = 0;
  double cpu0 = 0;
};

GstPadProbeReturn first_buffer(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto* p = static_cast<Probe*>(data);
  pthread_getcpuclockid(pthread_self(), &p->cpu_clock);
  p->cpu0 = thread_cpu(p->cpu_clock);
  p->tid = gettid();
  p->usage0 = thread_usage(p->tid);
  p->first = mctx::bench::wall_now();
  p->seen = true;
  return GST_PAD_PROBE_REMOVE;
}

bool run_gst(const Options& o, const std::vector<Bytes>& msgs, Sample& s) {
  amt_relay::ScriptedRelay relay(mctx::Endpoint{ip("127.0.0.1"), 0});
  const std::string desc = "amtsrc name=amt relay-address=127.0.0.1 relay-port=" +
                           std::to_string(relay.local().port) + " group=" + kGroup +
                           " source-address=" + kSource +
                           " output=datagram metrics-interval=0 buffer-size=8388608 "
                           "! mctxsink name=sink raw-mode=true interface=" +
                           o.interface + " sync=false stats-interval=0";
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &err);
  if (pipeline == nullptr) die(std::string("pipeline: ") + (err ? err->message : "?"));
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "amt");
  GstPad* pad = gst_element_get_static_pad(src, "src");
  Probe probe;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, first_buffer, &probe, nullptr);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    die("the pipeline did not start");
  }
  // The handshake: Request -> Query -> Update.
  auto req = relay.expect(0x03, std::chrono::milliseconds(5000));
  if (!req) die("no Request from amtsrc");
  const auto r = amt_relay::parse_request(req->bytes);
  relay.send(req->from, amt_relay::membership_query(
                            1, r->nonce, amt_relay::igmpv3_query(2, 125, ip("127.0.0.1")), false,
                            req->from));
  if (!relay.expect(0x05, std::chrono::milliseconds(5000))) die("no Membership Update");
  g_usleep(100000);

  const uint64_t tx0 = device_now(o);
  std::atomic<bool> fed{false};
  std::thread feeder = feed(o, relay, req->from, msgs, static_cast<uint64_t>(o.count), tx0, fed);
  uint64_t tx_end = 0;
  const double last = wait_drained(o, fed, tx_end);
  feeder.join();
  const double cpu = probe.seen ? thread_cpu(probe.cpu_clock) - probe.cpu0 : 0;
  const mctx::bench::Usage u1 = probe.seen ? thread_usage(probe.tid) : mctx::bench::Usage{};

  // What amtsrc accepted and mctxsink sent; the device may also have
  // counted a stray packet of another benchmark (a delayed IGMP report).
  GstStructure* m = nullptr;
  g_object_get(src, "metrics", &m, nullptr);
  guint64 datagrams = 0, dropped = 0, sent = 0;
  gst_structure_get_uint64(m, "datagrams", &datagrams);
  gst_structure_get_uint64(m, "dropped", &dropped);
  gst_structure_free(m);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_object_get(sink, "metrics", &m, nullptr);
  gst_structure_get_uint64(m, "packets-sent", &sent);
  gst_structure_free(m);
  gst_object_unref(sink);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pad);
  gst_object_unref(src);
  gst_object_unref(pipeline);

  s.packets = sent;
  s.bytes = s.packets * (msgs[0].size() - 2);
  s.wall = last - probe.first;
  s.cpu = cpu;
  s.user = u1.user - probe.usage0.user;
  s.sys = u1.sys - probe.usage0.sys;
  s.device_tx = tx_end - tx0;
  s.would_block = static_cast<uint64_t>(o.count) - s.packets;  // lost
  if (dropped != 0 || datagrams != s.packets || s.device_tx < s.packets) {
    std::fprintf(stderr, "mctx-amt-bench: amtsrc dropped %" G_GUINT64_FORMAT
                 " datagrams and accepted %" G_GUINT64_FORMAT ", mctxsink sent %" G_GUINT64_FORMAT
                 ", the device counted %" PRIu64 "\n", dropped, datagrams, sent, s.device_tx);
    return false;
  }
  return probe.seen && s.packets > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  gchar* plugin_dir = nullptr;
  gchar* only = nullptr;
  const GOptionEntry entries[] = {
      {"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &plugin_dir,
       "Where libgstmctx.so is (default: the build tree)", "DIR"},
      {"only", 0, 0, G_OPTION_ARG_STRING, &only,
       "Run only the cases whose name contains TEXT (for callgrind)", "TEXT"},
      {"paced", 0, 0, G_OPTION_ARG_NONE, &o.paced,
       "Feed no faster than the forwarder (nothing lost; for callgrind)", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  o.parse("mctx-amt-bench", "- the AMT gateway path vs a bare loop",
          "Inner UDP payload bytes (default 1316)", entries, gst_init_get_option_group(), 65000,
          argc, argv);
  if (plugin_dir) o.plugin_dir = plugin_dir;
  if (only) o.only = only;
  g_free(plugin_dir);
  g_free(only);

  mctx::bench::require_send_interface("mctx-amt-bench", o.interface);
  if (!mctx::bench::find_element("amtsrc", o.plugin_dir)) {
    die("element amtsrc not found (set GST_PLUGIN_PATH or --plugin-dir)");
  }

  const auto msgs = messages(o.size);
  struct Case {
    std::string name;
    std::string reference;
    bool (*run)(const Options&, const std::vector<Bytes>&, Sample&);
  };
  std::vector<Case> cases = {
      {"bare recvmmsg/sendmmsg", "", run_bare},
      {"amtsrc ! mctxsink raw", "bare recvmmsg/sendmmsg", run_gst},
  };
  if (!o.only.empty()) {
    std::vector<Case> kept;
    for (auto& c : cases) {
      if (c.name.find(o.only) != std::string::npos) kept.push_back({c.name, "", c.run});
    }
    if (kept.empty()) die("--only '" + o.only + "' matches no case");
    cases = kept;
  }
  std::printf("mctx-amt-bench: inner UDP payload %d B (AMT message %zu B), %s fed x %d runs per "
              "case (median shown), forwarded out of %s\n",
              o.size, msgs[0].size(), mctx::bench::group_digits(static_cast<double>(o.count)).c_str(),
              o.repeat, o.interface.c_str());
  std::fflush(stdout);

  std::vector<CaseResult> results;
  for (const auto& c : cases) results.push_back(CaseResult{c.name, c.reference, {}});
  bool ok = true;
  for (int rep = 0; rep < o.repeat; ++rep) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      Sample s;
      const bool r = cases[i].run(o, msgs, s);
      if (!r) std::fprintf(stderr, "mctx-amt-bench: %s: run %d failed\n", cases[i].name.c_str(), rep);
      ok &= r;
      results[i].samples.push_back(s);
    }
  }
  std::printf("\n");
  mctx::bench::print_table(results, o.markdown);
  for (const auto& r : results) {
    uint64_t lost = 0, fed = 0, forwarded = 0;
    for (const auto& s : r.samples) {
      lost += s.would_block;
      forwarded += s.packets;
      fed += static_cast<uint64_t>(o.count);
    }
    std::printf("%s: forwarded %" PRIu64 " of %" PRIu64 " fed (%" PRIu64 " lost: the forwarder's "
                "socket overflowed)\n", r.name.c_str(), forwarded, fed, lost);
  }
  std::printf("packets/s = forwarded datagrams / time from the first to the last forwarded; "
              "CPU = the forwarding thread's only\n");
  if (o.check && !ok) {
    std::fprintf(stderr, "mctx-amt-bench: check FAILED\n");
    return 1;
  }
  if (o.check) std::printf("mctx-amt-bench: check passed\n");
  return 0;
}
