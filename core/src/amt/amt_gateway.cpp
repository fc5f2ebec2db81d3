// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The AMT gateway state machine (RFC 7450 §5.2): driven by the application
// with received datagrams and the time; it never touches a socket or a clock.

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <vector>

#include "amt/amt_internal.hpp"

namespace mctx {

using namespace internal::amt;
using std::chrono::milliseconds;

const char* amt_gateway_state_name(AmtGatewayState s) noexcept {
  switch (s) {
    case AmtGatewayState::idle: return "idle";
    case AmtGatewayState::discovering: return "discovering";
    case AmtGatewayState::requesting: return "requesting";
    case AmtGatewayState::joined: return "joined";
    case AmtGatewayState::relay_lost: return "relay-lost";
    case AmtGatewayState::stopped: return "stopped";
  }
  return "unknown";
}

namespace {

Error config_error(std::string message) {
  return make_error(Errc::amt_invalid_config, std::move(message));
}

Res<void> check_endpoint(const char* what, const Endpoint& e) {
  if (e.address.is_unspecified() || e.address.is_multicast()) {
    return unexpected(config_error(std::string("AMT ") + what + " " + e.to_string() +
                                   ": the address must be a unicast (or anycast) address"));
  }
  if (e.port == 0) {
    return unexpected(config_error(std::string("AMT ") + what + " " + e.to_string() +
                                   ": the port must not be 0 (AMT uses 2268)"));
  }
  return {};
}

bool link_local_group(const IpAddress& g) noexcept {
  if (g.is_v4()) return g.bytes()[0] == 224 && g.bytes()[1] == 0 && g.bytes()[2] == 0;
  return g.multicast_scope() <= 2;
}

}  // namespace

Res<void> AmtGatewayConfig::validate() const {
  if (discovery && relay) {
    return unexpected(config_error("AMT gateway: both a relay (" + relay->to_string() +
                                   ") and a relay discovery address (" + discovery->to_string() +
                                   ") are set: give one"));
  }
  if (!discovery && !relay) {
    return unexpected(
        config_error("AMT gateway: neither a relay nor a relay discovery address is set"));
  }
  if (auto r = check_endpoint(relay ? "relay" : "relay discovery address",
                              relay ? *relay : *discovery);
      !r) {
    return r;
  }
  if (groups.empty()) return unexpected(config_error("AMT gateway: no group to join"));
  const Family family = groups.front().group.family();
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const AmtGroup& g = groups[i];
    const std::string name = "AMT group " + g.to_string();
    if (!g.group.is_multicast()) {
      return unexpected(config_error(name + ": " + g.group.to_string() + " is not multicast"));
    }
    if (g.group.family() != family) {
      return unexpected(config_error(name + " is " + family_name(g.group.family()) + " but " +
                                     groups.front().to_string() + " is " + family_name(family) +
                                     ": one gateway tunnels one family (use two gateways)"));
    }
    if (link_local_group(g.group)) {
      return unexpected(config_error(name + ": a link-local group is never forwarded by a relay"));
    }
    if (g.source) {
      if (g.source->family() != family) {
        return unexpected(config_error(name + ": the source and the group differ in family"));
      }
      if (g.source->is_unspecified() || g.source->is_multicast()) {
        return unexpected(
            config_error(name + ": the source must be a unicast address (or omitted for (*,G))"));
      }
    } else if (g.group.is_ssm()) {
      return unexpected(config_error(name + ": " + g.group.to_string() +
                                     " is in the source-specific range, so a source is needed"));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (groups[j] == g) return unexpected(config_error(name + " is listed twice"));
    }
  }
  if (report_source && report_source->family() != family) {
    return unexpected(config_error("AMT report source " + report_source->to_string() + " is " +
                                   family_name(report_source->family()) + " but the groups are " +
                                   family_name(family)));
  }
  if (udp_port && *udp_port == 0) {
    return unexpected(config_error(
        "AMT UDP port filter 0: give a destination port 1..65535, or no filter"));
  }
  return {};
}

namespace {

struct Pending {
  AmtType type = AmtType::request;
  Endpoint to;
  uint64_t mac = 0;
  uint32_t nonce = 0;
  uint16_t gateway_port = 0;
  IpAddress gateway_field = IpAddress::any(Family::ipv6);
  bool leave = false;  // update: leave records
};

// The records of one direction (join or leave), merged per group: an (*,G)
// entry makes the group's record EXCLUDE {} / TO_INCLUDE {} (it takes every
// source); otherwise one INCLUDE {S...} / BLOCK {S...} record with all of the
// group's sources.
struct Records {
  std::vector<std::vector<IpAddress>> sources;
  std::vector<MembershipRecord> join;
  std::vector<MembershipRecord> leave;
};

Records make_records(const std::vector<AmtGroup>& groups) {
  Records r;
  std::vector<IpAddress> order;
  for (const auto& g : groups) {
    if (std::none_of(order.begin(), order.end(),
                     [&](const IpAddress& a) { return same_address(a, g.group); })) {
      order.push_back(g.group);
    }
  }
  r.sources.resize(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    bool any_source = false;
    for (const auto& g : groups) {
      if (!same_address(g.group, order[i])) continue;
      if (!g.source) any_source = true;
      else r.sources[i].push_back(*g.source);
    }
    if (any_source) r.sources[i].clear();
    const std::span<const IpAddress> s(r.sources[i]);
    r.join.push_back({any_source ? RecordType::mode_is_exclude : RecordType::mode_is_include,
                      order[i], s});
    r.leave.push_back({any_source ? RecordType::change_to_include : RecordType::block_old_sources,
                       order[i], s});
  }
  return r;
}

IpAddress default_report_source(Family f) noexcept {
  if (f == Family::ipv4) return IpAddress::any(Family::ipv4);
  return ipv6_short(0xfe, 0x80, 1);  // fe80::1
}

}  // namespace

struct AmtGateway::Impl {
  AmtGatewayConfig cfg;
  Family family = Family::ipv4;
  IpAddress report_source;
  Records records;
  std::mt19937 rng;

  AmtGatewayState state = AmtGatewayState::idle;
  std::optional<Endpoint> relay;
  bool awaiting_advertisement = false;
  bool awaiting_query = false;
  uint32_t discovery_nonce = 0;
  uint32_t request_nonce = 0;
  int attempts = 0;  // transmissions of the current Discovery / Request
  milliseconds retry = kAmtInitialRetry;
  std::optional<TimePoint> deadline;

  // The session of the last accepted query.
  bool have_session = false;
  uint64_t mac = 0;
  uint32_t session_nonce = 0;
  std::optional<Endpoint> public_endpoint;
  IpAddress public_field = IpAddress::any(Family::ipv6);
  milliseconds interval = kAmtDefaultQueryInterval;
  bool limited = false;

  std::array<Pending, 4> queue{};
  std::size_t queued = 0;
  AmtGatewayCounters counters;

  uint32_t nonce() {
    if (cfg.random) return cfg.random();
    return static_cast<uint32_t>(rng());
  }

  void set_state(AmtGatewayState s) {
    if (s == state) return;
    const AmtGatewayState old = state;
    state = s;
    if (cfg.on_state_change) cfg.on_state_change(old, s);
  }

  // One message of each type at most: a newer Discovery / Request replaces
  // a queued one the application has not sent yet.
  void enqueue(const Pending& p) {
    for (std::size_t i = 0; i < queued; ++i) {
      if (queue[i].type == p.type) {
        queue[i] = p;
        return;
      }
    }
    if (queued < queue.size()) queue[queued++] = p;
  }
  void drop_queued(AmtType t) {
    for (std::size_t i = 0; i < queued; ++i) {
      if (queue[i].type != t) continue;
      std::move(queue.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                queue.begin() + static_cast<std::ptrdiff_t>(queued),
                queue.begin() + static_cast<std::ptrdiff_t>(i));
      --queued;
      return;
    }
  }

  // The update (join or leave) and the Teardown of the current session.
  void queue_update(bool leave) {
    Pending u;
    u.type = AmtType::membership_update;
    u.to = *relay;
    u.mac = mac;
    u.nonce = session_nonce;
    u.leave = leave;
    enqueue(u);
  }
  void queue_teardown() {
    Pending t;
    t.type = AmtType::teardown;
    t.to = *relay;
    t.mac = mac;
    t.nonce = session_nonce;
    t.gateway_port = public_endpoint->port;
    t.gateway_field = public_field;
    enqueue(t);
  }

  void arm(TimePoint now) {
    deadline = now + retry;
    retry = std::min(retry * 2, kAmtMaxRetry);
  }

  // One Discovery or Request (the first or a retry): queued, counted, and
  // the retry timer armed.
  void send_handshake(AmtType type, const Endpoint& to, uint32_t n, TimePoint now) {
    Pending p;
    p.type = type;
    p.to = to;
    p.nonce = n;
    enqueue(p);
    ++attempts;
    arm(now);
  }
  // A new handshake from the first attempt, in state `s`.
  void restart_handshake(AmtGatewayState s) {
    attempts = 0;
    retry = kAmtInitialRetry;
    set_state(s);
  }

  void send_discovery(TimePoint now) {
    send_handshake(AmtType::relay_discovery, *cfg.discovery, discovery_nonce, now);
  }
  void begin_discovery(TimePoint now, AmtGatewayState s) {
    relay.reset();
    awaiting_query = false;
    awaiting_advertisement = true;
    discovery_nonce = nonce();
    restart_handshake(s);
    send_discovery(now);
  }

  void send_request(TimePoint now) {
    awaiting_query = true;
    send_handshake(AmtType::request, *relay, request_nonce, now);
  }
  void begin_request(TimePoint now, AmtGatewayState s) {
    awaiting_advertisement = false;
    request_nonce = nonce();
    restart_handshake(s);
    send_request(now);
  }

  void lose_relay(TimePoint now) {
    ++counters.relay_losses;
    have_session = false;
    public_endpoint.reset();
    limited = false;
    if (cfg.discovery) {
      begin_discovery(now, AmtGatewayState::relay_lost);
    } else {
      begin_request(now, AmtGatewayState::relay_lost);
    }
  }

  void on_timer(TimePoint now) {
    if (!deadline || now < *deadline) return;
    deadline.reset();
    if (state == AmtGatewayState::idle || state == AmtGatewayState::stopped) return;
    if (awaiting_advertisement) {
      send_discovery(now);  // discovery never gives up; the interval stays at 120 s
    } else if (awaiting_query) {
      // A fixed relay already lost is asked forever (every 120 s at most).
      if (attempts >= kAmtRequestAttempts && state != AmtGatewayState::relay_lost) {
        lose_relay(now);
      } else {
        send_request(now);
      }
    } else if (state == AmtGatewayState::joined) {
      begin_request(now, AmtGatewayState::joined);  // refresh: a new Request, a new nonce
    }
  }

  AmtReceive on_query(const Endpoint& from, const AmtMembershipQuery& q, TimePoint now) {
    AmtReceive r;
    if (!relay || from != *relay) {
      ++counters.control_not_from_relay;
      return r;
    }
    if (!awaiting_query) {
      ++counters.control_unexpected;
      return r;
    }
    if (q.nonce != request_nonce) {
      ++counters.nonce_mismatches;
      return r;
    }
    auto info = parse_membership_query(q.query);
    if (!info || info->family != family) {
      ++counters.control_malformed;
      return r;
    }
    ++counters.queries;
    awaiting_query = false;
    attempts = 0;
    retry = kAmtInitialRetry;
    deadline.reset();
    r.kind = AmtReceiveKind::control;
    if (q.has_gateway) {
      const Endpoint seen{amt_gateway_ip(q.gateway_address), q.gateway_port};
      const bool moved = public_endpoint && *public_endpoint != seen && have_session;
      if (moved) {
        // The relay sees us at a new address/port (NAT rebinding): tear the
        // old tunnel down and start a new session from a new Request.
        ++counters.nat_changes;
        queue_teardown();
      }
      public_endpoint = seen;
      public_field = q.gateway_address;
      if (moved) {
        have_session = false;
        begin_request(now, AmtGatewayState::requesting);
        return r;
      }
    }
    have_session = true;
    mac = q.mac;
    session_nonce = q.nonce;
    limited = q.limited;
    if (limited && records.join.size() > 1) ++counters.limited_relay;
    interval = info->query_interval_ms != 0 ? milliseconds(info->query_interval_ms)
                                            : kAmtDefaultQueryInterval;
    queue_update(false);
    set_state(AmtGatewayState::joined);
    deadline = now + interval;
    return r;
  }

  AmtReceive on_datagram(const Endpoint& from, std::span<const std::byte> bytes, TimePoint now) {
    AmtReceive r;
    if (!bytes.empty() && static_cast<uint8_t>(bytes[0]) == 0x06) {
      auto d = relay ? amt_decapsulate(from, bytes, filter())
                     : Result<AmtInnerDatagram, AmtDropReason>(
                           unexpected(AmtDropReason::not_from_relay));
      counters.data.record(d);
      if (d) {
        r.kind = AmtReceiveKind::data;
        r.data = *d;
      } else {
        r.kind = AmtReceiveKind::dropped;
        r.drop = d.error();
      }
      return r;
    }
    auto m = parse_amt_message(bytes);
    if (!m) {
      ++counters.control_malformed;
      return r;
    }
    if (state == AmtGatewayState::idle || state == AmtGatewayState::stopped) {
      ++counters.control_unexpected;
      return r;
    }
    if (const auto* a = std::get_if<AmtRelayAdvertisement>(&*m)) {
      if (!cfg.discovery || from != *cfg.discovery) {
        ++counters.control_not_from_relay;
        return r;
      }
      if (!awaiting_advertisement) {
        ++counters.control_unexpected;
        return r;
      }
      if (a->nonce != discovery_nonce) {
        ++counters.nonce_mismatches;
        return r;
      }
      ++counters.advertisements;
      relay = Endpoint{a->relay, cfg.discovery->port};
      drop_queued(AmtType::relay_discovery);
      begin_request(now, AmtGatewayState::requesting);
      r.kind = AmtReceiveKind::control;
      return r;
    }
    if (const auto* q = std::get_if<AmtMembershipQuery>(&*m)) return on_query(from, *q, now);
    ++counters.control_unexpected;  // messages a relay never sends to a gateway
    return r;
  }

  void stop(TimePoint) {
    if (state == AmtGatewayState::stopped) return;
    drop_queued(AmtType::relay_discovery);
    drop_queued(AmtType::request);
    if (have_session && relay) {
      queue_update(true);
      if (cfg.teardown_on_stop && public_endpoint) {
        queue_teardown();
      }
    }
    have_session = false;
    awaiting_advertisement = false;
    awaiting_query = false;
    deadline.reset();
    set_state(AmtGatewayState::stopped);
  }

  std::span<const MembershipRecord> records_for(bool leave) const noexcept {
    std::span<const MembershipRecord> rs(leave ? records.leave : records.join);
    if (limited && !rs.empty()) rs = rs.first(1);  // the relay takes one group only (L flag)
    return rs;
  }

  Result<std::optional<AmtTransmit>, AmtError> poll(std::span<std::byte> out) noexcept {
    if (queued == 0) return std::optional<AmtTransmit>{};
    const Pending& p = queue[0];
    Result<std::size_t, AmtError> built = std::size_t{0};
    switch (p.type) {
      case AmtType::relay_discovery:
        built = build_amt_message(AmtRelayDiscovery{p.nonce}, out);
        break;
      case AmtType::request:
        built = build_amt_message(AmtRequest{p.nonce, family == Family::ipv6}, out);
        break;
      case AmtType::membership_update: {
        const auto recs = records_for(p.leave);
        const std::size_t need = kAmtUpdateHeaderSize + membership_report_size(family, recs);
        if (out.size() < need) {
          return unexpected(error(AmtErrc::buffer_too_small, static_cast<uint8_t>(p.type), 0,
                                  static_cast<uint32_t>(out.size()),
                                  static_cast<uint32_t>(need)));
        }
        auto report =
            build_membership_report(family, report_source, recs, out.subspan(kAmtUpdateHeaderSize));
        if (!report) return unexpected(report.error());
        built = build_amt_message(
            AmtMembershipUpdate{p.mac, p.nonce, out.subspan(kAmtUpdateHeaderSize, *report)}, out);
        break;
      }
      case AmtType::teardown:
        built = build_amt_message(AmtTeardown{p.mac, p.nonce, p.gateway_port, p.gateway_field}, out);
        break;
      default: break;
    }
    if (!built) return unexpected(built.error());
    AmtTransmit t{*built, p.to, p.type};
    switch (p.type) {
      case AmtType::relay_discovery: ++counters.discoveries_sent; break;
      case AmtType::request: ++counters.requests_sent; break;
      case AmtType::membership_update: ++counters.updates_sent; break;
      case AmtType::teardown: ++counters.teardowns_sent; break;
      default: break;
    }
    std::move(queue.begin() + 1, queue.begin() + static_cast<std::ptrdiff_t>(queued),
              queue.begin());
    --queued;
    return std::optional<AmtTransmit>{t};
  }

  AmtDataFilter filter() const noexcept {
    AmtDataFilter f;
    if (relay) f.relay = *relay;
    f.groups = cfg.groups;
    f.udp_port = cfg.udp_port;
    f.udp_only = cfg.udp_only;
    return f;
  }
};

Res<AmtGateway> AmtGateway::create(AmtGatewayConfig config) {
  if (auto v = config.validate(); !v) return unexpected(v.error());
  auto impl = std::make_unique<Impl>();
  impl->family = config.groups.front().group.family();
  impl->report_source = config.report_source ? *config.report_source
                                             : default_report_source(impl->family);
  impl->records = make_records(config.groups);
  if (config.relay) impl->relay = *config.relay;
  if (!config.random) impl->rng.seed(std::random_device{}());
  impl->cfg = std::move(config);
  return AmtGateway(std::move(impl));
}

AmtGateway::AmtGateway(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
AmtGateway::AmtGateway(AmtGateway&&) noexcept = default;
AmtGateway& AmtGateway::operator=(AmtGateway&&) noexcept = default;
AmtGateway::~AmtGateway() = default;

void AmtGateway::start(TimePoint now) {
  if (impl_->state != AmtGatewayState::idle) return;
  if (impl_->cfg.discovery) {
    impl_->begin_discovery(now, AmtGatewayState::discovering);
  } else {
    impl_->begin_request(now, AmtGatewayState::requesting);
  }
}

AmtReceive AmtGateway::on_datagram(const Endpoint& from, std::span<const std::byte> bytes,
                                   TimePoint now) {
  return impl_->on_datagram(from, bytes, now);
}

void AmtGateway::on_timer(TimePoint now) { impl_->on_timer(now); }
std::optional<AmtGateway::TimePoint> AmtGateway::next_deadline() const noexcept {
  return impl_->deadline;
}
void AmtGateway::stop(TimePoint now) { impl_->stop(now); }

Result<std::optional<AmtTransmit>, AmtError> AmtGateway::poll_transmit(
    std::span<std::byte> out) noexcept {
  return impl_->poll(out);
}

std::size_t AmtGateway::max_transmit_size() const noexcept {
  const std::size_t update =
      kAmtUpdateHeaderSize + membership_report_size(impl_->family, impl_->records.join);
  return std::max(update, kAmtTeardownSize);
}

AmtGatewayState AmtGateway::state() const noexcept { return impl_->state; }
std::optional<Endpoint> AmtGateway::relay() const noexcept { return impl_->relay; }
std::optional<Endpoint> AmtGateway::public_endpoint() const noexcept {
  return impl_->public_endpoint;
}
std::chrono::milliseconds AmtGateway::query_interval() const noexcept { return impl_->interval; }
bool AmtGateway::relay_limited() const noexcept { return impl_->limited; }
const AmtGatewayCounters& AmtGateway::counters() const noexcept { return impl_->counters; }
AmtDataFilter AmtGateway::data_filter() const noexcept { return impl_->filter(); }

}  // namespace mctx
