// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "mctx/context.hpp"

#include <chrono>
#include <string>

#include "internal.hpp"

namespace mctx {

namespace {

// Two publications are the same flow when they would put the same datagrams
// on the wire: same group, port, source address and port, bind and interface.
bool same_flow(const PublicationConfig& a, const PublicationConfig& b) noexcept {
  return a.group() == b.group() && a.port() == b.port() &&
         a.source_address() == b.source_address() && a.source_port() == b.source_port() &&
         a.bind() == b.bind() && a.interface() == b.interface();
}

std::string describe(const PublicationConfig& c) {
  std::string s = "group " + Endpoint{c.group(), c.port()}.to_string();
  if (c.source_address()) s += ", source " + c.source_address()->to_string();
  if (c.source_port()) s += ", source port " + std::to_string(*c.source_port());
  if (c.bind()) s += ", bind " + c.bind()->to_string();
  if (!c.interface().empty()) s += ", interface " + c.interface().to_string();
  return s;
}

void record(SendMetrics& m, const Result<SendReport, SendError>& r) noexcept {
  if (r) {
    m.record_send(1, r->bytes_sent);
  } else {
    m.record_failed_send(r.error().code);
  }
}

}  // namespace

Context::Context() = default;
Context::~Context() = default;

Res<PublicationId> Context::add(const PublicationConfig& config) {
  for (const auto& [id, p] : pubs_) {
    if (same_flow(p.config(), config)) {
      return unexpected(make_error(Errc::duplicate_publication,
                                   "publication (" + describe(config) +
                                       ") duplicates publication " + std::to_string(id)));
    }
  }
  auto p = Publication::open(config);
  if (!p) return unexpected(std::move(p).error());
  return add(std::move(p).value());
}

Res<PublicationId> Context::add(int fd, const PublicationConfig& config) {
  for (const auto& [id, p] : pubs_) {
    if (same_flow(p.config(), config)) {
      return unexpected(make_error(Errc::duplicate_publication,
                                   "publication (" + describe(config) +
                                       ") duplicates publication " + std::to_string(id)));
    }
  }
  auto p = Publication::adopt(fd, config);
  if (!p) return unexpected(std::move(p).error());
  return add(std::move(p).value());
}

Res<PublicationId> Context::add(Publication&& publication) {
  Publication pub(std::move(publication));  // destroyed (closed) if rejected
  const PublicationId id = pub.id();
  if (id == 0 || pub.fd() < 0) {
    return unexpected(make_error(Errc::publication_closed,
                                 "cannot add a publication that is closed or was extracted"));
  }
  if (pubs_.count(id) != 0) {
    return unexpected(make_error(Errc::duplicate_publication,
                                 "publication " + std::to_string(id) + " is already in the context"));
  }
  for (const auto& [other_id, p] : pubs_) {
    if (same_flow(p.config(), pub.config())) {
      return unexpected(make_error(Errc::duplicate_publication,
                                   "publication (" + describe(pub.config()) +
                                       ") duplicates publication " + std::to_string(other_id)));
    }
  }
  pubs_.emplace(id, std::move(pub));
  added_.fetch_add(1, std::memory_order_relaxed);
  active_.fetch_add(1, std::memory_order_relaxed);
  return id;
}

Publication* Context::get(PublicationId id) noexcept {
  auto it = pubs_.find(id);
  return it == pubs_.end() ? nullptr : &it->second;
}

const Publication* Context::get(PublicationId id) const noexcept {
  auto it = pubs_.find(id);
  return it == pubs_.end() ? nullptr : &it->second;
}

std::optional<Publication> Context::take(PublicationId id) {
  auto it = pubs_.find(id);
  if (it == pubs_.end()) return std::nullopt;
  std::optional<Publication> p(std::move(it->second));
  pubs_.erase(it);
  removed_.fetch_add(1, std::memory_order_relaxed);
  active_.fetch_sub(1, std::memory_order_relaxed);
  return p;
}

bool Context::remove(PublicationId id) {
  if (pubs_.erase(id) == 0) return false;
  removed_.fetch_add(1, std::memory_order_relaxed);
  active_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

std::size_t Context::size() const noexcept { return pubs_.size(); }

void Context::for_each(const std::function<void(Publication&)>& f) {
  for (auto& [id, p] : pubs_) f(p);
}

Result<SendReport, SendError> Context::send(PublicationId id,
                                            std::span<const std::byte> payload) noexcept {
  auto it = pubs_.find(id);
  if (it == pubs_.end()) return unexpected(SendError{Errc::publication_not_found, 0});
  auto r = it->second.send(payload);
  record(totals_, r);
  return r;
}

BatchReport Context::send_batch(PublicationId id,
                               std::span<const OutMessage> messages) noexcept {
  auto it = pubs_.find(id);
  if (it == pubs_.end()) {
    BatchReport rep;
    if (!messages.empty()) rep.error = SendError{Errc::publication_not_found, 0};
    return rep;
  }
  BatchReport rep = it->second.send_batch(messages);
  internal::record_batch(totals_, rep);
  return rep;
}

SendAllReport Context::send_all(std::span<const std::byte> payload) noexcept {
  SendAllReport rep;
  for (auto& [id, p] : pubs_) {
    ++rep.attempted;
    auto r = p.send(payload);
    record(totals_, r);
    if (r) {
      ++rep.succeeded;
      rep.bytes_sent += r->bytes_sent;
    } else if (!rep.first_error) {
      rep.first_failed_id = id;
      rep.first_error = r.error();
    }
  }
  return rep;
}

SendAllReport Context::send_all_batch(std::span<const OutMessage> messages,
                                      std::span<BatchReport> reports) noexcept {
  SendAllReport rep;
  for (auto& [id, p] : pubs_) {
    BatchReport r = p.send_batch(messages);
    internal::record_batch(totals_, r);  // one batch is one send call
    if (rep.attempted < reports.size()) reports[rep.attempted] = r;
    ++rep.attempted;
    rep.bytes_sent += r.bytes_sent;
    if (!r.error && r.sent == messages.size()) {
      ++rep.succeeded;
    } else if (!rep.first_failed_id) {
      rep.first_failed_id = id;
      if (r.error) rep.first_error = r.error;
    }
  }
  return rep;
}

Snapshot Context::snapshot() const noexcept {
  Snapshot s;
  s.wall_time = std::chrono::system_clock::now();
  s.monotonic_time = std::chrono::steady_clock::now();
  s.active_publications = active_.load(std::memory_order_relaxed);
  s.publications_added = added_.load(std::memory_order_relaxed);
  s.publications_removed = removed_.load(std::memory_order_relaxed);
  s.send = totals_.load();
  return s;
}

}  // namespace mctx
