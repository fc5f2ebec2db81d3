// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// RawPublication owns one raw socket for one family and sends validated
// datagrams: IPv4 through IPPROTO_RAW (header included), IPv6 through a
// link-layer (AF_PACKET) socket on an explicit interface. It never rewrites
// a datagram and never falls back to UDP.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"
#include "mctx/metrics.hpp"
#include "mctx/publication.hpp"  // PublicationId, OutMessage, OutageStatus
#include "mctx/raw_config.hpp"
#include "mctx/raw_datagram.hpp"

namespace mctx {

// -------------------------------------------------------------- publication

// What one successful raw send did.
struct MCTX_API RawSendReport {
  PublicationId publication_id = 0;
  Family family = Family::ipv4;
  IpAddress source;              // from the datagram's header
  IpAddress destination;         // from the datagram's header
  uint8_t protocol = 0;          // IPv4 protocol / IPv6 fixed header Next Header
  std::size_t bytes_sent = 0;    // the whole datagram, IP header included
  // 0: IPv4 routing chose the interface; with route-selected egress the
  // interface the route gave this datagram.
  uint32_t interface_index = 0;
};

// Why a raw send failed. No allocation. Either the datagram was invalid
// (invalid_datagram(): nothing was sent, `datagram` says why) or the kernel
// refused it (system_errno set; codes as for SendError).
struct MCTX_API RawSendError {
  Errc code = Errc::ok;
  int system_errno = 0;
  RawDatagramError datagram;  // details when invalid_datagram()
  // Route-selected egress found no way out (raw_no_route,
  // raw_route_lookup_failed, raw_unsupported_link, ...): why, as static
  // text, and the datagram's destination. nullptr otherwise.
  const char* route_detail = nullptr;
  IpAddress destination;

  bool invalid_datagram() const noexcept { return datagram.code != Errc::ok; }
  bool would_block() const noexcept { return code == Errc::would_block; }
  // True when no later send can succeed (publication closed).
  bool fatal() const noexcept { return code == Errc::publication_closed; }
  SendError send_error() const noexcept { return SendError{code, system_errno}; }
  std::string message() const;  // allocates; call only when reporting
};

// Counters of one raw publication or context.
struct MCTX_API RawCounters {
  SendCounters send;               // datagrams the kernel accepted / refused
  uint64_t invalid_datagrams = 0;  // rejected by validation, never sent
  friend bool operator==(const RawCounters&, const RawCounters&) = default;
};

// One raw socket for one family. Move-only; the destructor closes the socket.
// send() and send_batch() may be called from several threads at once.
class MCTX_API RawPublication {
 public:
  // Validates the config, then opens and configures the socket.
  // Errc::raw_not_permitted without CAP_NET_RAW.
  static Res<RawPublication> open(const RawPublicationConfig& config);

  RawPublication(RawPublication&&) noexcept;
  RawPublication& operator=(RawPublication&&) noexcept;
  RawPublication(const RawPublication&) = delete;
  RawPublication& operator=(const RawPublication&) = delete;
  ~RawPublication();

  PublicationId id() const noexcept;
  Family family() const noexcept;
  const RawPublicationConfig& config() const noexcept;
  const RawResolvedConfig& resolved() const noexcept;
  uint32_t interface_index() const noexcept;

  // Validates the datagram (as validate_raw_datagram with this family) and
  // sends it unchanged. Never throws, never allocates. Errc::would_block when
  // the socket buffer is full: poll fd() for POLLOUT and send again.
  Result<RawSendReport, RawSendError> send(std::span<const std::byte> datagram) noexcept;
  // The same for a datagram gathered from several buffers (no copy).
  Result<RawSendReport, RawSendError> send(const iovec* iov, std::size_t count) noexcept;

  // Sends several datagrams with as few system calls as possible (Linux:
  // sendmmsg, up to 64 datagrams per call), with the contract of
  // Publication::send_batch: `sent` datagrams from the front went out
  // (bytes_sent counts their IP bytes); if sent < count, `error` says why
  // datagram number `sent` did not, and nothing after it was tried.
  //  * Each datagram is validated (as by send()) before anything of it is
  //    handed to the kernel. The batch stops at the first invalid one: the
  //    datagrams before it are sent, it and everything after it are not.
  //    Then error->code is its raw_* code (is_raw_datagram_error() is true,
  //    system_errno is 0), invalid_datagrams() grows by one, and *invalid,
  //    when given, receives the validator's details (message()).
  //  * would_block: the socket buffer is full; poll fd() for POLLOUT and
  //    submit the rest (from `sent` on) again.
  //  * Any other code: the kernel refused datagram `sent` (codes as for
  //    send()); publication_closed when closed.
  // One call counts as one send call in metrics(), whatever its size; an
  // invalid datagram counts only in invalid_datagrams(). Never throws,
  // never allocates.
  BatchReport send_batch(std::span<const OutMessage> datagrams,
                         RawDatagramError* invalid = nullptr) noexcept;

  // Borrow: the descriptor stays owned by the publication; -1 once closed.
  int fd() const noexcept;
  // Closes the socket now; later sends fail with publication_closed. Call it
  // when no send() is running on another thread.
  void close() noexcept;

  const SendMetrics& metrics() const noexcept;
  uint64_t invalid_datagrams() const noexcept;
  RawCounters counters() const noexcept;

  // Outages (interface down or deleted, bind address removed) as for
  // Publication: at most every kOutageProbeInterval during an outage the
  // interface is resolved again and the socket pointed at it (IPv4
  // IP_MULTICAST_IF, IPv6 the link-layer socket bound to the new index).
  OutageStatus outage() const noexcept;
  std::string outage_reason() const;
  // Reads and discards the error queue (IPv4: IP_RECVERR). Never allocates.
  int drain_errors() noexcept;

  struct State;  // implementation detail

 private:
  explicit RawPublication(std::unique_ptr<State> s) noexcept;
  std::unique_ptr<State> s_;
};

}  // namespace mctx
