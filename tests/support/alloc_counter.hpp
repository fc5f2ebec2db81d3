// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Heap allocation counting for the zero-allocation tests.
//
// A test binary that counts includes "alloc_counter_hooks.hpp" in exactly
// one of its source files: that replaces the global operator new/delete
// (every variant) and, in plain builds, interposes malloc/calloc/realloc/
// free (forwarding to glibc's __libc_* functions). Under AddressSanitizer or
// ThreadSanitizer, whose runtimes own malloc, counting goes through
// __sanitizer_install_malloc_and_free_hooks instead. (The hooks cannot live
// in the test-support library: every binary that links it would get them.)
//
// Counting is on only for the calling thread while an AllocationScope is
// counting. The first allocation seen records its backtrace, which
// allocation_report() prints.

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MCTX_SANITIZED_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define MCTX_SANITIZED_MALLOC 1
#endif
#endif

namespace mctx::test {

// Counts the allocations the calling thread makes from construction until
// stop() or destruction. The counters restart at zero for each scope.
class AllocationScope {
 public:
  AllocationScope();
  ~AllocationScope();
  AllocationScope(const AllocationScope&) = delete;
  AllocationScope& operator=(const AllocationScope&) = delete;

  // Stops counting; returns the number of allocations seen (operator new
  // and malloc/calloc/realloc calls; a `new` that reaches malloc counts
  // twice).
  uint64_t stop();
};

// The counters of the current (or last) scope.
struct AllocationCounts {
  uint64_t new_calls = 0;     // operator new, every variant
  uint64_t malloc_calls = 0;  // malloc / calloc / realloc
  int first_frames = 0;       // frames of the first allocation's backtrace
};
AllocationCounts allocation_counts();

// "N operator new + M malloc/calloc/realloc; first allocation at:\n<frames>"
// for failure messages.
std::string allocation_report();

namespace detail {
// For alloc_counter_hooks.hpp only.
void* counted_new(std::size_t n);
void* counted_new_aligned(std::size_t n, std::align_val_t al);
void record_malloc() noexcept;
}  // namespace detail

}  // namespace mctx::test
