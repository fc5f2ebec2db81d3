// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "raw_test_util.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace mctx::rawtest {

IpAddress ip(const std::string& text) {
  auto a = IpAddress::parse(text);
  if (!a) throw std::runtime_error(a.error().message);
  return *a;
}

std::string peer_netns() {
  const char* p = std::getenv("MCTX_PEER_NETNS");
  return p != nullptr ? p : "";
}

void peer_rp_filter_off() {
  test::in_netns(peer_netns(), [] {
    // /proc/sys/net shows the namespace of the thread that opens it.
    for (const char* dev : {"all", "default", "mctx1"}) {
      const std::string path = std::string("/proc/sys/net/ipv4/conf/") + dev + "/rp_filter";
      std::ofstream f(path);
      f << "0\n";
      if (!f) throw std::runtime_error("writing " + path);
    }
  });
}

test::Receiver peer_receiver(const IpAddress& group, uint16_t port,
                             std::optional<IpAddress> source) {
  std::optional<test::Receiver> rx;
  test::in_netns(peer_netns(), [&] { rx.emplace(group, port, test::ifindex("mctx1"), source); });
  return std::move(*rx);
}

// ---------------------------------------------------------------- capture

Capture::Capture(const std::string& netns_path, const std::string& ifname) {
  auto open_here = [&] {
    const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) throw std::runtime_error(std::string("AF_PACKET socket: ") + std::strerror(errno));
    const int rcvbuf = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(test::ifindex(ifname));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
      const int err = errno;
      ::close(fd);
      throw std::runtime_error("binding the capture to " + ifname + ": " + std::strerror(err));
    }
    fd_ = fd;
  };
  if (netns_path.empty()) {
    open_here();
  } else {
    test::in_netns(netns_path, open_here);
  }
}

Capture::Capture(Capture&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

Capture::~Capture() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<Frame> Capture::frames(std::chrono::milliseconds idle) {
  std::vector<Frame> out;
  std::vector<uint8_t> buf(70000);
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(idle.count()));
    if (r <= 0) break;
    sockaddr_ll from{};
    socklen_t len = sizeof from;
    const ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      break;
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    Frame f;
    f.bytes.assign(buf.begin(), buf.begin() + n);
    f.pkttype = from.sll_pkttype;
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Frame> Capture::frames_with(const std::string& marker, std::chrono::milliseconds idle) {
  std::vector<Frame> all = frames(idle);
  std::vector<Frame> out;
  for (auto& f : all) {
    if (contains(f.bytes, marker)) out.push_back(std::move(f));
  }
  return out;
}

Capture peer_capture() { return Capture(peer_netns(), "mctx1"); }

bool contains(const std::vector<uint8_t>& hay, const std::string& needle) {
  if (needle.empty()) return true;
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

std::string hexdump(const std::vector<uint8_t>& v) {
  std::string s;
  char b[4];
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::snprintf(b, sizeof b, "%02x", v[i]);
    if (i != 0) s += (i % 16 == 0) ? "\n" : " ";
    s += b;
  }
  return s;
}

std::vector<uint8_t> ethernet_multicast(const IpAddress& group) {
  const auto& b = group.bytes();
  if (group.is_v4()) {
    return {0x01, 0x00, 0x5e, static_cast<uint8_t>(b[1] & 0x7f), b[2], b[3]};
  }
  return {0x33, 0x33, b[12], b[13], b[14], b[15]};
}

std::vector<uint8_t> build(const UdpDatagramSpec& spec) {
  std::vector<uint8_t> out(udp_datagram_size(spec));
  auto r = build_udp_datagram(spec, std::as_writable_bytes(std::span(out)));
  if (!r) throw std::runtime_error(r.error().what());
  out.resize(*r);
  return out;
}

uint16_t icmpv6_checksum(const IpAddress& src, const IpAddress& dst,
                         const std::vector<uint8_t>& icmp) {
  std::vector<uint8_t> p(src.bytes().begin(), src.bytes().end());
  p.insert(p.end(), dst.bytes().begin(), dst.bytes().end());
  p.insert(p.end(), {static_cast<uint8_t>(icmp.size() >> 24), static_cast<uint8_t>(icmp.size() >> 16),
                     static_cast<uint8_t>(icmp.size() >> 8), static_cast<uint8_t>(icmp.size()), 0,
                     0, 0, 58});
  p.insert(p.end(), icmp.begin(), icmp.end());
  return internet_checksum(std::as_bytes(std::span<const uint8_t>(p.data(), p.size())));
}

std::vector<std::byte> dstopts_padn() {
  // Next Header 17 (UDP), Hdr Ext Len 0 (8 bytes), PadN (type 1, length 4).
  const uint8_t h[8] = {17, 0, 1, 4, 0, 0, 0, 0};
  std::vector<std::byte> v(8);
  std::memcpy(v.data(), h, 8);
  return v;
}

// ---------------------------------------------------------------- privileges

namespace {
bool set_net_raw_effective(bool on) {
  __user_cap_header_struct hdr{};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;  // this thread
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &hdr, data) != 0) return false;
  const unsigned word = CAP_NET_RAW / 32;
  const uint32_t bit = 1u << (CAP_NET_RAW % 32);
  if (on) {
    data[word].effective |= bit;
  } else {
    data[word].effective &= ~bit;
  }
  return ::syscall(SYS_capset, &hdr, data) == 0;
}
}  // namespace

DropNetRaw::DropNetRaw() : ok_(set_net_raw_effective(false)) {}
DropNetRaw::~DropNetRaw() {
  if (ok_) set_net_raw_effective(true);
}

// ---------------------------------------------------------------- processes

ProcessResult run_process(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ProcessResult res;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&res.out, &res.err};
  int open_count = 2;
  char buf[4096];
  while (open_count > 0) {
    if (::poll(fds, 2, 30000) <= 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) {
    res.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    res.exit_code = 128 + WTERMSIG(status);
  }
  return res;
}

}  // namespace mctx::rawtest
