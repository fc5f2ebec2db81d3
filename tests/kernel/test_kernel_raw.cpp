// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The kernel facts behind raw IPv4 mode (docs/raw.md): raw(7) says that with
// IP_HDRINCL Linux always recomputes the header checksum and fills in the
// identification when it is 0; ip_select_ident() leaves 0 in place when DF
// is set. Everything else goes out as given. A plain raw socket
// (AF_INET, SOCK_RAW, IPPROTO_RAW) sends; a capture in the peer namespace
// compares byte for byte.

#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "capture.hpp"
#include "datagram.hpp"
#include "gtest_netns.hpp"
#include "mctx/mctx.hpp"
#include "values.hpp"

namespace mctx::test {
namespace {

const IpAddress kSource = ip("198.51.100.7");
const IpAddress kGroup = ip("232.1.2.3");

// An IPv4 UDP datagram from kSource to kGroup carrying `payload`.
std::vector<uint8_t> datagram(const std::string& payload, uint16_t id, bool dont_fragment) {
  UdpDatagramSpec s = udp_spec(kSource, kGroup, payload, 5);
  s.traffic_class = 0x28;
  s.ipv4_id = id;
  s.ipv4_dont_fragment = dont_fragment;
  return build(s);
}

class KernelRawIpv4 : public ::testing::Test {
 protected:
  void SetUp() override {
    MCTX_REQUIRE_PEER();
    fd_ = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);  // IP_HDRINCL implied
    ASSERT_GE(fd_, 0) << "raw socket: " << std::strerror(errno);
    ip_mreqn mreq{};
    mreq.imr_ifindex = static_cast<int>(::if_nametoindex("mctx0"));
    ASSERT_EQ(::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq), 0);
  }
  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
  }

  // Sends d as is; returns the IP bytes the peer captured (exactly one frame).
  std::vector<uint8_t> send_and_capture(const std::vector<uint8_t>& d, const std::string& marker) {
    Capture cap = peer_capture();
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr = kGroup.to_in_addr();
    const ssize_t n = ::sendto(fd_, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&to),
                               sizeof to);
    EXPECT_EQ(n, static_cast<ssize_t>(d.size())) << std::strerror(errno);
    const auto frames = cap.frames_with(marker);
    EXPECT_EQ(frames.size(), 1u) << "frames with " << marker << " at the peer";
    return frames.empty() ? std::vector<uint8_t>{} : frames.front().l3();
  }

  int fd_ = -1;
};

TEST_F(KernelRawIpv4, FillsAZeroIdentificationWithoutDontFragment) {
  const auto sent = datagram("mctx-kernel-v4-id0-nodf", 0, false);
  auto got = send_and_capture(sent, "mctx-kernel-v4-id0-nodf");
  ASSERT_EQ(got.size(), sent.size());
  EXPECT_NE((got[4] << 8) | got[5], 0) << "the kernel chose an identification";
  // Apart from identification and checksum, identical; the checksum is valid.
  auto masked_got = got, masked_sent = sent;
  for (int i : {4, 5, 10, 11}) masked_got[i] = masked_sent[i] = 0;
  EXPECT_EQ(masked_got, masked_sent);
  EXPECT_TRUE(validate_raw_datagram(bytes(got)).has_value());
}

TEST_F(KernelRawIpv4, KeepsAZeroIdentificationWithDontFragment) {
  const auto sent = datagram("mctx-kernel-v4-id0-df", 0, true);
  EXPECT_EQ(send_and_capture(sent, "mctx-kernel-v4-id0-df"), sent)
      << "sent:\n" << hexdump(sent);
}

TEST_F(KernelRawIpv4, KeepsANonZeroIdentification) {
  const auto sent = datagram("mctx-kernel-v4-id", 0x1234, false);
  EXPECT_EQ(send_and_capture(sent, "mctx-kernel-v4-id"), sent);
}

// A header whose checksum is the other ones' complement zero (0xffff
// instead of 0x0000) is valid; the kernel's recomputation writes 0x0000.
TEST_F(KernelRawIpv4, RecomputesTheHeaderChecksum) {
  auto d = datagram("mctx-kernel-v4-negative-zero", 0x1234, false);
  d[4] = d[5] = d[10] = d[11] = 0;
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += (d[i] << 8) | d[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  const uint16_t id = static_cast<uint16_t>(0xffff - sum);  // header now sums to 0xffff
  d[4] = static_cast<uint8_t>(id >> 8);
  d[5] = static_cast<uint8_t>(id);
  const auto canonical = d;  // checksum 0x0000
  d[10] = d[11] = 0xff;
  ASSERT_TRUE(validate_raw_datagram(bytes(d)).has_value());
  EXPECT_EQ(send_and_capture(d, "mctx-kernel-v4-negative-zero"), canonical);
}

}  // namespace
}  // namespace mctx::test
