// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The send policy of mctxsink (not installed): how buffers and buffer lists
// become datagrams, what happens when the socket is full, when the element is
// unlocked (a pause, a flush, a stop) and when a send fails. One place for
// UDP and raw mode, single buffers and lists (mctxsink-deliver.cpp).

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>
#include <sys/uio.h>

#include <atomic>
#include <bitset>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "mctx/error.hpp"
#include "mctx/publication.hpp"

namespace mctx::gst {

class Backend;

// ---------------------------------------------------------------------------
// The one blocking point of the streaming thread: an interruptible wait until
// a descriptor is writable and/or a deadline passes. unlock() interrupts it
// (and every later wait) until unlock_stop(). One per element: unlock() may
// come at any time, also between runs.
class Waiter {
 public:
  using Clock = std::chrono::steady_clock;

  // What to wait for; the wait ends at the first of them. Neither set: the
  // wait returns `ready` at once (unless unlocked).
  struct Until {
    int writable_fd = -1;                  // until this descriptor is writable
    std::optional<Clock::time_point> deadline;  // until this time

    static Until writable(int fd) noexcept { return Until{fd, std::nullopt}; }
    static Until time(Clock::time_point t) noexcept { return Until{-1, t}; }
  };

  enum class Result {
    ready,     // the descriptor is writable, or the deadline passed
    unlocked,  // unlock() interrupted it: a pause, a flush or a stop
    failed,    // the wait itself failed (error() holds errno)
  };

  Waiter() noexcept;
  ~Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // false if the poll set could not be created (start() fails then).
  bool valid() const noexcept { return poll_ != nullptr; }

  // Streaming thread only.
  Result wait(const Until& until) noexcept;
  int error() const noexcept { return errno_; }

  // GstBaseSink::unlock / unlock_stop (any thread).
  void unlock() noexcept;
  void unlock_stop() noexcept;

  // Drops the descriptor from the poll set (before it is closed: stop()).
  void forget_fd() noexcept;

 private:
  void watch(int fd) noexcept;

  GstPoll* poll_ = nullptr;
  GstPollFD pfd_{};
  int fd_ = -1;         // descriptor in the poll set, or -1
  bool armed_ = false;  // write events of fd_ enabled
  int errno_ = 0;
};

// ---------------------------------------------------------------------------
// Delivery: one run's send path (created at start(), destroyed at stop()).
// render()/render_list() map the buffers into grow-only scratch arrays (no
// allocation per buffer once they reached the largest size seen) and hand
// them to deliver().
//
// deliver() is the send policy:
//  * would-block: wait until the socket is writable and send the rest again;
//    nothing is dropped.
//  * unlocked while waiting (Waiter::Result::unlocked): GstBaseSink's
//    contract, gst_base_sink_wait_preroll(). A pause (PLAYING->PAUSED)
//    returns OK at the next PLAYING and the send resumes where it stopped; a
//    flush or a stop returns FLUSHING, and the datagrams not sent are counted
//    as dropped. FLUSHING is never returned unless the sink is flushing.
//  * per-datagram error (too big, no route, invalid raw datagram, ...): that
//    datagram is counted as dropped and reported in a rate-limited warning;
//    the rest goes out; the flow stays OK.
//  * fatal error (the socket or interface is gone for good): ERROR message,
//    the rest is counted as dropped, GST_FLOW_ERROR.
//
// To add a reason to wait (pacing, a local queue that is full), call wait()
// with its Until before trying again: the unlock / preroll handling is the
// same for every reason.
class Delivery {
 public:
  Delivery(GstBaseSink* sink, Backend& backend, Waiter& waiter) noexcept
      : sink_(sink), backend_(backend), waiter_(waiter) {}
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // The GstBaseSink render / render_list vfuncs. No exception escapes.
  GstFlowReturn render(GstBuffer* buffer) noexcept;
  GstFlowReturn render_list(GstBufferList* list) noexcept;

  // Sends every message (see the policy above). Streaming thread only.
  GstFlowReturn deliver(std::span<const mctx::OutMessage> messages);

  // Waits for `until`; when unlocked, waits for preroll. GST_FLOW_OK: try
  // again; anything else is the flow render returns (the caller counts what
  // it did not send as dropped).
  GstFlowReturn wait(const Waiter::Until& until);

  // Buffers that could not be sent (any thread).
  guint64 dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  void ensure_scratch(std::size_t memories, std::size_t messages);
  gint map_buffer(GstBuffer* buf, std::size_t first);
  void unmap(std::size_t count) noexcept;
  void count_dropped(std::size_t n) noexcept { dropped_.fetch_add(n, std::memory_order_relaxed); }
  void report_error(const mctx::SendError& e);
  void report_fatal(const mctx::SendError& e);

  GstBaseSink* sink_;
  Backend& backend_;
  Waiter& waiter_;
  std::atomic<guint64> dropped_{0};

  // Streaming thread only.
  std::vector<GstMapInfo> maps_;
  std::vector<iovec> iov_;
  std::vector<mctx::OutMessage> msgs_;
  gint64 last_warning_us_ = 0;
  guint64 unreported_errors_ = 0;
  bool warned_ = false;
  std::bitset<256> warned_codes_;  // error codes already reported once
};

}  // namespace mctx::gst
