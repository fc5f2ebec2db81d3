// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Replays a fuzz target's seed corpus without libFuzzer (see fuzz_common.hpp):
//   fuzz-corpus-NAME DIR
// Every file goes through the target's checks (exactly its bytes on the
// heap, so sanitizers see an over-read); "ok--*" files must be accepted,
// "bad--*" files refused. Prints one line per file; exit 1 on a mismatch.

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_common.hpp"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(argv[1])) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  int bad = 0, ok = 0, refused = 0;
  for (const auto& p : files) {
    std::ifstream f(p, std::ios::binary);
    const std::vector<char> data{std::istreambuf_iterator<char>(f),
                                 std::istreambuf_iterator<char>()};
    auto heap = std::make_unique<uint8_t[]>(data.size() + 1);
    std::memcpy(heap.get(), data.data(), data.size());
    const std::string name = p.filename().string();
    const int accepted = mctx_fuzz_accepts(heap.get(), data.size());
    (void)LLVMFuzzerTestOneInput(heap.get(), data.size());
    const bool want_ok = name.rfind("ok--", 0) == 0;
    const bool want_bad = name.rfind("bad--", 0) == 0;
    const bool mismatch = (want_ok && !accepted) || (want_bad && accepted);
    std::printf("%-50s %s%s\n", name.c_str(), accepted ? "accepted" : "refused",
                mismatch ? "  <-- MISMATCH" : "");
    bad += mismatch ? 1 : 0;
    ok += accepted ? 1 : 0;
    refused += accepted ? 0 : 1;
  }
  std::printf("%zu files: %d accepted, %d refused, %d mismatches\n", files.size(), ok, refused,
              bad);
  if (files.size() < 10) {
    std::fprintf(stderr, "too few corpus files in %s\n", argv[1]);
    return 1;
  }
  if (ok == 0 || refused == 0) {
    std::fprintf(stderr, "the corpus must hold both accepted and refused inputs\n");
    return 1;
  }
  return bad == 0 ? 0 : 1;
}
