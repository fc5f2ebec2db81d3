// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The GstURIHandler glue that mctxsink and amtsrc share (not installed).

#include <gst/gst.h>

namespace mctx::gst {

// Fills the GstURIHandler interface `g_iface` of an element: a `Type`
// handler (GST_URI_SRC or GST_URI_SINK) of the protocols `Protocols` (a
// nullptr-terminated array), with the element's own get_uri and set_uri.
template <GstURIType Type, const gchar* const* Protocols>
void init_uri_handler(gpointer g_iface, gchar* (*get_uri)(GstURIHandler*),
                      gboolean (*set_uri)(GstURIHandler*, const gchar*, GError**)) {
  auto iface = static_cast<GstURIHandlerInterface*>(g_iface);
  iface->get_type = [](GType) { return Type; };
  iface->get_protocols = [](GType) { return Protocols; };
  iface->get_uri = get_uri;
  iface->set_uri = set_uri;
}

}  // namespace mctx::gst
