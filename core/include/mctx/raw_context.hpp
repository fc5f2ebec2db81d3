// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// RawContext owns raw publications by id, like mctx::Context.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "mctx/export.hpp"
#include "mctx/metrics.hpp"
#include "mctx/raw_publication.hpp"

namespace mctx {

// ------------------------------------------------------------------ context

// Owns raw publications by stable id. Not thread-safe for add/take/remove;
// send() may run concurrently with snapshot() from another thread.
class MCTX_API RawContext {
 public:
  RawContext();
  ~RawContext();
  RawContext(const RawContext&) = delete;
  RawContext& operator=(const RawContext&) = delete;

  // Opens a publication and adds it. Errc::duplicate_publication if one with
  // an equal config exists.
  Res<PublicationId> add(const RawPublicationConfig& config);
  // Adds an already open publication. An equal config or id, or a closed
  // publication, is rejected; the publication then stays with the caller.
  Res<PublicationId> add(RawPublication&& publication);

  RawPublication* get(PublicationId id) noexcept;
  const RawPublication* get(PublicationId id) const noexcept;
  // Removes and returns the publication, still open.
  std::optional<RawPublication> take(PublicationId id);
  // Removes and closes. False if no such id.
  bool remove(PublicationId id);

  std::size_t size() const noexcept;
  void for_each(const std::function<void(RawPublication&)>& f);

  // Sends through one publication; Errc::publication_not_found if unknown.
  Result<RawSendReport, RawSendError> send(PublicationId id,
                                           std::span<const std::byte> datagram) noexcept;
  Result<RawSendReport, RawSendError> send(PublicationId id, const iovec* iov,
                                           std::size_t count) noexcept;

  // Lifetime totals of publications added/removed and of sends made through
  // the context. Never go down. Safe from any thread.
  Snapshot snapshot() const noexcept;
  uint64_t invalid_datagrams() const noexcept;

 private:
  struct Impl;  // the publications and totals (an internal registry)
  std::unique_ptr<Impl> impl_;
};

}  // namespace mctx
