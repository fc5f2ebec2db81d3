// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw backend of mctxsink (raw-mode=TRUE): each buffer is a complete IPv4 or
// IPv6 datagram, transmitted unchanged through the core's raw publications.
//
// Not available in this build yet: make_raw_backend() fails, so start() fails
// with a clear message. To plug the raw core (<mctx/raw.hpp>) in, implement a
// Backend here and return it from make_raw_backend():
//   * mode(): "raw";
//   * send(iov, n) / send_batch(): validate each datagram
//     (validate_raw_datagram over the iovecs: no copy) and send it through the
//     RawPublication of its family, created on first use; an invalid
//     datagram is returned as a SendError with its raw_* code (keep the
//     RawDatagramError for describe_error()); the element then counts it as
//     dropped and posts a rate-limited warning, and streaming continues;
//     would_block is waited on like in UDP mode; only a closed publication is
//     fatal;
//   * wait_fd(): the descriptor of the family that last reported would-block;
//   * counters(): the sum of both families' SendMetrics;
//   * append_stats(): add "invalid-datagrams" (guint64);
//   * describe(): e.g. "raw IPv4/IPv6 via mctx0"; describe_error(): the
//     validator's sentence (RawDatagramError::message());
//   * used_socket(): nullptr (or a GSocket on a dup, like UDP mode);
//   * shutdown(): nothing special (the raw publications close their sockets).
// Start-time failures (missing CAP_NET_RAW: Errc::raw_not_permitted; IPv6
// without an interface) go through start_error_from(), which maps
// raw_not_permitted to RESOURCE/NOT_AUTHORIZED. Warn at start when group,
// port, ttl or source-address are set (raw mode takes them from each
// datagram). Nothing in gstmctxsink.cpp needs to change; the raw-mode
// property blurb and docs/element.md say "not available" and need updating.

#include "mctxsink-private.hpp"

namespace mctx::gst {

BackendResult make_raw_backend(const Settings& /*settings*/) {
  StartError e;
  e.kind = StartError::Kind::not_supported;
  e.message =
      "raw-mode: raw mode is not available in this build of mctxsink; set raw-mode=false to "
      "send each buffer as a UDP payload";
  e.debug = "make_raw_backend(): no raw backend compiled in";
  return mctx::unexpected(std::move(e));
}

}  // namespace mctx::gst
