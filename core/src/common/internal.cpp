// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "common/internal.hpp"

#include <atomic>
#include <chrono>
#include <utility>

namespace mctx::internal {

std::string q(std::string_view s) { return "'" + std::string(s) + "'"; }
std::string q(const IpAddress& a) { return q(a.to_string()); }

Unexpected<Error> fail(Errc code, std::string message, int err) {
  return unexpected(make_error(code, std::move(message), err));
}

bool same_address(const IpAddress& a, const IpAddress& b) noexcept {
  return a.family() == b.family() && a.bytes() == b.bytes();
}

Res<void> check_send_buffer_size(const std::optional<int>& bytes) {
  if (bytes && *bytes <= 0) {
    return fail(Errc::invalid_send_buffer_size,
                "send buffer size " + std::to_string(*bytes) +
                    " is not allowed: give a positive number of bytes or leave it unset");
  }
  return {};
}

std::vector<uint32_t> holders_of(const IpAddress& addr,
                                 const std::vector<platform::LocalAddress>& locals) {
  std::vector<uint32_t> out;
  for (const auto& la : locals) {
    if (!same_address(la.address, addr)) continue;
    if (addr.is_v6() && addr.scope_id() != 0 && la.ifindex != addr.scope_id()) continue;
    out.push_back(la.ifindex);
  }
  return out;
}

Res<std::vector<uint32_t>> holders_of(const IpAddress& addr) {
  auto all = platform::local_addresses();
  if (!all) {
    return fail(Errc::interface_lookup_failed, "looking up the interfaces that carry " + q(addr),
                all.error());
  }
  return holders_of(addr, *all);
}

void record_batch(SendMetrics& metrics, const BatchReport& rep) noexcept {
  if (rep.error) {
    metrics.record_failed_send(rep.error->code, rep.sent, rep.bytes_sent, rep.gso_sends);
  } else if (rep.sent > 0) {
    metrics.record_send(rep.sent, rep.bytes_sent, 0, 0, rep.gso_sends);
  }
}

namespace {
int64_t steady_ns() noexcept {
  const auto t = std::chrono::steady_clock::now().time_since_epoch();
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t).count();
  return ns == 0 ? 1 : ns;  // 0 means "no outage"
}
}  // namespace

bool OutageTracker::lost(uint64_t n) noexcept {
  lost_.fetch_add(n, std::memory_order_relaxed);
  int64_t expected = 0;
  // Only the datagrams of the current outage count in lost_: a new outage
  // starts from the n that began it.
  if (since_ns_.load(std::memory_order_relaxed) == 0 &&
      since_ns_.compare_exchange_strong(expected, steady_ns(), std::memory_order_acq_rel)) {
    lost_.store(n, std::memory_order_relaxed);
    next_probe_ns_.store(0, std::memory_order_relaxed);
    set_cause(Errc::ok);
    outages_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  return false;
}

bool OutageTracker::end() noexcept {
  int64_t since = since_ns_.load(std::memory_order_acquire);
  if (since == 0 || !since_ns_.compare_exchange_strong(since, 0, std::memory_order_acq_rel)) {
    return false;
  }
  last_ns_.store(steady_ns() - since, std::memory_order_relaxed);
  last_lost_.store(lost_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  return true;
}

bool OutageTracker::probe_due() noexcept {
  const int64_t now = steady_ns();
  int64_t next = next_probe_ns_.load(std::memory_order_relaxed);
  if (now < next) return false;
  const int64_t interval =
      std::chrono::duration_cast<std::chrono::nanoseconds>(kOutageProbeInterval).count();
  return next_probe_ns_.compare_exchange_strong(next, now + interval, std::memory_order_relaxed);
}

OutageStatus OutageTracker::status() const noexcept {
  OutageStatus st;
  st.outages = outages_.load(std::memory_order_relaxed);
  st.cause = cause();
  const int64_t since = since_ns_.load(std::memory_order_acquire);
  if (since != 0) {
    st.active = true;
    st.duration = std::chrono::nanoseconds(steady_ns() - since);
    st.datagrams_lost = lost_.load(std::memory_order_relaxed);
  } else {
    st.duration = std::chrono::nanoseconds(last_ns_.load(std::memory_order_relaxed));
    st.datagrams_lost = last_lost_.load(std::memory_order_relaxed);
  }
  return st;
}

std::string outage_reason(Errc cause, const InterfaceSpec& interface,
                          const std::optional<IpAddress>& source) {
  std::string what = "the interface";
  if (interface.kind() != InterfaceSpec::Kind::none) what = "interface " + q(interface.to_string());
  switch (cause) {
    case Errc::interface_not_found: return what + " does not exist (any more)";
    case Errc::interface_down: return what + " is down";
    case Errc::source_not_local:
      return "source address " + (source ? q(*source) : std::string("'?'")) +
             " is no longer configured on this host";
    case Errc::source_interface_mismatch:
      return "source address " + (source ? q(*source) : std::string("'?'")) +
             " moved to another interface";
    case Errc::ok: return "network unreachable";
    default: return std::string("network unreachable (") + errc_name(cause) + ")";
  }
}

namespace {
std::atomic<PublicationId> g_next_id{1};
}  // namespace

PublicationId next_publication_id() noexcept {
  return g_next_id.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace mctx::internal
