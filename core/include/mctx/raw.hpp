// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Raw mode: complete IPv4/IPv6 multicast datagrams sent unchanged, with their
// original source address (for AMT gateways and relays, RFC 7450, and anything
// else that must put a datagram back on a network exactly as it was sent).
// See docs/raw.md.
//
// * validate_raw_datagram() checks one datagram and tells what it is. It reads
//   nothing outside the buffer, never allocates and never throws.
// * build_udp_datagram() writes a complete UDP-in-IP datagram with correct
//   checksums (for tools and tests).
// * RawPublication owns one raw socket for one family and sends validated
//   datagrams: IPv4 through IPPROTO_RAW (header included), IPv6 through a
//   link-layer (AF_PACKET) socket on an explicit interface. It never rewrites
//   a datagram and never falls back to UDP.
// * RawContext owns raw publications by id, like mctx::Context.

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"
#include "mctx/metrics.hpp"
#include "mctx/publication.hpp"  // PublicationId

namespace mctx {

// ---------------------------------------------------------------- datagrams

inline constexpr std::size_t kIpv4MinHeaderSize = 20;
inline constexpr std::size_t kIpv4MaxHeaderSize = 60;
inline constexpr std::size_t kIpv6HeaderSize = 40;
inline constexpr std::size_t kUdpHeaderSize = 8;
// Largest IP datagram raw mode accepts (IPv4 total length / IPv6 payload
// length + 40; IPv6 jumbograms are not supported).
inline constexpr std::size_t kRawMaxDatagramSize = 65535 + kIpv6HeaderSize;

// What validate_raw_datagram() found in a valid datagram.
struct MCTX_API RawDatagramInfo {
  Family family = Family::ipv4;
  IpAddress source;       // as in the header (never unspecified)
  IpAddress destination;  // as in the header (always multicast)
  // IPv4 protocol / IPv6 Next Header of the fixed header (for IPv6 with
  // extension headers this is the first extension header's type).
  uint8_t protocol = 0;
  uint8_t ttl = 0;              // IPv4 TTL / IPv6 hop limit
  uint8_t traffic_class = 0;    // IPv4 TOS / IPv6 traffic class
  uint32_t flow_label = 0;      // IPv6 only
  std::size_t header_size = 0;  // IPv4 IHL * 4 / 40 for IPv6
  std::size_t size = 0;         // whole datagram in bytes
};

// Why a datagram is invalid. Plain data: building it never allocates, so the
// send path can return it; message() formats the sentence on demand
// ("IPv4 total length 60 does not match the datagram size 48").
struct MCTX_API RawDatagramError {
  Errc code = Errc::ok;
  Family family = Family::ipv4;           // family the datagram claims
  Family expected_family = Family::ipv4;  // raw_family_mismatch: configured family
  std::size_t size = 0;                   // bytes in the datagram
  uint32_t value = 0;                     // the offending field's value
  uint32_t expected = 0;                  // what the rule needed (numeric rules)
  IpAddress address;                      // the offending address (address rules)
  IpAddress expected_address;             // raw_ip_source_mismatch: the bind address

  std::string message() const;  // allocates; call only when reporting
};

// Checks one complete IP datagram, in this order:
//   raw_datagram_too_short       empty, IPv4 < 20 bytes, IPv6 < 40 bytes
//   raw_bad_version              version nibble neither 4 nor 6
//   raw_family_mismatch          family differs from `expected` (when given)
//   raw_bad_header_length        IPv4 IHL < 5, or IHL * 4 > datagram size
//   raw_bad_total_length         IPv4 total length != datagram size
//   raw_bad_checksum             IPv4 header checksum wrong
//   raw_bad_payload_length       IPv6 payload length + 40 != datagram size
//   raw_source_unspecified       source 0.0.0.0 / ::
//   raw_source_this_network      IPv4 source in 0.0.0.0/8 (RFC 1122: only
//                                as a source while a host learns its address)
//   raw_source_loopback          source 127.0.0.0/8 / ::1 (never leaves a host)
//   raw_source_multicast         source 224.0.0.0/4 / ff00::/8
//   raw_source_broadcast         IPv4 source 255.255.255.255
//   raw_destination_not_multicast
//   raw_destination_bad_scope    IPv6 group of scope 0 (reserved, ff?0::) or
//                                1 (interface-local, ff?1::: never on a link)
//   raw_ttl_zero                 IPv4 TTL / IPv6 hop limit 0 (RFC 791 and
//                                RFC 8200: such a datagram must not be sent)
// Address rules carry the address in RawDatagramError::address, numeric
// rules the field's value in RawDatagramError::value. Reads only bytes
// inside the buffer for any input. Never allocates, never throws.
//
// is_raw_datagram_error() is true exactly for the codes of this list: a
// datagram rejected by validation, never handed to the kernel.
// (It is also true for the rules only RawIpPublication applies, see
// <mctx/raw_ip.hpp>.)
constexpr bool is_raw_datagram_error(Errc code) noexcept {
  return (code >= Errc::raw_datagram_too_short && code <= Errc::raw_destination_not_multicast) ||
         (code >= Errc::raw_source_multicast && code <= Errc::raw_destination_bad_scope) ||
         (code >= Errc::raw_destination_unspecified &&
          code <= Errc::raw_ip_next_header_unsupported);
}
MCTX_API Result<RawDatagramInfo, RawDatagramError> validate_raw_datagram(
    std::span<const std::byte> datagram, std::optional<Family> expected = std::nullopt) noexcept;
// The same for a datagram gathered from several buffers (any split; empty
// buffers allowed). iov may be null when count is 0.
MCTX_API Result<RawDatagramInfo, RawDatagramError> validate_raw_datagram(
    const iovec* iov, std::size_t count, std::optional<Family> expected = std::nullopt) noexcept;

// The Internet checksum (RFC 1071) of a buffer: the ones' complement of the
// ones' complement sum of its 16-bit big-endian words (an odd last byte is
// padded with zero). Returned in host order.
MCTX_API uint16_t internet_checksum(std::span<const std::byte> data) noexcept;
// Recomputes the header checksum of an IPv4 datagram in place (checksum field
// zeroed first). Does nothing if the buffer is shorter than the header its
// IHL claims, or than 20 bytes. For tools and tests.
MCTX_API void fix_ipv4_header_checksum(std::span<std::byte> datagram) noexcept;

// A UDP-in-IP datagram to build.
struct MCTX_API UdpDatagramSpec {
  IpAddress source;       // written into the header; any address of the family
  IpAddress destination;  // same family as source
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  std::span<const std::byte> payload;
  uint8_t ttl = 1;            // IPv4 TTL / IPv6 hop limit
  uint8_t traffic_class = 0;  // IPv4 TOS byte / IPv6 traffic class
  uint32_t flow_label = 0;    // IPv6, 20 bits
  uint16_t ipv4_id = 0;       // IPv4 identification
  bool ipv4_dont_fragment = false;
  // IPv4 options, written after the fixed header; length a multiple of 4, at
  // most 40 bytes.
  std::span<const std::byte> ipv4_options;
  // IPv6 extension headers, written between the fixed header and UDP exactly
  // as given: the caller chains their Next Header fields, and the last one
  // must name UDP (17). ipv6_first_extension is the fixed header's Next
  // Header when extension headers are present. Length a multiple of 8.
  std::span<const std::byte> ipv6_extension_headers;
  uint8_t ipv6_first_extension = 60;  // Destination Options
};

// Size of the datagram build_udp_datagram() would write.
MCTX_API std::size_t udp_datagram_size(const UdpDatagramSpec& spec) noexcept;
// Writes the datagram into out (IPv4 header checksum and UDP checksum
// computed; a UDP checksum of 0 is sent as 0xffff) and returns its size.
// Errors: source/destination family mismatch (source_family_mismatch),
// flow label > 20 bits, bad option/extension lengths, payload too large
// (message_too_long), out too small (message_too_long).
MCTX_API Res<std::size_t> build_udp_datagram(const UdpDatagramSpec& spec, std::span<std::byte> out);

// ------------------------------------------------------------ capabilities

// What this build and platform can do for one family.
struct MCTX_API RawFamilySupport {
  bool supported = false;           // raw sending of this family is implemented here
  const char* method = "";          // how datagrams are sent
  bool interface_required = false;  // an explicit outgoing interface is needed
  bool local_loopback = false;      // can also deliver to receivers on this host
  const char* kernel_fills = "";    // header fields the kernel may change
  const char* link_types = "";      // links it works on
  // RawPublicationConfig::with_route_selected_egress() works: the interface
  // is chosen per datagram from the kernel's main routing table.
  bool route_selected_egress = false;
  const char* route_egress_method = "";  // how the route is found and followed
};

struct MCTX_API RawCapabilities {
  const char* platform = "";
  RawFamilySupport ipv4;
  RawFamilySupport ipv6;
  // Whether this process may open raw sockets now (probed by opening and
  // closing one; nothing is sent). Without it, opening a RawPublication fails
  // with Errc::raw_not_permitted.
  bool permitted = false;
};

MCTX_API RawCapabilities raw_capabilities() noexcept;

// The sentence used for Errc::raw_not_permitted.
inline constexpr const char* kRawNotPermittedHint =
    "raw mode needs CAP_NET_RAW (run as root, or setcap cap_net_raw+ep on the program)";

// ------------------------------------------------------------ configuration

// What RawPublicationConfig::validate() worked out.
struct MCTX_API RawResolvedConfig {
  Family family = Family::ipv4;
  // Outgoing interface. 0 = chosen per datagram: by route-selected egress
  // (route_selected), or for IPv4 by the kernel's routing (no interface and
  // no bind address given).
  uint32_t interface_index = 0;
  // The interface of each datagram comes from the kernel's main routing
  // table (RawPublicationConfig::with_route_selected_egress()).
  bool route_selected = false;
  std::string interface_name;                  // "" when interface_index is 0
  std::optional<IpAddress> interface_address;  // IPv4: IP_MULTICAST_IF address
  std::optional<IpAddress> bind;               // IPv4: the raw socket binds to it
  bool loopback = false;                       // IPv4 IP_MULTICAST_LOOP; IPv6 always false
  std::optional<int> send_buffer_size;
};

class MCTX_API RawPublicationConfig {
 public:
  RawPublicationConfig() = default;
  explicit RawPublicationConfig(Family family) : family_(family) {}

  // Family of the datagrams this publication sends; every datagram of the
  // other family is rejected (raw_family_mismatch).
  RawPublicationConfig& with_family(Family f) {
    family_ = f;
    return *this;
  }
  // A local address of the sending host. IPv4: the raw socket is bound to it
  // and, without an interface, it selects the egress (the interface that
  // holds it). Both families: it must be configured on this host, and on the
  // interface when one is given. It is never written into datagrams.
  RawPublicationConfig& with_bind(IpAddress a) {
    bind_ = a;
    return *this;
  }
  // Outgoing interface as address, index or name. Required for IPv6.
  RawPublicationConfig& with_interface(InterfaceSpec i) {
    interface_ = std::move(i);
    return *this;
  }
  // IPv4: deliver to receivers on this host too (IP_MULTICAST_LOOP); default
  // on. IPv6 cannot loop back (link-layer injection); setting true is an error.
  RawPublicationConfig& with_loopback(bool on) {
    loopback_ = on;
    return *this;
  }
  // SO_SNDBUF in bytes (> 0); unset = system default.
  RawPublicationConfig& with_send_buffer_size(int bytes) {
    send_buffer_size_ = bytes;
    return *this;
  }
  // Route-selected egress: each datagram leaves by the interface of the
  // route the kernel's main routing table holds for its destination (and
  // source): longest prefix, then lowest metric. The decision is cached and
  // taken again when a link or route changes (rtnetlink notifications), so a
  // route change moves the stream and a re-created interface is found again.
  // A datagram without a usable route fails alone (Errc::raw_no_route).
  // Refuses an interface or bind address (raw_route_egress_conflict). For
  // IPv6 this replaces the explicit interface; link-local and
  // interface-local groups still need one. See docs/raw.md.
  RawPublicationConfig& with_route_selected_egress(bool on = true) {
    route_selected_egress_ = on;
    return *this;
  }

  Family family() const noexcept { return family_; }
  const std::optional<IpAddress>& bind() const noexcept { return bind_; }
  const InterfaceSpec& interface() const noexcept { return interface_; }
  const std::optional<bool>& loopback() const noexcept { return loopback_; }
  const std::optional<int>& send_buffer_size() const noexcept { return send_buffer_size_; }
  bool route_selected_egress() const noexcept { return route_selected_egress_; }

  // Checks every rule and resolves the interface, looking at the host's
  // interfaces; creates no socket. Errors: bind_family_mismatch,
  // source_unspecified / source_multicast (bind), source_not_local (bind not
  // on this host), interface_* (as for UDP), interface_not_found,
  // source_interface_mismatch (bind on another interface),
  // raw_interface_required (IPv6 without interface or route-selected
  // egress), raw_route_egress_conflict, raw_unsupported_link
  // (IPv6 on a non-Ethernet link), raw_unsupported_platform (IPv6 loopback
  // requested, or no raw support on this platform),
  // invalid_send_buffer_size, interface_lookup_failed.
  Res<RawResolvedConfig> validate() const;

  friend bool operator==(const RawPublicationConfig&, const RawPublicationConfig&) = default;

 private:
  Family family_ = Family::ipv4;
  std::optional<IpAddress> bind_;
  InterfaceSpec interface_;
  std::optional<bool> loopback_;
  std::optional<int> send_buffer_size_;
  bool route_selected_egress_ = false;
};

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

// ------------------------------------------------------------------ context

// Owns raw publications by stable id. Not thread-safe for add/take/remove;
// send() may run concurrently with snapshot() from another thread.
class MCTX_API RawContext {
 public:
  RawContext();
  ~RawContext();
  RawContext(const RawContext&) = delete;
  RawContext& operator=(const RawContext&) = delete;

  // Opens a publication and adds it. Errc::duplicate_publication if one with
  // an equal config exists.
  Res<PublicationId> add(const RawPublicationConfig& config);
  // Adds an already open publication. An equal config or id, or a closed
  // publication, is rejected; the publication then stays with the caller.
  Res<PublicationId> add(RawPublication&& publication);

  RawPublication* get(PublicationId id) noexcept;
  const RawPublication* get(PublicationId id) const noexcept;
  // Removes and returns the publication, still open.
  std::optional<RawPublication> take(PublicationId id);
  // Removes and closes. False if no such id.
  bool remove(PublicationId id);

  std::size_t size() const noexcept;
  void for_each(const std::function<void(RawPublication&)>& f);

  // Sends through one publication; Errc::publication_not_found if unknown.
  Result<RawSendReport, RawSendError> send(PublicationId id,
                                           std::span<const std::byte> datagram) noexcept;
  Result<RawSendReport, RawSendError> send(PublicationId id, const iovec* iov,
                                           std::size_t count) noexcept;

  // Lifetime totals of publications added/removed and of sends made through
  // the context. Never go down. Safe from any thread.
  Snapshot snapshot() const noexcept;
  uint64_t invalid_datagrams() const noexcept;

 private:
  struct Impl;  // the publications and totals (an internal registry)
  std::unique_ptr<Impl> impl_;
};

}  // namespace mctx
