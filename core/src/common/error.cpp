// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "mctx/error.hpp"

#include <cerrno>
#include <cstring>
#include <string>

namespace mctx {

const char* errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::ok: return "ok";
    case Errc::invalid_address: return "invalid_address";
    case Errc::invalid_endpoint: return "invalid_endpoint";
    case Errc::invalid_interface: return "invalid_interface";
    case Errc::destination_port_zero: return "destination_port_zero";
    case Errc::group_not_multicast: return "group_not_multicast";
    case Errc::source_port_zero: return "source_port_zero";
    case Errc::source_unspecified: return "source_unspecified";
    case Errc::source_multicast: return "source_multicast";
    case Errc::source_family_mismatch: return "source_family_mismatch";
    case Errc::interface_family_mismatch: return "interface_family_mismatch";
    case Errc::interface_unspecified: return "interface_unspecified";
    case Errc::interface_multicast: return "interface_multicast";
    case Errc::interface_index_zero: return "interface_index_zero";
    case Errc::interface_not_found: return "interface_not_found";
    case Errc::scoped_group_needs_interface: return "scoped_group_needs_interface";
    case Errc::source_interface_mismatch: return "source_interface_mismatch";
    case Errc::source_not_local: return "source_not_local";
    case Errc::bind_family_mismatch: return "bind_family_mismatch";
    case Errc::bind_conflicts_with_source: return "bind_conflicts_with_source";
    case Errc::invalid_ttl: return "invalid_ttl";
    case Errc::invalid_dscp: return "invalid_dscp";
    case Errc::invalid_send_buffer_size: return "invalid_send_buffer_size";
    case Errc::socket_invalid: return "socket_invalid";
    case Errc::socket_not_datagram: return "socket_not_datagram";
    case Errc::socket_family_mismatch: return "socket_family_mismatch";
    case Errc::socket_address_mismatch: return "socket_address_mismatch";
    case Errc::socket_port_mismatch: return "socket_port_mismatch";
    case Errc::socket_options_conflict: return "socket_options_conflict";
    case Errc::duplicate_publication: return "duplicate_publication";
    case Errc::publication_not_found: return "publication_not_found";
    case Errc::socket_create_failed: return "socket_create_failed";
    case Errc::bind_failed: return "bind_failed";
    case Errc::set_option_failed: return "set_option_failed";
    case Errc::connect_failed: return "connect_failed";
    case Errc::interface_lookup_failed: return "interface_lookup_failed";
    case Errc::would_block: return "would_block";
    case Errc::message_too_long: return "message_too_long";
    case Errc::network_unreachable: return "network_unreachable";
    case Errc::no_buffer_space: return "no_buffer_space";
    case Errc::permission_denied: return "permission_denied";
    case Errc::connection_refused: return "connection_refused";
    case Errc::send_failed: return "send_failed";
    case Errc::publication_closed: return "publication_closed";
    case Errc::interface_down: return "interface_down";
    case Errc::raw_datagram_too_short: return "raw_datagram_too_short";
    case Errc::raw_bad_version: return "raw_bad_version";
    case Errc::raw_family_mismatch: return "raw_family_mismatch";
    case Errc::raw_bad_header_length: return "raw_bad_header_length";
    case Errc::raw_bad_total_length: return "raw_bad_total_length";
    case Errc::raw_bad_checksum: return "raw_bad_checksum";
    case Errc::raw_bad_payload_length: return "raw_bad_payload_length";
    case Errc::raw_source_unspecified: return "raw_source_unspecified";
    case Errc::raw_destination_not_multicast: return "raw_destination_not_multicast";
    case Errc::raw_interface_required: return "raw_interface_required";
    case Errc::raw_unsupported_link: return "raw_unsupported_link";
    case Errc::raw_not_permitted: return "raw_not_permitted";
    case Errc::raw_unsupported_platform: return "raw_unsupported_platform";
    case Errc::raw_source_multicast: return "raw_source_multicast";
    case Errc::raw_source_loopback: return "raw_source_loopback";
    case Errc::raw_source_broadcast: return "raw_source_broadcast";
    case Errc::raw_source_this_network: return "raw_source_this_network";
    case Errc::raw_ttl_zero: return "raw_ttl_zero";
    case Errc::raw_destination_bad_scope: return "raw_destination_bad_scope";
    case Errc::raw_no_route: return "raw_no_route";
    case Errc::raw_route_lookup_failed: return "raw_route_lookup_failed";
    case Errc::raw_route_egress_conflict: return "raw_route_egress_conflict";
    case Errc::raw_ip_egress_required: return "raw_ip_egress_required";
    case Errc::raw_ip_bind_required: return "raw_ip_bind_required";
    case Errc::raw_destination_unspecified: return "raw_destination_unspecified";
    case Errc::raw_ip_source_mismatch: return "raw_ip_source_mismatch";
    case Errc::raw_ip_next_header_unsupported: return "raw_ip_next_header_unsupported";
    case Errc::sdp_invalid_field: return "sdp_invalid_field";
    case Errc::sdp_no_destination: return "sdp_no_destination";
    case Errc::sap_no_address: return "sap_no_address";
    case Errc::sap_invalid_packet: return "sap_invalid_packet";
    case Errc::sap_too_large: return "sap_too_large";
    case Errc::sap_buffer_too_small: return "sap_buffer_too_small";
    case Errc::sap_no_description: return "sap_no_description";
    case Errc::sap_invalid_config: return "sap_invalid_config";
    case Errc::metrics_io_failed: return "metrics_io_failed";
    case Errc::metrics_bad_header: return "metrics_bad_header";
    case Errc::metrics_locked: return "metrics_locked";
    case Errc::metrics_invalid_value: return "metrics_invalid_value";
    case Errc::amt_invalid_config: return "amt_invalid_config";
    case Errc::amt_dns_failed: return "amt_dns_failed";
  }
  return "unknown";
}

namespace {

// A short description of a code for std::error_code::message() and for
// SendError::message().
const char* errc_description(Errc code) noexcept {
  switch (code) {
    case Errc::ok: return "success";
    case Errc::invalid_address: return "not an IPv4 or IPv6 address";
    case Errc::invalid_endpoint: return "not an ADDRESS:PORT endpoint";
    case Errc::invalid_interface: return "not an interface address, index or name";
    case Errc::destination_port_zero: return "destination port 0 is not allowed";
    case Errc::group_not_multicast: return "group is not a multicast address";
    case Errc::source_port_zero: return "source port 0 is not allowed";
    case Errc::source_unspecified: return "source address is unspecified";
    case Errc::source_multicast: return "source address is a multicast address";
    case Errc::source_family_mismatch: return "source and group address families differ";
    case Errc::interface_family_mismatch: return "interface and group address families differ";
    case Errc::interface_unspecified: return "interface address is unspecified";
    case Errc::interface_multicast: return "interface address is a multicast address";
    case Errc::interface_index_zero: return "interface index 0 is not allowed";
    case Errc::interface_not_found: return "interface does not exist";
    case Errc::scoped_group_needs_interface:
      return "interface-local or link-local group needs an interface";
    case Errc::source_interface_mismatch:
      return "source address belongs to another interface";
    case Errc::source_not_local: return "source address is not configured on this host";
    case Errc::bind_family_mismatch: return "bind and group address families differ";
    case Errc::bind_conflicts_with_source: return "bind address conflicts with source";
    case Errc::invalid_ttl: return "TTL / hop limit out of range";
    case Errc::invalid_dscp: return "DSCP out of range";
    case Errc::invalid_send_buffer_size: return "send buffer size out of range";
    case Errc::socket_invalid: return "not an open socket";
    case Errc::socket_not_datagram: return "not a UDP socket";
    case Errc::socket_family_mismatch: return "socket family differs from the group's";
    case Errc::socket_address_mismatch: return "socket is bound to another address";
    case Errc::socket_port_mismatch: return "socket is bound to another port";
    case Errc::socket_options_conflict:
      return "socket is shared with a publication that set other per-socket options";
    case Errc::duplicate_publication: return "duplicate publication";
    case Errc::publication_not_found: return "no such publication";
    case Errc::socket_create_failed: return "creating the socket failed";
    case Errc::bind_failed: return "binding the socket failed";
    case Errc::set_option_failed: return "setting a socket option failed";
    case Errc::connect_failed: return "connecting the socket failed";
    case Errc::interface_lookup_failed: return "looking up interfaces failed";
    case Errc::would_block: return "send would block";
    case Errc::message_too_long: return "datagram too long";
    case Errc::network_unreachable: return "network unreachable";
    case Errc::no_buffer_space: return "no buffer space available";
    case Errc::permission_denied: return "permission denied";
    case Errc::connection_refused: return "connection refused";
    case Errc::send_failed: return "send failed";
    case Errc::publication_closed: return "publication is closed";
    case Errc::interface_down: return "interface is down";
    case Errc::raw_datagram_too_short: return "raw datagram too short";
    case Errc::raw_bad_version: return "raw datagram has a bad IP version";
    case Errc::raw_family_mismatch: return "raw datagram family mismatch";
    case Errc::raw_bad_header_length: return "raw datagram has a bad header length";
    case Errc::raw_bad_total_length: return "raw datagram has a bad total length";
    case Errc::raw_bad_checksum: return "raw datagram has a bad checksum";
    case Errc::raw_bad_payload_length: return "raw datagram has a bad payload length";
    case Errc::raw_source_unspecified: return "raw datagram source is unspecified";
    case Errc::raw_destination_not_multicast: return "raw datagram destination is not multicast";
    case Errc::raw_interface_required: return "raw mode needs an interface";
    case Errc::raw_unsupported_link: return "raw mode does not support this link type";
    case Errc::raw_not_permitted: return "raw mode needs CAP_NET_RAW";
    case Errc::raw_unsupported_platform: return "raw mode is not supported on this platform";
    case Errc::raw_source_multicast: return "raw datagram source is a multicast address";
    case Errc::raw_source_loopback: return "raw datagram source is a loopback address";
    case Errc::raw_source_broadcast: return "raw datagram source is the broadcast address";
    case Errc::raw_source_this_network: return "raw datagram source is in 0.0.0.0/8";
    case Errc::raw_ttl_zero: return "raw datagram TTL / hop limit is 0";
    case Errc::raw_destination_bad_scope:
      return "raw datagram destination has reserved or interface-local scope";
    case Errc::raw_no_route:
      return "no usable route in the kernel's main routing table (route-selected raw egress)";
    case Errc::raw_route_lookup_failed:
      return "reading the kernel's routing table failed (route-selected raw egress)";
    case Errc::raw_route_egress_conflict:
      return "route-selected egress cannot be combined with an interface or bind address";
    case Errc::raw_ip_egress_required: return "raw IP transmit needs an interface or bind address";
    case Errc::raw_ip_bind_required: return "raw IPv6 transmit needs a bind address";
    case Errc::raw_destination_unspecified: return "raw datagram destination is unspecified";
    case Errc::raw_ip_source_mismatch: return "raw IPv6 datagram source differs from the bind address";
    case Errc::raw_ip_next_header_unsupported:
      return "raw IPv6 datagram has a Next Header the kernel cannot send";
    case Errc::metrics_io_failed: return "metrics file I/O failed";
    case Errc::metrics_bad_header: return "metrics file has no valid header";
    case Errc::metrics_locked: return "metrics file is locked by another writer";
    case Errc::metrics_invalid_value: return "invalid metrics setting";
    case Errc::amt_invalid_config: return "invalid AMT gateway setting";
    case Errc::amt_dns_failed: return "DNS lookup of AMT relays failed";
    case Errc::sdp_invalid_field: return "session description value breaks an SDP rule";
    case Errc::sdp_no_destination: return "session description has no destination";
    case Errc::sap_no_address: return "the group's scope has no SAP address";
    case Errc::sap_invalid_packet: return "invalid SAP packet";
    case Errc::sap_too_large: return "SAP packet too large";
    case Errc::sap_buffer_too_small: return "buffer too small for the SAP packet";
    case Errc::sap_no_description: return "no session description to announce";
    case Errc::sap_invalid_config: return "invalid SAP announcer setting";
  }
  return "unknown error";
}

class MctxCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mctx"; }
  std::string message(int ev) const override {
    return errc_description(static_cast<Errc>(ev));
  }
};

std::string strerror_text(int err) {
  // strerror_r (GNU variant with _GNU_SOURCE) returns a pointer.
  char buf[128];
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  return ::strerror_r(err, buf, sizeof buf);
#else
  if (::strerror_r(err, buf, sizeof buf) != 0) return "errno " + std::to_string(err);
  return buf;
#endif
}

// The system's text, and for ENETUNREACH what to do: for a multicast group
// it most often means that no route covers the group (a host with no
// default route, a private namespace) and that the interface must be named.
std::string errno_text(int err) {
  std::string text = strerror_text(err);
  if (err == ENETUNREACH) {
    text += " (no route to the destination: if no interface is named, name the one to send on: "
            "the element property interface, mctx-send --interface, Python interface=)";
  }
  return text;
}

}  // namespace

const std::error_category& error_category() noexcept {
  static const MctxCategory category;
  return category;
}

std::string Error::what() const {
  if (system_errno == 0) return message;
  return message + ": " + errno_text(system_errno);
}

Error make_error(Errc code, std::string message, int system_errno) {
  return Error{code, system_errno, std::move(message)};
}

std::string SendError::message() const {
  std::string text = errc_description(code);
  if (system_errno != 0) {
    text += ": ";
    text += errno_text(system_errno);
  }
  return text;
}

SendError send_error_from_errno(int err) noexcept {
  Errc code = Errc::send_failed;
  switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
      code = Errc::would_block;
      break;
    case EMSGSIZE: code = Errc::message_too_long; break;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case ENODEV:
    case ENXIO:
    case EADDRNOTAVAIL:
      code = Errc::network_unreachable;
      break;
    case ENOBUFS:
    case ENOMEM:
      code = Errc::no_buffer_space;
      break;
    case EPERM:
    case EACCES:
      code = Errc::permission_denied;
      break;
    case ECONNREFUSED: code = Errc::connection_refused; break;
    case EBADF:
    case ENOTSOCK:
      code = Errc::publication_closed;
      break;
    default: break;
  }
  return SendError{code, err};
}

}  // namespace mctx
