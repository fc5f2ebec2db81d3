// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The metrics file of mctxsink: see mctxsink-metrics-file.hpp.

#include "mctxsink-metrics-file.hpp"

#include <exception>
#include <utility>

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
  return std::make_shared<MetricsFile>(std::move(w.value()));
}

std::string MetricsFile::write_interval(const Sample& sample) {
  std::lock_guard<std::mutex> lk(mutex_);
  if (!recorder_) return {};
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
  if (!recorder_) return {};
  std::string warning;
  try {
    warning = append(last);
    // One flush to disk per run, as mctx-send at exit.
    if (auto synced = recorder_->writer().sync(); !synced) {
      std::string w = failed("syncing the file to disk failed: " + synced.error().what());
      if (warning.empty()) warning = std::move(w);
    }
  } catch (const std::exception& e) {
    warning = failed(std::string("internal error: ") + e.what());
  }
  recorder_.reset();  // closes the file and releases the lock
  return warning;
}

std::string MetricsFile::append(const SetSample& s) {
  auto written = recorder_->record(s.totals, s.destinations);
  if (!written) return failed("the rows of an interval are lost: " + written.error().what());
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
                      ("metrics-file: %s; streaming goes on, later failures are counted in "
                       "metrics-file-errors of the metrics property without a warning.",
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
