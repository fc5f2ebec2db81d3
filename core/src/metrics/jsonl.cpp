// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The metrics file (JSONL, docs/metrics-file.md) writer. JSON is parsed and produced with nlohmann_json;
// nothing here is on the send path, but no exception leaves this file.

#include "mctx/jsonl.hpp"

#include <cerrno>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "platform/file.hpp"
#include "platform/platform.hpp"

namespace mctx {

namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr const char* kHeaderKeys[] = {"schema", "artifact_type", "node_id", "producer", "flags"};

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }
std::string dump(const OrderedJson& j) {
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

// Shortens a value for an error message.
std::string excerpt(std::string_view text, std::size_t max = 80) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "...";
}

std::optional<Json> parse_json(std::string_view text, std::string* error) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    if (error) {
      // nlohmann messages start with "[json.exception.parse_error.101] ".
      std::string what = e.what();
      auto pos = what.find("] ");
      *error = pos == std::string::npos ? what : what.substr(pos + 2);
    }
    return std::nullopt;
  }
}

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v') return false;
  }
  return true;
}

bool finite_number(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_number() && std::isfinite(it->get<double>());
}

// Empty string when the object is a valid header, else the broken rule.
std::string header_problem(const Json& j) {
  if (!j.is_object()) return "the header must be a JSON object";
  auto schema = j.find("schema");
  if (schema == j.end() || !schema->is_string() || schema->get<std::string>() != kJsonlSchema) {
    return "schema must be \"" + std::string(kJsonlSchema) + "\"";
  }
  for (const char* key : {"artifact_type", "node_id", "producer"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string() || is_blank(it->get<std::string>())) {
      return std::string(key) + " must be a non-empty string";
    }
  }
  if (!finite_number(j, "created_at")) return "created_at must be a finite number";
  auto flags = j.find("flags");
  if (flags == j.end() || !flags->is_object()) return "flags must be a JSON object";
  return {};
}

std::string row_problem(const Json& j) {
  if (!j.is_object()) return "a sample row must be a JSON object";
  for (const char* key : kHeaderKeys) {
    if (j.contains(key))
      return std::string("a sample row must not contain the header field ") + key;
  }
  if (!finite_number(j, "ts")) return "ts must be a finite number";
  if (!finite_number(j, "interval_secs")) return "interval_secs must be a finite number";
  if (j["interval_secs"].get<double>() < 0) return "interval_secs must not be negative";
  // Absent in files written before per-destination rows: a totals row.
  if (auto dest = j.find("destination"); dest != j.end()) {
    if (!dest->is_string() || is_blank(dest->get<std::string>())) {
      return "destination must be a non-empty string";
    }
  }
  return {};
}

template <class T>
JsonlFlags& set_value(JsonlFlags& self, std::string& text, std::string_view key, T&& value) {
  // json_ always holds a valid object; parse cannot fail here.
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) j = Json::object();
  j[std::string(key)] = std::forward<T>(value);
  text = dump(j);
  return self;
}

}  // namespace

// ---------------------------------------------------------------- JsonlFlags

Res<JsonlFlags> JsonlFlags::parse(std::string_view object_text, std::string_view what) {
  std::string perr;
  auto j = parse_json(object_text, &perr);
  if (!j) {
    return unexpected(make_error(
        Errc::metrics_invalid_value,
        std::string(what) + " '" + excerpt(object_text) + "' is not valid JSON: " + perr));
  }
  if (!j->is_object()) {
    return unexpected(make_error(Errc::metrics_invalid_value,
                                 std::string(what) + " '" + excerpt(object_text) +
                                     "' is not a JSON object (expected {\"key\": value, ...})"));
  }
  JsonlFlags f;
  f.json_ = dump(*j);
  return f;
}

JsonlFlags& JsonlFlags::set(std::string_view key, std::string_view value) {
  return set_value(*this, json_, key, std::string(value));
}
JsonlFlags& JsonlFlags::set(std::string_view key, bool value) {
  return set_value(*this, json_, key, value);
}
JsonlFlags& JsonlFlags::set(std::string_view key, int64_t value) {
  return set_value(*this, json_, key, value);
}
JsonlFlags& JsonlFlags::set(std::string_view key, uint64_t value) {
  return set_value(*this, json_, key, value);
}
JsonlFlags& JsonlFlags::set(std::string_view key, double value) {
  return set_value(*this, json_, key, value);
}

JsonlFlags& JsonlFlags::merge_missing(const JsonlFlags& other) {
  Json mine = Json::parse(json_, nullptr, false);
  Json theirs = Json::parse(other.json_, nullptr, false);
  if (!mine.is_object() || !theirs.is_object()) return *this;
  for (auto it = theirs.begin(); it != theirs.end(); ++it) {
    if (!mine.contains(it.key())) mine[it.key()] = it.value();
  }
  json_ = dump(mine);
  return *this;
}

bool JsonlFlags::contains(std::string_view key) const {
  Json j = Json::parse(json_, nullptr, false);
  return j.is_object() && j.contains(std::string(key));
}

std::optional<std::string> JsonlFlags::get_json(std::string_view key) const {
  Json j = Json::parse(json_, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(std::string(key));
  if (it == j.end()) return std::nullopt;
  return dump(*it);
}

// ---------------------------------------------------------------- lines

std::string jsonl_header_line(const JsonlHeader& header) {
  const auto created = header.created_at.value_or(std::chrono::system_clock::now());
  OrderedJson h;
  h["schema"] = std::string(kJsonlSchema);
  h["artifact_type"] = header.artifact_type;
  h["node_id"] = header.node_id;
  h["producer"] = header.producer;
  h["created_at"] = unix_seconds(created);
  OrderedJson flags = OrderedJson::parse(header.flags.json(), nullptr, false);
  h["flags"] = flags.is_object() ? flags : OrderedJson::object();
  return dump(h);
}

std::string jsonl_sample_row(const Delta& d, std::string_view destination) {
  const double interval = std::chrono::duration<double>(d.interval).count();
  const SendCounters& end = d.end.send;
  OrderedJson r;
  r["ts"] = unix_seconds(d.end.wall_time);
  r["interval_secs"] = interval;
  r["destination"] = std::string(destination);
  r["active_publications"] = d.end.active_publications;
  r["publications_added_total"] = d.end.publications_added;
  r["publications_added_delta"] = d.publications_added;
  r["publications_removed_total"] = d.end.publications_removed;
  r["publications_removed_delta"] = d.publications_removed;
  auto counter = [&](const char* name, uint64_t total, uint64_t delta) {
    r[std::string(name) + "_total"] = total;
    r[std::string(name) + "_delta"] = delta;
  };
  counter("send_calls", end.send_calls, d.send.send_calls);
  counter("packets_sent", end.packets_sent, d.send.packets_sent);
  counter("bytes_sent", end.bytes_sent, d.send.bytes_sent);
  counter("ip_bytes_sent", ip_bytes(end, d.end.datagram_overhead),
          ip_bytes(d.send, d.end.datagram_overhead));
  counter("send_errors", end.send_errors, d.send.send_errors);
  counter("would_block", end.would_block, d.send.would_block);
  counter("queue_full", end.queue_full, d.send.queue_full);
  counter("unreachable", end.unreachable, d.send.unreachable);
  counter("outages", d.end.outages, d.outages);
  counter("gso_sends", end.gso_sends, d.send.gso_sends);
  r["send_calls_per_sec"] = d.send_calls_per_sec;
  r["packets_per_sec"] = d.packets_per_sec;
  r["bytes_per_sec"] = d.bytes_per_sec;
  r["send_errors_per_sec"] = d.send_errors_per_sec;
  r["payload_bits_per_sec"] = d.payload_bits_per_sec;
  r["ip_bits_per_sec"] = d.ip_bits_per_sec;
  return dump(r);
}

Res<void> validate_jsonl_header(std::string_view line) {
  std::string perr;
  auto j = parse_json(line, &perr);
  if (!j)
    return unexpected(make_error(Errc::metrics_bad_header, "header is not valid JSON: " + perr));
  std::string problem = header_problem(*j);
  if (!problem.empty())
    return unexpected(make_error(Errc::metrics_bad_header, "header: " + problem));
  return {};
}

Res<void> validate_jsonl_row(std::string_view line) {
  std::string perr;
  auto j = parse_json(line, &perr);
  if (!j) {
    return unexpected(
        make_error(Errc::metrics_invalid_value, "sample row is not valid JSON: " + perr));
  }
  std::string problem = row_problem(*j);
  if (!problem.empty()) {
    return unexpected(make_error(Errc::metrics_invalid_value, "sample row: " + problem));
  }
  return {};
}

std::string infer_node_id(std::string_view path, std::string_view explicit_id) {
  if (!is_blank(explicit_id)) return std::string(explicit_id);
  namespace fs = std::filesystem;
  const fs::path p{std::string(path)};
  const std::string parent = p.parent_path().filename().string();
  if (!parent.empty() && parent != "." && parent != ".." && parent != "/") return parent;
  std::string stem = p.stem().string();
  if (!stem.empty() && stem != "." && stem != "..") return stem;
  return "unknown";
}

// ---------------------------------------------------------------- JsonlWriter

namespace {

// How much of an existing file open() reads: the first non-blank line (the
// header) within kHeadLimit bytes, and the last kTailWindow bytes. Rows are
// well under 1 KiB; a last line longer than the window is refused.
constexpr std::size_t kHeadLimit = 1 << 20;
constexpr std::size_t kTailWindow = 64 * 1024;

// pread() of [off, off + len) (the O_APPEND offset is unused), short only at
// the end of the file.
Res<std::string> read_range(int fd, const std::string& path, off_t off, std::size_t len) {
  std::string out(len, '\0');
  std::size_t got = 0;
  while (got < len) {
    const ssize_t n =
        platform::read_at(fd, out.data() + got, len - got, off + static_cast<off_t>(got));
    if (n < 0) {
      const int err = static_cast<int>(-n);
      return unexpected(
          make_error(Errc::metrics_io_failed, "cannot read metrics file '" + path + "'", err));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

// Names the first header field that differs, or "" if none.
std::string header_difference(const Json& existing, const Json& requested) {
  for (const char* key : kHeaderKeys) {
    Json a = existing.contains(key) ? existing[key] : Json();
    Json b = requested.contains(key) ? requested[key] : Json();
    if (a != b) {
      return std::string(key) + " is " + excerpt(dump(a), 200) + " in the file but " +
             excerpt(dump(b), 200) + " was requested";
    }
  }
  return {};
}

// Why `line` is not the requested header, or "".
std::string header_mismatch(std::string_view line, const Json& requested) {
  std::string perr;
  auto j = parse_json(line, &perr);
  if (!j) {
    return "not an mctx metrics file header (not valid JSON: " + perr +
           "); refusing to append to a file without a valid header";
  }
  if (std::string problem = header_problem(*j); !problem.empty()) {
    return "not an mctx metrics file header (" + problem +
           "); refusing to append to a file without a valid header";
  }
  if (std::string diff = header_difference(*j, requested); !diff.empty()) {
    return "the existing header does not match the requested one: " + diff + "; use another file";
  }
  return {};
}

// Why `line` is not a sample row that may follow the header, or "".
std::string later_line_problem(std::string_view line) {
  std::string perr;
  auto j = parse_json(line, &perr);
  if (!j) return "not valid JSON: " + perr;
  if (j->is_object() && j->contains("schema")) {
    return "a second header; a file holds exactly one header";
  }
  if (std::string problem = row_problem(*j); !problem.empty()) {
    return "not a valid sample row: " + problem;
  }
  return {};
}

// What open() found in an existing file.
struct Existing {
  std::string header_line;  // "" when the file holds no non-blank line
  // An unterminated last line: `cut_to` >= 0 cuts the file there (a torn
  // row), `add_newline` completes a whole last line.
  off_t cut_to = -1;
  bool add_newline = false;
  std::string repaired;  // what was done, for JsonlWriter::repaired()
};

// Reads the header and the end of the file (never the middle) and checks
// them. Lines between are not read.
Res<Existing> check_existing(int fd, const std::string& path, off_t size,
                             const Json& requested) {
  Existing ex;
  // "line N" when the whole file was read, else "the last line".
  auto bad = [&](std::string_view where, const std::string& why) {
    return unexpected(make_error(Errc::metrics_bad_header, "metrics file '" + path + "' " +
                                                                std::string(where) + ": " + why));
  };
  auto line_name = [](std::size_t no) { return "line " + std::to_string(no); };

  // ---- the head: the first non-blank line, read in kTailWindow steps.
  std::string h;
  std::size_t pos = 0, line_no = 0, header_start = 0, header_end = std::string::npos;
  bool whole = false;  // h holds the whole file
  for (;;) {
    const std::size_t want = static_cast<std::size_t>(
        std::min<off_t>(size - static_cast<off_t>(h.size()), static_cast<off_t>(kTailWindow)));
    auto more = read_range(fd, path, static_cast<off_t>(h.size()), want);
    if (!more) return unexpected(std::move(more).error());
    h += more.value();
    whole = h.size() >= static_cast<std::size_t>(size);
    while (pos < h.size()) {
      std::size_t nl = h.find('\n', pos);
      const bool terminated = nl != std::string::npos;
      if (!terminated) nl = h.size();
      if (!is_blank(std::string_view(h).substr(pos, nl - pos))) {
        if (!terminated && !whole) break;  // the line goes on after what was read
        ++line_no;
        header_start = pos;
        header_end = nl;  // == h.size() when unterminated
        break;
      }
      if (!terminated) break;  // blank to the end of what was read
      ++line_no;
      pos = nl + 1;
    }
    if (header_end != std::string::npos || whole || more.value().empty()) break;
    if (h.size() >= kHeadLimit) {
      return bad(line_name(line_no + 1), "the first line is longer than " +
                                             std::to_string(kHeadLimit) +
                                             " bytes: not an mctx metrics file header");
    }
  }
  if (header_end == std::string::npos) {  // blank lines only (or empty)
    // The header goes after them on a line of its own.
    if (size > 0 && h.back() != '\n') ex.add_newline = true;
    return ex;
  }
  const std::string_view header_text =
      std::string_view(h).substr(header_start, header_end - header_start);
  if (std::string why = header_mismatch(header_text, requested); !why.empty()) {
    return bad(line_name(line_no), why);
  }
  ex.header_line = std::string(header_text);
  const off_t after_header = static_cast<off_t>(header_end);  // its newline, or the end
  if (after_header == size) {
    // The header is the whole file, without its newline: complete it.
    ex.add_newline = true;
    ex.repaired = "added the missing newline after the header";
    return ex;
  }

  // ---- the tail: the last line and whether it is complete.
  const off_t tail_from = std::max<off_t>(after_header + 1, size - static_cast<off_t>(kTailWindow));
  auto tail = read_range(fd, path, tail_from, static_cast<std::size_t>(size - tail_from));
  if (!tail) return unexpected(std::move(tail).error());
  std::string_view t = tail.value();
  const bool from_header = tail_from == after_header + 1;  // everything after the header
  // Line numbers are known when the whole file was read.
  auto where = [&](std::size_t offset_in_tail) -> std::string {
    if (!whole) return "last line";
    const auto upto = h.begin() + static_cast<std::ptrdiff_t>(tail_from) +
                      static_cast<std::ptrdiff_t>(offset_in_tail);
    return line_name(1 + static_cast<std::size_t>(std::count(h.begin(), upto, '\n')));
  };
  if (!t.empty() && t.back() != '\n') {
    const std::size_t last_nl = t.rfind('\n');
    if (last_nl == std::string_view::npos && !from_header) {
      return bad("last line", "longer than " + std::to_string(kTailWindow) +
                                  " bytes without a newline: not a sample row");
    }
    const std::size_t start = last_nl == std::string_view::npos ? 0 : last_nl + 1;
    const std::string_view torn = t.substr(start);
    if (!is_blank(torn) && later_line_problem(torn).empty()) {
      ex.add_newline = true;
      ex.repaired = "added the missing newline after the last row";
      return ex;  // that row is the last line, and it was just checked
    } else {
      ex.cut_to = tail_from + static_cast<off_t>(start);
      ex.repaired = "removed an incomplete last line of " + std::to_string(torn.size()) +
                    " bytes (an interrupted write): " + excerpt(torn, 60);
      t = t.substr(0, start);
    }
  }
  // The last complete line after the header must be a sample row.
  std::size_t end = t.size();
  while (end > 0) {
    const std::size_t nl_before = end >= 2 ? t.rfind('\n', end - 2) : std::string_view::npos;
    const std::size_t start = nl_before == std::string_view::npos ? 0 : nl_before + 1;
    if (nl_before == std::string_view::npos && !from_header) {
      return bad("last line", "longer than " + std::to_string(kTailWindow) +
                                  " bytes: not a sample row");
    }
    const std::string_view line = t.substr(start, end - 1 - start);
    if (!is_blank(line)) {
      if (std::string why = later_line_problem(line); !why.empty()) return bad(where(start), why);
      break;
    }
    end = start;
  }
  return ex;
}

}  // namespace

Res<JsonlWriter> JsonlWriter::open(const std::string& path, const JsonlHeader& header) {
  // 1. The requested header.
  if (path.empty()) {
    return unexpected(make_error(Errc::metrics_invalid_value, "metrics file path is empty"));
  }
  if (header.created_at && !std::isfinite(unix_seconds(*header.created_at))) {
    return unexpected(make_error(Errc::metrics_invalid_value, "created_at is not finite"));
  }
  const std::string line = jsonl_header_line(header);
  Json requested = Json::parse(line, nullptr, false);
  if (std::string problem = header_problem(requested); !problem.empty()) {
    return unexpected(
        make_error(Errc::metrics_invalid_value,
                   "requested JSONL header for '" + path + "' is invalid: " + problem));
  }

  // 2. Open and lock.
  auto opened = platform::open_append(path);
  if (!opened) {
    return unexpected(make_error(Errc::metrics_io_failed,
                                 "cannot open metrics file '" + path + "'", opened.error()));
  }
  const int fd = *opened;
  auto st = platform::file_status(fd);
  if (!st || !st->regular) {
    const int err = st ? 0 : st.error();
    platform::close_fd(fd);
    return unexpected(make_error(Errc::metrics_io_failed,
                                 "metrics file '" + path + "' is not a regular file", err));
  }
  if (int err = platform::lock_exclusive(fd); err != 0) {
    platform::close_fd(fd);
    if (err == EWOULDBLOCK) {
      return unexpected(
          make_error(Errc::metrics_locked, "metrics file '" + path +
                                               "' is locked by another writer (flock); two writers "
                                               "would interleave rows, so use another file"));
    }
    return unexpected(
        make_error(Errc::metrics_io_failed, "cannot lock metrics file '" + path + "'", err));
  }

  JsonlWriter w(fd, path, {});

  // 3. Existing content (its header and its end), or a new header.
  Res<Existing> existing = [&]() -> Res<Existing> {
    try {
      return check_existing(fd, path, static_cast<off_t>(st->size), requested);
    } catch (const std::exception& e) {
      return unexpected(
          make_error(Errc::metrics_bad_header, "metrics file '" + path + "': " + e.what()));
    }
  }();
  if (!existing) return unexpected(std::move(existing).error());
  Existing& ex = existing.value();
  if (int err = ex.cut_to >= 0 ? platform::truncate_to(fd, ex.cut_to) : 0; err != 0) {
    return unexpected(make_error(Errc::metrics_io_failed,
                                 "cannot cut the incomplete last line off metrics file '" + path +
                                     "'",
                                 err));
  }
  if (ex.add_newline) {
    if (auto r = w.write_all("\n"); !r) return unexpected(std::move(r.error()));
  }
  w.repaired_ = std::move(ex.repaired);
  if (ex.header_line.empty()) {
    if (auto r = w.append_line(line); !r) return unexpected(std::move(r.error()));
    w.header_line_ = line;
  } else {
    w.header_line_ = std::move(ex.header_line);
  }
  return w;
}

JsonlWriter::JsonlWriter(JsonlWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      header_line_(std::move(other.header_line_)),
      repaired_(std::move(other.repaired_)) {}

JsonlWriter& JsonlWriter::operator=(JsonlWriter&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    header_line_ = std::move(other.header_line_);
    repaired_ = std::move(other.repaired_);
  }
  return *this;
}

JsonlWriter::~JsonlWriter() { close(); }

void JsonlWriter::close() noexcept {
  if (fd_ >= 0) {
    platform::close_fd(fd_);  // releases the flock with the last descriptor
    fd_ = -1;
  }
}

Res<void> JsonlWriter::write_all(std::string_view text) {
  if (fd_ < 0) {
    return unexpected(
        make_error(Errc::metrics_io_failed, "metrics file '" + path_ + "' is closed"));
  }
  // One write(2) per row. A regular file only writes short when the disk or
  // a quota or RLIMIT_FSIZE is full; the rest is then tried so the line
  // stays whole if possible.
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = platform::write_some(fd_, p, left);
    if (n < 0) {
      const int err = static_cast<int>(-n);
      const std::size_t written = text.size() - left;
      std::string what = "cannot write to metrics file '" + path_ + "'";
      if (written > 0) {
        // O_APPEND and the lock: the partial row is at the end of the file.
        // Cut it off, so the file still ends with its last complete row.
        auto st = platform::file_status(fd_);
        const auto w = static_cast<int64_t>(written);
        if (st && st->size >= w && platform::truncate_to(fd_, st->size - w) == 0) {
          what += " (the " + std::to_string(written) +
                  " bytes of the row that were written have been cut off again: the file ends "
                  "with its last complete row)";
        } else {
          what += " (" + std::to_string(written) +
                  " bytes of the row were written and could not be cut off: the next open "
                  "removes them)";
        }
      } else {
        what += " (nothing of the row was written)";
      }
      return unexpected(make_error(Errc::metrics_io_failed, std::move(what), err));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return {};
}

Res<void> JsonlWriter::append_line(std::string line) {
  line.push_back('\n');
  return write_all(line);
}

Res<void> JsonlWriter::sync() {
  if (fd_ < 0) {
    return unexpected(
        make_error(Errc::metrics_io_failed, "metrics file '" + path_ + "' is closed"));
  }
  if (int err = platform::sync_data(fd_); err != 0) {
    return unexpected(
        make_error(Errc::metrics_io_failed, "cannot sync metrics file '" + path_ + "'", err));
  }
  return {};
}

Res<void> JsonlWriter::write(const Delta& delta) { return write_interval(delta, {}); }

Res<void> JsonlWriter::write_interval(const Delta& totals,
                                      std::span<const DestinationDelta> destinations) {
  std::string text;
  try {
    for (const DestinationDelta& d : destinations) {
      if (is_blank(d.destination) || d.destination == kJsonlTotalsDestination) {
        return unexpected(make_error(Errc::metrics_invalid_value,
                                     "destination '" + d.destination + "' for '" + path_ +
                                         "': a destination row needs a name other than \"" +
                                         std::string(kJsonlTotalsDestination) + "\""));
      }
      // One interval, one ts: the totals row's.
      Delta row = d.delta;
      row.end.wall_time = totals.end.wall_time;
      text += jsonl_sample_row(row, d.destination);
      text += '\n';
    }
    text += jsonl_sample_row(totals);
    text += '\n';
  } catch (const std::exception& e) {
    return unexpected(make_error(Errc::metrics_io_failed,
                                 "cannot format a row for '" + path_ + "': " + e.what()));
  }
  return write_all(text);
}

Res<void> JsonlWriter::write_row(std::string_view row_json) {
  if (auto r = validate_jsonl_row(row_json); !r) return r;
  // Store compactly (one line) whatever whitespace the caller used.
  auto j = parse_json(row_json, nullptr);
  return append_line(dump(*j));
}

// ---------------------------------------------------------------- JsonlRecorder

JsonlRecorder::JsonlRecorder(JsonlWriter writer) : writer_(std::move(writer)) {
  last_end_.wall_time = std::chrono::system_clock::now();
  last_end_.monotonic_time = std::chrono::steady_clock::now();
  (void)totals_.sample(last_end_);  // the first interval starts now, at 0
}

Res<void> JsonlRecorder::record(const Snapshot& totals,
                                std::span<const DestinationSnapshot> destinations) {
  std::vector<DestinationDelta> rows;
  std::unordered_map<std::string, Sampler> next;
  try {
    std::unordered_map<std::string_view, int> uses;
    for (const auto& d : destinations) uses[d.destination]++;
    rows.reserve(destinations.size());
    for (const auto& d : destinations) {
      Sampler sampler;
      if (auto it = destinations_.find(d.key); it != destinations_.end()) {
        sampler = it->second;
      } else {
        Snapshot zero = last_end_;  // added during the interval
        zero.active_publications = 1;
        zero.datagram_overhead = d.snapshot.datagram_overhead;
        (void)sampler.sample(zero);
      }
      if (auto delta = sampler.sample(d.snapshot)) {
        rows.push_back({uses[d.destination] > 1 ? d.destination + " (" + d.key + ")"
                                                : d.destination,
                        *delta});
      }
      next.emplace(d.key, sampler);
    }
  } catch (const std::exception& e) {
    return unexpected(make_error(Errc::metrics_io_failed, "cannot format a row for '" +
                                                              writer_.path() + "': " + e.what()));
  }
  destinations_ = std::move(next);  // removed destinations are forgotten
  const std::optional<Delta> delta = totals_.sample(totals);
  last_end_ = Snapshot{};
  last_end_.wall_time = totals.wall_time;
  last_end_.monotonic_time = totals.monotonic_time;
  if (!delta) return {};
  return writer_.write_interval(*delta, rows);
}

}  // namespace mctx
