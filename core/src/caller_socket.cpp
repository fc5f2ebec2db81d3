// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Caller-provided sockets: see caller_socket.hpp.

#include "caller_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

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

int get_int(int fd, int level, int name, int& out) noexcept {
  out = 0;
  socklen_t len = sizeof out;
  return ::getsockopt(fd, level, name, &out, &len) == 0 ? 0 : errno;
}

void set_int(int fd, int level, int name, int value) noexcept {
  (void)::setsockopt(fd, level, name, &value, sizeof value);
}

}  // namespace

Result<SocketSnapshot, int> SocketSnapshot::take(int fd, Family family,
                                                 const PerSocketOptions& opts) {
  SocketSnapshot s;
  s.family_ = family;
  const bool v4 = family == Family::ipv4;
  if (int err = get_int(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6,
                        v4 ? IP_MULTICAST_TTL : IPV6_MULTICAST_HOPS, s.ttl_)) {
    return unexpected(err);
  }
  if (int err = get_int(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6,
                        v4 ? IP_MULTICAST_LOOP : IPV6_MULTICAST_LOOP, s.loop_)) {
    return unexpected(err);
  }
  if (opts.interface_index != 0 || opts.interface_address) {
    if (v4) {
      in_addr a{};
      socklen_t len = sizeof a;
      if (::getsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a, &len) != 0) return unexpected(errno);
      s.v4_interface_ = a;
    } else {
      int index = 0;
      if (int err = get_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, index)) return unexpected(err);
      s.v6_interface_ = index;
    }
  }
  if (opts.dscp) {
    int tos = 0;
    if (int err = get_int(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_TOS : IPV6_TCLASS, tos)) {
      return unexpected(err);
    }
    s.tos_ = tos;
  }
  if (opts.send_buffer_size) {
    int size = 0;
    if (int err = get_int(fd, SOL_SOCKET, SO_SNDBUF, size)) return unexpected(err);
    s.sndbuf_ = size;
  }
  return s;
}

void SocketSnapshot::restore(int fd) const noexcept {
  const bool v4 = family_ == Family::ipv4;
  set_int(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MULTICAST_TTL : IPV6_MULTICAST_HOPS, ttl_);
  set_int(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MULTICAST_LOOP : IPV6_MULTICAST_LOOP, loop_);
  // IPv4: Linux reports IP_MULTICAST_IF as an address only. Setting it back
  // by that address restores an interface chosen by address (the kernel
  // derives the same index) and the default (0.0.0.0); an interface chosen
  // by index alone reads as 0.0.0.0 and cannot be restored (docs/usage.md).
  if (v4_interface_) (void)platform::set_ipv4_multicast_interface(fd, *v4_interface_, 0);
  if (v6_interface_) set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, *v6_interface_);
  if (tos_) set_int(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_TOS : IPV6_TCLASS, *tos_);
  if (sndbuf_) {
    // The kernel doubles what it is given; a size above wmem_max (set with
    // SO_SNDBUFFORCE) needs SO_SNDBUFFORCE again.
    set_int(fd, SOL_SOCKET, SO_SNDBUF, *sndbuf_ / 2);
    int now = 0;
    if (get_int(fd, SOL_SOCKET, SO_SNDBUF, now) == 0 && now != *sndbuf_) {
      set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, *sndbuf_ / 2);
    }
  }
}

// ---- SharedSocket -------------------------------------------------------------

Result<SocketKey, int> socket_key(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return unexpected(errno);
  return SocketKey{st.st_dev, st.st_ino};
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
