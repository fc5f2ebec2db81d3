// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Values the tests write as text: addresses, endpoints and payloads. The
// parsers are mctx's own; a test's literal that does not parse throws.

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "mctx/address.hpp"

namespace mctx::test {

inline IpAddress ip(const std::string& text) {
  auto a = IpAddress::parse(text);
  if (!a) throw std::runtime_error(a.error().message);
  return *a;
}

inline Endpoint ep(const std::string& text) {
  auto e = Endpoint::parse(text);
  if (!e) throw std::runtime_error(e.error().message);
  return *e;
}

inline std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

inline std::span<const std::byte> bytes(const std::vector<uint8_t>& v) {
  return std::as_bytes(std::span<const uint8_t>(v.data(), v.size()));
}

}  // namespace mctx::test
