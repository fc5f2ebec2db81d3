// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Publication: socket setup (separate IPv4 and IPv6 paths), adoption of
// caller-provided sockets, and the send path.
//
// The send path (send, send_batch) never throws and never allocates: it
// builds msghdr/mmsghdr structures on the stack and goes through the
// platform layer's syscall seam. (Once per publication, the first datagram
// gathered from more buffers than the kernel takes gets a buffer to be
// joined in, which is then reused.)

#include "mctx/publication.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>

#include "udp/caller_socket.hpp"
#include "common/internal.hpp"
#include "common/logging.hpp"
#include "udp/pacing.hpp"
#include "platform/netlink.hpp"
#include "platform/platform.hpp"

namespace mctx {

struct alignas(64) Publication::State {
  // What every send() reads and writes, first and together (two cache
  // lines): descriptor, target, outage flag, counters, pacer switch.
  int fd = -1;
  PublicationId id = 0;
  // Caller sockets (adopt) are never connected: every datagram names the
  // destination. target.addr == nullptr: the socket is connected (open()).
  platform::SendTarget target;
  const platform::SendTarget* send_target() const noexcept {
    return target.addr != nullptr ? &target : nullptr;
  }
  internal::OutageTracker outage;
  SendMetrics metrics;
  Pacer pacer;

  PublicationConfig config;
  ResolvedConfig resolved;
  // destination (= resolved.destination), local, source: what every send's
  // report points to (set once at open / adopt).
  FlowEndpoints flow;
  // The send path's plan (init_send_path): segmentation offload, pacing.
  std::atomic<GsoState> gso_state{GsoState::off};
  std::atomic<int> gso_error{0};
  platform::GsoPlan gso_plan;                   // sending thread only
  std::atomic<std::size_t> gso_max_segment{0};  // gso_plan.max_segment, for gso()
  std::atomic<const char*> gso_qdisc{nullptr};  // avoided: the qdisc's kind (static text)
  // Qdisc changes on the pinned interface (rtnetlink, RTNLGRP_TC), read
  // before each batch that may segment (watch_qdiscs()); empty when
  // segmentation offload is off or unsupported, or no interface is pinned.
  std::optional<platform::NetlinkMonitor> qdisc_watch;  // sending thread only
  Pacer::clock::time_point qdisc_checked{};             // its last read
  PacingStatus pacing;
  // The interface in use: resolved.interface_index until an outage's
  // re-resolution finds the interface under another index.
  std::atomic<uint32_t> ifindex{0};

  sockaddr_storage destination{};  // what target.addr points to (adopt)
  internal::SharedSocket shared;  // adopt: this publication's claim on the caller's socket
  // A datagram of more than kMaxIov buffers is joined here (the kernel
  // refuses it with EMSGSIZE); kJoinSize bytes, made at the first one.
  static constexpr std::size_t kMaxIov = 1024;  // IOV_MAX, UIO_MAXIOV
  static constexpr std::size_t kJoinSize = 65535;
  std::unique_ptr<std::byte[]> join;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    platform::close_fd(fd);
  }
};

using internal::fail;
using internal::same_address;

namespace {

const Publication::State& empty_state() {
  static const Publication::State s;
  return s;
}

// "for group 239.1.2.3:5000" — appended to setup messages.
std::string for_group(const ResolvedConfig& r) {
  return " for group " + r.destination.to_string();
}

using platform::SocketOption;

Res<void> set_int(int fd, SocketOption option, int value, const ResolvedConfig& r) {
  if (int err = platform::set_socket_option(fd, r.family, option, value); err != 0) {
    return fail(Errc::set_option_failed,
                std::string("setting ") + platform::socket_option_name(option, r.family) + " to " +
                    std::to_string(value) + for_group(r),
                err);
  }
  return {};
}

Res<void> bind_socket(int fd, const ResolvedConfig& r) {
  if (int err = platform::bind_to(fd, r.bind); err != 0) {
    return fail(Errc::bind_failed, "binding to " + r.bind.to_string() + for_group(r), err);
  }
  return {};
}

// TTL / hop limit -> loop -> DSCP (IP_TOS / IPV6_TCLASS) -> SO_SNDBUF, the
// options named after r.family.
Res<void> set_per_family(int fd, const PublicationConfig& c, const ResolvedConfig& r) {
  if (auto ok = set_int(fd, SocketOption::multicast_ttl, c.ttl(), r); !ok) return ok;
  if (auto ok = set_int(fd, SocketOption::multicast_loop, c.loopback() ? 1 : 0, r); !ok) return ok;
  if (c.dscp()) {
    if (auto ok = set_int(fd, SocketOption::traffic_class, *c.dscp() << 2, r); !ok) return ok;
  }
  if (c.send_buffer_size()) {
    if (auto ok = set_int(fd, SocketOption::send_buffer, *c.send_buffer_size(), r); !ok) {
      return ok;
    }
  }
  return {};
}

// IP_MULTICAST_IF (IPv4: address, or index by name/index) or
// IPV6_MULTICAST_IF (index), when the plan has an interface. Used at setup
// and again when an outage finds the interface back.
Res<void> set_multicast_interface(int fd, const ResolvedConfig& r) {
  if (r.family == Family::ipv4 && (r.interface_address || r.interface_index != 0)) {
    // Index and address together when both are known: the index selects
    // the device, the address becomes the source (see config.cpp).
    in_addr addr{};
    const uint32_t index = r.interface_index;
    std::string what;
    if (r.interface_address) addr = r.interface_address->to_in_addr();
    if (index != 0) {
      what = "interface " + platform::describe_interface(index);
      if (r.interface_address) what += " with address " + r.interface_address->to_string();
    } else {
      what = "address " + r.interface_address->to_string();  // the kernel finds the index
    }
    if (int err = platform::set_ipv4_multicast_interface(fd, addr, index); err != 0) {
      return fail(Errc::set_option_failed, "setting IP_MULTICAST_IF to " + what + for_group(r),
                  err);
    }
  }
  if (r.family == Family::ipv6 && r.interface_index != 0) {
    const int index = static_cast<int>(r.interface_index);
    if (int err = platform::set_socket_option(fd, r.family, SocketOption::ipv6_multicast_interface,
                                              index);
        err != 0) {
      return fail(Errc::set_option_failed,
                  "setting IPV6_MULTICAST_IF to interface " +
                      platform::describe_interface(r.interface_index) + for_group(r),
                  err);
    }
  }
  return {};
}

// ---- setup -----------------------------------------------------------------
// bind (if asked; an IPv6 interface address counts as the source) ->
// IP_MULTICAST_IF (IPv4: address, or index by name/index) / IPV6_MULTICAST_IF
// (index) -> TTL / hop limit -> loop -> DSCP (IP_TOS / IPV6_TCLASS) ->
// SO_SNDBUF.
Res<void> setup(int fd, const PublicationConfig& c, const ResolvedConfig& r, bool do_bind) {
  if (do_bind) {
    if (auto ok = bind_socket(fd, r); !ok) return ok;
  }
  if (auto ok = set_multicast_interface(fd, r); !ok) return ok;
  return set_per_family(fd, c, r);
}

// The local address of fd as the kernel reports it.
Res<Endpoint> local_endpoint(int fd, const ResolvedConfig& r) {
  auto local = platform::local_endpoint(fd);
  if (!local) {
    return fail(Errc::connect_failed, "reading the local address of the socket" + for_group(r),
                local.error());
  }
  const std::optional<Endpoint>& ep = *local;
  if (!ep) {
    return fail(Errc::connect_failed,
                "the socket" + for_group(r) + " has no IPv4/IPv6 local address", 0);
  }
  return *ep;
}

// Connects to the destination and reads back the local address.
Res<Endpoint> connect_socket(int fd, const ResolvedConfig& r) {
  if (int err = platform::connect_to(fd, r.destination); err != 0) {
    return fail(Errc::connect_failed, "connecting to " + r.destination.to_string(), err);
  }
  return local_endpoint(fd, r);
}

Res<Endpoint> configure(int fd, const PublicationConfig& c, const ResolvedConfig& r, bool do_bind) {
  if (int err = platform::enable_error_reports(fd, r.family); err != 0) {
    return fail(Errc::set_option_failed,
                std::string(r.family == Family::ipv4 ? "setting IP_RECVERR" : "setting IPV6_RECVERR") +
                    for_group(r),
                err);
  }
  Res<void> ok = setup(fd, c, r, do_bind);
  if (!ok) return unexpected(std::move(ok).error());
  return connect_socket(fd, r);
}

// The largest datagram one segment may hold on this path: MTU - IP header -
// UDP header (1500 when the MTU cannot be read).
std::size_t max_segment_for(int fd, const ResolvedConfig& r) {
  std::size_t mtu = platform::path_mtu(fd, r.family, r.interface_index);
  if (mtu == 0) mtu = 1500;
  const std::size_t headers = (r.family == Family::ipv4 ? 20 : 40) + 8;
  return mtu > headers ? mtu - headers : 0;
}

// Segmentation offload and pacing, once the socket is configured.
// What open() and adopt() record once the socket is set up: the id, the
// configuration and its plan, the interface and the flow's addresses.
void record_setup(Publication::State& s, const PublicationConfig& c, const ResolvedConfig& r,
                  const Endpoint& local) {
  s.id = internal::next_publication_id();
  s.config = c;
  s.resolved = r;
  s.ifindex.store(r.interface_index, std::memory_order_relaxed);
  s.flow = FlowEndpoints{r.destination, local, local.address};
}

void init_send_path(Publication::State& s) {
  const ResolvedConfig& r = s.resolved;
  if (s.config.gso() == Gso::off) {
    s.gso_state = GsoState::off;
  } else if (const int err = platform::gso_supported(s.fd); err != 0) {
    s.gso_state = GsoState::unsupported;
    s.gso_error = err;
  } else {
    if (r.interface_index != 0) {
      // Subscribed before the qdiscs are read: no change slips in between.
      auto watch = platform::NetlinkMonitor::open(platform::kNetlinkGroupTc);
      if (watch) {
        s.qdisc_watch.emplace(std::move(watch).value());
      } else {
        MCTX_LOG(LogLevel::warning, "Publication::open",
                 "cannot watch qdisc changes (rtnetlink: %s): a taprio, cake or small-burst "
                 "tbf qdisc added while streaming would hide its drops; set gso off if you "
                 "add one",
                 std::strerror(watch.error()));
      }
    }
    if (const char* q = platform::gso_segmenting_qdisc(r.interface_index)) {
      // Its drops would go unseen: one message per datagram keeps queue-full
      // (ENOBUFS) exact.
      s.gso_state = GsoState::avoided;
      s.gso_qdisc = q;
    } else {
      s.gso_state = GsoState::ready;
    }
  }
  s.gso_plan.max_segment = max_segment_for(s.fd, r);
  s.gso_max_segment = s.gso_plan.max_segment;
  s.gso_plan.max_payload =
      r.family == Family::ipv4 ? platform::kGsoMaxPayloadIpv4 : platform::kGsoMaxPayloadIpv6;
  s.gso_plan.max_segments = platform::kGsoMaxSegments;

  const uint64_t rate = s.config.max_rate();
  s.pacing = PacingStatus{};
  if (rate != 0) {
    s.pacer = Pacer(rate);
    s.pacing.rate = rate;
    s.pacing.sender = true;
    s.pacing.kernel_error = platform::set_max_pacing_rate(s.fd, rate / 8 + (rate % 8 != 0));
    s.pacing.qdisc = platform::root_qdisc(r.interface_index);
  }
}

// The INFO line of a publication that is ready (see describe()).
void log_ready(const Publication& p, const char* function) {
  if (!internal::log_enabled(LogLevel::info)) return;
  MCTX_LOG(LogLevel::info, function, "publication %llu: %s",
           static_cast<unsigned long long>(p.id()), p.describe().c_str());
}

// The LOG line of one send() (only built when the threshold is LOG).
[[gnu::cold]] void log_send(PublicationId id, const iovec* iov, std::size_t count, ssize_t result) noexcept {
  std::size_t size = 0;
  for (std::size_t i = 0; i < count; ++i) size += iov[i].iov_len;
  const unsigned long long pid = static_cast<unsigned long long>(id);
  if (result >= 0) {
    MCTX_LOG(LogLevel::log, "Publication::send",
             "publication %llu: datagram of %zu bytes (%zu %s): sent", pid, size, count,
             count == 1 ? "buffer" : "buffers");
  } else {
    const SendError e = send_error_from_errno(static_cast<int>(-result));
    MCTX_LOG(LogLevel::log, "Publication::send",
             "publication %llu: datagram of %zu bytes (%zu %s): %s (errno %d)", pid, size, count,
             count == 1 ? "buffer" : "buffers", errc_name(e.code), e.system_errno);
  }
}

}  // namespace

const char* gso_state_name(GsoState s) noexcept {
  switch (s) {
    case GsoState::off: return "off";
    case GsoState::unsupported: return "unsupported";
    case GsoState::ready: return "ready";
    case GsoState::active: return "active";
    case GsoState::refused: return "refused";
    case GsoState::avoided: return "avoided";
  }
  return "unknown";
}

const char* PacingStatus::mode() const noexcept {
  if (rate == 0) return "unpaced";
  return kernel() ? "sender+fq" : "sender";
}

// ---- open / adopt ---------------------------------------------------------

Res<Publication> Publication::open(const PublicationConfig& config) {
  auto resolved = config.validate();
  if (!resolved) return unexpected(std::move(resolved).error());
  const ResolvedConfig& r = *resolved;

  const int fd = platform::open_udp_socket(r.family);
  if (fd < 0) {
    return fail(Errc::socket_create_failed,
                std::string("creating an ") + family_name(r.family) + " UDP socket" + for_group(r),
                -fd);
  }
  auto state = std::make_unique<State>();
  state->fd = fd;  // closed by ~State on any failure below
  auto local = configure(fd, config, r, r.needs_bind);
  if (!local) return unexpected(std::move(local).error());
  record_setup(*state, config, r, *local);
  init_send_path(*state);
  Publication pub(std::move(state));
  log_ready(pub, "Publication::open");
  return pub;
}

Res<Publication> Publication::adopt(int fd, const PublicationConfig& config) {
  const std::string sock = "socket " + std::to_string(fd);
  if (fd < 0) {
    return fail(Errc::socket_invalid,
                "file descriptor " + std::to_string(fd) + " is not an open socket", EBADF);
  }
  auto resolved = config.validate();
  if (!resolved) return unexpected(std::move(resolved).error());
  const ResolvedConfig& r = *resolved;

  auto info = platform::socket_info(fd);
  if (!info) {
    return fail(Errc::socket_invalid,
                "file descriptor " + std::to_string(fd) + " is not an open socket", info.error());
  }
  if (!platform::is_udp_socket(*info)) {
    return fail(Errc::socket_not_datagram,
                sock + " is not a UDP socket (domain " + std::to_string(info->domain) + ", type " +
                    std::to_string(info->type) + ", protocol " + std::to_string(info->protocol) +
                    ")",
                0);
  }
  const Family sock_family = platform::socket_family(*info);
  if (sock_family != r.family) {
    return fail(Errc::socket_family_mismatch,
                sock + " is " + family_name(sock_family) + " but group " +
                    config.group().to_string() + " is " + family_name(r.family),
                0);
  }

  // An already bound socket cannot be rebound: it must match the config.
  auto bound_or = platform::local_endpoint(fd);
  if (!bound_or) {
    return fail(Errc::socket_invalid, "reading the local address of " + sock, bound_or.error());
  }
  const std::optional<Endpoint>& bound = *bound_or;
  const bool is_bound = bound && (bound->port != 0 || !bound->address.is_unspecified());
  if (is_bound) {
    if (r.needs_bind && !r.bind.address.is_unspecified() &&
        !same_address(bound->address, r.bind.address)) {
      return fail(Errc::socket_address_mismatch,
                  sock + " is bound to address " + bound->address.to_string() +
                      " but the configuration asks for " + r.bind.address.to_string(),
                  0);
    }
    if (r.bind.port != 0 && bound->port != r.bind.port) {
      return fail(Errc::socket_port_mismatch,
                  sock + " is bound to port " + std::to_string(bound->port) +
                      " but the configuration asks for port " + std::to_string(r.bind.port),
                  0);
    }
  }

  // The socket's identity, and whether publications of this process use it
  // already: then they must agree on the per-socket options (and nothing is
  // set again). The registry stays locked until this adopt() is recorded.
  auto key = internal::socket_key(fd);
  if (!key) return fail(Errc::socket_invalid, "reading the identity of " + sock, key.error());
  const auto options = internal::PerSocketOptions::of(config, r);
  auto registry_lock = internal::SharedSocket::lock();
  const internal::SharedSocket::Entry* shared = internal::SharedSocket::find(*key);
  if (shared != nullptr && shared->options != options) {
    return fail(Errc::socket_options_conflict,
                sock + " is already used by the publication to " + shared->owner +
                    "; the publication to " + r.destination.to_string() +
                    " asks for other per-socket options (" +
                    shared->options.differences(options) +
                    "): publications that share a socket must set the same TTL / hop limit, "
                    "loop, interface, DSCP and send buffer size",
                0);
  }

  // The publication sends through its own duplicate: the caller may close
  // its descriptor (or the number may be reused) without redirecting media.
  auto state = std::make_unique<State>();
  const int dup = platform::duplicate_fd(fd);
  if (dup < 0) return fail(Errc::socket_invalid, "duplicating " + sock, -dup);
  state->fd = dup;  // closed by ~State on any failure below
  const int own = state->fd;

  if (shared == nullptr) {
    // Everything validated: configure. A failure puts back every option
    // set so far; the bind (the only step that cannot be undone) comes last.
    auto before = internal::SocketSnapshot::take(own, r.family, options);
    if (!before) return fail(Errc::set_option_failed, "reading the options of " + sock,
                             before.error());
    Res<void> ok = setup(own, config, r, false);
    if (ok && !is_bound) {
      // Unbound: bind as asked, else to the wildcard with an ephemeral port
      // (what the first send would do), so local() is known now.
      ResolvedConfig b = r;
      if (!r.needs_bind) b.bind = Endpoint{IpAddress::any(r.family), 0};
      ok = bind_socket(own, b);
    }
    if (!ok) {
      before->restore(own);
      return unexpected(std::move(ok).error());
    }
  }
  auto local = local_endpoint(own, r);
  if (!local) return unexpected(std::move(local).error());

  record_setup(*state, config, r, *local);
  state->target.len = r.destination.to_sockaddr(state->destination);
  state->target.addr = reinterpret_cast<const sockaddr*>(&state->destination);
  state->shared = internal::SharedSocket::claim(*key, options, r.destination.to_string());
  init_send_path(*state);
  Publication pub(std::move(state));
  log_ready(pub, "Publication::adopt");
  return pub;
}

// ---- lifetime and accessors -----------------------------------------------

Publication::Publication(std::unique_ptr<State> s) noexcept : s_(std::move(s)) {}
Publication::Publication(Publication&&) noexcept = default;
Publication& Publication::operator=(Publication&&) noexcept = default;
Publication::~Publication() = default;

PublicationId Publication::id() const noexcept { return s_ ? s_->id : 0; }
const PublicationConfig& Publication::config() const noexcept {
  return (s_ ? *s_ : empty_state()).config;
}
const ResolvedConfig& Publication::resolved() const noexcept {
  return (s_ ? *s_ : empty_state()).resolved;
}
const Endpoint& Publication::destination() const noexcept { return resolved().destination; }
const Endpoint& Publication::local() const noexcept { return (s_ ? *s_ : empty_state()).flow.local; }
uint32_t Publication::interface_index() const noexcept {
  return s_ ? s_->ifindex.load(std::memory_order_relaxed) : 0;
}
int Publication::fd() const noexcept { return s_ ? s_->fd : -1; }
const SendMetrics& Publication::metrics() const noexcept {
  return (s_ ? *s_ : empty_state()).metrics;
}

const char* Publication::gso_avoided_by() const noexcept {
  return s_ ? s_->gso_qdisc.load(std::memory_order_relaxed) : nullptr;
}

GsoStatus Publication::gso() const noexcept {
  const State& s = s_ ? *s_ : empty_state();
  return GsoStatus{s.gso_state.load(std::memory_order_relaxed),
                   s.gso_error.load(std::memory_order_relaxed),
                   s.gso_max_segment.load(std::memory_order_relaxed)};
}

const PacingStatus& Publication::pacing() const noexcept {
  return (s_ ? *s_ : empty_state()).pacing;
}

std::chrono::nanoseconds Publication::pace_delay() const noexcept {
  if (!s_ || !s_->pacer.enabled()) return std::chrono::nanoseconds(0);
  return s_->pacer.delay(Pacer::clock::now());
}

AnnounceTuple Publication::announce_tuple() const {
  return AnnounceTuple{local().address, config().group().with_scope_id(0), config().port()};
}

// The line of the INFO log at open.
std::string Publication::describe() const {
  if (!s_ || s_->fd < 0) return "closed";
  const ResolvedConfig& r = s_->resolved;
  const PublicationConfig& c = s_->config;
  std::string text = s_->flow.local.to_string() + " -> " + r.destination.to_string() + ", interface ";
  if (r.interface_index != 0) {
    text += platform::describe_interface(r.interface_index);
  } else if (r.interface_address) {
    text += "of address " + r.interface_address->to_string();
  } else {
    text += "chosen by routing (index 0)";
  }
  text += ", send buffer ";
  const auto bytes = platform::send_buffer_size(s_->fd);
  text += bytes ? std::to_string(*bytes) + " bytes" : std::string("unknown");
  text += c.send_buffer_size() ? " (requested " + std::to_string(*c.send_buffer_size()) + ")"
                               : std::string(" (system default)");
  text += r.family == Family::ipv4 ? ", TTL " : ", hop limit ";
  text += std::to_string(c.ttl());
  text += c.loopback() ? ", loopback on" : ", loopback off";
  text += ", DSCP ";
  text += c.dscp() ? std::to_string(*c.dscp()) : std::string("not set (system default)");
  const GsoStatus g = gso();
  text += ", GSO ";
  text += gso_state_name(g.state);
  if (g.in_use()) text += " (segments of up to " + std::to_string(g.max_segment) + " bytes)";
  if (g.error != 0) text += " (" + std::string(std::strerror(g.error)) + ")";
  if (const char* q = gso_avoided_by()) {
    text += " (qdisc " + std::string(q) +
            " on the interface segments such sends itself without reporting its drops)";
  }
  const PacingStatus& p = s_->pacing;
  text += ", pacing ";
  text += p.mode();
  if (p.rate != 0) {
    text += " at " + std::to_string(p.rate) + " bit/s";
    text += p.qdisc.empty() ? std::string(", root qdisc unknown") : ", root qdisc " + p.qdisc;
    if (p.kernel_error != 0) {
      text += ", SO_MAX_PACING_RATE failed: " + std::string(std::strerror(p.kernel_error));
    }
  }
  return text;
}

ExtractedSocket Publication::extract() noexcept {
  ExtractedSocket out;
  if (!s_) return out;
  out.fd = s_->fd;
  out.id = s_->id;
  out.config = s_->config;
  s_->fd = -1;
  s_->shared.reset();
  return out;
}

// ---- outages and error accounting ----------------------------------------

namespace {

using State = Publication::State;

// During an outage, at most every kOutageProbeInterval: validate the config
// again (the interface by name or address, the source address) and, when
// the interface exists and is up, apply the multicast interface again: a
// re-created interface has a new index, and the kernel keeps the old one.
[[gnu::cold]] void recover(State& s) noexcept {
  internal::recover_interface(
      s.outage, s.ifindex, [&] { return s.config.validate(); },
      [&](const ResolvedConfig& r) {
        // An interface- or link-local IPv6 group is connected with the
        // interface as scope, which also binds the socket to that device
        // (and IPV6_MULTICAST_IF may then name no other): disconnect first
        // (AF_UNSPEC clears the device binding), connect again after.
        const uint32_t scope = r.destination.address.scope_id();
        const bool reconnect = scope != 0 && scope != s.ifindex.load(std::memory_order_relaxed);
        if (reconnect) platform::disconnect(s.fd);
        auto ok = set_multicast_interface(s.fd, r);
        if (!ok) return ok.error().code;
        if (reconnect) {
          if (auto c = connect_socket(s.fd, r); !c) return c.error().code;
        }
        return Errc::ok;
      });
}

// Counts a send call that stopped at a datagram refused with `e` after
// `sent` datagrams (`bytes` bytes, `gso_sends` segmentation messages) of the
// same call went out.
[[gnu::cold]] void record_failure(State& s, const SendError& e, std::size_t sent,
                                  std::size_t bytes, std::size_t gso_sends = 0) noexcept {
  if (sent > 0) s.outage.sent();
  s.metrics.record_failed_send(e.code, sent, bytes, gso_sends);
  // The first loss of an outage looks at once for the cause (outage_reason()).
  if (e.code == Errc::network_unreachable && s.outage.lost(1)) recover(s);
  // Errors the kernel also queues with IP_RECVERR (EMSGSIZE, ICMP reports):
  // drain them, so that poll() does not keep reporting POLLERR.
  if (e.code == Errc::message_too_long || e.code == Errc::connection_refused ||
      e.code == Errc::send_failed) {
    platform::drain_error_queue(s.fd);
  }
}

}  // namespace

OutageStatus Publication::outage() const noexcept {
  return s_ ? s_->outage.status() : OutageStatus{};
}

std::string Publication::outage_reason() const {
  if (!s_) return "publication is closed";
  const PublicationConfig& c = s_->config;
  return internal::outage_reason(s_->outage.cause(), c.interface(), c.source_address());
}

int Publication::drain_errors() noexcept {
  return s_ && s_->fd >= 0 ? platform::drain_error_queue(s_->fd) : 0;
}

// ---- send path ------------------------------------------------------------

Result<SendReport, SendError> Publication::send(std::span<const std::byte> payload) noexcept {
  iovec iov{const_cast<std::byte*>(payload.data()), payload.size()};
  return send(&iov, 1);
}

namespace {

// A datagram of more than State::kMaxIov buffers, joined into s.join; the
// buffers as they are when they cannot be (more than kJoinSize bytes: the
// kernel says "too long", which it is, or no memory for the buffer).
iovec join_buffers(Publication::State& s, const iovec* iov, std::size_t count) noexcept {
  std::size_t size = 0;
  for (std::size_t i = 0; i < count; ++i) size += iov[i].iov_len;
  if (size > Publication::State::kJoinSize) return iovec{nullptr, 0};
  if (!s.join) s.join.reset(new (std::nothrow) std::byte[Publication::State::kJoinSize]);
  if (!s.join) return iovec{nullptr, 0};
  std::size_t at = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (iov[i].iov_len != 0) std::memcpy(s.join.get() + at, iov[i].iov_base, iov[i].iov_len);
    at += iov[i].iov_len;
  }
  return iovec{s.join.get(), size};
}

}  // namespace

Result<SendReport, SendError> Publication::send(const iovec* iov, std::size_t count) noexcept {
  State* s = s_.get();
  if (s == nullptr || s->fd < 0) return unexpected(SendError{Errc::publication_closed, EBADF});
  iovec joined;
  if (count > State::kMaxIov) {
    joined = join_buffers(*s, iov, count);
    if (joined.iov_base != nullptr) {
      iov = &joined;
      count = 1;
    }
  }
  if (s->outage.active()) recover(*s);
  const ssize_t n = platform::send_datagram(s->fd, iov, count, s->send_target());
  if (internal::log_enabled(LogLevel::log)) log_send(s->id, iov, count, n);
  if (n < 0) {
    const SendError e = send_error_from_errno(static_cast<int>(-n));
    record_failure(*s, e, 0, 0);
    return unexpected(e);
  }
  s->metrics.record_send(1, static_cast<uint64_t>(n));
  s->outage.sent();
  if (s->pacer.enabled()) {
    s->pacer.consume(ip_datagram_size(static_cast<std::size_t>(n), s->resolved.family == Family::ipv6),
                     Pacer::clock::now());
  }
  return SendReport{s->id, static_cast<std::size_t>(n), &s->flow};
}

namespace {

std::size_t payload_size(const OutMessage& m) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < m.iov_count; ++i) n += m.iov[i].iov_len;
  return n;
}

// Errors with which a kernel refuses segmentation itself rather than one
// datagram: no checksum offload or IPsec (EIO), UDP_NO_CHECK*_TX or a
// segment over the MTU before Linux 6.14 (EINVAL), no UDP_SEGMENT at all
// (ENOPROTOOPT, EOPNOTSUPP).
bool refuses_segmentation(int err) noexcept {
  return err == EIO || err == EINVAL || err == EOPNOTSUPP || err == ENOPROTOOPT ||
         err == EPROTONOSUPPORT;
}

}  // namespace

// Segmentation sends, as docs/performance.md describes them: each call of
// the platform layer covers up to kMaxBatch messages; a segmentation message
// that fails (other than would-block, queue-full or unreachable, which end
// the batch as without segmentation) is sent again as one message per
// datagram, which either shows the datagram at fault (its error ends the
// batch there, as without segmentation) or shows that the kernel refuses
// segmentation (every datagram goes out plainly: segmentation is off for
// good). Nothing is sent twice: a failed message put nothing on the wire.
namespace {

// How often, at most, a batch reads the qdisc notifications.
constexpr auto kQdiscCheckInterval = std::chrono::milliseconds(1);

// Before a batch that may segment: a qdisc added to or removed from the
// interface makes the publication look at its qdiscs again, as open() does,
// and avoid or resume segmentation offload. The kernel queues the
// notification before `tc` returns. The core has no thread to wait on the
// socket, so the send path looks; a look is a system call (a recv() that
// finds nothing), so a batch looks only when kQdiscCheckInterval has passed
// since the last look (otherwise it costs a clock read; at most 1,000 looks
// a second whatever the batch size). A stream whose batches are at least
// that far apart (a paced or real-time one) looks before every batch; a
// back-to-back stream can send for up to that long into a new qdisc before
// it sees it.
void watch_qdiscs(Publication::State& s) noexcept {
  const GsoState state = s.gso_state.load(std::memory_order_relaxed);
  if (state != GsoState::ready && state != GsoState::active && state != GsoState::avoided) return;
  const Pacer::clock::time_point now = Pacer::clock::now();
  if (now - s.qdisc_checked < kQdiscCheckInterval) return;
  s.qdisc_checked = now;
  struct Seen {
    uint32_t ifindex;
    bool ours;
  } seen{s.ifindex.load(std::memory_order_relaxed), false};
  const platform::NetlinkChanges c = s.qdisc_watch->drain(
      [](const nlmsghdr* h, void* p) {
        auto* found = static_cast<Seen*>(p);
        if (platform::qdisc_interface(h) == found->ifindex) found->ours = true;
      },
      &seen);
  if (!seen.ours && !c.overrun && c.error == 0) return;
  if (c.error != 0) {
    MCTX_LOG(LogLevel::warning, "Publication::send_batch",
             "publication %llu: qdisc changes can no longer be watched (rtnetlink: %s); a "
             "taprio, cake or small-burst tbf qdisc added from now on would hide its drops",
             static_cast<unsigned long long>(s.id), std::strerror(c.error));
    s.qdisc_watch.reset();
  }
  const char* q = platform::gso_segmenting_qdisc(seen.ifindex);
  if (q != nullptr) {
    s.gso_qdisc.store(q, std::memory_order_relaxed);
    s.gso_state.store(GsoState::avoided, std::memory_order_relaxed);
    if (state != GsoState::avoided) {
      MCTX_LOG(LogLevel::info, "Publication::send_batch",
               "publication %llu: a %s qdisc on the interface would hide the drops of "
               "segmentation sends: one message per datagram from now on",
               static_cast<unsigned long long>(s.id), q);
    }
  } else if (state == GsoState::avoided) {
    s.gso_qdisc.store(nullptr, std::memory_order_relaxed);
    s.gso_state.store(GsoState::ready, std::memory_order_relaxed);
    MCTX_LOG(LogLevel::info, "Publication::send_batch",
             "publication %llu: no qdisc on the interface hides drops any more: segmentation "
             "offload again",
             static_cast<unsigned long long>(s.id));
  }
}

// send_batch() of datagrams of at most State::kMaxIov buffers each.
BatchReport send_run(Publication::State* s, std::span<const OutMessage> messages) noexcept {
  BatchReport rep;
  rep.publication_id = s->id;
  if (s->outage.active()) recover(*s);
  if (s->qdisc_watch) watch_qdiscs(*s);
  const bool ipv6 = s->resolved.family == Family::ipv6;
  const OutMessage* const base = messages.data();
  std::size_t total = messages.size();
  Pacer::clock::time_point now{};
  if (s->pacer.enabled()) {
    now = Pacer::clock::now();
    total = s->pacer.admissible(total, now, [&](std::size_t i) {
      return ip_datagram_size(payload_size(base[i]), ipv6);
    });
  }
  const auto plain = [&](std::size_t off, std::size_t left, std::size_t* bytes) {
    return platform::send_datagrams(s->fd, base + off, left, bytes, s->send_target());
  };
  std::size_t done = 0;
  while (done < total && !rep.error) {
    const GsoState state = s->gso_state.load(std::memory_order_relaxed);
    if (state != GsoState::ready && state != GsoState::active) {
      BatchReport part;
      internal::drain(total - done, part, [&](std::size_t off, std::size_t left, std::size_t* b) {
        return plain(done + off, left, b);
      });
      done += part.sent;
      rep.bytes_sent += part.bytes_sent;
      rep.error = part.error;
      break;
    }
    platform::GsoOutcome out;
    const long n = platform::send_datagrams_gso(s->fd, base + done, total - done, s->gso_plan,
                                                &out, s->send_target());
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      rep.bytes_sent += out.bytes;
      rep.gso_sends += out.gso_messages;
      if (out.gso_messages != 0 && state == GsoState::ready) {
        s->gso_state.store(GsoState::active, std::memory_order_relaxed);
      }
      continue;
    }
    const int err = static_cast<int>(-n);
    const SendError e = send_error_from_errno(err);
    if (out.failed_datagrams <= 1 || e.would_block() || e.code == Errc::no_buffer_space ||
        e.code == Errc::network_unreachable) {
      // A plain message failed, the socket buffer or the local queue is full
      // (none of the message's datagrams went out: sent again or dropped by
      // the caller, as without segmentation), or the network is unreachable.
      rep.error = e;
      break;
    }
    // A segmentation message failed: its datagrams one by one.
    BatchReport part;
    internal::drain(out.failed_datagrams, part, [&](std::size_t off, std::size_t left,
                                                    std::size_t* b) {
      return plain(done + off, left, b);
    });
    done += part.sent;
    rep.bytes_sent += part.bytes_sent;
    if (part.error) {
      rep.error = part.error;  // the datagram at fault, or would-block
      break;
    }
    // Every datagram went out alone: the kernel refused the segmentation.
    // A smaller path MTU is not a refusal: the runs get shorter segments.
    const std::size_t segment = max_segment_for(s->fd, s->resolved);
    if ((err == EMSGSIZE || err == EINVAL) && segment < out.failed_segment) {
      s->gso_plan.max_segment = segment;
      s->gso_max_segment.store(segment, std::memory_order_relaxed);
    } else if (refuses_segmentation(err) || err == EMSGSIZE) {
      s->gso_error.store(err, std::memory_order_relaxed);
      s->gso_state.store(GsoState::refused, std::memory_order_relaxed);
    }
  }
  rep.sent = done;
  if (s->pacer.enabled()) {
    for (std::size_t i = 0; i < done; ++i) {
      s->pacer.consume(ip_datagram_size(payload_size(base[i]), ipv6), now);
    }
    if (done < messages.size() && !rep.error) rep.pace_delay = s->pacer.delay(now);
  }
  // One run is one send call in the metrics (a batch without a joined
  // datagram is one run).
  if (rep.error) {
    record_failure(*s, *rep.error, done, rep.bytes_sent, rep.gso_sends);
  } else if (done > 0) {
    s->metrics.record_send(done, rep.bytes_sent, 0, 0, rep.gso_sends);
    s->outage.sent();
  }
  MCTX_LOG(LogLevel::log, "Publication::send_batch",
           "publication %llu: batch of %zu datagrams: %zu sent (%zu bytes)%s%s",
           static_cast<unsigned long long>(s->id), messages.size(), done, rep.bytes_sent,
           rep.error ? ", then " : "", rep.error ? errc_name(rep.error->code) : "");
  return rep;
}

}  // namespace

BatchReport Publication::send_batch(std::span<const OutMessage> messages) noexcept {
  State* s = s_.get();
  if (s == nullptr || s->fd < 0) {
    BatchReport rep;
    if (!messages.empty()) rep.error = SendError{Errc::publication_closed, EBADF};
    return rep;
  }
  // A datagram of more than kMaxIov buffers goes alone, joined (send());
  // the runs before and after it go as they are.
  BatchReport rep;
  rep.publication_id = s->id;
  std::size_t off = 0;
  for (;;) {
    std::size_t k = off;
    while (k < messages.size() && messages[k].iov_count <= State::kMaxIov) ++k;
    if (k > off || k == messages.size()) {
      const BatchReport part = send_run(s, messages.subspan(off, k - off));
      rep.sent += part.sent;
      rep.bytes_sent += part.bytes_sent;
      rep.gso_sends += part.gso_sends;
      rep.error = part.error;
      rep.pace_delay = part.pace_delay;
      off += part.sent;
      if (off < k || rep.error || k == messages.size()) return rep;
    }
    if (s->pacer.enabled()) {
      rep.pace_delay = s->pacer.delay(Pacer::clock::now());
      if (rep.pace_delay.count() > 0) return rep;
    }
    auto r = send(messages[off].iov, messages[off].iov_count);
    if (!r) {
      rep.error = r.error();
      return rep;
    }
    ++rep.sent;
    rep.bytes_sent += r->bytes_sent;
    if (++off == messages.size()) return rep;
  }
}

}  // namespace mctx
