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
#include <exception>
#include <mutex>
#include <string>
#include <optional>
#include <span>
#include <vector>

#include "mctx/error.hpp"
#include "mctx/publication.hpp"

namespace mctx::gst {

class Backend;

// The queue-full property: what deliver() does when the local queue refuses
// a datagram (ENOBUFS). The values are the property's enum values.
enum class QueueFull : int {
  wait = 0,  // send it again after kQueueFullRetryDelay: nothing lost
  drop = 1,  // drop it and count it (queue-full-dropped)
};

// What deliver() does on a full local queue and on a long outage (the
// queue-full and max-outage properties, copied at start()).
struct DeliveryPolicy {
  QueueFull queue_full = QueueFull::wait;
  std::chrono::milliseconds max_outage{0};  // 0 = an outage may last forever
};

// What deliver() did not send, by reason (any thread).
struct DropCounts {
  guint64 dropped = 0;             // every buffer not sent, whatever the reason
  guint64 queue_full_dropped = 0;  // of dropped: local queue full with queue-full=drop
  guint64 outage_dropped = 0;      // of dropped: lost to an outage
  guint64 outages = 0;             // outages that began

  // Adds another destination's counts (totals over several).
  DropCounts& operator+=(const DropCounts& o) noexcept {
    dropped += o.dropped;
    queue_full_dropped += o.queue_full_dropped;
    outage_dropped += o.outage_dropped;
    outages += o.outages;
    return *this;
  }
};

// ---------------------------------------------------------------------------
// The one blocking point of the streaming thread: an interruptible wait until
// a descriptor is writable and/or a deadline passes. unlock() interrupts it
// (and every later wait) until unlock_stop(). kick() interrupts the current
// wait, or the next one, once (a destination was removed: the thread may be
// waiting for its socket). One per element: unlock() and kick() may come at
// any time, from any thread, also between runs.
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
    kicked,    // kick() interrupted it: look again at what to wait for
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
  // The last wait ended because the descriptor reported an error (POLLERR):
  // the caller drains the socket's error queue, or the next wait spins.
  bool fd_had_error() const noexcept { return fd_error_; }

  // GstBaseSink::unlock / unlock_stop (any thread).
  void unlock() noexcept;
  void unlock_stop() noexcept;
  // Any thread: the current or next wait returns `kicked` (unless unlocked).
  void kick() noexcept;

  // Drops the descriptor from the poll set (before it is closed: stop()).
  void forget_fd() noexcept;

 private:
  void watch(int fd) noexcept;
  // After the poll reported flushing: unlocked, or a kick to take.
  Result take_interruption() noexcept;

  GstPoll* poll_ = nullptr;
  // unlock() and kick() both set the poll flushing; these say which one, so
  // that unlock_stop() leaves a pending kick and a kick leaves an unlock.
  std::mutex flush_mutex_;
  bool unlocked_ = false;      // under flush_mutex_
  bool kick_pending_ = false;  // under flush_mutex_
  GstPollFD pfd_{};
  int fd_ = -1;         // descriptor in the poll set, or -1
  bool armed_ = false;  // write events of fd_ enabled
  int errno_ = 0;
  bool fd_error_ = false;
};

// ---------------------------------------------------------------------------
// The time Delivery reads for its warning rate limit and outage durations:
// std::chrono::steady_clock::now() unless a test set another source (set it
// before the element starts, back to nullptr after). Waits (Waiter) always
// use the real clock.
using TimeSource = std::chrono::steady_clock::time_point (*)() noexcept;
void set_delivery_time_source(TimeSource source) noexcept;

// ---------------------------------------------------------------------------
// Delivery: the send path of one destination (created when the destination
// opens, destroyed with it). The element's Fanout (mctxsink-destinations.hpp)
// maps each buffer or buffer list once into messages and hands them to the
// deliver() of every destination in turn.
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
//  * full local queue (ENOBUFS, a shaping qdisc): with queue-full=wait (the
//    default) wait kQueueFullRetryDelay and send the rest again, so nothing
//    is lost and the stream slows to the queue's rate; with queue-full=drop
//    the datagram is dropped and counted (queue-full-dropped).
//  * network unreachable (interface down or gone, source address gone): an
//    outage. Its datagrams are dropped and counted (outage-dropped); one
//    warning when it begins (with the reason), an `mctx-outage` element
//    message when a datagram goes out again (duration, datagrams lost);
//    with max-outage > 0, an outage longer than that is an ERROR.
//  * fatal error (the socket is gone for good): the destination fails. The
//    rest is counted as dropped and GST_FLOW_ERROR returned with failed()
//    true and nothing posted: the Fanout decides whether that ends the
//    stream (the only destination) or is a warning (others remain). Every
//    later deliver() counts its datagrams as dropped and returns OK.
//  * removed (remove(), any thread): the next step of deliver() returns OK
//    without sending or counting the rest; a wait for this destination is
//    interrupted (Waiter::kick()).
//
// To add a reason to wait (pacing, a local queue that is full), call wait()
// with its Until before trying again: the unlock / preroll handling is the
// same for every reason.
class Delivery {
 public:
  // What the destination is doing (the `state` field of its metrics).
  enum class State : int { sending, waiting, outage, failed };

  // `uri` names the destination in its per-destination messages
  // (mctx-outage); it must outlive the Delivery (the Destination's).
  Delivery(GstBaseSink* sink, Backend& backend, Waiter& waiter, DeliveryPolicy policy,
           const std::string& uri) noexcept;
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // Sends every message (see the policy above). Streaming thread only.
  // Inline (in mctxsink-destinations.hpp, where Backend is complete): the
  // common case, one datagram, unpaced, to a destination that has neither
  // failed nor been removed, is one backend send; anything else, or what
  // that send reported other than success, goes on in deliver_rest().
  inline GstFlowReturn deliver(std::span<const mctx::OutMessage> messages);

  // Waits for `until`; when unlocked, waits for preroll. GST_FLOW_OK: try
  // again; anything else is the flow render returns (the caller counts what
  // it did not send as dropped).
  GstFlowReturn wait(const Waiter::Until& until);

  // Any thread: this destination gets nothing more (see above).
  void remove() noexcept;
  bool removed() const noexcept { return removed_.load(std::memory_order_relaxed); }

  // A fatal error made this destination fail (deliver() returned ERROR).
  // failure() is the sentence for the message the Fanout posts (streaming
  // thread, after that deliver()).
  bool failed() const noexcept { return state() == State::failed; }
  const std::string& failure() const noexcept { return failure_; }

  // Buffers of the stream this destination did not get because they could
  // not be read (the Fanout counts an unmappable buffer on every destination).
  void count_unreadable(std::size_t n) noexcept { count_dropped(n); }

  // Any thread.
  State state() const noexcept { return state_.load(std::memory_order_relaxed); }
  guint64 dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  DropCounts drop_counts() const noexcept;

 private:
  // deliver() from its first step, or (`first`) from what the send of the
  // first message reported.
  GstFlowReturn deliver_rest(std::span<const mctx::OutMessage> messages,
                             std::optional<mctx::BatchReport> first);
  // The report of a single datagram's send.
  static mctx::BatchReport one_sent(const std::optional<mctx::SendError>& err) noexcept {
    mctx::BatchReport r;
    if (err) {
      r.error = *err;
    } else {
      r.sent = 1;
    }
    return r;
  }
  void count_dropped(std::size_t n) noexcept { dropped_.fetch_add(n, std::memory_order_relaxed); }
  void set_state(State s) noexcept { state_.store(s, std::memory_order_relaxed); }
  // The rare cases, out of line and out of the hot code ([[gnu::cold]]).
  [[gnu::cold]] void report_error(const mctx::SendError& e);
  [[gnu::cold]] void mark_failed(const mctx::SendError& e);
  // One datagram refused for an unreachable network. false: the outage
  // lasted longer than max-outage (an ERROR was posted).
  [[gnu::cold]] bool outage_loss(const mctx::SendError& e);
  [[gnu::cold]] void outage_ended();

  // What every datagram reads first, together (one cache line).
  Backend& backend_;
  const bool paced_;  // backend_.paced(): single datagrams ask pace_delay() first
  bool in_outage_ = false;  // streaming thread only
  std::atomic<bool> removed_{false};
  std::atomic<State> state_{State::sending};
  GstBaseSink* sink_;
  Waiter& waiter_;
  const DeliveryPolicy policy_;
  const std::string& uri_;
  std::atomic<guint64> dropped_{0};
  std::atomic<guint64> queue_full_dropped_{0};
  std::atomic<guint64> outage_dropped_{0};
  std::atomic<guint64> outages_{0};

  // Streaming thread only.
  std::chrono::steady_clock::time_point last_warning_{};
  guint64 unreported_errors_ = 0;
  bool warned_ = false;
  std::bitset<256> warned_codes_;  // error codes already reported once
  std::chrono::steady_clock::time_point outage_start_{};
  guint64 outage_lost_ = 0;
  std::string failure_;
};

}  // namespace mctx::gst
