// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Internal glue of the mctxsink element (not installed).
//
// The element (gstmctxsink.cpp) is GObject/GStreamer plumbing only. Its send
// policy is in mctxsink-deliver.hpp, its metrics in mctxsink-metrics.hpp. What it
// needs beside that lives here:
//   * Settings: the property values, plain C++ (copied at start()).
//   * build_publication_config(): Settings -> mctx::PublicationConfig, with
//     the core's own error messages tagged with the property that caused them.
//   * parse_uri() / build_uri(): the mctx:// URI scheme.
//   * Backend: what render() sends through. UdpBackend (mctxsink-udp.cpp)
//     wraps one mctx::Publication; RawBackend (mctxsink-raw.cpp) one raw
//     publication per IP family, made by make_raw_backend().

#include <gio/gio.h>
#include <gst/gst.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mctx/config.hpp"
#include "mctx/error.hpp"
#include "mctx/metrics.hpp"
#include "mctx/publication.hpp"
#include "mctxsink-deliver.hpp"
#include "mctxsink-errors.hpp"

GST_DEBUG_CATEGORY_EXTERN(gst_mctx_sink_debug);

namespace mctx::gst {

// ---------------------------------------------------------------------------
// A strong reference to a GObject (g_object_ref / g_object_unref).
template <class T>
class GRef {
 public:
  GRef() noexcept = default;
  // Takes over a reference the caller owns.
  static GRef adopt(T* p) noexcept { GRef r; r.p_ = p; return r; }
  // Adds a reference.
  static GRef ref(T* p) noexcept {
    GRef r;
    r.p_ = p ? static_cast<T*>(g_object_ref(p)) : nullptr;
    return r;
  }
  GRef(const GRef& o) noexcept : p_(o.p_ ? static_cast<T*>(g_object_ref(o.p_)) : nullptr) {}
  GRef(GRef&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  GRef& operator=(GRef o) noexcept { std::swap(p_, o.p_); return *this; }
  ~GRef() { if (p_) g_object_unref(p_); }

  T* get() const noexcept { return p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  void reset() noexcept { GRef().swap(*this); }
  void swap(GRef& o) noexcept { std::swap(p_, o.p_); }

 private:
  T* p_ = nullptr;
};

// ---------------------------------------------------------------------------
// libmctx-core's log lines (mctxsink-log.cpp)

// Installs the core's log handler that writes into the mctxsink debug
// category, unless the application installed its own. Called when the
// plugin loads, after the category exists.
void route_core_log() noexcept;
// Sets the core's threshold from the category's (at start()).
void sync_core_log_threshold() noexcept;

// ---------------------------------------------------------------------------
// Property values and their defaults (the DEFAULT_* of the element).

inline constexpr guint kDefaultPort = 5004;
inline constexpr guint kDefaultSourcePort = 0;   // 0 = ephemeral
inline constexpr guint kDefaultTtl = 1;
inline constexpr bool kDefaultLoop = true;
inline constexpr gint kDefaultDscp = -1;         // -1 = leave alone
inline constexpr gint kDefaultBufferSize = 0;    // 0 = system default
inline constexpr bool kDefaultRawMode = false;
inline constexpr bool kDefaultCloseSocket = true;
inline constexpr guint kDefaultStatsInterval = 1000;  // ms; 0 = final only
inline constexpr mctx::Gso kDefaultGso = mctx::kDefaultGso;  // auto
inline constexpr guint64 kDefaultMaxRate = 0;              // bits/s; 0 = unpaced
inline constexpr QueueFull kDefaultQueueFull = QueueFull::wait;
inline constexpr guint kDefaultMaxOutage = 0;         // ms; 0 = wait forever

static_assert(kDefaultTtl == static_cast<guint>(mctx::kDefaultTtl));
static_assert(kDefaultLoop == mctx::kDefaultLoopback);

struct Settings {
  std::string group;           // "" = not set
  guint port = kDefaultPort;
  std::string source_address;  // "" = not set
  guint source_port = kDefaultSourcePort;
  std::string interface;       // "" = not set
  guint ttl = kDefaultTtl;
  bool loop = kDefaultLoop;
  gint dscp = kDefaultDscp;
  gint buffer_size = kDefaultBufferSize;
  bool raw_mode = kDefaultRawMode;
  GRef<GSocket> socket;        // caller-provided socket, or none
  bool close_socket = kDefaultCloseSocket;
  guint stats_interval_ms = kDefaultStatsInterval;
  mctx::Gso gso = kDefaultGso;
  guint64 max_rate = kDefaultMaxRate;
  QueueFull queue_full = kDefaultQueueFull;
  guint max_outage_ms = kDefaultMaxOutage;
  // The destinations property is a Destinations (mctxsink-destination-list.hpp).
};

// Settings -> PublicationConfig (does not validate(): Publication::open /
// adopt do that, and their errors go through start_error_from()).
mctx::Result<mctx::PublicationConfig, StartError> build_publication_config(const Settings& s);

// ---------------------------------------------------------------------------
// URI handler: mctx://GROUP[:PORT][?key=value&...]

// Parses uri into `out` (start from default Settings: keys not in the URI get
// their default). Returns false with a GST_URI_ERROR naming the part, key
// and value at fault.
bool parse_uri(const char* uri, Settings& out, GError** error);
// The URI that describes s (non-default values only); "" when no group is set.
std::string build_uri(const Settings& s);
// The properties a URI sets (parse_uri() fills these, set_uri copies them).
void copy_uri_fields(const Settings& from, Settings& to);

// ---------------------------------------------------------------------------
// Backend: where render() sends. All send functions are noexcept, never
// allocate and are called from the streaming thread only; counters() and
// append_stats() may run on any thread at the same time.

class Backend {
 public:
  virtual ~Backend() = default;

  // "udp" or "raw": the `mode` field of mctx-metrics.
  virtual const char* mode() const noexcept = 0;

  // One datagram gathered from iov (no copy). nullopt on success.
  virtual std::optional<mctx::SendError> send(const iovec* iov, std::size_t count) noexcept = 0;

  // Many datagrams; same contract as mctx::Publication::send_batch(): the
  // first `sent` went out, `error` says why the next one did not.
  virtual mctx::BatchReport send_batch(std::span<const mctx::OutMessage> messages) noexcept = 0;

  // How long to wait before the next datagram may go (a paced publication,
  // max-rate); 0 = now.
  virtual std::chrono::nanoseconds pace_delay() const noexcept { return {}; }

  // The descriptor to poll for writability after a would-block error.
  virtual int wait_fd() const noexcept = 0;

  // Cumulative counters of everything this backend sent.
  virtual mctx::SendCounters counters() const noexcept = 0;

  // Backend-specific fields of the mctx-metrics structure (UDP: the local
  // address and port; raw: invalid-datagrams).
  virtual void append_stats(GstStructure* s) const = 0;

  // The socket in use as a GSocket (a new reference), or nullptr.
  virtual GSocket* used_socket() const = 0;

  // Where packets go, for messages: "239.1.2.3:5004".
  virtual std::string describe() const = 0;

  // What the socket has now, for the start log (UDP: the core's
  // Publication::describe(): bound address and port, interface name and
  // index, effective send buffer, TTL, loopback, DSCP).
  virtual std::string describe_socket() const { return describe(); }

  // The sentence for a send error this backend returned (streaming thread,
  // only when a warning is posted). A raw backend can give the validator's
  // detail ("IPv4 total length 60 does not match the datagram size 48").
  virtual std::string describe_error(const mctx::SendError& e) const { return e.message(); }

  // Reads and discards the socket error queue(s) after poll() reported
  // POLLERR (the sockets report errors with IP_RECVERR / IPV6_RECVERR).
  virtual void drain_errors() noexcept {}

  // A warning the element posts once after a successful start ("" = none),
  // e.g. raw mode naming the properties it ignores.
  virtual std::string start_warning() const { return {}; }

  // Called once at stop(), before destruction. close_caller_socket is the
  // close-socket property at that moment.
  virtual void shutdown(bool close_caller_socket) noexcept = 0;
};

using BackendResult = mctx::Result<std::unique_ptr<Backend>, StartError>;

// UDP mode: opens a publication, or adopts settings.socket.
BackendResult make_udp_backend(const Settings& settings);

// Raw mode (raw-mode=TRUE): raw IPv4/IPv6 publications opened per family on
// first use. See mctxsink-raw.cpp.
BackendResult make_raw_backend(const Settings& settings);

}  // namespace mctx::gst
