// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// libFuzzer target for the mctx:// URI parser of the element
// (mctx::gst::parse_uri in gst/mctxsink-uri.cpp), called directly: no
// element, no pipeline, no gst_init. The text is what an application hands
// to gst_element_make_from_uri() or playbin-like URI sinks.
//
// Besides memory safety, it checks that every refusal has a message, and
// that an accepted URI survives a round trip: build_uri() of the parsed
// settings parses again to the same settings.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.hpp"
#include "mctxsink-uri.hpp"

namespace {

[[noreturn]] void fail() { __builtin_trap(); }

bool same_uri_fields(const mctx::gst::Settings& a, const mctx::gst::Settings& b) {
  return a.group == b.group && a.port == b.port && a.source_address == b.source_address &&
         a.source_port == b.source_port && a.interface == b.interface && a.ttl == b.ttl &&
         a.loop == b.loop && a.dscp == b.dscp && a.buffer_size == b.buffer_size;
}

}  // namespace

extern "C" int mctx_fuzz_accepts(const uint8_t* data, std::size_t size) {
  // A C string, as GStreamer passes it: up to the first NUL.
  const std::string uri(reinterpret_cast<const char*>(data), size);
  mctx::gst::Settings s;
  GError* error = nullptr;
  if (!mctx::gst::parse_uri(uri.c_str(), s, &error)) {
    if (error == nullptr || error->message == nullptr || error->message[0] == '\0') fail();
    g_clear_error(&error);
    return 0;
  }
  if (error != nullptr) fail();
  if (s.group.empty() || s.port == 0 || s.port > 65535) fail();

  const std::string built = mctx::gst::build_uri(s);
  mctx::gst::Settings again;
  if (!mctx::gst::parse_uri(built.c_str(), again, &error)) fail();
  if (!same_uri_fields(s, again)) fail();
  return 1;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  (void)mctx_fuzz_accepts(data, size);
  return 0;
}
