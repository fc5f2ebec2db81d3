// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The start of every GStreamer benchmark (mctx-gst-bench, mctx-gst-many,
// mctx-amt-bench): its options with GStreamer's (gst_init() included), and
// the element under test from the build tree when the registry lacks it.

#include <gst/gst.h>

#include <string>

#include "bench-common.hpp"

namespace mctx::bench {

// parse_options() with GStreamer's option group (gst_init() included).
inline void parse_gst_options(const char* program, const char* parameter, const char* summary,
                              const GOptionEntry* entries, int& argc, char**& argv) {
  parse_options(program, parameter, summary, {entries}, gst_init_get_option_group(), argc, argv);
}

// True when element `name` is registered, after scanning `plugin_dir` (the
// build tree's plugin) if it was not.
inline bool find_element(const char* name, const std::string& plugin_dir) {
  GstElementFactory* f = gst_element_factory_find(name);
  if (f == nullptr && !plugin_dir.empty()) {
    gst_registry_scan_path(gst_registry_get(), plugin_dir.c_str());
    f = gst_element_factory_find(name);
  }
  if (f == nullptr) return false;
  gst_object_unref(f);
  return true;
}

}  // namespace mctx::bench
