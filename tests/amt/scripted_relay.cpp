// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "scripted_relay.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace amt_relay {

namespace {

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error("scripted relay: " + what + ": " + std::strerror(errno));
}

void put16(Bytes& b, std::size_t at, uint16_t v) {
  b.at(at) = static_cast<uint8_t>(v >> 8);
  b.at(at + 1) = static_cast<uint8_t>(v);
}
uint16_t get16(const Bytes& b, std::size_t at) {
  return static_cast<uint16_t>((b.at(at) << 8) | b.at(at + 1));
}
uint32_t get32(const Bytes& b, std::size_t at) {
  return (static_cast<uint32_t>(get16(b, at)) << 16) | get16(b, at + 2);
}
uint64_t get48(const Bytes& b, std::size_t at) {
  return (static_cast<uint64_t>(get16(b, at)) << 32) | get32(b, at + 2);
}
void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
void append32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}
void append48(Bytes& b, uint64_t v) {
  for (int s = 40; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}
Bytes addr4(const mctx::IpAddress& a) { return Bytes(a.bytes().begin(), a.bytes().begin() + 4); }

// RFC 1071 over `data`, starting from `sum`.
uint32_t sum16(const uint8_t* data, std::size_t n, uint32_t sum = 0) {
  for (std::size_t i = 0; i < n; i += 2) {
    uint32_t w = static_cast<uint32_t>(data[i]) << 8;
    if (i + 1 < n) w |= data[i + 1];
    sum += w;
  }
  return sum;
}
uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

ScriptedRelay::ScriptedRelay(const mctx::Endpoint& local) {
  fd_ = ::socket(local.address.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw sys_error("socket");
  sockaddr_storage ss{};
  const socklen_t len = local.to_sockaddr(ss);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const int e = errno;
    ::close(fd_);
    errno = e;
    throw sys_error("bind " + local.to_string());
  }
  socklen_t l = sizeof ss;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &l) != 0) throw sys_error("getsockname");
  local_ = *mctx::Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), l);
  const int buf = 8 << 20;
  (void)::setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
  (void)::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
}

ScriptedRelay::ScriptedRelay(ScriptedRelay&& o) noexcept : fd_(o.fd_), local_(o.local_) {
  o.fd_ = -1;
}

ScriptedRelay::~ScriptedRelay() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<Received> ScriptedRelay::receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (r < 0) throw sys_error("poll");
  if (r == 0) return std::nullopt;
  Received m;
  m.bytes.resize(65536);
  sockaddr_storage ss{};
  socklen_t l = sizeof ss;
  const ssize_t n = ::recvfrom(fd_, m.bytes.data(), m.bytes.size(), 0,
                               reinterpret_cast<sockaddr*>(&ss), &l);
  if (n < 0) throw sys_error("recvfrom");
  m.bytes.resize(static_cast<std::size_t>(n));
  m.from = *mctx::Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), l);
  return m;
}

std::optional<Received> ScriptedRelay::expect(uint8_t type, std::chrono::milliseconds timeout,
                                              std::vector<Received>* skipped) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto m = receive(left);
    if (!m) return std::nullopt;
    if (m->type() == type) return m;
    if (skipped) skipped->push_back(std::move(*m));
  }
}

void ScriptedRelay::send(const mctx::Endpoint& to, std::span<const uint8_t> bytes) {
  sockaddr_storage ss{};
  const socklen_t len = to.to_sockaddr(ss);
  const ssize_t n =
      ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
  if (n != static_cast<ssize_t>(bytes.size())) throw sys_error("sendto " + to.to_string());
}

std::size_t ScriptedRelay::send_many(const mctx::Endpoint& to, const std::vector<Bytes>& messages,
                                     std::size_t count) {
  constexpr std::size_t kBatch = 64;
  sockaddr_storage ss{};
  const socklen_t len = to.to_sockaddr(ss);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  std::size_t sent = 0;
  std::size_t next = 0;
  while (sent < count) {
    const std::size_t n = std::min(kBatch, count - sent);
    for (std::size_t i = 0; i < n; ++i) {
      const Bytes& m = messages[(next + i) % messages.size()];
      iov[i] = {const_cast<uint8_t*>(m.data()), m.size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &ss;
      msgs[i].msg_hdr.msg_namelen = len;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int r = ::sendmmsg(fd_, msgs.data(), static_cast<unsigned>(n), 0);
    if (r < 0) {
      if (errno == EAGAIN || errno == ENOBUFS) {
        pollfd p{fd_, POLLOUT, 0};
        (void)::poll(&p, 1, 10);
        continue;
      }
      throw sys_error("sendmmsg " + to.to_string());
    }
    sent += static_cast<std::size_t>(r);
    next += static_cast<std::size_t>(r);
  }
  return sent;
}

// ------------------------------------------------------------ relay -> gateway

Bytes advertisement(uint32_t nonce, const mctx::IpAddress& relay) {
  Bytes b = {0x02, 0, 0, 0};
  append32(b, nonce);
  if (relay.is_v4()) {
    append(b, addr4(relay));
  } else {
    b.insert(b.end(), relay.bytes().begin(), relay.bytes().end());
  }
  return b;
}

Bytes igmpv3_query(uint8_t qrv, uint8_t qqic, const mctx::IpAddress& querier) {
  // IGMPv3 general query: type 0x11, Max Resp Code 100 (10 s), group 0,
  // S/QRV, QQIC, no sources.
  Bytes igmp = {0x11, 100, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(qrv & 7), qqic, 0, 0};
  put16(igmp, 2, fold(sum16(igmp.data(), igmp.size())));
  // IPv4 header with the Router Alert option (IHL 6), TOS 0xc0, TTL 1,
  // protocol 2, to 224.0.0.1.
  Bytes h = {0x46, 0xc0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0};
  append(h, addr4(querier));
  h.insert(h.end(), {224, 0, 0, 1, 0x94, 0x04, 0, 0});
  put16(h, 2, static_cast<uint16_t>(h.size() + igmp.size()));
  put16(h, 10, fold(sum16(h.data(), h.size())));
  append(h, igmp);
  return h;
}

Bytes gateway_field(const mctx::IpAddress& a) {
  if (!a.is_v4()) return Bytes(a.bytes().begin(), a.bytes().end());
  Bytes f(10, 0);
  f.insert(f.end(), {0xff, 0xff});
  append(f, addr4(a));
  return f;
}

Bytes membership_query(uint64_t mac, uint32_t nonce, const Bytes& query, bool limited,
                       const std::optional<mctx::Endpoint>& gateway) {
  Bytes b = {0x04, static_cast<uint8_t>((limited ? 0x02 : 0) | (gateway ? 0x01 : 0))};
  append48(b, mac);
  append32(b, nonce);
  append(b, query);
  if (gateway) {
    b.push_back(static_cast<uint8_t>(gateway->port >> 8));
    b.push_back(static_cast<uint8_t>(gateway->port));
    append(b, gateway_field(gateway->address));
  }
  return b;
}

Bytes multicast_data(const Bytes& datagram) {
  Bytes b = {0x06, 0};
  append(b, datagram);
  return b;
}

void fix_ipv4_checksum(Bytes& d) {
  const std::size_t ihl = static_cast<std::size_t>(d.at(0) & 0x0f) * 4;
  put16(d, 10, 0);
  put16(d, 10, fold(sum16(d.data(), ihl)));
}

Bytes ipv4_udp(const mctx::IpAddress& source, const mctx::IpAddress& group, uint16_t sport,
               uint16_t dport, const Bytes& payload, uint8_t ttl, uint16_t fragment) {
  Bytes d = {0x45, 0, 0, 0, 0x12, 0x34, 0, 0, ttl, 17, 0, 0};
  append(d, addr4(source));
  append(d, addr4(group));
  put16(d, 2, static_cast<uint16_t>(20 + 8 + payload.size()));
  put16(d, 6, fragment);
  Bytes udp = {0, 0, 0, 0, 0, 0, 0, 0};
  put16(udp, 0, sport);
  put16(udp, 2, dport);
  put16(udp, 4, static_cast<uint16_t>(8 + payload.size()));
  append(udp, payload);
  // UDP checksum over the pseudo-header (RFC 768).
  Bytes pseudo = addr4(source);
  append(pseudo, addr4(group));
  pseudo.insert(pseudo.end(), {0, 17, udp[4], udp[5]});
  uint16_t c = fold(sum16(udp.data(), udp.size(), sum16(pseudo.data(), pseudo.size())));
  put16(udp, 6, c == 0 ? 0xffff : c);
  append(d, udp);
  fix_ipv4_checksum(d);
  return d;
}

// ------------------------------------------------------------ gateway -> relay

std::optional<Request> parse_request(const Bytes& b) {
  if (b.size() != 8 || b[0] != 0x03) return std::nullopt;
  return Request{get32(b, 4), (b[1] & 0x01) != 0};
}

std::optional<Update> parse_update(const Bytes& b) {
  if (b.size() < 12 || b[0] != 0x05) return std::nullopt;
  return Update{get48(b, 2), get32(b, 8), Bytes(b.begin() + 12, b.end())};
}

std::optional<Teardown> parse_teardown(const Bytes& b) {
  if (b.size() != 30 || b[0] != 0x07) return std::nullopt;
  return Teardown{get48(b, 2), get32(b, 8), get16(b, 12), Bytes(b.begin() + 14, b.end())};
}

uint32_t parse_discovery(const Bytes& b) {
  if (b.size() != 8 || b[0] != 0x01) return 0;
  return get32(b, 4);
}

std::optional<IgmpRecord> parse_igmpv3_report(const Bytes& d) {
  if (d.size() < 20 || (d[0] >> 4) != 4 || d[9] != 2) return std::nullopt;
  const std::size_t ihl = static_cast<std::size_t>(d[0] & 0x0f) * 4;
  if (d.size() < ihl + 16 || d[ihl] != 0x22 || get16(d, ihl + 6) < 1) return std::nullopt;
  const std::size_t r = ihl + 8;
  IgmpRecord rec;
  rec.type = d[r];
  const uint16_t n = get16(d, r + 2);
  if (d.size() < r + 8 + 4u * n) return std::nullopt;
  rec.group = mctx::IpAddress::v4(get32(d, r + 4));
  for (uint16_t i = 0; i < n; ++i) rec.sources.push_back(mctx::IpAddress::v4(get32(d, r + 8 + 4u * i)));
  return rec;
}

}  // namespace amt_relay
