// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Link-layer captures: what went over a wire, byte for byte.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace mctx::test {

// One captured link-layer frame.
struct Frame {
  std::vector<uint8_t> bytes;        // from the Ethernet header on
  int pkttype = 0;                   // PACKET_HOST / PACKET_MULTICAST / PACKET_OUTGOING ...
  std::vector<uint8_t> l3() const {  // after the 14-byte Ethernet header
    return bytes.size() > 14 ? std::vector<uint8_t>(bytes.begin() + 14, bytes.end())
                             : std::vector<uint8_t>{};
  }
  uint16_t ethertype() const {
    return bytes.size() >= 14 ? static_cast<uint16_t>((bytes[12] << 8) | bytes[13]) : 0;
  }
};

// An AF_PACKET (SOCK_RAW, ETH_P_ALL) capture on one interface, opened in a
// given namespace; it buffers every frame from the moment it exists.
class Capture {
 public:
  // Opens on `ifname` inside netns_path ("" = this namespace).
  Capture(const std::string& netns_path, const std::string& ifname);
  Capture(Capture&&) noexcept;
  Capture& operator=(Capture&&) = delete;
  Capture(const Capture&) = delete;
  ~Capture();

  // Reads frames until `idle` passes without one. Frames the capturing
  // interface sent itself (PACKET_OUTGOING) are left out.
  std::vector<Frame> frames(std::chrono::milliseconds idle = std::chrono::milliseconds(300));
  // Only frames whose bytes contain `marker` somewhere.
  std::vector<Frame> frames_with(const std::string& marker,
                                 std::chrono::milliseconds idle = std::chrono::milliseconds(300));

 private:
  int fd_ = -1;
};

// A capture on mctx1 in the first peer's namespace ($MCTX_PEER_NETNS).
Capture peer_capture();

// True if `needle` occurs in `hay`.
bool contains(const std::vector<uint8_t>& hay, const std::string& needle);

// "45 00 00 2c ..." for failure messages.
std::string hexdump(const std::vector<uint8_t>& v);

}  // namespace mctx::test
