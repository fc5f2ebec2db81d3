// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// libFuzzer target for the JSONL reader: what JsonlWriter::open() reads from
// an existing metrics file (its header and its end), the header and row
// validators, and JsonlFlags::parse (MCTX_METRICS_FLAGS_JSON).
//
// The input is the file's content, written to an in-memory file (memfd)
// opened through /proc/self/fd. Besides memory safety and "no exception
// escapes", it checks the writer's promise: when open() accepts a file, a
// row can be appended and the result opens again, unrepaired, ending with
// that row.

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "mctx/jsonl.hpp"

namespace {

[[noreturn]] void fail() { __builtin_trap(); }

// The header every seed file carries (tests/fuzz/make_corpus.py writes the
// same one).
mctx::JsonlHeader fuzz_header() {
  mctx::JsonlHeader h;
  h.node_id = "fuzz-node";
  h.producer = "mctx/fuzz";
  h.created_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000));
  h.flags.set("role", "sender").set("multicast_port", 5000);
  return h;
}

mctx::Delta fuzz_delta() {
  mctx::Snapshot a, b;
  b.monotonic_time = a.monotonic_time + std::chrono::seconds(1);
  b.send.packets_sent = 7;
  return mctx::make_delta(a, b);
}

int memfd() {
  static const int fd = ::memfd_create("mctx-fuzz-jsonl", MFD_CLOEXEC);
  return fd;
}

bool store(std::string_view content) {
  const int fd = memfd();
  if (fd < 0 || ::ftruncate(fd, 0) != 0) return false;
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::pwrite(fd, content.data() + off, content.size() - off, static_cast<off_t>(off));
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

extern "C" int mctx_fuzz_accepts(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // The validators on the raw text (one line, or anything).
  if (auto h = mctx::validate_jsonl_header(text); !h && h.error().message.empty()) fail();
  if (auto r = mctx::validate_jsonl_row(text); !r && r.error().message.empty()) fail();
  if (auto f = mctx::JsonlFlags::parse(text, "MCTX_METRICS_FLAGS_JSON")) {
    auto again = mctx::JsonlFlags::parse(f->json());
    if (!again || !(*again == *f)) fail();
  } else if (f.error().message.empty()) {
    fail();
  }

  // The file reader.
  if (!store(text)) return 0;
  const std::string path = "/proc/self/fd/" + std::to_string(memfd());
  const mctx::JsonlHeader header = fuzz_header();
  auto w = mctx::JsonlWriter::open(path, header);
  if (!w) {
    if (w.error().message.empty()) fail();
    return 0;
  }
  if (!w->write(fuzz_delta())) fail();
  { auto closed = std::move(w.value()); }
  auto again = mctx::JsonlWriter::open(path, header);
  if (!again || !again->repaired().empty()) fail();
  return 1;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  (void)mctx_fuzz_accepts(data, size);
  return 0;
}
