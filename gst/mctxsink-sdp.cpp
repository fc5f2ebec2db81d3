// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// SDP and SAP of mctxsink: see mctxsink-sdp.hpp.

#include "mctxsink-sdp.hpp"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <gst/sdp/gstsdpmessage.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>

#include "mctxsink-gref.hpp"
#include "mctxsink-log.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

namespace mctx::gst {

static_assert(std::chrono::seconds(kDefaultAnnounceInterval) == mctx::kDefaultSapInterval);

namespace {

StartError settings_error(std::string message, std::string debug = {}) {
  return StartError{StartError::Kind::settings, std::move(message), std::move(debug)};
}

std::string errno_text(int e) { return g_strerror(e); }

// A file descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) (void)close(fd);
  }
};

// The directory of `path` takes a new file: one is created and removed.
mctx::Result<void, std::string> check_directory(const std::string& path) {
  gchar* dir = g_path_get_dirname(path.c_str());
  std::string tmpl = std::string(dir) + "/.mctx-sdp-XXXXXX";
  const std::string dirname = dir;
  g_free(dir);
  Fd f{g_mkstemp(tmpl.data())};
  if (f.fd < 0) {
    return mctx::unexpected("cannot create a file in directory '" + dirname +
                            "': " + errno_text(errno));
  }
  (void)g_unlink(tmpl.c_str());
  return {};
}

}  // namespace

mctx::Result<mctx::SdpMedia, std::string> sdp_media_from_caps(const GstCaps* caps) {
  if (caps == nullptr || gst_caps_get_size(caps) != 1 || !gst_caps_is_fixed(caps)) {
    return mctx::unexpected(std::string("the caps are not fixed"));
  }
  const GstStructure* st = gst_caps_get_structure(caps, 0);
  const char* name = gst_structure_get_name(st);
  if (g_strcmp0(name, "video/mpegts") == 0) return mctx::sdp_media_mpegts_udp();
  if (g_strcmp0(name, "application/x-rtp") != 0) {
    return mctx::unexpected("caps '" + std::string(name) +
                            "' have no SDP form: application/x-rtp (RTP) or video/mpegts "
                            "(MPEG-TS over UDP) can be described");
  }
  GstSDPMedia* m = nullptr;
  gst_sdp_media_new(&m);
  std::string why;
  mctx::SdpMedia media;
  if (gst_sdp_media_set_media_from_caps(caps, m) != GST_SDP_OK || m->media == nullptr ||
      gst_sdp_media_formats_len(m) == 0) {
    gchar* text = gst_caps_to_string(caps);
    why = std::string("RTP caps without media, payload, clock-rate or encoding-name: ") + text;
    g_free(text);
  } else {
    media.media = m->media;
    media.protocol = "RTP/AVP";
    for (guint i = 0; i < gst_sdp_media_formats_len(m); ++i) {
      media.formats.emplace_back(gst_sdp_media_get_format(m, i));
    }
    for (guint i = 0; i < gst_sdp_media_attributes_len(m); ++i) {
      const GstSDPAttribute* a = gst_sdp_media_get_attribute(m, i);
      std::string line = a->key;
      if (a->value != nullptr && a->value[0] != '\0') line += std::string(":") + a->value;
      media.attributes.push_back(std::move(line));
    }
  }
  gst_sdp_media_free(m);
  if (!why.empty()) return mctx::unexpected(std::move(why));
  return media;
}

mctx::Result<void, std::string> write_file_atomically(const std::string& path,
                                                      const std::string& text) {
  gchar* dir = g_path_get_dirname(path.c_str());
  std::string tmp = std::string(dir) + "/.mctx-sdp-XXXXXX";
  g_free(dir);
  Fd f{g_mkstemp_full(tmp.data(), O_WRONLY | O_CLOEXEC, 0644)};
  if (f.fd < 0) return mctx::unexpected("cannot create '" + tmp + "': " + errno_text(errno));
  auto failed = [&tmp](const char* step) {
    const int e = errno;
    (void)g_unlink(tmp.c_str());
    return mctx::unexpected(std::string(step) + " '" + tmp + "': " + errno_text(e));
  };
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(f.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed("cannot write");
    done += static_cast<std::size_t>(n);
  }
  const int fd = f.fd;
  f.fd = -1;
  if (close(fd) != 0) return failed("cannot close");
  if (g_rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    (void)g_unlink(tmp.c_str());
    return mctx::unexpected("cannot rename '" + tmp + "' to '" + path + "': " + errno_text(e));
  }
  return {};
}

// ---------------------------------------------------------------------------

mctx::Result<std::unique_ptr<Announcement>, StartError> Announcement::open(
    const Settings& s, const std::vector<const mctx::Publication*>& pubs, GObject* owner,
    std::function<void()> tick) {
  if (s.raw_mode || pubs.empty()) {
    const char* property = !s.sdp_file.empty() ? "sdp-file" : s.announce ? "announce" : nullptr;
    if (property != nullptr) {
      return mctx::unexpected(settings_error(
          std::string(property) +
              ": no SDP can be made in raw-mode (each datagram has its own destination); unset "
              "it or raw-mode",
          "raw-mode with sdp-file or announce"));
    }
    return std::unique_ptr<Announcement>();
  }
  if (s.session_name.empty() || s.session_name.find_first_of("\r\n") != std::string::npos) {
    return mctx::unexpected(settings_error(
        "session-name '" + s.session_name + "' must be non-empty and on one line (the SDP s= line)"));
  }
  if (!s.sdp_file.empty()) {
    auto ok = check_directory(s.sdp_file);
    if (!ok) {
      return mctx::unexpected(
          settings_error("sdp-file '" + s.sdp_file + "': " + ok.error() +
                         " (the file is written there as a temporary file and renamed)"));
    }
  }
  std::optional<mctx::IpAddress> address;
  if (!s.announce_address.empty()) {
    auto a = mctx::IpAddress::parse(s.announce_address);
    if (!a) {
      return mctx::unexpected(settings_error("announce-address '" + s.announce_address +
                                             "': " + a.error().message));
    }
    if (!a->is_multicast()) {
      return mctx::unexpected(settings_error(
          "announce-address '" + s.announce_address +
          "' is not a multicast address: SAP is sent to a multicast group (e.g. 239.255.255.255, "
          "224.2.127.254, ff0e::2:7ffe); empty = the SAP address of the group's scope"));
    }
    address = *a;
  }
  std::vector<mctx::SapAnnouncer> announcers;
  if (s.announce) {
    for (const mctx::Publication* pub : pubs) {
      mctx::SapAnnouncerConfig config{.stream = pub->config(),
                                      .address = address,
                                      .port = mctx::kSapPort,
                                      .interval = std::chrono::seconds(s.announce_interval_s)};
      const std::string where = pub->config().group().to_string();
      if (address && address->family() != pub->config().group().family()) {
        return mctx::unexpected(settings_error(
            "announce-address '" + s.announce_address + "' is not of the family of the group " +
            where + ": announcements go out with the stream (same interface and family)"));
      }
      auto a = mctx::SapAnnouncer::open(config);
      if (!a) {
        StartError e = start_error_from(a.error(), address ? "announce-address" : "announce");
        e.message = "announcing " + where + ": " + e.message;
        return mctx::unexpected(std::move(e));
      }
      GST_INFO("SAP announcements of %s to %s every %u s", where.c_str(),
               a->publication().destination().to_string().c_str(), s.announce_interval_s);
      announcers.push_back(std::move(*a));
    }
  }
  return std::unique_ptr<Announcement>(
      new Announcement(s, pubs, std::move(announcers), owner, std::move(tick)));
}

Announcement::Announcement(const Settings& s, const std::vector<const mctx::Publication*>& pubs,
                           std::vector<mctx::SapAnnouncer> announcers, GObject* owner,
                           std::function<void()> tick)
    : file_(s.sdp_file),
      name_(s.session_name),
      interval_s_(s.announce_interval_s),
      owner_(owner),
      tick_(std::move(tick)),
      announcers_(std::move(announcers)),
      session_id_(mctx::sdp_ntp_seconds(std::chrono::system_clock::now())) {
  timer_.set_interval(interval_s_ * 1000);
  for (const mctx::Publication* pub : pubs) destinations_.push_back(mctx::SdpDestination::from(*pub));
  // o=: the source address, else the address the socket sends from, else
  // the SAP socket's, else (not bound, no route chosen yet) the loopback
  // address of the family, which every receiver takes.
  const mctx::Publication& primary = *pubs.front();
  if (destinations_.front().source) {
    origin_ = *destinations_.front().source;
  } else {
    origin_ = primary.announce_tuple().source.with_scope_id(0);
  }
  if (origin_.is_unspecified() && !announcers_.empty()) origin_ = announcers_.front().origin();
  if (origin_.is_unspecified()) {
    const bool v4 = primary.config().group().family() == mctx::Family::ipv4;
    origin_ = mctx::IpAddress::parse(v4 ? "127.0.0.1" : "::1").value();
  }
}

Announcement::~Announcement() { timer_.stop(); }

bool Announcement::needed() const { return !file_.empty() || !announcers_.empty(); }

mctx::Result<bool, std::string> Announcement::describe(const GstCaps* caps) {
  auto media = sdp_media_from_caps(caps);
  if (!media) return mctx::unexpected(std::move(media.error()));

  mctx::SdpSession next;
  next.session_id = session_id_;
  next.name = name_;
  next.media = std::move(*media);
  next.destinations = destinations_;
  next.origin = origin_;

  std::unique_lock<std::mutex> lk(mutex_);
  next.session_version = session_ ? mctx::next_sdp_version(*session_, next) : session_id_;
  if (session_ && next.session_version == session_->session_version) {
    if (!ended_) return false;
    auto again = announce(lk);  // the same description after a new stream
    if (!again) return mctx::unexpected(std::move(again.error()));
    return false;
  }

  auto text = mctx::build_sdp(next);
  if (!text) return mctx::unexpected("SDP: " + text.error().message);
  if (!file_.empty()) {
    auto written = write_file_atomically(file_, *text);
    if (!written) return mctx::unexpected("sdp-file: " + written.error());
    GST_INFO("SDP written to %s (version %" G_GUINT64_FORMAT ")", file_.c_str(),
             next.session_version);
  }
  session_ = std::move(next);
  text_ = std::move(*text);
  auto announced = announce(lk);
  if (!announced) return mctx::unexpected(std::move(announced.error()));
  return true;
}

mctx::Result<void, std::string> Announcement::announce(std::unique_lock<std::mutex>& lk) {
  ended_ = false;
  for (mctx::SapAnnouncer& a : announcers_) {
    auto set = a.set_description(text_);
    if (!set) return mctx::unexpected("announce: " + set.error().message);
    auto sent = a.announce_now();
    if (!sent) {
      GST_WARNING("SAP announcement to %s not sent: %s",
                  a.publication().destination().to_string().c_str(), sent.error().message().c_str());
    }
  }
  const bool announcing = !announcers_.empty();
  lk.unlock();
  // The next announcement one interval after this one.
  if (announcing && !timer_.start(owner_, tick_)) {
    return mctx::unexpected(std::string("announce: cannot start the announcement timer"));
  }
  return {};
}

void Announcement::resume() {
  std::unique_lock<std::mutex> lk(mutex_);
  if (!ended_ || text_.empty()) return;
  auto r = announce(lk);
  if (!r) GST_WARNING("%s", r.error().c_str());
}

void Announcement::tick() {
  std::lock_guard<std::mutex> lk(mutex_);
  for (mctx::SapAnnouncer& a : announcers_) {
    if (a.next_deadline() == mctx::SapAnnouncer::clock::time_point::max()) continue;
    auto sent = a.announce_now();
    if (!sent) {
      GST_DEBUG("SAP announcement to %s not sent: %s",
                a.publication().destination().to_string().c_str(), sent.error().message().c_str());
    }
  }
}

void Announcement::end() {
  timer_.stop();
  std::lock_guard<std::mutex> lk(mutex_);
  ended_ = true;
  for (mctx::SapAnnouncer& a : announcers_) {
    if (a.next_deadline() == mctx::SapAnnouncer::clock::time_point::max()) continue;
    auto sent = a.delete_session();
    if (!sent) {
      GST_WARNING("SAP deletion to %s not sent: %s",
                  a.publication().destination().to_string().c_str(), sent.error().message().c_str());
    } else {
      GST_INFO("SAP deletion sent to %s", a.publication().destination().to_string().c_str());
    }
  }
}

std::string Announcement::text() const {
  std::lock_guard<std::mutex> lk(mutex_);
  return text_;
}

}  // namespace mctx::gst
