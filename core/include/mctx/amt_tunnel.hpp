// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The gateway's UDP socket of an AMT tunnel (RFC 7450): a non-blocking
// IPv4 or IPv6 UDP socket bound to a local address / interface / port (not
// connected: the relay may change after discovery), batch receive with
// recvmmsg into the caller's buffers (with each datagram's sender), and
// sendto for the gateway's control messages. It decides nothing: what is
// received goes to AmtGateway::on_datagram(), what is sent comes from
// AmtGateway::poll_transmit() (<mctx/amt.hpp>). See docs/amt.md.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"

namespace mctx {

struct MCTX_API AmtTunnelConfig {
  Family family = Family::ipv4;  // the relay's family (of the tunnel, not of the groups)
  // Local address to bind (unset: any address of `family`). An IPv6
  // link-local address needs its scope (interface).
  std::optional<IpAddress> local_address;
  // Interface the tunnel is bound to (SO_BINDTODEVICE; needs CAP_NET_RAW on
  // Linux before 5.7). "" = any.
  std::string interface;
  uint16_t port = 0;        // local UDP port; 0 = ephemeral (RFC 7450 §5.2.1)
  int receive_buffer = 0;   // SO_RCVBUF bytes; 0 = the system default

  // Every rule, with a message naming the value (Errc::amt_invalid_config).
  Res<void> validate() const;
};

// One receive slot: the caller's buffer, and what receive() put in it.
struct AmtTunnelSlot {
  std::span<std::byte> buffer;
  std::size_t size = 0;     // bytes received (<= buffer.size())
  bool truncated = false;   // the datagram was larger than the buffer (rest discarded)
  Endpoint from;            // the sender
};

// Owns its socket (closed by the destructor). Move-only. Single-threaded
// use, except fd(), which may be read from any thread for polling.
class MCTX_API AmtTunnel {
 public:
  // Largest number of datagrams one receive() call fills.
  static constexpr std::size_t kMaxBatch = 64;

  // Opens, configures and binds the socket. Errors name the setting and
  // the system call's errno (socket_create_failed, set_option_failed,
  // bind_failed, interface_not_found, amt_invalid_config).
  static Res<AmtTunnel> open(const AmtTunnelConfig& config);

  AmtTunnel(AmtTunnel&& other) noexcept;
  AmtTunnel& operator=(AmtTunnel&& other) noexcept;
  AmtTunnel(const AmtTunnel&) = delete;
  AmtTunnel& operator=(const AmtTunnel&) = delete;
  ~AmtTunnel();

  // The descriptor, for poll(): borrowed, owned by this object.
  int fd() const noexcept { return fd_; }
  Family family() const noexcept { return family_; }
  // The bound address and port (the port the kernel chose for port 0).
  const Endpoint& local() const noexcept { return local_; }
  // The receive buffer the kernel uses (SO_RCVBUF as read back; Linux
  // doubles the request), 0 if unknown.
  int receive_buffer() const noexcept { return receive_buffer_; }

  // Receives what is queued, up to min(slots.size(), kMaxBatch) datagrams in
  // one recvmmsg, without blocking. Returns how many slots were filled (0:
  // nothing queued), or the errno. A slot whose sender is not an IPv4/IPv6
  // endpoint (never on a UDP socket) gets size 0. Never allocates.
  Result<std::size_t, int> receive(std::span<AmtTunnelSlot> slots) noexcept;

  // Sends one control message to `to`. Returns the errno on failure (0: sent
  // whole). Never blocks, never allocates.
  int send(const Endpoint& to, std::span<const std::byte> message) noexcept;

 private:
  AmtTunnel(int fd, Family family, Endpoint local, int receive_buffer) noexcept
      : fd_(fd), family_(family), local_(local), receive_buffer_(receive_buffer) {}
  int fd_ = -1;
  Family family_ = Family::ipv4;
  Endpoint local_;
  int receive_buffer_ = 0;
};

}  // namespace mctx
