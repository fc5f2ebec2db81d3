// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// DNS through the system resolver in the platform layer (Linux / glibc:
// platform/linux_dns.cpp, libresolv and getaddrinfo; see docs/design.md,
// "Dependencies"). The resolver configuration is the host's
// (/etc/resolv.conf). Both calls BLOCK for up to the resolver's timeouts
// and allocate: setup only. Internal header: not installed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/result.hpp"

namespace mctx::platform {

enum class DnsStatus : uint8_t {
  ok,              // an answer (rdata may still be empty: no record of the type)
  no_such_name,    // NXDOMAIN
  no_data,         // the name exists, without a record of the type
  no_answer,       // timeout, SERVFAIL, or every server refused (TRY_AGAIN): no answer
  refused,         // NO_RECOVERY (FORMERR, NOTIMP, REFUSED as the answer)
  bad_answer,      // the answer could not be parsed (ns_initparse / ns_parserr)
  resolver_error,  // the resolver could not be initialised (res_ninit)
};

struct DnsAnswer {
  DnsStatus status = DnsStatus::ok;
  // The RDATA of every answer record of the asked type and class IN (after
  // any CNAME the server followed), in answer order.
  std::vector<std::vector<std::byte>> rdata;
  std::string detail;  // for messages: what the resolver said
};

// One query of `type`, class IN, for the absolute name `name` (no search
// list), with a resolver state of its own (res_ninit / res_nquery /
// res_nclose): thread-safe.
DnsAnswer dns_query(const std::string& name, uint16_t type);

// The addresses of a host name (getaddrinfo: A and AAAA, AI_ADDRCONFIG), in
// the order the system gives, without duplicates; the gai_strerror text on
// failure.
Result<std::vector<IpAddress>, std::string> resolve_host_addresses(const std::string& name);

}  // namespace mctx::platform
