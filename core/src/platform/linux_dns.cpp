// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// DNS on Linux (see platform/dns.hpp): glibc's libresolv for the query and
// the message parsing, getaddrinfo for host names. The records' RDATA is
// handed back as bytes: its meaning is portable code's business.

#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "platform/dns.hpp"

namespace mctx::platform {

namespace {

// A resolver state of our own, closed on scope exit.
struct ResolverState {
  struct __res_state state {};
  bool open = false;
  ResolverState() { open = res_ninit(&state) == 0; }
  ~ResolverState() {
    if (open) res_nclose(&state);
  }
  ResolverState(const ResolverState&) = delete;
  ResolverState& operator=(const ResolverState&) = delete;
};

DnsStatus status_of(int herr) {
  switch (herr) {
    case HOST_NOT_FOUND:
      return DnsStatus::no_such_name;
    case NO_DATA:
      return DnsStatus::no_data;
    case NO_RECOVERY:
      return DnsStatus::refused;
    default:
      return DnsStatus::no_answer;  // TRY_AGAIN, NETDB_INTERNAL (timeout, no server)
  }
}

}  // namespace

DnsAnswer dns_query(const std::string& name, uint16_t type) {
  DnsAnswer out;
  auto rs = std::make_unique<ResolverState>();
  if (!rs->open) {
    out.status = DnsStatus::resolver_error;
    out.detail = "res_ninit failed (resolver configuration unreadable)";
    return out;
  }
  // The largest DNS message (a TCP answer); res_nquery retries over TCP
  // when the UDP answer is truncated.
  std::vector<unsigned char> buf(65535);
  const int len =
      res_nquery(&rs->state, name.c_str(), ns_c_in, type, buf.data(), static_cast<int>(buf.size()));
  if (len < 0) {
    const int herr = rs->state.res_h_errno;
    out.status = status_of(herr);
    out.detail = hstrerror(herr);
    return out;
  }
  ns_msg msg{};
  if (ns_initparse(buf.data(), std::min(len, static_cast<int>(buf.size())), &msg) != 0) {
    out.status = DnsStatus::bad_answer;
    out.detail = "the answer is not a well-formed DNS message (ns_initparse)";
    return out;
  }
  const int count = ns_msg_count(msg, ns_s_an);
  for (int i = 0; i < count; ++i) {
    ns_rr rr{};
    if (ns_parserr(&msg, ns_s_an, i, &rr) != 0) {
      out.status = DnsStatus::bad_answer;
      out.detail = "answer record " + std::to_string(i + 1) + " of " + std::to_string(count) +
                   " is malformed (ns_parserr)";
      out.rdata.clear();
      return out;
    }
    if (ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in) continue;
    const auto* p = reinterpret_cast<const std::byte*>(ns_rr_rdata(rr));
    out.rdata.emplace_back(p, p + ns_rr_rdlen(rr));
  }
  return out;
}

Result<std::vector<IpAddress>, std::string> resolve_host_addresses(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (rc != 0) return unexpected(std::string(gai_strerror(rc)));
  std::vector<IpAddress> out;
  for (const addrinfo* a = res; a != nullptr; a = a->ai_next) {
    IpAddress ip;
    if (a->ai_family == AF_INET && a->ai_addrlen >= sizeof(sockaddr_in)) {
      ip = IpAddress::v4(reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr);
    } else if (a->ai_family == AF_INET6 && a->ai_addrlen >= sizeof(sockaddr_in6)) {
      const auto* s6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      ip = IpAddress::v6(s6->sin6_addr, s6->sin6_scope_id);
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), ip) == out.end()) out.push_back(ip);
  }
  freeaddrinfo(res);
  return out;
}

}  // namespace mctx::platform
