// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The mctx:// URI scheme: see mctxsink-uri.hpp. The rules of the values are
// the core's (IpAddress::parse, InterfaceSpec::parse).

#include "mctxsink-uri.hpp"

#include <gst/gst.h>

#include <cctype>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "mctx/address.hpp"

namespace mctx::gst {

namespace {

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

namespace {

constexpr const char* kUriKeys = "source, source-port, interface, ttl, loop, dscp, buffer-size";

bool uri_fail(GError** error, const std::string& text) {
  g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "%s", text.c_str());
  return false;
}

// An integer from min to max (guint64 or gint64, after `out`), in decimal.
template <class T>
bool parse_number(const char* key, const char* value, std::type_identity_t<T> min,
                  std::type_identity_t<T> max, T& out, GError** error) {
  bool ok = value != nullptr && *value != '\0';
  if constexpr (std::is_signed_v<T>) {
    ok = ok && g_ascii_string_to_signed(value, 10, min, max, &out, nullptr);
  } else {
    ok = ok && g_ascii_string_to_unsigned(value, 10, min, max, &out, nullptr);
  }
  if (!ok) {
    return uri_fail(error, std::string("mctx URI: query key '") + key + "' has value " +
                               quote(value ? value : "") + ": expected an integer from " +
                               std::to_string(min) + " to " + std::to_string(max));
  }
  return true;
}

bool parse_bool(const char* key, const char* value, bool& out, GError** error) {
  const std::string v = value ? value : "";
  const std::string lower = [&] {
    std::string l = v;
    for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return l;
  }();
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") {
    out = true;
    return true;
  }
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") {
    out = false;
    return true;
  }
  return uri_fail(error, std::string("mctx URI: query key '") + key + "' has value " + quote(v) +
                             ": expected true or false");
}

bool parse_address_value(const char* key, const char* value, std::string& out, GError** error) {
  if (value == nullptr || *value == '\0') {
    return uri_fail(error, std::string("mctx URI: query key '") + key +
                               "' has an empty value: expected an IPv4 or IPv6 address");
  }
  auto a = mctx::IpAddress::parse(value);
  if (!a) {
    return uri_fail(error, std::string("mctx URI: query key '") + key + "' has value " +
                               quote(value) + ": " + a.error().what());
  }
  out = value;
  return true;
}

// Escapes a query value: keeps unreserved characters and ':' (IPv6), escapes
// the rest ('%' of a scope becomes "%25").
std::string escape_value(const std::string& v) {
  gchar* e = g_uri_escape_string(v.c_str(), ":", FALSE);
  std::string out = e;
  g_free(e);
  return out;
}

}  // namespace

void copy_uri_fields(const Settings& from, Settings& to) {
  to.group = from.group;
  to.port = from.port;
  to.source_address = from.source_address;
  to.source_port = from.source_port;
  to.interface = from.interface;
  to.ttl = from.ttl;
  to.ttl_from = "uri";
  to.loop = from.loop;
  to.dscp = from.dscp;
  to.buffer_size = from.buffer_size;
}

bool parse_uri(const char* uri, Settings& out, GError** error) {
  if (uri == nullptr || *uri == '\0') return uri_fail(error, "mctx URI: the URI is empty");
  const std::string text = uri;
  const std::string where = "mctx URI " + quote(text);

  GError* perr = nullptr;
  GUri* parsed = g_uri_parse(uri, static_cast<GUriFlags>(G_URI_FLAGS_ENCODED_QUERY |
                                                         G_URI_FLAGS_NON_DNS),
                             &perr);
  if (parsed == nullptr) {
    std::string msg = where + " is malformed: " + (perr ? perr->message : "cannot parse") +
                      " (expected mctx://GROUP:PORT?key=value, IPv6 groups in brackets: "
                      "mctx://[ff3e::1]:5004)";
    g_clear_error(&perr);
    return uri_fail(error, msg);
  }
  struct UriUnref {
    GUri* u;
    ~UriUnref() { g_uri_unref(u); }
  } guard{parsed};

  const char* scheme = g_uri_get_scheme(parsed);
  if (scheme == nullptr || g_ascii_strcasecmp(scheme, "mctx") != 0) {
    g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL,
                "%s: scheme '%s' is not supported, use mctx://", where.c_str(),
                scheme ? scheme : "");
    return false;
  }
  if (g_uri_get_userinfo(parsed) != nullptr) {
    return uri_fail(error, where + ": user information ('...@') is not allowed");
  }
  const char* path = g_uri_get_path(parsed);
  if (path != nullptr && *path != '\0' && std::strcmp(path, "/") != 0) {
    return uri_fail(error, where + ": path " + quote(path) +
                               " is not allowed: write mctx://GROUP:PORT?key=value");
  }
  if (g_uri_get_fragment(parsed) != nullptr) {
    return uri_fail(error, where + ": a fragment ('#...') is not allowed");
  }

  Settings s;  // defaults for every key the URI does not give

  const char* host = g_uri_get_host(parsed);
  if (host == nullptr || *host == '\0') {
    return uri_fail(error, where + " has no group: write mctx://GROUP:PORT, for example "
                                   "mctx://239.1.2.3:5004 or mctx://[ff3e::1]:5004");
  }
  auto group = mctx::IpAddress::parse(host);
  if (!group) return uri_fail(error, where + ": group " + quote(host) + ": " + group.error().what());
  if (!group->is_multicast()) {
    // The same rule and text as PublicationConfig::validate().
    auto v = mctx::PublicationConfig(*group, 1).validate();
    std::string why = (!v && v.error().code == mctx::Errc::group_not_multicast)
                          ? v.error().what()
                          : "group " + quote(host) + " is not a multicast address";
    return uri_fail(error, where + ": " + why);
  }
  s.group = host;

  const gint port = g_uri_get_port(parsed);
  if (port == 0) {
    return uri_fail(error, where + ": port '0' is not allowed: expected 1 to 65535");
  }
  s.port = port < 0 ? kDefaultPort : static_cast<guint>(port);

  const char* query = g_uri_get_query(parsed);
  if (query != nullptr && *query != '\0') {
    GUriParamsIter iter;
    g_uri_params_iter_init(&iter, query, -1, "&", G_URI_PARAMS_NONE);
    gchar* key = nullptr;
    gchar* value = nullptr;
    std::string seen = ",";
    for (;;) {
      GError* ierr = nullptr;
      if (!g_uri_params_iter_next(&iter, &key, &value, &ierr)) {
        if (ierr != nullptr) {
          std::string msg = where + ": malformed query: " + ierr->message;
          g_clear_error(&ierr);
          return uri_fail(error, msg);
        }
        break;
      }
      const std::string k = key ? key : "";
      const std::string v = value ? value : "";
      g_free(key);
      g_free(value);
      const std::string canonical = k == "source-address" ? "source" : k;
      if (seen.find("," + canonical + ",") != std::string::npos) {
        return uri_fail(error, where + ": query key " + quote(k) + " is given twice");
      }
      seen += canonical + ",";

      guint64 n = 0;
      gint64 sn = 0;
      bool ok = true;
      if (canonical == "source") {
        ok = parse_address_value(k.c_str(), v.c_str(), s.source_address, error);
      } else if (k == "source-port") {
        ok = parse_number(k.c_str(), v.c_str(), 0, 65535, n, error);
        s.source_port = static_cast<guint>(n);
      } else if (k == "interface") {
        auto itf = mctx::InterfaceSpec::parse(v);
        if (!itf) {
          return uri_fail(error, "mctx URI: query key 'interface' has value " + quote(v) + ": " +
                                     itf.error().what());
        }
        s.interface = v;
      } else if (k == "ttl") {
        ok = parse_number(k.c_str(), v.c_str(), 0, 255, n, error);
        s.ttl = static_cast<guint>(n);
      } else if (k == "loop") {
        ok = parse_bool(k.c_str(), v.c_str(), s.loop, error);
      } else if (k == "dscp") {
        ok = parse_number(k.c_str(), v.c_str(), -1, 63, sn, error);
        s.dscp = static_cast<gint>(sn);
      } else if (k == "buffer-size") {
        ok = parse_number(k.c_str(), v.c_str(), 0, G_MAXINT, n, error);
        s.buffer_size = static_cast<gint>(n);
      } else {
        return uri_fail(error, "mctx URI: unknown query key " + quote(k) + " (value " + quote(v) +
                                   "); known keys: " + kUriKeys);
      }
      if (!ok) return false;
    }
  }

  copy_uri_fields(s, out);
  return true;
}

std::string build_uri(const Settings& s) {
  if (s.group.empty()) return {};
  std::string host = s.group;
  if (host.find(':') != std::string::npos) {
    // IPv6: brackets, and the scope separator escaped as RFC 6874 says.
    std::string h;
    for (char c : host) {
      if (c == '%') h += "%25";
      else h += c;
    }
    host = "[" + h + "]";
  }
  std::string uri = "mctx://" + host + ":" + std::to_string(s.port);
  std::string q;
  auto add = [&](const char* key, const std::string& value) {
    q += q.empty() ? "?" : "&";
    q += key;
    q += "=";
    q += escape_value(value);
  };
  if (!s.source_address.empty()) add("source", s.source_address);
  if (s.source_port != kDefaultSourcePort) add("source-port", std::to_string(s.source_port));
  if (!s.interface.empty()) add("interface", s.interface);
  if (s.ttl != kDefaultTtl) add("ttl", std::to_string(s.ttl));
  if (s.loop != kDefaultLoop) add("loop", s.loop ? "true" : "false");
  if (s.dscp != kDefaultDscp) add("dscp", std::to_string(s.dscp));
  if (s.buffer_size != kDefaultBufferSize) add("buffer-size", std::to_string(s.buffer_size));
  return uri + q;
}

}  // namespace mctx::gst
