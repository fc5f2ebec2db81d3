// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// libFuzzer target for the text parsers of user input in the core:
// IpAddress::parse, Endpoint::parse and InterfaceSpec::parse (the values of
// the element's group / source-address / interface properties, of the URI,
// and of the CLI options).
//
// Besides memory safety, it checks that whatever parses prints back to a
// text that parses to the same value (to_string() is what messages, the
// URI builder and gst-inspect show).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.hpp"
#include "mctx/address.hpp"

namespace {

[[noreturn]] void fail() { __builtin_trap(); }

}  // namespace

// 1 when the input is accepted by at least one of the parsers.
extern "C" int mctx_fuzz_accepts(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  int accepted = 0;

  if (auto a = mctx::IpAddress::parse(text)) {
    accepted = 1;
    auto again = mctx::IpAddress::parse(a->to_string());
    if (!again || !(*again == *a)) fail();
    if (a->is_multicast() && a->is_unspecified()) fail();
  } else if (a.error().message.empty()) {
    fail();
  }

  if (auto e = mctx::Endpoint::parse(text)) {
    accepted = 1;
    auto again = mctx::Endpoint::parse(e->to_string());
    if (!again || !(*again == *e)) fail();
  } else if (e.error().message.empty()) {
    fail();
  }

  if (auto i = mctx::InterfaceSpec::parse(text)) {
    accepted = 1;
    const std::string printed = i->to_string();
    if (!i->empty()) {
      auto again = mctx::InterfaceSpec::parse(printed);
      if (!again || !(*again == *i)) fail();
    }
  } else if (i.error().message.empty()) {
    fail();
  }
  return accepted;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  (void)mctx_fuzz_accepts(data, size);
  return 0;
}
