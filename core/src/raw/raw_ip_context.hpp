// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// RawIpContext: raw IP publications by id. Internal (not installed, not
// exported): nothing outside the core and its tests uses it; mctx-raw-send
// sends through one RawIpPublication.

#include <cstddef>
#include <memory>
#include <optional>
#include <span>

#include "mctx/metrics.hpp"
#include "mctx/raw_ip.hpp"

namespace mctx {

// Owns raw IP publications by id (the model of RawContext). Not thread-safe
// for add/take/remove.
class RawIpContext {
 public:
  RawIpContext();
  ~RawIpContext();
  RawIpContext(const RawIpContext&) = delete;
  RawIpContext& operator=(const RawIpContext&) = delete;

  // Errc::duplicate_publication when one with an equal config exists.
  Res<PublicationId> add(const RawIpConfig& config);
  Res<PublicationId> add(RawIpPublication&& publication);
  RawIpPublication* get(PublicationId id) noexcept;
  std::optional<RawIpPublication> take(PublicationId id);
  bool remove(PublicationId id);
  std::size_t size() const noexcept;

  // Errc::publication_not_found when unknown.
  Result<RawIpSendReport, RawSendError> send(PublicationId id,
                                             std::span<const std::byte> datagram) noexcept;

  // Lifetime totals of sends made through the context.
  Snapshot snapshot() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mctx
