// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The GStreamer plugin "mctx": registers the mctxsink and amtsrc elements.

#include <gst/gst.h>

#include "gstamtsrc.h"
#include "gstmctxsink.h"
#include "mctxsink-log.hpp"

static gboolean plugin_init(GstPlugin* plugin) {
  if (!GST_ELEMENT_REGISTER(mctxsink, plugin)) return FALSE;
  if (!GST_ELEMENT_REGISTER(amtsrc, plugin)) return FALSE;
  mctx::gst::route_core_log();  // the category exists now
  return TRUE;
}

// Origin, version and release date come from the build (gst/meson.build).
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, mctx,
                  "Multicast sending with exact source and interface; AMT gateway source",
                  plugin_init,
                  MCTX_PLUGIN_VERSION, "BSD", MCTX_PACKAGE_NAME, MCTX_PACKAGE_ORIGIN)
