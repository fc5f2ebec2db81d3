// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The interface resolver (see mctx/interface.hpp).

#include "mctx/interface.hpp"

#include "common/internal.hpp"
#include "platform/platform.hpp"

namespace mctx {

using internal::fail;
using internal::q;

namespace internal {

Res<uint32_t> resolve_interface(const InterfaceSpec& spec, Family family,
                                const InterfaceWording& wording) {
  switch (spec.kind()) {
    case InterfaceSpec::Kind::none:
      return 0u;
    case InterfaceSpec::Kind::address: {
      const IpAddress& a = spec.address_value();
      if (a.family() != family) {
        const std::string conflict = wording.family_conflict.empty()
                                         ? std::string(" but ") + family_name(family) +
                                               " is asked for"
                                         : wording.family_conflict;
        return fail(Errc::interface_family_mismatch,
                    "interface address " + q(a) + " is " + family_name(a.family()) + conflict);
      }
      if (a.is_unspecified()) {
        return fail(Errc::interface_unspecified,
                    "interface address " + q(a) + " is unspecified: " + wording.unspecified_hint);
      }
      if (a.is_multicast()) {
        return fail(Errc::interface_multicast,
                    "interface address " + q(a) +
                        " is a multicast address: give the address of a local interface");
      }
      auto holders = holders_of(a);
      if (!holders) return unexpected(std::move(holders).error());
      if (holders->empty()) {
        return fail(Errc::interface_not_found,
                    "interface address " + q(a) + " is not configured on any interface");
      }
      return holders->front();
    }
    case InterfaceSpec::Kind::index: {
      const uint32_t i = spec.index_value();
      if (i == 0) {
        return fail(Errc::interface_index_zero,
                    "interface index 0 is not allowed: " + wording.index_zero_hint);
      }
      if (!platform::interface_exists(i)) {
        return fail(Errc::interface_not_found,
                    "interface index " + std::to_string(i) + " does not exist");
      }
      return i;
    }
    case InterfaceSpec::Kind::name: {
      const std::string& n = spec.name_value();
      auto i = platform::interface_index(n);
      if (!i) return fail(Errc::interface_not_found, "interface " + q(n) + " does not exist");
      return *i;
    }
  }
  return 0u;
}

}  // namespace internal

Res<uint32_t> resolve_interface(const InterfaceSpec& spec, Family family) {
  return internal::resolve_interface(spec, family, {});
}

Res<uint32_t> interface_of_address(const IpAddress& address) {
  return mctx::resolve_interface(InterfaceSpec::address(address), address.family());
}

std::string describe_interface(uint32_t index) { return platform::describe_interface(index); }

std::vector<IpAddress> interface_addresses(uint32_t index, Family family) {
  std::vector<IpAddress> out;
  auto all = platform::local_addresses();
  if (!all) return out;
  for (const auto& la : *all) {
    if (la.ifindex == index && la.address.family() == family) out.push_back(la.address);
  }
  return out;
}

}  // namespace mctx
