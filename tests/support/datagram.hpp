// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// UDP-in-IP datagrams built by hand (raw mode, and the kernel tests that
// send them through plain raw sockets). Header only.

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "mctx/mctx.hpp"
#include "values.hpp"

namespace mctx::test {

// A UDP datagram from source, port 4000, to destination, port 5000,
// carrying `payload` (which must outlive the spec) with `ttl`; set the
// other fields on the result.
inline UdpDatagramSpec udp_spec(const IpAddress& source, const IpAddress& destination,
                                const std::string& payload, uint8_t ttl) {
  UdpDatagramSpec s;
  s.source = source;
  s.destination = destination;
  s.source_port = 4000;
  s.destination_port = 5000;
  s.payload = bytes(payload);
  s.ttl = ttl;
  return s;
}

// The datagram build_udp_datagram makes of `spec` (throws on error).
inline std::vector<uint8_t> build(const UdpDatagramSpec& spec) {
  std::vector<uint8_t> out(udp_datagram_size(spec));
  auto r = build_udp_datagram(spec, std::as_writable_bytes(std::span(out)));
  if (!r) throw std::runtime_error(r.error().what());
  out.resize(*r);
  return out;
}

}  // namespace mctx::test
