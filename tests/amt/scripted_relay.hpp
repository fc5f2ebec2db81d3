// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// A scripted AMT relay (RFC 7450) for the element tests of amtsrc and its
// benchmark: plain UDP sockets, driven step by step by the test thread
// ("expect a Request, answer it with this query, send these bytes"), so that
// it produces what a real relay never does: a gateway address that changes
// (G flag, NAT rebinding), the L flag, malformed messages, data from another
// address or port, silence.
//
// Every message it sends is built here by hand, byte by byte (not with the
// library's codec: the bytes under test must not come from the code under
// test), and what the gateway sends is parsed here by hand too.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mctx/address.hpp"

namespace amt_relay {

using Bytes = std::vector<uint8_t>;

// One datagram the relay received.
struct Received {
  Bytes bytes;
  mctx::Endpoint from;
  uint8_t type() const { return bytes.empty() ? 0 : bytes[0] & 0x0f; }
};

class ScriptedRelay {  // move-only, closes its socket
 public:
  // A UDP socket bound to `local` (port 0: the kernel picks one). Throws
  // std::runtime_error naming the address and the errno.
  explicit ScriptedRelay(const mctx::Endpoint& local);
  ScriptedRelay(ScriptedRelay&& other) noexcept;
  ScriptedRelay& operator=(ScriptedRelay&&) = delete;
  ScriptedRelay(const ScriptedRelay&) = delete;
  ScriptedRelay& operator=(const ScriptedRelay&) = delete;
  ~ScriptedRelay();

  const mctx::Endpoint& local() const { return local_; }
  int fd() const { return fd_; }

  // The next datagram, or nullopt after `timeout`.
  std::optional<Received> receive(std::chrono::milliseconds timeout);
  // The next datagram of AMT type `type`; others received meanwhile are
  // appended to `skipped` when given (else dropped). nullopt after `timeout`.
  std::optional<Received> expect(uint8_t type, std::chrono::milliseconds timeout,
                                 std::vector<Received>* skipped = nullptr);
  // Sends bytes to `to`. Throws on failure.
  void send(const mctx::Endpoint& to, std::span<const uint8_t> bytes);
  void send(const mctx::Endpoint& to, const Bytes& bytes) {
    send(to, std::span<const uint8_t>(bytes));
  }
  // Sends `count` datagrams to `to` cycling through `messages`, in batches
  // of sendmmsg; waits (poll) while the socket buffer is full. Returns the
  // number sent. For the benchmark's high-rate feed.
  std::size_t send_many(const mctx::Endpoint& to, const std::vector<Bytes>& messages,
                        std::size_t count);

 private:
  int fd_ = -1;
  mctx::Endpoint local_;
};

// ------------------------------------------------------------ relay -> gateway

// Type 2: Relay Advertisement (nonce, relay address of 4 or 16 bytes).
Bytes advertisement(uint32_t nonce, const mctx::IpAddress& relay);

// An IPv4 IGMPv3 general query (Router Alert, checksums), as a relay
// encapsulates it: QRV `qrv`, QQIC `qqic` (seconds below 128).
Bytes igmpv3_query(uint8_t qrv, uint8_t qqic, const mctx::IpAddress& querier);

// Type 4: Membership Query: flags L and G, the 48-bit MAC, the nonce, the
// encapsulated query and, with `gateway`, the gateway's port and address
// (IPv4 as ::ffff:a.b.c.d) as the relay "sees" it.
Bytes membership_query(uint64_t mac, uint32_t nonce, const Bytes& query, bool limited,
                       const std::optional<mctx::Endpoint>& gateway);

// Type 6: Multicast Data around a datagram.
Bytes multicast_data(const Bytes& datagram);

// An IPv4/UDP datagram with correct lengths and checksums; `fragment` is the
// 16-bit flags/offset field (0x2000 = MF).
Bytes ipv4_udp(const mctx::IpAddress& source, const mctx::IpAddress& group, uint16_t sport,
               uint16_t dport, const Bytes& payload, uint8_t ttl = 8, uint16_t fragment = 0);
// The IPv4 header checksum recomputed after a header edit.
void fix_ipv4_checksum(Bytes& datagram);

// The 16-byte Gateway IP Address field of an address (IPv4 as ::ffff:a.b.c.d).
Bytes gateway_field(const mctx::IpAddress& a);

// ------------------------------------------------------------ gateway -> relay

struct Request {
  uint32_t nonce = 0;
  bool mld = false;  // P flag
};
std::optional<Request> parse_request(const Bytes& b);  // type 3, 8 bytes

struct Update {
  uint64_t mac = 0;
  uint32_t nonce = 0;
  Bytes report;  // the encapsulated IGMPv3 / MLDv2 report datagram
};
std::optional<Update> parse_update(const Bytes& b);  // type 5

struct Teardown {
  uint64_t mac = 0;
  uint32_t nonce = 0;
  uint16_t port = 0;
  Bytes address;  // 16 bytes as sent
};
std::optional<Teardown> parse_teardown(const Bytes& b);  // type 7, 30 bytes

uint32_t parse_discovery(const Bytes& b);  // type 1: the nonce (0 when malformed)

// The first group record of an IGMPv3 report datagram (IPv4): record type,
// group and sources; nullopt when it is not one.
struct IgmpRecord {
  uint8_t type = 0;
  mctx::IpAddress group;
  std::vector<mctx::IpAddress> sources;
};
std::optional<IgmpRecord> parse_igmpv3_report(const Bytes& datagram);

}  // namespace amt_relay
