// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw mode: RawPublicationConfig::validate(), RawPublication, RawContext and
// raw_capabilities(). The sockets themselves live in the platform layer
// (platform/platform_raw.hpp).

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "common/internal.hpp"
#include "mctx/interface.hpp"
#include "common/logging.hpp"
#include "mctx/raw.hpp"
#include "platform/platform.hpp"
#include "platform/platform_raw.hpp"
#include "common/registry.hpp"
#include "raw/route_egress.hpp"

namespace mctx {

using internal::fail;
using internal::holders_of;
using internal::q;

// ------------------------------------------------------------ capabilities

RawCapabilities raw_capabilities() noexcept {
  RawCapabilities caps;
  caps.platform = platform::raw_platform_name();
  caps.ipv4 = platform::raw_family_support(Family::ipv4);
  caps.ipv6 = platform::raw_family_support(Family::ipv6);
  caps.permitted = platform::raw_permitted();
  return caps;
}

// ------------------------------------------------------------ configuration

namespace internal {

Res<RawEgress> resolve_raw_egress(Family fam, const InterfaceSpec& itf,
                                  const std::optional<IpAddress>& bind, const char* subject,
                                  bool raw_ip) {
  const char* fam_text = family_name(fam);
  RawEgress out;
  if (bind) {
    const IpAddress& b = *bind;
    if (b.family() != fam) {
      return fail(Errc::bind_family_mismatch,
                  "bind address " + q(b) + " is " + family_name(b.family()) +
                      " but " + subject + " sends " + fam_text + " datagrams");
    }
    if (b.is_unspecified()) {
      return fail(Errc::source_unspecified,
                  "bind address " + q(b) +
                      " is unspecified: give a local unicast address or leave bind unset");
    }
    if (b.is_multicast()) {
      return fail(Errc::source_multicast,
                  "bind address " + q(b) + " is a multicast address: give a local unicast address");
    }
  }

  // ---- the outgoing interface -------------------------------------------
  uint32_t ifindex = 0;
  std::string if_origin;

  internal::InterfaceWording wording;
  wording.family_conflict = std::string(" but ") + subject + " sends " + fam_text + " datagrams";
  wording.index_zero_hint = raw_ip ? "raw IP transmit needs a real interface"
                            : fam == Family::ipv4
                                ? "leave the interface unset for system routing"
                                : "IPv6 raw mode needs a real interface";
  auto resolved_interface = internal::resolve_interface(itf, fam, wording);
  if (!resolved_interface) return unexpected(std::move(resolved_interface).error());
  ifindex = *resolved_interface;
  switch (itf.kind()) {
    case InterfaceSpec::Kind::none: break;
    case InterfaceSpec::Kind::address:
      if (fam == Family::ipv4) out.interface_address = itf.address_value();
      if_origin = "interface address " + q(itf.address_value());
      break;
    case InterfaceSpec::Kind::index:
      if_origin = "interface index " + std::to_string(ifindex);
      break;
    case InterfaceSpec::Kind::name:
      if_origin = "interface " + q(itf.name_value());
      break;
  }

  // ---- the bind address -----------------------------------------------------
  if (bind) {
    const IpAddress& b = *bind;
    const bool loopback_v4 = b.is_v4() && b.is_loopback();  // all of 127/8 is local
    if (!loopback_v4) {
      auto holders_or = holders_of(b);
      if (!holders_or) return unexpected(std::move(holders_or).error());
      const std::vector<uint32_t>& holders = *holders_or;
      if (holders.empty()) {
        return fail(Errc::source_not_local,
                    "bind address " + q(b) + " is not configured on any interface of this host");
      }
      if (ifindex != 0) {
        bool on_interface = false;
        for (uint32_t h : holders) on_interface = on_interface || h == ifindex;
        if (!on_interface) {
          return fail(Errc::source_interface_mismatch,
                      "bind address " + q(b) + " is on interface " +
                          platform::describe_interface(holders.front()) + ", not on " + if_origin +
                          " (" + platform::describe_interface(ifindex) + ")");
        }
      } else if (fam == Family::ipv4 || raw_ip) {
        // The kernel sends multicast out of the interface that holds the
        // bound source address when no interface is set.
        ifindex = holders.front();
        if_origin = "bind address " + q(b);
      }
    } else if (ifindex == 0 && fam == Family::ipv4) {
      ifindex = platform::interface_index("lo").value_or(0);
      if_origin = "bind address " + q(b);
    }
  }

  out.ifindex = ifindex;
  out.origin = std::move(if_origin);
  return out;
}

}  // namespace internal

Res<RawResolvedConfig> RawPublicationConfig::validate() const {
  const Family fam = family_;
  const char* fam_text = family_name(fam);
  if (!platform::raw_family_support(fam).supported) {
    return fail(Errc::raw_unsupported_platform, std::string("raw ") + fam_text +
                                                    " sending is not supported on " +
                                                    platform::raw_platform_name());
  }
  if (auto ok = internal::check_send_buffer_size(send_buffer_size_); !ok) {
    return unexpected(ok.error());
  }
  if (fam == Family::ipv6 && loopback_.value_or(false)) {
    return fail(Errc::raw_unsupported_platform,
                "loopback cannot be enabled for IPv6 raw mode: IPv6 datagrams are injected at "
                "the link layer (AF_PACKET) and this host's IP stack never sees them; leave "
                "loopback unset or false");
  }
  if (route_selected_egress_ && (interface_.kind() != InterfaceSpec::Kind::none || bind_)) {
    return fail(Errc::raw_route_egress_conflict,
                std::string("route-selected egress chooses the interface of each datagram from "
                            "the kernel's main routing table; it cannot be combined with ") +
                    (interface_.kind() != InterfaceSpec::Kind::none
                         ? "an interface (" + interface_.to_string() + ")"
                         : "a bind address (" + bind_->to_string() + ")") +
                    ": unset it or turn route-selected egress off");
  }

  RawResolvedConfig r;
  r.family = fam;
  r.route_selected = route_selected_egress_;
  r.send_buffer_size = send_buffer_size_;
  r.loopback = fam == Family::ipv4 ? loopback_.value_or(true) : false;

  auto egress = internal::resolve_raw_egress(fam, interface_, bind_, "the raw publication",
                                             false);
  if (!egress) return unexpected(std::move(egress).error());
  uint32_t ifindex = egress->ifindex;
  r.interface_address = egress->interface_address;
  r.bind = bind_;

  // ---- IPv6: an explicit Ethernet-like interface ----------------------------
  if (fam == Family::ipv6 && !r.route_selected) {
    if (ifindex == 0) {
      return fail(Errc::raw_interface_required,
                  "IPv6 raw mode needs an explicit interface (name, index or address) or "
                  "route-selected egress: datagrams are injected at the link layer and bypass "
                  "routing");
    }
    auto link = platform::link_info(ifindex);
    if (!link) {
      return fail(Errc::interface_lookup_failed,
                  "looking up the link type of interface " + platform::describe_interface(ifindex),
                  link.error());
    }
    if (!platform::link_is_ethernet_like(*link)) {
      return fail(Errc::raw_unsupported_link,
                  "interface " + q(link->name) + " (index " + std::to_string(ifindex) +
                      ") has link type " + platform::hardware_type_name(link->hardware_type) +
                      (link->hardware_type == 1
                           ? " with a " + std::to_string(link->address_length) + "-byte address"
                           : std::string()) +
                      "; IPv6 raw mode works only on Ethernet-like links (ARPHRD_ETHER, 6-byte "
                      "addresses)");
    }
    // Link-local bind addresses carry the interface as scope.
    if (r.bind && r.bind->is_link_local_unicast()) r.bind = r.bind->with_scope_id(ifindex);
  }

  r.interface_index = ifindex;
  if (ifindex != 0) r.interface_name = platform::interface_name(ifindex).value_or("");
  return r;
}

// -------------------------------------------------------------- publication

struct RawPublication::State {
  PublicationId id = 0;
  RawPublicationConfig config;
  RawResolvedConfig resolved;
  std::atomic<int> fd{-1};
  SendMetrics metrics;
  std::atomic<uint64_t> invalid{0};
  // Route-selected egress; null otherwise.
  std::unique_ptr<internal::RouteEgress> route;
  internal::OutageTracker outage;
  // The interface in use: resolved.interface_index until an outage's
  // re-resolution finds the interface under another index.
  std::atomic<uint32_t> ifindex{0};

  ~State() {
    const int f = fd.exchange(-1);
    platform::close_fd(f);
  }
};

namespace {
const RawPublication::State& empty_state() {
  static const RawPublication::State s;
  return s;
}

// During an outage, at most every kOutageProbeInterval: validate the config
// again and, when the interface is back and up, point the socket at it.
void recover(RawPublication::State& s, int fd) noexcept {
  internal::recover_interface(
      s.outage, s.ifindex, [&] { return s.config.validate(); },
      [&](const RawResolvedConfig& r) {
        return platform::reattach_raw_socket(fd, r) == 0 ? Errc::ok : Errc::set_option_failed;
      });
}

// Counts a kernel refusal after `sent` datagrams of the same call went out.
void record_failure(RawPublication::State& s, int fd, const SendError& e, std::size_t sent,
                    std::size_t bytes) noexcept {
  if (sent > 0) s.outage.sent();
  s.metrics.record_failed_send(e.code, sent, bytes);
  // The first loss of an outage looks at once for the cause (outage_reason()).
  if (e.code == Errc::network_unreachable && s.outage.lost(1)) recover(s, fd);
  if (e.code == Errc::message_too_long || e.code == Errc::send_failed) {
    platform::drain_error_queue(fd);
  }
}

Result<RawSendReport, RawSendError> invalid(const RawDatagramError& e) noexcept {
  RawSendError err;
  err.code = e.code;
  err.datagram = e;
  return unexpected(err);
}

RawSendError unroutable(const internal::RouteFailure& f, const IpAddress& destination) noexcept {
  RawSendError err;
  err.code = f.code;
  err.system_errno = f.system_errno;
  err.route_detail = f.detail;
  err.destination = destination;
  return err;
}
}  // namespace

Res<RawPublication> RawPublication::open(const RawPublicationConfig& config) {
  auto resolved = config.validate();
  if (!resolved) return unexpected(std::move(resolved).error());
  // Subscribed before the socket opens, so no change escapes the cache.
  std::unique_ptr<internal::RouteEgress> route;
  if (resolved->route_selected) {
    auto opened = internal::RouteEgress::open(resolved->family);
    if (!opened) return unexpected(std::move(opened).error());
    route = std::move(opened).value();
  }
  auto fd = platform::open_raw_socket(*resolved);
  if (!fd) return unexpected(std::move(fd).error());
  auto s = std::make_unique<State>();
  s->route = std::move(route);
  s->id = internal::next_publication_id();
  s->config = config;
  s->resolved = std::move(resolved).value();
  s->ifindex.store(s->resolved.interface_index, std::memory_order_relaxed);
  s->fd.store(*fd);
  if (internal::log_enabled(LogLevel::info)) {
    const RawResolvedConfig& r = s->resolved;
    std::string buffer = "unknown";
    if (auto bytes = platform::send_buffer_size(*fd)) buffer = std::to_string(*bytes) + " bytes";
    MCTX_LOG(LogLevel::info, "RawPublication::open",
             "raw publication %llu: %s, interface %s, bound to %s, send buffer %s, loopback %s",
             static_cast<unsigned long long>(s->id), family_name(r.family),
             r.interface_index != 0 ? platform::describe_interface(r.interface_index).c_str()
                                    : "chosen by routing (index 0)",
             r.bind ? r.bind->to_string().c_str() : "nothing", buffer.c_str(),
             r.loopback ? "on" : "off");
  }
  return RawPublication(std::move(s));
}

RawPublication::RawPublication(std::unique_ptr<State> s) noexcept : s_(std::move(s)) {}
RawPublication::RawPublication(RawPublication&&) noexcept = default;
RawPublication& RawPublication::operator=(RawPublication&&) noexcept = default;
RawPublication::~RawPublication() = default;

PublicationId RawPublication::id() const noexcept { return s_ ? s_->id : 0; }
Family RawPublication::family() const noexcept { return resolved().family; }
const RawPublicationConfig& RawPublication::config() const noexcept {
  return (s_ ? *s_ : empty_state()).config;
}
const RawResolvedConfig& RawPublication::resolved() const noexcept {
  return (s_ ? *s_ : empty_state()).resolved;
}
uint32_t RawPublication::interface_index() const noexcept {
  return s_ ? s_->ifindex.load(std::memory_order_relaxed) : 0;
}

OutageStatus RawPublication::outage() const noexcept {
  return s_ ? s_->outage.status() : OutageStatus{};
}

std::string RawPublication::outage_reason() const {
  if (!s_) return "publication is closed";
  const RawPublicationConfig& c = s_->config;
  return internal::outage_reason(s_->outage.cause(), c.interface(), c.bind());
}

int RawPublication::drain_errors() noexcept {
  const int fd = this->fd();
  return fd >= 0 ? platform::drain_error_queue(fd) : 0;
}
int RawPublication::fd() const noexcept { return s_ ? s_->fd.load(std::memory_order_relaxed) : -1; }

void RawPublication::close() noexcept {
  if (!s_) return;
  const int f = s_->fd.exchange(-1);
  platform::close_fd(f);
}

const SendMetrics& RawPublication::metrics() const noexcept {
  return (s_ ? *s_ : empty_state()).metrics;
}
uint64_t RawPublication::invalid_datagrams() const noexcept {
  return s_ ? s_->invalid.load(std::memory_order_relaxed) : 0;
}
RawCounters RawPublication::counters() const noexcept {
  return RawCounters{metrics().load(), invalid_datagrams()};
}

Result<RawSendReport, RawSendError> RawPublication::send(
    std::span<const std::byte> datagram) noexcept {
  iovec iov{const_cast<std::byte*>(datagram.data()), datagram.size()};
  return send(&iov, 1);
}

Result<RawSendReport, RawSendError> RawPublication::send(const iovec* iov,
                                                         std::size_t count) noexcept {
  const int fd = s_ ? s_->fd.load(std::memory_order_relaxed) : -1;
  if (fd < 0) {
    RawSendError e;
    e.code = Errc::publication_closed;
    return unexpected(e);
  }
  State& s = *s_;
  auto info = validate_raw_datagram(iov, count, s.resolved.family);
  if (!info) {
    s.invalid.fetch_add(1, std::memory_order_relaxed);
    MCTX_LOG(LogLevel::log, "RawPublication::send", "raw publication %llu: invalid datagram: %s",
             static_cast<unsigned long long>(s.id), errc_name(info.error().code));
    return invalid(info.error());
  }
  if (s.outage.active()) recover(s, fd);
  uint32_t ifindex = s.ifindex.load(std::memory_order_relaxed);
  if (s.route) {
    auto out = s.route->select(info->source, info->destination, true);
    if (!out) {
      s.metrics.record_error();
      MCTX_LOG(LogLevel::log, "RawPublication::send",
               "raw publication %llu: no way out for a %s datagram: %s",
               static_cast<unsigned long long>(s.id), family_name(info->family),
               errc_name(out.error().code));
      return unexpected(unroutable(out.error(), info->destination));
    }
    ifindex = *out;
  }
  const auto& dst = info->destination.bytes();
  const ssize_t n =
      s.resolved.family == Family::ipv4
          ? platform::send_raw_ipv4(fd, info->source.bytes().data(), dst.data(), ifindex, iov,
                                    count)
          : platform::send_raw_ipv6(fd, ifindex, dst.data(), iov, count);
  if (internal::log_enabled(LogLevel::log)) {
    const SendError se = n < 0 ? send_error_from_errno(static_cast<int>(-n)) : SendError{};
    MCTX_LOG(LogLevel::log, "RawPublication::send",
             "raw publication %llu: %s datagram of %zu bytes: %s (errno %d)",
             static_cast<unsigned long long>(s.id), family_name(info->family), info->size,
             n < 0 ? errc_name(se.code) : "sent", se.system_errno);
  }
  if (n < 0) {
    const SendError se = send_error_from_errno(static_cast<int>(-n));
    record_failure(s, fd, se, 0, 0);
    RawSendError e;
    e.code = se.code;
    e.system_errno = se.system_errno;
    return unexpected(e);
  }
  s.metrics.record_send(1, static_cast<uint64_t>(n));
  s.outage.sent();
  RawSendReport report;
  report.publication_id = s.id;
  report.family = info->family;
  report.source = info->source;
  report.destination = info->destination;
  report.protocol = info->protocol;
  report.bytes_sent = static_cast<std::size_t>(n);
  report.interface_index = ifindex;
  return report;
}

BatchReport RawPublication::send_batch(std::span<const OutMessage> datagrams,
                                       RawDatagramError* invalid) noexcept {
  BatchReport rep;
  const int fd = s_ ? s_->fd.load(std::memory_order_relaxed) : -1;
  if (fd < 0) {
    if (!datagrams.empty()) rep.error = SendError{Errc::publication_closed, EBADF};
    return rep;
  }
  State& s = *s_;
  rep.publication_id = s.id;
  const Family family = s.resolved.family;
  if (s.outage.active()) recover(s, fd);
  const uint32_t ifindex = s.ifindex.load(std::memory_order_relaxed);
  const std::size_t addr_size = family == Family::ipv4 ? 4 : 16;
  platform::RawOutDatagram chunk[platform::kMaxBatch];
  bool stopped_invalid = false;
  bool refresh_route = true;  // route-selected egress: notifications read once per call
  std::size_t done = 0;
  while (done < datagrams.size() && !rep.error) {
    // Validate the next chunk, up to the first invalid datagram.
    std::size_t n = 0;
    std::optional<RawDatagramError> bad;
    std::optional<internal::RouteFailure> unroutable;
    while (n < platform::kMaxBatch && done + n < datagrams.size()) {
      const OutMessage& m = datagrams[done + n];
      auto info = validate_raw_datagram(m.iov, m.iov_count, family);
      if (!info) {
        bad = info.error();
        break;
      }
      platform::RawOutDatagram& d = chunk[n];
      d.ifindex = 0;
      if (s.route) {
        auto out = s.route->select(info->source, info->destination, refresh_route);
        refresh_route = false;
        if (!out) {
          unroutable = out.error();
          break;
        }
        d.ifindex = *out;
      }
      d.iov = m.iov;
      d.iov_count = m.iov_count;
      std::memcpy(d.source, info->source.bytes().data(), addr_size);
      std::memcpy(d.destination, info->destination.bytes().data(), addr_size);
      ++n;
    }
    // Send the valid ones. A kernel error stops the batch there: the
    // invalid datagram after them is then not reached.
    done += internal::drain(n, rep, [&](std::size_t off, std::size_t left, std::size_t* bytes) {
      return platform::send_raw_batch(fd, family, ifindex, chunk + off, left, bytes);
    });
    if (!rep.error && bad) {
      s.invalid.fetch_add(1, std::memory_order_relaxed);
      if (invalid != nullptr) *invalid = *bad;
      rep.error = SendError{bad->code, 0};
      stopped_invalid = true;
    } else if (!rep.error && unroutable) {
      // No way out for datagram `done`: a send error (counted below).
      rep.error = SendError{unroutable->code, unroutable->system_errno};
    }
  }
  // One send_batch() is one send call in the metrics (as Publication).
  if (rep.error && !stopped_invalid) {
    record_failure(s, fd, *rep.error, done, rep.bytes_sent);
  } else if (done > 0) {
    s.metrics.record_send(done, rep.bytes_sent);
    s.outage.sent();
  }
  MCTX_LOG(LogLevel::log, "RawPublication::send_batch",
           "raw publication %llu: batch of %zu datagrams: %zu sent (%zu bytes)%s%s",
           static_cast<unsigned long long>(s.id), datagrams.size(), done, rep.bytes_sent,
           rep.error ? ", then " : "", rep.error ? errc_name(rep.error->code) : "");
  return rep;
}

std::string RawSendError::message() const {
  if (invalid_datagram()) return datagram.message();
  if (route_detail != nullptr) {
    std::string text = "route-selected egress for destination " + destination.to_string() + ": " +
                       route_detail;
    if (system_errno != 0) text += ": " + std::system_category().message(system_errno);
    return text;
  }
  return send_error().message();
}

// ------------------------------------------------------------------ context

struct RawContext::Impl : internal::Registry<RawPublication> {
  std::atomic<uint64_t> invalid{0};
};

RawContext::RawContext() : impl_(std::make_unique<Impl>()) {}
RawContext::~RawContext() = default;

namespace {

Unexpected<Error> duplicate_raw(Family family, PublicationId other) {
  return fail(Errc::duplicate_publication,
              std::string("a raw ") + family_name(family) +
                  " publication with the same interface, bind address and options already "
                  "exists (id " +
                  std::to_string(other) + ")");
}

}  // namespace

Res<PublicationId> RawContext::add(const RawPublicationConfig& config) {
  if (auto other = impl_->find_if([&](const RawPublication& p) { return p.config() == config; })) {
    return duplicate_raw(config.family(), *other);
  }
  auto p = RawPublication::open(config);
  if (!p) return unexpected(std::move(p).error());
  return add(std::move(p).value());
}

Res<PublicationId> RawContext::add(RawPublication&& publication) {
  const PublicationId id = publication.id();
  if (id == 0 || publication.fd() < 0) {
    return fail(Errc::publication_closed, "cannot add a closed raw publication");
  }
  if (impl_->contains(id)) {
    return fail(Errc::duplicate_publication,
                "raw publication id " + std::to_string(id) + " is already in this context");
  }
  if (auto other = impl_->find_if(
          [&](const RawPublication& p) { return p.config() == publication.config(); })) {
    return duplicate_raw(publication.family(), *other);
  }
  return impl_->insert(std::move(publication));
}

RawPublication* RawContext::get(PublicationId id) noexcept { return impl_->get(id); }
const RawPublication* RawContext::get(PublicationId id) const noexcept { return impl_->get(id); }
std::optional<RawPublication> RawContext::take(PublicationId id) { return impl_->take(id); }
bool RawContext::remove(PublicationId id) { return impl_->remove(id); }
std::size_t RawContext::size() const noexcept { return impl_->size(); }

void RawContext::for_each(const std::function<void(RawPublication&)>& f) {
  impl_->for_each([&](PublicationId, RawPublication& p) { f(p); });
}

Result<RawSendReport, RawSendError> RawContext::send(PublicationId id,
                                                     std::span<const std::byte> datagram) noexcept {
  iovec iov{const_cast<std::byte*>(datagram.data()), datagram.size()};
  return send(id, &iov, 1);
}

Result<RawSendReport, RawSendError> RawContext::send(PublicationId id, const iovec* iov,
                                                     std::size_t count) noexcept {
  RawPublication* p = get(id);
  if (p == nullptr) {
    RawSendError e;
    e.code = Errc::publication_not_found;
    return unexpected(e);
  }
  auto r = p->send(iov, count);
  if (r) {
    impl_->totals().record_send(1, r->bytes_sent);
  } else if (r.error().invalid_datagram()) {
    impl_->invalid.fetch_add(1, std::memory_order_relaxed);
  } else {
    impl_->totals().record_failed_send(r.error().code);
  }
  return r;
}

Snapshot RawContext::snapshot() const noexcept { return impl_->snapshot(); }

uint64_t RawContext::invalid_datagrams() const noexcept {
  return impl_->invalid.load(std::memory_order_relaxed);
}

}  // namespace mctx
