// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The action signals of mctxsink: add, remove, clear and get-metrics change
// and read the destinations in any state (mctxsink-element.hpp). Their
// gtk-doc is here, at their installation.

#include <exception>
#include <string>
#include <utility>

#include "mctxsink-element.hpp"
#include "mctxsink-errors.hpp"
#include "mctxsink-log.hpp"
#include "mctxsink-uri.hpp"

#define GST_CAT_DEFAULT gst_mctx_sink_debug

namespace mctx::gst {

namespace {

// A failed add or remove: a WARNING naming the signal and the URI.
gboolean refuse(GstMctxSink* self, const char* signal, const std::string& uri, StartError e) {
  e.message = std::string(signal) + " '" + uri + "': " + e.message;
  post_start_error(GST_ELEMENT_CAST(self), GST_MESSAGE_WARNING, e);
  return FALSE;
}

// The canonical URI of the properties' destination, "" when there is none
// to compare with (raw mode, no group).
std::string primary_key(const Settings& s) {
  return s.raw_mode ? std::string() : canonical_uri(s);
}

gboolean gst_mctx_sink_add(GstMctxSink* self, const gchar* uri_arg) {
  auto priv = self->priv;
  const std::string uri = uri_arg ? uri_arg : "";
  StartError error;
  bool added = false;
  try {
    std::lock_guard<std::mutex> run(priv->run_mutex);
    mctx::Result<Destinations::Entry, StartError> entry = mctx::unexpected(StartError{});
    Settings element;
    {
      std::lock_guard<std::mutex> lk(priv->settings_mutex);
      element = priv->settings;
      entry = priv->destinations.admit(uri, primary_key(element));
    }
    // Running: the element-wide values (raw-mode, gso, ...) of the run.
    SinkState* st = priv->state.get();
    if (!entry) {
      error = entry.error();
    } else if (st != nullptr) {
      // Running: open it now; the streaming thread takes it at the next
      // buffer or list.
      auto opened = open_destination(
          GST_BASE_SINK_CAST(self), Destinations::settings_for(*entry, st->settings), false,
          priv->waiter);
      if (!opened) {
        error = opened.error();
      } else {
        GST_INFO_OBJECT(self, "Destination added: %s",
                        (*opened)->backend().describe_socket().c_str());
        st->set->add(std::move(*opened));
        added = true;
      }
    } else {
      added = true;
    }
    if (added) {
      std::lock_guard<std::mutex> lk(priv->settings_mutex);
      priv->destinations.append(std::move(*entry));
    }
  } catch (const std::exception& e) {
    error = StartError{StartError::Kind::open, std::string("internal error: ") + e.what(), ""};
    added = false;
  }
  if (!added) return refuse(self, "add", uri, std::move(error));
  GST_INFO_OBJECT(self, "add '%s'", uri.c_str());
  g_object_notify(G_OBJECT(self), "destinations");
  return TRUE;
}

gboolean gst_mctx_sink_remove(GstMctxSink* self, const gchar* uri_arg) {
  auto priv = self->priv;
  const std::string uri = uri_arg ? uri_arg : "";
  StartError error;
  bool removed = false;
  try {
    std::lock_guard<std::mutex> run(priv->run_mutex);
    std::lock_guard<std::mutex> lk(priv->settings_mutex);
    auto key = priv->destinations.remove(uri);
    if (!key) {
      error = std::move(key.error());
    } else {
      removed = true;
      // Its send stops at once and a wait on its socket is interrupted; the
      // streaming thread lets go of it (and closes it) at the next buffer.
      if (priv->state) (void)priv->state->set->remove(*key);
    }
  } catch (const std::exception& e) {
    error = StartError{StartError::Kind::open, std::string("internal error: ") + e.what(), ""};
  }
  // Posted with no lock held: a synchronous bus handler may call us.
  if (!removed) return refuse(self, "remove", uri, std::move(error));
  GST_INFO_OBJECT(self, "remove '%s'", uri.c_str());
  g_object_notify(G_OBJECT(self), "destinations");
  return TRUE;
}

void gst_mctx_sink_clear(GstMctxSink* self) {
  auto priv = self->priv;
  std::size_t n = 0;
  {
    std::lock_guard<std::mutex> run(priv->run_mutex);
    std::lock_guard<std::mutex> lk(priv->settings_mutex);
    n = priv->destinations.clear();
    if (priv->state) (void)priv->state->set->clear();
  }
  GST_INFO_OBJECT(self, "clear: %zu destinations removed", n);
  if (n > 0) g_object_notify(G_OBJECT(self), "destinations");
}

GstStructure* gst_mctx_sink_get_metrics(GstMctxSink* self, const gchar* uri_arg) {
  auto priv = self->priv;
  try {
    const std::string canonical = Destinations::key_of(uri_arg ? uri_arg : "");
    std::lock_guard<std::mutex> lk(priv->state_mutex);
    if (canonical.empty() || !priv->state) return nullptr;
    return priv->state->set->destination_structure(canonical);
  } catch (const std::exception& e) {
    GST_ERROR_OBJECT(self, "get-metrics: %s", e.what());
    return nullptr;
  }
}

}  // namespace

void install_signals(GObjectClass* klass) {
  /**
   * GstMctxSink::add:
   * @sink: the mctxsink
   * @uri: an `mctx://` URI (the URI handler's syntax)
   *
   * Adds a destination, in any state. While the element runs its socket
   * opens at once and it is sent every buffer and list rendered from then
   * on (from a buffer or list boundary); the URI is appended to
   * #GstMctxSink:destinations. Returns %FALSE when the URI is bad, is
   * already a destination or cannot be opened: a WARNING message then names
   * the URI and the rule ("add 'URI': ...").
   */
  g_signal_new_class_handler("add", G_TYPE_FROM_CLASS(klass),
                             static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                             G_CALLBACK(gst_mctx_sink_add), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  /**
   * GstMctxSink::remove:
   * @sink: the mctxsink
   * @uri: a URI of #GstMctxSink:destinations (compared after parsing: key
   *   order and defaults written out do not matter)
   *
   * Removes a destination, in any state. While the element runs, the
   * destination is sent nothing after the call returns (a datagram being
   * sent at that moment completes) and a wait for its socket ends at once;
   * the other destinations lose and repeat nothing. Returns %FALSE when it
   * is not one of #GstMctxSink:destinations (the destination of the group,
   * port, ... properties cannot be removed).
   */
  g_signal_new_class_handler("remove", G_TYPE_FROM_CLASS(klass),
                             static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                             G_CALLBACK(gst_mctx_sink_remove), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  /**
   * GstMctxSink::clear:
   * @sink: the mctxsink
   *
   * Removes every destination of #GstMctxSink:destinations, in any state
   * (the destination of the group, port, ... properties stays).
   */
  g_signal_new_class_handler("clear", G_TYPE_FROM_CLASS(klass),
                             static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                             G_CALLBACK(gst_mctx_sink_clear), nullptr, nullptr, nullptr,
                             G_TYPE_NONE, 0);
  /**
   * GstMctxSink::get-metrics:
   * @sink: the mctxsink
   * @uri: the destination's URI (its `uri` field in the metrics)
   *
   * Returns: (transfer full) (nullable): the `mctx-destination` structure of
   * one destination (counters, rates, state), or %NULL when the element is
   * not running or has no such destination.
   */
  g_signal_new_class_handler("get-metrics", G_TYPE_FROM_CLASS(klass),
                             static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                             G_CALLBACK(gst_mctx_sink_get_metrics), nullptr, nullptr, nullptr,
                             GST_TYPE_STRUCTURE, 1, G_TYPE_STRING);
}

}  // namespace mctx::gst
