// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-gst-bench: mctxsink against GStreamer's udpsink, in one run, on the
// same interface.
//
// Each run builds a pipeline holding only the sink (sync=false async=false),
// links a free source pad to it and pushes one pre-built buffer of the
// payload size N times from this thread (single buffers), or one pre-built
// GstBufferList of B such buffers N/B times (buffer lists): the same thing an
// appsrc with a pre-made buffer does, without appsrc's queue and thread, so
// the two sinks are what differs. The time runs from the first push to the
// EOS message on the bus. CPU time is the whole process' (the sinks may use
// helper threads). "device tx" is the growth of the interface's packet counter
// (bench-common.hpp): proof that the datagrams reached the device.
//
// References in the same run: "bare send()" and "bare GSO sendmmsg() xB"
// send the same payload from this thread through a plain connected socket
// (no GStreamer), and "fakesink" takes the pushes and sends nothing (the
// cost of the harness and GstBaseSink alone). "floor sink" is the cheapest
// GstBaseSink sender (floor-sink.hpp: map, one send() on a connected socket
// like the bare loop's, unmap), fed like the sinks: what any sink built on
// GstBaseSink costs at the least; "floor sink no-send" the same without the
// send(); with --floor-depth N, "floor sink depth N" makes its send() N
// nested calls down, each on a page of its own (what a call level between a
// sink and the kernel costs). After the table, the ratios of each run against the run of its
// reference in the same round (the cases run round-robin), with their range.
//
// Sinks:
//   udpsink          host=GROUP port=P multicast-iface=IFACE (defaults:
//                    auto-multicast=true joins the group, loop=true)
//   udpsink no-join  the same with auto-multicast=false loop=false
//   mctxsink         group=GROUP port=P interface=IFACE (defaults)
//   floor sink       the bench's own (floor-sink.hpp), single buffers only
//
// It refuses to run outside a private network namespace: use bench/run.

#include <arpa/inet.h>
#include <gst/gst.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench-common.hpp"
#include "floor-sink.hpp"
#include "gst-bench-common.hpp"

#ifndef MCTX_BENCH_PLUGIN_DIR
#define MCTX_BENCH_PLUGIN_DIR ""
#endif

namespace {

using mctx::bench::CaseResult;
using mctx::bench::Sample;
using mctx::bench::wait_writable;

struct Options : mctx::bench::CommonOptions {
  int batch = 32;
  std::string group = "239.255.0.1";
  int port = 5004;
  std::string plugin_dir = MCTX_BENCH_PLUGIN_DIR;
  std::string only;  // run only the cases whose name contains this ("" = all)
  std::string part;  // "buffers" or "lists": that half of the table ("" = both)
  int floor_depth = 0;  // > 0: also the floor sink with send() this many calls down
  std::vector<std::pair<std::string, std::string>> set;  // mctxsink properties (--set)
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "mctx-gst-bench: %s\n", what.c_str());
  std::exit(1);
}

using MakeSink = std::function<GstElement*()>;

struct Data;
// A case without GStreamer: a bare system-call loop in this thread.
using BareLoop = std::function<bool(const Options&, const Data&, Sample&)>;

struct Case {
  std::string name;
  std::string reference;
  MakeSink make;
  bool lists = false;
  BareLoop bare;  // set: this loop instead of a pipeline
  bool sends = true;  // false: a fakesink (no datagrams, the harness alone)

  bool runs() const { return make || bare; }
};

// Pre-built data pushed by every run.
struct Data {
  GstBuffer* buffer = nullptr;    // one payload
  GstBufferList* list = nullptr;  // `batch` references to it
  GstBufferList* tail = nullptr;  // count % batch references (or nullptr)
};

// ---- the bare references, timed like the pipelines ---------------------------
//
// The same datagrams from this thread through a plain connected UDP socket
// (multicast interface by index, TTL 1, loop on, like the sinks' sockets):
// one send() per datagram, or sendmmsg() of messages of up to 64 segments
// and 65507 bytes with UDP_SEGMENT per batch (what the sink does with a list).

int bare_socket(const Options& o) {
  in_addr v4{};
  if (inet_pton(AF_INET, o.group.c_str(), &v4) != 1) die("bare loops: IPv4 groups only");
  std::string error;
  const int fd = mctx::bench::bare_socket(o.group, static_cast<uint16_t>(o.port),
                                          mctx::bench::interface_index(o.interface), error);
  if (fd < 0) die(error);
  return fd;
}

// Times `body(fd, payload, size)`, which sends `count` datagrams and returns
// how many went out; the device must count them.
template <class Body>
bool time_bare(const Options& o, const Data& d, Sample& s, Body body) {
  const int fd = bare_socket(o);
  GstMapInfo map;
  gst_buffer_map(d.buffer, &map, GST_MAP_READ);
  const auto count = static_cast<uint64_t>(o.count);
  const auto tx0 = mctx::bench::device_packets(o.interface);
  const mctx::bench::Usage u0 = mctx::bench::usage_now(true);
  const double c0 = mctx::bench::process_cpu_now();
  const double w0 = mctx::bench::wall_now();
  const uint64_t sent = body(fd, map.data, map.size, count);
  const double w1 = mctx::bench::wall_now();
  const double c1 = mctx::bench::process_cpu_now();
  const mctx::bench::Usage u1 = mctx::bench::usage_now(true);
  const auto tx1 = mctx::bench::device_packets(o.interface);
  gst_buffer_unmap(d.buffer, &map);
  ::close(fd);
  s.packets = sent;
  s.bytes = sent * map.size;
  s.wall = w1 - w0;
  s.cpu = c1 - c0;
  s.user = u1.user - u0.user;
  s.sys = u1.sys - u0.sys;
  if (tx0 && tx1) s.device_tx = *tx1 - *tx0;
  return sent == count && s.device_tx >= sent;
}

bool bare_send(const Options& o, const Data& d, Sample& s) {
  return time_bare(o, d, s, [](int fd, const guint8* p, gsize size, uint64_t count) {
    uint64_t sent = 0;
    while (sent < count) {
      if (::send(fd, p, size, 0) >= 0) {
        ++sent;
      } else if (errno == EAGAIN) {
        wait_writable(fd);
      } else if (errno != EINTR) {
        die(std::string("send: ") + std::strerror(errno));
      }
    }
    return sent;
  });
}

bool bare_gso(const Options& o, const Data& d, Sample& s) {
  const auto B = static_cast<std::size_t>(o.batch);
  return time_bare(o, d, s, [B](int fd, const guint8* p, gsize size, uint64_t count) {
    const std::size_t per_msg = std::min<std::size_t>(64, 65507 / size);
    std::vector<iovec> iov(B, iovec{const_cast<guint8*>(p), size});
    struct Ctl {
      alignas(cmsghdr) unsigned char data[CMSG_SPACE(sizeof(uint16_t))];
    };
    const std::size_t nmsg = (B + per_msg - 1) / per_msg;
    std::vector<Ctl> ctl(nmsg);
    std::vector<mmsghdr> hdrs(nmsg);
    uint64_t sent = 0;
    while (sent < count) {
      const auto want = static_cast<std::size_t>(std::min<uint64_t>(B, count - sent));
      const std::size_t msgs = (want + per_msg - 1) / per_msg;
      for (std::size_t k = 0; k < msgs; ++k) {  // set up per batch, as the sink does
        msghdr& h = hdrs[k].msg_hdr;
        h = msghdr{};
        h.msg_iov = iov.data() + k * per_msg;
        h.msg_iovlen = std::min(per_msg, want - k * per_msg);
        h.msg_control = ctl[k].data;
        h.msg_controllen = sizeof ctl[k].data;
        cmsghdr* cm = CMSG_FIRSTHDR(&h);
        cm->cmsg_level = SOL_UDP;
        cm->cmsg_type = UDP_SEGMENT;
        cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        const auto seg = static_cast<uint16_t>(size);
        std::memcpy(CMSG_DATA(cm), &seg, sizeof seg);
      }
      const int n = ::sendmmsg(fd, hdrs.data(), static_cast<unsigned>(msgs), 0);
      if (n > 0) {
        for (int k = 0; k < n; ++k) sent += hdrs[static_cast<std::size_t>(k)].msg_hdr.msg_iovlen;
      } else if (n < 0 && errno == EAGAIN) {
        wait_writable(fd);
      } else if (n < 0 && errno != EINTR) {
        die(std::string("sendmmsg with UDP_SEGMENT: ") + std::strerror(errno));
      }
    }
    return sent;
  });
}

// One timed run. Returns false (and says why) when something went wrong.
bool run_once(const Options& o, const Case& c, const Data& d, Sample& s) {
  if (c.bare) return c.bare(o, d, s);
  GstElement* pipeline = gst_pipeline_new(nullptr);
  GstElement* sink = c.make();
  if (sink == nullptr) die("cannot create the sink for '" + c.name + "'");
  gst_bin_add(GST_BIN(pipeline), sink);
  GstPad* sinkpad = gst_element_get_static_pad(sink, "sink");
  GstPad* src = gst_pad_new("src", GST_PAD_SRC);
  gst_pad_set_active(src, TRUE);
  if (gst_pad_link_full(src, sinkpad, GST_PAD_LINK_CHECK_NOTHING) != GST_PAD_LINK_OK) {
    die("cannot link to the sink pad of '" + c.name + "'");
  }
  GstBus* bus = gst_element_get_bus(pipeline);
  bool ok = true;
  const auto tx0 = mctx::bench::device_packets(o.interface);

  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    GError* err = nullptr;
    if (m) gst_message_parse_error(m, &err, nullptr);
    std::fprintf(stderr, "mctx-gst-bench: %s: cannot start: %s\n", c.name.c_str(),
                 err ? err->message : "state change failed");
    g_clear_error(&err);
    if (m) gst_message_unref(m);
    ok = false;
  }

  if (ok) {
    gst_pad_push_event(src, gst_event_new_stream_start("mctx-gst-bench"));
    GstCaps* caps = gst_caps_new_empty_simple("application/x-mctx-bench");
    gst_pad_push_event(src, gst_event_new_caps(caps));
    gst_caps_unref(caps);
    GstSegment seg;
    gst_segment_init(&seg, GST_FORMAT_BYTES);
    gst_pad_push_event(src, gst_event_new_segment(&seg));

    const auto B = static_cast<uint64_t>(o.batch);
    // Datagrams this run pushes (lists: whole lists plus the tail list, if any).
    const uint64_t count =
        c.lists ? static_cast<uint64_t>(o.count) / B * B + (d.tail ? gst_buffer_list_length(d.tail) : 0)
                : static_cast<uint64_t>(o.count);
    const mctx::bench::Usage u0 = mctx::bench::usage_now(true);
    const double c0 = mctx::bench::process_cpu_now();
    const double w0 = mctx::bench::wall_now();
    GstFlowReturn fr = GST_FLOW_OK;
    if (!c.lists) {
      for (uint64_t i = 0; i < count && fr == GST_FLOW_OK; ++i) {
        fr = gst_pad_push(src, gst_buffer_ref(d.buffer));
      }
    } else {
      for (uint64_t i = 0; i < static_cast<uint64_t>(o.count) / B && fr == GST_FLOW_OK; ++i) {
        fr = gst_pad_push_list(src, gst_buffer_list_ref(d.list));
      }
      if (d.tail != nullptr && fr == GST_FLOW_OK) {
        fr = gst_pad_push_list(src, gst_buffer_list_ref(d.tail));
      }
    }
    gst_pad_push_event(src, gst_event_new_eos());
    GstMessage* m = gst_bus_timed_pop_filtered(
        bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    const double w1 = mctx::bench::wall_now();
    const double c1 = mctx::bench::process_cpu_now();
    const mctx::bench::Usage u1 = mctx::bench::usage_now(true);
    if (fr != GST_FLOW_OK) {
      std::fprintf(stderr, "mctx-gst-bench: %s: push returned %s\n", c.name.c_str(),
                   gst_flow_get_name(fr));
      ok = false;
    }
    if (m == nullptr) {
      std::fprintf(stderr, "mctx-gst-bench: %s: no EOS within 60 s\n", c.name.c_str());
      ok = false;
    } else {
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
        GError* err = nullptr;
        gst_message_parse_error(m, &err, nullptr);
        std::fprintf(stderr, "mctx-gst-bench: %s: error: %s\n", c.name.c_str(),
                     err ? err->message : "?");
        g_clear_error(&err);
        ok = false;
      }
      gst_message_unref(m);
    }
    s.packets = ok ? count : 0;
    s.bytes = s.packets * gst_buffer_get_size(d.buffer);
    s.wall = w1 - w0;
    s.cpu = c1 - c0;
    s.user = u1.user - u0.user;
    s.sys = u1.sys - u0.sys;

    // mctxsink reports what it sent: it must be every datagram.
    if (ok && g_object_class_find_property(G_OBJECT_GET_CLASS(sink), "metrics") != nullptr &&
        std::strcmp(GST_OBJECT_NAME(gst_element_get_factory(sink)), "mctxsink") == 0) {
      GstStructure* st = nullptr;
      g_object_get(sink, "metrics", &st, nullptr);
      guint64 sent = 0;
      if (st == nullptr || !gst_structure_get_uint64(st, "packets-sent", &sent) || sent != count) {
        std::fprintf(stderr, "mctx-gst-bench: %s: metrics packets-sent %" G_GUINT64_FORMAT
                     " instead of %" PRIu64 "\n", c.name.c_str(), sent, count);
        ok = false;
      }
      if (st) gst_structure_free(st);
    }
  }

  gst_element_set_state(pipeline, GST_STATE_NULL);
  const auto tx1 = mctx::bench::device_packets(o.interface);
  if (tx0 && tx1) s.device_tx = static_cast<uint32_t>(*tx1 - *tx0);
  if (ok && c.sends && s.device_tx < s.packets) {
    std::fprintf(stderr, "mctx-gst-bench: %s: the device counted %" PRIu64 " of %" PRIu64
                 " datagrams\n", c.name.c_str(), s.device_tx, s.packets);
    ok = false;
  }
  gst_pad_unlink(src, sinkpad);
  gst_pad_set_active(src, FALSE);
  gst_object_unref(src);
  gst_object_unref(sinkpad);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return ok;
}

GstElement* make(const char* factory) {
  GstElement* e = gst_element_factory_make(factory, nullptr);
  if (e == nullptr) die(std::string("no element '") + factory + "'");
  g_object_set(e, "sync", FALSE, "async", FALSE, nullptr);
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  gchar* group = nullptr;
  gchar* plugin_dir = nullptr;
  gchar* only = nullptr;
  gchar* part = nullptr;
  gchar** sets = nullptr;
  const GOptionEntry entries[] = {
      {"batch", 'b', 0, G_OPTION_ARG_INT, &o.batch, "Buffers per GstBufferList (default 32)", "N"},
      {"group", 'g', 0, G_OPTION_ARG_STRING, &group, "Multicast group (default 239.255.0.1)", "IP"},
      {"port", 'p', 0, G_OPTION_ARG_INT, &o.port, "Destination port (default 5004)", "N"},
      {"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &plugin_dir,
       "Where libgstmctx.so is (default: the build tree)", "DIR"},
      {"only", 0, 0, G_OPTION_ARG_STRING, &only,
       "Run only the cases whose name contains TEXT (for profiling)", "TEXT"},
      {"floor-depth", 0, 0, G_OPTION_ARG_INT, &o.floor_depth,
       "Also run the floor sink with its send() N nested calls down, each on a page of its own "
       "(1 to 8; what a call level costs after a system call)", "N"},
      {"part", 0, 0, G_OPTION_ARG_STRING, &part,
       "Only the single-buffer cases or only the list cases, with their references", "buffers|lists"},
      {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
       "Set a property of every mctxsink (repeatable), e.g. enable-last-sample=true", "PROP=VALUE"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  o.parse("mctx-gst-bench", "- mctxsink vs udpsink", "UDP payload size in bytes (default 1316)",
          entries, gst_init_get_option_group(), 65507, argc, argv);
  if (group) o.group = group;
  if (plugin_dir) o.plugin_dir = plugin_dir;
  if (only) o.only = only;
  g_free(only);
  if (part) o.part = part;
  g_free(part);
  if (o.floor_depth < 0 || o.floor_depth > mctx::bench::kFloorMaxDepth) {
    die("--floor-depth " + std::to_string(o.floor_depth) + ": expected 0 (none) to " +
        std::to_string(mctx::bench::kFloorMaxDepth));
  }
  if (!o.part.empty() && o.part != "buffers" && o.part != "lists") {
    die("--part '" + o.part + "': expected buffers or lists");
  }
  for (gchar** p = sets; p != nullptr && *p != nullptr; ++p) {
    const char* eq = std::strchr(*p, '=');
    if (eq == nullptr) die(std::string("--set '") + *p + "': expected PROP=VALUE");
    o.set.emplace_back(std::string(*p, static_cast<std::size_t>(eq - *p)), std::string(eq + 1));
  }
  g_strfreev(sets);
  g_free(group);
  g_free(plugin_dir);
  if (o.batch < 1) die("--batch " + std::to_string(o.batch) + " must be at least 1");
  if (o.port < 1 || o.port > 65535) die("--port " + std::to_string(o.port) + " is not in 1..65535");

  mctx::bench::require_send_interface("mctx-gst-bench", o.interface);

  // mctxsink from the build tree unless the registry already has it.
  if (!mctx::bench::find_element("mctxsink", o.plugin_dir)) {
    die("element mctxsink not found (set GST_PLUGIN_PATH or --plugin-dir)");
  }

  Data d;
  d.buffer = gst_buffer_new_allocate(nullptr, static_cast<gsize>(o.size), nullptr);
  {
    GstMapInfo map;
    gst_buffer_map(d.buffer, &map, GST_MAP_WRITE);
    for (gsize i = 0; i < map.size; ++i) map.data[i] = static_cast<guint8>(i * 7 + 1);
    gst_buffer_unmap(d.buffer, &map);
  }
  auto make_list = [&](uint64_t n) {
    GstBufferList* l = gst_buffer_list_new_sized(static_cast<guint>(n));
    for (uint64_t i = 0; i < n; ++i) gst_buffer_list_add(l, gst_buffer_ref(d.buffer));
    return l;
  };
  d.list = make_list(static_cast<uint64_t>(o.batch));
  const uint64_t rest = static_cast<uint64_t>(o.count) % static_cast<uint64_t>(o.batch);
  if (rest != 0) d.tail = make_list(rest);

  const MakeSink udpsink = [&] {
    GstElement* e = make("udpsink");
    g_object_set(e, "host", o.group.c_str(), "port", o.port, "multicast-iface",
                 o.interface.c_str(), nullptr);
    return e;
  };
  const MakeSink udpsink_nojoin = [&] {
    GstElement* e = udpsink();
    g_object_set(e, "auto-multicast", FALSE, "loop", FALSE, nullptr);
    return e;
  };
  const MakeSink mctxsink = [&] {
    GstElement* e = make("mctxsink");
    g_object_set(e, "group", o.group.c_str(), "port", static_cast<guint>(o.port), "interface",
                 o.interface.c_str(), nullptr);
    for (const auto& [name, value] : o.set) gst_util_set_object_arg(G_OBJECT(e), name.c_str(), value.c_str());
    return e;
  };
  const MakeSink fakesink = [&] { return make("fakesink"); };
  // The floor sink sends on one socket like the bare loop's, for all its runs.
  if (!mctx::bench::register_floor_sink()) die("cannot register the floor sink");
  const int floor_fd = bare_socket(o);
  const MakeSink floor_sink = [&] {
    GstElement* e = make(mctx::bench::kFloorSink);
    mctx::bench::floor_sink_set_fd(e, floor_fd);
    return e;
  };
  const MakeSink floor_nosend = [&] { return make(mctx::bench::kFloorSink); };
  const MakeSink floor_deep = [&] {
    GstElement* e = floor_sink();
    mctx::bench::floor_sink_set_depth(e, o.floor_depth);
    return e;
  };
  const std::string lb = "lists x" + std::to_string(o.batch);
  const std::string gso = "bare GSO sendmmsg() x" + std::to_string(o.batch);
  const std::string mb = "mctxsink buffers", ub = "udpsink buffers", fb = "floor sink buffers";
  const std::string ml = "mctxsink " + lb;
  std::vector<Case> cases = {
      {"bare send()", "", nullptr, false, bare_send, true},
      {"fakesink buffers", "", fakesink, false, nullptr, false},
      {"floor sink no-send buffers", "", floor_nosend, false, nullptr, false},
      {fb, "bare send()", floor_sink, false, nullptr, true},
      {ub, "", udpsink, false, nullptr, true},
      {ub + " [vs floor]", fb, nullptr, false, nullptr, true},
      {"udpsink no-join buffers", "", udpsink_nojoin, false, nullptr, true},
      {mb, ub, mctxsink, false, nullptr, true},
      {mb + " [vs no-join]", "udpsink no-join buffers", nullptr, false, nullptr, true},
      {mb + " [vs bare]", "bare send()", nullptr, false, nullptr, true},
      {mb + " [vs floor]", fb, nullptr, false, nullptr, true},
      {gso, "", nullptr, true, bare_gso, true},
      {"fakesink " + lb, "", fakesink, true, nullptr, false},
      {"udpsink " + lb, "", udpsink, true, nullptr, true},
      {"udpsink no-join " + lb, "", udpsink_nojoin, true, nullptr, true},
      {ml, "udpsink " + lb, mctxsink, true, nullptr, true},
      {ml + " [vs no-join]", "udpsink no-join " + lb, nullptr, true, nullptr, true},
      {ml + " [vs bare]", gso, nullptr, true, nullptr, true},
  };

  if (o.floor_depth > 0) {
    const auto at = std::find_if(cases.begin(), cases.end(), [&](const Case& c) { return c.name == fb; });
    cases.insert(at + 1, Case{"floor sink depth " + std::to_string(o.floor_depth) + " buffers", fb,
                              floor_deep, false, nullptr, true});
  }
  if (!o.part.empty()) {
    const bool lists = o.part == "lists";
    std::erase_if(cases, [lists](const Case& c) { return c.lists != lists; });
  }
  if (!o.only.empty()) {
    // Only the matching cases that run (no "[vs ...]" rows), without references.
    std::vector<Case> kept;
    for (Case& c : cases) {
      if (c.runs() && c.name.find(o.only) != std::string::npos) kept.push_back(std::move(c));
    }
    for (Case& c : kept) c.reference.clear();
    if (kept.empty()) die("--only '" + o.only + "' matches no case");
    cases = std::move(kept);
  }

  std::printf("mctx-gst-bench: payload %d B, %s packets x %d runs per case (median shown), "
              "lists of %d\n",
              o.size, mctx::bench::group_digits(static_cast<double>(o.count)).c_str(), o.repeat,
              o.batch);
  gchar* gst_version = gst_version_string();
  std::printf("destination %s port %d via %s; %s\n", o.group.c_str(), o.port,
              o.interface.c_str(), gst_version);
  g_free(gst_version);
  std::fflush(stdout);

  // Warm-up: load the plugins, fault in the code paths.
  {
    Options w = o;
    w.count = std::min<gint64>(o.count, 1000);
    Data wd = d;
    wd.tail = nullptr;
    for (const Case& c : cases) {
      if (!c.runs()) continue;
      Sample s;
      if (!run_once(w, c, wd, s) && o.check) return 1;
    }
  }

  std::vector<CaseResult> results;
  for (const Case& c : cases) results.push_back(CaseResult{c.name, c.reference, {}});
  bool ok = true;
  for (int rep = 0; rep < o.repeat; ++rep) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      if (!cases[i].runs()) continue;
      Sample s;
      ok &= run_once(o, cases[i], d, s);
      results[i].samples.push_back(s);
    }
  }
  // A row "NAME [vs X]" does not run: it repeats the samples of case NAME
  // against another reference.
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].runs()) continue;
    const std::string of = cases[i].name.substr(0, cases[i].name.find(" [vs "));
    for (std::size_t j = 0; j < cases.size(); ++j) {
      if (cases[j].name == of) results[i].samples = results[j].samples;
    }
  }

  std::printf("\n");
  mctx::bench::print_table(results, o.markdown);
  std::printf("\n");
  mctx::bench::print_paired_ratios(results, o.markdown);
  uint64_t packets = 0, device_tx = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (!cases[i].make) continue;
    if (!cases[i].sends) continue;
    for (const Sample& s : results[i].samples) {
      packets += s.packets;
      device_tx += s.device_tx;
    }
  }
  std::printf("\nall runs: %" PRIu64 " datagrams sent, device packet counter +%" PRIu64
              " (udpsink's group joins add IGMP reports)\n",
              packets, device_tx);
  std::printf("rate ratio = packets/s of the case / packets/s of its reference (> 1: faster);\n"
              "CPU ratio = CPU ns per packet of the case / of its reference (< 1: cheaper)\n");

  ::close(floor_fd);
  gst_buffer_list_unref(d.list);
  if (d.tail) gst_buffer_list_unref(d.tail);
  gst_buffer_unref(d.buffer);
  if (o.check && !ok) {
    std::fprintf(stderr, "mctx-gst-bench: check FAILED\n");
    return 1;
  }
  if (o.check) std::printf("mctx-gst-bench: check passed\n");
  return 0;
}
