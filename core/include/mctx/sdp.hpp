// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// SDP (RFC 8866) session descriptions of multicast publications: the parts
// that do not depend on the media format. The caller gives the media
// section's m= fields and attributes (from GStreamer caps, or
// sdp_media_mpegts_udp() for MPEG-TS over plain UDP); the builder writes the
// session level (v=, o=, s=, t=), and per destination the m= line with its
// port, the connection line (c=), the source filter (RFC 4570) and, for
// several destinations of one stream (SMPTE 2022-7), a=mid and a=group:DUP
// (RFC 7104). Lines end with CRLF.
//
// One destination:
//   v=0
//   o=- <session_id> <session_version> IN IP4 <origin>
//   s=<name>
//   c=IN IP4 <group>/<ttl>          (IPv6: c=IN IP6 <group>)
//   t=0 0
//   a=source-filter: incl IN IP4 <group> <source>   (when a source is set)
//   m=<media> <port> <protocol> <formats>
//   a=<attribute>...
// Several destinations: a=group:DUP <mids> at the session level; c=,
// a=source-filter and a=mid:<mid> in each media section.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/config.hpp"
#include "mctx/error.hpp"
#include "mctx/export.hpp"

namespace mctx {

class Publication;

// The format part of a media section: everything but the port, the
// connection and the source filter, which come from the destination.
struct MCTX_API SdpMedia {
  std::string media = "video";     // m= media type: video, audio, application, ...
  std::string protocol = "udp";    // "udp", "RTP/AVP", ...
  std::vector<std::string> formats;  // payload types / format names, at least one
  // Attribute lines without "a=": "rtpmap:96 H264/90000", "fmtp:96 ...".
  std::vector<std::string> attributes;

  friend bool operator==(const SdpMedia&, const SdpMedia&) = default;
};

// MPEG-TS over plain UDP: "m=video <port> udp 33" (33 = MP2T, RFC 3551).
// FFmpeg's SDP demuxer takes protocol "udp" (exactly, lower case) with
// format 33 as raw MPEG-TS; VLC's SAP discovery takes "udp" (any case) as
// MPEG-TS whatever the format. See docs/usage.md.
MCTX_API SdpMedia sdp_media_mpegts_udp();
// MPEG-TS over RTP: "m=video <port> RTP/AVP 33" with "a=rtpmap:33 MP2T/90000".
MCTX_API SdpMedia sdp_media_mpegts_rtp();

// One multicast destination of the stream.
struct MCTX_API SdpDestination {
  IpAddress group;
  uint16_t port = 0;
  int ttl = kDefaultTtl;  // IPv4: c=IN IP4 <group>/<ttl>; IPv6 has none
  // The stream's source address: a=source-filter (RFC 4570) when set.
  std::optional<IpAddress> source;
  // Identification tag (RFC 5888) for a=mid with several destinations;
  // empty: the destination's position, "1", "2", ...
  std::string mid;

  // From an open publication: its group, port and TTL; the source is the
  // configured source address, or for an SSM group (232/8, ff3x::/32) the
  // address the socket sends from (an SSM receiver needs it); else none.
  static SdpDestination from(const Publication& publication);

  friend bool operator==(const SdpDestination&, const SdpDestination&) = default;
};

struct MCTX_API SdpSession {
  // o= fields (RFC 8866 §5.2). session_id stays for the session's life;
  // session_version changes with every change of the description (see
  // next_sdp_version). sdp_ntp_seconds() gives the recommended NTP form.
  uint64_t session_id = 0;
  uint64_t session_version = 0;
  // o= address: the stream's source address, or the interface's address.
  IpAddress origin;
  std::string name;  // s=; "-" for a session without a meaningful name
  SdpMedia media;    // the same format on every destination
  std::vector<SdpDestination> destinations;  // at least one

  friend bool operator==(const SdpSession&, const SdpSession&) = default;
};

// The SDP text, CRLF line ends. Errc::sdp_invalid_field names the field and
// the rule (empty name, CR/LF or NUL in a value, a token with spaces, a TTL
// outside 0..255, a group that is not multicast, a source of another
// family, two destinations with the same mid, ...); Errc::sdp_no_destination
// when there is none.
MCTX_API Res<std::string> build_sdp(const SdpSession& session);

// Seconds since 1900-01-01 (NTP era 0), the form RFC 8866 recommends for
// session_id and session_version.
MCTX_API uint64_t sdp_ntp_seconds(std::chrono::system_clock::time_point t);

// The version for `next`, given the description announced before it:
// previous.session_version + 1 when anything other than the version
// differs, else previous.session_version.
MCTX_API uint64_t next_sdp_version(const SdpSession& previous, const SdpSession& next);

// The o= line of an SDP text, without its line end ("o=- 1 2 IN IP4 ...");
// empty if there is none. A SAP deletion carries it (RFC 2974 §6).
MCTX_API std::string_view sdp_origin_line(std::string_view sdp);

}  // namespace mctx
