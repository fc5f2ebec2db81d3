// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "alloc_counter.hpp"

#include <execinfo.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#ifdef MCTX_SANITIZED_MALLOC
// From <sanitizer/allocator_interface.h> (compiler-rt; GCC does not install
// that header, its sanitizer runtimes export the function all the same).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             std::size_t),
                                                         void (*free_hook)(const volatile void*));
#endif

namespace mctx::test {

namespace {

constexpr int kMaxFrames = 48;

std::atomic<uint64_t> g_new_calls{0};
std::atomic<uint64_t> g_malloc_calls{0};
thread_local bool t_counting = false;  // constant-initialised: no TLS wrapper, no allocation
void* g_first_frames[kMaxFrames];
int g_first_frame_count = 0;

void record(std::atomic<uint64_t>& counter) noexcept {
  if (!t_counting) return;
  t_counting = false;  // backtrace() must not count (or recurse)
  if (g_new_calls.load() + g_malloc_calls.load() == 0) {
    g_first_frame_count = ::backtrace(g_first_frames, kMaxFrames);
  }
  counter.fetch_add(1);
  t_counting = true;
}

#ifdef MCTX_SANITIZED_MALLOC
void malloc_hook(const volatile void*, std::size_t) { record(g_malloc_calls); }
void free_hook(const volatile void*) {}
#endif

// Once, before the first count: backtrace() loads its unwinder on first use
// (which allocates), and under a sanitizer the hooks are installed.
void prepare() {
  static const bool done = [] {
    void* frames[4];
    (void)::backtrace(frames, 4);
#ifdef MCTX_SANITIZED_MALLOC
    __sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
#endif
    return true;
  }();
  (void)done;
}

}  // namespace

namespace detail {

void* counted_new(std::size_t n) {
  record(g_new_calls);
  void* p = std::malloc(n != 0 ? n : 1);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* counted_new_aligned(std::size_t n, std::align_val_t al) {
  record(g_new_calls);
  const auto a = static_cast<std::size_t>(al);
  void* p = nullptr;
  if (::posix_memalign(&p, a < sizeof(void*) ? sizeof(void*) : a, n != 0 ? n : 1) != 0) {
    throw std::bad_alloc();
  }
  return p;
}

void record_malloc() noexcept { record(g_malloc_calls); }

}  // namespace detail

AllocationScope::AllocationScope() {
  prepare();
  g_new_calls = 0;
  g_malloc_calls = 0;
  g_first_frame_count = 0;
  t_counting = true;
}

AllocationScope::~AllocationScope() { t_counting = false; }

uint64_t AllocationScope::stop() {
  t_counting = false;
  return g_new_calls.load() + g_malloc_calls.load();
}

AllocationCounts allocation_counts() {
  return AllocationCounts{g_new_calls.load(), g_malloc_calls.load(), g_first_frame_count};
}

std::string allocation_report() {
  std::string out = std::to_string(g_new_calls.load()) + " operator new + " +
                    std::to_string(g_malloc_calls.load()) + " malloc/calloc/realloc";
  if (g_first_frame_count > 0) {
    out += "; first allocation at:\n";
    char** names = ::backtrace_symbols(g_first_frames, g_first_frame_count);
    for (int i = 0; i < g_first_frame_count; ++i) {
      char addr[32];
      std::snprintf(addr, sizeof addr, "%p", g_first_frames[i]);
      out += "  #" + std::to_string(i) + " " + (names ? names[i] : addr) + "\n";
    }
    std::free(names);
    out += "(resolve with: addr2line -Cfpe <binary or library> <offset>)";
  }
  return out;
}

}  // namespace mctx::test
