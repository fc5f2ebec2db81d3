// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The AMT tunnel socket (<mctx/amt_tunnel.hpp>): setup and batch receive
// over the platform layer.

#include "mctx/amt_tunnel.hpp"

#include <cerrno>
#include <utility>

#include "common/internal.hpp"
#include "platform/platform.hpp"

namespace mctx {

using internal::fail;
using internal::q;

Res<void> AmtTunnelConfig::validate() const {
  if (local_address && local_address->family() != family) {
    return fail(Errc::amt_invalid_config,
                "tunnel local address " + q(*local_address) + " is not of the relay's family (" +
                    (family == Family::ipv4 ? "IPv4" : "IPv6") + ")");
  }
  if (local_address && local_address->is_multicast()) {
    return fail(Errc::amt_invalid_config, "tunnel local address " + q(*local_address) +
                                              " is a multicast address: it must be a unicast "
                                              "address of this host");
  }
  if (receive_buffer < 0) {
    return fail(Errc::amt_invalid_config,
                "tunnel receive buffer " + std::to_string(receive_buffer) +
                    ": must be 0 (the system default) or a positive number of bytes");
  }
  if (!interface.empty() && !platform::interface_index(interface)) {
    return fail(Errc::interface_not_found,
                "tunnel interface " + q(interface) + ": no such interface on this host");
  }
  return {};
}

Res<AmtTunnel> AmtTunnel::open(const AmtTunnelConfig& config) {
  if (auto v = config.validate(); !v) return unexpected(std::move(v.error()));
  const char* fam = config.family == Family::ipv4 ? "IPv4" : "IPv6";
  const int fd = platform::open_udp_socket(config.family);
  if (fd < 0) {
    return fail(Errc::socket_create_failed, std::string("creating the ") + fam + " tunnel socket",
                -fd);
  }
  platform::FdGuard guard(fd);
  if (!config.interface.empty()) {
    if (int err = platform::bind_to_device(fd, config.interface); err != 0) {
      return fail(Errc::set_option_failed,
                  "binding the tunnel socket to interface " + q(config.interface) +
                      " (SO_BINDTODEVICE)",
                  err);
    }
  }
  if (config.receive_buffer > 0) {
    // The forced form first (exceeds net.core.rmem_max with CAP_NET_ADMIN).
    if (platform::set_receive_buffer(fd, config.receive_buffer, true) != 0) {
      if (int err = platform::set_receive_buffer(fd, config.receive_buffer, false); err != 0) {
        return fail(Errc::set_option_failed,
                    "setting the tunnel receive buffer to " +
                        std::to_string(config.receive_buffer) + " bytes (SO_RCVBUF)",
                    err);
      }
    }
  }
  const Endpoint bind{config.local_address.value_or(IpAddress::any(config.family)), config.port};
  if (int err = platform::bind_to(fd, bind); err != 0) {
    return fail(Errc::bind_failed, "binding the tunnel socket to " + bind.to_string(), err);
  }
  Endpoint local = bind;
  if (auto l = platform::local_endpoint(fd); l && *l) local = **l;
  const int rcvbuf = platform::receive_buffer_size(fd).value_or(0);
  return AmtTunnel(guard.release(), config.family, local, rcvbuf);
}

AmtTunnel::AmtTunnel(AmtTunnel&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      family_(other.family_),
      local_(other.local_),
      receive_buffer_(other.receive_buffer_) {}

AmtTunnel& AmtTunnel::operator=(AmtTunnel&& other) noexcept {
  if (this != &other) {
    platform::close_fd(fd_);
    fd_ = std::exchange(other.fd_, -1);
    family_ = other.family_;
    local_ = other.local_;
    receive_buffer_ = other.receive_buffer_;
  }
  return *this;
}

AmtTunnel::~AmtTunnel() { platform::close_fd(fd_); }

Result<std::size_t, int> AmtTunnel::receive(std::span<AmtTunnelSlot> slots) noexcept {
  platform::InMessage msgs[kMaxBatch];
  const std::size_t count = slots.size() < kMaxBatch ? slots.size() : kMaxBatch;
  if (count == 0) return std::size_t{0};
  for (std::size_t i = 0; i < count; ++i) {
    msgs[i].data = slots[i].buffer.data();
    msgs[i].capacity = slots[i].buffer.size();
  }
  const long n = platform::receive_datagrams(fd_, msgs, count);
  if (n == -EAGAIN || n == -EWOULDBLOCK) return std::size_t{0};
  if (n < 0) return unexpected(static_cast<int>(-n));
  for (long i = 0; i < n; ++i) {
    const platform::InMessage& m = msgs[i];
    AmtTunnelSlot& s = slots[static_cast<std::size_t>(i)];
    s.size = m.from ? (m.size > s.buffer.size() ? s.buffer.size() : m.size) : 0;
    s.truncated = m.truncated;
    s.from = m.from.value_or(Endpoint{});
  }
  return static_cast<std::size_t>(n);
}

int AmtTunnel::send(const Endpoint& to, std::span<const std::byte> message) noexcept {
  const ssize_t n = platform::send_datagram_to(fd_, message.data(), message.size(), to);
  if (n < 0) return static_cast<int>(-n);
  return static_cast<std::size_t>(n) == message.size() ? 0 : EMSGSIZE;
}

}  // namespace mctx
