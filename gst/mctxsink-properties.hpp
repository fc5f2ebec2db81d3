// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The properties of mctxsink (not installed): their ids, their specs (with
// the gtk-doc of each) and how a GValue is written into / read from the
// Settings and the Destinations (mctxsink-properties.cpp). The element
// (gstmctxsink.cpp) holds the lock, refuses MUTABLE_READY sets while running
// and notifies.

#include <glib-object.h>
#include <gst/gst.h>

#include "mctxsink-destination-list.hpp"
#include "mctxsink-settings.hpp"

namespace mctx::gst {

enum PropId : guint {
  PROP_0,
  PROP_GROUP,
  PROP_PORT,
  PROP_SOURCE_ADDRESS,
  PROP_SOURCE_PORT,
  PROP_INTERFACE,
  PROP_TTL,
  PROP_LOOP,
  PROP_DSCP,
  PROP_BUFFER_SIZE,
  PROP_RAW_MODE,
  PROP_SOCKET,
  PROP_CLOSE_SOCKET,
  PROP_USED_SOCKET,
  PROP_METRICS,
  PROP_STATS_INTERVAL,
  PROP_GSO,
  PROP_MAX_RATE,
  PROP_QUEUE_FULL,
  PROP_MAX_OUTAGE,
  PROP_DESTINATIONS,
  PROP_SDP_FILE,
  PROP_ANNOUNCE,
  PROP_SDP,
  PROP_SESSION_NAME,
  PROP_ANNOUNCE_ADDRESS,
  PROP_ANNOUNCE_INTERVAL,
  PROP_METRICS_FILE,
  // udpsink's names for the properties above (aliases)
  PROP_HOST,
  PROP_MULTICAST_IFACE,
  PROP_TTL_MC,
  PROP_QOS_DSCP,
  PROP_BIND_ADDRESS,
  PROP_BIND_PORT,
  // udpsink's properties that are moot here (accepted, stored, no effect)
  PROP_AUTO_MULTICAST,
  PROP_FORCE_IPV4,
  PROP_SEND_DUPLICATES,
};

// Installs every property on the element class, and marks the enum types
// (GstMctxSinkGso, GstMctxSinkQueueFull) as plugin API.
void install_properties(GObjectClass* klass);

// Writes `value` into the field of property `prop_id` (an alias: its
// target's), logging a change at INFO. Returns whether the value changed.
// Not for metrics, used-socket and sdp (read-only).
bool write_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec,
                    Settings& s, Destinations& destinations);

// Reads the value of property `prop_id` (not metrics, used-socket and sdp).
void read_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec,
                   const Settings& s, const Destinations& destinations);

// The other name of an alias pair (udpsink's name <-> mctxsink's), or
// nullptr.
const char* alias_partner(const char* name);

}  // namespace mctx::gst
