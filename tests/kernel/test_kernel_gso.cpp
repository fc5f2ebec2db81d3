// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The kernel fact behind mctx's "GSO avoided (qdisc tbf)" (docs/design.md,
// platform::gso_segmenting_qdisc()): tbf segments a segmentation-offload
// send that exceeds its burst, drops the segments that do not fit its
// queue, and reports the send as a success. So a sender that uses
// UDP_SEGMENT behind a small tbf loses datagrams that no error counts.
// Plain UDP sockets with UDP_SEGMENT; a receiver in the peer namespace.

#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gtest_netns.hpp"
#include "values.hpp"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace mctx::test {
namespace {

using namespace std::chrono_literals;

class KernelGso : public ::testing::Test {
 protected:
  void SetUp() override {
    MCTX_REQUIRE_PEER();
    // Software segmentation, as on a NIC without USO.
    if (std::system("ethtool -K mctx0 tx-udp-segmentation off >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "ethtool cannot turn off tx-udp-segmentation on mctx0";
    }
  }
  void TearDown() override { (void)std::system("tc qdisc del dev mctx0 root 2>/dev/null"); }

  // A UDP socket connected to group:port, sending on mctx0 with a 4 MiB
  // send buffer and UDP_SEGMENT `segment`. Skips when the kernel has no
  // UDP_SEGMENT.
  int segmenting_socket(const IpAddress& group, uint16_t port, int segment) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd_, 0) << std::strerror(errno);
    ip_mreqn mreq{};
    mreq.imr_ifindex = static_cast<int>(::if_nametoindex("mctx0"));
    EXPECT_EQ(::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq), 0);
    const int sndbuf = 4 << 20;
    EXPECT_EQ(::setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf), 0);
    sockaddr_storage to{};
    const socklen_t len = Endpoint{group, port}.to_sockaddr(to);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&to), len), 0) << std::strerror(errno);
    if (::setsockopt(fd_, SOL_UDP, UDP_SEGMENT, &segment, sizeof segment) != 0) {
      return errno;
    }
    return 0;
  }
  ~KernelGso() override {
    if (fd_ >= 0) ::close(fd_);
  }

  int fd_ = -1;
};

// 300 datagrams of 1000 bytes in 10 sends of 30 segments through a tbf that
// holds three: what arrives plus what was refused (ENOBUFS) is less than
// what was sent. If a kernel ever reports those drops, mctx need not avoid
// segmentation offload behind tbf.
TEST_F(KernelGso, TbfHidesTheDropsOfSegments) {
  constexpr std::size_t kSegment = 1000, kPerSend = 30, kSends = 10;
  Receiver rx = peer_receiver(ip("239.1.10.1"), 5114);
  rx.set_buffer_size(16 << 20);
  if (const int err = segmenting_socket(ip("239.1.10.1"), 5114, kSegment); err != 0) {
    GTEST_SKIP() << "UDP_SEGMENT: " << std::strerror(err);
  }
  ASSERT_EQ(std::system("tc qdisc replace dev mctx0 root tbf rate 2mbit burst 3000 limit 3000"),
            0);
  std::vector<uint8_t> buf(kSegment * kPerSend, 0x5a);
  std::size_t refused = 0;
  for (std::size_t i = 0; i < kSends; ++i) {
    ssize_t n;
    while ((n = ::send(fd_, buf.data(), buf.size(), 0)) < 0 && errno == EAGAIN) {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 1000);
    }
    if (n < 0) {
      ASSERT_EQ(errno, ENOBUFS) << std::strerror(errno);
      refused += kPerSend;
    } else {
      ASSERT_EQ(static_cast<std::size_t>(n), buf.size());
    }
  }
  const std::size_t sent = kSends * kPerSend;
  const std::size_t received = rx.receive_n(sent + 1, 800ms).size();
  std::printf("tbf behind UDP_SEGMENT: %zu sent, %zu received, %zu refused\n", sent, received,
              refused);
  EXPECT_GT(received, 0u) << "nothing arrived: the test proves nothing";
  EXPECT_LT(received + refused, sent)
      << "every segment dropped by tbf was reported: the kernel changed; revisit "
         "platform::gso_segmenting_qdisc()";
}

}  // namespace
}  // namespace mctx::test
