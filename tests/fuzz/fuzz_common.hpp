// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Each fuzz target (fuzz_*.cpp) defines, besides LLVMFuzzerTestOneInput,
//   mctx_fuzz_accepts(data, size): runs the same checks (a broken invariant
//   traps) and returns 1 when the parser accepted the input, 0 when it
//   refused it with a message.
// corpus_main.cpp runs it over every file of a seed corpus in builds
// without libFuzzer: a file named "ok--WHAT" must be accepted, one named
// "bad--WHAT" refused.

#include <cstddef>
#include <cstdint>

extern "C" int mctx_fuzz_accepts(const uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size);
