// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "receiver.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace mctx::test {

namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  throw std::runtime_error(what + ": " + std::strerror(err));
}

void set_int(int fd, int level, int name, int value, const char* label, const std::string& ctx) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) fail(ctx + ": " + label, errno);
}

}  // namespace

Receiver::Receiver(const mctx::IpAddress& group, uint16_t port, uint32_t ifindex,
                   std::optional<mctx::IpAddress> source) {
  family_ = group.family();
  const bool v6 = group.is_v6();
  const std::string where = group.to_string() + " port " + std::to_string(port) + " on ifindex " +
                            std::to_string(ifindex);
  if (source && source->family() != group.family()) {
    throw std::runtime_error("receiver for " + where + ": source " + source->to_string() +
                             " is not of the group's family");
  }
  if (group.needs_scope_id() && ifindex == 0) {
    throw std::runtime_error("joining " + group.to_string() +
                             ": an interface-local or link-local IPv6 group needs an interface");
  }
  fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd_ < 0) fail("receiver socket for " + where, errno);
  try {
    set_int(fd_, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", "receiver for " + where);
    set_int(fd_, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT", "receiver for " + where);
    // Only deliver groups this socket joined (best effort; Linux specific).
    int zero = 0;
    if (v6) {
#ifdef IPV6_MULTICAST_ALL
      (void)::setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof zero);
#endif
    } else {
      (void)::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero);
    }

    // Bind the group itself, so only datagrams for this group arrive. An
    // interface- or link-local IPv6 group can only be bound with a scope.
    mctx::IpAddress bind_addr = group;
    if (v6) bind_addr = group.with_scope_id(group.needs_scope_id() ? ifindex : 0);
    sockaddr_storage ss{};
    const socklen_t len = mctx::Endpoint{bind_addr, port}.to_sockaddr(ss);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      fail("binding " + mctx::Endpoint{bind_addr, port}.to_string(), errno);
    }

    const std::string join_ctx = "joining " + group.to_string() +
                                 (source ? " from source " + source->to_string() : "") +
                                 " on ifindex " + std::to_string(ifindex);
    if (source) {
      group_source_req gsr{};
      gsr.gsr_interface = ifindex;
      mctx::Endpoint{group.with_scope_id(0), 0}.to_sockaddr(gsr.gsr_group);
      mctx::Endpoint{source->with_scope_id(0), 0}.to_sockaddr(gsr.gsr_source);
      if (::setsockopt(fd_, v6 ? IPPROTO_IPV6 : IPPROTO_IP, MCAST_JOIN_SOURCE_GROUP, &gsr,
                       sizeof gsr) != 0) {
        fail(join_ctx, errno);
      }
    } else if (v6) {
      ipv6_mreq mreq{};
      mreq.ipv6mr_multiaddr = group.to_in6_addr();
      mreq.ipv6mr_interface = ifindex;
      if (::setsockopt(fd_, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) != 0) {
        fail(join_ctx, errno);
      }
    } else {
      ip_mreqn mreq{};
      mreq.imr_multiaddr = group.to_in_addr();
      mreq.imr_ifindex = static_cast<int>(ifindex);
      if (::setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
        fail(join_ctx, errno);
      }
    }

    const std::string ctx = "receiver for " + where;
    if (v6) {
      set_int(fd_, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT", ctx);
      set_int(fd_, IPPROTO_IPV6, IPV6_RECVTCLASS, 1, "IPV6_RECVTCLASS", ctx);
      set_int(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO", ctx);
    } else {
      set_int(fd_, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL", ctx);
      set_int(fd_, IPPROTO_IP, IP_RECVTOS, 1, "IP_RECVTOS", ctx);
      set_int(fd_, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO", ctx);
    }
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

Receiver::Receiver(Receiver&& other) noexcept : fd_(other.fd_), family_(other.family_) {
  other.fd_ = -1;
}

Receiver& Receiver::operator=(Receiver&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    family_ = other.family_;
    other.fd_ = -1;
  }
  return *this;
}

Receiver::~Receiver() {
  if (fd_ >= 0) ::close(fd_);
}

int Receiver::fd() const { return fd_; }

void Receiver::set_buffer_size(int bytes) {
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    fail("SO_RCVBUFFORCE " + std::to_string(bytes) + " on a receiver", errno);
  }
}

std::optional<Datagram> Receiver::receive(std::chrono::milliseconds timeout) {
  if (fd_ < 0) throw std::runtime_error("receive on a moved-from Receiver");
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    pollfd p{fd_, POLLIN, 0};
    const int pr = ::poll(&p, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
    if (pr < 0) {
      if (errno == EINTR) continue;
      fail("poll on receiver", errno);
    }
    if (pr == 0) return std::nullopt;

    std::vector<std::uint8_t> buf(65536);
    alignas(cmsghdr) char control[512];
    sockaddr_storage from{};
    iovec iov{buf.data(), buf.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      fail("recvmsg on receiver", errno);
    }
    Datagram d;
    buf.resize(static_cast<std::size_t>(n));
    d.payload = std::move(buf);
    if (auto ep = mctx::Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&from), msg.msg_namelen)) {
      d.from = *ep;
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP) {
        if (c->cmsg_type == IP_TTL) {
          int v;
          std::memcpy(&v, CMSG_DATA(c), sizeof v);
          d.ttl = v;
        } else if (c->cmsg_type == IP_TOS) {
          unsigned char v;
          std::memcpy(&v, CMSG_DATA(c), sizeof v);
          d.tos = v;
        } else if (c->cmsg_type == IP_PKTINFO) {
          in_pktinfo pi;
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          d.ifindex = static_cast<uint32_t>(pi.ipi_ifindex);
          d.destination = mctx::IpAddress::v4(pi.ipi_addr);
        }
      } else if (c->cmsg_level == IPPROTO_IPV6) {
        if (c->cmsg_type == IPV6_HOPLIMIT) {
          int v;
          std::memcpy(&v, CMSG_DATA(c), sizeof v);
          d.ttl = v;
        } else if (c->cmsg_type == IPV6_TCLASS) {
          int v;
          std::memcpy(&v, CMSG_DATA(c), sizeof v);
          d.tos = v;
        } else if (c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo pi;
          std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
          d.ifindex = pi.ipi6_ifindex;
          d.destination = mctx::IpAddress::v6(pi.ipi6_addr);
        }
      }
    }
    return d;
  }
}

std::vector<Datagram> Receiver::receive_n(std::size_t count, std::chrono::milliseconds idle) {
  std::vector<Datagram> out;
  while (out.size() < count) {
    auto d = receive(idle);
    if (!d) break;
    out.push_back(std::move(*d));
  }
  return out;
}

void in_netns(const std::string& netns_path, std::function<void()> f) {
  std::exception_ptr error;
  std::thread t([&] {
    try {
      const int nsfd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (nsfd < 0) fail("opening network namespace " + netns_path, errno);
      if (::setns(nsfd, CLONE_NEWNET) != 0) {
        const int err = errno;
        ::close(nsfd);
        fail("entering network namespace " + netns_path, err);
      }
      ::close(nsfd);
      f();
    } catch (...) {
      error = std::current_exception();
    }
  });
  t.join();
  if (error) std::rethrow_exception(error);
}

uint32_t ifindex(const std::string& name) {
  const unsigned idx = ::if_nametoindex(name.c_str());
  if (idx == 0) fail("interface '" + name + "'", errno);
  return idx;
}

std::string text(const Datagram& d) { return std::string(d.payload.begin(), d.payload.end()); }

std::string peer_netns(Peer peer) {
  const char* p = std::getenv(peer == Peer::first ? "MCTX_PEER_NETNS" : "MCTX_PEER2_NETNS");
  return p != nullptr ? p : "";
}

Receiver peer_receiver(const mctx::IpAddress& group, uint16_t port,
                       std::optional<mctx::IpAddress> source, Peer peer) {
  const std::string ns = peer_netns(peer);
  if (ns.empty()) {
    throw std::runtime_error(peer == Peer::first
                                 ? "MCTX_PEER_NETNS is not set: run under scripts/mctx-netns --peer"
                                 : "MCTX_PEER2_NETNS is not set: run under scripts/mctx-netns --peer2");
  }
  std::optional<Receiver> rx;
  in_netns(ns, [&] {
    rx.emplace(group, port, ifindex(peer == Peer::first ? "mctx1" : "mctx3"), source);
  });
  return std::move(*rx);
}

void peer_rp_filter_off() {
  in_netns(peer_netns(), [] {
    // /proc/sys/net shows the namespace of the thread that opens it.
    for (const char* dev : {"all", "default", "mctx1"}) {
      const std::string path = std::string("/proc/sys/net/ipv4/conf/") + dev + "/rp_filter";
      std::ofstream f(path);
      f << "0\n";
      if (!f) throw std::runtime_error("writing " + path);
    }
  });
}

}  // namespace mctx::test
