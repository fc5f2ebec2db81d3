// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Files on Linux (see platform/file.hpp).

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "platform/file.hpp"

namespace mctx::platform {

Result<int, int> open_append(const std::string& path) noexcept {
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) return fd;
    if (errno != EINTR) return unexpected(errno);
  }
}

Result<FileStatus, int> file_status(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return unexpected(errno);
  return FileStatus{S_ISREG(st.st_mode), static_cast<int64_t>(st.st_size)};
}

int lock_exclusive(int fd) noexcept {
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

int truncate_to(int fd, int64_t size) noexcept {
  while (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

ssize_t write_some(int fd, const void* data, std::size_t size) noexcept {
  for (;;) {
    const ssize_t n = ::write(fd, data, size);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

ssize_t read_at(int fd, void* data, std::size_t size, int64_t offset) noexcept {
  for (;;) {
    const ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

int sync_data(int fd) noexcept {
  while (::fdatasync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

}  // namespace mctx::platform
