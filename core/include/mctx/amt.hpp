// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// AMT (Automatic Multicast Tunneling, RFC 7450), gateway side, without
// sockets: the application owns the UDP socket and the clock, and feeds this
// code with received datagrams and the current time.
//
// * The message codec: parse_amt_message() / build_amt_message() for the
//   seven AMT message types (RFC 7450 §5.1).
// * IGMPv3 / MLDv2: the membership reports a gateway encapsulates in a
//   Membership Update (build_membership_report()), and the parser of the
//   general query a relay encapsulates in a Membership Query
//   (parse_membership_query()).
// * amt_decapsulate(): the per-datagram check of the receive path (Multicast
//   Data from the relay, a sane inner datagram of a subscribed group).
// * AmtGateway: the gateway state machine (discovery, request, query,
//   update, refresh, retries, relay loss, NAT rebinding, leave).
//
// Nothing here calls the OS, allocates per message on the receive path, or
// throws. See docs/usage.md, "AMT gateway".

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"

namespace mctx {

// ------------------------------------------------------------------- codec

inline constexpr uint16_t kAmtPort = 2268;  // IANA UDP port of AMT (RFC 7450 §7.2)

enum class AmtType : uint8_t {
  relay_discovery = 1,
  relay_advertisement = 2,
  request = 3,
  membership_query = 4,
  membership_update = 5,
  multicast_data = 6,
  teardown = 7,
};
MCTX_API const char* amt_type_name(AmtType t) noexcept;  // "Membership Query"

// Sizes on the wire.
inline constexpr std::size_t kAmtDiscoverySize = 8;        // type 1
inline constexpr std::size_t kAmtAdvertisementV4Size = 12;  // type 2, IPv4 relay
inline constexpr std::size_t kAmtAdvertisementV6Size = 24;  // type 2, IPv6 relay
inline constexpr std::size_t kAmtRequestSize = 8;           // type 3
inline constexpr std::size_t kAmtQueryHeaderSize = 12;      // type 4, before the query
inline constexpr std::size_t kAmtGatewayFieldsSize = 18;    // type 4 with G: port + address
inline constexpr std::size_t kAmtUpdateHeaderSize = 12;     // type 5, before the report
inline constexpr std::size_t kAmtDataHeaderSize = 2;        // type 6, before the datagram
inline constexpr std::size_t kAmtTeardownSize = 30;         // type 7
inline constexpr uint64_t kAmtMacMask = 0xffff'ffff'ffffULL;  // Response MAC: 48 bits

// Type 1: V=0 | Type | Reserved (24) | Discovery Nonce (32).
struct AmtRelayDiscovery {
  uint32_t nonce = 0;
  friend bool operator==(const AmtRelayDiscovery&, const AmtRelayDiscovery&) = default;
};
// Type 2: V=0 | Type | Reserved (24) | Discovery Nonce | Relay Address (4 or
// 16 bytes: the field's length tells the family).
struct AmtRelayAdvertisement {
  uint32_t nonce = 0;
  IpAddress relay;
  friend bool operator==(const AmtRelayAdvertisement&, const AmtRelayAdvertisement&) = default;
};
// Type 3: V=0 | Type | Reserved (7) | P | Reserved (16) | Request Nonce.
// P = 0 asks for an IGMPv3 general query (IPv4), P = 1 for MLDv2 (IPv6).
struct AmtRequest {
  uint32_t nonce = 0;
  bool mld = false;  // the P flag
  friend bool operator==(const AmtRequest&, const AmtRequest&) = default;
};
// Type 4: V=0 | Type | Reserved (6) | L | G | Response MAC (48) | Request
// Nonce | encapsulated general query (a complete IPv4/IGMPv3 or IPv6/MLDv2
// datagram) | with G: Gateway Port Number (16) | Gateway IP Address (128).
struct AmtMembershipQuery {
  bool limited = false;      // L: the relay accepts updates for one group only
  bool has_gateway = false;  // G: the gateway port/address fields follow the query
  uint64_t mac = 0;          // Response MAC, 48 bits
  uint32_t nonce = 0;        // the Request Nonce being answered
  std::span<const std::byte> query;  // the encapsulated IP datagram
  // With G: the gateway's port and address as the relay saw them (the NAT's
  // outside). The address field is 16 bytes; an IPv4 address is carried in
  // an IPv6 form (see amt_gateway_ip()), kept here exactly as received.
  uint16_t gateway_port = 0;
  IpAddress gateway_address = IpAddress::any(Family::ipv6);
};
// Type 5: V=0 | Type | Reserved (8) | Response MAC | Request Nonce |
// encapsulated report (a complete IPv4/IGMPv3 or IPv6/MLDv2 datagram).
struct AmtMembershipUpdate {
  uint64_t mac = 0;
  uint32_t nonce = 0;
  std::span<const std::byte> report;
};
// Type 6: V=0 | Type | Reserved (8) | the complete IP multicast datagram.
struct AmtMulticastData {
  std::span<const std::byte> datagram;
};
// Type 7: V=0 | Type | Reserved (8) | Response MAC | Request Nonce | Gateway
// Port Number | Gateway IP Address (16 bytes): the values of the session to
// tear down (the previous query's MAC, nonce and gateway fields).
struct AmtTeardown {
  uint64_t mac = 0;
  uint32_t nonce = 0;
  uint16_t gateway_port = 0;
  IpAddress gateway_address = IpAddress::any(Family::ipv6);
  friend bool operator==(const AmtTeardown&, const AmtTeardown&) = default;
};

using AmtMessage = std::variant<AmtRelayDiscovery, AmtRelayAdvertisement, AmtRequest,
                                AmtMembershipQuery, AmtMembershipUpdate, AmtMulticastData,
                                AmtTeardown>;
MCTX_API AmtType amt_message_type(const AmtMessage& m) noexcept;

// Why a message (or an encapsulated IGMP/MLD datagram) could not be parsed
// or built.
enum class AmtErrc : uint8_t {
  ok = 0,
  too_short,                // fewer bytes than the type's fixed part
  bad_version,              // AMT version not 0
  unknown_type,             // type 0 or 8..15
  bad_length,               // fixed-size message with extra bytes
  bad_relay_address_length,  // advertisement relay address neither 4 nor 16 bytes
  empty_datagram,           // Multicast Data / Update without an IP datagram
  // encapsulated IP datagram (query or report)
  inner_bad_version,        // IP version nibble neither 4 nor 6
  inner_bad_header_length,  // IPv4 IHL < 5 or beyond the bytes
  inner_bad_length,         // IPv4 total length / IPv6 payload length disagree with the bytes
  inner_bad_checksum,       // IPv4 header checksum wrong
  inner_bad_protocol,       // not IGMP (2) / not ICMPv6 (58) behind an optional Hop-by-Hop
  inner_bad_message,        // IGMP / ICMPv6 message too short or its source count overruns it
  inner_bad_type,           // IGMP type not 0x11 / ICMPv6 type not 130 (query)
  inner_bad_message_checksum,  // IGMP / MLD (pseudo-header) checksum wrong
  inner_not_v3,             // an IGMPv1/v2 or MLDv1 query (shorter than the v3 form)
  // building
  buffer_too_small,         // out is smaller than the message
  mac_too_large,            // Response MAC wider than 48 bits
  datagram_too_large,       // encapsulated datagram larger than 65535 bytes
  bad_record,               // report record: family mismatch, too many sources, bad address
};
MCTX_API const char* amt_errc_name(AmtErrc e) noexcept;  // "bad_version"

// A parse / build error. Plain data (no allocation); message() says which
// field holds which value and what was expected, e.g. "AMT version 3 (the
// first byte's high nibble): only version 0 is defined".
struct MCTX_API AmtError {
  AmtErrc code = AmtErrc::ok;
  uint8_t type = 0;         // the AMT message type concerned (0 if none)
  std::size_t offset = 0;   // byte offset of the offending field in the input
  uint32_t value = 0;       // the offending value
  uint32_t expected = 0;    // what the rule needed (a size, a version...)

  std::string message() const;  // allocates; call only when reporting
};

// Parses one AMT message (the UDP payload). Spans in the result point into
// `bytes`. Reserved bits are ignored on receipt (RFC 7450 §5.1: sent as 0,
// ignored on receipt). The encapsulated datagram of a Membership Query is
// delimited by its own IP length field, so the gateway fields that follow
// it (G flag) are found exactly; the query itself is parsed separately
// (parse_membership_query). Never allocates, never throws.
MCTX_API Result<AmtMessage, AmtError> parse_amt_message(std::span<const std::byte> bytes) noexcept;

// Size build_amt_message() writes for m.
MCTX_API std::size_t amt_message_size(const AmtMessage& m) noexcept;
// Writes m into out (reserved bits 0) and returns the size. The encapsulated
// datagram of a query, update or data message is copied behind the header
// (memmove: it may already be in place at out + header size). Errors:
// buffer_too_small, mac_too_large, datagram_too_large, empty_datagram,
// bad_relay_address_length (unused). Never allocates, never throws.
MCTX_API Result<std::size_t, AmtError> build_amt_message(const AmtMessage& m,
                                                         std::span<std::byte> out) noexcept;

// The Gateway IP Address field (16 bytes) as an address: an IPv4-mapped
// (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d, a.b.c.d not 0.0.0.x) form
// gives the IPv4 address, anything else stays IPv6.
MCTX_API IpAddress amt_gateway_ip(const IpAddress& field) noexcept;
// The 16-byte field for an address (IPv4 as IPv4-mapped).
MCTX_API IpAddress amt_gateway_field(const IpAddress& address) noexcept;

// --------------------------------------------------------- IGMPv3 / MLDv2

// One (S,G) or (*,G) subscription.
struct MCTX_API AmtGroup {
  IpAddress group;
  std::optional<IpAddress> source;  // (S,G) when set, (*,G) otherwise
  std::string to_string() const;    // "(192.0.2.1, 232.1.1.1)" / "(*, 239.1.1.1)"
  friend bool operator==(const AmtGroup&, const AmtGroup&) = default;
};

// IGMPv3 (RFC 3376 §4.2.12) / MLDv2 (RFC 3810 §5.2.12) group record types.
enum class RecordType : uint8_t {
  mode_is_include = 1,
  mode_is_exclude = 2,
  change_to_include = 3,  // TO_INCLUDE
  change_to_exclude = 4,  // TO_EXCLUDE
  allow_new_sources = 5,
  block_old_sources = 6,
};

struct MembershipRecord {
  RecordType type = RecordType::mode_is_include;
  IpAddress group;
  std::span<const IpAddress> sources;
};

// The usual records: a join answering a query (MODE_IS_INCLUDE {S} for
// (S,G), MODE_IS_EXCLUDE {} for (*,G)) and a leave (BLOCK_OLD_SOURCES {S} for
// (S,G), TO_INCLUDE {} for (*,G)). `source` must outlive the record.
MCTX_API MembershipRecord join_record(const AmtGroup& g) noexcept;
MCTX_API MembershipRecord leave_record(const AmtGroup& g) noexcept;

inline constexpr std::size_t kIgmpReportIpHeaderSize = 24;  // IPv4 + Router Alert
inline constexpr std::size_t kMldReportIpHeaderSize = 48;   // IPv6 + Hop-by-Hop (Router Alert)

// Size of the report datagram build_membership_report() writes.
MCTX_API std::size_t membership_report_size(Family family,
                                            std::span<const MembershipRecord> records) noexcept;
// Writes a complete report datagram:
//   IPv4: header with the Router Alert option (RFC 2113), TOS 0xc0, TTL 1,
//         protocol 2, destination 224.0.0.22, then an IGMPv3 Membership
//         Report (type 0x22) with its checksum.
//   IPv6: header with hop limit 1, destination ff02::16, a Hop-by-Hop header
//         with the Router Alert option (RFC 2711, value 0 = MLD) and PadN,
//         then an MLDv2 Report (ICMPv6 type 143) with its checksum over the
//         pseudo-header.
// `source` is the datagram's source address (same family). Every record's
// group and sources must be of `family`. Errors: bad_record,
// buffer_too_small, datagram_too_large.
MCTX_API Result<std::size_t, AmtError> build_membership_report(
    Family family, const IpAddress& source, std::span<const MembershipRecord> records,
    std::span<std::byte> out) noexcept;

// A general (or group-specific) query, parsed.
struct MembershipQueryInfo {
  Family family = Family::ipv4;  // IPv4 = IGMPv3, IPv6 = MLDv2
  IpAddress source;              // the IP source of the query
  IpAddress group;               // 0.0.0.0 / :: for a general query
  bool suppress = false;         // S flag
  uint8_t qrv = 0;               // Querier's Robustness Variable (0..7; 0 = not given)
  uint8_t qqic = 0;              // the QQIC byte as sent
  uint32_t query_interval_ms = 0;      // QQIC decoded (seconds * 1000); 0 = not given
  uint32_t max_response_ms = 0;        // Max Resp Code decoded
  uint16_t number_of_sources = 0;
};
// Decoders of the exponential codes. IGMPv3 QQIC / Max Resp Code and MLDv2
// QQIC (8 bits): below 128 the value itself, else (mant | 0x10) << (exp + 3)
// with exp = bits 4-6 and mant = bits 0-3. MLDv2 Maximum Response Code
// (16 bits): below 32768 the value itself, else (mant | 0x1000) << (exp + 3)
// with exp = bits 12-14 and mant = bits 0-11.
constexpr uint32_t decode_code8(uint8_t code) noexcept {
  if (code < 128) return code;
  return (static_cast<uint32_t>(code & 0x0f) | 0x10) << (((code >> 4) & 0x07) + 3);
}
constexpr uint32_t decode_code16(uint16_t code) noexcept {
  if (code < 32768) return code;
  return (static_cast<uint32_t>(code & 0x0fff) | 0x1000) << (((code >> 12) & 0x07) + 3);
}

// Parses an encapsulated IGMPv3 / MLDv2 query datagram: IP header (version,
// IHL, total length == size, IPv4 header checksum / IPv6 payload length;
// IPv6 with at most a Hop-by-Hop header before ICMPv6), the message's
// length, type and checksum. Never allocates, never throws.
MCTX_API Result<MembershipQueryInfo, AmtError> parse_membership_query(
    std::span<const std::byte> datagram) noexcept;

// ----------------------------------------------------------- decapsulation

// Why a received datagram is not delivered.
enum class AmtDropReason : uint8_t {
  not_from_relay,           // sender address/port is not the relay's
  malformed,                // not a parseable AMT message
  not_data,                 // an AMT message other than Multicast Data
  inner_too_short,          // inner datagram shorter than its IP header
  inner_bad_version,        // inner version neither 4 nor 6, or not the groups' family
  inner_bad_length,         // IHL, total length / payload length disagree with the bytes
  inner_bad_checksum,       // inner IPv4 header checksum
  inner_bad_address,        // inner source/destination/TTL refused by the raw datagram rules
  inner_fragment,           // IPv4 MF or fragment offset, IPv6 Fragment header
  not_subscribed,           // inner destination is not a subscribed group
  source_not_subscribed,    // SSM group, but the inner source is not the subscribed one
  udp_malformed,            // inner UDP header truncated or its length wrong
  udp_port_filtered,        // inner UDP destination port is not the configured one
  not_udp,                  // payload wanted, but the inner datagram is not UDP
};
inline constexpr std::size_t kAmtDropReasonCount = 14;
MCTX_API const char* amt_drop_reason_name(AmtDropReason r) noexcept;  // "inner_fragment"

// What the receive path accepts.
struct AmtDataFilter {
  Endpoint relay;                  // data only from this address and port
  std::span<const AmtGroup> groups;  // subscribed groups (all of one family)
  std::optional<uint16_t> udp_port;  // when set: only inner UDP to this port
  bool udp_only = false;             // when set: non-UDP inner datagrams are dropped (payload mode)
};

// An accepted inner datagram. Spans point into the received message.
struct AmtInnerDatagram {
  std::span<const std::byte> datagram;  // complete IP datagram (for raw re-emission)
  Family family = Family::ipv4;
  IpAddress source;
  IpAddress destination;
  uint8_t protocol = 0;  // transport protocol (after IPv6 extension headers)
  bool is_udp = false;
  uint16_t source_port = 0;       // UDP only
  uint16_t destination_port = 0;  // UDP only
  std::span<const std::byte> udp_payload;  // UDP only
};

// Checks one received datagram (`message` = the UDP payload from `from`):
// the sender is the relay, it is AMT Multicast Data, the inner IPv4/IPv6
// datagram is sane (validate_raw_datagram's rules: version, IHL, total
// length == bytes, header checksum, payload length, addresses, TTL), it is
// not a fragment, its destination is a subscribed group (and its source the
// subscribed one for an (S,G)), and, when UDP, its UDP header is sane and
// passes the port filter. Never allocates, never throws.
MCTX_API Result<AmtInnerDatagram, AmtDropReason> amt_decapsulate(
    const Endpoint& from, std::span<const std::byte> message, const AmtDataFilter& filter) noexcept;

// Receive-path counters: plain values the owner updates (no locking).
struct MCTX_API AmtDataCounters {
  uint64_t datagrams = 0;  // inner datagrams accepted
  uint64_t bytes = 0;      // their inner IP bytes
  std::array<uint64_t, kAmtDropReasonCount> drops{};

  uint64_t dropped(AmtDropReason r) const noexcept { return drops[static_cast<std::size_t>(r)]; }
  uint64_t dropped_total() const noexcept;
  void record(const Result<AmtInnerDatagram, AmtDropReason>& r) noexcept;
  friend bool operator==(const AmtDataCounters&, const AmtDataCounters&) = default;
};

// ----------------------------------------------------------------- gateway

enum class AmtGatewayState : uint8_t {
  idle,         // not started
  discovering,  // sending Relay Discovery, waiting for an Advertisement
  requesting,   // sending Request, waiting for a Membership Query
  joined,       // the update was sent; refreshes at the relay's query interval
  relay_lost,   // the relay stopped answering: rediscovering (or re-requesting a fixed relay)
  stopped,      // stop() was called
};
MCTX_API const char* amt_gateway_state_name(AmtGatewayState s) noexcept;  // "relay-lost"

struct MCTX_API AmtGatewayConfig {
  // Exactly one of the two. `discovery`: Relay Discovery is sent there and the
  // relay named by the Advertisement is used (on the same port). `relay`:
  // Requests go straight to it.
  std::optional<Endpoint> discovery;
  std::optional<Endpoint> relay;
  // The subscriptions: all IPv4 (IGMPv3, Request P=0) or all IPv6 (MLDv2,
  // P=1); one gateway tunnels one family. At least one, no duplicates.
  std::vector<AmtGroup> groups;
  // IP source of the encapsulated reports. Unset: 0.0.0.0 for IGMPv3
  // (RFC 3376 §4.2.13), fe80::1 for MLDv2 (a link-local source, RFC 3810
  // §5.2.13; the relay does not route it).
  std::optional<IpAddress> report_source;
  // The receive filter's UDP rules (AmtDataFilter): when set, only inner UDP
  // datagrams to this destination port are delivered; udp_only drops
  // non-UDP inner datagrams (an application that wants the UDP payload).
  std::optional<uint16_t> udp_port;
  bool udp_only = false;
  // stop() also sends a Teardown (when a query with the G flag gave the
  // gateway's address as the relay sees it).
  bool teardown_on_stop = false;
  // Nonces. Unset: a std::mt19937 seeded from std::random_device.
  std::function<uint32_t()> random;
  // Called on every state change (from inside on_datagram/on_timer/stop).
  std::function<void(AmtGatewayState from, AmtGatewayState to)> on_state_change;

  // Every rule, with a message naming the value (Errc::amt_invalid_config).
  Res<void> validate() const;
};

// Retries: a Relay Discovery or a Request unanswered is sent again after 1 s,
// then 2, 4, ... doubling up to 120 s (exponential backoff; RFC 7450 leaves
// the exact policy to the gateway). After kAmtRequestAttempts unanswered Requests (the
// timeouts 1+2+4+...+64+120 s = 247 s of silence), the relay is lost:
// state relay_lost, discovery starts again (or, with a fixed relay, Requests
// continue every 120 s at most) until a relay answers.
inline constexpr std::chrono::milliseconds kAmtInitialRetry{1000};
inline constexpr std::chrono::milliseconds kAmtMaxRetry{120000};
inline constexpr int kAmtRequestAttempts = 8;
// The refresh period when the query gives no interval (QQIC 0): RFC 3376 /
// RFC 3810 default Query Interval.
inline constexpr std::chrono::milliseconds kAmtDefaultQueryInterval{125000};

struct MCTX_API AmtGatewayCounters {
  uint64_t discoveries_sent = 0;
  uint64_t requests_sent = 0;
  uint64_t updates_sent = 0;
  uint64_t teardowns_sent = 0;
  uint64_t advertisements = 0;     // accepted
  uint64_t queries = 0;            // accepted
  uint64_t nonce_mismatches = 0;   // advertisement / query with a nonce not ours (ignored)
  uint64_t control_not_from_relay = 0;  // control message from another sender (ignored)
  uint64_t control_malformed = 0;  // unparseable control message or encapsulated query
  uint64_t control_unexpected = 0;  // well-formed but not for a gateway / not now
  uint64_t nat_changes = 0;        // G-flag gateway address/port changed
  uint64_t relay_losses = 0;
  uint64_t limited_relay = 0;      // queries with L set while more than one group is wanted
  AmtDataCounters data;            // Multicast Data
};

// What on_datagram() did with one datagram.
enum class AmtReceiveKind : uint8_t {
  data,     // Multicast Data accepted: see AmtReceive::data
  control,  // a control message was taken; poll_transmit() may have something
  ignored,  // control message ignored (counted in AmtGatewayCounters)
  dropped,  // data dropped: see AmtReceive::drop (counted)
};
struct AmtReceive {
  AmtReceiveKind kind = AmtReceiveKind::ignored;
  AmtDropReason drop = AmtDropReason::malformed;  // when dropped
  AmtInnerDatagram data;                          // when data
};

// A message to send: the bytes are in the buffer given to poll_transmit().
struct AmtTransmit {
  std::size_t size = 0;
  Endpoint to;
  AmtType type = AmtType::request;
};

// The gateway. Single-threaded: the application calls it from the thread
// that owns its socket. Time is always a parameter.
//
//   gw.start(now);
//   loop:
//     while (auto t = gw.poll_transmit(buf)) sendto(t->to, buf, t->size)
//     wait for the socket until gw.next_deadline()
//     readable: r = gw.on_datagram(from, bytes, now); r.kind == data -> use r.data
//     deadline: gw.on_timer(now)
//   gw.stop(now); flush poll_transmit()
class MCTX_API AmtGateway {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // The config must have passed validate() (create() checks it).
  static Res<AmtGateway> create(AmtGatewayConfig config);

  AmtGateway(AmtGateway&&) noexcept;
  AmtGateway& operator=(AmtGateway&&) noexcept;
  ~AmtGateway();

  // Queues the first Relay Discovery (or Request for a fixed relay).
  void start(TimePoint now);
  // One datagram received on the gateway's socket from `from`.
  AmtReceive on_datagram(const Endpoint& from, std::span<const std::byte> bytes, TimePoint now);
  // Call when now >= next_deadline(): retransmissions, refreshes, relay loss.
  void on_timer(TimePoint now);
  // When on_timer() wants to run next (nullopt: nothing scheduled).
  std::optional<TimePoint> next_deadline() const noexcept;
  // Leaves: queues a Membership Update with the leave records (when joined)
  // and, with teardown_on_stop, a Teardown. Idempotent.
  void stop(TimePoint now);

  // The next queued message, written into out; nullopt when nothing is
  // queued. Errors: buffer_too_small (out < max_transmit_size(); the
  // message stays queued).
  Result<std::optional<AmtTransmit>, AmtError> poll_transmit(std::span<std::byte> out) noexcept;
  // The largest message this gateway sends (the update with every group).
  std::size_t max_transmit_size() const noexcept;

  AmtGatewayState state() const noexcept;
  // The relay in use (after the Advertisement / the configured one).
  std::optional<Endpoint> relay() const noexcept;
  // The gateway's address/port as the relay last reported it (G flag).
  std::optional<Endpoint> public_endpoint() const noexcept;
  // The refresh period from the last query.
  std::chrono::milliseconds query_interval() const noexcept;
  bool relay_limited() const noexcept;  // the last query had the L flag
  const AmtGatewayCounters& counters() const noexcept;
  // The receive filter (relay + groups) for code that decapsulates itself.
  AmtDataFilter data_filter() const noexcept;

 private:
  struct Impl;
  explicit AmtGateway(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mctx
