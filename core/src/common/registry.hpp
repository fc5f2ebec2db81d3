// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Registry<P>: the publications of one context by stable id, with the
// lifetime totals every context keeps (added / removed / active and the
// send counters of sends made through it). Context, RawContext and
// RawIpContext each hold one and add only their own rules (what counts as
// a duplicate, how a send is counted). Not thread-safe for insert / take /
// remove; snapshot() and the totals may be read from any thread.
// Internal header: not installed.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "mctx/metrics.hpp"
#include "mctx/publication.hpp"

namespace mctx::internal {

template <class P>
class Registry {
 public:
  P* get(PublicationId id) noexcept {
    auto it = items_.find(id);
    return it == items_.end() ? nullptr : &it->second;
  }
  const P* get(PublicationId id) const noexcept {
    auto it = items_.find(id);
    return it == items_.end() ? nullptr : &it->second;
  }
  bool contains(PublicationId id) const noexcept { return items_.count(id) != 0; }

  // The id of the first publication (in id order) for which pred(p) holds.
  template <class Pred>
  std::optional<PublicationId> find_if(Pred&& pred) const {
    for (const auto& [id, p] : items_) {
      if (pred(p)) return id;
    }
    return std::nullopt;
  }

  // Adds a publication the caller has checked (open, new id, no duplicate).
  PublicationId insert(P&& publication) {
    const PublicationId id = publication.id();
    items_.emplace(id, std::move(publication));
    added_.fetch_add(1, std::memory_order_relaxed);
    active_.fetch_add(1, std::memory_order_relaxed);
    return id;
  }

  // Removes and returns the publication (nothing closed).
  std::optional<P> take(PublicationId id) {
    auto it = items_.find(id);
    if (it == items_.end()) return std::nullopt;
    std::optional<P> p(std::move(it->second));
    items_.erase(it);
    count_removal();
    return p;
  }
  // Removes and closes. False if no such id.
  bool remove(PublicationId id) {
    if (items_.erase(id) == 0) return false;
    count_removal();
    return true;
  }

  std::size_t size() const noexcept { return items_.size(); }
  // In id order.
  template <class F>
  void for_each(F&& f) {
    for (auto& [id, p] : items_) f(id, p);
  }

  // The send counters of sends made through the context.
  SendMetrics& totals() noexcept { return totals_; }

  Snapshot snapshot() const noexcept {
    Snapshot s;
    s.wall_time = std::chrono::system_clock::now();
    s.monotonic_time = std::chrono::steady_clock::now();
    s.active_publications = active_.load(std::memory_order_relaxed);
    s.publications_added = added_.load(std::memory_order_relaxed);
    s.publications_removed = removed_.load(std::memory_order_relaxed);
    s.send = totals_.load();
    return s;
  }

 private:
  void count_removal() noexcept {
    removed_.fetch_add(1, std::memory_order_relaxed);
    active_.fetch_sub(1, std::memory_order_relaxed);
  }

  std::map<PublicationId, P> items_;
  SendMetrics totals_;
  std::atomic<uint64_t> added_{0};
  std::atomic<uint64_t> removed_{0};
  std::atomic<uint64_t> active_{0};
};

}  // namespace mctx::internal
