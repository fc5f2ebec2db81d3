// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The allocation hooks of alloc_counter.hpp: replacements of the global
// operator new/delete and, in plain builds, of malloc/calloc/realloc/free.
// Include this file in exactly ONE source file of a test binary that counts
// allocations (it defines functions; a second copy does not link), and in
// no other binary.

#include <cstdlib>
#include <new>

#include "alloc_counter.hpp"

#ifndef MCTX_SANITIZED_MALLOC
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
}
#endif

void* operator new(std::size_t n) { return mctx::test::detail::counted_new(n); }
void* operator new[](std::size_t n) { return mctx::test::detail::counted_new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return mctx::test::detail::counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return mctx::test::detail::counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t a) {
  return mctx::test::detail::counted_new_aligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return mctx::test::detail::counted_new_aligned(n, a);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return mctx::test::detail::counted_new_aligned(n, a);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return mctx::test::detail::counted_new_aligned(n, a);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

#ifndef MCTX_SANITIZED_MALLOC
// glibc supports replacing malloc: these four are the required set; the other
// allocation functions stay glibc's and free through here is still glibc's.
extern "C" {
void* malloc(std::size_t n) {
  mctx::test::detail::record_malloc();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  mctx::test::detail::record_malloc();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  mctx::test::detail::record_malloc();
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
}
#endif
