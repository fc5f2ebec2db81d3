// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Test support: a real multicast receiver and network-namespace helpers.
//
// Receiver is what the delivery tests use to prove that datagrams arrived:
// it binds the group and port, joins the group (ASM, or SSM when a source is
// given) and reports each datagram with the TTL / hop limit, TOS / traffic
// class, arrival interface and header destination the kernel saw.
//
// Sockets belong to the network namespace of the thread that created them:
// create a Receiver inside in_netns() to receive in another namespace; it can
// then be used from any thread. peer_receiver() does that for the peer hosts
// of scripts/mctx-netns --peer / --peer2.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mctx/address.hpp"

namespace mctx::test {

struct Datagram {
  std::vector<std::uint8_t> payload;
  mctx::Endpoint from;
  int ttl = -1;   // IPv4 TTL or IPv6 hop limit
  int tos = -1;   // IPv4 TOS or IPv6 traffic class
  uint32_t ifindex = 0;            // arrival interface
  mctx::IpAddress destination;     // destination address in the IP header
};

class Receiver {  // move-only, closes its socket
 public:
  // Binds group:port (SO_REUSEADDR/SO_REUSEPORT), joins the group on
  // interface ifindex (0 = kernel's choice): ASM (IP_ADD_MEMBERSHIP with
  // ip_mreqn / IPV6_JOIN_GROUP) or, when source is given, SSM
  // (MCAST_JOIN_SOURCE_GROUP). Enables IP_RECVTTL, IP_RECVTOS, IP_PKTINFO /
  // IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS, IPV6_RECVPKTINFO. Throws
  // std::runtime_error with context ("joining ff3e::1 on ifindex 3: ...").
  Receiver(const mctx::IpAddress& group, uint16_t port, uint32_t ifindex = 0,
           std::optional<mctx::IpAddress> source = std::nullopt);
  Receiver(Receiver&& other) noexcept;
  Receiver& operator=(Receiver&& other) noexcept;
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;
  ~Receiver();

  // Waits up to timeout for one datagram.
  std::optional<Datagram> receive(std::chrono::milliseconds timeout);
  // Stops at count datagrams, or after `idle` without a datagram.
  std::vector<Datagram> receive_n(std::size_t count, std::chrono::milliseconds idle);
  int fd() const;
  // SO_RCVBUFFORCE: room for everything a test sends in one go. Throws.
  void set_buffer_size(int bytes);

 private:
  int fd_ = -1;
  mctx::Family family_ = mctx::Family::ipv4;
};

// Runs f on a thread that setns()'d into netns_path (e.g. $MCTX_PEER_NETNS),
// joins it, and rethrows what f threw.
void in_netns(const std::string& netns_path, std::function<void()> f);

// Index of interface `name` in the calling thread's namespace; throws if missing.
uint32_t ifindex(const std::string& name);

// The payload as text.
std::string text(const Datagram& d);

// The peer hosts of scripts/mctx-netns: `first` (--peer) holds mctx1 in
// $MCTX_PEER_NETNS, `second` (--peer2) holds mctx3 in $MCTX_PEER2_NETNS.
enum class Peer { first, second };

// The peer's namespace path; empty when the variable is not set.
std::string peer_netns(Peer peer = Peer::first);

// A receiver created in the peer's namespace, joined on its veth end (mctx1
// or mctx3); SSM when source is given. Throws when the peer is missing.
Receiver peer_receiver(const mctx::IpAddress& group, uint16_t port,
                       std::optional<mctx::IpAddress> source = std::nullopt,
                       Peer peer = Peer::first);

// IPv4 reverse-path filtering off in the first peer's namespace (all,
// default, mctx1), so that datagrams with a foreign source reach its sockets.
void peer_rp_filter_off();

}  // namespace mctx::test
