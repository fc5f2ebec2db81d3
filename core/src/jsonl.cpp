// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Heimdall JSONL writer. JSON is parsed and produced with nlohmann_json;
// nothing here is on the send path, but no exception leaves this file.

#include "mctx/jsonl.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

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

std::string jsonl_sample_row(const Delta& d) {
  const double interval = std::chrono::duration<double>(d.interval).count();
  OrderedJson r;
  r["ts"] = unix_seconds(d.end.wall_time);
  r["interval_secs"] = interval;
  r["active_publications"] = d.end.active_publications;
  r["publications_added_total"] = d.end.publications_added;
  r["publications_added_delta"] = d.publications_added;
  r["publications_removed_total"] = d.end.publications_removed;
  r["publications_removed_delta"] = d.publications_removed;
  r["send_calls_total"] = d.end.send.send_calls;
  r["send_calls_delta"] = d.send.send_calls;
  r["packets_sent_total"] = d.end.send.packets_sent;
  r["packets_sent_delta"] = d.send.packets_sent;
  r["bytes_sent_total"] = d.end.send.bytes_sent;
  r["bytes_sent_delta"] = d.send.bytes_sent;
  r["send_errors_total"] = d.end.send.send_errors;
  r["send_errors_delta"] = d.send.send_errors;
  r["send_calls_per_sec"] = d.send_calls_per_sec;
  r["packets_per_sec"] = d.packets_per_sec;
  r["bytes_per_sec"] = d.bytes_per_sec;
  r["send_errors_per_sec"] = d.send_errors_per_sec;
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

// Reads the whole file from offset 0 (pread: the O_APPEND offset is unused).
Res<std::string> read_all(int fd, const std::string& path) {
  std::string out;
  char buf[65536];
  off_t off = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      return unexpected(
          make_error(Errc::metrics_io_failed, "cannot read metrics file '" + path + "'", err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    off += n;
  }
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

// Checks existing content. Returns the existing header line, "" when the
// file holds no non-blank line.
Res<std::string> check_existing(const std::string& content, const std::string& path,
                                const Json& requested) {
  auto bad = [&](std::size_t line_no, const std::string& why) {
    return unexpected(
        make_error(Errc::metrics_bad_header,
                   "metrics file '" + path + "' line " + std::to_string(line_no) + ": " + why));
  };
  std::string header_line;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  bool have_header = false;
  while (pos < content.size()) {
    std::size_t nl = content.find('\n', pos);
    const bool terminated = nl != std::string::npos;
    if (!terminated) nl = content.size();
    std::string_view line(content.data() + pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (is_blank(line)) continue;
    if (!terminated) {
      return bad(line_no,
                 "last line is not terminated by a newline (an interrupted write?); "
                 "refusing to append after it");
    }
    std::string perr;
    auto j = parse_json(line, &perr);
    if (!have_header) {
      if (!j) {
        return bad(line_no, "not a Heimdall JSONL header (not valid JSON: " + perr +
                                "); refusing to append to a file without a valid header");
      }
      std::string problem = header_problem(*j);
      if (!problem.empty()) {
        return bad(line_no, "not a Heimdall JSONL header (" + problem +
                                "); refusing to append to a file without a valid header");
      }
      std::string diff = header_difference(*j, requested);
      if (!diff.empty()) {
        return bad(line_no, "the existing header does not match the requested one: " + diff +
                                "; use another file");
      }
      header_line = std::string(line);
      have_header = true;
      continue;
    }
    if (!j) return bad(line_no, "not valid JSON: " + perr);
    if (j->is_object() && j->contains("schema")) {
      return bad(line_no, "a second header; a file holds exactly one header");
    }
    std::string problem = row_problem(*j);
    if (!problem.empty()) return bad(line_no, "not a valid sample row: " + problem);
  }
  return header_line;
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
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    return unexpected(
        make_error(Errc::metrics_io_failed, "cannot open metrics file '" + path + "'", err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = errno;
    ::close(fd);
    return unexpected(make_error(Errc::metrics_io_failed,
                                 "metrics file '" + path + "' is not a regular file", err));
  }
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EINTR) continue;
    ::close(fd);
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

  // 3. Existing content, or a new header.
  auto content = read_all(fd, path);
  if (!content) return unexpected(std::move(content).error());
  Res<std::string> existing = [&]() -> Res<std::string> {
    try {
      return check_existing(content.value(), path, requested);
    } catch (const std::exception& e) {
      return unexpected(
          make_error(Errc::metrics_bad_header, "metrics file '" + path + "': " + e.what()));
    }
  }();
  if (!existing) return unexpected(std::move(existing).error());
  if (existing.value().empty()) {
    if (auto r = w.append_line(line); !r) return unexpected(std::move(r.error()));
    w.header_line_ = line;
  } else {
    w.header_line_ = std::move(existing.value());
  }
  return w;
}

JsonlWriter::JsonlWriter(JsonlWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      header_line_(std::move(other.header_line_)) {}

JsonlWriter& JsonlWriter::operator=(JsonlWriter&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    header_line_ = std::move(other.header_line_);
  }
  return *this;
}

JsonlWriter::~JsonlWriter() { close(); }

void JsonlWriter::close() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);  // releases the flock with the last descriptor
    fd_ = -1;
  }
}

Res<void> JsonlWriter::append_line(std::string line) {
  if (fd_ < 0) {
    return unexpected(
        make_error(Errc::metrics_io_failed, "metrics file '" + path_ + "' is closed"));
  }
  line.push_back('\n');
  // One write(2) per row. A regular file only writes short on ENOSPC or a
  // quota limit; the rest is then tried so the line stays whole if possible.
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      return unexpected(
          make_error(Errc::metrics_io_failed, "cannot write to metrics file '" + path_ + "'", err));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return {};
}

Res<void> JsonlWriter::write(const Delta& delta) {
  try {
    return append_line(jsonl_sample_row(delta));
  } catch (const std::exception& e) {
    return unexpected(make_error(Errc::metrics_io_failed,
                                 "cannot format a row for '" + path_ + "': " + e.what()));
  }
}

Res<void> JsonlWriter::write_row(std::string_view row_json) {
  if (auto r = validate_jsonl_row(row_json); !r) return r;
  // Store compactly (one line) whatever whitespace the caller used.
  auto j = parse_json(row_json, nullptr);
  return append_line(dump(*j));
}

}  // namespace mctx
