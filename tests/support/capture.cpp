// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "capture.hpp"

#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "receiver.hpp"

namespace mctx::test {

Capture::Capture(const std::string& netns_path, const std::string& ifname) {
  auto open_here = [&] {
    const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) throw std::runtime_error(std::string("AF_PACKET socket: ") + std::strerror(errno));
    const int rcvbuf = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(ifindex(ifname));
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
    in_netns(netns_path, open_here);
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

}  // namespace mctx::test
