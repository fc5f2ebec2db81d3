// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Caller-provided sockets: Publication::adopt() and Context::add(fd, ...).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <ostream>

#include "gtest_netns.hpp"
#include "mctx/mctx.hpp"
#include "values.hpp"

namespace mctx::test {
namespace {

using namespace std::chrono_literals;

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

// adopt() refuses fd with `code` and the message "socket <fd> <rest>", and
// leaves fd open (the caller closes it).
void expect_refused(int fd, const PublicationConfig& c, Errc code, const std::string& rest) {
  auto pub = Publication::adopt(fd, c);
  ASSERT_FALSE(pub);
  EXPECT_EQ(pub.error().code, code);
  EXPECT_EQ(pub.error().message, "socket " + std::to_string(fd) + " " + rest);
  EXPECT_TRUE(is_open(fd));
}

// Sends `payload` through pub (adopt()'s result, which must be a
// publication) and returns what rx received: that payload.
Datagram delivered(Res<Publication>& pub, Receiver& rx, const std::string& payload) {
  if (!pub) throw std::runtime_error("adopt refused: " + pub.error().what());
  auto sent = pub->send(bytes(payload));
  if (!sent) throw std::runtime_error("send failed: " + sent.error().message());
  auto d = rx.receive(1s);
  if (!d) throw std::runtime_error("the receiver got nothing");
  EXPECT_EQ(text(*d), payload);
  return *d;
}

TEST(Adopt, UnboundSocketIsConfiguredAndDelivers) {
  Receiver rx(ip("239.2.0.1"), 5100, ifindex("lo"));
  const int fd = udp_socket(AF_INET);
  auto pub = Publication::adopt(fd, lo_config("239.2.0.1", 5100)
                                        .with_source_address(ip("127.0.0.1"))
                                        .with_source_port(6100)
                                        .with_ttl(3));
  ASSERT_TRUE(pub) << pub.error().what();
  // The publication sends through its own duplicate; the caller's
  // descriptor keeps its blocking mode (sends use MSG_DONTWAIT).
  EXPECT_NE(pub->fd(), fd);
  EXPECT_FALSE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
  EXPECT_EQ(pub->local(), ep("127.0.0.1:6100"));
  ASSERT_TRUE(pub->send(bytes("adopted")));
  auto d = rx.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "adopted");
  EXPECT_EQ(d->from, ep("127.0.0.1:6100"));
  EXPECT_EQ(d->ttl, 3);
  ::close(fd);
}

TEST(Adopt, BoundSocketThatMatchesIsAccepted) {
  Receiver rx(ip("239.2.0.2"), 5101, ifindex("lo"));
  const int fd = udp_socket(AF_INET, "127.0.0.1:6101");
  auto pub = Publication::adopt(fd, lo_config("239.2.0.2", 5101)
                                        .with_source_address(ip("127.0.0.1"))
                                        .with_source_port(6101));
  EXPECT_EQ(delivered(pub, rx, "bound before").from, ep("127.0.0.1:6101"));
}

TEST(Adopt, BoundSocketWithoutBindInConfigKeepsItsAddress) {
  Receiver rx(ip("239.2.0.3"), 5102, ifindex("lo"));
  const int fd = udp_socket(AF_INET, "127.0.0.1:6102");
  auto pub = Publication::adopt(fd, lo_config("239.2.0.3", 5102));
  EXPECT_EQ(delivered(pub, rx, "kept").from, ep("127.0.0.1:6102"));
}

TEST(Adopt, Ipv6SocketIsAccepted) {
  MCTX_REQUIRE_PEER();
  Receiver rx = peer_receiver(ip("ff3e::4d43:10"), 5103);
  const int fd = udp_socket(AF_INET6);
  auto pub = Publication::adopt(
      fd, PublicationConfig(ip("ff3e::4d43:10"), 5103).with_source_address(ip("fd00::1")));
  delivered(pub, rx, "v6 adopted");
}

TEST(Adopt, FamilyMismatchIsRejectedAndFdStaysOpen) {
  const int fd = udp_socket(AF_INET6);
  expect_refused(fd, lo_config("239.2.0.4", 5104), Errc::socket_family_mismatch,
                 "is IPv6 but group 239.2.0.4 is IPv4");
  EXPECT_FALSE(::fcntl(fd, F_GETFL) & O_NONBLOCK);  // untouched
  ::close(fd);
}

TEST(Adopt, AddressMismatchIsRejected) {
  const int fd = udp_socket(AF_INET, "127.0.0.2:6105");
  expect_refused(
      fd, lo_config("239.2.0.5", 5105).with_source_address(ip("127.0.0.1")).with_source_port(6105),
      Errc::socket_address_mismatch,
      "is bound to address 127.0.0.2 but the configuration asks for 127.0.0.1");
  ::close(fd);
}

TEST(Adopt, PortMismatchIsRejected) {
  const int fd = udp_socket(AF_INET, "127.0.0.1:6107");
  expect_refused(fd, lo_config("239.2.0.6", 5106).with_source_port(6106),
                 Errc::socket_port_mismatch,
                 "is bound to port 6107 but the configuration asks for port 6106");
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
  EXPECT_NE(ctx.get(*id)->fd(), fd);  // its own duplicate
  ::close(fd);                        // the caller's copy: the publication keeps sending
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


// ---- caller sockets: duplicate, never connected, shared, restored ----------

// Every option adopt() may set, the blocking mode, the bound address and the
// peer of a socket, for before/after comparisons.
struct SocketState {
  int flags = 0, ttl = 0, loop = 0, tos = 0, sndbuf = 0;
  in_addr mc_if{};
  Endpoint bound;
  int peer_errno = 0;  // getpeername: ENOTCONN when not connected

  static SocketState of(int fd) {
    SocketState s;
    s.flags = ::fcntl(fd, F_GETFL);
    socklen_t len = sizeof(int);
    ::getsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &s.ttl, &len);
    len = sizeof(int);
    ::getsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &s.loop, &len);
    len = sizeof(int);
    ::getsockopt(fd, IPPROTO_IP, IP_TOS, &s.tos, &len);
    len = sizeof(int);
    ::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s.sndbuf, &len);
    len = sizeof s.mc_if;
    ::getsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &s.mc_if, &len);
    sockaddr_storage ss{};
    len = sizeof ss;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    s.bound = *Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    len = sizeof ss;
    s.peer_errno = ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0 ? 0 : errno;
    return s;
  }
  bool operator==(const SocketState& o) const {
    return flags == o.flags && ttl == o.ttl && loop == o.loop && tos == o.tos &&
           sndbuf == o.sndbuf && mc_if.s_addr == o.mc_if.s_addr && bound == o.bound &&
           peer_errno == o.peer_errno;
  }
};

std::ostream& operator<<(std::ostream& os, const SocketState& s) {
  return os << "{flags " << s.flags << ", ttl " << s.ttl << ", loop " << s.loop << ", tos "
            << s.tos << ", sndbuf " << s.sndbuf << ", IP_MULTICAST_IF " << std::hex
            << s.mc_if.s_addr << std::dec << ", bound " << s.bound.to_string() << ", peer errno "
            << s.peer_errno << "}";
}

void set_opt(int fd, int level, int name, int value) {
  ASSERT_EQ(::setsockopt(fd, level, name, &value, sizeof value), 0) << name;
}

// A failure at the last step (bind: the port is taken) leaves every option
// adopt() had set as it was, on a socket the caller had configured itself
// and on a fresh one.
TEST(Adopt, FailedAdoptLeavesTheSocketAsItWas) {
  const int taken = udp_socket(AF_INET, "127.0.0.1:6120");  // holds the port
  for (const bool customised : {true, false}) {
    SCOPED_TRACE(customised ? "caller-configured socket" : "fresh socket");
    const int fd = udp_socket(AF_INET);
    if (customised) {
      set_opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 9);
      set_opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
      set_opt(fd, IPPROTO_IP, IP_TOS, 0x20);
      set_opt(fd, SOL_SOCKET, SO_SNDBUF, 32768);
      in_addr lo{};
      lo.s_addr = htonl(INADDR_LOOPBACK);
      ASSERT_EQ(::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof lo), 0);
    }
    const SocketState before = SocketState::of(fd);
    auto pub = Publication::adopt(fd, lo_config("239.2.0.20", 5120)
                                          .with_source_address(ip("127.0.0.1"))
                                          .with_source_port(6120)
                                          .with_ttl(3)
                                          .with_loopback(true)
                                          .with_dscp(46)
                                          .with_send_buffer_size(4096));
    ASSERT_FALSE(pub);
    EXPECT_EQ(pub.error().code, Errc::bind_failed);
    EXPECT_EQ(pub.error().system_errno, EADDRINUSE);
    EXPECT_EQ(SocketState::of(fd), before);
    EXPECT_TRUE(is_open(fd));
    ::close(fd);
  }
  ::close(taken);
}

// A caller socket is never connected: one socket serves two publications to
// two groups, each group gets exactly its own datagrams, the caller can still
// use the socket, and closing one publication leaves the other sending.
TEST(Adopt, OneCallerSocketServesTwoGroupsUnconnected) {
  Receiver rx1(ip("239.2.0.21"), 5121, ifindex("lo"));
  Receiver rx2(ip("239.2.0.22"), 5121, ifindex("lo"));
  const int fd = udp_socket(AF_INET, "127.0.0.1:6121");
  auto a = Publication::adopt(fd, lo_config("239.2.0.21", 5121));
  ASSERT_TRUE(a) << a.error().what();
  auto b = Publication::adopt(fd, lo_config("239.2.0.22", 5121));
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_EQ(SocketState::of(fd).peer_errno, ENOTCONN);

  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(a->send(bytes("to 21 #" + std::to_string(i))));
    ASSERT_TRUE(b->send(bytes("to 22 #" + std::to_string(i))));
  }
  // A batch names its destination in every datagram too.
  std::string body = "batch to 22";
  iovec iov{body.data(), body.size()};
  const OutMessage msgs[2] = {{&iov, 1}, {&iov, 1}};
  EXPECT_EQ(b->send_batch(msgs).sent, 2u);

  const auto got1 = rx1.receive_n(20, 300ms);
  const auto got2 = rx2.receive_n(20, 300ms);
  ASSERT_EQ(got1.size(), 5u);
  ASSERT_EQ(got2.size(), 7u);
  for (const auto& d : got1) EXPECT_EQ(text(d).substr(0, 5), "to 21");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(text(got2[i]), "to 22 #" + std::to_string(i));
  EXPECT_EQ(got1[0].from, ep("127.0.0.1:6121"));

  // One publication gone: the other and the caller keep the socket.
  { Publication gone = std::move(*a); }
  ASSERT_TRUE(b->send(bytes("still here")));
  auto d = rx2.receive(1s);
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "still here");
  EXPECT_TRUE(is_open(fd));
  ::close(fd);
}

// Two publications that disagree on a per-socket option cannot share a
// socket: the second is refused with both named, and the socket keeps the
// first one's options.
TEST(Adopt, SharingWithOtherPerSocketOptionsIsRefused) {
  const int fd = udp_socket(AF_INET);
  auto a = Publication::adopt(fd, lo_config("239.2.0.23", 5123).with_ttl(1));
  ASSERT_TRUE(a) << a.error().what();
  const SocketState before = SocketState::of(fd);
  auto b = Publication::adopt(fd, lo_config("239.2.0.24", 5123).with_ttl(5).with_dscp(46));
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, Errc::socket_options_conflict);
  EXPECT_EQ(b.error().message,
            "socket " + std::to_string(fd) +
                " is already used by the publication to 239.2.0.23:5123; the publication to "
                "239.2.0.24:5123 asks for other per-socket options (ttl 1 vs 5, dscp unset vs "
                "46): publications that share a socket must set the same TTL / hop limit, loop, "
                "interface, DSCP and send buffer size");
  EXPECT_EQ(SocketState::of(fd), before);
  EXPECT_EQ(before.ttl, 1);

  // Once the first publication is gone, the socket is free for other options.
  { Publication gone = std::move(*a); }
  auto c = Publication::adopt(fd, lo_config("239.2.0.24", 5123).with_ttl(5));
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(SocketState::of(fd).ttl, 5);
  ::close(fd);
}

// The caller closes its descriptor and the number is reused by a socket
// connected to an unrelated unicast peer: the publication still sends to the
// group through its own duplicate, nothing reaches the peer.
TEST(Adopt, ClosedAndReusedDescriptorCannotRedirectMedia) {
  Receiver rx(ip("239.2.0.25"), 5125, ifindex("lo"));
  const int peer = udp_socket(AF_INET, "127.0.0.1:6125");
  const int fd = udp_socket(AF_INET);
  auto pub = Publication::adopt(fd, lo_config("239.2.0.25", 5125));
  ASSERT_TRUE(pub) << pub.error().what();
  ::close(fd);
  const int other = udp_socket(AF_INET);
  sockaddr_storage ss;
  const socklen_t len = ep("127.0.0.1:6125").to_sockaddr(ss);
  ASSERT_EQ(::connect(other, reinterpret_cast<sockaddr*>(&ss), len), 0);
  if (other != fd) {
    ASSERT_EQ(::dup2(other, fd), fd);  // the number now names the other socket
    ::close(other);
  }
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(pub->send(bytes("media " + std::to_string(i))));
  EXPECT_EQ(rx.receive_n(20, 300ms).size(), 10u);
  char buf[64];
  EXPECT_EQ(::recv(peer, buf, sizeof buf, MSG_DONTWAIT), -1) << "media reached the unicast peer";
  ::close(fd);
  ::close(peer);
}

}  // namespace
}  // namespace mctx::test
