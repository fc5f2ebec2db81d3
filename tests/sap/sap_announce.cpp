// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-sap-announce: the sender side of the FFmpeg test (test_ffmpeg_sap.sh).
//   mctx-sap-announce GROUP PORT INTERFACE TS_FILE SECONDS SDP_OUT
// Opens a publication to GROUP:PORT on INTERFACE, describes it in SDP as
// MPEG-TS over UDP (written to SDP_OUT too), announces it with a
// SapAnnouncer (every 500 ms) and sends TS_FILE in datagrams of seven TS
// packets, over and over, for SECONDS or until SIGTERM/SIGINT; then sends
// the SAP deletion.
// Refuses to run outside a private namespace made by scripts/mctx-netns.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "mctx/mctx.hpp"
#include "support/netns_guard.hpp"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

template <class T>
T ok(mctx::Res<T> r, const char* what) {
  if (!r) {
    std::cerr << "mctx-sap-announce: " << what << ": " << r.error().what() << "\n";
    std::exit(1);
  }
  return std::move(*r);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: mctx-sap-announce GROUP PORT INTERFACE TS_FILE SECONDS SDP_OUT\n";
    return 2;
  }
  if (!mctx::test::require_private_netns({}, "mctx-sap-announce sends multicast")) {
    return mctx::test::kSkipExitCode;
  }
  using namespace std::chrono_literals;
  const auto group = ok(mctx::IpAddress::parse(argv[1]), "group");
  const auto port = static_cast<uint16_t>(std::atoi(argv[2]));
  mctx::PublicationConfig stream(group, port);
  stream.with_interface(mctx::InterfaceSpec::name(argv[3]));
  auto publication = ok(mctx::Publication::open(stream), "stream publication");

  std::ifstream in(argv[4], std::ios::binary);
  const std::vector<char> ts((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (ts.size() < 188) {
    std::cerr << "mctx-sap-announce: " << argv[4] << " holds no MPEG-TS packet\n";
    return 1;
  }

  mctx::SdpSession session;
  session.session_id = mctx::sdp_ntp_seconds(std::chrono::system_clock::now());
  session.session_version = session.session_id;
  session.origin = publication.announce_tuple().source;
  session.name = "mctx SAP test";
  session.media = mctx::sdp_media_mpegts_udp();
  session.destinations.push_back(mctx::SdpDestination::from(publication));
  const std::string sdp = ok(mctx::build_sdp(session), "SDP");
  std::ofstream(argv[6], std::ios::binary) << sdp;

  mctx::SapAnnouncerConfig sap;
  sap.stream = stream;
  sap.interval = 500ms;
  auto announcer = ok(mctx::SapAnnouncer::open(sap), "SAP announcer");
  if (auto r = announcer.set_description(sdp); !r) {
    std::cerr << "mctx-sap-announce: SAP description: " << r.error().what() << "\n";
    return 1;
  }

  // About 2 Mbit/s: a datagram of 1316 bytes every 5 ms.
  constexpr std::size_t kDatagram = 7 * 188;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(std::atoi(argv[5]));
  std::size_t offset = 0;
  uint64_t sent = 0;
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  while (g_stop == 0 && std::chrono::steady_clock::now() < end) {
    announcer.poll();
    const std::size_t n = std::min(kDatagram, ts.size() - offset);
    if (publication.send(std::as_bytes(std::span(ts.data() + offset, n)))) ++sent;
    offset = offset + n >= ts.size() ? 0 : offset + n;
    std::this_thread::sleep_for(5ms);
  }
  (void)announcer.delete_session();
  const auto& s = announcer.stats();
  std::cerr << "mctx-sap-announce: " << sent << " datagrams, " << s.announcements
            << " announcements, " << s.deletions << " deletion, " << s.send_failures
            << " refused sends\n";
  return 0;
}
