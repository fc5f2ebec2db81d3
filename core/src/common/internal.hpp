// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Helpers shared by the sources of libmctx-core (configuration checks, UDP
// and raw publications): message quoting, error construction, address
// comparison, the interface lookups the validators make, and the
// process-wide publication id allocator. Internal header: not installed.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/metrics.hpp"
#include "mctx/publication.hpp"
#include "mctx/raw.hpp"
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
Res<void> check_send_buffer_size(const std::optional<int>& bytes);

// The indexes of the interfaces in `locals` that carry `addr`, in list
// order. A scope on an IPv6 `addr` must name the interface.
std::vector<uint32_t> holders_of(const IpAddress& addr,
                                 const std::vector<platform::LocalAddress>& locals);
// The same over this host's addresses, looked up now; on failure
// Errc::interface_lookup_failed ("looking up the interfaces that carry 'a'").
Res<std::vector<uint32_t>> holders_of(const IpAddress& addr);

// How the interface resolver's messages end, so that each config (UDP, raw,
// raw IP) words its own rule; resolve_interface(spec, family) uses the
// defaults.
struct InterfaceWording {
  // After "interface address 'a' is IPv6": why another family is wrong.
  std::string family_conflict = "";  // default: " but IPv4 is asked for"
  // After "interface address '0.0.0.0' is unspecified: ".
  std::string unspecified_hint = "give a local address, an index or a name";
  // After "interface index 0 is not allowed: ".
  std::string index_zero_hint = "leave the interface unset for system routing";
};

Res<uint32_t> resolve_interface(const InterfaceSpec& spec, Family family,
                                const InterfaceWording& wording);

// The outgoing interface of a raw publication (RawPublicationConfig,
// RawIpConfig) from its interface and bind address: every rule about them
// (family, unspecified, multicast, existence, the bind address on this host
// and on the interface) with messages that name `subject` ("the raw
// publication"). A bind address alone selects the interface that holds it
// for IPv4, and with raw_ip (raw IP control transmit, which never routes)
// for IPv6 too. ifindex 0 when neither selects one.
struct RawEgress {
  uint32_t ifindex = 0;
  std::string origin;                          // "interface 'eth0'", "bind address '...'"
  std::optional<IpAddress> interface_address;  // IPv4 interface given as an address
};
Res<RawEgress> resolve_raw_egress(Family family, const InterfaceSpec& interface,
                                  const std::optional<IpAddress>& bind, const char* subject,
                                  bool raw_ip);

// The IP header rules of validate_raw_datagram() (multicast_only: its
// destination rule) or, without multicast_only, of raw IP control transmit
// (any destination but the unspecified one). Never allocates.
Result<RawDatagramInfo, RawDatagramError> validate_ip_header(const iovec* iov, std::size_t count,
                                                             std::optional<Family> expected,
                                                             bool multicast_only) noexcept;

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

// Records one send_batch() report as one send call in the metrics (as the
// publications count their own): what went out (rep.gso_sends included), and
// the error that stopped it as SendMetrics::record_failed_send counts it
// (would-block, queue-full, an unreachable or other error; a closed
// publication never reached the kernel).
void record_batch(SendMetrics& metrics, const BatchReport& rep) noexcept;

// The outage bookkeeping of one publication (UDP or raw). Updated by the
// sending thread(s), read by any thread. See OutageStatus.
class OutageTracker {
 public:
  bool active() const noexcept { return since_ns_.load(std::memory_order_relaxed) != 0; }
  // `n` datagrams were refused because the network is unreachable. True when
  // this began an outage.
  bool lost(uint64_t n) noexcept;
  // A datagram went out. True when this ended an outage.
  bool sent() noexcept { return active() && end(); }
  // True at most once per kOutageProbeInterval while an outage lasts (the
  // first call of an outage included): time to re-resolve the interface.
  bool probe_due() noexcept;
  void set_cause(Errc cause) noexcept { cause_.store(static_cast<int>(cause), std::memory_order_relaxed); }
  Errc cause() const noexcept { return static_cast<Errc>(cause_.load(std::memory_order_relaxed)); }
  OutageStatus status() const noexcept;

 private:
  bool end() noexcept;
  std::atomic<int64_t> since_ns_{0};  // steady-clock ns of the start (never 0 when active)
  std::atomic<uint64_t> lost_{0};
  std::atomic<int64_t> last_ns_{0};
  std::atomic<uint64_t> last_lost_{0};
  std::atomic<uint64_t> outages_{0};
  std::atomic<int64_t> next_probe_ns_{0};
  std::atomic<int> cause_{0};
};

// One re-resolution of an outage, when one is due (UDP and raw): validate()
// the config again (a Res of a resolved config with interface_index); when
// the interface exists and is up, reattach(resolved) points the socket at it
// (returns Errc::ok or why not) and `ifindex` takes the index. The cause of
// the outage records what was found. Allocates (the lookups): only during an
// outage, at most every kOutageProbeInterval.
template <class Validate, class Reattach>
void recover_interface(OutageTracker& outage, std::atomic<uint32_t>& ifindex, Validate validate,
                       Reattach reattach) noexcept {
  if (!outage.probe_due()) return;
  try {
    auto r = validate();
    if (!r) {
      outage.set_cause(r.error().code);
      return;
    }
    if (r->interface_index != 0 && !platform::interface_is_up(r->interface_index)) {
      outage.set_cause(Errc::interface_down);
      return;
    }
    if (const Errc e = reattach(*r); e != Errc::ok) {
      outage.set_cause(e);
      return;
    }
    ifindex.store(r->interface_index, std::memory_order_relaxed);
    outage.set_cause(Errc::ok);
  } catch (...) {  // std::bad_alloc from the lookups
    outage.set_cause(Errc::interface_lookup_failed);
  }
}

// The outage_reason() sentence for `cause`, naming the configured
// `interface` ("interface 'mctx0'", or "the interface" when none is set) and
// `source` the source address, if any.
std::string outage_reason(Errc cause, const InterfaceSpec& interface,
                          const std::optional<IpAddress>& source);

// The next publication id: unique in the process across UDP and raw
// publications, counting up from 1. Never 0 (0 means "no publication").
PublicationId next_publication_id() noexcept;

}  // namespace mctx::internal
