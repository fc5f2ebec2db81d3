// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Helpers shared by the SDP/SAP tests.

#include <stdexcept>

#include "mctx/address.hpp"

namespace mctx::saptest {

// An address from text; throws (failing the test) when it does not parse.
inline IpAddress ip(const char* text) {
  auto a = IpAddress::parse(text);
  if (!a) throw std::runtime_error(a.error().message);
  return *a;
}

}  // namespace mctx::saptest
