// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The destinations property: see mctxsink-destination-list.hpp.

#include "mctxsink-destination-list.hpp"

#include <utility>

#include "mctx/address.hpp"

namespace mctx::gst {

namespace {

// An address as the core writes it; a scope ("%eth0", "%2") is kept as
// written (a name is not resolved here). Unchanged when it does not parse.
std::string canonical_address(const std::string& text) {
  if (text.empty()) return text;
  const std::size_t pct = text.find('%');
  const std::string addr = text.substr(0, pct);
  auto a = mctx::IpAddress::parse(addr);
  if (!a) return text;
  return a->to_string() + (pct == std::string::npos ? std::string() : text.substr(pct));
}

std::string canonical_interface(const std::string& text) {
  if (text.empty()) return text;
  auto itf = mctx::InterfaceSpec::parse(text);
  if (!itf || itf->kind() != mctx::InterfaceSpec::Kind::address) return text;
  return canonical_address(text);
}

}  // namespace

std::string canonical_uri(const Settings& s) {
  Settings c = s;
  c.group = canonical_address(s.group);
  c.source_address = canonical_address(s.source_address);
  c.interface = canonical_interface(s.interface);
  return build_uri(c);
}

Destinations::Entry Destinations::parse(const std::string& uri) {
  Entry e;
  e.uri = uri;
  GError* err = nullptr;
  if (!parse_uri(uri.c_str(), e.fields, &err)) {
    e.error = err ? err->message : "invalid URI";
    g_clear_error(&err);
    return e;
  }
  e.key = canonical_uri(e.fields);
  return e;
}

std::string Destinations::key_of(const std::string& uri) { return parse(uri).key; }

Settings Destinations::settings_for(const Entry& e, const Settings& element) {
  Settings out = e.fields;
  out.raw_mode = element.raw_mode;
  out.gso = element.gso;
  out.max_rate = element.max_rate;
  out.queue_full = element.queue_full;
  out.max_outage_ms = element.max_outage_ms;
  return out;
}

void Destinations::assign(const std::vector<std::string>& uris) {
  std::vector<Entry> parsed;
  parsed.reserve(uris.size());
  for (const std::string& uri : uris) parsed.push_back(parse(uri));
  entries_ = std::move(parsed);
}

std::vector<std::string> Destinations::uris() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.uri);
  return out;
}

std::string Destinations::same_as(const std::string& key, const std::string& primary,
                                  std::size_t end) const {
  if (key.empty()) return {};
  if (!primary.empty() && key == primary) {
    return "the destination of the group, port, interface, ... properties";
  }
  for (std::size_t j = 0; j < end && j < entries_.size(); ++j) {
    if (entries_[j].key == key) return "destinations[" + std::to_string(j) + "]";
  }
  return {};
}

mctx::Result<void, StartError> Destinations::check(const std::string& primary) const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    const std::string where = "destinations[" + std::to_string(i) + "] '" + e.uri + "': ";
    if (e.key.empty()) {
      return mctx::unexpected(
          StartError{StartError::Kind::settings, where + e.error, "destinations property"});
    }
    const std::string same = same_as(e.key, primary, i);
    if (!same.empty()) {
      return mctx::unexpected(StartError{StartError::Kind::settings,
                                         where + "the same destination as " + same + " (" +
                                             e.key + "): every datagram would be sent twice",
                                         "destinations property"});
    }
  }
  return {};
}

mctx::Result<Destinations::Entry, StartError> Destinations::admit(
    const std::string& uri, const std::string& primary) const {
  Entry e = parse(uri);
  if (e.key.empty()) {
    return mctx::unexpected(StartError{StartError::Kind::settings, e.error, "add: bad URI"});
  }
  if (!same_as(e.key, primary, entries_.size()).empty()) {
    return mctx::unexpected(StartError{StartError::Kind::settings,
                                       "already a destination (" + e.key + ")",
                                       "add: duplicate"});
  }
  return e;
}

mctx::Result<std::string, StartError> Destinations::remove(const std::string& uri) {
  const std::string key = key_of(uri);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->uri == uri || (!key.empty() && it->key == key)) {
      std::string gone = it->key;
      entries_.erase(it);
      return gone;
    }
  }
  return mctx::unexpected(StartError{
      StartError::Kind::settings,
      "not one of the destinations (the destination of the group, port, ... properties "
      "cannot be removed)",
      "remove: no such destination"});
}

std::size_t Destinations::clear() noexcept {
  const std::size_t n = entries_.size();
  entries_.clear();
  return n;
}

}  // namespace mctx::gst
