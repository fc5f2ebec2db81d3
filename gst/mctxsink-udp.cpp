// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// UDP backend of mctxsink: one mctx::Publication.
//
// Socket ownership:
//  * Element-created socket: the Publication owns it and closes it. The
//    used-socket GSocket wraps a dup() of it, so that GSocket (which closes
//    its descriptor when finalized) can outlive the element's socket without
//    ever closing a descriptor number that is reused by then.
//  * Caller-provided GSocket: the Publication adopts it, which makes a dup()
//    of its descriptor and never connects it (each datagram names the
//    group), so the caller may close its GSocket or share it with other
//    sinks and a udpsrc. At stop the Publication closes its duplicate;
//    close-socket=TRUE then also closes the caller's GSocket with
//    g_socket_close() (other users' duplicates keep the kernel socket
//    open), close-socket=FALSE leaves it to the caller.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "mctxsink-backend.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

namespace mctx::gst {

namespace {

class UdpBackend final : public Backend {
 public:
  UdpBackend(mctx::Publication publication, GRef<GSocket> caller_socket, GRef<GSocket> used_socket)
      : pub_(std::move(publication)),
        caller_socket_(std::move(caller_socket)),
        used_socket_(std::move(used_socket)) {
    const mctx::GsoStatus gso = pub_.gso();
    const mctx::PacingStatus& pacing = pub_.pacing();
    GST_INFO("Segmentation offload (GSO) for buffer lists: %s%s%s; pacing: %s (max-rate %" G_GUINT64_FORMAT
             " bit/s, root qdisc %s)",
             mctx::gso_state_name(gso.state), gso.error != 0 ? ", " : "",
             gso.error != 0 ? g_strerror(gso.error) : "", pacing.mode(), guint64(pacing.rate),
             pacing.qdisc.empty() ? "unknown" : pacing.qdisc.c_str());
  }

  ~UdpBackend() override { shutdown(false); }

  const char* mode() const noexcept override { return "udp"; }

  const mctx::Publication* publication() const noexcept override { return &pub_; }

  std::optional<mctx::SendError> send(const iovec* iov, std::size_t count) noexcept override {
    auto r = pub_.send(iov, count);
    if (r) return std::nullopt;
    return r.error();
  }

  mctx::BatchReport send_batch(std::span<const mctx::OutMessage> messages) noexcept override {
    return pub_.send_batch(messages);
  }

  std::chrono::nanoseconds pace_delay() const noexcept override { return pub_.pace_delay(); }
  bool paced() const noexcept override { return pub_.pacing().sender; }

  int wait_fd() const noexcept override { return pub_.fd(); }

  void drain_errors() noexcept override { (void)pub_.drain_errors(); }

  // An unreachable network says why: the interface or the source address
  // is gone, or the interface is down.
  std::string describe_error(const mctx::SendError& e) const override {
    if (e.code == mctx::Errc::network_unreachable) {
      return pub_.outage_reason() + " (" + e.message() + ")";
    }
    return e.message();
  }

  mctx::SendCounters counters() const noexcept override { return pub_.metrics().load(); }

  void append_stats(GstStructure* s) const override {
    const mctx::Endpoint& local = pub_.local();
    const mctx::PacingStatus& pacing = pub_.pacing();
    gst_structure_set(s, "local-address", G_TYPE_STRING, local.address.to_string().c_str(),
                      "local-port", G_TYPE_UINT, static_cast<guint>(local.port),  //
                      "gso", G_TYPE_STRING, mctx::gso_state_name(pub_.gso().state),   //
                      "pacing", G_TYPE_STRING, pacing.mode(),                          //
                      "max-rate", G_TYPE_UINT64, guint64(pacing.rate), nullptr);
  }

  GSocket* used_socket() const override {
    return used_socket_ ? static_cast<GSocket*>(g_object_ref(used_socket_.get())) : nullptr;
  }

  std::string describe() const override { return pub_.destination().to_string(); }
  std::string describe_socket() const override { return pub_.describe(); }

  void shutdown(bool close_caller_socket) noexcept override {
    if (done_) return;
    done_ = true;
    used_socket_.reset();
    if (!caller_socket_) return;  // our own socket: ~Publication closes it
    // The publication's duplicate first, then (close-socket) the caller's.
    const mctx::ExtractedSocket ex = pub_.extract();
    if (ex.fd >= 0) ::close(ex.fd);
    if (close_caller_socket) {
      GError* err = nullptr;
      if (!g_socket_close(caller_socket_.get(), &err)) {
        GST_WARNING("Closing the caller-provided socket failed: %s",
                    err ? err->message : "unknown error");
        g_clear_error(&err);
      }
    }
    caller_socket_.reset();
  }

 private:
  mctx::Publication pub_;
  GRef<GSocket> caller_socket_;
  GRef<GSocket> used_socket_;
  bool done_ = false;
};

// A GSocket on a duplicate of fd (see the ownership note above).
GRef<GSocket> wrap_duplicate(int fd) {
  const int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) {
    GST_WARNING("used-socket unavailable: dup(%d) failed: %s", fd, g_strerror(errno));
    return {};
  }
  GError* err = nullptr;
  GSocket* s = g_socket_new_from_fd(dup_fd, &err);
  if (s == nullptr) {
    GST_WARNING("used-socket unavailable: g_socket_new_from_fd failed: %s",
                err ? err->message : "unknown error");
    g_clear_error(&err);
    ::close(dup_fd);
    return {};
  }
  return GRef<GSocket>::adopt(s);
}

}  // namespace

BackendResult make_udp_backend(const Settings& settings) {
  auto config = build_publication_config(settings);
  if (!config) return mctx::unexpected(std::move(config).error());

  if (settings.socket) {
    GSocket* gs = settings.socket.get();
    if (g_socket_is_closed(gs)) {
      StartError e;
      e.message = "socket: the caller-provided GSocket is already closed";
      e.debug = "g_socket_is_closed() returned TRUE";
      return mctx::unexpected(std::move(e));
    }
    const int fd = g_socket_get_fd(gs);
    auto pub = mctx::Publication::adopt(fd, *config);
    if (!pub) return mctx::unexpected(start_error_from(pub.error()));
    GST_INFO("Adopted caller-provided socket (fd %d, sending through duplicate %d, unconnected)",
             fd, pub->fd());
    return std::unique_ptr<Backend>(
        new UdpBackend(std::move(*pub), settings.socket, settings.socket));
  }

  auto pub = mctx::Publication::open(*config);
  if (!pub) return mctx::unexpected(start_error_from(pub.error()));
  GRef<GSocket> used = wrap_duplicate(pub->fd());
  return std::unique_ptr<Backend>(new UdpBackend(std::move(*pub), {}, std::move(used)));
}

}  // namespace mctx::gst
