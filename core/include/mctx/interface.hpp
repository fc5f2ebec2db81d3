// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The outgoing interface: one resolver for every publication config (UDP
// and raw), the GStreamer element and the command-line tools. It looks at
// the host's interfaces now and opens no socket.

#include <cstdint>
#include <string>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/export.hpp"
#include "mctx/result.hpp"

namespace mctx {

// The index of the interface `spec` names for datagrams of `family`:
//  * none: 0 (routing decides);
//  * index: it must exist (0 is refused);
//  * name: it must exist;
//  * address: of `family`, neither unspecified nor multicast, configured on
//    an interface of this host (an IPv6 scope must name that interface):
//    the first interface that holds it.
// Errors: Errc::interface_family_mismatch, interface_unspecified,
// interface_multicast, interface_index_zero, interface_not_found,
// interface_lookup_failed.
MCTX_API Res<uint32_t> resolve_interface(const InterfaceSpec& spec, Family family);

// The interface that carries address `address` (of any family), for a
// caller that uses one interface setting for both families: an address
// stands for its own family and, through the interface that holds it, for
// the other. Same rules and errors as resolve_interface(spec, its family).
MCTX_API Res<uint32_t> interface_of_address(const IpAddress& address);

// "mctx0 (index 4)", or "index 4" when the name is unknown. For messages.
MCTX_API std::string describe_interface(uint32_t index);

// The addresses of `family` configured on interface `index` now, in the
// kernel's order (empty when there are none or the lookup fails).
MCTX_API std::vector<IpAddress> interface_addresses(uint32_t index, Family family);

}  // namespace mctx
