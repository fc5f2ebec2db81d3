// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "mctx/context.hpp"

#include <string>

#include "common/internal.hpp"
#include "common/registry.hpp"

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

struct Context::Impl : internal::Registry<Publication> {};

Context::Context() : impl_(std::make_unique<Impl>()) {}
Context::~Context() = default;

namespace {

Unexpected<Error> duplicate(const PublicationConfig& c, PublicationId other) {
  return unexpected(make_error(Errc::duplicate_publication, "publication (" + describe(c) +
                                                                ") duplicates publication " +
                                                                std::to_string(other)));
}

}  // namespace

Res<PublicationId> Context::add(const PublicationConfig& config) {
  if (auto other = impl_->find_if([&](const Publication& p) { return same_flow(p.config(), config); })) {
    return duplicate(config, *other);
  }
  auto p = Publication::open(config);
  if (!p) return unexpected(std::move(p).error());
  return add(std::move(p).value());
}

Res<PublicationId> Context::add(int fd, const PublicationConfig& config) {
  if (auto other = impl_->find_if([&](const Publication& p) { return same_flow(p.config(), config); })) {
    return duplicate(config, *other);
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
  if (impl_->contains(id)) {
    return unexpected(make_error(Errc::duplicate_publication,
                                 "publication " + std::to_string(id) + " is already in the context"));
  }
  if (auto other = impl_->find_if(
          [&](const Publication& p) { return same_flow(p.config(), pub.config()); })) {
    return duplicate(pub.config(), *other);
  }
  return impl_->insert(std::move(pub));
}

Publication* Context::get(PublicationId id) noexcept { return impl_->get(id); }
const Publication* Context::get(PublicationId id) const noexcept { return impl_->get(id); }
std::optional<Publication> Context::take(PublicationId id) { return impl_->take(id); }
bool Context::remove(PublicationId id) { return impl_->remove(id); }
std::size_t Context::size() const noexcept { return impl_->size(); }

void Context::for_each(const std::function<void(Publication&)>& f) {
  impl_->for_each([&](PublicationId, Publication& p) { f(p); });
}

Result<SendReport, SendError> Context::send(PublicationId id,
                                            std::span<const std::byte> payload) noexcept {
  Publication* p = impl_->get(id);
  if (p == nullptr) return unexpected(SendError{Errc::publication_not_found, 0});
  auto r = p->send(payload);
  record(impl_->totals(), r);
  return r;
}

BatchReport Context::send_batch(PublicationId id,
                               std::span<const OutMessage> messages) noexcept {
  Publication* p = impl_->get(id);
  if (p == nullptr) {
    BatchReport rep;
    if (!messages.empty()) rep.error = SendError{Errc::publication_not_found, 0};
    return rep;
  }
  BatchReport rep = p->send_batch(messages);
  internal::record_batch(impl_->totals(), rep);
  return rep;
}

SendAllReport Context::send_all(std::span<const std::byte> payload) noexcept {
  SendAllReport rep;
  SendMetrics& totals = impl_->totals();
  impl_->for_each([&](PublicationId id, Publication& p) {
    ++rep.attempted;
    auto r = p.send(payload);
    record(totals, r);
    if (r) {
      ++rep.succeeded;
      rep.bytes_sent += r->bytes_sent;
    } else if (!rep.first_error) {
      rep.first_failed_id = id;
      rep.first_error = r.error();
    }
  });
  return rep;
}

SendAllReport Context::send_all_batch(std::span<const OutMessage> messages,
                                      std::span<BatchReport> reports) noexcept {
  SendAllReport rep;
  SendMetrics& totals = impl_->totals();
  impl_->for_each([&](PublicationId id, Publication& p) {
    BatchReport r = p.send_batch(messages);
    internal::record_batch(totals, r);  // one batch is one send call
    if (rep.attempted < reports.size()) reports[rep.attempted] = r;
    ++rep.attempted;
    rep.bytes_sent += r.bytes_sent;
    if (!r.error && r.sent == messages.size()) {
      ++rep.succeeded;
    } else if (!rep.first_failed_id) {
      rep.first_failed_id = id;
      if (r.error) rep.first_error = r.error;
    }
  });
  return rep;
}

Snapshot Context::snapshot() const noexcept { return impl_->snapshot(); }

}  // namespace mctx
