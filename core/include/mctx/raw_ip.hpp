// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Raw IP control transmit: complete, caller-built IPv4/IPv6 datagrams of any
// protocol toward a unicast or multicast destination, out of an explicitly
// selected interface. For the control messages a gateway generates (ICMPv4
// Fragmentation Needed, ICMPv6 Packet Too Big for an AMT gateway, RFC 7450);
// mctx builds no ICMP and applies no AMT policy. Separate from raw mode
// (<mctx/raw.hpp>), which forwards multicast data. See docs/raw.md, "Raw IP
// control transmit".
//
// * IPv4: the datagram is the packet (IP_HDRINCL); its header is validated
//   (version, IHL, total length, checksum, no unspecified address).
// * IPv6: there is no header-included path here. The kernel builds the base
//   header from the socket: source = the bind address (required, and the
//   datagram's source must equal it), destination, Next Header, hop limit and
//   traffic class taken from the datagram (a protocol socket per Next Header
//   / traffic class / hop limit, at most kRawIpSocketCacheSize kept open).
//   Link-local destinations get the interface as scope.
// * The interface is pinned (SO_BINDTOIFINDEX, IP_MULTICAST_IF /
//   IPV6_MULTICAST_IF); a datagram never takes another route.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"
#include "mctx/metrics.hpp"
#include "mctx/publication.hpp"  // PublicationId
#include "mctx/raw.hpp"          // RawDatagramInfo, RawDatagramError, RawSendError

namespace mctx {

// IPv6 protocol sockets one RawIpPublication keeps open (one per Next
// Header, traffic class and hop limit in use; the least recently used is
// closed when another is needed).
inline constexpr std::size_t kRawIpSocketCacheSize = 16;

// Checks one complete caller-built datagram, in this order:
//   raw_datagram_too_short, raw_bad_version, raw_family_mismatch,
//   raw_bad_header_length, raw_bad_total_length, raw_bad_checksum (IPv4),
//   raw_bad_payload_length (IPv6), raw_source_unspecified,
//   raw_source_this_network, raw_source_loopback, raw_source_multicast,
//   raw_source_broadcast (as validate_raw_datagram),
//   raw_destination_unspecified, raw_ttl_zero,
//   raw_ip_next_header_unsupported (IPv6 Next Header 0, Hop-by-Hop
//     Options, or 255: a kernel-built header cannot carry them),
//   raw_ip_source_mismatch (IPv6, when `bind` is given: the source must
//     equal it; RawDatagramError::address is the source,
//     expected_address the bind address).
// Unicast and multicast destinations are both valid. Reads only bytes
// inside the buffers; never allocates, never throws.
MCTX_API Result<RawDatagramInfo, RawDatagramError> validate_raw_ip_datagram(
    const iovec* iov, std::size_t count, std::optional<Family> expected = std::nullopt,
    const IpAddress* bind = nullptr) noexcept;
MCTX_API Result<RawDatagramInfo, RawDatagramError> validate_raw_ip_datagram(
    std::span<const std::byte> datagram, std::optional<Family> expected = std::nullopt,
    const IpAddress* bind = nullptr) noexcept;

// What this platform can do for raw IP control transmit, per family.
struct MCTX_API RawIpFamilySupport {
  bool supported = false;
  const char* method = "";
  // "datagram": the caller's datagram is the packet (IPv4);
  // "kernel-built-header": the kernel builds the base header (IPv6).
  const char* header = "";
  const char* preserved = "";        // what reaches the wire as the caller wrote it
  const char* kernel_rebuilds = "";  // what the kernel writes itself
};

struct MCTX_API RawIpCapabilities {
  const char* platform = "";
  RawIpFamilySupport ipv4;
  RawIpFamilySupport ipv6;
  bool permitted = false;  // CAP_NET_RAW held (probed; nothing is sent)
};

MCTX_API RawIpCapabilities raw_ip_capabilities() noexcept;

// What RawIpConfig::validate() worked out.
struct MCTX_API RawIpResolvedConfig {
  Family family = Family::ipv4;
  uint32_t interface_index = 0;  // never 0
  std::string interface_name;
  std::optional<IpAddress> bind;  // IPv6: always set (link-local: scoped)
  std::optional<int> send_buffer_size;
};

class MCTX_API RawIpConfig {
 public:
  RawIpConfig() = default;
  explicit RawIpConfig(Family family) : family_(family) {}

  RawIpConfig& with_family(Family f) {
    family_ = f;
    return *this;
  }
  // The interface, as a local address, an index or a name.
  RawIpConfig& with_interface(InterfaceSpec i) {
    interface_ = std::move(i);
    return *this;
  }
  // A local address the socket binds to; alone it selects the interface
  // that holds it. Required for IPv6, where it is the source of every
  // datagram. With an interface it must be on that interface.
  RawIpConfig& with_bind(IpAddress a) {
    bind_ = a;
    return *this;
  }
  RawIpConfig& with_send_buffer_size(int bytes) {
    send_buffer_size_ = bytes;
    return *this;
  }

  Family family() const noexcept { return family_; }
  const InterfaceSpec& interface() const noexcept { return interface_; }
  const std::optional<IpAddress>& bind() const noexcept { return bind_; }
  const std::optional<int>& send_buffer_size() const noexcept { return send_buffer_size_; }

  // Every rule, looking at the host's interfaces; opens no socket. Errors:
  // the interface and bind rules of RawPublicationConfig (family mismatch,
  // unspecified, multicast, interface_not_found, interface_index_zero,
  // source_not_local, source_interface_mismatch), raw_ip_egress_required
  // (neither interface nor bind address), raw_ip_bind_required (IPv6 without
  // bind address), invalid_send_buffer_size, raw_unsupported_platform.
  Res<RawIpResolvedConfig> validate() const;

  friend bool operator==(const RawIpConfig&, const RawIpConfig&) = default;

 private:
  Family family_ = Family::ipv4;
  InterfaceSpec interface_;
  std::optional<IpAddress> bind_;
  std::optional<int> send_buffer_size_;
};

// What one successful send did.
struct MCTX_API RawIpSendReport {
  PublicationId publication_id = 0;
  Family family = Family::ipv4;
  IpAddress source;            // from the datagram
  IpAddress destination;       // from the datagram (IPv6 link-local: with the scope used)
  uint8_t protocol = 0;        // IPv4 protocol / IPv6 Next Header
  std::size_t bytes_sent = 0;  // the whole datagram, IP header included
  uint32_t interface_index = 0;
};

// Public (exported) because mctx-raw-send --datagram sends through it and
// applications send control traffic (IGMP, MLD, AMT) the same way; the
// context that groups several of them (RawIpContext) is internal.
//
// One raw socket (IPv4) or a small set of protocol sockets (IPv6) pinned to
// one interface. Move-only; the destructor closes the sockets. send() may be
// called from several threads: sends are serialised (the IPv6 socket cache
// is shared), which suits control traffic.
class MCTX_API RawIpPublication {
 public:
  // Validates, then opens the IPv4 socket, or the IPv6 ICMPv6 socket
  // (traffic class 0, hop limit 255; other protocol sockets open on first
  // use). Errc::raw_not_permitted without CAP_NET_RAW.
  static Res<RawIpPublication> open(const RawIpConfig& config);

  RawIpPublication(RawIpPublication&&) noexcept;
  RawIpPublication& operator=(RawIpPublication&&) noexcept;
  RawIpPublication(const RawIpPublication&) = delete;
  RawIpPublication& operator=(const RawIpPublication&) = delete;
  ~RawIpPublication();

  PublicationId id() const noexcept;
  Family family() const noexcept;
  const RawIpConfig& config() const noexcept;
  const RawIpResolvedConfig& resolved() const noexcept;

  // Validates (validate_raw_ip_datagram with this family and, for IPv6, the
  // bind address) and sends the datagram. Never throws. No allocation; an
  // IPv6 datagram with a new Next Header / traffic class / hop limit
  // combination opens a socket (system calls only). Errors: RawSendError
  // with invalid_datagram() (nothing sent), would_block (poll fd() for
  // POLLOUT), the kernel's errno otherwise (codes as SendError).
  Result<RawIpSendReport, RawSendError> send(std::span<const std::byte> datagram) noexcept;
  Result<RawIpSendReport, RawSendError> send(const iovec* iov, std::size_t count) noexcept;

  // Borrow: the IPv4 socket, or the IPv6 socket the last send used (the one
  // to poll after would_block; before the first send the ICMPv6 socket); -1
  // once closed.
  int fd() const noexcept;
  // Number of IPv6 protocol sockets open now (at most kRawIpSocketCacheSize).
  std::size_t open_sockets() const noexcept;
  void close() noexcept;

  const SendMetrics& metrics() const noexcept;
  uint64_t invalid_datagrams() const noexcept;

  struct State;  // implementation detail

 private:
  explicit RawIpPublication(std::unique_ptr<State> s) noexcept;
  std::unique_ptr<State> s_;
};

}  // namespace mctx
