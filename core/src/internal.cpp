// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "internal.hpp"

#include <atomic>
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

Res<bool> check_send_buffer_size(const std::optional<int>& bytes) {
  if (bytes && *bytes <= 0) {
    return fail(Errc::invalid_send_buffer_size,
                "send buffer size " + std::to_string(*bytes) +
                    " is not allowed: give a positive number of bytes or leave it unset");
  }
  return true;
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

void record_batch(SendMetrics& metrics, const BatchReport& rep, bool kernel_stop,
                  uint64_t gso_sends) noexcept {
  const bool blocked = kernel_stop && rep.error && rep.error->would_block();
  const bool failed = kernel_stop && rep.error && !blocked;
  if (rep.sent > 0) {
    metrics.record_send(rep.sent, rep.bytes_sent, failed ? 1 : 0, gso_sends);
    if (blocked) metrics.record_would_block();
  } else if (blocked) {
    metrics.record_would_block();
  } else if (failed) {
    metrics.record_error();
  }
}

namespace {
std::atomic<PublicationId> g_next_id{1};
}  // namespace

PublicationId next_publication_id() noexcept {
  return g_next_id.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace mctx::internal
