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
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
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

// ---- socket setup (UDP publications) ----------------------------------------
//
// Each returns 0 or the errno of the failed call; the caller words the
// message. Setup only: none of them is on the send path.

// A non-blocking, close-on-exec UDP socket of `family`; -errno on failure.
int open_udp_socket(Family family) noexcept;
// A close-on-exec duplicate of fd (F_DUPFD_CLOEXEC); -errno on failure.
int duplicate_fd(int fd) noexcept;
// Closes fd (negative: nothing).
void close_fd(int fd) noexcept;

// bind(2) / connect(2) to an endpoint; disconnect: connect to AF_UNSPEC,
// which also clears a device binding made by a scoped connect.
int bind_to(int fd, const Endpoint& local) noexcept;
int connect_to(int fd, const Endpoint& destination) noexcept;
void disconnect(int fd) noexcept;
// The local address of fd (getsockname). errno on failure; nullopt when it
// is not an IPv4/IPv6 address.
Result<std::optional<Endpoint>, int> local_endpoint(int fd) noexcept;

// Whether a SocketInfo is a UDP socket of IPv4 or IPv6, and its family.
bool is_udp_socket(const SocketInfo& info) noexcept;
Family socket_family(const SocketInfo& info) noexcept;

// The per-socket multicast options a publication sets, by family:
// IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS, IP_MULTICAST_LOOP /
// IPV6_MULTICAST_LOOP, IP_TOS / IPV6_TCLASS (the whole byte: DSCP << 2),
// IPV6_MULTICAST_IF (index) and SO_SNDBUF.
enum class SocketOption {
  multicast_ttl,
  multicast_loop,
  traffic_class,
  ipv6_multicast_interface,
  send_buffer,
  send_buffer_force,  // SO_SNDBUFFORCE (needs CAP_NET_ADMIN)
};
// The option's name as the kernel spells it ("IP_MULTICAST_TTL", ...).
const char* socket_option_name(SocketOption option, Family family) noexcept;
int set_socket_option(int fd, Family family, SocketOption option, int value) noexcept;
int get_socket_option(int fd, Family family, SocketOption option, int& value) noexcept;
// IPv4 IP_MULTICAST_IF as the kernel reports it (an address only).
int get_ipv4_multicast_interface(int fd, in_addr& address) noexcept;

// The identity every descriptor of one open file shares (fstat: device and
// inode). errno on failure.
struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
};
Result<FileIdentity, int> file_identity(int fd) noexcept;

// ---- the receive path (AMT tunnel) -----------------------------------------

// SO_BINDTODEVICE: the socket receives and sends only through interface
// `name` ("" clears it). Returns 0 or errno (EPERM without CAP_NET_RAW on
// kernels before 5.7).
int bind_to_device(int fd, const std::string& name) noexcept;
// SO_RCVBUF (force: SO_RCVBUFFORCE, needs CAP_NET_ADMIN). 0 or errno.
int set_receive_buffer(int fd, int bytes, bool force) noexcept;
// The receive buffer the kernel uses now (SO_RCVBUF as read back).
std::optional<int> receive_buffer_size(int fd) noexcept;

// One datagram slot of receive_datagrams(): the caller's buffer; the call
// fills size (bytes received), truncated (the datagram was larger than the
// buffer: the rest was discarded) and from (the sender).
struct InMessage {
  std::byte* data = nullptr;
  std::size_t capacity = 0;
  std::size_t size = 0;
  bool truncated = false;
  std::optional<Endpoint> from;  // nullopt: not an IPv4/IPv6 sender
};

// Largest number of datagrams one receive_datagrams() call takes (the
// mmsghdr array lives on the stack).
inline constexpr std::size_t kMaxReceiveBatch = 64;

// Receives up to min(count, kMaxReceiveBatch) datagrams in one recvmmsg without
// blocking (MSG_DONTWAIT), EINTR retried. Returns how many slots were filled
// (> 0), or -errno (-EAGAIN: nothing queued). Never allocates.
long receive_datagrams(int fd, InMessage* msgs, std::size_t count) noexcept;

// Sends one datagram to `to` (sendto, kSendFlags through the seam), EINTR
// retried. Returns the bytes sent, or -errno. Never allocates.
ssize_t send_datagram_to(int fd, const void* data, std::size_t size, const Endpoint& to) noexcept;

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
// Both, for send_datagram() below (defined in linux.cpp).
extern const Syscalls kRealSyscalls;
extern std::atomic<const Syscalls*> g_syscalls;
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

// Every UDP and raw send: no SIGPIPE, never blocks (also on a caller's
// blocking socket).
inline constexpr int kSendFlags = MSG_NOSIGNAL | MSG_DONTWAIT;

// A system call made in place: the result, or -errno. The sends use it, not
// libc's wrappers: those are cancellation points (two more calls around
// each system call in a process with threads; nothing here cancels threads)
// and a call level of their own. After each system call every level
// between the caller and the kernel returns into code and stack the call
// evicted, each a cache miss in a row (docs/performance.md, "Where a
// buffer's time goes").
inline long raw_syscall(long nr, long a1, long a2, long a3, long a4 = 0, long a5 = 0,
                        long a6 = 0) noexcept {
#if defined(__x86_64__) && !defined(__ILP32__)  // not x32: 32-bit long there
  long ret;
  register long r10 asm("r10") = a4;
  register long r8 asm("r8") = a5;
  register long r9 asm("r9") = a6;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return ret;
#else
  const long ret = ::syscall(nr, a1, a2, a3, a4, a5, a6);
  return ret < 0 ? -errno : ret;
#endif
}

// sendto(2) on a connected socket (no address), made in place: the bytes
// sent, or -errno.
inline long send_in_place(int fd, const void* buf, std::size_t len, int flags) noexcept {
  return raw_syscall(SYS_sendto, fd, reinterpret_cast<long>(buf), static_cast<long>(len), flags);
}

// The two retry loops every send path shares (UDP and raw): one system call
// through the seam with `flags`, EINTR retried.
// sendmsg_retry: the bytes sent, or -errno.
ssize_t sendmsg_retry(int fd, const msghdr* msg, int flags) noexcept;
// sendmmsg_retry: how many messages the kernel accepted (> 0), their msg_len
// added to *bytes (if not null); or -errno when the first one failed (a call
// that accepts none without an error counts as -EAGAIN).
long sendmmsg_retry(int fd, mmsghdr* hdrs, std::size_t count, int flags,
                    std::size_t* bytes) noexcept;

// Where the datagrams of an unconnected socket go (msg_name). Caller-provided
// sockets are never connected (Publication::adopt); nullptr: the socket is
// connected. Every UDP send path (single, batch, segmentation) addresses its
// messages through this one hook.
struct SendTarget {
  const sockaddr* addr = nullptr;
  socklen_t len = 0;
};

// send_datagram() but its inline case: sendmsg(2) (several buffers, or a
// destination), and every datagram while a test's table is installed.
ssize_t send_datagram_slow(int fd, const iovec* iov, std::size_t iov_count,
                           const SendTarget* to) noexcept;

// Sends one datagram (send for one buffer on a connected socket, else
// sendmsg; kSendFlags), EINTR retried. Returns the bytes sent, or -errno
// (errno set too, as libc would). Never allocates. Inline: with the real
// table, one buffer on a connected socket is a sendto(2) made in the
// caller's own frame (raw_syscall()).
inline ssize_t send_datagram(int fd, const iovec* iov, std::size_t iov_count,
                             const SendTarget* to = nullptr) noexcept {
  if (iov_count == 1 && to == nullptr &&
      __builtin_expect(g_syscalls.load(std::memory_order_acquire) == &kRealSyscalls, 1)) {
    for (;;) {
      const long n = send_in_place(fd, iov[0].iov_base, iov[0].iov_len, kSendFlags);
      if (n >= 0) return n;
      if (n != -EINTR) {
        errno = static_cast<int>(-n);
        return n;
      }
    }
  }
  return send_datagram_slow(fd, iov, iov_count, to);
}

// Sends up to min(count, kMaxBatch) datagrams in one system call (sendmmsg),
// EINTR retried. Returns how many the kernel accepted (> 0) and adds their
// bytes to *bytes, or -errno when the first one failed. Never allocates.
long send_datagrams(int fd, const OutMessage* msgs, std::size_t count, std::size_t* bytes,
                    const SendTarget* to = nullptr) noexcept;

// ---- UDP segmentation offload (GSO, UDP_SEGMENT) --------------------------
//
// One message with a UDP_SEGMENT control message (value: the segment size)
// carries several datagrams; the kernel builds one large packet and cuts it
// into datagrams of the segment size (the last may be shorter) in the
// device or, without USO, late in the stack. The kernel's rules (Linux
// net/ipv4/udp.c udp_send_skb, net/ipv6/udp.c udp_v6_send_skb,
// __ip_append_data, __ip6_append_data; see docs/performance.md):
//  * segments per message <= UDP_MAX_SEGMENTS: 64 up to Linux 6.8, 128 since
//    6.9 (commit 1382e3b6a350, also in the 5.15/6.1/6.6 stable series); we
//    use 64, which every kernel with UDP_SEGMENT (4.18+) accepts; more gives
//    no gain once a message is near the length limit anyway;
//  * total UDP payload <= 0xFFFF - 20 - 8 = 65507 (IPv4), 0xFFFF - 8 = 65527
//    (IPv6, payload length field), else EMSGSIZE;
//  * IP header + 8 + segment size <= the path MTU (cork->fragsize), else
//    EINVAL (before 6.14) or EMSGSIZE (since): segmentation never fragments;
//  * the device must offer checksum offload (else EIO), the socket must keep
//    UDP checksums (UDP_NO_CHECK6_TX / SO_NO_CHECK: EINVAL), no IPsec (EIO).
// A message is atomic: the kernel queues all its segments or none.

inline constexpr std::size_t kGsoMaxSegments = 64;
inline constexpr std::size_t kGsoMaxPayloadIpv4 = 65507;
inline constexpr std::size_t kGsoMaxPayloadIpv6 = 65527;
// The most iovecs one send_datagrams_gso() call copies (on the stack).
inline constexpr std::size_t kGsoMaxIov = 1024;  // = UIO_MAXIOV per message

// What one segmentation message may hold.
struct GsoPlan {
  std::size_t max_segment = 0;  // largest datagram: path MTU - IP header - 8
  std::size_t max_payload = kGsoMaxPayloadIpv4;
  std::size_t max_segments = kGsoMaxSegments;
};

// What one send_datagrams_gso() call did.
struct GsoOutcome {
  std::size_t bytes = 0;         // payload bytes of the accepted messages
  std::size_t gso_messages = 0;  // accepted messages that carried UDP_SEGMENT
  // When the first message failed: how many datagrams it held (> 1: it was a
  // segmentation message) and its segment size.
  std::size_t failed_datagrams = 0;
  std::size_t failed_segment = 0;
};

// Sends up to `count` datagrams in one sendmmsg: each run of two or more
// consecutive datagrams of equal size (the last of a run may be shorter but
// not empty) that `plan` allows becomes one message with UDP_SEGMENT, every
// other datagram a plain message; at most kMaxBatch messages and kGsoMaxIov
// iovecs. A run whose iovecs follow one another in the caller's array is
// sent from that array; any other is gathered on the stack. Returns how many
// datagrams went out (> 0; whole messages only), or -errno when the first
// message failed (then out->failed_* describe it).
// EINTR retried. Never allocates.
long send_datagrams_gso(int fd, const OutMessage* msgs, std::size_t count, const GsoPlan& plan,
                        GsoOutcome* out, const SendTarget* to = nullptr) noexcept;

// Whether the kernel knows UDP_SEGMENT (getsockopt SOL_UDP): 0, or the errno
// (ENOPROTOOPT before Linux 4.18). Sends nothing.
int gso_supported(int fd) noexcept;

// The path MTU of a connected socket (IP_MTU / IPV6_MTU), else the MTU of
// interface `ifindex` (SIOCGIFMTU), else 0.
std::size_t path_mtu(int fd, Family family, uint32_t ifindex) noexcept;

// SO_MAX_PACING_RATE in bytes per second: 0, or the errno. Only the fq
// qdisc (and TCP's own pacing) honours it.
int set_max_pacing_rate(int fd, uint64_t bytes_per_second) noexcept;

// The kind of the root qdisc of interface `ifindex` ("fq", "pfifo_fast",
// "noqueue", ...), read over rtnetlink; "" when unknown.
std::string root_qdisc(uint32_t ifindex);

// A qdisc anywhere on interface `ifindex` (root or child) that segments a
// segmentation-offload send by itself and drops the segments that do not
// fit without reporting it to the sender (Linux: a tbf whose burst is
// smaller than the largest such send, taprio, cake): its kind, a static
// string, or nullptr (none, or unknown). Setup only: it allocates nothing but reads a
// netlink dump.
const char* gso_segmenting_qdisc(uint32_t ifindex);

}  // namespace mctx::platform
