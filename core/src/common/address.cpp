// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "mctx/address.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <charconv>
#include <cstring>

#include "common/internal.hpp"
#include "platform/platform.hpp"

namespace mctx {

using internal::q;

namespace {

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Parses a decimal number in [0, max]; nullopt on anything else.
std::optional<uint32_t> parse_uint(std::string_view s, uint32_t max) noexcept {
  if (!all_digits(s) || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v > max) return std::nullopt;
  return static_cast<uint32_t>(v);
}

}  // namespace

const char* family_name(Family f) noexcept { return f == Family::ipv4 ? "IPv4" : "IPv6"; }

// ---- IpAddress ---------------------------------------------------------------

IpAddress IpAddress::v4(const in_addr& a) noexcept {
  IpAddress r;
  r.family_ = Family::ipv4;
  std::memcpy(r.bytes_.data(), &a.s_addr, 4);
  return r;
}

IpAddress IpAddress::v4(uint32_t host_order) noexcept {
  in_addr a{};
  a.s_addr = htonl(host_order);
  return v4(a);
}

IpAddress IpAddress::v6(const in6_addr& a, uint32_t scope_id) noexcept {
  IpAddress r;
  r.family_ = Family::ipv6;
  std::memcpy(r.bytes_.data(), a.s6_addr, 16);
  r.scope_id_ = scope_id;
  return r;
}

IpAddress IpAddress::any(Family f) noexcept {
  if (f == Family::ipv4) return IpAddress{};
  return v6(in6addr_any);
}

Res<IpAddress> IpAddress::parse(std::string_view text) {
  std::string_view s = text;
  bool bracketed = false;
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') {
    s = s.substr(1, s.size() - 2);
    bracketed = true;
  }
  std::string_view scope;
  bool has_scope = false;
  if (auto pct = s.find('%'); pct != std::string_view::npos) {
    scope = s.substr(pct + 1);
    s = s.substr(0, pct);
    has_scope = true;
  }
  const std::string addr(s);
  if (!bracketed && !has_scope) {
    in_addr a4{};
    if (::inet_pton(AF_INET, addr.c_str(), &a4) == 1) return v4(a4);
  }
  in6_addr a6{};
  if (::inet_pton(AF_INET6, addr.c_str(), &a6) != 1) {
    in_addr a4{};
    if (::inet_pton(AF_INET, addr.c_str(), &a4) == 1) {
      if (has_scope) {
        return unexpected(
            make_error(Errc::invalid_address,
                       "address " + q(text) + " is IPv4 and cannot carry a scope ('%...')"));
      }
      return unexpected(
          make_error(Errc::invalid_address,
                     "address " + q(text) + " is IPv4 and must not be written in brackets"));
    }
    return unexpected(
        make_error(Errc::invalid_address, q(text) + " is not an IPv4 or IPv6 address"));
  }
  uint32_t scope_id = 0;
  if (has_scope) {
    if (scope.empty()) {
      return unexpected(make_error(Errc::invalid_address,
                                   "address " + q(text) + " has an empty scope after '%'"));
    }
    if (all_digits(scope)) {
      auto v = parse_uint(scope, UINT32_MAX);
      if (!v) {
        return unexpected(
            make_error(Errc::invalid_address, "address " + q(text) + " has an out-of-range scope"));
      }
      scope_id = *v;
    } else {
      auto idx = platform::interface_index(std::string(scope));
      if (!idx) {
        return unexpected(make_error(Errc::interface_not_found,
                                     "scope " + q(scope) + " of address " + q(text) +
                                         ": interface " + q(scope) + " does not exist"));
      }
      scope_id = *idx;
    }
  }
  return v6(a6, scope_id);
}

bool IpAddress::is_unspecified() const noexcept {
  const std::size_t n = is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) {
    if (bytes_[i] != 0) return false;
  }
  return true;
}

bool IpAddress::is_multicast() const noexcept {
  if (is_v4()) return (bytes_[0] & 0xf0) == 0xe0;  // 224.0.0.0/4
  return bytes_[0] == 0xff;                          // ff00::/8
}

bool IpAddress::is_loopback() const noexcept {
  if (is_v4()) return bytes_[0] == 127;
  for (std::size_t i = 0; i < 15; ++i) {
    if (bytes_[i] != 0) return false;
  }
  return bytes_[15] == 1;
}

bool IpAddress::is_link_local_unicast() const noexcept {
  if (is_v4()) return bytes_[0] == 169 && bytes_[1] == 254;
  return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

bool IpAddress::is_ssm() const noexcept {
  if (is_v4()) return bytes_[0] == 232;
  // ff3X:0000::/32 (RFC 4607): flags P=1,T=1, any scope, plen 0, prefix 0.
  return bytes_[0] == 0xff && (bytes_[1] & 0xf0) == 0x30 && bytes_[2] == 0 && bytes_[3] == 0;
}

uint8_t IpAddress::multicast_scope() const noexcept {
  if (!is_v6() || !is_multicast()) return 0;
  return bytes_[1] & 0x0f;
}

bool IpAddress::needs_scope_id() const noexcept {
  const uint8_t s = multicast_scope();
  return s == 0x1 || s == 0x2;
}

IpAddress IpAddress::with_scope_id(uint32_t scope) const noexcept {
  IpAddress r = *this;
  if (r.is_v6()) r.scope_id_ = scope;
  return r;
}

in_addr IpAddress::to_in_addr() const noexcept {
  in_addr a{};
  std::memcpy(&a.s_addr, bytes_.data(), 4);
  return a;
}

in6_addr IpAddress::to_in6_addr() const noexcept {
  in6_addr a{};
  std::memcpy(a.s6_addr, bytes_.data(), 16);
  return a;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    const in_addr a = to_in_addr();
    ::inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
  }
  const in6_addr a = to_in6_addr();
  ::inet_ntop(AF_INET6, &a, buf, sizeof buf);
  std::string s = buf;
  if (scope_id_ != 0) s += "%" + std::to_string(scope_id_);
  return s;
}

// ---- Endpoint ------------------------------------------------------------------

Res<Endpoint> Endpoint::parse(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return unexpected(make_error(Errc::invalid_endpoint, "endpoint " + q(text) + " " + why));
  };
  std::string_view addr_text;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad("has '[' without ']'");
    if (close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("needs a port after the address: write [ADDRESS]:PORT");
    }
    addr_text = text.substr(0, close + 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("needs a port: write ADDRESS:PORT");
    if (text.find(':') != colon) {
      return bad("is ambiguous: write an IPv6 endpoint as [ADDRESS]:PORT");
    }
    addr_text = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  auto port = parse_uint(port_text, 65535);
  if (!port) return bad("has an invalid port " + q(port_text) + " (0..65535)");
  auto addr = IpAddress::parse(addr_text);
  if (!addr) {
    Error e = std::move(addr).error();
    if (e.code == Errc::invalid_address) e.code = Errc::invalid_endpoint;
    e.message = "endpoint " + q(text) + ": " + e.message;
    return unexpected(std::move(e));
  }
  return Endpoint{*addr, static_cast<uint16_t>(*port)};
}

std::optional<Endpoint> Endpoint::from_sockaddr(const sockaddr* sa, socklen_t len) noexcept {
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    return Endpoint{IpAddress::v4(sin.sin_addr), ntohs(sin.sin_port)};
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof sin6);
    return Endpoint{IpAddress::v6(sin6.sin6_addr, sin6.sin6_scope_id), ntohs(sin6.sin6_port)};
  }
  return std::nullopt;
}

socklen_t Endpoint::to_sockaddr(sockaddr_storage& out) const noexcept {
  std::memset(&out, 0, sizeof out);
  if (address.is_v4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr = address.to_in_addr();
    std::memcpy(&out, &sin, sizeof sin);
    return sizeof sin;
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  sin6.sin6_addr = address.to_in6_addr();
  sin6.sin6_scope_id = address.scope_id();
  std::memcpy(&out, &sin6, sizeof sin6);
  return sizeof sin6;
}

std::string Endpoint::to_string() const {
  if (address.is_v4()) return address.to_string() + ":" + std::to_string(port);
  return "[" + address.to_string() + "]:" + std::to_string(port);
}

// ---- InterfaceSpec -------------------------------------------------------------

Res<InterfaceSpec> InterfaceSpec::parse(std::string_view text) {
  if (text.empty()) {
    return unexpected(make_error(Errc::invalid_interface,
                                 "interface '' is empty: give an address, an index or a name"));
  }
  if (all_digits(text)) {
    auto idx = parse_uint(text, UINT32_MAX);
    if (!idx) {
      return unexpected(
          make_error(Errc::invalid_interface, "interface index " + q(text) + " is out of range"));
    }
    return InterfaceSpec::index(*idx);
  }
  bool looks_like_address = text.find(':') != std::string_view::npos || text.front() == '[';
  bool dotted_digits = true;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '.')) dotted_digits = false;
  }
  looks_like_address = looks_like_address || dotted_digits;
  auto addr = IpAddress::parse(text);
  if (addr) return InterfaceSpec::address(*addr);
  if (looks_like_address) {
    Error e = std::move(addr).error();
    if (e.code == Errc::invalid_address) e.code = Errc::invalid_interface;
    e.message = "interface " + q(text) + ": " + e.message;
    return unexpected(std::move(e));
  }
  if (text.size() >= IF_NAMESIZE) {
    return unexpected(
        make_error(Errc::invalid_interface, "interface name " + q(text) + " is longer than " +
                                                std::to_string(IF_NAMESIZE - 1) + " characters"));
  }
  for (char c : text) {
    if (c == '/' || c == '%' || c == ' ' || c == '\t' || c == '\n' || c == '\0') {
      return unexpected(make_error(
          Errc::invalid_interface,
          "interface " + q(text) + " is neither an address, an index nor an interface name"));
    }
  }
  return InterfaceSpec::name(std::string(text));
}

std::string InterfaceSpec::to_string() const {
  switch (kind_) {
    case Kind::none: return "";
    case Kind::address: return addr_.to_string();
    case Kind::index: return std::to_string(index_);
    case Kind::name: return name_;
  }
  return "";
}

}  // namespace mctx
