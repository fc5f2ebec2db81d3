// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The error model of libmctx-core.
//
// * Every failure has a typed code (mctx::Errc). Codes also convert to
//   std::error_code through mctx::error_category().
// * Configuration and setup errors are mctx::Error: the code, the errno of the
//   failing system call (0 when none failed) and a sentence that names the
//   offending value and the rule it broke. They allocate; they are never on
//   the per-packet path.
// * Send errors are mctx::SendError: code + errno only, no allocation, so the
//   send path stays allocation-free. message() builds text on demand.
// * Nothing in the core throws on the send path; constructors of value types
//   never throw either (they may only fail allocation).

#include <string>
#include <system_error>

#include "mctx/export.hpp"
#include "mctx/result.hpp"

namespace mctx {

enum class Errc : int {
  ok = 0,

  // --- address / argument parsing
  invalid_address = 1,   // text is not an IPv4/IPv6 address
  invalid_endpoint,      // text is not ADDR:PORT / [ADDR%SCOPE]:PORT
  invalid_interface,     // interface text is neither address, index nor name

  // --- PublicationConfig::validate()
  destination_port_zero = 20,
  group_not_multicast,
  source_port_zero,
  source_unspecified,
  source_multicast,
  source_family_mismatch,
  interface_family_mismatch,
  interface_unspecified,
  interface_multicast,
  interface_index_zero,
  interface_not_found,
  scoped_group_needs_interface,   // ff?1/ff?2 group without pinned interface
  source_interface_mismatch,      // IPv6 source lives on another interface
  source_not_local,               // source address is not configured on this host
  bind_family_mismatch,
  bind_conflicts_with_source,     // bind address/port disagree with source address/port
  invalid_ttl,
  invalid_dscp,
  invalid_send_buffer_size,

  // --- caller-provided sockets
  socket_invalid = 50,         // not an open socket descriptor
  socket_not_datagram,         // not SOCK_DGRAM / UDP
  socket_family_mismatch,
  socket_address_mismatch,     // already bound to another address
  socket_port_mismatch,        // already bound to another port
  socket_options_conflict,     // shared with a publication that set other per-socket options

  // --- Context
  duplicate_publication = 70,
  publication_not_found,

  // --- system calls during setup
  socket_create_failed = 90,
  bind_failed,
  set_option_failed,
  connect_failed,
  interface_lookup_failed,

  // --- send path
  would_block = 110,      // EAGAIN/EWOULDBLOCK: wait for writability and retry
  message_too_long,       // EMSGSIZE
  network_unreachable,    // ENETUNREACH / EHOSTUNREACH / ENODEV / ENXIO (interface gone)
  no_buffer_space,        // ENOBUFS
  permission_denied,      // EPERM / EACCES (firewall, missing capability)
  connection_refused,     // ECONNREFUSED (ICMP error reported on a connected socket)
  send_failed,            // any other errno
  publication_closed,     // the publication's socket was extracted or closed
  interface_down,         // the interface exists but is not up (outage cause, see OutageStatus)

  // --- raw mode
  raw_datagram_too_short = 130,
  raw_bad_version,
  raw_family_mismatch,
  raw_bad_header_length,
  raw_bad_total_length,
  raw_bad_checksum,
  raw_bad_payload_length,
  raw_source_unspecified,
  raw_destination_not_multicast,
  raw_interface_required,
  raw_unsupported_link,
  raw_not_permitted,        // missing CAP_NET_RAW
  raw_unsupported_platform,
  // more datagram rules (validate_raw_datagram; is_raw_datagram_error())
  raw_source_multicast = 150,     // multicast source (224/4, ff00::/8)
  raw_source_loopback,            // 127/8 or ::1
  raw_source_broadcast,           // 255.255.255.255
  raw_source_this_network,        // 0.0.0.0/8 other than 0.0.0.0
  raw_ttl_zero,                   // IPv4 TTL / IPv6 hop limit 0
  raw_destination_bad_scope,      // IPv6 group of scope 0 (reserved) or 1 (interface-local)

  // --- metrics export
  metrics_io_failed = 160,
  metrics_bad_header,
  metrics_locked,
  metrics_invalid_value,

  // --- raw mode, route-selected egress
  raw_no_route = 180,          // send: no usable route in the kernel's main table
  raw_route_lookup_failed,     // send: reading the routing table (rtnetlink) failed
  raw_route_egress_conflict,   // config: route-selected egress with an interface or bind address

  // --- raw IP control transmit (RawIpPublication)
  raw_ip_egress_required = 190,    // config: neither interface nor bind address
  raw_ip_bind_required,            // config: IPv6 without a bind address
  raw_destination_unspecified,     // datagram: destination 0.0.0.0 / ::
  raw_ip_source_mismatch,          // datagram: IPv6 source differs from the bind address
  raw_ip_next_header_unsupported,  // datagram: IPv6 Next Header a kernel-built header cannot carry

  // --- AMT gateway (<mctx/amt.hpp>)
  amt_invalid_config = 200,        // AmtGatewayConfig::validate()
  amt_dns_failed,                  // lookup_amt_relays(), resolve_amt_relay_name(): no usable DNS answer
  // --- SDP and SAP (sdp.hpp, sap.hpp)
  sdp_invalid_field = 210,  // a session description value breaks an SDP rule
  sdp_no_destination,       // a session description without a destination
  sap_no_address,           // the group's scope has no SAP address
  sap_invalid_packet,       // a SAP packet breaks a rule of RFC 2974
  sap_too_large,            // a SAP packet above kSapMaxPacketSize
  sap_buffer_too_small,     // the output buffer cannot hold the packet
  sap_no_description,       // announce before a description was set
  sap_invalid_config,       // SapAnnouncerConfig breaks a rule
};

// Stable, short name of a code ("group_not_multicast").
MCTX_API const char* errc_name(Errc code) noexcept;

MCTX_API const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

// A setup / configuration error with a human-readable message.
struct MCTX_API Error {
  Errc code = Errc::ok;
  int system_errno = 0;   // errno of the failing call, 0 if none
  std::string message;    // names the value and the rule it broke

  // message, plus ": <strerror>" when system_errno is set.
  std::string what() const;
};

MCTX_API Error make_error(Errc code, std::string message, int system_errno = 0);

// A send-path error: no allocation.
struct MCTX_API SendError {
  Errc code = Errc::ok;
  int system_errno = 0;

  bool would_block() const noexcept { return code == Errc::would_block; }
  // True when no later send on this publication can succeed (socket closed
  // or extracted). Everything else is per-packet: count it and go on.
  bool fatal() const noexcept { return code == Errc::publication_closed; }
  std::string message() const;  // allocates; call only when reporting
};

// Maps an errno from sendmsg/sendmmsg to a SendError.
MCTX_API SendError send_error_from_errno(int err) noexcept;

template <class T>
using Res = Result<T, Error>;

}  // namespace mctx

template <>
struct std::is_error_code_enum<mctx::Errc> : std::true_type {};
