// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "raw_test_util.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <span>
#include <stdexcept>

namespace mctx::test {

std::vector<uint8_t> ethernet_multicast(const IpAddress& group) {
  const auto& b = group.bytes();
  if (group.is_v4()) {
    return {0x01, 0x00, 0x5e, static_cast<uint8_t>(b[1] & 0x7f), b[2], b[3]};
  }
  return {0x33, 0x33, b[12], b[13], b[14], b[15]};
}

uint16_t icmpv6_checksum(const IpAddress& src, const IpAddress& dst,
                         const std::vector<uint8_t>& icmp) {
  std::vector<uint8_t> p(src.bytes().begin(), src.bytes().end());
  p.insert(p.end(), dst.bytes().begin(), dst.bytes().end());
  p.insert(p.end(), {static_cast<uint8_t>(icmp.size() >> 24), static_cast<uint8_t>(icmp.size() >> 16),
                     static_cast<uint8_t>(icmp.size() >> 8), static_cast<uint8_t>(icmp.size()), 0,
                     0, 0, 58});
  p.insert(p.end(), icmp.begin(), icmp.end());
  return internet_checksum(std::as_bytes(std::span<const uint8_t>(p.data(), p.size())));
}

std::vector<std::byte> dstopts_padn() {
  // Next Header 17 (UDP), Hdr Ext Len 0 (8 bytes), PadN (type 1, length 4).
  const uint8_t h[8] = {17, 0, 1, 4, 0, 0, 0, 0};
  std::vector<std::byte> v(8);
  std::memcpy(v.data(), h, 8);
  return v;
}

// ---------------------------------------------------------------- privileges

namespace {
bool set_net_raw_effective(bool on) {
  __user_cap_header_struct hdr{};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;  // this thread
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &hdr, data) != 0) return false;
  const unsigned word = CAP_NET_RAW / 32;
  const uint32_t bit = 1u << (CAP_NET_RAW % 32);
  if (on) {
    data[word].effective |= bit;
  } else {
    data[word].effective &= ~bit;
  }
  return ::syscall(SYS_capset, &hdr, data) == 0;
}
}  // namespace

DropNetRaw::DropNetRaw() : ok_(set_net_raw_effective(false)) {}
DropNetRaw::~DropNetRaw() {
  if (ok_) set_net_raw_effective(true);
}

}  // namespace mctx::test
