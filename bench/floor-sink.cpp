// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The floor sink: see floor-sink.hpp.

#include "floor-sink.hpp"

#include <gst/base/gstbasesink.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <utility>

#include "bench-common.hpp"

namespace {

struct FloorSink {
  GstBaseSink parent;
  int fd;
  int depth;
};

struct FloorSinkClass {
  GstBaseSinkClass parent_class;
};

GType floor_sink_get_type();
G_DEFINE_TYPE(FloorSink, floor_sink, GST_TYPE_BASE_SINK)

GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

// send() `N` calls down, each level on a page of its own and not a tail
// call (the empty asm after the call keeps its frame).
template <int N>
[[gnu::noinline, gnu::aligned(4096)]] ssize_t nested_send(int fd, const guint8* data, gsize size) {
  ssize_t r;
  if constexpr (N == 0) {
    r = ::send(fd, data, size, 0);
  } else {
    r = nested_send<N - 1>(fd, data, size);
  }
  asm volatile("" ::: "memory");
  return r;
}

template <int... N>
constexpr auto nested_table(std::integer_sequence<int, N...>) {
  return std::array<ssize_t (*)(int, const guint8*, gsize), sizeof...(N)>{&nested_send<N>...};
}
// nested[d - 1]: d functions between render and send().
constexpr auto nested = nested_table(std::make_integer_sequence<int, mctx::bench::kFloorMaxDepth>());

ssize_t send_once(int fd, const guint8* data, gsize size, int depth) {
  if (depth == 0) return ::send(fd, data, size, 0);
  return nested[static_cast<std::size_t>(depth - 1)](fd, data, size);
}

// One send() of the whole datagram, retried after EAGAIN (as the bare loop).
bool send_all(int fd, const guint8* data, gsize size, int depth) {
  while (send_once(fd, data, size, depth) < 0) {
    if (errno == EAGAIN) {
      mctx::bench::wait_writable(fd);
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

GstFlowReturn floor_sink_render(GstBaseSink* base, GstBuffer* buffer) {
  const int fd = reinterpret_cast<FloorSink*>(base)->fd;
  const int depth = reinterpret_cast<FloorSink*>(base)->depth;
  GstMapInfo map;
  bool sent = true;
  if (gst_buffer_n_memory(buffer) == 1) {  // one memory: no merge, as mctxsink
    GstMemory* mem = gst_buffer_peek_memory(buffer, 0);
    if (!gst_memory_map(mem, &map, GST_MAP_READ)) return GST_FLOW_ERROR;
    if (fd >= 0) sent = send_all(fd, map.data, map.size, depth);
    gst_memory_unmap(mem, &map);
  } else {
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_FLOW_ERROR;
    if (fd >= 0) sent = send_all(fd, map.data, map.size, depth);
    gst_buffer_unmap(buffer, &map);
  }
  if (!sent) {
    GST_ELEMENT_ERROR(base, RESOURCE, WRITE, (nullptr), ("send: %s", g_strerror(errno)));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

void floor_sink_class_init(FloorSinkClass* klass) {
  auto* element_class = GST_ELEMENT_CLASS(klass);
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "mctx benchmark floor sink", "Sink/Network",
                                        "Maps each buffer and send()s it on a connected socket",
                                        "The mctx authors");
  GST_BASE_SINK_CLASS(klass)->render = floor_sink_render;
}

void floor_sink_init(FloorSink* self) {
  self->fd = -1;
  self->depth = 0;
  gst_base_sink_set_last_sample_enabled(GST_BASE_SINK(self), FALSE);
}

}  // namespace

namespace mctx::bench {

bool register_floor_sink() {
  return gst_element_register(nullptr, kFloorSink, GST_RANK_NONE, floor_sink_get_type()) != FALSE;
}

void floor_sink_set_fd(GstElement* sink, int fd) {
  g_return_if_fail(G_TYPE_CHECK_INSTANCE_TYPE(sink, floor_sink_get_type()));
  reinterpret_cast<FloorSink*>(sink)->fd = fd;
}

void floor_sink_set_depth(GstElement* sink, int depth) {
  g_return_if_fail(G_TYPE_CHECK_INSTANCE_TYPE(sink, floor_sink_get_type()));
  g_return_if_fail(depth >= 0 && depth <= kFloorMaxDepth);
  reinterpret_cast<FloorSink*>(sink)->depth = depth;
}

}  // namespace mctx::bench
