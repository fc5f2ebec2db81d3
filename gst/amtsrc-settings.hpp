// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The settings of amtsrc (not installed): property values, their checks
// (the rules live in the core: IpAddress::parse, AmtGatewayConfig::validate,
// AmtTunnelConfig::validate; this file names the property a value came
// from) and the amt:// URI.

#include <gst/gst.h>

#include <cstdint>
#include <optional>
#include <string>

#include "mctx/amt.hpp"
#include "mctx/amt_tunnel.hpp"
#include "mctx/result.hpp"

namespace mctx::gst {

enum class AmtOutput { payload = 0, datagram = 1 };

inline constexpr guint kAmtDefaultRelayPort = kAmtPort;
inline constexpr guint kAmtDefaultMetricsInterval = 1000;  // ms; 0 = only at stop
inline constexpr const char* kAmtDiscoveryV4 = "192.52.193.1";  // RFC 7450 §7.1
inline constexpr const char* kAmtDiscoveryV6 = "2001:3::";      // RFC 7450 §7.1

struct AmtSettings {
  std::string relay_address;   // "" = DRIAD (for an (S,G)), then the anycast address
  guint relay_port = kAmtDefaultRelayPort;
  std::string group;
  std::string source_address;  // "" = (*,G)
  AmtOutput output = AmtOutput::payload;
  std::string local_address;   // tunnel bind address ("" = any)
  std::string interface;       // tunnel interface ("" = any)
  guint port = 0;              // inner UDP destination port filter (0 = any)
  gint buffer_size = 0;        // SO_RCVBUF (0 = system default)
  guint64 timeout = 0;         // ns without data before amtsrc-timeout (0 = off)
  guint metrics_interval = kAmtDefaultMetricsInterval;
  bool dns_discovery = true;   // DRIAD when relay_address is empty and a source is set
};

// What start() needs, checked: every message names the property, the value
// and the rule. `relay` is the relay address already resolved (a host name
// is resolved by the caller, an AMTRELAY record by DRIAD); unset: Relay
// Discovery at the anycast address. `discover_at_relay`: Relay Discovery is
// sent to `relay` itself and the relay its Advertisement names is used (an
// AMTRELAY record with D=0, RFC 8777).
struct AmtPlan {
  AmtGatewayConfig gateway;
  AmtTunnelConfig tunnel;
  std::string relay_text;  // for messages: "192.0.2.1:2268" or "discovery at 192.52.193.1:2268"
};
Result<AmtPlan, std::string> make_plan(const AmtSettings& s,
                                       const std::optional<IpAddress>& relay,
                                       bool discover_at_relay = false);

// amt://SOURCE@GROUP[:PORT]?relay=ADDRESS (amt://GROUP[:PORT] for (*,G);
// IPv6 addresses in brackets). Sets group, source-address, port and
// relay-address of `s`; an error names the URI part and the rule.
Result<void, std::string> parse_amt_uri(const std::string& uri, AmtSettings& s);
std::string make_amt_uri(const AmtSettings& s);

}  // namespace mctx::gst
