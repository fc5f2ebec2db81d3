// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "mctx/sdp.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "mctx/publication.hpp"

namespace mctx {

namespace {

Unexpected<Error> invalid(std::string message) {
  return unexpected(make_error(Errc::sdp_invalid_field, std::move(message)));
}

// RFC 8866 §9: text fields may hold any byte but NUL, CR and LF.
bool is_text(std::string_view s) {
  return s.find_first_of(std::string_view("\0\r\n", 3)) == std::string_view::npos;
}

// A token (RFC 8866 §9 "token"): visible ASCII without the separators SDP
// lines use; no space.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '"' && c != '(' && c != ')' && c != ',' && c != ':' &&
           c != ';' && c != '<' && c != '=' && c != '>' && c != '?' && c != '@' && c != '[' &&
           c != ']' && c != '\\' && c != '{' && c != '}';
  });
}

// The protocol field: tokens separated by "/" (RTP/AVP, UDP/TLS/RTP/SAVPF).
bool is_proto(std::string_view s) {
  if (s.empty() || s.front() == '/' || s.back() == '/') return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t slash = s.find('/', start);
    const std::string_view part =
        s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!is_token(part)) return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

const char* addrtype(const IpAddress& a) { return a.is_v4() ? "IP4" : "IP6"; }

// The address as SDP writes it: no scope ID (RFC 8866 has no syntax for it).
std::string sdp_address(const IpAddress& a) { return a.with_scope_id(0).to_string(); }

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

Res<void> check_media(const SdpMedia& m) {
  if (!is_token(m.media)) {
    return invalid("SDP media type " + quoted(m.media) +
                   " is not a token (RFC 8866 §5.14: e.g. video, audio, application)");
  }
  if (!is_proto(m.protocol)) {
    return invalid("SDP media protocol " + quoted(m.protocol) +
                   " is not a protocol (RFC 8866 §5.14: tokens joined by '/', e.g. udp, RTP/AVP)");
  }
  if (m.formats.empty()) {
    return invalid("SDP media " + m.media + " has no format (RFC 8866 §5.14 needs at least one)");
  }
  for (const std::string& f : m.formats) {
    if (!is_token(f)) {
      return invalid("SDP media format " + quoted(f) + " is not a token (RFC 8866 §5.14)");
    }
  }
  for (const std::string& a : m.attributes) {
    if (a.empty() || !is_text(a) || a.starts_with("a=")) {
      return invalid("SDP media attribute " + quoted(a) +
                     " must be non-empty, without CR, LF or NUL, and without the leading 'a='");
    }
    if (a.starts_with("mid:") || a.starts_with("source-filter:")) {
      return invalid("SDP media attribute " + quoted(a) +
                     " is written by the builder from the destination; leave it out");
    }
  }
  return {};
}

Res<void> check_destination(const SdpDestination& d, std::size_t index) {
  const std::string which = "SDP destination " + std::to_string(index + 1);
  if (!d.group.is_multicast()) {
    return invalid(which + ": group " + quoted(d.group.to_string()) + " is not a multicast address");
  }
  if (d.port == 0) return invalid(which + ": port 0 (the m= line needs the destination port)");
  if (d.ttl < 0 || d.ttl > 255) {
    return invalid(which + ": TTL " + std::to_string(d.ttl) + " is outside 0..255");
  }
  if (d.source) {
    if (d.source->family() != d.group.family()) {
      return invalid(which + ": source " + quoted(d.source->to_string()) + " is " +
                     family_name(d.source->family()) + " but group " + quoted(d.group.to_string()) +
                     " is " + family_name(d.group.family()) + " (RFC 4570 filters one family)");
    }
    if (d.source->is_unspecified() || d.source->is_multicast()) {
      return invalid(which + ": source " + quoted(d.source->to_string()) +
                     " is not a unicast address (RFC 4570 source-filter)");
    }
  }
  if (!d.mid.empty() && !is_token(d.mid)) {
    return invalid(which + ": mid " + quoted(d.mid) + " is not a token (RFC 5888 identification-tag)");
  }
  return {};
}

void append_line(std::string& out, std::string_view line) {
  out += line;
  out += "\r\n";
}

// c= (RFC 8866 §5.7): IPv4 multicast carries the TTL, IPv6 none.
void append_connection(std::string& out, const SdpDestination& d) {
  std::string line = "c=IN ";
  line += addrtype(d.group);
  line += ' ';
  line += sdp_address(d.group);
  if (d.group.is_v4()) line += "/" + std::to_string(d.ttl);
  append_line(out, line);
}

// RFC 4570 §3: a=source-filter: <mode> <nettype> <addrtype> <dest> <src>.
void append_source_filter(std::string& out, const SdpDestination& d) {
  if (!d.source) return;
  append_line(out, std::string("a=source-filter: incl IN ") + addrtype(d.group) + " " +
                       sdp_address(d.group) + " " + sdp_address(*d.source));
}

void append_media_line(std::string& out, const SdpMedia& m, uint16_t port) {
  std::string line = "m=" + m.media + " " + std::to_string(port) + " " + m.protocol;
  for (const std::string& f : m.formats) line += " " + f;
  append_line(out, line);
}

std::string mid_of(const SdpDestination& d, std::size_t index) {
  return d.mid.empty() ? std::to_string(index + 1) : d.mid;
}

}  // namespace

SdpMedia sdp_media_mpegts_udp() { return SdpMedia{"video", "udp", {"33"}, {}}; }

SdpMedia sdp_media_mpegts_rtp() {
  return SdpMedia{"video", "RTP/AVP", {"33"}, {"rtpmap:33 MP2T/90000"}};
}

SdpDestination SdpDestination::from(const Publication& publication) {
  const PublicationConfig& c = publication.config();
  SdpDestination d;
  d.group = c.group().with_scope_id(0);
  d.port = c.port();
  d.ttl = c.ttl();
  if (c.source_address()) {
    d.source = c.source_address()->with_scope_id(0);
  } else if (c.group().is_ssm()) {
    const IpAddress local = publication.announce_tuple().source;
    if (!local.is_unspecified()) d.source = local.with_scope_id(0);
  }
  return d;
}

Res<std::string> build_sdp(const SdpSession& s) {
  if (s.destinations.empty()) {
    return unexpected(make_error(Errc::sdp_no_destination,
                                 "SDP session '" + s.name + "' has no destination (needs at least one)"));
  }
  if (s.name.empty() || !is_text(s.name)) {
    return invalid("SDP session name " + quoted(s.name) +
                   " must be non-empty and without CR, LF or NUL (RFC 8866 §5.3: '-' for none)");
  }
  if (s.origin.is_unspecified() || s.origin.is_multicast()) {
    return invalid("SDP origin address " + quoted(s.origin.to_string()) +
                   " is not a unicast address (RFC 8866 §5.2: the stream's source or the "
                   "interface's address)");
  }
  if (auto r = check_media(s.media); !r) return unexpected(std::move(r).error());
  for (std::size_t i = 0; i < s.destinations.size(); ++i) {
    if (auto r = check_destination(s.destinations[i], i); !r) {
      return unexpected(std::move(r).error());
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (mid_of(s.destinations[j], j) == mid_of(s.destinations[i], i)) {
        return invalid("SDP destinations " + std::to_string(j + 1) + " and " +
                       std::to_string(i + 1) + " have the same mid '" +
                       mid_of(s.destinations[i], i) + "' (RFC 5888: unique per session)");
      }
    }
  }

  std::string out;
  out.reserve(256 + 160 * s.destinations.size());
  append_line(out, "v=0");
  append_line(out, "o=- " + std::to_string(s.session_id) + " " +
                       std::to_string(s.session_version) + " IN " + addrtype(s.origin) + " " +
                       sdp_address(s.origin));
  append_line(out, "s=" + s.name);
  const bool single = s.destinations.size() == 1;
  if (single) append_connection(out, s.destinations.front());
  append_line(out, "t=0 0");
  if (single) {
    append_source_filter(out, s.destinations.front());
    append_media_line(out, s.media, s.destinations.front().port);
    for (const std::string& a : s.media.attributes) append_line(out, "a=" + a);
    return out;
  }
  // RFC 7104: the destinations carry the same stream.
  std::string group = "a=group:DUP";
  for (std::size_t i = 0; i < s.destinations.size(); ++i) group += " " + mid_of(s.destinations[i], i);
  append_line(out, group);
  for (std::size_t i = 0; i < s.destinations.size(); ++i) {
    const SdpDestination& d = s.destinations[i];
    append_media_line(out, s.media, d.port);
    append_connection(out, d);
    append_source_filter(out, d);
    for (const std::string& a : s.media.attributes) append_line(out, "a=" + a);
    append_line(out, "a=mid:" + mid_of(d, i));
  }
  return out;
}

uint64_t sdp_ntp_seconds(std::chrono::system_clock::time_point t) {
  // 70 years (17 of them leap) between 1900-01-01 and 1970-01-01.
  constexpr uint64_t kNtpUnixOffset = 2208988800ULL;
  const auto unix_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return kNtpUnixOffset + static_cast<uint64_t>(std::max<int64_t>(unix_seconds, 0));
}

uint64_t next_sdp_version(const SdpSession& previous, const SdpSession& next) {
  SdpSession same_version = next;
  same_version.session_version = previous.session_version;
  return same_version == previous ? previous.session_version : previous.session_version + 1;
}

std::string_view sdp_origin_line(std::string_view sdp) {
  std::size_t pos = 0;
  while (pos < sdp.size()) {
    std::size_t end = sdp.find('\n', pos);
    if (end == std::string_view::npos) end = sdp.size();
    std::string_view line = sdp.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("o=")) return line;
    pos = end + 1;
  }
  return {};
}

}  // namespace mctx
