// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Caller-provided sockets: Publication::adopt() and Context::add(fd, ...).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "netns_util.hpp"

namespace mctx::coretest {
namespace {

using test::Receiver;
using test::ifindex;

// A blocking UDP socket, optionally bound; closed by the test.
int udp_socket(int family, const char* bind_to = nullptr) {
  const int fd = ::socket(family, SOCK_DGRAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  if (bind_to != nullptr) {
    sockaddr_storage ss;
    const socklen_t len = ep(bind_to).to_sockaddr(ss);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      throw std::runtime_error(std::string("bind failed: ") + bind_to);
    }
  }
  return fd;
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

PublicationConfig lo_config(const char* group, uint16_t port) {
  return PublicationConfig(ip(group), port).with_interface(InterfaceSpec::name("lo"));
}

TEST(Adopt, UnboundSocketIsConfiguredAndDelivers) {
  Receiver rx(ip("239.2.0.1"), 5100, ifindex("lo"));
  const int fd = udp_socket(AF_INET);
  auto pub = Publication::adopt(fd, lo_config("239.2.0.1", 5100)
                                        .with_source_address(ip("127.0.0.1"))
                                        .with_source_port(6100)
                                        .with_ttl(3));
  ASSERT_TRUE(pub) << pub.error().what();
  EXPECT_EQ(pub->fd(), fd);
  EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
  EXPECT_EQ(pub->local(), ep("127.0.0.1:6100"));
  ASSERT_TRUE(pub->send(bytes("adopted")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "adopted");
  EXPECT_EQ(d->from, ep("127.0.0.1:6100"));
  EXPECT_EQ(d->ttl, 3);
}

TEST(Adopt, BoundSocketThatMatchesIsAccepted) {
  Receiver rx(ip("239.2.0.2"), 5101, ifindex("lo"));
  const int fd = udp_socket(AF_INET, "127.0.0.1:6101");
  auto pub = Publication::adopt(fd, lo_config("239.2.0.2", 5101)
                                        .with_source_address(ip("127.0.0.1"))
                                        .with_source_port(6101));
  ASSERT_TRUE(pub) << pub.error().what();
  ASSERT_TRUE(pub->send(bytes("bound before")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->from, ep("127.0.0.1:6101"));
}

TEST(Adopt, BoundSocketWithoutBindInConfigKeepsItsAddress) {
  Receiver rx(ip("239.2.0.3"), 5102, ifindex("lo"));
  const int fd = udp_socket(AF_INET, "127.0.0.1:6102");
  auto pub = Publication::adopt(fd, lo_config("239.2.0.3", 5102));
  ASSERT_TRUE(pub) << pub.error().what();
  ASSERT_TRUE(pub->send(bytes("kept")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->from, ep("127.0.0.1:6102"));
}

TEST(Adopt, Ipv6SocketIsAccepted) {
  MCTX_REQUIRE_PEER();
  Receiver rx = peer_receiver(ip("ff3e::4d43:10"), 5103);
  const int fd = udp_socket(AF_INET6);
  auto pub = Publication::adopt(
      fd, PublicationConfig(ip("ff3e::4d43:10"), 5103).with_source_address(ip("fd00::1")));
  ASSERT_TRUE(pub) << pub.error().what();
  ASSERT_TRUE(pub->send(bytes("v6 adopted")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "v6 adopted");
}

TEST(Adopt, FamilyMismatchIsRejectedAndFdStaysOpen) {
  const int fd = udp_socket(AF_INET6);
  auto pub = Publication::adopt(fd, lo_config("239.2.0.4", 5104));
  ASSERT_FALSE(pub);
  EXPECT_EQ(pub.error().code, Errc::socket_family_mismatch);
  EXPECT_EQ(pub.error().message,
            "socket " + std::to_string(fd) + " is IPv6 but group 239.2.0.4 is IPv4");
  EXPECT_TRUE(is_open(fd));
  EXPECT_FALSE(::fcntl(fd, F_GETFL) & O_NONBLOCK);  // untouched
  ::close(fd);
}

TEST(Adopt, AddressMismatchIsRejected) {
  const int fd = udp_socket(AF_INET, "127.0.0.2:6105");
  auto pub = Publication::adopt(fd, lo_config("239.2.0.5", 5105)
                                        .with_source_address(ip("127.0.0.1"))
                                        .with_source_port(6105));
  ASSERT_FALSE(pub);
  EXPECT_EQ(pub.error().code, Errc::socket_address_mismatch);
  EXPECT_EQ(pub.error().message, "socket " + std::to_string(fd) +
                                     " is bound to address 127.0.0.2 but the configuration asks "
                                     "for 127.0.0.1");
  EXPECT_TRUE(is_open(fd));
  ::close(fd);
}

TEST(Adopt, PortMismatchIsRejected) {
  const int fd = udp_socket(AF_INET, "127.0.0.1:6107");
  auto pub = Publication::adopt(fd, lo_config("239.2.0.6", 5106).with_source_port(6106));
  ASSERT_FALSE(pub);
  EXPECT_EQ(pub.error().code, Errc::socket_port_mismatch);
  EXPECT_EQ(pub.error().message, "socket " + std::to_string(fd) +
                                     " is bound to port 6107 but the configuration asks for "
                                     "port 6106");
  EXPECT_TRUE(is_open(fd));
  ::close(fd);
}

TEST(Adopt, NotASocketOrNotUdpIsRejected) {
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  auto p = Publication::adopt(pipefd[0], lo_config("239.2.0.7", 5107));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::socket_invalid);
  EXPECT_EQ(p.error().system_errno, ENOTSOCK);
  EXPECT_EQ(p.error().message,
            "file descriptor " + std::to_string(pipefd[0]) + " is not an open socket");
  EXPECT_TRUE(is_open(pipefd[0]));
  ::close(pipefd[0]);
  ::close(pipefd[1]);

  const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
  auto t = Publication::adopt(tcp, lo_config("239.2.0.7", 5107));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::socket_not_datagram);
  EXPECT_TRUE(is_open(tcp));
  ::close(tcp);

  auto neg = Publication::adopt(-1, lo_config("239.2.0.7", 5107));
  ASSERT_FALSE(neg);
  EXPECT_EQ(neg.error().code, Errc::socket_invalid);
}

TEST(Adopt, InvalidConfigIsRejectedBeforeTouchingTheSocket) {
  const int fd = udp_socket(AF_INET);
  auto p = Publication::adopt(fd, PublicationConfig(ip("10.0.0.1"), 5108));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::group_not_multicast);
  EXPECT_TRUE(is_open(fd));
  ::close(fd);
}

TEST(Adopt, ContextAddWithSocket) {
  Receiver rx(ip("239.2.0.9"), 5109, ifindex("lo"));
  Context ctx;
  const int fd = udp_socket(AF_INET);
  auto id = ctx.add(fd, lo_config("239.2.0.9", 5109));
  ASSERT_TRUE(id) << id.error().what();
  ASSERT_NE(ctx.get(*id), nullptr);
  EXPECT_EQ(ctx.get(*id)->fd(), fd);
  ASSERT_TRUE(ctx.send(*id, bytes("ctx adopted")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "ctx adopted");

  // A rejected socket is not taken: still open, context unchanged.
  const int v6 = udp_socket(AF_INET6);
  auto bad = ctx.add(v6, lo_config("239.2.0.10", 5109));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::socket_family_mismatch);
  EXPECT_TRUE(is_open(v6));
  EXPECT_EQ(ctx.size(), 1u);
  ::close(v6);
}

}  // namespace
}  // namespace mctx::coretest
