// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Files in the platform layer: what the JSONL metrics writer needs (open for
// appending, an exclusive advisory lock, append, cut, sync). Only Linux is
// implemented (platform/linux_file.cpp). Every call retries EINTR and
// returns the errno of a failure. Internal header: not installed.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "mctx/result.hpp"

namespace mctx::platform {

// Opens (creating it 0644 if needed) `path` for reading and appending,
// close-on-exec; the descriptor, or errno.
Result<int, int> open_append(const std::string& path) noexcept;

struct FileStatus {
  bool regular = false;  // a regular file
  int64_t size = 0;      // bytes
};
Result<FileStatus, int> file_status(int fd) noexcept;

// flock(LOCK_EX | LOCK_NB): 0, EWOULDBLOCK when another descriptor holds it,
// or another errno.
int lock_exclusive(int fd) noexcept;
// ftruncate: 0 or errno.
int truncate_to(int fd, int64_t size) noexcept;
// One write(2) (EINTR retried): the bytes written, or -errno.
ssize_t write_some(int fd, const void* data, std::size_t size) noexcept;
// One pread(2) at `offset` (EINTR retried): the bytes read (0 at the end),
// or -errno.
ssize_t read_at(int fd, void* data, std::size_t size, int64_t offset) noexcept;
// fdatasync: 0 or errno.
int sync_data(int fd) noexcept;

}  // namespace mctx::platform
