// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The start of every GStreamer benchmark (mctx-gst-bench, mctx-gst-many,
// mctx-amt-bench): its options with GStreamer's (gst_init() included), and
// the element under test from the build tree when the registry lacks it.

#include <gst/gst.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace mctx::bench {

// Parses argv with `entries` and GStreamer's option group; on a bad option
// prints "PROGRAM: message" and exits 2.
inline void parse_gst_options(const char* program, const char* parameter, const char* summary,
                              const GOptionEntry* entries, int& argc, char**& argv) {
  GOptionContext* ctx = g_option_context_new(parameter);
  if (summary != nullptr) g_option_context_set_summary(ctx, summary);
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  GError* err = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
    std::fprintf(stderr, "%s: %s\n", program, err->message);
    std::exit(2);
  }
  g_option_context_free(ctx);
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
