// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Caller-provided sockets (Publication::adopt): what adopt() may change on
// them and how it puts it back, and the process-wide record of the caller
// sockets publications share. Internal header: not installed.
//
// * SocketSnapshot: before adopt() changes anything, the value of every
//   option it is about to set; restore() writes back exactly those.
// * SharedSockets: a caller's socket may serve several publications (each
//   holds its own dup()). The options below are per socket, so publications
//   that share one must agree on them; the first publication's values are
//   recorded under the socket's identity (the inode its descriptors share).

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "mctx/address.hpp"
#include "mctx/config.hpp"
#include "mctx/result.hpp"

namespace mctx::internal {

// The per-socket options a publication sets: TTL / hop limit, loopback,
// outgoing interface, DSCP and send buffer size (unset = left alone).
struct PerSocketOptions {
  int ttl = 0;
  bool loopback = true;
  uint32_t interface_index = 0;                 // 0 = routing decides
  std::optional<IpAddress> interface_address;   // IPv4 IP_MULTICAST_IF address
  std::optional<int> dscp;
  std::optional<int> send_buffer_size;

  static PerSocketOptions of(const PublicationConfig& c, const ResolvedConfig& r);
  bool operator==(const PerSocketOptions&) const = default;
  // The options on which `other` differs, for messages: "ttl 1 vs 5, dscp
  // unset vs 46" (this one's value first).
  std::string differences(const PerSocketOptions& other) const;
};

// The values of the options adopt() is about to set on fd, read first.
class SocketSnapshot {
 public:
  // Reads the options `opts` will change (family: the socket's). errno on
  // failure.
  static Result<SocketSnapshot, int> take(int fd, Family family, const PerSocketOptions& opts);
  // Writes them back (best effort: every option is tried).
  void restore(int fd) const noexcept;

 private:
  Family family_ = Family::ipv4;
  int ttl_ = 0;
  int loop_ = 0;
  std::optional<in_addr> v4_interface_;  // IP_MULTICAST_IF (address; see the .cpp)
  std::optional<int> v6_interface_;      // IPV6_MULTICAST_IF
  std::optional<int> tos_;               // IP_TOS / IPV6_TCLASS byte
  std::optional<int> sndbuf_;            // SO_SNDBUF as reported (doubled)
};

// Identity of a socket: the inode every descriptor of it shares.
struct SocketKey {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator<(const SocketKey& o) const noexcept {
    return dev != o.dev ? dev < o.dev : ino < o.ino;
  }
};
// errno on failure.
Result<SocketKey, int> socket_key(int fd) noexcept;

// A publication's claim on a shared caller socket; released when destroyed.
class SharedSocket {
 public:
  SharedSocket() noexcept = default;
  SharedSocket(SharedSocket&& o) noexcept : key_(o.key_), held_(o.held_) { o.held_ = false; }
  SharedSocket& operator=(SharedSocket&& o) noexcept;
  SharedSocket(const SharedSocket&) = delete;
  SharedSocket& operator=(const SharedSocket&) = delete;
  ~SharedSocket() { reset(); }
  void reset() noexcept;

  // The registry of shared caller sockets. lock() serialises adopt() calls
  // from start to end, so that two publications adopting one socket at once
  // see each other.
  static std::unique_lock<std::mutex> lock();
  // With lock() held: the options and owner recorded for the socket, if a
  // publication uses it.
  struct Entry {
    PerSocketOptions options;
    std::string owner;  // "239.1.2.3:5004": the first publication's destination
    std::size_t users = 0;
  };
  static const Entry* find(const SocketKey& key);
  // With lock() held: records one more user (the first records the options).
  static SharedSocket claim(const SocketKey& key, const PerSocketOptions& options,
                            const std::string& owner);

 private:
  SocketKey key_{};
  bool held_ = false;
};

}  // namespace mctx::internal
