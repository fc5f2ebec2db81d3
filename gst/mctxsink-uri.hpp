// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The mctx:// URI scheme of mctxsink's URI handler and of the destinations
// property (mctxsink-uri.cpp; not installed).

#include <glib.h>

#include <string>

#include "mctxsink-settings.hpp"

namespace mctx::gst {

// mctx://GROUP[:PORT][?key=value&...]

// Parses uri into `out` (start from default Settings: keys not in the URI get
// their default). Returns false with a GST_URI_ERROR naming the part, key
// and value at fault.
bool parse_uri(const char* uri, Settings& out, GError** error);
// The URI that describes s (non-default values only); "" when no group is set.
std::string build_uri(const Settings& s);
// The properties a URI sets (parse_uri() fills these, set_uri copies them).
void copy_uri_fields(const Settings& from, Settings& to);

}  // namespace mctx::gst
