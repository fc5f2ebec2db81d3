// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Publication: one non-blocking UDP socket, bound and configured as its
// PublicationConfig says, connected to the multicast group.
//
// Ownership: a Publication owns its socket descriptor and closes it when
// destroyed, unless it was extracted with extract(). Move-only.

#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "mctx/address.hpp"
#include "mctx/config.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"
#include "mctx/metrics.hpp"

namespace mctx {

// Stable identifier of a publication, unique within the process.
using PublicationId = uint64_t;

// What one successful send did.
// The addresses of a publication's datagrams: fixed once it is open.
struct MCTX_API FlowEndpoints {
  Endpoint destination;  // group and port (scope ID per the scope rule)
  Endpoint local;        // the socket's bound address and port
  IpAddress source;      // source address on the wire, if known (= local.address)
};

// What one successful send did. The addresses are the publication's own,
// not copied per send: `flow` points into the publication and stays valid
// while the publication is open (moving the Publication keeps it valid;
// closing, extracting or destroying it ends it). Copy what you keep longer.
struct MCTX_API SendReport {
  PublicationId publication_id = 0;
  std::size_t bytes_sent = 0;
  const FlowEndpoints* flow = nullptr;  // never null in a successful send's report

  const Endpoint& destination() const noexcept { return flow->destination; }
  const Endpoint& local() const noexcept { return flow->local; }
  const IpAddress& source() const noexcept { return flow->source; }
};

// One datagram for send_batch(): gathered from iovecs, not copied.
struct MCTX_API OutMessage {
  const iovec* iov = nullptr;
  std::size_t iov_count = 0;
};

// What one send_batch() did: `sent` datagrams (from the front) went out.
// If sent < count, either `error` says why the next one did not
// (would_block: wait and resubmit the rest), or, on a paced publication,
// `pace_delay` > 0 says how long to wait before resubmitting the rest.
struct MCTX_API BatchReport {
  PublicationId publication_id = 0;
  std::size_t sent = 0;
  std::size_t bytes_sent = 0;
  std::optional<SendError> error;
  std::chrono::nanoseconds pace_delay{0};
  // Of the messages that went out, how many carried several datagrams
  // (segmentation offload); 0 for raw publications.
  std::size_t gso_sends = 0;
};

// Segmentation offload (GSO) on one publication.
enum class GsoState : uint8_t {
  off,          // the config turned it off
  unsupported,  // the kernel has no UDP_SEGMENT (error: the probe's errno)
  ready,        // the kernel knows UDP_SEGMENT; no segmentation send yet
  active,       // the kernel accepted segmentation sends
  refused,      // the kernel refused one (error: its errno): one message
                // per datagram from then on, for good
  avoided,      // not used: a qdisc on the interface (qdisc) segments such
                // sends itself and drops segments without telling the
                // sender, so queue-full could not be counted
};
MCTX_API const char* gso_state_name(GsoState s) noexcept;  // "off", "unsupported", ...

struct MCTX_API GsoStatus {
  GsoState state = GsoState::off;
  int error = 0;                // errno of the probe or of the refusal
  std::size_t max_segment = 0;  // largest datagram a segmentation send holds
  // True while batches go out as segmentation sends (ready or active).
  bool in_use() const noexcept { return state == GsoState::ready || state == GsoState::active; }
};

// Which pacing is in effect on one publication.
struct MCTX_API PacingStatus {
  uint64_t rate = 0;         // bits per second at the IP level; 0 = unpaced
  bool sender = false;       // the publication paces (Publication::pace_delay)
  int kernel_error = 0;      // errno of SO_MAX_PACING_RATE, 0 = set
  std::string qdisc;         // root qdisc of the interface ("" = unknown)
  // SO_MAX_PACING_RATE is set and the interface's root qdisc is fq, which
  // honours it: the kernel paces too.
  bool kernel() const noexcept { return rate != 0 && kernel_error == 0 && qdisc == "fq"; }
  // "unpaced", "sender" or "sender+fq": for logs and metrics.
  const char* mode() const noexcept;
};

// The (source, group, port) tuple that wire formats such as SAP/SDP or AMT
// announce. source is the effective local source address (may be
// unspecified if the socket was never bound and routing has not chosen one).
struct MCTX_API AnnounceTuple {
  IpAddress source;
  IpAddress group;
  uint16_t port = 0;
};

// An outage: a time during which sends fail because the network is
// unreachable (the interface is down or was deleted, the source address was
// removed). It begins with the first datagram refused for that reason and
// ends with the next datagram that goes out. While it lasts, the publication
// re-resolves its interface at most every kOutageProbeInterval, on the
// sending thread, and re-applies the multicast interface when the interface
// (given by name or by address) is back, possibly with another index. See
// docs/reliability.md.
struct MCTX_API OutageStatus {
  bool active = false;   // an outage is going on now
  uint64_t outages = 0;  // outages that began since the publication opened
  // The current outage so far, else the last one (0 when there was none).
  std::chrono::nanoseconds duration{0};
  uint64_t datagrams_lost = 0;
  // What the last re-resolution found: interface_not_found (deleted),
  // interface_down, source_not_local (source address removed), ... ; ok
  // when it found nothing wrong (or did not run yet).
  Errc cause = Errc::ok;
};

// How often an outage re-resolves the interface, at most.
inline constexpr std::chrono::milliseconds kOutageProbeInterval{250};

// How long the project's senders (mctxsink, the CLIs) wait before sending a
// datagram again that a full local queue refused (ENOBUFS): short against
// the queue's drain time, long enough not to spin.
inline constexpr std::chrono::milliseconds kQueueFullRetryDelay{2};

// A socket handed back by extract(): the caller now owns fd.
struct MCTX_API ExtractedSocket {
  int fd = -1;
  PublicationId id = 0;
  PublicationConfig config;
};

class MCTX_API Publication {
 public:
  // Validates the config and opens a new socket.
  static Res<Publication> open(const PublicationConfig& config);

  // Adopts a caller-provided socket. Checks, before changing anything, that
  // fd is an open UDP socket of the group's family; if it is already bound,
  // that its address and port match the config's bind/source (typed
  // mismatch errors); if other publications of this process use the socket,
  // that they set the same per-socket options (TTL / hop limit, loopback,
  // interface, DSCP, send buffer size: Errc::socket_options_conflict).
  // Then applies the config (the first publication on the socket only) and
  // binds it if it is unbound (as asked, else to the wildcard address with
  // an ephemeral port). The socket is never connected and its blocking mode
  // is left alone: every datagram names the destination and is sent with
  // MSG_DONTWAIT, so one socket can serve several publications and a
  // receiver. A failure puts back every option set so far (docs/usage.md
  // names the one limit).
  // Ownership: fd stays the caller's in every case. On success the
  // publication sends through its own dup() of it (fd() returns that
  // duplicate), so closing fd, or reusing its number, does not affect it.
  static Res<Publication> adopt(int fd, const PublicationConfig& config);

  Publication(Publication&&) noexcept;
  Publication& operator=(Publication&&) noexcept;
  Publication(const Publication&) = delete;
  Publication& operator=(const Publication&) = delete;
  ~Publication();

  PublicationId id() const noexcept;
  const PublicationConfig& config() const noexcept;
  const ResolvedConfig& resolved() const noexcept;
  const Endpoint& destination() const noexcept;
  // Bound local address/port as the kernel reports it after connect() (open)
  // or bind (adopt: the address may be the wildcard).
  const Endpoint& local() const noexcept;
  uint32_t interface_index() const noexcept;
  AnnounceTuple announce_tuple() const;
  // One line for logs: what the socket has now, e.g. "127.0.0.1:40321 ->
  // 239.1.2.3:5004, interface lo (index 1), send buffer 212992 bytes (system
  // default), TTL 1, loopback on, DSCP not set (system default)". The bound
  // address/port come from getsockname, the send buffer is SO_SNDBUF as the
  // kernel reports it (Linux doubles the requested size). Allocates.
  std::string describe() const;

  // Sends one datagram. Never throws, never allocates (except, at most every
  // kOutageProbeInterval during an outage, to re-resolve the interface).
  // Errc::would_block when the socket buffer is full: wait for writability
  // (poll fd() for POLLOUT) and send again. Errc::no_buffer_space when the
  // local queue (a qdisc) refused the datagram: send it again after a short
  // wait, or drop it. Errc::network_unreachable during an outage (outage()).
  Result<SendReport, SendError> send(std::span<const std::byte> payload) noexcept;
  // Sends one datagram gathered from several buffers (no copy).
  Result<SendReport, SendError> send(const iovec* iov, std::size_t count) noexcept;
  // Sends many datagrams with as few system calls as possible (sendmmsg on
  // Linux), runs of equal-size datagrams as segmentation sends where the
  // kernel accepts them (see gso()). Receivers see the same datagrams in the
  // same order either way. On a paced publication it sends what the pacer
  // allows now and reports how long to wait for the rest (pace_delay).
  // Never throws, never allocates.
  BatchReport send_batch(std::span<const OutMessage> messages) noexcept;

  // Paced publication (config max_rate > 0): 0 when the next datagram may
  // go now (always when unpaced); otherwise how long to wait, which is until
  // a whole burst may go (docs/performance.md, "Pacing"): a sender that is
  // held back wakes once per burst, not once per datagram. send() does not
  // wait: it charges the pacer, so a caller that sends single datagrams
  // asks this first.
  std::chrono::nanoseconds pace_delay() const noexcept;

  GsoStatus gso() const noexcept;
  // GsoState::avoided: the kind of the qdisc on the interface that made the
  // publication avoid segmentation offload ("tbf", "taprio", "cake", a
  // static string); otherwise nullptr.
  const char* gso_avoided_by() const noexcept;
  const PacingStatus& pacing() const noexcept;

  // Borrow: the descriptor stays owned by the publication. -1 after extract().
  int fd() const noexcept;
  // Releases ownership: the caller gets the descriptor (still configured;
  // connected unless the publication was adopted), the id and the config;
  // this publication becomes closed.
  ExtractedSocket extract() noexcept;

  const SendMetrics& metrics() const noexcept;

  // The current or last outage. Safe from any thread.
  OutageStatus outage() const noexcept;
  // Why the network is unreachable, in words, from the last re-resolution:
  // "interface 'mctx0' does not exist", "source address '192.0.2.1' is no
  // longer configured on this host", ... For reports; allocates.
  std::string outage_reason() const;

  // Reads and discards the socket's error queue and pending error (the
  // socket reports errors with IP_RECVERR / IPV6_RECVERR). Call it when
  // poll() reports POLLERR on fd(), so a writability wait does not spin.
  // Returns how many queued errors were read. Never allocates.
  int drain_errors() noexcept;

  struct State;  // implementation detail

 private:
  explicit Publication(std::unique_ptr<State> s) noexcept;
  std::unique_ptr<State> s_;
};

}  // namespace mctx
