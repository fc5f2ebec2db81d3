// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// SAP (RFC 2974): session announcement packets, the SAP address of a
// group's scope, and SapAnnouncer, which repeats an announcement through a
// UDP publication of the core and sends the deletion at the end.
//
// Packet (RFC 2974 §6): V=1, A (0: IPv4, 1: IPv6 originating source), R=0,
// T (0: announcement, 1: deletion), E=0, C=0, auth len 0, 16-bit message
// identifier hash, originating source (4 or 16 bytes), "application/sdp\0",
// then the SDP text (a deletion carries the o= line of the announcement it
// deletes).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/config.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"

namespace mctx {

class Publication;

inline constexpr uint16_t kSapPort = 9875;
inline constexpr std::string_view kSapPayloadType = "application/sdp";
// Largest SAP packet built: it must fit one unfragmented datagram on a
// 1500-byte MTU link (1500 - 40 - 8 for IPv6; 1472 for IPv4 allows 20 more,
// but one limit for both keeps the rule simple). RFC 2974 §6 recommends
// packets under 1 kB; FFmpeg's SAP demuxer reads at most 1500 bytes.
inline constexpr std::size_t kSapMaxPacketSize = 1452;
// The interval SapAnnouncer repeats an announcement at unless told
// otherwise (RFC 2974 §3.1 derives it from a 4000 bit/s budget shared by
// every session of a SAP group, at least 300 s; receivers of one stream
// want it found quickly, and FFmpeg's SAP muxer uses 5 s too; VLC drops a
// session after ten intervals without an announcement, or one hour).
inline constexpr std::chrono::milliseconds kDefaultSapInterval{5000};

enum class SapMessageType : uint8_t { announcement = 0, deletion = 1 };
MCTX_API const char* sap_message_type_name(SapMessageType t) noexcept;  // "announcement"

// The SAP address (port kSapPort) for announcing a session whose group is
// `group` (RFC 2974 §3):
//   IPv4 224.0.0.0/24 (link-local)              -> 224.0.0.255
//   IPv4 239.255.0.0/16 (local scope, RFC 2365)
//        and its expansion 239.252.0.0/14        -> 239.255.255.255
//   IPv4 any other 239.0.0.0/8 (organization-local scope 239.192.0.0/14
//        and its expansion ranges 239.0/10, 239.64/10, 239.128/10; the
//        rest of 239/8 is treated alike)          -> 239.195.255.255
//   IPv4 any other multicast (global, 232/8 SSM, 233/8 GLOP, ...)
//                                                  -> 224.2.127.254
//   IPv6 ffXY::/16 (any flags X, scope Y)          -> ff0Y::2:7ffe
// The highest address of the zone is the RFC's rule; an announcer cannot
// discover a site's zone boundaries, so the 239/8 ranges use the
// well-known address of their RFC 2365 scope, where listeners (VLC) listen.
// A site whose zones differ passes the SAP address itself
// (SapAnnouncerConfig::address). Errors: Errc::group_not_multicast;
// Errc::sap_no_address for IPv6 scopes 0 and f (reserved). The scope ID of
// `group` is carried over (ff02::2:7ffe needs one).
MCTX_API Res<IpAddress> sap_address_for(const IpAddress& group);

// One SAP packet, as built or parsed. Views point into the caller's text
// (build) or the parsed buffer (parse).
struct MCTX_API SapPacket {
  SapMessageType type = SapMessageType::announcement;
  uint16_t hash = 0;         // message identifier hash, never 0 when built
  IpAddress origin;          // originating source; its family gives the A bit
  std::string_view payload_type = kSapPayloadType;  // parse: "" when absent
  std::string_view payload;  // SDP text (announcement) or o= line (deletion)
  // Parse only: the header flags as received.
  bool encrypted = false;
  bool compressed = false;
  uint8_t auth_words = 0;  // authentication length, 32-bit words
};

// The message identifier hash for an SDP text: a 16-bit digest (FNV-1a,
// folded), never 0. A new session version changes the text, hence (with
// probability 65535/65536) the hash; SapAnnouncer makes sure it changes.
MCTX_API uint16_t sap_hash(std::string_view sdp) noexcept;

// Size of the packet write_sap_packet() makes.
MCTX_API std::size_t sap_packet_size(const SapPacket& packet) noexcept;
// Writes the packet into out; returns its size. Errors
// (Errc::sap_invalid_packet unless said otherwise): hash 0, an unspecified
// or multicast origin, a payload type with a NUL, an empty payload,
// Errc::sap_too_large above kSapMaxPacketSize, Errc::sap_buffer_too_small.
// Never allocates on success.
MCTX_API Res<std::size_t> write_sap_packet(const SapPacket& packet, std::span<std::byte> out);
// The same into a new buffer.
MCTX_API Res<std::vector<std::byte>> build_sap_packet(const SapPacket& packet);
// Reads a packet (views into `bytes`). Errc::sap_invalid_packet: shorter
// than its header, version not 1, authentication data past the end, a
// payload type without its NUL. The payload type is "" when the payload
// starts with "v=0" (SAPv1 without a type).
MCTX_API Res<SapPacket> parse_sap_packet(std::span<const std::byte> bytes);

struct MCTX_API SapAnnouncerConfig {
  // Where the stream goes: its group, interface, TTL / hop limit, loopback
  // and source address are those of the announcement too. The source port,
  // bind port, DSCP, GSO and pacing settings are not used.
  PublicationConfig stream;
  // The SAP address; unset: sap_address_for(stream group).
  std::optional<IpAddress> address;
  uint16_t port = kSapPort;
  std::chrono::milliseconds interval = kDefaultSapInterval;  // > 0
};

// What SapAnnouncer has done. All counts since open().
struct MCTX_API SapAnnouncerStats {
  uint64_t announcements = 0;    // announcement packets sent
  uint64_t deletions = 0;        // deletion packets sent
  uint64_t send_failures = 0;    // packets the socket refused (full, no route, ...)
  Errc last_failure = Errc::ok;  // code of the last refusal
  uint16_t hash = 0;             // hash of the current description, 0 = none
};

// Announces one session: the SDP set with set_description(), sent to the
// SAP address at the interval, from the stream's source address. It owns
// one non-blocking UDP publication and no thread: the caller calls poll()
// at next_deadline() (or sooner), from one thread at a time. A send the
// socket refuses (buffer full, network unreachable) is counted in
// stats(), never waited for; the next one goes at the next interval.
// Move-only; the destructor sends nothing (call delete_session()).
class MCTX_API SapAnnouncer {
 public:
  using clock = std::chrono::steady_clock;

  // Validates (interval > 0, the SAP address's family is the stream's)
  // and opens the SAP publication: to address:port, on the stream's
  // interface, with its TTL / hop limit, loopback and source address.
  static Res<SapAnnouncer> open(const SapAnnouncerConfig& config);

  SapAnnouncer(SapAnnouncer&&) noexcept;
  SapAnnouncer& operator=(SapAnnouncer&&) noexcept;
  SapAnnouncer(const SapAnnouncer&) = delete;
  SapAnnouncer& operator=(const SapAnnouncer&) = delete;
  ~SapAnnouncer();

  // Sets the SDP to announce and builds its packet (Errors as
  // write_sap_packet; Errc::sap_invalid_packet also for a text that does
  // not start with "v=0" or has no o= line, which a deletion repeats). When it differs from the description announced
  // before, that one's deletion is sent first (RFC 2974 §6 says SHOULD),
  // and the new one is due at once (next poll()). The same text again
  // changes nothing.
  Res<void> set_description(std::string sdp);
  // Sends the announcement now (and the next one an interval later).
  // Errc::sap_no_description before set_description(); else the send's
  // outcome (also counted in stats()).
  Result<void, SendError> announce_now(clock::time_point now = clock::now());
  // Sends the announcement if it is due; returns the next deadline.
  clock::time_point poll(clock::time_point now = clock::now());
  // When the next announcement is due; time_point::max() when there is no
  // description (or after delete_session()).
  clock::time_point next_deadline() const noexcept;
  // Sends the deletion of the current description and stops announcing it
  // (until the next set_description()). Nothing is sent when nothing was
  // announced.
  Result<void, SendError> delete_session();

  const SapAnnouncerStats& stats() const noexcept;
  // The SAP publication (destination, interface, metrics).
  const Publication& publication() const noexcept;
  // The originating source written into the packets: the stream's source
  // address, else the address the SAP socket sends from.
  const IpAddress& origin() const noexcept;
  // The packet last built by set_description() (announcement), for logs
  // and tests; empty before.
  std::span<const std::byte> packet() const noexcept;

  struct State;  // implementation detail

 private:
  explicit SapAnnouncer(std::unique_ptr<State> s) noexcept;
  std::unique_ptr<State> s_;
};

}  // namespace mctx
