// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// SapAnnouncer: one session's announcements through a UDP publication.

#include <string>
#include <utility>

#include "mctx/publication.hpp"
#include "mctx/sap.hpp"
#include "mctx/sdp.hpp"

namespace mctx {

struct SapAnnouncer::State {
  SapAnnouncerConfig config;
  Publication publication;
  IpAddress origin;
  std::string sdp;                 // current description, "" = none
  uint16_t hash = 0;               // its message identifier hash
  std::vector<std::byte> packet;   // its announcement packet
  bool announced = false;          // the current description went out at least once
  clock::time_point next = clock::time_point::max();
  SapAnnouncerStats stats;

  State(SapAnnouncerConfig c, Publication p, IpAddress o)
      : config(std::move(c)), publication(std::move(p)), origin(o) {}

  Result<void, SendError> send(std::span<const std::byte> bytes, SapMessageType type) {
    auto r = publication.send(bytes);
    if (!r) {
      ++stats.send_failures;
      stats.last_failure = r.error().code;
      return unexpected(r.error());
    }
    ++(type == SapMessageType::deletion ? stats.deletions : stats.announcements);
    return {};
  }

  Result<void, SendError> send_deletion() {
    const std::string payload = std::string(sdp_origin_line(sdp)) + "\r\n";
    SapPacket p;
    p.type = SapMessageType::deletion;
    p.hash = hash;
    p.origin = origin;
    p.payload = payload;
    auto bytes = build_sap_packet(p);
    if (!bytes) return unexpected(SendError{bytes.error().code, 0});
    return send(*bytes, SapMessageType::deletion);
  }

  void clear() {
    sdp.clear();
    packet.clear();
    hash = 0;
    stats.hash = 0;
    announced = false;
    next = clock::time_point::max();
  }
};

namespace {

Unexpected<Error> invalid(std::string message) {
  return unexpected(make_error(Errc::sap_invalid_config, std::move(message)));
}

}  // namespace

Res<SapAnnouncer> SapAnnouncer::open(const SapAnnouncerConfig& config) {
  const PublicationConfig& stream = config.stream;
  if (config.interval.count() <= 0) {
    return invalid("SAP interval " + std::to_string(config.interval.count()) +
                   " ms must be greater than 0");
  }
  if (config.port == 0) return invalid("SAP port 0 (the SAP port is 9875)");
  IpAddress address;
  if (config.address) {
    address = *config.address;
    if (!address.is_multicast()) {
      return invalid("SAP address '" + address.to_string() + "' is not a multicast address");
    }
  } else {
    auto a = sap_address_for(stream.group());
    if (!a) return unexpected(std::move(a).error());
    address = *a;
  }
  if (address.family() != stream.group().family()) {
    return invalid("SAP address '" + address.to_string() + "' is " +
                   family_name(address.family()) + " but the stream's group '" +
                   stream.group().to_string() + "' is " + family_name(stream.group().family()) +
                   " (the announcement goes the stream's way)");
  }

  PublicationConfig pc(address, config.port);
  pc.with_interface(stream.interface())
      .with_ttl(stream.ttl())
      .with_loopback(stream.loopback())
      .with_gso(Gso::off);
  std::optional<IpAddress> source = stream.source_address();
  if (!source && stream.bind() && !stream.bind()->address.is_unspecified()) {
    source = stream.bind()->address;
  }
  if (source) pc.with_source_address(*source);
  auto pub = Publication::open(pc);
  if (!pub) {
    Error e = std::move(pub).error();
    e.message = "SAP announcements to " + Endpoint{address, config.port}.to_string() + ": " +
                e.message;
    return unexpected(std::move(e));
  }
  const IpAddress origin = (source ? *source : pub->local().address).with_scope_id(0);
  if (origin.is_unspecified()) {
    return invalid("SAP originating source: the socket to " + address.to_string() +
                   " has no source address; set the stream's source address");
  }
  return SapAnnouncer(std::make_unique<State>(config, std::move(*pub), origin));
}

SapAnnouncer::SapAnnouncer(std::unique_ptr<State> s) noexcept : s_(std::move(s)) {}
SapAnnouncer::SapAnnouncer(SapAnnouncer&&) noexcept = default;
SapAnnouncer& SapAnnouncer::operator=(SapAnnouncer&&) noexcept = default;
SapAnnouncer::~SapAnnouncer() = default;

Res<void> SapAnnouncer::set_description(std::string sdp) {
  State& s = *s_;
  if (!s.sdp.empty() && sdp == s.sdp) return {};
  uint16_t hash = sap_hash(sdp);
  if (!s.sdp.empty() && hash == s.hash) hash = hash == 0xffff ? 1 : hash + 1;
  SapPacket p;
  p.type = SapMessageType::announcement;
  p.hash = hash;
  p.origin = s.origin;
  p.payload = sdp;
  auto bytes = build_sap_packet(p);
  if (!bytes) return unexpected(std::move(bytes).error());
  if (!sdp.starts_with("v=0") || sdp_origin_line(sdp).empty()) {
    return unexpected(make_error(
        Errc::sap_invalid_packet,
        "SAP description is not SDP: it must start with 'v=0' and hold an o= line "
        "(RFC 8866 §5; a SAP deletion repeats the o= line, RFC 2974 §6)"));
  }
  if (s.announced) (void)s.send_deletion();  // counted in stats on failure
  s.sdp = std::move(sdp);
  s.packet = std::move(*bytes);
  s.hash = hash;
  s.stats.hash = hash;
  s.announced = false;
  s.next = clock::now();
  return {};
}

Result<void, SendError> SapAnnouncer::announce_now(clock::time_point now) {
  State& s = *s_;
  if (s.packet.empty()) return unexpected(SendError{Errc::sap_no_description, 0});
  s.next = now + s.config.interval;
  auto r = s.send(s.packet, SapMessageType::announcement);
  if (r) s.announced = true;
  return r;
}

SapAnnouncer::clock::time_point SapAnnouncer::poll(clock::time_point now) {
  if (!s_->packet.empty() && now >= s_->next) (void)announce_now(now);
  return s_->next;
}

SapAnnouncer::clock::time_point SapAnnouncer::next_deadline() const noexcept { return s_->next; }

Result<void, SendError> SapAnnouncer::delete_session() {
  State& s = *s_;
  Result<void, SendError> r;
  if (s.announced) r = s.send_deletion();
  s.clear();
  return r;
}

const SapAnnouncerStats& SapAnnouncer::stats() const noexcept { return s_->stats; }
const Publication& SapAnnouncer::publication() const noexcept { return s_->publication; }
const IpAddress& SapAnnouncer::origin() const noexcept { return s_->origin; }
std::span<const std::byte> SapAnnouncer::packet() const noexcept { return s_->packet; }

}  // namespace mctx
