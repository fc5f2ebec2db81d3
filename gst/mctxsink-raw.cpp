// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw backend of mctxsink (raw-mode=TRUE): each buffer is one complete IPv4
// or IPv6 datagram, sent unchanged through the core's raw publications.
// What users see: docs/element.md, "Raw mode"; how it fits: docs/design.md.
//
// * One path per family. Its RawPublicationConfig is validated at start
//   (no socket); its RawPublication is opened on the first datagram of that
//   family, on the streaming thread, and published to other threads
//   (counters()) through an atomic pointer.
// * An `interface` given as an address is an address for its own family and
//   the index of the interface that holds it for the other. `loop` goes to
//   IPv4 only, `buffer-size` to both.
// * Start fails when the IPv4 path cannot be configured or CAP_NET_RAW is
//   missing. An IPv6 path that cannot be configured fails each IPv6
//   datagram instead (a stream may be IPv4 only).
// * send() / send_batch(): validate_raw_datagram() (at most 60 header bytes
//   gathered on the stack) picks the family; runs of one family go to its
//   RawPublication::send_batch(). An invalid datagram is counted and
//   returned with its raw_* code; its details are kept for describe_error().
// * wait_fd() is the descriptor of the family whose send blocked last.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mctx/interface.hpp"
#include "mctx/raw.hpp"
#include "mctxsink-backend.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

namespace mctx::gst {

namespace {

using mctx::Errc;
using mctx::Family;

constexpr std::size_t slot_of(Family f) noexcept { return f == Family::ipv4 ? 0 : 1; }

// One family's way out.
struct FamilyPath {
  Family family = Family::ipv4;
  mctx::RawPublicationConfig config;
  // Why this family cannot be sent: its configuration failed at start, or
  // opening the publication failed at first use. Its datagrams are then
  // dropped with this error until the element restarts.
  std::optional<mctx::Error> unavailable;
  std::string unavailable_text;  // the sentence for warnings, built once
  // Opened on the first datagram of the family (streaming thread).
  std::unique_ptr<mctx::RawPublication> pub;
  // pub, for other threads (counters(), append_stats()).
  std::atomic<const mctx::RawPublication*> ready{nullptr};
};

// What send() saw last, for describe_error() (streaming thread only; plain
// data, no allocation).
struct LastError {
  enum class Kind { none, invalid, unavailable, kernel };
  Kind kind = Kind::none;
  mctx::RawDatagramError datagram;  // invalid
  Family family = Family::ipv4;     // unavailable, kernel
  mctx::IpAddress source;           // unavailable, kernel
  mctx::IpAddress destination;      // unavailable, kernel
};

std::string q(const std::string& s) { return "'" + s + "'"; }

class RawBackend final : public Backend {
 public:
  RawBackend(mctx::RawPublicationConfig v4, mctx::RawPublicationConfig v6,
             std::optional<mctx::Error> v6_unavailable, std::string v6_text,
             std::string interface_text, std::string warning)
      : interface_text_(std::move(interface_text)), start_warning_(std::move(warning)) {
    paths_[0].family = Family::ipv4;
    paths_[0].config = std::move(v4);
    paths_[1].family = Family::ipv6;
    paths_[1].config = std::move(v6);
    paths_[1].unavailable = std::move(v6_unavailable);
    paths_[1].unavailable_text = std::move(v6_text);
  }

  ~RawBackend() override { shutdown(false); }

  const char* mode() const noexcept override { return "raw"; }

  std::optional<mctx::SendError> send(const iovec* iov, std::size_t count) noexcept override {
    auto info = mctx::validate_raw_datagram(iov, count);
    if (!info) {
      invalid_.fetch_add(1, std::memory_order_relaxed);
      last_.kind = LastError::Kind::invalid;
      last_.datagram = info.error();
      return mctx::SendError{info.error().code, 0};
    }
    FamilyPath& path = paths_[slot_of(info->family)];
    mctx::RawPublication* pub = open_on_first_use(path);
    if (pub == nullptr) {
      remember(LastError::Kind::unavailable, *info);
      if (path.unavailable) {
        return mctx::SendError{path.unavailable->code, path.unavailable->system_errno};
      }
      return mctx::SendError{Errc::socket_create_failed, 0};  // out of memory while opening
    }
    auto r = pub->send(iov, count);
    if (r) return std::nullopt;
    const mctx::RawSendError& e = r.error();
    if (e.invalid_datagram()) {  // not expected: the datagram was validated above
      invalid_.fetch_add(1, std::memory_order_relaxed);
      last_.kind = LastError::Kind::invalid;
      last_.datagram = e.datagram;
      return mctx::SendError{e.code, 0};
    }
    if (e.would_block()) blocked_fd_ = pub->fd();
    remember(LastError::Kind::kernel, *info);
    return e.send_error();
  }

  // Consecutive datagrams of one family (by their version nibble) go to
  // that family's RawPublication::send_batch() as one batch (sendmmsg); a
  // family switch starts a new batch. A datagram whose version is neither 4
  // nor 6, or whose family cannot be sent, goes through send(), which
  // reports it. Stops at the first datagram that fails (the element resumes
  // after it, or waits on wait_fd() for would-block).
  mctx::BatchReport send_batch(std::span<const mctx::OutMessage> messages) noexcept override {
    mctx::BatchReport report;
    std::size_t i = 0;
    while (i < messages.size()) {
      const std::optional<Family> fam = version_family(messages[i]);
      mctx::RawPublication* pub = fam ? open_on_first_use(paths_[slot_of(*fam)]) : nullptr;
      if (pub == nullptr) {
        const mctx::OutMessage& m = messages[i];
        if (auto err = send(m.iov, m.iov_count)) {
          report.error = *err;
          return report;
        }
        report.sent++;
        for (std::size_t k = 0; k < m.iov_count; ++k) report.bytes_sent += m.iov[k].iov_len;
        ++i;
        continue;
      }
      std::size_t end = i + 1;
      while (end < messages.size() && version_family(messages[end]) == fam) ++end;
      mctx::RawDatagramError bad;
      const mctx::BatchReport r = pub->send_batch(messages.subspan(i, end - i), &bad);
      report.sent += r.sent;
      report.bytes_sent += r.bytes_sent;
      if (r.error) {
        report.error = r.error;
        if (mctx::is_raw_datagram_error(r.error->code)) {
          invalid_.fetch_add(1, std::memory_order_relaxed);
          last_.kind = LastError::Kind::invalid;
          last_.datagram = bad;
        } else {
          if (r.error->would_block()) blocked_fd_ = pub->fd();
          const mctx::OutMessage& m = messages[i + r.sent];
          if (auto info = mctx::validate_raw_datagram(m.iov, m.iov_count)) {
            remember(LastError::Kind::kernel, *info);
          } else {
            last_.kind = LastError::Kind::none;
          }
        }
        return report;
      }
      i = end;
    }
    return report;
  }

  int wait_fd() const noexcept override { return blocked_fd_; }

  mctx::SendCounters counters() const noexcept override {
    mctx::SendCounters total;
    for (const FamilyPath& p : paths_) {
      total += family_counters(p);
    }
    return total;
  }

  void append_stats(GstStructure* s) const override {
    // Destinations come from each datagram: the group/port properties are
    // not used in raw mode.
    gst_structure_set(s,                                                                     //
                      "group", G_TYPE_STRING, "",                                            //
                      "port", G_TYPE_UINT, 0u,                                               //
                      "invalid-datagrams", G_TYPE_UINT64,
                      guint64(invalid_.load(std::memory_order_relaxed)),                     //
                      "ipv4-packets-sent", G_TYPE_UINT64,
                      guint64(family_counters(paths_[0]).packets_sent),                      //
                      "ipv6-packets-sent", G_TYPE_UINT64,
                      guint64(family_counters(paths_[1]).packets_sent),                      //
                      nullptr);
  }

  GSocket* used_socket() const override { return nullptr; }

  std::string describe() const override {
    return "the group in its header (raw mode, " + interface_text_ + ")";
  }

  std::string describe_error(const mctx::SendError& e) const override {
    const char* fam = mctx::family_name(last_.family);
    switch (last_.kind) {
      case LastError::Kind::invalid:
        if (e.code == last_.datagram.code) {
          return "the datagram is invalid: " + last_.datagram.message();
        }
        break;
      case LastError::Kind::unavailable: {
        const FamilyPath& p = paths_[slot_of(last_.family)];
        const std::string why = p.unavailable_text.empty()
                                    ? std::string("out of memory while opening the raw socket")
                                    : p.unavailable_text;
        return std::string(fam) + " datagram " + last_.source.to_string() + " -> " +
               last_.destination.to_string() + " cannot be sent: " + why;
      }
      case LastError::Kind::kernel: {
        std::string why = e.message();
        const mctx::RawPublication* pub =
            paths_[slot_of(last_.family)].ready.load(std::memory_order_acquire);
        if (e.code == mctx::Errc::network_unreachable && pub != nullptr) {
          why = pub->outage_reason() + " (" + why + ")";
        }
        return std::string(fam) + " datagram " + last_.source.to_string() + " -> " +
               last_.destination.to_string() + ": " + why;
      }
      case LastError::Kind::none:
        break;
    }
    return e.message();
  }

  std::string start_warning() const override { return start_warning_; }

  void drain_errors() noexcept override {
    for (FamilyPath& p : paths_) {
      if (p.pub) (void)p.pub->drain_errors();
    }
  }

  void shutdown(bool /*close_caller_socket*/) noexcept override {
    // No caller socket in raw mode; the publications close their sockets.
    for (FamilyPath& p : paths_) {
      if (p.pub) p.pub->close();
    }
    blocked_fd_ = -1;
  }

 private:
  void remember(LastError::Kind kind, const mctx::RawDatagramInfo& info) noexcept {
    last_.kind = kind;
    last_.family = info.family;
    last_.source = info.source;
    last_.destination = info.destination;
  }

  // The family a datagram's first byte claims; nullopt when it is neither
  // 4 nor 6 or the datagram is empty (validation then says why).
  static std::optional<Family> version_family(const mctx::OutMessage& m) noexcept {
    for (std::size_t k = 0; k < m.iov_count; ++k) {
      if (m.iov[k].iov_len == 0) continue;
      const unsigned version = static_cast<const uint8_t*>(m.iov[k].iov_base)[0] >> 4;
      if (version == 4) return Family::ipv4;
      if (version == 6) return Family::ipv6;
      return std::nullopt;
    }
    return std::nullopt;
  }

  static mctx::SendCounters family_counters(const FamilyPath& p) noexcept {
    const mctx::RawPublication* pub = p.ready.load(std::memory_order_acquire);
    return pub ? pub->metrics().load() : mctx::SendCounters{};
  }

  // The publication of `p`, opened now if this is the family's first
  // datagram; nullptr when the family cannot be sent.
  static mctx::RawPublication* open_on_first_use(FamilyPath& p) noexcept {
    if (p.pub) return p.pub.get();
    if (p.unavailable) return nullptr;
    try {
      auto pub = mctx::RawPublication::open(p.config);
      if (!pub) {
        p.unavailable_text = start_error_from(pub.error()).message +
                             "; " + mctx::family_name(p.family) +
                             " datagrams are dropped until the element restarts";
        GST_WARNING("Could not open the raw %s publication: %s", mctx::family_name(p.family),
                    pub.error().what().c_str());
        p.unavailable = std::move(pub).error();
        return nullptr;
      }
      p.pub = std::make_unique<mctx::RawPublication>(std::move(*pub));
      const mctx::RawResolvedConfig& r = p.pub->resolved();
      GST_INFO("Opened the raw %s publication (fd %d, interface %s, index %u)",
               mctx::family_name(p.family), p.pub->fd(),
               r.interface_name.empty() ? "chosen by routing" : r.interface_name.c_str(),
               r.interface_index);
      p.ready.store(p.pub.get(), std::memory_order_release);
      return p.pub.get();
    } catch (...) {
      return nullptr;  // out of memory: this datagram is dropped, the next one tries again
    }
  }

  FamilyPath paths_[2];
  std::atomic<uint64_t> invalid_{0};
  LastError last_;
  int blocked_fd_ = -1;
  std::string interface_text_;
  std::string start_warning_;
};

StartError settings_error(std::string message, std::string debug) {
  StartError e;
  e.kind = StartError::Kind::settings;
  e.message = std::move(message);
  e.debug = std::move(debug);
  return e;
}

// The properties raw mode takes from each datagram, when they differ from
// their defaults; "" when none does.
std::string ignored_properties_warning(const Settings& s) {
  std::vector<const char*> set;
  if (!s.group.empty()) set.push_back("group");
  if (s.port != kDefaultPort) set.push_back("port");
  if (s.ttl != kDefaultTtl) set.push_back("ttl");
  if (!s.source_address.empty()) set.push_back("source-address");
  if (s.source_port != kDefaultSourcePort) set.push_back("source-port");
  if (s.dscp != kDefaultDscp) set.push_back("dscp");
  // Pacing is a UDP-mode feature: say so rather than send unpaced in silence.
  const std::string unpaced =
      s.max_rate != kDefaultMaxRate
          ? "raw-mode: max-rate " + std::to_string(s.max_rate) +
                " is not applied in raw mode: raw datagrams are sent unpaced"
          : std::string();
  if (set.empty()) return unpaced;
  std::string names;
  for (std::size_t i = 0; i < set.size(); ++i) {
    if (i > 0) names += i + 1 == set.size() ? " and " : ", ";
    names += set[i];
  }
  return std::string("raw-mode: ") + names + (set.size() == 1 ? " is" : " are") +
         " ignored in raw mode: each buffer is a complete IP datagram whose header already "
         "holds the source, the group, the ports, the TTL / hop limit and the traffic class; "
         "leave " + (set.size() == 1 ? "it" : "them") + " unset" +
         (unpaced.empty() ? "" : "; " + unpaced);
}

}  // namespace

BackendResult make_raw_backend(const Settings& settings) {
  if (settings.socket) {
    return mctx::unexpected(settings_error(
        "socket: a caller-provided socket cannot be used in raw mode (raw mode opens its own raw "
        "IPv4 and link-layer IPv6 sockets); unset 'socket' or set raw-mode=false",
        "raw-mode=TRUE with the socket property set"));
  }

  // The interface, shared by both families.
  mctx::InterfaceSpec itf;
  if (!settings.interface.empty()) {
    auto parsed = mctx::InterfaceSpec::parse(settings.interface);
    if (!parsed) return mctx::unexpected(start_error_from(parsed.error(), "interface"));
    itf = std::move(*parsed);
  }
  // An address stands for its own family as it is, and for the interface
  // that holds it for the other family (the core's interface resolver looks
  // at the host's interfaces and opens no socket).
  mctx::InterfaceSpec other_family_itf = itf;
  if (itf.kind() == mctx::InterfaceSpec::Kind::address) {
    auto index = mctx::interface_of_address(itf.address_value());
    if (!index) return mctx::unexpected(start_error_from(index.error(), "interface"));
    other_family_itf = mctx::InterfaceSpec::index(*index);
  }
  auto spec_for = [&](Family f) -> mctx::InterfaceSpec {
    if (itf.kind() == mctx::InterfaceSpec::Kind::address && itf.address_value().family() != f) {
      return other_family_itf;
    }
    return itf;
  };

  mctx::RawPublicationConfig v4(Family::ipv4);
  mctx::RawPublicationConfig v6(Family::ipv6);
  if (!itf.empty()) {
    v4.with_interface(spec_for(Family::ipv4));
    v6.with_interface(spec_for(Family::ipv6));
  } else {
    // Without `interface`, each IPv6 datagram leaves by the route the
    // kernel's main table holds for its group (route-selected egress).
    v6.with_route_selected_egress();
  }
  v4.with_loopback(settings.loop);  // IPv6 cannot loop back: left unset (off)
  if (settings.buffer_size > 0) {
    v4.with_send_buffer_size(settings.buffer_size);
    v6.with_send_buffer_size(settings.buffer_size);
  }

  // IPv4 needs nothing but correct settings: its failure fails the start.
  auto r4 = v4.validate();
  if (!r4) return mctx::unexpected(start_error_from(r4.error(), "interface"));

  // IPv6 may be impossible with these settings (a link that is not
  // Ethernet-like): then every IPv6 datagram is dropped with the reason.
  std::optional<mctx::Error> v6_unavailable;
  std::string v6_text;
  std::string interface_name = r4->interface_name;
  auto r6 = v6.validate();
  if (!r6) {
    v6_text = start_error_from(r6.error(), "interface").message;
    if (r6.error().code == Errc::raw_interface_required) {
      v6_text += "; set the 'interface' property (a name such as eth0, an index or a local "
                 "address). IPv6 datagrams are dropped while it is not set";
    } else {
      v6_text += "; IPv6 datagrams are dropped with this interface";
    }
    GST_INFO("Raw mode: IPv6 datagrams cannot be sent with these settings: %s",
             r6.error().what().c_str());
    v6_unavailable = r6.error();
  } else if (interface_name.empty()) {
    interface_name = r6->interface_name;
  }

  // Privilege last: every setting above is reported first.
  if (!mctx::raw_capabilities().permitted) {
    StartError e;
    e.kind = StartError::Kind::not_authorized;
    e.message = mctx::kRawNotPermittedHint;
    e.debug =
        "mctx error raw_not_permitted: opening a raw socket (AF_INET, SOCK_RAW, IPPROTO_RAW) "
        "failed; raw-mode=TRUE needs CAP_NET_RAW in the effective set";
    return mctx::unexpected(std::move(e));
  }

  std::string interface_text =
      itf.empty() ? std::string("interface chosen by routing")
                  : "interface " + q(interface_name.empty() ? settings.interface : interface_name);
  return std::unique_ptr<Backend>(new RawBackend(std::move(v4), std::move(v6),
                                                 std::move(v6_unavailable), std::move(v6_text),
                                                 std::move(interface_text),
                                                 ignored_properties_warning(settings)));
}

}  // namespace mctx::gst
