// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The errors of mctxsink's setup (not installed): what fails a start, an
// add or a remove, and the one mapping of them to GStreamer errors and
// element messages (mctxsink-errors.cpp).

#include <gst/gst.h>

#include <string>

#include "mctx/error.hpp"

namespace mctx::gst {

// A setup error: a start, an add or a remove that failed.
struct StartError {
  enum class Kind {
    settings,        // GST_RESOURCE_ERROR_SETTINGS: a value breaks a rule
    open,            // GST_RESOURCE_ERROR_OPEN_WRITE: a system call failed
    not_authorized,  // GST_RESOURCE_ERROR_NOT_AUTHORIZED: missing privilege
    not_supported,   // GST_CORE_ERROR_NOT_IMPLEMENTED: not in this build
  };
  Kind kind = Kind::settings;
  std::string message;  // for users: names the property, the value and the rule
  std::string debug;    // for developers: error code, errno
};

// Converts a core setup error. `property` is the property the value came
// from (nullptr: derive it from the error code); the message is prefixed with
// "<property>: " unless it already names the property.
StartError start_error_from(const mctx::Error& error, const char* property = nullptr);

// The property a PublicationConfig / adopt() error code is about, or nullptr.
const char* property_for(mctx::Errc code) noexcept;

// Posts `e` on `element` as a GST_MESSAGE_ERROR (a failed start) or a
// GST_MESSAGE_WARNING (a failed add or remove), with the GError domain and
// code of its kind (the list above), and logs it.
void post_start_error(GstElement* element, GstMessageType type, const StartError& e);

}  // namespace mctx::gst
