// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Raw-mode pieces of the raw tests: datagrams built by hand, checksums,
// CAP_NET_RAW. Receivers, captures, namespaces and processes come from
// tests/support (included here). The sending namespace holds mctx0
// (192.0.2.1, fd00::1), the peer namespace ($MCTX_PEER_NETNS) mctx1
// (192.0.2.2, fd00::2).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "capture.hpp"
#include "datagram.hpp"
#include "mctx/mctx.hpp"
#include "process.hpp"
#include "receiver.hpp"
#include "values.hpp"

namespace mctx::test {

using namespace std::chrono_literals;

// The foreign sources and the SSM groups of the raw tests.
inline const IpAddress kSource4 = ip("198.51.100.7");
inline const IpAddress kGroup4 = ip("232.1.2.3");
inline const IpAddress kSource6 = ip("2001:db8:99::7");
inline const IpAddress kGroup6 = ip("ff3e::8000:1234");

// The Ethernet multicast destination of an IP group (RFC 1112 / RFC 2464).
std::vector<uint8_t> ethernet_multicast(const IpAddress& group);

// The ICMPv6 checksum (RFC 4443: over the pseudo-header and the message)
// of `icmp`, whose checksum field holds 0, sent from `src` to `dst`.
uint16_t icmpv6_checksum(const IpAddress& src, const IpAddress& dst,
                         const std::vector<uint8_t>& icmp);

// An 8-byte IPv6 Destination Options header holding a PadN option, whose
// Next Header is UDP.
std::vector<std::byte> dstopts_padn();

// Drops CAP_NET_RAW from the calling thread's effective set while alive,
// and raises it again afterwards.
class DropNetRaw {
 public:
  DropNetRaw();
  ~DropNetRaw();
  DropNetRaw(const DropNetRaw&) = delete;
  DropNetRaw& operator=(const DropNetRaw&) = delete;
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
};

}  // namespace mctx::test
