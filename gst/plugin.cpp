// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The GStreamer plugin "mctx": registers the mctxsink element.

#include <gst/gst.h>

#include "gstmctxsink.h"

static gboolean plugin_init(GstPlugin* plugin) {
  return GST_ELEMENT_REGISTER(mctxsink, plugin);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, mctx,
                  "Multicast sender: mctxsink sends buffers to an IPv4/IPv6 multicast group "
                  "with an exact source address and interface, and posts send metrics",
                  plugin_init, MCTX_PLUGIN_VERSION, "BSD", MCTX_PACKAGE_NAME, MCTX_PACKAGE_ORIGIN)
