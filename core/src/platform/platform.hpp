// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The platform layer of libmctx-core: every OS-specific call the UDP core
// makes goes through here (interface lookups, IPv4 multicast interface
// selection, socket introspection, sendmsg/sendmmsg). Only Linux is
// implemented (platform/linux.cpp). Internal header: not installed.
//
// The syscall seam: the send path calls sendmsg/sendmmsg through a table of
// function pointers, so tests can inject errno values (ENOBUFS, EPERM, EAGAIN,
// EMSGSIZE, ...) without a misbehaving kernel. See ScopedSyscalls.

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/publication.hpp"
#include "mctx/result.hpp"

namespace mctx::platform {

// ---- interfaces ----------------------------------------------------------

// Index of the interface called `name`; nullopt if there is none.
std::optional<uint32_t> interface_index(const std::string& name) noexcept;
// Name of interface `index`; nullopt if there is none.
std::optional<std::string> interface_name(uint32_t index);
bool interface_exists(uint32_t index) noexcept;
// True when interface `index` exists and is administratively up with its
// link running (IFF_UP and IFF_RUNNING). One ioctl.
bool interface_is_up(uint32_t index) noexcept;
// "mctx0 (index 4)", or "index 4" when the name is unknown. For messages.
std::string describe_interface(uint32_t index);

// One address configured on one of this host's interfaces.
struct LocalAddress {
  IpAddress address;  // IPv6 link-local addresses carry the interface as scope
  uint32_t ifindex = 0;
  std::string ifname;
};
// Every IPv4/IPv6 address configured on this host (getifaddrs). On failure
// the errno of the lookup.
Result<std::vector<LocalAddress>, int> local_addresses();

// ---- sockets -------------------------------------------------------------

// Closes a descriptor on scope exit unless released (negative: nothing).
class FdGuard {
 public:
  explicit FdGuard(int fd) noexcept : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

struct SocketInfo {
  int domain = 0;    // AF_INET / AF_INET6 / ...
  int type = 0;      // SOCK_DGRAM / ...
  int protocol = 0;  // IPPROTO_UDP / ...
};
// What kind of socket fd is; errno (EBADF, ENOTSOCK, ...) on failure.
Result<SocketInfo, int> socket_info(int fd) noexcept;

// The send buffer size the kernel uses now (SO_SNDBUF as read back: Linux
// doubles the requested value); nullopt if it cannot be read.
std::optional<int> send_buffer_size(int fd) noexcept;

// IPv4 IP_MULTICAST_IF: by local address (ifindex 0) or by index (address
// 0.0.0.0). Returns 0 or errno.
int set_ipv4_multicast_interface(int fd, const in_addr& address, uint32_t ifindex) noexcept;

// Asks the kernel to report local send failures (IP_RECVERR /
// IPV6_RECVERR): without it Linux hides a qdisc drop (ENOBUFS) from UDP and
// raw IPv4 senders. Errors are then also queued on the socket's error queue;
// drain it with drain_error_queue(). Returns 0 or errno.
int enable_error_reports(int fd, Family family) noexcept;

// Reads and discards everything on fd's error queue (MSG_ERRQUEUE) and the
// pending socket error (SO_ERROR), so that poll() stops reporting POLLERR.
// Returns how many queued errors were read. Never blocks, never allocates.
int drain_error_queue(int fd) noexcept;

// ---- the send path (syscall seam) ----------------------------------------

// Largest number of datagrams handed to the kernel in one send_datagrams()
// call; the mmsghdr array lives on the stack.
inline constexpr std::size_t kMaxBatch = 64;

struct Syscalls {
  ssize_t (*sendmsg)(int fd, const msghdr* msg, int flags);
  // Same contract as Linux sendmmsg(2); `msgs` points to mmsghdr on Linux.
  int (*sendmmsg)(int fd, void* msgs, unsigned int vlen, int flags);
  // send(2) for the single-buffer case (cheaper in the kernel than sendmsg
  // with one iovec). A table without it (nullptr) routes everything through
  // sendmsg, so a test that fakes only sendmsg still sees every send.
  ssize_t (*send)(int fd, const void* buf, std::size_t len, int flags) = nullptr;
};

// The real system calls.
const Syscalls& real_syscalls() noexcept;
// The table in use (real_syscalls() unless a test replaced it).
const Syscalls& syscalls() noexcept;
// Replaces the table; returns the previous one. `table` must outlive its use.
// Not meant for production code: tests only.
const Syscalls* set_syscalls(const Syscalls* table) noexcept;

// Installs a table for the lifetime of the object (tests).
class ScopedSyscalls {
 public:
  explicit ScopedSyscalls(const Syscalls& table) noexcept : prev_(set_syscalls(&table)) {}
  ~ScopedSyscalls() { set_syscalls(prev_); }
  ScopedSyscalls(const ScopedSyscalls&) = delete;
  ScopedSyscalls& operator=(const ScopedSyscalls&) = delete;

 private:
  const Syscalls* prev_;
};

// Where the datagrams of an unconnected socket go (msg_name). Caller-provided
// sockets are never connected (Publication::adopt); nullptr: the socket is
// connected.
struct SendTarget {
  const sockaddr* addr = nullptr;
  socklen_t len = 0;
};

// Sends one datagram (send for one buffer on a connected socket, else
// sendmsg; MSG_NOSIGNAL | MSG_DONTWAIT, so a caller's blocking socket never
// blocks), EINTR retried. Returns the bytes sent, or -errno. Never allocates.
ssize_t send_datagram(int fd, const iovec* iov, std::size_t iov_count,
                      const SendTarget* to = nullptr) noexcept;

// Sends up to min(count, kMaxBatch) datagrams in one system call (sendmmsg),
// EINTR retried. Returns how many the kernel accepted (> 0) and adds their
// bytes to *bytes, or -errno when the first one failed. Never allocates.
long send_datagrams(int fd, const OutMessage* msgs, std::size_t count, std::size_t* bytes,
                    const SendTarget* to = nullptr) noexcept;

}  // namespace mctx::platform
