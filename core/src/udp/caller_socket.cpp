// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Caller-provided sockets: see caller_socket.hpp.

#include "udp/caller_socket.hpp"

#include <cerrno>
#include <map>

#include "platform/platform.hpp"

namespace mctx::internal {

// ---- PerSocketOptions -------------------------------------------------------

PerSocketOptions PerSocketOptions::of(const PublicationConfig& c, const ResolvedConfig& r) {
  PerSocketOptions o;
  o.ttl = c.ttl();
  o.loopback = c.loopback();
  o.interface_index = r.interface_index;
  if (r.family == Family::ipv4) o.interface_address = r.interface_address;
  o.dscp = c.dscp();
  o.send_buffer_size = c.send_buffer_size();
  return o;
}

namespace {

std::string opt_int(const std::optional<int>& v) { return v ? std::to_string(*v) : "unset"; }

std::string interface_text(const PerSocketOptions& o) {
  if (o.interface_index == 0 && !o.interface_address) return "unset";
  std::string s;
  if (o.interface_index != 0) s = platform::describe_interface(o.interface_index);
  if (o.interface_address) {
    if (!s.empty()) s += " with address ";
    s += o.interface_address->to_string();
  }
  return s;
}

}  // namespace

std::string PerSocketOptions::differences(const PerSocketOptions& other) const {
  std::string out;
  auto add = [&out](const char* name, const std::string& a, const std::string& b) {
    if (a == b) return;
    if (!out.empty()) out += ", ";
    out += std::string(name) + " " + a + " vs " + b;
  };
  add("ttl", std::to_string(ttl), std::to_string(other.ttl));
  add("loop", loopback ? "on" : "off", other.loopback ? "on" : "off");
  add("interface", interface_text(*this), interface_text(other));
  add("dscp", opt_int(dscp), opt_int(other.dscp));
  add("send buffer size", opt_int(send_buffer_size), opt_int(other.send_buffer_size));
  return out;
}

// ---- SocketSnapshot -----------------------------------------------------------
//
// Only the options adopt() will set are read and written back: writing an
// option back is not always neutral (SO_SNDBUF locks the size; IPv4
// IP_MULTICAST_IF reads back as an address only, see restore()).

namespace {

using platform::SocketOption;

void set_int(int fd, Family family, SocketOption option, int value) noexcept {
  (void)platform::set_socket_option(fd, family, option, value);
}

}  // namespace

Result<SocketSnapshot, int> SocketSnapshot::take(int fd, Family family,
                                                 const PerSocketOptions& opts) {
  SocketSnapshot s;
  s.family_ = family;
  const bool v4 = family == Family::ipv4;
  auto get = [&](SocketOption option, int& out) {
    return platform::get_socket_option(fd, family, option, out);
  };
  if (int err = get(SocketOption::multicast_ttl, s.ttl_)) return unexpected(err);
  if (int err = get(SocketOption::multicast_loop, s.loop_)) return unexpected(err);
  if (opts.interface_index != 0 || opts.interface_address) {
    if (v4) {
      in_addr a{};
      if (int err = platform::get_ipv4_multicast_interface(fd, a)) return unexpected(err);
      s.v4_interface_ = a;
    } else {
      int index = 0;
      if (int err = get(SocketOption::ipv6_multicast_interface, index)) return unexpected(err);
      s.v6_interface_ = index;
    }
  }
  if (opts.dscp) {
    int tos = 0;
    if (int err = get(SocketOption::traffic_class, tos)) return unexpected(err);
    s.tos_ = tos;
  }
  if (opts.send_buffer_size) {
    int size = 0;
    if (int err = get(SocketOption::send_buffer, size)) return unexpected(err);
    s.sndbuf_ = size;
  }
  return s;
}

void SocketSnapshot::restore(int fd) const noexcept {
  const Family f = family_;
  set_int(fd, f, SocketOption::multicast_ttl, ttl_);
  set_int(fd, f, SocketOption::multicast_loop, loop_);
  // IPv4: Linux reports IP_MULTICAST_IF as an address only. Setting it back
  // by that address restores an interface chosen by address (the kernel
  // derives the same index) and the default (0.0.0.0); an interface chosen
  // by index alone reads as 0.0.0.0 and cannot be restored (docs/usage.md).
  if (v4_interface_) (void)platform::set_ipv4_multicast_interface(fd, *v4_interface_, 0);
  if (v6_interface_) set_int(fd, f, SocketOption::ipv6_multicast_interface, *v6_interface_);
  if (tos_) set_int(fd, f, SocketOption::traffic_class, *tos_);
  if (sndbuf_) {
    // The kernel doubles what it is given; a size above wmem_max (set with
    // SO_SNDBUFFORCE) needs SO_SNDBUFFORCE again.
    set_int(fd, f, SocketOption::send_buffer, *sndbuf_ / 2);
    int now = 0;
    if (platform::get_socket_option(fd, f, SocketOption::send_buffer, now) == 0 &&
        now != *sndbuf_) {
      set_int(fd, f, SocketOption::send_buffer_force, *sndbuf_ / 2);
    }
  }
}

// ---- SharedSocket -------------------------------------------------------------

Result<SocketKey, int> socket_key(int fd) noexcept {
  auto id = platform::file_identity(fd);
  if (!id) return unexpected(id.error());
  return SocketKey{id->device, id->inode};
}

namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

std::map<SocketKey, SharedSocket::Entry>& registry() {
  static std::map<SocketKey, SharedSocket::Entry> r;
  return r;
}

}  // namespace

std::unique_lock<std::mutex> SharedSocket::lock() {
  return std::unique_lock<std::mutex>(registry_mutex());
}

const SharedSocket::Entry* SharedSocket::find(const SocketKey& key) {
  auto it = registry().find(key);
  return it == registry().end() ? nullptr : &it->second;
}

SharedSocket SharedSocket::claim(const SocketKey& key, const PerSocketOptions& options,
                                 const std::string& owner) {
  auto [it, inserted] = registry().try_emplace(key);
  if (inserted) {
    it->second.options = options;
    it->second.owner = owner;
  }
  it->second.users++;
  SharedSocket s;
  s.key_ = key;
  s.held_ = true;
  return s;
}

SharedSocket& SharedSocket::operator=(SharedSocket&& o) noexcept {
  if (this != &o) {
    reset();
    key_ = o.key_;
    held_ = o.held_;
    o.held_ = false;
  }
  return *this;
}

void SharedSocket::reset() noexcept {
  if (!held_) return;
  held_ = false;
  std::lock_guard<std::mutex> lk(registry_mutex());
  auto it = registry().find(key_);
  if (it != registry().end() && --it->second.users == 0) registry().erase(it);
}

}  // namespace mctx::internal
