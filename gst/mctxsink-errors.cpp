// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The errors of mctxsink's setup: see mctxsink-errors.hpp. The texts come
// from the core; this file only says which property a value came from.

#include "mctxsink-errors.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "mctxsink-log.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

namespace mctx::gst {

namespace {

struct PropertyNames {
  const char* property;
  // Spellings that count as "the message already names the property".
  std::array<const char*, 3> aliases;
};

constexpr PropertyNames kPropertyNames[] = {
    {"group", {"group", nullptr, nullptr}},
    {"port", {"port", nullptr, nullptr}},
    {"source-address", {"source-address", "source address", "source"}},
    {"source-port", {"source-port", "source port", nullptr}},
    {"interface", {"interface", nullptr, nullptr}},
    {"ttl", {"ttl", "hop limit", nullptr}},
    {"dscp", {"dscp", nullptr, nullptr}},
    {"buffer-size", {"buffer-size", "buffer size", "send buffer"}},
    {"socket", {"socket", nullptr, nullptr}},
};

bool contains_ci(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

bool names_property(std::string_view message, const char* property) {
  for (const auto& p : kPropertyNames) {
    if (std::strcmp(p.property, property) != 0) continue;
    for (const char* alias : p.aliases) {
      if (alias != nullptr && contains_ci(message, alias)) return true;
    }
    return false;
  }
  return contains_ci(message, property);
}

StartError::Kind kind_for(mctx::Errc code) noexcept {
  using mctx::Errc;
  switch (code) {
    case Errc::socket_create_failed:
    case Errc::bind_failed:
    case Errc::set_option_failed:
    case Errc::connect_failed:
    case Errc::interface_lookup_failed:
      return StartError::Kind::open;
    case Errc::raw_not_permitted:
    case Errc::permission_denied:
      return StartError::Kind::not_authorized;
    case Errc::raw_unsupported_platform:
      return StartError::Kind::not_supported;
    default:
      return StartError::Kind::settings;
  }
}

void kind_to_gerror(StartError::Kind kind, GQuark& domain, gint& code) noexcept {
  switch (kind) {
    case StartError::Kind::settings:
      domain = GST_RESOURCE_ERROR;
      code = GST_RESOURCE_ERROR_SETTINGS;
      return;
    case StartError::Kind::open:
      domain = GST_RESOURCE_ERROR;
      code = GST_RESOURCE_ERROR_OPEN_WRITE;
      return;
    case StartError::Kind::not_authorized:
      domain = GST_RESOURCE_ERROR;
      code = GST_RESOURCE_ERROR_NOT_AUTHORIZED;
      return;
    case StartError::Kind::not_supported:
      domain = GST_CORE_ERROR;
      code = GST_CORE_ERROR_NOT_IMPLEMENTED;
      return;
  }
  domain = GST_RESOURCE_ERROR;
  code = GST_RESOURCE_ERROR_FAILED;
}

}  // namespace

const char* property_for(mctx::Errc code) noexcept {
  using mctx::Errc;
  switch (code) {
    case Errc::destination_port_zero:
      return "port";
    case Errc::group_not_multicast:
    case Errc::scoped_group_needs_interface:
      return "group";
    case Errc::source_port_zero:
      return "source-port";
    case Errc::source_unspecified:
    case Errc::source_multicast:
    case Errc::source_family_mismatch:
    case Errc::source_interface_mismatch:
    case Errc::source_not_local:
    case Errc::bind_family_mismatch:
    case Errc::bind_conflicts_with_source:
      return "source-address";
    case Errc::invalid_interface:
    case Errc::interface_family_mismatch:
    case Errc::interface_unspecified:
    case Errc::interface_multicast:
    case Errc::interface_index_zero:
    case Errc::interface_not_found:
      return "interface";
    case Errc::invalid_ttl:
      return "ttl";
    case Errc::invalid_dscp:
      return "dscp";
    case Errc::invalid_send_buffer_size:
      return "buffer-size";
    case Errc::socket_invalid:
    case Errc::socket_not_datagram:
    case Errc::socket_family_mismatch:
    case Errc::socket_address_mismatch:
    case Errc::socket_port_mismatch:
    case Errc::socket_options_conflict:
      return "socket";
    default:
      return nullptr;
  }
}

StartError start_error_from(const mctx::Error& error, const char* property) {
  StartError out;
  out.kind = kind_for(error.code);
  const char* prop = property != nullptr ? property : property_for(error.code);
  std::string text = error.what();
  if (property == nullptr && error.code == mctx::Errc::source_interface_mismatch &&
      !contains_ci(text, "scoped to")) {
    // Two settings disagree: name both properties.
    text = "source-address and interface disagree: " + text;
  } else if (prop != nullptr && !names_property(text, prop)) {
    text = std::string(prop) + ": " + text;
  }
  // ENETUNREACH: the core's text already says to name the interface.
  out.message = std::move(text);
  out.debug = std::string("mctx error ") + mctx::errc_name(error.code) + " (" +
              std::to_string(static_cast<int>(error.code)) + ")";
  if (error.system_errno != 0) {
    out.debug += ", errno " + std::to_string(error.system_errno) + " (" +
                 g_strerror(error.system_errno) + ")";
  }
  return out;
}

void post_start_error(GstElement* element, GstMessageType type, const StartError& e) {
  GST_WARNING_OBJECT(element, "%s (%s)", e.message.c_str(), e.debug.c_str());
  GQuark domain = 0;
  gint code = 0;
  kind_to_gerror(e.kind, domain, code);
  gst_element_message_full(element, type, domain, code, g_strdup(e.message.c_str()),
                           e.debug.empty() ? nullptr : g_strdup(e.debug.c_str()), __FILE__,
                           GST_FUNCTION, __LINE__);
}

}  // namespace mctx::gst
