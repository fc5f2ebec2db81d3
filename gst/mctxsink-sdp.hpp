// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The stream's description of mctxsink (not installed): the SDP of the
// negotiated caps, written to the sdp-file and announced with SAP
// (mctxsink-sdp.cpp). The core builds the text (mctx::build_sdp) and sends
// the announcements (mctx::SapAnnouncer); this file translates caps into the
// core's SdpMedia with GStreamer's SDP library and runs the announcements'
// timer.
//
//   * start: Announcement::open() checks sdp-file (its directory must take
//     a new file), announce-address (multicast, the group's family) and
//     opens one SapAnnouncer per destination (announce=true): each on that
//     destination's interface, with its TTL and source, to the SAP address
//     of its group (or announce-address). Every announcer sends the same
//     text; a receiver on any path of an ST 2022-7 pair finds the session.
//   * caps: describe() builds the SDP (one m= per destination), writes the
//     file (a temporary file in the same directory renamed over it) and
//     announces it at once; the o= version goes up when the text changes.
//   * every announce-interval seconds: the announcement again, from a
//     GstClock single-shot id (StatsTimer), never on the streaming thread.
//   * EOS and stop: a SAP deletion.

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mctx/publication.hpp"
#include "mctx/result.hpp"
#include "mctx/sap.hpp"
#include "mctx/sdp.hpp"
#include "mctxsink-errors.hpp"
#include "mctxsink-metrics.hpp"
#include "mctxsink-settings.hpp"

namespace mctx::gst {

// The media section of `caps`: application/x-rtp (media, payload,
// rtpmap, fmtp... from gst_sdp_media_set_media_from_caps(), protocol
// RTP/AVP) or video/mpegts (sdp_media_mpegts_udp(): "udp 33"). The error
// says why the caps cannot be described.
mctx::Result<mctx::SdpMedia, std::string> sdp_media_from_caps(const GstCaps* caps);

// Writes `text` to `path` atomically: a temporary file in the same
// directory, then rename(). The error names the path and the failed step.
mctx::Result<void, std::string> write_file_atomically(const std::string& path,
                                                      const std::string& text);

class Announcement {
 public:
  // nullptr when neither sdp-file nor announce is set and nothing has to be
  // checked (the sdp property is still filled: see describe()). `pubs` are
  // the run's UDP publications, the primary one first, read only here. Errors name the
  // property (sdp-file, announce-address, announce in raw-mode). `tick` is
  // what the announcement timer calls while `owner` lives (the element's,
  // which finds this object under its lock and calls tick()).
  static mctx::Result<std::unique_ptr<Announcement>, StartError> open(
      const Settings& settings, const std::vector<const mctx::Publication*>& pubs,
      GObject* owner, std::function<void()> tick);

  Announcement(const Announcement&) = delete;
  Announcement& operator=(const Announcement&) = delete;
  ~Announcement();

  // New caps (streaming thread). Returns whether the text changed; the
  // error says what failed (caps not describable, file not written).
  mctx::Result<bool, std::string> describe(const GstCaps* caps);
  // Timer: the announcement again.
  void tick();
  // EOS and stop: the deletion, and no more announcements.
  void end();
  // A new stream or a flush after end(): the same description announced
  // again.
  void resume();

  // The current SDP text; empty before the first caps.
  std::string text() const;
  // Whether sdp-file or announce asks for the description (caps that
  // cannot be described are then an error, else only logged).
  bool needed() const;

 private:
  Announcement(const Settings& settings, const std::vector<const mctx::Publication*>& pubs,
               std::vector<mctx::SapAnnouncer> announcers, GObject* owner,
               std::function<void()> tick);
  // Sends the current description on every announcer and (re)starts the
  // timer. mutex_ held by `lk`, which it releases.
  mctx::Result<void, std::string> announce(std::unique_lock<std::mutex>& lk);

  const std::string file_;
  const std::string name_;
  const guint interval_s_;
  // The destinations and the o= address, taken at the start (a destination
  // removed while running may be gone by the next caps).
  std::vector<mctx::SdpDestination> destinations_;
  mctx::IpAddress origin_;
  GObject* const owner_;
  const std::function<void()> tick_;

  mutable std::mutex mutex_;
  std::vector<mctx::SapAnnouncer> announcers_;  // under mutex_
  std::optional<mctx::SdpSession> session_;     // under mutex_: the last described
  std::string text_;                            // under mutex_
  bool ended_ = false;                          // under mutex_: end() and no resume()
  const uint64_t session_id_;
  StatsTimer timer_;
};

}  // namespace mctx::gst
