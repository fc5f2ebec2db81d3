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
Res<bool> check_send_buffer_size(const std::optional<int>& bytes);

// The indexes of the interfaces in `locals` that carry `addr`, in list
// order. A scope on an IPv6 `addr` must name the interface.
std::vector<uint32_t> holders_of(const IpAddress& addr,
                                 const std::vector<platform::LocalAddress>& locals);
// The same over this host's addresses, looked up now; on failure
// Errc::interface_lookup_failed ("looking up the interfaces that carry 'a'").
Res<std::vector<uint32_t>> holders_of(const IpAddress& addr);

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

// The next publication id: unique in the process across UDP and raw
// publications, counting up from 1. Never 0 (0 means "no publication").
PublicationId next_publication_id() noexcept;

}  // namespace mctx::internal
