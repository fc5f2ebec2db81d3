// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// MCTX_API marks the public API of libmctx-core: the library is compiled with
// hidden symbol visibility (-fvisibility=hidden -fvisibility-inlines-hidden),
// so only what carries MCTX_API is exported from libmctx-core.so. Put it on
// every class and free function declared in a public header whose definition
// lives in the library:
//
//   class MCTX_API Publication { ... };
//   MCTX_API const char* errc_name(Errc code) noexcept;
//
// Inline functions, templates and constexpr values need no mark. Anything not
// declared in core/include/mctx/ (the platform layer, internal helpers, the
// test seam) stays unexported; the tests and the benchmarks that need those
// link the internal static library instead. See docs/design.md, "ABI".

#if !defined(_MSC_VER) && __cplusplus < 202002L
#error "libmctx-core needs C++20: compile with -std=c++20 (or newer)"
#endif

#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(MCTX_BUILDING_CORE)
#define MCTX_API __declspec(dllexport)
#elif defined(MCTX_STATIC)
#define MCTX_API
#else
#define MCTX_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define MCTX_API __attribute__((visibility("default")))
#else
#define MCTX_API
#endif
