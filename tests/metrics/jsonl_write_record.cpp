// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Interposes write(2) for the whole test program (the executable's symbol
// wins over libc's for calls from libmctx-core.so) and records the sizes of
// the calls made while recording() is on.

#include <sys/syscall.h>
#include <unistd.h>

#include "jsonl_test_util.hpp"

namespace mctx::test {

std::vector<std::size_t>& write_calls() {
  static std::vector<std::size_t> calls;
  return calls;
}

bool& recording() {
  static bool on = false;
  return on;
}

}  // namespace mctx::test

extern "C" ssize_t write(int fd, const void* buf, size_t count) {
  if (mctx::test::recording()) mctx::test::write_calls().push_back(count);
  return ::syscall(SYS_write, fd, buf, count);
}
