// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// GoogleTest checks of mctx results. Header only: the support library
// itself does not link GoogleTest.

#include <gtest/gtest.h>

#include <string>

#include "mctx/error.hpp"

namespace mctx::test {

// r is a refusal with `code` and exactly `message`.
template <class T>
void expect_error(const Res<T>& r, Errc code, const std::string& message) {
  ASSERT_FALSE(r) << "expected " << errc_name(code) << ": " << message;
  EXPECT_EQ(r.error().code, code) << errc_name(r.error().code) << ": " << r.error().message;
  EXPECT_EQ(r.error().message, message);
}

}  // namespace mctx::test
