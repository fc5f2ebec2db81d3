// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The destinations property of mctxsink (not installed): the mctx:// URIs
// each buffer is also sent to, each parsed once when it enters the list, and
// the one rule that no two of them (nor one of them and the destination of
// the group, port, ... properties) name the same destination
// (mctxsink-destination-list.cpp). The add, remove and clear signals, the
// property and start() all go through it.

#include <cstddef>
#include <string>
#include <vector>

#include "mctx/result.hpp"
#include "mctxsink-errors.hpp"
#include "mctxsink-settings.hpp"
#include "mctxsink-uri.hpp"

namespace mctx::gst {

// The canonical URI of the URI fields of `s` (build_uri() with the group,
// source and interface written as the core formats them): FF3E::1 and
// ff3e::1, or the keys in any order, give the same text. "" without a group.
std::string canonical_uri(const Settings& s);

class Destinations {
 public:
  struct Entry {
    std::string uri;    // as the application wrote it (the property reads it back)
    std::string key;    // canonical_uri() of `fields`; "" when it did not parse
    Settings fields;    // parse_uri() of `uri` (other fields at their defaults)
    std::string error;  // the URI handler's message when it did not parse
  };

  // The property is set: the list is replaced. A bad URI or a duplicate is
  // kept as written; check() refuses it at start.
  void assign(const std::vector<std::string>& uris);
  std::vector<std::string> uris() const;
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }

  // start(): every URI parses and is a destination of its own. `primary` is
  // the canonical URI of the properties' destination ("" = none). Errors
  // name the URI and its position ("destinations[1] 'mctx://...': ...").
  mctx::Result<void, StartError> check(const std::string& primary) const;

  // add: the entry of `uri`, not appended yet: it parses and is neither in
  // the list nor `primary`.
  mctx::Result<Entry, StartError> admit(const std::string& uri, const std::string& primary) const;
  void append(Entry e) { entries_.push_back(std::move(e)); }

  // remove: takes out the entry `uri` names (compared after parsing; a URI
  // that does not parse only as written) and returns its key.
  mctx::Result<std::string, StartError> remove(const std::string& uri);
  // clear: how many were removed.
  std::size_t clear() noexcept;

  // The canonical URI of `uri`, "" when it does not parse.
  static std::string key_of(const std::string& uri);
  // What an entry opens with: its fields plus what the element sets for
  // every destination (raw-mode, gso, max-rate, queue-full, max-outage).
  static Settings settings_for(const Entry& e, const Settings& element);

 private:
  static Entry parse(const std::string& uri);
  // The duplicate rule: what `key` repeats among `primary` and the first
  // `end` entries ("" = nothing).
  std::string same_as(const std::string& key, const std::string& primary, std::size_t end) const;

  std::vector<Entry> entries_;
};

}  // namespace mctx::gst
