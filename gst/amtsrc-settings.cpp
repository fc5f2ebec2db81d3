// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// amtsrc settings -> the core's AMT configuration, and the amt:// URI.

#include "amtsrc-settings.hpp"

#include <string_view>
#include <utility>

namespace mctx::gst {

namespace {

std::string quoted(std::string_view v) { return "'" + std::string(v) + "'"; }

// "group '1.2.3.4': <core message>"
std::string bad(const char* property, std::string_view value, const std::string& rule) {
  return std::string(property) + " " + quoted(value) + ": " + rule;
}

Result<IpAddress, std::string> parse_ip(const char* property, const std::string& value) {
  auto a = IpAddress::parse(value);
  if (!a) return unexpected(bad(property, value, a.error().message));
  return *a;
}

// "[v6]" -> "v6"; anything else unchanged.
std::string_view strip_brackets(std::string_view s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

Result<AmtPlan, std::string> make_plan(const AmtSettings& s,
                                       const std::optional<IpAddress>& relay,
                                       bool discover_at_relay) {
  AmtPlan plan;
  if (s.group.empty()) {
    return unexpected(std::string(
        "group is not set: amtsrc needs the multicast group to receive (property 'group')"));
  }
  auto group = parse_ip("group", s.group);
  if (!group) return unexpected(group.error());
  if (!group->is_multicast()) {
    return unexpected(bad("group", s.group, "not a multicast address (224.0.0.0/4 or ff00::/8)"));
  }
  AmtGroup g{*group, std::nullopt};
  if (!s.source_address.empty()) {
    auto src = parse_ip("source-address", s.source_address);
    if (!src) return unexpected(src.error());
    if (src->family() != group->family()) {
      return unexpected(bad("source-address", s.source_address,
                            "not of the family of group '" + s.group + "'"));
    }
    if (src->is_multicast() || src->is_unspecified()) {
      return unexpected(bad("source-address", s.source_address,
                            "must be the unicast address of the multicast source (empty: any "
                            "source)"));
    }
    g.source = *src;
  }
  plan.gateway.groups.push_back(g);
  if (s.relay_port == 0 || s.relay_port > 65535) {
    return unexpected(bad("relay-port", std::to_string(s.relay_port), "must be 1..65535"));
  }
  const auto relay_port = static_cast<uint16_t>(s.relay_port);
  Family tunnel_family = Family::ipv4;
  if (relay && discover_at_relay) {
    plan.gateway.discovery = Endpoint{*relay, relay_port};
    tunnel_family = relay->family();
    plan.relay_text = "relay discovery at " + plan.gateway.discovery->to_string();
  } else if (relay) {
    plan.gateway.relay = Endpoint{*relay, relay_port};
    tunnel_family = relay->family();
    plan.relay_text = "relay " + plan.gateway.relay->to_string();
    if (!s.relay_address.empty() && s.relay_address != relay->to_string()) {
      plan.relay_text += " (" + s.relay_address + ")";
    }
  } else {
    // Discovery at the anycast address of the local address's family (the
    // groups' family when no local address is set).
    Family f = group->family();
    if (!s.local_address.empty()) {
      auto la = parse_ip("local-address", s.local_address);
      if (!la) return unexpected(la.error());
      f = la->family();
    }
    auto any = IpAddress::parse(f == Family::ipv4 ? kAmtDiscoveryV4 : kAmtDiscoveryV6);
    plan.gateway.discovery = Endpoint{*any, relay_port};
    tunnel_family = f;
    plan.relay_text = "relay discovery at " + plan.gateway.discovery->to_string();
  }
  plan.tunnel.family = tunnel_family;
  if (!s.local_address.empty()) {
    auto la = parse_ip("local-address", s.local_address);
    if (!la) return unexpected(la.error());
    if (la->family() != tunnel_family) {
      return unexpected(bad("local-address", s.local_address,
                            "not of the relay's family (" + plan.relay_text + ")"));
    }
    plan.tunnel.local_address = *la;
  }
  plan.tunnel.interface = s.interface;
  if (s.buffer_size < 0) {
    return unexpected(bad("buffer-size", std::to_string(s.buffer_size),
                          "must be 0 (the system default) or a number of bytes"));
  }
  plan.tunnel.receive_buffer = s.buffer_size;
  if (s.port > 65535) {
    return unexpected(bad("port", std::to_string(s.port), "must be 0 (any) or 1..65535"));
  }
  if (s.port != 0) plan.gateway.udp_port = static_cast<uint16_t>(s.port);
  plan.gateway.udp_only = s.output == AmtOutput::payload;
  if (auto v = plan.tunnel.validate(); !v) {
    const char* prop = v.error().code == Errc::interface_not_found ? "interface" : "local-address";
    return unexpected(std::string(prop) + ": " + v.error().message);
  }
  if (auto v = plan.gateway.validate(); !v) return unexpected(v.error().message);
  return plan;
}

Result<void, std::string> parse_amt_uri(const std::string& uri, AmtSettings& s) {
  constexpr std::string_view scheme = "amt://";
  std::string_view rest(uri);
  if (rest.substr(0, scheme.size()) != scheme) {
    return unexpected(bad("uri", uri, "must start with amt://"));
  }
  rest.remove_prefix(scheme.size());
  std::string relay;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    while (!query.empty()) {
      const auto amp = query.find('&');
      std::string_view kv = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (kv.substr(0, 6) == "relay=") {
        relay = std::string(strip_brackets(kv.substr(6)));
      } else if (!kv.empty()) {
        return unexpected(bad("uri", uri,
                              "unknown query parameter '" + std::string(kv) + "' (only relay=)"));
      }
    }
  }
  std::string source;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    source = std::string(strip_brackets(rest.substr(0, at)));
    rest.remove_prefix(at + 1);
    if (source.empty()) return unexpected(bad("uri", uri, "empty source before '@'"));
  }
  std::string group;
  guint port = 0;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return unexpected(bad("uri", uri, "IPv6 group without its closing ']'"));
    }
    group = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return unexpected(bad("uri", uri, "expected ':PORT' after ']'"));
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = rest.find(':');
    group = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (group.empty()) return unexpected(bad("uri", uri, "no group (amt://SOURCE@GROUP[:PORT])"));
  if (!port_text.empty() || rest.find(':') != std::string_view::npos) {
    if (port_text.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string_view::npos) {
      return unexpected(bad("uri", uri, "port must be a number 1..65535"));
    }
    port = static_cast<guint>(std::stoul(std::string(port_text)));
    if (port == 0 || port > 65535) {
      return unexpected(bad("uri", uri, "port must be a number 1..65535"));
    }
  }
  if (auto g = IpAddress::parse(group); !g) {
    return unexpected(bad("uri", uri, "group: " + g.error().message));
  }
  if (!source.empty()) {
    if (auto a = IpAddress::parse(source); !a) {
      return unexpected(bad("uri", uri, "source: " + a.error().message));
    }
  }
  s.group = group;
  s.source_address = source;
  s.port = port;
  s.relay_address = relay;
  return {};
}

std::string make_amt_uri(const AmtSettings& s) {
  auto wrap = [](const std::string& a) {
    return a.find(':') != std::string::npos ? "[" + a + "]" : a;
  };
  std::string uri = "amt://";
  if (!s.source_address.empty()) uri += wrap(s.source_address) + "@";
  uri += wrap(s.group);
  if (s.port != 0) uri += ":" + std::to_string(s.port);
  if (!s.relay_address.empty()) uri += "?relay=" + s.relay_address;
  return uri;
}

}  // namespace mctx::gst
