// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Helpers for the raw-mode tests that run inside scripts/mctx-netns --peer:
// the sending namespace holds mctx0 (192.0.2.1, fd00::1), the peer namespace
// ($MCTX_PEER_NETNS) holds mctx1 (192.0.2.2, fd00::2).
//
// The binaries' main() (raw_netns_main.cpp) refuses to run outside a private
// namespace that holds only lo and the veth pair.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mctx/mctx.hpp"
#include "receiver.hpp"

namespace mctx::rawtest {

using namespace std::chrono_literals;

IpAddress ip(const std::string& text);

inline std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}
inline std::span<const std::byte> bytes(const std::vector<uint8_t>& v) {
  return std::as_bytes(std::span<const uint8_t>(v.data(), v.size()));
}

// $MCTX_PEER_NETNS; empty when absent.
std::string peer_netns();

// IPv4 reverse-path filtering off in the peer namespace (all, default,
// mctx1), so that datagrams with a foreign source reach its sockets.
void peer_rp_filter_off();

// A receiver in the peer namespace, joined on mctx1 there (SSM when source
// is given).
test::Receiver peer_receiver(const IpAddress& group, uint16_t port,
                             std::optional<IpAddress> source = std::nullopt);

// One captured link-layer frame.
struct Frame {
  std::vector<uint8_t> bytes;        // from the Ethernet header on
  int pkttype = 0;                   // PACKET_HOST / PACKET_MULTICAST / PACKET_OUTGOING ...
  std::vector<uint8_t> l3() const {  // after the 14-byte Ethernet header
    return bytes.size() > 14 ? std::vector<uint8_t>(bytes.begin() + 14, bytes.end())
                             : std::vector<uint8_t>{};
  }
  uint16_t ethertype() const { return bytes.size() >= 14 ? (bytes[12] << 8) | bytes[13] : 0; }
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
  std::vector<Frame> frames(std::chrono::milliseconds idle = 300ms);
  // Only frames whose bytes contain `marker` somewhere.
  std::vector<Frame> frames_with(const std::string& marker, std::chrono::milliseconds idle = 300ms);

 private:
  int fd_ = -1;
};

// A capture on mctx1 in the peer namespace.
Capture peer_capture();

// True if `needle` occurs in `hay`.
bool contains(const std::vector<uint8_t>& hay, const std::string& needle);

// "45 00 00 2c ..." for failure messages.
std::string hexdump(const std::vector<uint8_t>& v);

// The Ethernet multicast destination of an IP group (RFC 1112 / RFC 2464).
std::vector<uint8_t> ethernet_multicast(const IpAddress& group);

// A UDP-in-IP datagram built with build_udp_datagram (throws on error).
std::vector<uint8_t> build(const UdpDatagramSpec& spec);

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

// Runs a program, collecting its exit status and output.
struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};
ProcessResult run_process(const std::vector<std::string>& argv);

}  // namespace mctx::rawtest

#define MCTX_REQUIRE_PEER()                                                \
  do {                                                                     \
    if (::mctx::rawtest::peer_netns().empty())                             \
      GTEST_SKIP() << "needs scripts/mctx-netns --peer (MCTX_PEER_NETNS)"; \
  } while (0)
