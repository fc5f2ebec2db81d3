// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Runs the raw datagram validator over every file of the fuzz seed corpus
// ($MCTX_RAW_CORPUS, tests/raw/corpus/), so builds without libFuzzer
// exercise it too. A file named "ok--*.bin" must be valid; one named
// "<errc_name>--*.bin" must be rejected with that code. Every file is also
// checked gathered from two buffers at every split point, and against both
// configured families.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "mctx/mctx.hpp"

namespace mctx {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> corpus_files() {
  std::vector<fs::path> out;
  const char* dir = std::getenv("MCTX_RAW_CORPUS");
  if (dir == nullptr) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".bin") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(RawCorpus, EveryFileGetsTheAnswerItsNameAnnounces) {
  const auto files = corpus_files();
  ASSERT_GE(files.size(), 20u) << "MCTX_RAW_CORPUS must point at tests/raw/corpus";
  int valid = 0, invalid = 0;
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    SCOPED_TRACE(name);
    const auto sep = name.find("--");
    ASSERT_NE(sep, std::string::npos) << "corpus files are named EXPECTED--WHAT.bin";
    const std::string expected = name.substr(0, sep);
    // Exactly the file's bytes on the heap, so sanitizers see any over-read.
    const auto data = read_file(path);
    auto heap = std::make_unique<uint8_t[]>(data.size() + 1);
    std::copy(data.begin(), data.end(), heap.get());
    const auto span = std::as_bytes(std::span<const uint8_t>(heap.get(), data.size()));

    auto r = validate_raw_datagram(span);
    if (expected == "ok") {
      ++valid;
      ASSERT_TRUE(r.has_value()) << r.error().message();
      EXPECT_EQ(r->size, data.size());
      EXPECT_TRUE(r->destination.is_multicast());
      EXPECT_FALSE(r->source.is_unspecified());
      EXPECT_TRUE(validate_raw_datagram(span, r->family).has_value());
      auto other =
          validate_raw_datagram(span, r->family == Family::ipv4 ? Family::ipv6 : Family::ipv4);
      ASSERT_FALSE(other.has_value());
      EXPECT_EQ(other.error().code, Errc::raw_family_mismatch);
    } else {
      ++invalid;
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(errc_name(r.error().code), expected) << r.error().message();
      EXPECT_FALSE(r.error().message().empty());
    }

    for (std::size_t cut = 0; cut <= data.size(); ++cut) {
      iovec iov[2] = {{heap.get(), cut}, {heap.get() + cut, data.size() - cut}};
      auto parts = validate_raw_datagram(iov, 2);
      ASSERT_EQ(parts.has_value(), r.has_value()) << "split at " << cut;
      if (!r) {
        EXPECT_EQ(parts.error().code, r.error().code);
      }
    }
  }
  EXPECT_GT(valid, 5);
  EXPECT_GT(invalid, 10);
}

}  // namespace
}  // namespace mctx
