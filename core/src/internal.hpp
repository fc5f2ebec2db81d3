// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Helpers shared by the sources of libmctx-core (configuration checks, UDP
// and raw publications): message quoting, error construction, address
// comparison, the interface lookups the validators make, and the
// process-wide publication id allocator. Internal header: not installed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/metrics.hpp"
#include "mctx/publication.hpp"
#include "mctx/result.hpp"
#include "platform/platform.hpp"

namespace mctx::internal {

// "'text'": how messages quote a value.
std::string q(std::string_view s);
std::string q(const IpAddress& a);

// An error result with `message` (and the errno of the failing call, if any).
Unexpected<Error> fail(Errc code, std::string message, int err = 0);

// Same family and bytes; the IPv6 scope is not compared.
bool same_address(const IpAddress& a, const IpAddress& b) noexcept;

// The send buffer size rule of every publication config: unset, or a
// positive number of bytes (Errc::invalid_send_buffer_size).
Res<bool> check_send_buffer_size(const std::optional<int>& bytes);

// The indexes of the interfaces in `locals` that carry `addr`, in list
// order. A scope on an IPv6 `addr` must name the interface.
std::vector<uint32_t> holders_of(const IpAddress& addr,
                                 const std::vector<platform::LocalAddress>& locals);
// The same over this host's addresses, looked up now; on failure
// Errc::interface_lookup_failed ("looking up the interfaces that carry 'a'").
Res<std::vector<uint32_t>> holders_of(const IpAddress& addr);

// ---- the batch bookkeeping of UDP and raw send_batch() ------------------

// Sends `count` datagrams through `send_chunk(offset, remaining, &bytes)` (a
// platform batch call: datagrams accepted > 0, or -errno) until all went out
// or one failed. Adds what went out to rep.sent / rep.bytes_sent; a failure
// sets rep.error. Returns how many went out.
template <class SendChunk>
std::size_t drain(std::size_t count, BatchReport& rep, SendChunk&& send_chunk) noexcept {
  std::size_t off = 0;
  while (off < count) {
    const long n = send_chunk(off, count - off, &rep.bytes_sent);
    if (n < 0) {
      rep.error = send_error_from_errno(static_cast<int>(-n));
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  rep.sent += off;
  return off;
}

// Records one send_batch() call as one send call in the metrics: what went
// out, and the kernel error that stopped it as one error or one would-block.
// `kernel_stop` false: the batch stopped before something the kernel never
// saw (an invalid raw datagram), which the caller counts itself.
void record_batch(SendMetrics& metrics, const BatchReport& rep, bool kernel_stop,
                  uint64_t gso_sends = 0) noexcept;

// The next publication id: unique in the process across UDP and raw
// publications, counting up from 1. Never 0 (0 means "no publication").
PublicationId next_publication_id() noexcept;

}  // namespace mctx::internal
