// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw IP control transmit: RawIpConfig, RawIpPublication, RawIpContext,
// raw_ip_capabilities() and the datagram rules (see <mctx/raw_ip.hpp>). The
// sockets live in the platform layer (platform/platform_raw.hpp).

#include "mctx/raw_ip.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "common/internal.hpp"
#include "platform/platform.hpp"
#include "platform/platform_raw.hpp"
#include "raw/raw_ip_context.hpp"
#include "common/registry.hpp"

namespace mctx {

using internal::fail;
using internal::q;

// ------------------------------------------------------------- datagrams

Result<RawDatagramInfo, RawDatagramError> validate_raw_ip_datagram(const iovec* iov,
                                                                   std::size_t count,
                                                                   std::optional<Family> expected,
                                                                   const IpAddress* bind) noexcept {
  auto info = internal::validate_ip_header(iov, count, expected, false);
  if (!info || info->family != Family::ipv6) return info;
  if (info->protocol == 0 || info->protocol == 255) {
    RawDatagramError e;
    e.code = Errc::raw_ip_next_header_unsupported;
    e.family = Family::ipv6;
    e.size = info->size;
    e.value = info->protocol;
    return unexpected(e);
  }
  if (bind != nullptr && !internal::same_address(info->source, *bind)) {
    RawDatagramError e;
    e.code = Errc::raw_ip_source_mismatch;
    e.family = Family::ipv6;
    e.size = info->size;
    e.address = info->source;
    e.expected_address = *bind;
    return unexpected(e);
  }
  return info;
}

Result<RawDatagramInfo, RawDatagramError> validate_raw_ip_datagram(
    std::span<const std::byte> datagram, std::optional<Family> expected,
    const IpAddress* bind) noexcept {
  iovec iov{const_cast<std::byte*>(datagram.data()), datagram.size()};
  return validate_raw_ip_datagram(&iov, 1, expected, bind);
}

// ---------------------------------------------------------- capabilities

RawIpCapabilities raw_ip_capabilities() noexcept {
  RawIpCapabilities caps;
  caps.platform = platform::raw_platform_name();
  caps.ipv4 = platform::raw_ip_family_support(Family::ipv4);
  caps.ipv6 = platform::raw_ip_family_support(Family::ipv6);
  caps.permitted = platform::raw_permitted();
  return caps;
}

// --------------------------------------------------------- configuration

Res<RawIpResolvedConfig> RawIpConfig::validate() const {
  const Family fam = family_;
  const char* fam_text = family_name(fam);
  if (!platform::raw_ip_family_support(fam).supported) {
    return fail(Errc::raw_unsupported_platform, std::string("raw IP ") + fam_text +
                                                    " transmit is not supported on " +
                                                    platform::raw_platform_name());
  }
  if (auto ok = internal::check_send_buffer_size(send_buffer_size_); !ok) {
    return unexpected(ok.error());
  }
  if (interface_.kind() == InterfaceSpec::Kind::none && !bind_) {
    return fail(Errc::raw_ip_egress_required,
                std::string("raw IP transmit needs an explicit egress: an interface (address, "
                            "index or name) or a bind address; it never follows the default "
                            "route"));
  }
  auto egress =
      internal::resolve_raw_egress(fam, interface_, bind_, "the raw IP publication", true);
  if (!egress) return unexpected(std::move(egress).error());
  if (fam == Family::ipv6 && !bind_) {
    return fail(Errc::raw_ip_bind_required,
                "raw IPv6 transmit needs a bind address (the kernel builds the IPv6 header and "
                "writes the bound address as its source): give the local address the "
                "datagrams carry as source, on " +
                    platform::describe_interface(egress->ifindex));
  }
  RawIpResolvedConfig r;
  r.family = fam;
  r.interface_index = egress->ifindex;
  r.interface_name = platform::interface_name(egress->ifindex).value_or("");
  r.bind = bind_;
  if (r.bind && r.bind->is_v6() && r.bind->is_link_local_unicast()) {
    r.bind = r.bind->with_scope_id(egress->ifindex);
  }
  r.send_buffer_size = send_buffer_size_;
  return r;
}

// ----------------------------------------------------------- publication

struct RawIpPublication::State {
  struct Socket {
    int fd = -1;
    uint8_t next_header = 0;
    uint8_t traffic_class = 0;
    uint8_t hop_limit = 0;
    uint64_t last_used = 0;
  };

  PublicationId id = 0;
  RawIpConfig config;
  RawIpResolvedConfig resolved;
  std::mutex mutex;                       // sends, the IPv6 socket cache
  int fd4 = -1;                           // IPv4
  Socket sockets[kRawIpSocketCacheSize];  // IPv6, fd -1 when free
  uint64_t uses = 0;
  std::atomic<int> last_fd{-1};
  std::atomic<bool> closed{false};
  SendMetrics metrics;
  std::atomic<uint64_t> invalid{0};

  void close_all() noexcept {
    std::lock_guard lock(mutex);
    platform::close_fd(std::exchange(fd4, -1));
    for (Socket& s : sockets) {
      platform::close_fd(std::exchange(s.fd, -1));
    }
    last_fd.store(-1);
    closed.store(true);
  }
  ~State() { close_all(); }

  // The IPv6 socket for these header values (mutex held), opened now when
  // none is; the least recently used one is closed when all slots are
  // taken. No allocation.
  Result<int, platform::RawIpSocketError> socket_for(uint8_t nh, uint8_t tc,
                                                     uint8_t hops) noexcept {
    Socket* free_slot = nullptr;
    Socket* oldest = &sockets[0];
    for (Socket& s : sockets) {
      if (s.fd >= 0 && s.next_header == nh && s.traffic_class == tc && s.hop_limit == hops) {
        s.last_used = ++uses;
        return s.fd;
      }
      if (s.fd < 0 && free_slot == nullptr) free_slot = &s;
      if (s.last_used < oldest->last_used) oldest = &s;
    }
    auto fd = platform::open_raw_ip_socket_v6(nh, tc, hops, resolved.interface_index,
                                              *resolved.bind, resolved.send_buffer_size);
    if (!fd) return fd;
    Socket* slot = free_slot;
    if (slot == nullptr) {
      slot = oldest;
      platform::close_fd(slot->fd);
    }
    *slot = Socket{*fd, nh, tc, hops, ++uses};
    return *fd;
  }
};

namespace {
const RawIpPublication::State& empty_ip_state() {
  static const RawIpPublication::State s;
  return s;
}
}  // namespace

Res<RawIpPublication> RawIpPublication::open(const RawIpConfig& config) {
  auto resolved = config.validate();
  if (!resolved) return unexpected(std::move(resolved).error());
  auto s = std::make_unique<State>();
  if (resolved->family == Family::ipv4) {
    auto fd = platform::open_raw_ip_socket_v4(resolved->interface_index, resolved->bind,
                                              resolved->send_buffer_size);
    if (!fd) return unexpected(std::move(fd).error());
    s->fd4 = *fd;
    s->last_fd.store(*fd);
  }
  s->id = internal::next_publication_id();
  s->config = config;
  s->resolved = std::move(resolved).value();
  if (s->resolved.family == Family::ipv6) {
    // The ICMPv6 socket (traffic class 0, hop limit 255, as RFC 4443 error
    // messages usually go) opens now, so a missing privilege, a bind or
    // interface problem is an open() error with its words, not a send error.
    std::lock_guard lock(s->mutex);
    auto fd = s->socket_for(58, 0, 255);
    if (!fd) {
      const Errc code = fd.error().code;
      if (code == Errc::raw_not_permitted) {
        return fail(code, kRawNotPermittedHint, fd.error().system_errno);
      }
      return fail(code,
                  "opening the raw IPv6 socket (SOCK_RAW, ICMPv6) bound to " +
                      s->resolved.bind->to_string() + " on " +
                      platform::describe_interface(s->resolved.interface_index),
                  fd.error().system_errno);
    }
    s->last_fd.store(*fd);
  }
  return RawIpPublication(std::move(s));
}

RawIpPublication::RawIpPublication(std::unique_ptr<State> s) noexcept : s_(std::move(s)) {}
RawIpPublication::RawIpPublication(RawIpPublication&&) noexcept = default;
RawIpPublication& RawIpPublication::operator=(RawIpPublication&&) noexcept = default;
RawIpPublication::~RawIpPublication() = default;

PublicationId RawIpPublication::id() const noexcept { return s_ ? s_->id : 0; }
Family RawIpPublication::family() const noexcept { return resolved().family; }
const RawIpConfig& RawIpPublication::config() const noexcept {
  return (s_ ? *s_ : empty_ip_state()).config;
}
const RawIpResolvedConfig& RawIpPublication::resolved() const noexcept {
  return (s_ ? *s_ : empty_ip_state()).resolved;
}
int RawIpPublication::fd() const noexcept { return s_ ? s_->last_fd.load() : -1; }
std::size_t RawIpPublication::open_sockets() const noexcept {
  if (!s_) return 0;
  std::lock_guard lock(s_->mutex);
  std::size_t n = 0;
  for (const State::Socket& k : s_->sockets) n += k.fd >= 0 ? 1 : 0;
  return n;
}
void RawIpPublication::close() noexcept {
  if (s_) s_->close_all();
}
const SendMetrics& RawIpPublication::metrics() const noexcept {
  return (s_ ? *s_ : empty_ip_state()).metrics;
}
uint64_t RawIpPublication::invalid_datagrams() const noexcept {
  return s_ ? s_->invalid.load(std::memory_order_relaxed) : 0;
}

Result<RawIpSendReport, RawSendError> RawIpPublication::send(
    std::span<const std::byte> datagram) noexcept {
  iovec iov{const_cast<std::byte*>(datagram.data()), datagram.size()};
  return send(&iov, 1);
}

Result<RawIpSendReport, RawSendError> RawIpPublication::send(const iovec* iov,
                                                             std::size_t count) noexcept {
  RawSendError err;
  if (!s_ || s_->closed.load()) {
    err.code = Errc::publication_closed;
    return unexpected(err);
  }
  State& s = *s_;
  const IpAddress* bind = s.resolved.family == Family::ipv6 ? &*s.resolved.bind : nullptr;
  auto info = validate_raw_ip_datagram(iov, count, s.resolved.family, bind);
  if (!info) {
    s.invalid.fetch_add(1, std::memory_order_relaxed);
    err.code = info.error().code;
    err.datagram = info.error();
    return unexpected(err);
  }
  const uint32_t ifindex = s.resolved.interface_index;
  IpAddress destination = info->destination;
  ssize_t n;
  {
    std::lock_guard lock(s.mutex);
    if (s.closed.load()) {
      err.code = Errc::publication_closed;
      return unexpected(err);
    }
    if (s.resolved.family == Family::ipv4) {
      n = platform::send_raw_ip_v4(s.fd4, destination.bytes().data(), iov, count);
    } else {
      // Link-local unicast and link-local / interface-local multicast
      // destinations exist once per link: they get the interface's scope.
      const bool scoped = destination.is_link_local_unicast() ||
                          (destination.is_multicast() && destination.multicast_scope() <= 2);
      if (scoped) destination = destination.with_scope_id(ifindex);
      auto fd = s.socket_for(info->protocol, info->traffic_class, info->ttl);
      if (!fd) {
        s.metrics.record_error();
        err.code = fd.error().code;
        err.system_errno = fd.error().system_errno;
        return unexpected(err);
      }
      s.last_fd.store(*fd);
      n = platform::send_raw_ip_v6(*fd, destination.bytes().data(), destination.scope_id(), iov,
                                   count);
      if (n >= 0) n += static_cast<ssize_t>(kIpv6HeaderSize);
    }
  }
  if (n < 0) {
    const SendError se = send_error_from_errno(static_cast<int>(-n));
    if (se.would_block()) {
      s.metrics.record_would_block();
    } else {
      s.metrics.record_error();
    }
    err.code = se.code;
    err.system_errno = se.system_errno;
    return unexpected(err);
  }
  s.metrics.record_send(1, static_cast<uint64_t>(n));
  RawIpSendReport report;
  report.publication_id = s.id;
  report.family = info->family;
  report.source = info->source;
  report.destination = destination;
  report.protocol = info->protocol;
  report.bytes_sent = static_cast<std::size_t>(n);
  report.interface_index = ifindex;
  return report;
}

// --------------------------------------------------------------- context

struct RawIpContext::Impl : internal::Registry<RawIpPublication> {};

RawIpContext::RawIpContext() : impl_(std::make_unique<Impl>()) {}
RawIpContext::~RawIpContext() = default;

Res<PublicationId> RawIpContext::add(const RawIpConfig& config) {
  if (auto other = impl_->find_if([&](const RawIpPublication& p) { return p.config() == config; })) {
    return fail(Errc::duplicate_publication,
                std::string("a raw IP ") + family_name(config.family()) +
                    " publication with the same interface, bind address and options already "
                    "exists (id " +
                    std::to_string(*other) + ")");
  }
  auto p = RawIpPublication::open(config);
  if (!p) return unexpected(std::move(p).error());
  return add(std::move(p).value());
}

Res<PublicationId> RawIpContext::add(RawIpPublication&& publication) {
  const PublicationId id = publication.id();
  if (id == 0 || publication.fd() < 0) {
    return fail(Errc::publication_closed, "cannot add a closed raw IP publication");
  }
  const PublicationId other = impl_->contains(id) ? id : impl_->find_if([&](const RawIpPublication& p) {
    return p.config() == publication.config();
  }).value_or(0);
  if (other != 0) {
    return fail(Errc::duplicate_publication,
                "a raw IP publication with the same id or configuration is already in this "
                "context (id " +
                    std::to_string(other) + ")");
  }
  return impl_->insert(std::move(publication));
}

RawIpPublication* RawIpContext::get(PublicationId id) noexcept { return impl_->get(id); }
std::optional<RawIpPublication> RawIpContext::take(PublicationId id) { return impl_->take(id); }
bool RawIpContext::remove(PublicationId id) { return impl_->remove(id); }
std::size_t RawIpContext::size() const noexcept { return impl_->size(); }

Result<RawIpSendReport, RawSendError> RawIpContext::send(
    PublicationId id, std::span<const std::byte> datagram) noexcept {
  RawIpPublication* p = get(id);
  if (p == nullptr) {
    RawSendError e;
    e.code = Errc::publication_not_found;
    return unexpected(e);
  }
  auto r = p->send(datagram);
  if (r) {
    impl_->totals().record_send(1, r->bytes_sent);
  } else if (!r.error().invalid_datagram()) {
    if (r.error().would_block()) {
      impl_->totals().record_would_block();
    } else {
      impl_->totals().record_error();
    }
  }
  return r;
}

Snapshot RawIpContext::snapshot() const noexcept { return impl_->snapshot(); }

}  // namespace mctx
