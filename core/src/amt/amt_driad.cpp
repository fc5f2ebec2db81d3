// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// DRIAD (RFC 8777), <mctx/amt_driad.hpp>: the reverse name, the AMTRELAY
// RDATA parser and the ordering are portable code over bytes; the DNS
// query and the name resolution are the platform layer's (platform/dns.hpp).

#include "mctx/amt_driad.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>

#include "common/internal.hpp"
#include "platform/dns.hpp"

namespace mctx {

using internal::fail;
using internal::q;

const char* amt_relay_type_name(AmtRelayType t) noexcept {
  switch (t) {
    case AmtRelayType::none:
      return "none";
    case AmtRelayType::ipv4:
      return "ipv4";
    case AmtRelayType::ipv6:
      return "ipv6";
    case AmtRelayType::name:
      return "name";
  }
  return "unknown";
}

std::string AmtRelayRecord::to_string() const {
  std::string s = std::to_string(precedence) + (discovery_optional ? " 1 " : " 0 ") +
                  std::to_string(static_cast<unsigned>(type)) + " ";
  switch (type) {
    case AmtRelayType::none:
      s += ".";
      break;
    case AmtRelayType::ipv4:
    case AmtRelayType::ipv6:
      s += address ? address->to_string() : "?";
      break;
    case AmtRelayType::name:
      s += name;
      break;
  }
  return s;
}

std::string amt_reverse_name(const IpAddress& address) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto& b = address.bytes();
  std::string name;
  if (address.is_v4()) {
    for (int i = 3; i >= 0; --i) name += std::to_string(b[static_cast<std::size_t>(i)]) + ".";
    return name + "in-addr.arpa.";
  }
  for (int i = 15; i >= 0; --i) {
    const uint8_t v = b[static_cast<std::size_t>(i)];
    name += kHex[v & 0x0f];
    name += '.';
    name += kHex[v >> 4];
    name += '.';
  }
  return name + "ip6.arpa.";
}

namespace {

std::string hex_byte(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v & 0xffu);
  return buf;
}

// The uncompressed wire-format name that fills `bytes` exactly, as an
// absolute host name ("relay.example.net.").
Result<std::string, std::string> parse_relay_name(std::span<const std::byte> bytes) {
  constexpr std::size_t kMaxName = 255;  // RFC 1035 §2.3.4, wire form
  if (bytes.size() > kMaxName) {
    return unexpected("relay name of " + std::to_string(bytes.size()) +
                      " bytes: longer than a domain name (255 bytes)");
  }
  std::string name;
  std::size_t pos = 0;
  int label = 0;
  for (;;) {
    if (pos >= bytes.size()) {
      return unexpected(
          std::string("relay name: the RDATA ends before the name's final "
                      "zero-length label"));
    }
    const auto len = static_cast<unsigned>(bytes[pos]);
    ++label;
    if (len == 0) {
      ++pos;
      break;
    }
    if ((len & 0xc0) != 0) {  // above 63: 0x40..0xff
      return unexpected("relay name label " + std::to_string(label) + ": length byte " +
                        hex_byte(len) +
                        " is a compression pointer or reserved form (RFC 8777: the name is "
                        "never compressed; a label is 1..63 bytes)");
    }
    if (pos + 1 + len > bytes.size()) {
      return unexpected("relay name label " + std::to_string(label) + " of " + std::to_string(len) +
                        " bytes runs past the end of the RDATA");
    }
    for (std::size_t i = 0; i < len; ++i) {
      const auto c = static_cast<unsigned char>(bytes[pos + 1 + i]);
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
      if (!ok) {
        return unexpected("relay name label " + std::to_string(label) + ": byte " + hex_byte(c) +
                          " is not a host name character (letters, digits, '-', '_')");
      }
      name += static_cast<char>(c);
    }
    name += '.';
    pos += 1 + len;
  }
  if (name.empty()) {
    return unexpected(
        std::string("relay name is the root '.': no relay host (type 0 says "
                    "\"no relay\")"));
  }
  if (pos != bytes.size()) {
    return unexpected("relay name ends at byte " + std::to_string(pos) + " of " +
                      std::to_string(bytes.size()) + ": extra bytes after the name");
  }
  return name;
}

}  // namespace

Result<AmtRelayRecord, std::string> parse_amtrelay_rdata(std::span<const std::byte> rdata) {
  if (rdata.size() < 2) {
    return unexpected("RDATA of " + std::to_string(rdata.size()) +
                      " bytes: shorter than the precedence and type fields (2 bytes)");
  }
  AmtRelayRecord r;
  r.precedence = static_cast<uint8_t>(rdata[0]);
  const auto dtype = static_cast<uint8_t>(rdata[1]);
  r.discovery_optional = (dtype & 0x80) != 0;
  const unsigned type = dtype & 0x7fu;
  const auto relay = rdata.subspan(2);
  auto exact = [&](std::size_t want) -> Result<void, std::string> {
    if (relay.size() == want) return {};
    return unexpected("relay type " + std::to_string(type) + " with a relay field of " +
                      std::to_string(relay.size()) + " bytes: must be " + std::to_string(want));
  };
  switch (type) {
    case 0:
      r.type = AmtRelayType::none;
      if (auto e = exact(0); !e) return unexpected(e.error());
      return r;
    case 1:
    case 2: {
      r.type = type == 1 ? AmtRelayType::ipv4 : AmtRelayType::ipv6;
      if (auto e = exact(type == 1 ? 4 : 16); !e) return unexpected(e.error());
      IpAddress a;
      if (type == 1) {
        in_addr v4{};
        std::memcpy(&v4, relay.data(), 4);
        a = IpAddress::v4(v4);
      } else {
        in6_addr v6{};
        std::memcpy(&v6, relay.data(), 16);
        a = IpAddress::v6(v6);
      }
      if (a.is_multicast() || a.is_unspecified()) {
        return unexpected("relay address " + q(a) +
                          " is a multicast or unspecified address: a relay has a unicast "
                          "address");
      }
      r.address = a;
      return r;
    }
    case 3: {
      r.type = AmtRelayType::name;
      auto n = parse_relay_name(relay);
      if (!n) return unexpected(n.error());
      r.name = std::move(*n);
      return r;
    }
    default:
      return unexpected("relay type " + std::to_string(type) +
                        ": unknown (0 none, 1 IPv4, 2 IPv6, 3 name)");
  }
}

AmtRelayLookup order_amt_relays(std::string query_name,
                                std::span<const std::vector<std::byte>> rdata,
                                const std::function<uint32_t()>& random) {
  AmtRelayLookup out;
  out.query_name = std::move(query_name);
  out.records = rdata.size();
  struct Keyed {
    uint32_t key;
    AmtRelayCandidate c;
  };
  std::vector<Keyed> keyed;
  std::random_device rd;
  for (std::size_t i = 0; i < rdata.size(); ++i) {
    auto r = parse_amtrelay_rdata(rdata[i]);
    if (!r) {
      out.skipped.push_back("AMTRELAY record " + std::to_string(i + 1) + " of " +
                            std::to_string(rdata.size()) + ": " + r.error());
      continue;
    }
    if (r->type == AmtRelayType::none) {
      out.no_relay_record = true;
      continue;
    }
    AmtRelayCandidate c;
    if (r->address) c.addresses.push_back(*r->address);
    c.record = std::move(*r);
    keyed.push_back({random ? random() : static_cast<uint32_t>(rd()), std::move(c)});
  }
  // Precedence first; a random key orders equal precedences.
  std::stable_sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    if (a.c.record.precedence != b.c.record.precedence) {
      return a.c.record.precedence < b.c.record.precedence;
    }
    return a.key < b.key;
  });
  for (auto& k : keyed) out.relays.push_back(std::move(k.c));
  return out;
}

std::string AmtRelayLookup::why_none(std::optional<Family> family) const {
  if (records == 0) return "no AMTRELAY record";
  if (relays.empty() && skipped.empty()) return "only a type-0 (no relay) record";
  std::vector<std::string> reasons;
  std::size_t other_family = 0;  // relays with addresses, none of `family`
  for (const AmtRelayCandidate& c : relays) {
    if (!c.problem.empty()) {
      reasons.push_back(c.problem);
    } else if (family && std::none_of(c.addresses.begin(), c.addresses.end(),
                                      [&](const IpAddress& a) { return a.family() == *family; })) {
      ++other_family;
    }
  }
  if (other_family > 0) {
    reasons.insert(reasons.begin(), std::to_string(other_family) +
                                        (other_family == 1 ? " relay" : " relays") +
                                        " with no " + family_name(*family) + " address");
  }
  reasons.insert(reasons.end(), skipped.begin(), skipped.end());
  std::string s =
      std::to_string(records) + (records == 1 ? " record" : " records") + ", none usable";
  for (std::size_t i = 0; i < reasons.size(); ++i) s += (i == 0 ? ": " : "; ") + reasons[i];
  return s;
}

std::string AmtRelayLookup::why_none() const { return why_none(std::nullopt); }

std::vector<AmtRelayChoice> amt_relay_choices(const AmtRelayLookup& lookup,
                                              std::optional<Family> family) {
  std::vector<AmtRelayChoice> out;
  for (const AmtRelayCandidate& c : lookup.relays) {
    for (const IpAddress& a : c.addresses) {
      if (family && a.family() != *family) continue;
      out.push_back(AmtRelayChoice{a, c.record, !c.record.discovery_optional});
      break;
    }
  }
  return out;
}

std::optional<AmtRelayChoice> choose_amt_relay(const AmtRelayLookup& lookup,
                                               std::optional<Family> family) {
  auto all = amt_relay_choices(lookup, family);
  if (all.empty()) return std::nullopt;
  return std::move(all.front());
}

namespace {

const char* status_text(platform::DnsStatus s) {
  switch (s) {
    case platform::DnsStatus::ok:
      return "answered";
    case platform::DnsStatus::no_such_name:
      return "no such name";
    case platform::DnsStatus::no_data:
      return "no AMTRELAY record";
    case platform::DnsStatus::no_answer:
      return "no usable answer from the DNS servers (timeout, SERVFAIL or REFUSED)";
    case platform::DnsStatus::refused:
      return "the DNS server refused the query";
    case platform::DnsStatus::bad_answer:
      return "malformed answer";
    case platform::DnsStatus::resolver_error:
      return "resolver unavailable";
  }
  return "unknown";
}

}  // namespace

Res<AmtRelayLookup> lookup_amt_relays(const IpAddress& source,
                                      const AmtRelayLookupOptions& options) {
  std::string name = amt_reverse_name(source);
  platform::DnsAnswer a = platform::dns_query(name, kAmtRelayRrType);
  switch (a.status) {
    case platform::DnsStatus::ok:
    case platform::DnsStatus::no_such_name:
    case platform::DnsStatus::no_data:
      break;
    default:
      return fail(Errc::amt_dns_failed, "DNS query for the AMTRELAY records of source " +
                                            q(source) + " at " + q(name) + ": " +
                                            status_text(a.status) + " (" + a.detail + ")");
  }
  AmtRelayLookup out = order_amt_relays(std::move(name), a.rdata, options.random);
  if (!options.resolve_names) return out;
  for (AmtRelayCandidate& c : out.relays) {
    if (c.record.type != AmtRelayType::name) continue;
    auto addrs = resolve_amt_relay_name(c.record.name);
    if (addrs) {
      c.addresses = std::move(*addrs);
    } else {
      c.problem = std::move(addrs.error().message);
    }
  }
  return out;
}

Res<std::vector<IpAddress>> resolve_amt_relay_name(const std::string& name) {
  auto addrs = platform::resolve_host_addresses(name);
  if (!addrs) {
    return fail(Errc::amt_dns_failed, "resolving relay name " + q(name) + ": " + addrs.error());
  }
  if (addrs->empty()) {
    return fail(Errc::amt_dns_failed, "relay name " + q(name) + " has no usable address");
  }
  return std::move(*addrs);
}

}  // namespace mctx
