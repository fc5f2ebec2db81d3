// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The metrics file of mctxsink: see mctxsink-metrics-file.hpp.

#include "mctxsink-metrics-file.hpp"

#include <chrono>
#include <exception>
#include <utility>
#include <vector>

#include "mctxsink-log.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

namespace mctx::gst {

namespace {

// The header's flags: how the element was configured (the keys mctx-send
// uses where they mean the same).
mctx::JsonlFlags header_flags(const Settings& s) {
  mctx::JsonlFlags f;
  f.set("role", "sender");
  f.set("transport", s.raw_mode ? "raw" : "udp-multicast");
  if (!s.raw_mode) {
    f.set("multicast_group", s.group.empty() ? std::string("none") : s.group);
    f.set("multicast_port", static_cast<uint64_t>(s.port));
    f.set("multicast_source", s.source_address.empty() ? std::string("default")
                                                       : s.source_address);
    f.set("ttl_or_hops", static_cast<int64_t>(s.ttl));
    f.set("loopback_enabled", s.loop);
    if (s.dscp >= 0) f.set("dscp", static_cast<int64_t>(s.dscp));
    if (s.max_rate > 0) f.set("max_rate_bps", static_cast<uint64_t>(s.max_rate));
  }
  f.set("multicast_interface", s.interface.empty() ? std::string("default") : s.interface);
  return f;
}

StartError open_error(const mctx::Error& e) {
  const bool io = e.code == mctx::Errc::metrics_io_failed || e.code == mctx::Errc::metrics_locked;
  return StartError{io ? StartError::Kind::open : StartError::Kind::settings,
                    "metrics-file: " + e.what(),
                    std::string("JsonlWriter::open: ") + mctx::errc_name(e.code)};
}

}  // namespace

MetricsFile::OpenResult MetricsFile::open(const Settings& s) {
  mctx::JsonlHeader h;
  h.node_id = mctx::infer_node_id(s.metrics_file);
  h.producer = kMetricsFileProducer;
  h.flags = header_flags(s);
  auto w = mctx::JsonlWriter::open(s.metrics_file, h);
  if (!w) return mctx::unexpected(open_error(w.error()));
  if (!w->repaired().empty()) {
    GST_WARNING("metrics-file '%s': %s", w->path().c_str(), w->repaired().c_str());
  }
  return std::make_shared<MetricsFile>(std::move(w.value()));
}

MetricsFile::MetricsFile(mctx::JsonlWriter writer)
    : path_(writer.path()), writer_(std::move(writer)) {
  last_end_.wall_time = std::chrono::system_clock::now();
  last_end_.monotonic_time = std::chrono::steady_clock::now();
  (void)totals_.sample(last_end_);  // the first interval starts now, at 0
}

std::string MetricsFile::write_interval(const Sample& sample) {
  std::lock_guard<std::mutex> lk(mutex_);
  if (!writer_) return {};
  try {
    std::optional<SetSample> s = sample();
    if (!s) return {};
    return append(*s);
  } catch (const std::exception& e) {
    return failed(std::string("internal error: ") + e.what());
  }
}

std::string MetricsFile::finish(const SetSample& last) {
  std::lock_guard<std::mutex> lk(mutex_);
  if (!writer_) return {};
  std::string warning;
  try {
    warning = append(last);
    // One flush to disk per run, as mctx-send at exit.
    if (auto synced = writer_->sync(); !synced) {
      std::string w = failed(synced.error().what());
      if (warning.empty()) warning = std::move(w);
    }
  } catch (const std::exception& e) {
    warning = failed(std::string("internal error: ") + e.what());
  }
  writer_.reset();  // closes the file and releases the lock
  return warning;
}

std::string MetricsFile::append(const SetSample& s) {
  // Row names: GROUP:PORT, or the canonical URI where two destinations
  // share one (same group and port on two interfaces).
  std::unordered_map<std::string, int> uses;
  for (const auto& e : s.destinations) uses[e.name]++;

  std::vector<mctx::DestinationDelta> rows;
  rows.reserve(s.destinations.size());
  std::unordered_map<std::string, mctx::Sampler> next;
  for (const auto& e : s.destinations) {
    auto it = destinations_.find(e.key);
    mctx::Sampler sampler;
    if (it != destinations_.end()) {
      sampler = std::move(it->second);
    } else {
      mctx::Snapshot zero = last_end_;  // added since the last interval
      zero.active_publications = 1;
      zero.datagram_overhead = e.snapshot.datagram_overhead;
      (void)sampler.sample(zero);
    }
    if (auto d = sampler.sample(e.snapshot)) {
      rows.push_back({uses[e.name] > 1 ? e.key : e.name, *d});
    }
    next.emplace(e.key, std::move(sampler));
  }
  destinations_ = std::move(next);  // removed destinations are forgotten
  const std::optional<mctx::Delta> totals = totals_.sample(s.totals);
  last_end_ = mctx::Snapshot{};
  last_end_.wall_time = s.totals.wall_time;
  last_end_.monotonic_time = s.totals.monotonic_time;
  if (!totals) return {};
  auto written = writer_->write_interval(*totals, rows);
  if (!written) return failed(written.error().what());
  return {};
}

std::string MetricsFile::failed(const std::string& what) {
  const guint64 n = errors_.fetch_add(1, std::memory_order_relaxed) + 1;
  GST_DEBUG("metrics-file '%s': write %" G_GUINT64_FORMAT " failed: %s", path_.c_str(), n,
            what.c_str());
  if (warned_) return {};
  warned_ = true;
  return what;
}

void post_metrics_file_warning(GstElement* element, const std::string& warning) {
  if (warning.empty()) return;
  GST_ELEMENT_WARNING(element, RESOURCE, WRITE,
                      ("metrics-file: %s. The rows of this interval are lost; streaming goes "
                       "on, later failures are counted in metrics-file-errors of the metrics "
                       "property without a warning.",
                       warning.c_str()),
                      ("JsonlWriter write or sync failed"));
}

std::string metrics_file_start_note(const Settings& s) {
  if (s.metrics_file.empty() || s.stats_interval_ms != 0) return {};
  return "metrics-file '" + s.metrics_file +
         "': stats-interval is 0, so only the final row is written, at stop; set "
         "stats-interval (milliseconds) for a row every interval";
}

}  // namespace mctx::gst
