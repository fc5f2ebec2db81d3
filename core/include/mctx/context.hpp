// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Context: owns publications by stable id and keeps lifetime totals.
// Not thread-safe for add/take/remove; send() and send_all() may run
// concurrently with snapshot() from another thread.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>

#include "mctx/export.hpp"
#include "mctx/metrics.hpp"
#include "mctx/publication.hpp"

namespace mctx {

// Summary of send_all(): one entry per publication attempted.
struct MCTX_API SendAllReport {
  std::size_t attempted = 0;
  std::size_t succeeded = 0;
  std::size_t bytes_sent = 0;  // summed over publications
  // The first failure, if any (publication id and error).
  std::optional<PublicationId> first_failed_id;
  std::optional<SendError> first_error;
};

class MCTX_API Context {
 public:
  Context();
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Opens a publication and adds it. Errc::duplicate_publication if an
  // existing publication has the same group, port, source address, source
  // port, bind and interface.
  Res<PublicationId> add(const PublicationConfig& config);
  // Adopts a caller-provided socket (see Publication::adopt for ownership).
  Res<PublicationId> add(int fd, const PublicationConfig& config);
  // Adds an already open publication (duplicate id or flow is rejected, and
  // the publication is handed back inside the error path destroyed).
  Res<PublicationId> add(Publication&& publication);

  Publication* get(PublicationId id) noexcept;
  const Publication* get(PublicationId id) const noexcept;
  // Removes and returns the publication without closing its socket.
  std::optional<Publication> take(PublicationId id);
  // Removes and closes. False if no such id.
  bool remove(PublicationId id);

  std::size_t size() const noexcept;
  void for_each(const std::function<void(Publication&)>& f);

  // Sends through one publication; Errc::publication_not_found if unknown.
  Result<SendReport, SendError> send(PublicationId id, std::span<const std::byte> payload) noexcept;
  // Sends many datagrams through one publication (Publication::send_batch);
  // Errc::publication_not_found in the report's error if the id is unknown.
  // Counted in the totals like the publication counts it: one send call.
  BatchReport send_batch(PublicationId id, std::span<const OutMessage> messages) noexcept;
  // Sends the payload through every publication.
  SendAllReport send_all(std::span<const std::byte> payload) noexcept;
  // Sends the same messages through every publication, in id order, each
  // with one Publication::send_batch() (so each keeps its batching and
  // segmentation offload). A publication that fails or stops early never
  // stops the others: each is sent the whole batch from its first message.
  // reports[i] receives the i-th publication's report (its publication_id
  // says which); publications beyond reports.size() are sent to but not
  // reported. Nothing is allocated. In the summary, a publication succeeded
  // when it sent every message without error; bytes_sent is summed.
  SendAllReport send_all_batch(std::span<const OutMessage> messages,
                               std::span<BatchReport> reports = {}) noexcept;

  // Lifetime totals: publications added/removed and the send counters of
  // sends made through the context. Never go down. Safe from any thread.
  Snapshot snapshot() const noexcept;

 private:
  struct Impl;  // the publications and totals (an internal registry)
  std::unique_ptr<Impl> impl_;
};

}  // namespace mctx
