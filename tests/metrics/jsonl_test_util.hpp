// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Helpers of the JSONL writer tests (test_jsonl*.cpp): a temporary
// directory, files as text, a reference header and row, and the record of
// write(2) calls (jsonl_write_record.cpp interposes write for the program).

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mctx/context.hpp"
#include "mctx/jsonl.hpp"
#include "mctx/metrics.hpp"

namespace mctx::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The sizes of the write(2) calls made while recording() is on.
std::vector<std::size_t>& write_calls();
bool& recording();

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mctx-jsonl-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_file(const fs::path& p, const std::string& content) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << content;
}

inline std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

// A writer opened on p (with test_header()); a refusal throws with its message.
mctx::JsonlWriter opened_writer(const fs::path& p);

inline mctx::JsonlHeader test_header(std::string node = "sender-0001") {
  mctx::JsonlHeader h;
  h.node_id = std::move(node);
  h.producer = "mctx/test";
  h.created_at =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'779'999'999'123));
  h.flags.set("transport", "udp-multicast").set("role", "sender").set("multicast_port", 5000);
  return h;
}

inline mctx::Delta test_delta(uint64_t packets_total = 100, uint64_t packets_delta = 10) {
  mctx::Snapshot a, b;
  a.monotonic_time = std::chrono::steady_clock::time_point(10s);
  b.monotonic_time = std::chrono::steady_clock::time_point(11s);
  b.wall_time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'779'999'999'456));
  a.publications_added = 1;
  b.publications_added = 1;
  b.active_publications = 1;
  a.send.send_calls = a.send.packets_sent = packets_total - packets_delta;
  a.send.bytes_sent = 640 * (packets_total - packets_delta);
  b.send.send_calls = b.send.packets_sent = packets_total;
  b.send.bytes_sent = 640 * packets_total;
  return mctx::make_delta(a, b);
}

inline mctx::JsonlWriter opened_writer(const fs::path& p) {
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  if (!w) throw std::runtime_error("JsonlWriter::open refused: " + w.error().what());
  return std::move(w).value();
}

}  // namespace mctx::test
