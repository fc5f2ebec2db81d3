// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Metrics files: JSONL export of send metrics (docs/metrics-file.md, API in
// docs/metrics.md). The header's schema name "heimdall-jsonl-v1" is kept for
// the files and readers that exist ("Heimdall" is the single-header JSONL
// convention the format started from; nothing else depends on it).
//
// A file is one header line followed by compact sample rows; each interval
// is one row per destination and a totals row (destination "total"):
//
//   {"schema":"heimdall-jsonl-v1","artifact_type":"mctx-network","node_id":..,
//    "producer":..,"created_at":<unix secs>,"flags":{..}}
//   {"ts":<unix secs>,"interval_secs":..,"destination":"239.1.2.3:5000",
//    "active_publications":..,"packets_sent_total":..,"packets_sent_delta":.., ...}
//   {"ts":..,"interval_secs":..,"destination":"total",...}
//
// Rows without "destination" (files written before destination rows) are
// totals rows.
//
// JsonlWriter owns an exclusive advisory lock (flock) on the file for its
// whole lifetime, checks the header of an existing file before appending,
// and writes each row with one write(2) call on an O_APPEND descriptor.
//
// This header has no dependency on a JSON library: JSON travels as text and
// is parsed and produced inside libmctx-core (nlohmann_json).

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mctx/error.hpp"
#include "mctx/export.hpp"
#include "mctx/metrics.hpp"

namespace mctx {

inline constexpr std::string_view kJsonlSchema = "heimdall-jsonl-v1";
inline constexpr std::string_view kNetworkArtifactType = "mctx-network";
// The "destination" of the row with the totals of an interval.
inline constexpr std::string_view kJsonlTotalsDestination = "total";

// The header "flags" object. Keys are kept in sorted order; values are any
// JSON value. Stored as compact JSON text so the type stays a plain value.
class MCTX_API JsonlFlags {
 public:
  JsonlFlags() = default;

  // Parses a JSON object ("{...}"). Errc::metrics_invalid_value, naming
  // `what` and the value, when the text is not valid JSON or not an object.
  static Res<JsonlFlags> parse(std::string_view object_text, std::string_view what = "flags");

  // Sets (or replaces) one flag.
  JsonlFlags& set(std::string_view key, std::string_view value);
  JsonlFlags& set(std::string_view key, const char* value) {
    return set(key, std::string_view(value));
  }
  JsonlFlags& set(std::string_view key, bool value);
  JsonlFlags& set(std::string_view key, int64_t value);
  JsonlFlags& set(std::string_view key, uint64_t value);
  JsonlFlags& set(std::string_view key, int value) { return set(key, static_cast<int64_t>(value)); }
  JsonlFlags& set(std::string_view key, unsigned value) {
    return set(key, static_cast<uint64_t>(value));
  }
  JsonlFlags& set(std::string_view key, double value);

  // Adds every member of `other` whose key is not set here yet: the flags
  // already present win on conflicts ("built-in flags win").
  JsonlFlags& merge_missing(const JsonlFlags& other);

  bool contains(std::string_view key) const;
  bool empty() const noexcept { return json_ == "{}"; }
  // The value of one key as compact JSON text, nullopt if absent.
  std::optional<std::string> get_json(std::string_view key) const;
  // Compact JSON object text, keys sorted.
  const std::string& json() const noexcept { return json_; }

  friend bool operator==(const JsonlFlags&, const JsonlFlags&) = default;

 private:
  std::string json_ = "{}";
};

struct MCTX_API JsonlHeader {
  std::string artifact_type{kNetworkArtifactType};  // non-empty
  std::string node_id;                              // non-empty (see infer_node_id)
  std::string producer;                             // non-empty, e.g. "mctx/mctx-send"
  // Written as unix seconds; unset = the time the file is opened.
  std::optional<std::chrono::system_clock::time_point> created_at;
  JsonlFlags flags;
};

// The header line (compact JSON, no newline); created_at unset = now.
MCTX_API std::string jsonl_header_line(const JsonlHeader& header);

// One sample row (compact JSON, no newline) for a delta: ts = end.wall_time,
// interval_secs, destination, active_publications = end gauge,
// <counter>_total from end, <counter>_delta from the delta (every counter of
// SendCounters, outages, and ip_bytes_sent with end.datagram_overhead), and
// the rates (per second; payload_bits_per_sec, ip_bits_per_sec in bit/s).
MCTX_API std::string jsonl_sample_row(const Delta& delta,
                                      std::string_view destination = kJsonlTotalsDestination);

// One destination's delta for JsonlWriter::write_interval().
struct MCTX_API DestinationDelta {
  std::string destination;  // e.g. "239.1.2.3:5000"; not blank, not "total"
  Delta delta;
};

// Checks one line as a metrics file header: a JSON object with schema
// "heimdall-jsonl-v1", non-empty string artifact_type, node_id and producer,
// a finite number created_at and an object flags. The error
// (Errc::metrics_bad_header) says which field broke which rule.
MCTX_API Res<void> validate_jsonl_header(std::string_view line);

// Checks one sample row: a JSON object with finite numbers ts and
// interval_secs >= 0, none of the header fields, and, if present, a
// non-empty string destination. Errc::metrics_invalid_value.
MCTX_API Res<void> validate_jsonl_row(std::string_view line);

// node_id resolution: `explicit_id` if it has any non-blank character, else
// the name of the file's parent folder, else the file's stem, else "unknown".
MCTX_API std::string infer_node_id(std::string_view path, std::string_view explicit_id = {});

// Appends sample rows to a metrics file.
//
// Ownership: the writer owns one descriptor on the file (close-on-exec) and
// the lock with it; both are released by the destructor. Move-only.
class MCTX_API JsonlWriter {
 public:
  // Opens `path` for appending, creating it (mode 0644) if needed; the
  // folder must exist. In order:
  //  1. the requested header is validated (Errc::metrics_invalid_value,
  //     nothing is created);
  //  2. the file is opened (Errc::metrics_io_failed, errno kept) and locked
  //     with flock(LOCK_EX | LOCK_NB): if another writer (any process) holds
  //     it, Errc::metrics_locked with a message naming the file;
  //  3. an empty file (or one of blank lines only) gets the header line; a
  //     non-empty file must start with a valid header equal to the requested
  //     one in schema, artifact_type, node_id, producer and flags
  //     (created_at may differ), and its last line must be a valid sample
  //     row (or be the header), else Errc::metrics_bad_header naming the
  //     file and the line. Only the first non-blank line (at most 1 MiB) and
  //     the last 64 KiB are read, so opening costs the same for any file
  //     size; lines in between are not checked.
  //  4. an unterminated last line (an interrupted write) is cut off, or,
  //     when it is a whole valid line, completed with its newline;
  //     repaired() says which.
  static Res<JsonlWriter> open(const std::string& path, const JsonlHeader& header);

  JsonlWriter(JsonlWriter&& other) noexcept;
  JsonlWriter& operator=(JsonlWriter&& other) noexcept;
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;
  ~JsonlWriter();

  // Appends the totals row of `delta` (see jsonl_sample_row) plus a newline
  // with one write(2); nothing is buffered in the process, so a returned row
  // is in the kernel's page cache. Errc::metrics_io_failed on failure (disk
  // or quota full, RLIMIT_FSIZE, I/O error): the part of the row that was
  // written is cut off again, so the file keeps ending with a complete row,
  // and later writes may succeed.
  Res<void> write(const Delta& delta);
  // Appends one interval: a row per destination (in the given order), then
  // the totals row, all with the totals' ts (its end.wall_time: samples of
  // one interval are taken microseconds apart), in one write(2), so a
  // reader that tails the file sees whole intervals.
  // Errc::metrics_invalid_value (nothing written) for a blank destination
  // or one named "total".
  Res<void> write_interval(const Delta& totals, std::span<const DestinationDelta> destinations);
  // Appends one caller-made row after validate_jsonl_row().
  Res<void> write_row(std::string_view row_json);

  // fdatasync(2): the rows written so far survive a machine crash or power
  // loss once this returns. One call costs a disk flush (milliseconds), so
  // call it at the end of a run or at a low rate, not per row.
  Res<void> sync();

  const std::string& path() const noexcept { return path_; }
  // What open() repaired in an existing file ("removed an incomplete last
  // line of 37 bytes ..."), "" when nothing.
  const std::string& repaired() const noexcept { return repaired_; }
  // The header line the file starts with (as found or as written).
  const std::string& header_line() const noexcept { return header_line_; }

 private:
  JsonlWriter(int fd, std::string path, std::string header_line) noexcept
      : fd_(fd), path_(std::move(path)), header_line_(std::move(header_line)) {}
  Res<void> append_line(std::string line);
  Res<void> write_all(std::string_view text);
  void close() noexcept;

  int fd_ = -1;
  std::string path_;
  std::string header_line_;
  std::string repaired_;
};

// One destination's cumulative counters at the end of an interval, for
// JsonlRecorder::record().
struct MCTX_API DestinationSnapshot {
  std::string key;          // identifies it across intervals (a URI, a publication id)
  std::string destination;  // the row's name, e.g. "239.1.2.3:5000"
  Snapshot snapshot;        // active_publications 1, its outages and datagram_overhead
};

// Interval rows from cumulative snapshots, for producers that sample their
// counters themselves (mctxsink's metrics-file property, the Python
// module's MetricsFile): keeps the previous snapshot of the totals and of
// each destination and appends every interval with write_interval().
//  - the first interval starts when the recorder is made, every counter 0;
//  - a destination seen for the first time starts at the end of the
//    previous interval with every counter 0 (it was added during it); one
//    no longer given is forgotten (it was removed);
//  - destinations that share a name in one interval (one group and port on
//    two interfaces) are named "NAME (KEY)".
// Not thread-safe; the caller serialises record() calls.
class MCTX_API JsonlRecorder {
 public:
  explicit JsonlRecorder(JsonlWriter writer);

  // Appends the interval that ends at totals.wall_time / monotonic_time:
  // a row per destination, in the given order, then the totals row. A
  // failed write (JsonlWriter::write_interval's errors) loses that
  // interval's rows only: the next one starts where it ended, and the
  // _total counters stay right.
  Res<void> record(const Snapshot& totals, std::span<const DestinationSnapshot> destinations);

  JsonlWriter& writer() noexcept { return writer_; }

 private:
  JsonlWriter writer_;
  Sampler totals_;
  std::unordered_map<std::string, Sampler> destinations_;
  Snapshot last_end_;  // where the next interval starts (times only)
};

}  // namespace mctx
