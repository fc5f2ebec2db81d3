// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// PublicationConfig::validate(): every rule, in a fixed order, before any
// socket exists. Rules that need only the config come first; rules that look
// at the host's interfaces (platform layer) come last.

#include "mctx/config.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "common/internal.hpp"
#include "mctx/interface.hpp"
#include "platform/platform.hpp"

namespace mctx {

using internal::fail;
using internal::holders_of;
using internal::q;
using internal::same_address;

namespace {

const char* scope_text(uint8_t scope) noexcept {
  return scope == 0x1 ? "interface-local (ff?1)" : "link-local (ff?2)";
}

struct Ipv4Holder {
  bool found = false;         // some interface holds it
  bool on_interface = false;  // interface `ifindex` holds it
  std::string holder_text;    // the first holder: "lo (index 1)"
};

// Whether IPv4 `local` is an address of interface `ifindex`. All of 127/8 is
// local to the loopback interface (the one that holds 127.0.0.1 or any other
// 127/8 address).
Res<Ipv4Holder> ipv4_local_on_interface(const IpAddress& local, uint32_t ifindex) {
  auto all = platform::local_addresses();
  if (!all) {
    return fail(Errc::interface_lookup_failed,
                "looking up the interfaces that carry " + q(local), all.error());
  }
  Ipv4Holder h;
  std::optional<uint32_t> first;
  for (const auto& la : *all) {
    if (!la.address.is_v4()) continue;
    const bool holds = local.is_loopback() ? la.address.is_loopback()
                                           : same_address(la.address, local);
    if (!holds) continue;
    if (la.ifindex == ifindex) h.on_interface = true;
    if (!first) first = la.ifindex;
  }
  h.found = first.has_value();
  if (first) h.holder_text = platform::describe_interface(*first);
  return h;
}

}  // namespace

const char* gso_name(Gso g) noexcept { return g == Gso::off ? "off" : "auto"; }

Res<ResolvedConfig> PublicationConfig::validate() const {
  const Family fam = group_.family();
  const std::string group_text = group_.to_string();

  // ---- rules on the config alone ----------------------------------------
  if (port_ == 0) return fail(Errc::destination_port_zero, "destination port 0 is not allowed");
  if (!group_.is_multicast()) {
    return fail(Errc::group_not_multicast, "group " + q(group_) + " is not a multicast address");
  }
  if (source_port_ && *source_port_ == 0) {
    return fail(Errc::source_port_zero,
                "source port 0 is not allowed (leave the source port unset for an ephemeral port)");
  }
  if (source_address_) {
    const IpAddress& s = *source_address_;
    if (s.family() != fam) {
      return fail(Errc::source_family_mismatch, "source address " + q(s) + " is " +
                                                    family_name(s.family()) + " but group " +
                                                    q(group_) + " is " + family_name(fam));
    }
    if (s.is_unspecified()) {
      return fail(Errc::source_unspecified,
                  "source address " + q(s) +
                      " is unspecified: give a local unicast address or leave the source unset");
    }
    if (s.is_multicast()) {
      return fail(Errc::source_multicast,
                  "source address " + q(s) +
                      " is a multicast address: the source must be a local unicast address");
    }
  }
  if (bind_) {
    const IpAddress& b = bind_->address;
    if (b.family() != fam) {
      return fail(Errc::bind_family_mismatch, "bind address " + q(b) + " is " +
                                                  family_name(b.family()) + " but group " +
                                                  q(group_) + " is " + family_name(fam));
    }
    if (b.is_multicast()) {
      return fail(Errc::source_multicast,
                  "bind address " + q(b) +
                      " is a multicast address: bind a local unicast address (or the unspecified "
                      "address)");
    }
    if (source_address_ && !b.is_unspecified() && !same_address(b, *source_address_)) {
      return fail(Errc::bind_conflicts_with_source, "bind address " + q(b) +
                                                        " differs from source address " +
                                                        q(*source_address_));
    }
    if (source_port_ && bind_->port != 0 && bind_->port != *source_port_) {
      return fail(Errc::bind_conflicts_with_source,
                  "bind port " + std::to_string(bind_->port) + " differs from source port " +
                      std::to_string(*source_port_));
    }
  }
  if (ttl_ < 0 || ttl_ > 255) {
    return fail(Errc::invalid_ttl,
                "ttl " + std::to_string(ttl_) + " is out of range: a TTL / hop limit is 0..255");
  }
  if (dscp_ && (*dscp_ < 0 || *dscp_ > 63)) {
    return fail(Errc::invalid_dscp,
                "dscp " + std::to_string(*dscp_) + " is out of range: DSCP is 0..63");
  }
  if (auto ok = internal::check_send_buffer_size(send_buffer_size_); !ok) {
    return unexpected(ok.error());
  }

  // ---- the outgoing interface -------------------------------------------
  ResolvedConfig r;
  r.family = fam;
  internal::InterfaceWording wording;
  wording.family_conflict = " but group " + q(group_) + " is " + family_name(fam);
  wording.unspecified_hint =
      "give a local address, an index or a name, or leave the interface unset for system "
      "routing";
  auto resolved_interface = internal::resolve_interface(interface_, fam, wording);
  if (!resolved_interface) return unexpected(std::move(resolved_interface).error());
  uint32_t ifindex = *resolved_interface;
  if (fam == Family::ipv4 && interface_.kind() == InterfaceSpec::Kind::address) {
    r.interface_address = interface_.address_value();
  }

  // A scope on an IPv6 bind or source address pins the interface.
  auto apply_scope = [&](const IpAddress& a, const char* what) -> Res<void> {
    if (!a.is_v6() || a.scope_id() == 0) return {};
    if (!platform::interface_exists(a.scope_id())) {
      return fail(Errc::interface_not_found, std::string(what) + " " + q(a) + ": scope " +
                                                 std::to_string(a.scope_id()) +
                                                 " is not an existing interface");
    }
    if (ifindex == 0) {
      ifindex = a.scope_id();
    } else if (ifindex != a.scope_id()) {
      return fail(Errc::source_interface_mismatch,
                  std::string(what) + " " + q(a) + " is scoped to " +
                      platform::describe_interface(a.scope_id()) +
                      ", not to the configured interface " + platform::describe_interface(ifindex));
    }
    return {};
  };
  if (bind_) {
    if (auto ok = apply_scope(bind_->address, "bind address"); !ok) return unexpected(ok.error());
  }
  if (source_address_) {
    if (auto ok = apply_scope(*source_address_, "source address"); !ok) {
      return unexpected(ok.error());
    }
  }
  // A scope on an ff?1/ff?2 group ("ff02::1%mctx0") also names the interface.
  if (group_.needs_scope_id() && group_.scope_id() != 0) {
    if (auto ok = apply_scope(group_, "group"); !ok) return unexpected(ok.error());
  }

  // ---- the local (source) address -------------------------------------------
  std::optional<IpAddress> local;
  if (bind_ && !bind_->address.is_unspecified()) {
    local = bind_->address;
  } else if (source_address_) {
    local = *source_address_;
  } else if (fam == Family::ipv6 && interface_.kind() == InterfaceSpec::Kind::address) {
    local = interface_.address_value();  // bind that exact address
  }
  // What `local` came from, for messages.
  const char* local_what = bind_ && !bind_->address.is_unspecified() ? "bind address"
                                                                      : "source address";
  if (local) {
    const bool loopback_v4 = local->is_v4() && local->is_loopback();  // all of 127/8 is local
    if (fam == Family::ipv4 && !interface_.empty()) {
      // IPv4 with both a local address and an interface: the address must be
      // on that interface. Linux otherwise refuses at connect() with a bare
      // EINVAL (127/8 out of another interface) or sends from an address the
      // receivers' reverse path may not accept.
      auto held = ipv4_local_on_interface(*local, ifindex);
      if (!held) return unexpected(std::move(held).error());
      if (held->found && !held->on_interface) {
        return fail(Errc::source_interface_mismatch,
                    "IPv4 " + std::string(local_what) + " " + q(*local) + " is on " +
                        held->holder_text + ", not on the configured interface " +
                        platform::describe_interface(ifindex) +
                        ": the source address must be an address of the outgoing interface");
      }
    }
    if (!loopback_v4) {
      auto holders = holders_of(*local);
      if (!holders) return unexpected(std::move(holders).error());
      if (holders->empty()) {
        return fail(Errc::source_not_local,
                    "source address " + q(*local) + " is not configured on any interface");
      }
      if (fam == Family::ipv6) {
        const auto match = std::find_if(holders->begin(), holders->end(),
                                        [&](uint32_t h) { return ifindex == 0 || h == ifindex; });
        if (match == holders->end()) {
          return fail(Errc::source_interface_mismatch,
                      "IPv6 source address " + q(*local) + " is on " +
                          platform::describe_interface(holders->front()) +
                          ", not on the configured interface " +
                          platform::describe_interface(ifindex));
        }
        if (ifindex == 0) ifindex = *match;  // the source pins the interface
      } else if (ifindex == 0 && interface_.empty()) {
        // IPv4: send out of the interface that carries the source address.
        r.interface_address = local->with_scope_id(0);
        ifindex = holders->front();
      }
    } else if (interface_.empty()) {
      r.interface_address = *local;
    }
    if (local->is_v6()) {
      // Only link-local unicast addresses take a scope when bound.
      *local = local->with_scope_id(local->is_link_local_unicast() ? ifindex : 0);
    }
  }

  // ---- IPv4 interface given by name or index, no source ------------------
  // IP_MULTICAST_IF gets the interface's first IPv4 address too, which makes
  // it the source. Without it Linux selects the source by route scope and
  // sends from 0.0.0.0 out of interfaces that only carry host-scope addresses
  // (lo): receivers then see no usable source and SSM cannot match.
  if (fam == Family::ipv4 && !local && ifindex != 0 && !r.interface_address) {
    auto all = platform::local_addresses();
    if (all) {
      for (const auto& la : *all) {
        if (la.ifindex == ifindex && la.address.is_v4()) {
          r.interface_address = la.address;
          break;
        }
      }
    }
  }

  // ---- interface-local / link-local IPv6 groups -------------------------
  if (group_.needs_scope_id() && ifindex == 0) {
    return fail(Errc::scoped_group_needs_interface,
                "IPv6 group " + group_.with_scope_id(0).to_string() + " is " +
                    scope_text(group_.multicast_scope()) +
                    " and needs an interface: set interface or a link-local source with a scope");
  }

  // ---- the plan -----------------------------------------------------------
  r.interface_index = ifindex;
  // The scope rule: only ff?1/ff?2 destinations carry the interface as scope.
  r.destination = Endpoint{group_.with_scope_id(group_.needs_scope_id() ? ifindex : 0), port_};
  uint16_t bind_port = 0;
  if (bind_ && bind_->port != 0) {
    bind_port = bind_->port;
  } else if (source_port_) {
    bind_port = *source_port_;
  }
  r.bind = Endpoint{local ? *local : IpAddress::any(fam), bind_port};
  r.needs_bind = local.has_value() || bind_port != 0 || bind_.has_value();
  return r;
}

}  // namespace mctx
