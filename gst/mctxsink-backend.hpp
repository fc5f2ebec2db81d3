// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Where mctxsink sends (not installed): the Backend interface, and the UDP
// (mctxsink-udp.cpp) and raw (mctxsink-raw.cpp) backends. UdpBackend wraps
// one mctx::Publication; RawBackend one raw publication per IP family.

#include <gio/gio.h>
#include <gst/gst.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "mctx/error.hpp"
#include "mctx/metrics.hpp"
#include "mctx/publication.hpp"
#include "mctx/result.hpp"
#include "mctxsink-errors.hpp"
#include "mctxsink-log.hpp"  // the backends log into the mctxsink category
#include "mctxsink-settings.hpp"

namespace mctx::gst {

// Backend: where render() sends. All send functions are noexcept, never
// allocate and are called from the streaming thread only; counters() and
// append_stats() may run on any thread at the same time.

class Backend {
 public:
  virtual ~Backend() = default;

  // "udp" or "raw": the `mode` field of mctx-metrics.
  virtual const char* mode() const noexcept = 0;

  // One datagram gathered from iov (no copy). nullopt on success.
  virtual std::optional<mctx::SendError> send(const iovec* iov, std::size_t count) noexcept = 0;

  // Many datagrams; same contract as mctx::Publication::send_batch(): the
  // first `sent` went out, `error` says why the next one did not.
  virtual mctx::BatchReport send_batch(std::span<const mctx::OutMessage> messages) noexcept = 0;

  // How long to wait before the next datagram may go (a paced publication,
  // max-rate); 0 = now.
  virtual std::chrono::nanoseconds pace_delay() const noexcept { return {}; }
  // Whether pace_delay() can ever be > 0; fixed for the backend's life, so
  // that an unpaced destination asks nothing per datagram.
  virtual bool paced() const noexcept { return false; }

  // The descriptor to poll for writability after a would-block error.
  virtual int wait_fd() const noexcept = 0;

  // Cumulative counters of everything this backend sent.
  virtual mctx::SendCounters counters() const noexcept = 0;

  // Backend-specific fields of the mctx-metrics structure (UDP: the local
  // address and port; raw: invalid-datagrams).
  virtual void append_stats(GstStructure* s) const = 0;

  // The socket in use as a GSocket (a new reference), or nullptr.
  virtual GSocket* used_socket() const = 0;

  // Where packets go, for messages: "239.1.2.3:5004".
  virtual std::string describe() const = 0;

  // What the socket has now, for the start log (UDP: the core's
  // Publication::describe(): bound address and port, interface name and
  // index, effective send buffer, TTL, loopback, DSCP).
  virtual std::string describe_socket() const { return describe(); }

  // The sentence for a send error this backend returned (streaming thread,
  // only when a warning is posted). A raw backend can give the validator's
  // detail ("IPv4 total length 60 does not match the datagram size 48").
  virtual std::string describe_error(const mctx::SendError& e) const { return e.message(); }

  // Reads and discards the socket error queue(s) after poll() reported
  // POLLERR (the sockets report errors with IP_RECVERR / IPV6_RECVERR).
  virtual void drain_errors() noexcept {}

  // A warning the element posts once after a successful start ("" = none),
  // e.g. raw mode naming the properties it ignores.
  virtual std::string start_warning() const { return {}; }

  // The UDP publication (for the SDP of the stream), or nullptr (raw mode).
  virtual const mctx::Publication* publication() const noexcept { return nullptr; }

  // Called once at stop(), before destruction. close_caller_socket is the
  // close-socket property at that moment.
  virtual void shutdown(bool close_caller_socket) noexcept = 0;
};

using BackendResult = mctx::Result<std::unique_ptr<Backend>, StartError>;

// UDP mode: opens a publication, or adopts settings.socket.
BackendResult make_udp_backend(const Settings& settings);

// Raw mode (raw-mode=TRUE): raw IPv4/IPv6 publications opened per family on
// first use. See mctxsink-raw.cpp.
BackendResult make_raw_backend(const Settings& settings);


}  // namespace mctx::gst
