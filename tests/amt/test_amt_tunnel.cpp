// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// AmtTunnel (<mctx/amt_tunnel.hpp>): the tunnel socket over loopback
// (unicast only): batch receive with each sender, truncation, send, the
// settings' checks.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "mctx/amt_tunnel.hpp"

namespace {

using mctx::AmtTunnel;
using mctx::AmtTunnelConfig;
using mctx::AmtTunnelSlot;
using mctx::Endpoint;
using mctx::Family;
using mctx::IpAddress;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// A plain UDP socket on 127.0.0.1 (the relay's side).
struct Peer {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  Endpoint local;
  Peer() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    local = *Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&a), len);
  }
  ~Peer() { ::close(fd); }
  void send_to(const Endpoint& to, const std::vector<std::byte>& bytes) const {
    sockaddr_storage ss;
    const socklen_t len = to.to_sockaddr(ss);
    ASSERT_EQ(::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len),
              static_cast<ssize_t>(bytes.size()));
  }
};

std::vector<std::byte> bytes_of(std::size_t n, uint8_t seed) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(seed + i);
  return v;
}

TEST(AmtTunnel, ReceivesABatchWithSendersAndTruncation) {
  AmtTunnelConfig c;
  c.local_address = ip("127.0.0.1");
  c.receive_buffer = 1 << 16;
  auto t = AmtTunnel::open(c);
  ASSERT_TRUE(t) << t.error().what();
  EXPECT_NE(t->local().port, 0);
  EXPECT_GT(t->receive_buffer(), 0);

  std::array<AmtTunnelSlot, 8> slots{};
  EXPECT_EQ(*t->receive(slots), 0u);  // nothing queued: no blocking

  Peer a, b;
  a.send_to(t->local(), bytes_of(100, 1));
  b.send_to(t->local(), bytes_of(300, 2));
  a.send_to(t->local(), bytes_of(50, 3));
  std::vector<std::vector<std::byte>> storage(8, std::vector<std::byte>(200));
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i].buffer = storage[i];
  auto n = t->receive(slots);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, 3u);
  EXPECT_EQ(slots[0].size, 100u);
  EXPECT_FALSE(slots[0].truncated);
  EXPECT_EQ(slots[0].from, a.local);
  EXPECT_EQ(std::memcmp(storage[0].data(), bytes_of(100, 1).data(), 100), 0);
  EXPECT_EQ(slots[1].size, 200u);
  EXPECT_TRUE(slots[1].truncated);
  EXPECT_EQ(slots[1].from, b.local);
  EXPECT_EQ(slots[2].size, 50u);
  EXPECT_EQ(slots[2].from, a.local);
  EXPECT_EQ(*t->receive(slots), 0u);
}

TEST(AmtTunnel, SendsToAnEndpoint) {
  AmtTunnelConfig c;
  c.local_address = ip("127.0.0.1");
  auto t = AmtTunnel::open(c);
  ASSERT_TRUE(t) << t.error().what();
  Peer p;
  const auto msg = bytes_of(12, 7);
  EXPECT_EQ(t->send(p.local, msg), 0);
  std::array<std::byte, 64> in{};
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  const ssize_t r = ::recvfrom(p.fd, in.data(), in.size(), 0, reinterpret_cast<sockaddr*>(&from),
                               &len);
  ASSERT_EQ(r, 12);
  EXPECT_EQ(std::memcmp(in.data(), msg.data(), 12), 0);
  EXPECT_EQ(*Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&from), len), t->local());
}

TEST(AmtTunnel, MovedFromOwnsNothing) {
  AmtTunnelConfig c;
  c.local_address = ip("127.0.0.1");
  auto t = AmtTunnel::open(c);
  ASSERT_TRUE(t);
  const int fd = t->fd();
  AmtTunnel moved(std::move(*t));
  EXPECT_EQ(moved.fd(), fd);
  EXPECT_EQ(t->fd(), -1);  // NOLINT(bugprone-use-after-move): the moved-from state
}

TEST(AmtTunnel, RejectsBadSettingsNamingTheValue) {
  AmtTunnelConfig c;
  c.family = Family::ipv4;
  c.local_address = ip("::1");
  auto r = AmtTunnel::open(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("'::1'"), std::string::npos) << r.error().message;

  c = {};
  c.local_address = ip("239.1.1.1");
  r = AmtTunnel::open(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("multicast"), std::string::npos) << r.error().message;

  c = {};
  c.receive_buffer = -1;
  r = AmtTunnel::open(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("-1"), std::string::npos) << r.error().message;

  c = {};
  c.interface = "no-such-if0";
  r = AmtTunnel::open(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, mctx::Errc::interface_not_found);
  EXPECT_NE(r.error().message.find("'no-such-if0'"), std::string::npos) << r.error().message;

  c = {};
  c.local_address = ip("192.0.2.77");  // not on this host
  r = AmtTunnel::open(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, mctx::Errc::bind_failed);
  EXPECT_NE(r.error().message.find("192.0.2.77"), std::string::npos) << r.error().message;
}

}  // namespace
