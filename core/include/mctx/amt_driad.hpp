// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// AMT relay discovery by DNS: DRIAD (RFC 8777). The relays that can forward
// the traffic of a multicast source S are published as AMTRELAY records
// (RR type 260) at the reverse name of S (in-addr.arpa, or the nibble form
// under ip6.arpa). Each record holds a precedence (lower first), the D bit
// ("discovery optional") and a relay: none (type 0), an IPv4 (1) or IPv6
// (2) address, or a domain name (3) whose A / AAAA records give the
// addresses.
//
// * amt_reverse_name(), parse_amtrelay_rdata(), order_amt_relays(): pure
//   functions over bytes (no OS call), for tests and for applications with
//   their own DNS client.
// * lookup_amt_relays(), resolve_amt_relay_name(): lookups with the system
//   resolver (the resolv.conf of the host, through libresolv and
//   getaddrinfo). They BLOCK: up to the resolver's own bound (resolv.conf
//   `options timeout:T attempts:A`, glibc defaults 5 s and 2, per name
//   server, up to 3 servers: 30 s by default) for each query. Call them
//   from a thread that may wait, or abandon them there.
//
// See docs/usage.md, "AMT relay discovery by DNS", and docs/amt.md.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"
#include "mctx/result.hpp"

namespace mctx {

inline constexpr uint16_t kAmtRelayRrType = 260;  // AMTRELAY (IANA, RFC 8777)

enum class AmtRelayType : uint8_t {
  none = 0,  // no relay (the relay field is empty)
  ipv4 = 1,  // 4-byte IPv4 address
  ipv6 = 2,  // 16-byte IPv6 address
  name = 3,  // wire-format domain name, uncompressed (RFC 1035 §3.3)
};
MCTX_API const char* amt_relay_type_name(
    AmtRelayType t) noexcept;  // "none", "ipv4", "ipv6", "name"

// One AMTRELAY record, parsed.
struct MCTX_API AmtRelayRecord {
  uint8_t precedence = 0;           // lower values are tried first
  bool discovery_optional = false;  // the D bit: Requests may go straight to the relay
  AmtRelayType type = AmtRelayType::none;
  std::optional<IpAddress> address;  // types ipv4 and ipv6
  std::string name;                  // type name: "relay.example.net." (absolute)
  // The zone-file form of the RDATA: "10 0 1 203.0.113.15", "20 1 3 r.example.net.",
  // "0 0 0 .".
  std::string to_string() const;
  friend bool operator==(const AmtRelayRecord&, const AmtRelayRecord&) = default;
};

// The reverse name of an address, absolute: "15.113.0.203.in-addr.arpa."
// for IPv4, 32 nibbles under "ip6.arpa." for IPv6 (RFC 3596 §2.5).
MCTX_API std::string amt_reverse_name(const IpAddress& address);

// Parses the RDATA of one AMTRELAY record (from the network: every length
// is checked). Errors (text naming the field, the value and the rule):
// shorter than 2 bytes, a relay field whose length does not fit the type
// (type 0: 0 bytes, type 1: 4, type 2: 16, type 3: the name exactly), a
// type 3 name that is compressed, empty (the root), longer than 255 bytes,
// with a label longer than 63 bytes or a character other than a letter,
// digit, '-' or '_'; a type 1 / 2 address that is multicast or
// unspecified; an unknown type (4..127).
MCTX_API Result<AmtRelayRecord, std::string> parse_amtrelay_rdata(std::span<const std::byte> rdata);

// A relay to try, in order.
struct MCTX_API AmtRelayCandidate {
  AmtRelayRecord record;
  // Types ipv4 / ipv6: the record's address. Type name: the addresses the
  // name resolved to (getaddrinfo order); empty when it did not resolve
  // (`problem` says why).
  std::vector<IpAddress> addresses;
  std::string problem;
};

// What the records of one reverse name give.
struct MCTX_API AmtRelayLookup {
  std::string query_name;   // the reverse name that was queried
  std::size_t records = 0;  // AMTRELAY records in the answer (all, parsed or not)
  // The records with a relay (types 1..3), by precedence, lowest first;
  // records of equal precedence in random order (RFC 8777 §4.2).
  std::vector<AmtRelayCandidate> relays;
  // A type-0 record was present: the zone says "no relay" at that
  // precedence. Type-0 records are never candidates.
  bool no_relay_record = false;
  // One line per record that is not used: its RDATA broke a rule
  // ("AMTRELAY record 2 of 3: ...").
  std::vector<std::string> skipped;

  // Why no relay is usable, for a message: "no AMTRELAY record", "only a
  // type-0 (no relay) record", "2 records, none usable: 1 relay with no IPv6
  // address; AMTRELAY record 2 of 2: ...": every record's reason. `family`:
  // the tunnel's, as given to choose_amt_relay(). Meant for when
  // choose_amt_relay() gives nothing.
  std::string why_none(std::optional<Family> family) const;
  std::string why_none() const;  // any family
};

// The relay a gateway uses: the first address of the first candidate (in
// order) that has one of `family` (unset: any family). Its D bit decides
// how it is used (RFC 8777): D=0, Relay Discovery is sent to that
// address and the relay its Advertisement names is used; D=1, Requests go
// to it directly.
struct MCTX_API AmtRelayChoice {
  IpAddress address;
  AmtRelayRecord record;
  bool discovery = true;  // send Relay Discovery to `address` first (D=0)
};
MCTX_API std::optional<AmtRelayChoice> choose_amt_relay(const AmtRelayLookup& lookup,
                                                        std::optional<Family> family = {});
// Every usable relay in order, one per record (its first address of
// `family`): the first is choose_amt_relay()'s, the others are what a
// gateway tries next when it gets no answer.
MCTX_API std::vector<AmtRelayChoice> amt_relay_choices(const AmtRelayLookup& lookup,
                                                       std::optional<Family> family = {});

// Builds the lookup result from the RDATA of each AMTRELAY record of one
// answer: parses them (malformed ones go to `skipped`), drops type 0, and
// orders the rest. `random` gives the order among equal precedences (unset:
// std::random_device). No OS call besides random_device; names are not
// resolved (addresses stays empty for type name).
MCTX_API AmtRelayLookup order_amt_relays(std::string query_name,
                                         std::span<const std::vector<std::byte>> rdata,
                                         const std::function<uint32_t()>& random = {});

struct MCTX_API AmtRelayLookupOptions {
  // Resolve type-3 names (getaddrinfo, A and AAAA, AI_ADDRCONFIG).
  bool resolve_names = true;
  // Order among equal precedences (unset: std::random_device).
  std::function<uint32_t()> random;
};

// Queries the AMTRELAY records of `source`'s reverse name with the system
// resolver (res_nquery with a private resolver state, so it is thread-safe)
// and orders them (order_amt_relays), resolving type-3 names. No record (no
// such name, or no AMTRELAY record at it) is not an error: an empty
// `relays`. Errors (Errc::amt_dns_failed, the message names the query and
// the reason): the resolver cannot be initialised, the servers do not
// answer (timeout, SERVFAIL), they refuse, or the answer cannot be parsed.
// BLOCKS (see the top of this header).
MCTX_API Res<AmtRelayLookup> lookup_amt_relays(const IpAddress& source,
                                               const AmtRelayLookupOptions& options = {});

// The addresses of a relay given by host name (a gateway's relay address,
// or an AMTRELAY type-3 name): the system resolver (getaddrinfo, A and
// AAAA, AI_ADDRCONFIG), in the order it gives (its destination sort), without
// duplicates. Error (Errc::amt_dns_failed): "resolving relay name
// 'relay.example.net': Name or service not known", or "relay name '...'
// has no usable address". BLOCKS (see the top of this header).
MCTX_API Res<std::vector<IpAddress>> resolve_amt_relay_name(const std::string& name);

}  // namespace mctx
