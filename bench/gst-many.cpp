// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-gst-many: many sinks in one process (docs/performance.md).
//
// N pipelines, each only a sink (mctxsink or udpsink, sync=false
// async=false) fed from a source pad by a thread of its own (a streaming
// thread, as a source element would have). Stream i goes to GROUP port
// PORT+i over the veth mctx0; a receiver thread in the peer namespace
// (scripts/mctx-netns --peer, MCTX_PEER_NETNS) joins every stream on mctx1
// and records the kernel's arrival time (SO_TIMESTAMPNS) of each datagram.
//
// Feeding (--feed):
//   timed  every stream's thread pushes one buffer (or a list of --burst)
//          at the times a stream of --rate bit/s (IP level: payload + 28
//          bytes) would, sleeping in between (absolute deadlines): the same
//          source for both sinks. mctxsink also has max-rate=--rate.
//   free   (mctxsink only) lists of --burst buffers as fast as the sink
//          takes them: max-rate alone paces the stream.
//
// Printed: the process' CPU time over the run (getrusage, without the
// receiver thread's own), its wake-ups (voluntary context switches, the same
// way), its thread count while sending, and per stream the
// average rate at the receiver and its busiest 10 ms window (fixed windows
// from the first arrival), as min / median / max over the streams.
//
// It refuses to run outside a private network namespace.

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gst/gst.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
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

#ifndef MCTX_BENCH_PLUGIN_DIR
#define MCTX_BENCH_PLUGIN_DIR ""
#endif

namespace {

struct Options {
  int streams = 100;
  guint64 rate = 10'000'000;  // bit/s per stream, IP level
  double seconds = 5;
  int size = 1316;
  int burst = 1;
  std::string sink = "mctxsink";
  std::string feed = "timed";
  std::string group = "239.255.1.1";
  int port = 6000;
  std::string interface = "mctx0";
  std::string plugin_dir = MCTX_BENCH_PLUGIN_DIR;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "mctx-gst-many: %s\n", what.c_str());
  std::exit(1);
}

constexpr gint64 kWindowNs = 10'000'000;  // 10 ms
constexpr int kIpUdpHeader = 28;

gint64 mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return gint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int thread_count() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

struct Usage {
  double cpu = 0;             // user + system seconds
  long voluntary = 0;         // context switches: waits (sleeps, polls, blocking calls)
  long involuntary = 0;       // preempted
};

Usage usage(int who) {
  rusage u{};
  getrusage(who, &u);
  return Usage{double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
                   double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6,
               u.ru_nvcsw, u.ru_nivcsw};
}

// ---- receiver (peer namespace) ---------------------------------------------

struct StreamStats {
  guint64 packets = 0;
  guint64 bytes = 0;                // IP level
  std::vector<guint64> windows;     // IP bytes per 10 ms window from t0
};

struct Receiver {
  std::vector<int> fds;
  std::vector<StreamStats> stats;
  gint64 t0 = -1;  // first arrival (CLOCK_REALTIME ns, kernel timestamp)
  gint64 last = 0;
  Usage use;  // this thread's own
  std::atomic<bool> ready{false};
  std::atomic<bool> stop{false};
  std::string error;
};

void receive(const Options& o, Receiver& r) {
  const char* peer = std::getenv("MCTX_PEER_NETNS");
  const int nsfd = peer ? ::open(peer, O_RDONLY | O_CLOEXEC) : -1;
  if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
    r.error = "cannot enter the peer namespace (run under scripts/mctx-netns --peer)";
    r.ready = true;
    return;
  }
  ::close(nsfd);
  in_addr group{};
  inet_pton(AF_INET, o.group.c_str(), &group);
  const std::size_t windows = std::size_t(o.seconds * 1e9 / kWindowNs) + 200;
  r.stats.assign(std::size_t(o.streams), StreamStats{});
  for (auto& s : r.stats) s.windows.assign(windows, 0);
  std::vector<pollfd> pfds;
  for (int i = 0; i < o.streams; ++i) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1, big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(uint16_t(o.port + i));
    sin.sin_addr = group;
    ip_mreqn m{};
    m.imr_multiaddr = group;
    m.imr_ifindex = int(mctx::bench::interface_index("mctx1"));
    if (bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 ||
        setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) != 0) {
      r.error = std::string("receiver socket: ") + std::strerror(errno);
      r.ready = true;
      return;
    }
    r.fds.push_back(fd);
    pfds.push_back(pollfd{fd, POLLIN, 0});
  }
  r.ready = true;
  constexpr int kBatch = 64;
  std::vector<char> data(kBatch * 2048);
  std::vector<char> ctl(kBatch * 64);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> hdr(kBatch);
  while (!r.stop.load(std::memory_order_relaxed)) {
    if (poll(pfds.data(), pfds.size(), 100) <= 0) continue;
    for (std::size_t i = 0; i < pfds.size(); ++i) {
      if (!(pfds[i].revents & POLLIN)) continue;
      for (;;) {
        for (int k = 0; k < kBatch; ++k) {
          iov[k] = iovec{data.data() + k * 2048, 2048};
          hdr[k].msg_hdr = msghdr{};
          hdr[k].msg_hdr.msg_iov = &iov[k];
          hdr[k].msg_hdr.msg_iovlen = 1;
          hdr[k].msg_hdr.msg_control = ctl.data() + k * 64;
          hdr[k].msg_hdr.msg_controllen = 64;
        }
        const int n = recvmmsg(pfds[i].fd, hdr.data(), kBatch, 0, nullptr);
        if (n <= 0) break;
        StreamStats& s = r.stats[i];
        for (int k = 0; k < n; ++k) {
          gint64 t = 0;
          for (cmsghdr* c = CMSG_FIRSTHDR(&hdr[k].msg_hdr); c; c = CMSG_NXTHDR(&hdr[k].msg_hdr, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
              timespec ts;
              std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
              t = gint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
            }
          }
          if (r.t0 < 0) r.t0 = t;
          r.last = std::max(r.last, t);
          const guint64 b = hdr[k].msg_len + kIpUdpHeader;
          s.packets++;
          s.bytes += b;
          const auto w = std::size_t(std::max<gint64>(0, t - r.t0) / kWindowNs);
          if (w < s.windows.size()) s.windows[w] += b;
        }
        if (n < kBatch) break;
      }
    }
  }
  r.use = usage(RUSAGE_THREAD);
  for (int fd : r.fds) ::close(fd);
}

// ---- senders -----------------------------------------------------------------

struct Stream {
  // Each stream its own buffer (a list: `burst` references to it): a
  // GstMemory counts at most 255 concurrent maps, which 100 sinks sending
  // one shared buffer in lists would exceed.
  GstBuffer* buffer = nullptr;
  GstBufferList* list = nullptr;
  GstElement* pipeline = nullptr;
  GstElement* sink = nullptr;
  GstPad* src = nullptr;
  GstFlowReturn result = GST_FLOW_OK;
  guint64 pushed = 0;  // datagrams
};

void feed(const Options& o, Stream& s, gint64 start, gint64 end) {
  const double bits = double(o.size + kIpUdpHeader) * 8 * o.burst;
  const auto period = gint64(bits * 1e9 / double(o.rate));
  gint64 next = start;
  while (s.result == GST_FLOW_OK) {
    if (o.feed == "timed") {
      timespec ts{time_t(next / 1'000'000'000), long(next % 1'000'000'000)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
      }
      next += period;
    }
    if (mono_ns() >= end) break;
    s.result = s.list ? gst_pad_push_list(s.src, gst_buffer_list_ref(s.list))
                      : gst_pad_push(s.src, gst_buffer_ref(s.buffer));
    s.pushed += guint64(o.burst);
  }
  gst_pad_push_event(s.src, gst_event_new_eos());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  gchar *sink = nullptr, *feed_mode = nullptr, *iface = nullptr;
  gint64 rate = gint64(o.rate);
  const GOptionEntry entries[] = {
      {"streams", 'n', 0, G_OPTION_ARG_INT, &o.streams, "Sinks in the process (default 100)", "N"},
      {"rate", 'r', 0, G_OPTION_ARG_INT64, &rate, "bit/s per stream, IP level (default 10000000)",
       "BPS"},
      {"seconds", 't', 0, G_OPTION_ARG_DOUBLE, &o.seconds, "Sending time (default 5)", "S"},
      {"size", 's', 0, G_OPTION_ARG_INT, &o.size, "UDP payload bytes (default 1316)", "N"},
      {"burst", 'b', 0, G_OPTION_ARG_INT, &o.burst, "Datagrams per push; > 1: a buffer list (1)",
       "N"},
      {"sink", 0, 0, G_OPTION_ARG_STRING, &sink, "mctxsink (default) or udpsink", "NAME"},
      {"feed", 0, 0, G_OPTION_ARG_STRING, &feed_mode, "timed (default) or free (mctxsink)",
       "MODE"},
      {"interface", 'i', 0, G_OPTION_ARG_STRING, &iface, "Sending interface (mctx0)", "NAME"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  mctx::bench::parse_gst_options("mctx-gst-many", "- many sinks in one process", nullptr, entries,
                                 argc, argv);
  if (sink) o.sink = sink;
  if (feed_mode) o.feed = feed_mode;
  if (iface) o.interface = iface;
  g_free(sink);
  g_free(feed_mode);
  g_free(iface);
  o.rate = guint64(rate);
  if (o.sink != "mctxsink" && o.sink != "udpsink") die("--sink '" + o.sink + "': mctxsink or udpsink");
  if (o.feed != "timed" && !(o.feed == "free" && o.sink == "mctxsink")) {
    die("--feed '" + o.feed + "': timed, or free with --sink mctxsink (udpsink has no max-rate)");
  }
  if (o.streams < 1 || o.streams > 1000) die("--streams must be in 1..1000");
  if (o.burst < 1 || o.size < 1 || o.size > 65507 || rate < 1000 || o.seconds <= 0) {
    die("--burst, --size, --rate (>= 1000) or --seconds out of range");
  }
  mctx::bench::require_send_interface("mctx-gst-many", o.interface);
  if (!mctx::bench::find_element(o.sink.c_str(), o.plugin_dir)) {
    die("element " + o.sink + " not found (set GST_PLUGIN_PATH)");
  }

  Receiver rx;
  std::thread rx_thread(receive, std::cref(o), std::ref(rx));
  while (!rx.ready) g_usleep(1000);
  if (!rx.error.empty()) {
    rx_thread.join();
    die(rx.error);
  }

  std::vector<Stream> streams(std::size_t(o.streams));
  for (int i = 0; i < o.streams; ++i) {
    Stream& s = streams[std::size_t(i)];
    s.buffer = gst_buffer_new_allocate(nullptr, gsize(o.size), nullptr);
    gst_buffer_memset(s.buffer, 0, 0x47, gsize(o.size));
    if (o.burst > 1) {
      s.list = gst_buffer_list_new_sized(guint(o.burst));
      for (int k = 0; k < o.burst; ++k) gst_buffer_list_add(s.list, gst_buffer_ref(s.buffer));
    }
    s.pipeline = gst_pipeline_new(nullptr);
    s.sink = gst_element_factory_make(o.sink.c_str(), nullptr);
    if (s.sink == nullptr) die("no element " + o.sink);
    g_object_set(s.sink, "sync", FALSE, "async", FALSE, nullptr);
    if (o.sink == "mctxsink") {
      g_object_set(s.sink, "group", o.group.c_str(), "port", guint(o.port + i), "interface",
                   o.interface.c_str(), "max-rate", guint64(o.rate), nullptr);
    } else {
      g_object_set(s.sink, "host", o.group.c_str(), "port", o.port + i, "multicast-iface",
                   o.interface.c_str(), "auto-multicast", FALSE, nullptr);
    }
    gst_bin_add(GST_BIN(s.pipeline), s.sink);
    GstPad* sinkpad = gst_element_get_static_pad(s.sink, "sink");
    s.src = gst_pad_new("src", GST_PAD_SRC);
    gst_pad_set_active(s.src, TRUE);
    gst_pad_link_full(s.src, sinkpad, GST_PAD_LINK_CHECK_NOTHING);
    gst_object_unref(sinkpad);
    if (gst_element_set_state(s.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      die("stream " + std::to_string(i) + ": cannot start");
    }
    gst_pad_push_event(s.src, gst_event_new_stream_start("many"));
    GstCaps* caps = gst_caps_new_empty_simple("application/x-mctx-bench");
    gst_pad_push_event(s.src, gst_event_new_caps(caps));
    gst_caps_unref(caps);
    GstSegment seg;
    gst_segment_init(&seg, GST_FORMAT_BYTES);
    gst_pad_push_event(s.src, gst_event_new_segment(&seg));
  }

  const Usage use0 = usage(RUSAGE_SELF);
  const gint64 start = mono_ns() + 100'000'000;
  const gint64 end = start + gint64(o.seconds * 1e9);
  std::vector<std::thread> feeders;
  for (auto& s : streams) {
    // Streams start spread over one period, as independent sources would.
    const auto k = gint64(&s - streams.data());
    const auto offset = gint64(double(o.size + kIpUdpHeader) * 8 * o.burst * 1e9 / double(o.rate)) *
                        k / o.streams;
    feeders.emplace_back(feed, std::cref(o), std::ref(s), start + offset, end);
  }
  g_usleep(gulong((o.seconds / 2 + 0.1) * 1e6));
  const int threads = thread_count() - 1;  // without the receiver
  for (auto& t : feeders) t.join();
  const double wall = double(mono_ns() - start) / 1e9;
  const Usage use1 = usage(RUSAGE_SELF);
  g_usleep(300'000);  // the last datagrams arrive
  rx.stop = true;
  rx_thread.join();

  guint64 pushed = 0;
  bool ok = true;
  for (auto& s : streams) {
    pushed += s.pushed;
    if (s.result != GST_FLOW_OK) ok = false;
    gst_element_set_state(s.pipeline, GST_STATE_NULL);
    gst_pad_set_active(s.src, FALSE);
    gst_object_unref(s.src);
    gst_object_unref(s.pipeline);
    if (s.list) gst_buffer_list_unref(s.list);
    gst_buffer_unref(s.buffer);
  }

  std::vector<double> avg, peak, ratio;
  guint64 received = 0;
  const double span = double(o.seconds);
  for (const auto& s : rx.stats) {
    received += s.packets;
    avg.push_back(double(s.bytes) * 8 / span / 1e6);
    const guint64 w = s.windows.empty() ? 0 : *std::max_element(s.windows.begin(), s.windows.end());
    peak.push_back(double(w) * 8 / (double(kWindowNs) / 1e9) / 1e6);
    ratio.push_back(peak.back() / (double(o.rate) / 1e6));
  }
  auto mmm = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    char b[96];
    std::snprintf(b, sizeof b, "%.2f / %.2f / %.2f", v.front(), v[v.size() / 2], v.back());
    return std::string(b);
  };
  const double cpu = use1.cpu - use0.cpu - rx.use.cpu;
  // Wake-ups: the sending threads' voluntary context switches (the receiver
  // thread's and those of the set-up before the run left out).
  const long waits = use1.voluntary - use0.voluntary - rx.use.voluntary;
  const long preempted = use1.involuntary - use0.involuntary - rx.use.involuntary;
  std::printf("mctx-gst-many: %d x %s, feed %s, %.1f Mbit/s each (IP level), %d B payload, "
              "%d per push, %.1f s\n",
              o.streams, o.sink.c_str(), o.feed.c_str(), double(o.rate) / 1e6, o.size, o.burst,
              o.seconds);
  std::printf("  datagrams pushed %" G_GUINT64_FORMAT ", received %" G_GUINT64_FORMAT
              " (%.2f %%)\n",
              pushed, received, pushed ? 100.0 * double(received) / double(pushed) : 0.0);
  std::printf("  CPU (sending process, receiver thread excluded): %.2f s in %.2f s = %.1f %% "
              "of one CPU; %.0f ns per datagram\n",
              cpu, wall, 100 * cpu / wall, pushed ? cpu * 1e9 / double(pushed) : 0.0);
  std::printf("  threads while sending: %d\n", threads);
  std::printf("  wake-ups (voluntary context switches, receiver excluded): %ld = %.0f/s, "
              "%.2f per datagram; preempted %ld\n",
              waits, double(waits) / wall, pushed ? double(waits) / double(pushed) : 0.0,
              preempted);
  std::printf("  per stream, min / median / max over the streams:\n");
  std::printf("    average rate at the receiver, Mbit/s: %s\n", mmm(avg).c_str());
  std::printf("    busiest 10 ms window, Mbit/s:        %s\n", mmm(peak).c_str());
  std::printf("    busiest window / rate:               %s\n", mmm(ratio).c_str());
  if (!ok) {
    std::fprintf(stderr, "mctx-gst-many: a stream's push failed\n");
    return 1;
  }
  return 0;
}
