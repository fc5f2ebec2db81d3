// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The send policy of mctxsink: see mctxsink-deliver.hpp.

#include "mctxsink-deliver.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <exception>
#include <string>

#include "mctxsink-backend.hpp"
#include "mctxsink-log.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

namespace mctx::gst {

namespace {

// A send error warning is posted at most this often; the errors in between
// are counted and mentioned in the next warning.
constexpr std::chrono::seconds kWarningInterval{1};

std::chrono::steady_clock::time_point real_now() noexcept {
  return std::chrono::steady_clock::now();
}

std::atomic<TimeSource> time_source{&real_now};

std::chrono::steady_clock::time_point now() noexcept {
  return time_source.load(std::memory_order_relaxed)();
}

}  // namespace

void set_delivery_time_source(TimeSource source) noexcept {
  time_source.store(source != nullptr ? source : &real_now, std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------
// Waiter

Waiter::Waiter() noexcept : poll_(gst_poll_new(TRUE)) {
  if (poll_ == nullptr) GST_ERROR("gst_poll_new() failed");
}

Waiter::~Waiter() {
  forget_fd();
  if (poll_ != nullptr) gst_poll_free(poll_);
}

void Waiter::watch(int fd) noexcept {
  if (fd != fd_) {
    forget_fd();
    if (fd < 0) return;
    gst_poll_fd_init(&pfd_);
    pfd_.fd = fd;
    gst_poll_add_fd(poll_, &pfd_);
    fd_ = fd;
    armed_ = false;
  }
  if (fd_ >= 0) {
    const bool want = fd >= 0;
    if (want != armed_) {
      gst_poll_fd_ctl_write(poll_, &pfd_, want ? TRUE : FALSE);
      armed_ = want;
    }
  }
}

void Waiter::forget_fd() noexcept {
  if (poll_ != nullptr && fd_ >= 0) gst_poll_remove_fd(poll_, &pfd_);
  fd_ = -1;
  armed_ = false;
}

Waiter::Result Waiter::wait(const Until& until) noexcept {
  errno_ = 0;
  fd_error_ = false;
  if (poll_ == nullptr) {
    errno_ = ENOMEM;
    return Result::failed;
  }
  // A deadline-only wait keeps the last descriptor in the set but stops
  // watching it, so that a writable socket does not end the wait early.
  if (until.writable_fd >= 0) {
    watch(until.writable_fd);
  } else if (fd_ >= 0 && armed_) {
    gst_poll_fd_ctl_write(poll_, &pfd_, FALSE);
    armed_ = false;
  }
  for (;;) {
    GstClockTime timeout = GST_CLOCK_TIME_NONE;
    if (until.deadline) {
      const auto now = Clock::now();
      if (now >= *until.deadline) {
        timeout = 0;  // still look at unlock: a paused sink must not send
      } else {
        timeout = static_cast<GstClockTime>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(*until.deadline - now).count());
      }
    } else if (until.writable_fd < 0) {
      timeout = 0;
    }
    const gint r = gst_poll_wait(poll_, timeout);
    if (r > 0) {
      fd_error_ = fd_ >= 0 && gst_poll_fd_has_error(poll_, &pfd_);
      return Result::ready;
    }
    if (r == 0) {
      if (timeout == GST_CLOCK_TIME_NONE) continue;
      if (!until.deadline || Clock::now() >= *until.deadline) return Result::ready;
      continue;  // woke early: wait for the rest
    }
    const int err = errno;
    if (err == EBUSY) return take_interruption();
    if (err == EINTR || err == EAGAIN) continue;
    errno_ = err;
    return Result::failed;
  }
}

Waiter::Result Waiter::take_interruption() noexcept {
  std::lock_guard<std::mutex> lk(flush_mutex_);
  if (unlocked_) return Result::unlocked;
  kick_pending_ = false;
  if (poll_ != nullptr) gst_poll_set_flushing(poll_, FALSE);
  return Result::kicked;
}

void Waiter::unlock() noexcept {
  std::lock_guard<std::mutex> lk(flush_mutex_);
  unlocked_ = true;
  if (poll_ != nullptr) gst_poll_set_flushing(poll_, TRUE);
}

void Waiter::unlock_stop() noexcept {
  std::lock_guard<std::mutex> lk(flush_mutex_);
  unlocked_ = false;
  if (poll_ != nullptr && !kick_pending_) gst_poll_set_flushing(poll_, FALSE);
}

void Waiter::kick() noexcept {
  std::lock_guard<std::mutex> lk(flush_mutex_);
  kick_pending_ = true;
  if (poll_ != nullptr) gst_poll_set_flushing(poll_, TRUE);
}

// ---------------------------------------------------------------------------
// Delivery: the policy

Delivery::Delivery(GstBaseSink* sink, Backend& backend, Waiter& waiter, DeliveryPolicy policy,
                   const std::string& uri) noexcept
    : backend_(backend),
      paced_(backend.paced()),
      sink_(sink),
      waiter_(waiter),
      policy_(policy),
      uri_(uri) {}

GstFlowReturn Delivery::wait(const Waiter::Until& until) {
  const State before = state();
  set_state(State::waiting);
  const Waiter::Result result = waiter_.wait(until);
  set_state(before);
  switch (result) {
    case Waiter::Result::ready:
    case Waiter::Result::kicked:  // the caller looks again (a removed destination stops)
      return GST_FLOW_OK;
    case Waiter::Result::failed: {
      const int err = waiter_.error();
      GST_ELEMENT_ERROR(sink_, RESOURCE, WRITE, ("Waiting for the socket to become writable failed."),
                        ("gst_poll_wait: %s", g_strerror(err)));
      return GST_FLOW_ERROR;
    }
    case Waiter::Result::unlocked:
      break;
  }
  // Unlocked: a pause, a flush or a stop. GstBaseSink's contract: wait for
  // preroll. It returns OK when the sink goes back to PLAYING (send again),
  // FLUSHING when it is flushing or stopping.
  GST_DEBUG_OBJECT(sink_, "unlocked while waiting: waiting for preroll");
  set_state(State::waiting);
  const GstFlowReturn r = gst_base_sink_wait_preroll(sink_);
  set_state(before);
  GST_DEBUG_OBJECT(sink_, "preroll wait returned %s", gst_flow_get_name(r));
  return r;
}

void Delivery::remove() noexcept {
  removed_.store(true, std::memory_order_relaxed);
  waiter_.kick();
}

GstFlowReturn Delivery::deliver_rest(std::span<const mctx::OutMessage> messages,
                                     std::optional<mctx::BatchReport> first) {
  const std::size_t count = messages.size();
  if (!first && failed()) {  // a fatal error earlier: nothing goes out any more
    count_dropped(count);
    return GST_FLOW_OK;
  }
  std::size_t off = 0;
  while (off < count) {
    mctx::BatchReport r;
    if (first) {  // deliver() sent the first message
      r = *first;
      first.reset();
    } else if (removed()) {
      return GST_FLOW_OK;  // not ours to send or count any more
    } else if (count - off == 1) {  // one datagram: send(2)/sendmsg(2), no batch
      // A paced publication (max-rate): wait until the pacer lets it go.
      if (const auto d = paced_ ? backend_.pace_delay() : std::chrono::nanoseconds(0);
          d.count() > 0) {
        const GstFlowReturn w = wait(Waiter::Until::time(Waiter::Clock::now() + d));
        if (w == GST_FLOW_OK) continue;
        count_dropped(count - off);
        return w;
      }
      const mctx::OutMessage& m = messages[off];
      r = one_sent(backend_.send(m.iov, m.iov_count));
    } else {
      r = backend_.send_batch(messages.subspan(off));
    }
    off += r.sent;
    if (r.sent > 0 && in_outage_) outage_ended();
    if (off >= count) break;
    if (!r.error && r.pace_delay.count() > 0) {
      // The pacer holds the rest (max-rate): an interruptible wait.
      GST_LOG_OBJECT(sink_, "pacing: %zu datagrams wait %lld ns", count - off,
                     static_cast<long long>(r.pace_delay.count()));
      const GstFlowReturn w = wait(Waiter::Until::time(Waiter::Clock::now() + r.pace_delay));
      if (w == GST_FLOW_OK) continue;
      count_dropped(count - off);
      return w;
    }
    if (!r.error) {
      if (r.sent == 0) {  // no progress and no reason: do not spin
        report_error(mctx::SendError{mctx::Errc::send_failed, 0});
        off++;
      }
      continue;
    }
    const mctx::SendError& e = *r.error;
    if (e.would_block()) {
      GST_LOG_OBJECT(sink_, "socket full, waiting for it to become writable");
      const GstFlowReturn w = wait(Waiter::Until::writable(backend_.wait_fd()));
      // A queued socket error (IP_RECVERR) makes poll() report POLLERR until
      // it is read: drain it, or the next wait returns at once, forever.
      if (waiter_.fd_had_error()) backend_.drain_errors();
      if (w == GST_FLOW_OK) continue;
      count_dropped(count - off);
      return w;
    }
    if (e.code == mctx::Errc::no_buffer_space) {
      if (policy_.queue_full == QueueFull::drop) {
        queue_full_dropped_.fetch_add(1, std::memory_order_relaxed);
        report_error(e);  // counted as dropped, warned at most once a second
        off++;
        continue;
      }
      // Backpressure: the queue drains at its own rate; send it again soon.
      GST_LOG_OBJECT(sink_, "local queue full, sending again in %lld ms",
                     static_cast<long long>(mctx::kQueueFullRetryDelay.count()));
      const GstFlowReturn w =
          wait(Waiter::Until::time(Waiter::Clock::now() + mctx::kQueueFullRetryDelay));
      if (w == GST_FLOW_OK) continue;
      count_dropped(count - off);
      return w;
    }
    if (e.code == mctx::Errc::network_unreachable) {
      if (!outage_loss(e)) {
        count_dropped(count - off - 1);  // the one at `off` is counted already
        return GST_FLOW_ERROR;
      }
      off++;
      continue;
    }
    if (e.fatal()) {
      count_dropped(count - off);
      mark_failed(e);
      return GST_FLOW_ERROR;
    }
    report_error(e);  // the datagram at `off` is lost
    off++;
  }
  return GST_FLOW_OK;
}

// A per-datagram send error: count it and warn, at most once per second; the
// first error of each kind (code) is always reported, so that a new reason
// (in raw mode: an invalid datagram, an IPv6 datagram without an interface)
// is never hidden behind the rate limit.
void Delivery::report_error(const mctx::SendError& e) {
  count_dropped(1);
  const auto now = gst::now();
  const std::size_t code_bit = static_cast<std::size_t>(e.code) % warned_codes_.size();
  const bool new_kind = !warned_codes_.test(code_bit);
  if (!new_kind && warned_ && now - last_warning_ < kWarningInterval) {
    unreported_errors_++;
    GST_LOG_OBJECT(sink_, "send error %s (errno %d), warning suppressed", mctx::errc_name(e.code),
                   e.system_errno);
    return;
  }
  try {
    const std::string dest = backend_.describe();
    const std::string why = backend_.describe_error(e);
    std::string more;
    if (unreported_errors_ > 0) {
      more = " (" + std::to_string(unreported_errors_) +
             " more send errors since the previous warning)";
    }
    GST_ELEMENT_WARNING(sink_, RESOURCE, WRITE,
                        ("Could not send a datagram to %s: %s. The buffer was dropped; "
                         "streaming continues%s.",
                         dest.c_str(), why.c_str(), more.c_str()),
                        ("mctx error %s, errno %d; %" G_GUINT64_FORMAT " buffers dropped so far",
                         mctx::errc_name(e.code), e.system_errno, dropped()));
  } catch (...) {
  }
  warned_ = true;
  warned_codes_.set(code_bit);
  last_warning_ = now;
  unreported_errors_ = 0;
}

DropCounts Delivery::drop_counts() const noexcept {
  DropCounts k;
  k.dropped = dropped_.load(std::memory_order_relaxed);
  k.queue_full_dropped = queue_full_dropped_.load(std::memory_order_relaxed);
  k.outage_dropped = outage_dropped_.load(std::memory_order_relaxed);
  k.outages = outages_.load(std::memory_order_relaxed);
  return k;
}

bool Delivery::outage_loss(const mctx::SendError& e) {
  count_dropped(1);
  outage_dropped_.fetch_add(1, std::memory_order_relaxed);
  const auto now = gst::now();
  if (!in_outage_) {
    in_outage_ = true;
    set_state(State::outage);
    outage_start_ = now;
    outage_lost_ = 0;
    outages_.fetch_add(1, std::memory_order_relaxed);
    try {
      const std::string dest = backend_.describe();
      const std::string why = backend_.describe_error(e);
      const std::string limit =
          policy_.max_outage.count() > 0
              ? "; after max-outage=" + std::to_string(policy_.max_outage.count()) +
                    " ms the element stops with an error"
              : std::string();
      GST_ELEMENT_WARNING(sink_, RESOURCE, WRITE,
                          ("Outage: cannot send to %s: %s. Datagrams are dropped and counted "
                           "(outage-dropped) until it ends; streaming continues%s.",
                           dest.c_str(), why.c_str(), limit.c_str()),
                          ("mctx error %s, errno %d", mctx::errc_name(e.code), e.system_errno));
    } catch (...) {
    }
  }
  outage_lost_++;
  if (policy_.max_outage.count() > 0 && now - outage_start_ > policy_.max_outage) {
    try {
      const std::string dest = backend_.describe();
      const std::string why = backend_.describe_error(e);
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - outage_start_).count();
      GST_ELEMENT_ERROR(sink_, RESOURCE, WRITE,
                        ("Outage longer than max-outage=%lld ms: cannot send to %s for %lld ms "
                         "(%" G_GUINT64_FORMAT " datagrams lost): %s.",
                         static_cast<long long>(policy_.max_outage.count()), dest.c_str(),
                         static_cast<long long>(ms), outage_lost_, why.c_str()),
                        ("mctx error %s, errno %d", mctx::errc_name(e.code), e.system_errno));
    } catch (...) {
      GST_ELEMENT_ERROR(sink_, RESOURCE, WRITE, ("Outage longer than max-outage."), (nullptr));
    }
    return false;
  }
  return true;
}

void Delivery::outage_ended() {
  in_outage_ = false;
  set_state(State::sending);
  const auto duration = gst::now() - outage_start_;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
  GST_INFO_OBJECT(sink_, "outage ended after %.3f s, %" G_GUINT64_FORMAT " datagrams lost",
                  static_cast<double>(ns) / 1e9, outage_lost_);
  GstStructure* st = gst_structure_new("mctx-outage",                                 //
                                       "uri", G_TYPE_STRING, uri_.c_str(),                 //
                                       "duration", GST_TYPE_CLOCK_TIME, GstClockTime(ns),  //
                                       "datagrams-lost", G_TYPE_UINT64, outage_lost_,      //
                                       nullptr);
  gst_element_post_message(GST_ELEMENT_CAST(sink_),
                           gst_message_new_element(GST_OBJECT_CAST(sink_), st));
}

void Delivery::mark_failed(const mctx::SendError& e) {
  in_outage_ = false;
  set_state(State::failed);
  try {
    failure_ = "Cannot send to " + backend_.describe() + " any more: " +
               backend_.describe_error(e) + " (mctx error " + mctx::errc_name(e.code) +
               ", errno " + std::to_string(e.system_errno) + ")";
  } catch (...) {
    failure_.clear();
  }
}

}  // namespace mctx::gst
