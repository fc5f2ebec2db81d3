// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// libFuzzer target for the raw datagram validator (mctx::validate_raw_datagram).
// Build: CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=enabled
//          -Db_sanitize=address,undefined -Db_lundef=false
// Run:   build-fuzz/tests/raw/fuzz-raw-datagram NEW_DIR tests/raw/corpus
//
// Besides memory safety (the validator must read nothing outside the
// buffer), it checks that the contiguous and the gathered (iovec) forms
// agree, and that every accepted datagram really obeys the rules.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "mctx/raw.hpp"

namespace {

[[noreturn]] void fail() { __builtin_trap(); }

uint16_t load16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using mctx::Family;
  const auto span = std::as_bytes(std::span<const uint8_t>(data, size));
  auto r = mctx::validate_raw_datagram(span);

  // Gathered from three pieces, cut where the input says.
  const std::size_t a = size > 0 ? data[0] % (size + 1) : 0;
  const std::size_t b = size > 1 ? a + (data[1] % (size - a + 1)) : a;
  iovec iov[3] = {{const_cast<uint8_t*>(data), a},
                  {const_cast<uint8_t*>(data) + a, b - a},
                  {const_cast<uint8_t*>(data) + b, size - b}};
  auto g = mctx::validate_raw_datagram(iov, 3);
  if (r.has_value() != g.has_value()) fail();
  if (!r && r.error().code != g.error().code) fail();

  for (Family fam : {Family::ipv4, Family::ipv6}) {
    auto f = mctx::validate_raw_datagram(span, fam);
    if (f && f->family != fam) fail();
    if (r && r->family == fam && !f) fail();
  }

  if (r) {
    const auto& info = *r;
    if (info.size != size || info.header_size > size) fail();
    if (!info.destination.is_multicast() || info.source.is_unspecified()) fail();
    if (info.source.is_multicast() || info.source.is_loopback() || info.ttl == 0) fail();
    if (info.family == Family::ipv4 && (data[12] == 0 || (load16(data + 12) == 0xffff && load16(data + 14) == 0xffff))) fail();
    if (info.family == Family::ipv6 && (data[25] & 0x0f) <= 1) fail();
    if (info.family == Family::ipv4) {
      if (size < 20 || (data[0] >> 4) != 4 || load16(data + 2) != size) fail();
      if (mctx::internet_checksum(span.first(info.header_size)) != 0) fail();
    } else {
      if (size < 40 || (data[0] >> 4) != 6 || load16(data + 4) + 40u != size) fail();
    }
  } else {
    (void)r.error().message();  // formatting must be safe for any error
  }
  return 0;
}
