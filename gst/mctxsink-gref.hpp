// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// A strong reference to a GObject, for mctxsink (not installed).

#include <glib-object.h>

#include <utility>

namespace mctx::gst {

// A strong reference to a GObject (g_object_ref / g_object_unref).
template <class T>
class GRef {
 public:
  GRef() noexcept = default;
  // Takes over a reference the caller owns.
  static GRef adopt(T* p) noexcept { GRef r; r.p_ = p; return r; }
  // Adds a reference.
  static GRef ref(T* p) noexcept {
    GRef r;
    r.p_ = p ? static_cast<T*>(g_object_ref(p)) : nullptr;
    return r;
  }
  GRef(const GRef& o) noexcept : p_(o.p_ ? static_cast<T*>(g_object_ref(o.p_)) : nullptr) {}
  GRef(GRef&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  GRef& operator=(GRef o) noexcept { std::swap(p_, o.p_); return *this; }
  ~GRef() { if (p_) g_object_unref(p_); }

  T* get() const noexcept { return p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  void reset() noexcept { GRef().swap(*this); }
  void swap(GRef& o) noexcept { std::swap(p_, o.p_); }

 private:
  T* p_ = nullptr;
};

}  // namespace mctx::gst
