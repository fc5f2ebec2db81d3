// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The property values of mctxsink (not installed): Settings, plain C++,
// copied at start(), and how they become the core's PublicationConfig
// (mctxsink-settings.cpp). The destinations property is a Destinations
// (mctxsink-destination-list.hpp).

#include <gio/gio.h>
#include <glib.h>

#include <string>

#include "mctx/config.hpp"
#include "mctx/publication.hpp"
#include "mctx/result.hpp"
#include "mctxsink-deliver.hpp"
#include "mctxsink-errors.hpp"
#include "mctxsink-gref.hpp"

namespace mctx::gst {

// Property values and their defaults (the DEFAULT_* of the element).

inline constexpr guint kDefaultPort = 5004;
inline constexpr guint kDefaultSourcePort = 0;   // 0 = ephemeral
inline constexpr guint kDefaultTtl = 1;
inline constexpr bool kDefaultLoop = true;
// udpsink's auto-multicast, force-ipv4 and send-duplicates: accepted, moot.
inline constexpr bool kDefaultAutoMulticast = true;
inline constexpr bool kDefaultForceIpv4 = false;
inline constexpr bool kDefaultSendDuplicates = true;
inline constexpr gint kDefaultDscp = -1;         // -1 = leave alone
inline constexpr gint kDefaultBufferSize = 0;    // 0 = system default
inline constexpr bool kDefaultRawMode = false;
inline constexpr bool kDefaultCloseSocket = true;
inline constexpr guint kDefaultStatsInterval = 1000;  // ms; 0 = final only
inline constexpr mctx::Gso kDefaultGso = mctx::kDefaultGso;  // auto
inline constexpr guint64 kDefaultMaxRate = 0;              // bits/s; 0 = unpaced
inline constexpr QueueFull kDefaultQueueFull = QueueFull::wait;
inline constexpr guint kDefaultMaxOutage = 0;         // ms; 0 = wait forever
inline constexpr bool kDefaultAnnounce = false;
inline constexpr const char* kDefaultSessionName = "mctx stream";
inline constexpr guint kDefaultAnnounceInterval = 5;  // s (mctx::kDefaultSapInterval)
inline constexpr guint kMaxAnnounceInterval = 3600;   // s

static_assert(kDefaultTtl == static_cast<guint>(mctx::kDefaultTtl));
static_assert(kDefaultLoop == mctx::kDefaultLoopback);

struct Settings {
  std::string group;           // "" = not set
  guint port = kDefaultPort;
  std::string source_address;  // "" = not set
  guint source_port = kDefaultSourcePort;
  std::string interface;       // "" = not set
  guint ttl = kDefaultTtl;
  const char* ttl_from = "default";  // the property that last set ttl (start log)
  bool loop = kDefaultLoop;
  gint dscp = kDefaultDscp;
  gint buffer_size = kDefaultBufferSize;
  bool raw_mode = kDefaultRawMode;
  GRef<GSocket> socket;        // caller-provided socket, or none
  bool close_socket = kDefaultCloseSocket;
  bool auto_multicast = kDefaultAutoMulticast;    // moot: never joins
  bool force_ipv4 = kDefaultForceIpv4;            // moot: the group's family decides
  bool send_duplicates = kDefaultSendDuplicates;  // moot: destinations are unique
  guint stats_interval_ms = kDefaultStatsInterval;
  std::string metrics_file;    // "" = none (mctxsink-metrics-file.hpp)
  mctx::Gso gso = kDefaultGso;
  guint64 max_rate = kDefaultMaxRate;
  QueueFull queue_full = kDefaultQueueFull;
  guint max_outage_ms = kDefaultMaxOutage;
  // SDP and SAP (mctxsink-sdp.hpp)
  std::string sdp_file;          // "" = none
  bool announce = kDefaultAnnounce;
  std::string session_name = kDefaultSessionName;
  std::string announce_address;  // "" = sap_address_for(group)
  guint announce_interval_s = kDefaultAnnounceInterval;
};

// Settings -> PublicationConfig (does not validate(): Publication::open /
// adopt do that, and their errors go through start_error_from()).
mctx::Result<mctx::PublicationConfig, StartError> build_publication_config(const Settings& s);

}  // namespace mctx::gst
