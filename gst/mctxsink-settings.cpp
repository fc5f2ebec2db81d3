// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Settings -> core configuration, error messages, and the mctx:// URI scheme.
// The rules themselves live in the core (IpAddress::parse,
// InterfaceSpec::parse, PublicationConfig::validate); this file only says
// which property a value came from.

#include <string>

#include "mctx/address.hpp"
#include "mctxsink-settings.hpp"

namespace mctx::gst {

mctx::Result<mctx::PublicationConfig, StartError> build_publication_config(const Settings& s) {
  if (s.group.empty()) {
    StartError e;
    e.kind = StartError::Kind::settings;
    e.message =
        "group is not set: set the multicast group to send to, for example group=239.1.2.3 "
        "or group=ff3e::8000:1234";
    e.debug = "property 'group' is NULL";
    return mctx::unexpected(std::move(e));
  }
  auto group = mctx::IpAddress::parse(s.group);
  if (!group) return mctx::unexpected(start_error_from(group.error(), "group"));

  mctx::PublicationConfig config(*group, static_cast<uint16_t>(s.port));
  if (!s.source_address.empty()) {
    auto source = mctx::IpAddress::parse(s.source_address);
    if (!source) return mctx::unexpected(start_error_from(source.error(), "source-address"));
    config.with_source_address(*source);
  }
  if (s.source_port != 0) config.with_source_port(static_cast<uint16_t>(s.source_port));
  if (!s.interface.empty()) {
    auto itf = mctx::InterfaceSpec::parse(s.interface);
    if (!itf) return mctx::unexpected(start_error_from(itf.error(), "interface"));
    config.with_interface(std::move(*itf));
  }
  config.with_ttl(static_cast<int>(s.ttl));
  config.with_loopback(s.loop);
  if (s.dscp >= 0) config.with_dscp(s.dscp);
  if (s.buffer_size > 0) config.with_send_buffer_size(s.buffer_size);
  config.with_gso(s.gso);
  config.with_max_rate(s.max_rate);
  return config;
}

}  // namespace mctx::gst
