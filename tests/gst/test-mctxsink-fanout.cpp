// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink's Fanout when a destination fails for good (a fatal send error:
// its socket was closed or extracted). With other destinations alive, the
// failed one is reported once (a WARNING naming it), its state is "failed",
// each later buffer is counted in its `dropped`, and the stream goes on:
// the other destinations receive everything (a real receiver on lo). When
// no destination is left, the failure is an ERROR and render returns
// GST_FLOW_ERROR, as with a single destination.
//
// A fatal error cannot be caused from outside a running element (only
// closing or extracting the publication, which the element never does while
// it runs), so the failing destination is a Backend whose sends fail with
// publication_closed, beside real UDP destinations; the element's internal
// library is linked into this program.

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "send-path-test.hpp"
#include "netns_guard.hpp"
#include "receiver.hpp"

#include "mctxsink-destinations.hpp"
#include "mctxsink-backend.hpp"
#include "mctxsink-settings.hpp"

namespace {

using mctx::gst::Backend;
using mctx::gst::Destination;
using mctx::gst::DestinationSet;
using mctx::gst::Fanout;
using mctx::gst::Settings;
using mctx::gst::Waiter;

// Every send fails as a closed publication does.
class ClosedBackend : public Backend {
 public:
  const char* mode() const noexcept override { return "udp"; }
  std::optional<mctx::SendError> send(const iovec*, std::size_t) noexcept override {
    return mctx::SendError{mctx::Errc::publication_closed, 0};
  }
  mctx::BatchReport send_batch(std::span<const mctx::OutMessage>) noexcept override {
    mctx::BatchReport r;
    r.error = mctx::SendError{mctx::Errc::publication_closed, 0};
    return r;
  }
  int wait_fd() const noexcept override { return -1; }
  mctx::SendCounters counters() const noexcept override { return {}; }
  void append_stats(GstStructure*) const override {}
  GSocket* used_socket() const override { return nullptr; }
  std::string describe() const override { return "239.1.2.99:5004"; }
  void shutdown(bool) noexcept override {}
};

// Every send fails with EMSGSIZE (a per-datagram error: counted, warned
// about at most once a second).
class TooLongBackend : public ClosedBackend {
 public:
  std::optional<mctx::SendError> send(const iovec*, std::size_t) noexcept override {
    return mctx::SendError{mctx::Errc::message_too_long, EMSGSIZE};
  }
  mctx::BatchReport send_batch(std::span<const mctx::OutMessage>) noexcept override {
    mctx::BatchReport r;
    r.error = mctx::SendError{mctx::Errc::message_too_long, EMSGSIZE};
    return r;
  }
};

// The network is unreachable for the first `down` sends, then every send
// goes out: an outage that ends.
class OutageBackend : public ClosedBackend {
 public:
  explicit OutageBackend(int down) : down_(down) {}
  std::optional<mctx::SendError> send(const iovec*, std::size_t) noexcept override {
    if (down_ > 0) {
      down_--;
      return mctx::SendError{mctx::Errc::network_unreachable, ENETUNREACH};
    }
    return std::nullopt;
  }
 private:
  int down_;
};

// Counts what it sends; on the first send it calls `during` first (the
// application removing this destination while the streaming thread is in
// its send).
class RemovedWhileSendingBackend : public ClosedBackend {
 public:
  std::function<void()> during;
  std::optional<mctx::SendError> send(const iovec*, std::size_t) noexcept override {
    if (during) std::exchange(during, nullptr)();
    sent_++;
    return std::nullopt;
  }
  mctx::SendCounters counters() const noexcept override {
    mctx::SendCounters c;
    c.packets_sent = sent_;
    return c;
  }
 private:
  std::atomic<std::uint64_t> sent_{0};
};

// The time Delivery reads (set_delivery_time_source): moved by the test.
std::atomic<std::int64_t> fake_now_ms{0};
std::chrono::steady_clock::time_point fake_now() noexcept {
  return std::chrono::steady_clock::time_point(std::chrono::milliseconds(fake_now_ms.load()));
}

class FanoutFailure {
 public:
  FanoutFailure() {
    sink_ = GST_BASE_SINK(g_object_new(fanout_test_sink_get_type(), nullptr));
    gst_object_ref_sink(sink_);
    bus_ = gst_bus_new();
    gst_element_set_bus(GST_ELEMENT(sink_), bus_);
    fail_unless(static_cast<bool>(waiter_.valid()), "waiter_.valid()");
    settings_.group = "239.1.2.60";
    settings_.port = 5004;
    settings_.interface = "lo";
  }
  ~FanoutFailure() {
    set_.reset();
    gst_element_set_bus(GST_ELEMENT(sink_), nullptr);
    gst_object_unref(bus_);
    gst_object_unref(sink_);
  }

  // A set of the properties' destination (real, on lo) when `with_real`,
  // and `closed` failing ones.
  void make_set(bool with_real, int closed) {
    set_ = std::make_unique<DestinationSet>(settings_, waiter_);
    if (with_real) {
      auto d = mctx::gst::open_destination(sink_, settings_, true, waiter_);
      fail_unless(static_cast<bool>(d), "d: %s", mctx_test_text(d.error().message).c_str());
      set_->add(std::move(*d));
    }
    for (int i = 0; i < closed; ++i) {
      set_->add(std::make_shared<Destination>(
          sink_, settings_, "mctx://239.1.2.99:500" + std::to_string(i), false,
          std::make_unique<ClosedBackend>(), waiter_));
    }
  }

  static GstBuffer* buffer(int i) {
    const std::string text = "datagram " + std::to_string(i);
    return gst_buffer_new_memdup(text.data(), text.size());
  }

  // The texts of the messages of `type` posted so far (the bus is read into
  // posted_ first: popping one type would discard the others).
  std::vector<std::string> messages(GstMessageType type) {
    while (GstMessage* m = gst_bus_pop(bus_)) {
      GError* err = nullptr;
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING) gst_message_parse_warning(m, &err, nullptr);
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) gst_message_parse_error(m, &err, nullptr);
      posted_.emplace_back(GST_MESSAGE_TYPE(m), err ? err->message : "");
      g_clear_error(&err);
      gst_message_unref(m);
    }
    std::vector<std::string> out;
    for (const auto& [t, text] : posted_) {
      if (t == type) out.push_back(text);
    }
    return out;
  }

  // A field of destination `index` of the metrics.
  guint64 field(std::size_t index, const char* name, std::string* state = nullptr) {
    GstStructure* s = set_->structure("query", false);
    const GValue* a = gst_structure_get_value(s, "destinations");
    const GstStructure* d = gst_value_get_structure(gst_value_array_get_value(a, index));
    guint64 v = 0;
    fail_unless(static_cast<bool>(gst_structure_get_uint64(d, name, &v)), "gst_structure_get_uint64(d, name, &v): %s", mctx_test_text(name).c_str());
    if (state) *state = gst_structure_get_string(d, "state");
    gst_structure_free(s);
    return v;
  }

  GstBaseSink* sink_ = nullptr;
  GstBus* bus_ = nullptr;
  Waiter waiter_;
  Settings settings_;
  std::unique_ptr<DestinationSet> set_;
  std::vector<std::pair<GstMessageType, std::string>> posted_;
};

MCTX_GST_TEST(test_one_failed_destination_is_a_warning_and_the_others_go_on) {
  FanoutFailure fx;
  mctx::test::Receiver rx(*mctx::IpAddress::parse("239.1.2.60"), 5004,
                          mctx::test::ifindex("lo"));
  fx.make_set(true, 1);
  Fanout fanout(fx.sink_, *fx.set_);
  const int n = 10;
  for (int i = 0; i < n / 2; ++i) fail_unless((fanout.render(FanoutFailure::buffer(i))) == (GST_FLOW_OK), "fanout.render(FanoutFailure::buffer(i)) == GST_FLOW_OK");
  GstBufferList* list = gst_buffer_list_new();
  for (int i = n / 2; i < n; ++i) gst_buffer_list_add(list, FanoutFailure::buffer(i));
  fail_unless((fanout.render_list(list)) == (GST_FLOW_OK), "fanout.render_list(list) == GST_FLOW_OK");
  gst_buffer_list_unref(list);

  const auto got = rx.receive_n(n + 1, std::chrono::milliseconds(500));
  fail_unless((got.size()) == (static_cast<std::size_t>(n)), "got.size() == static_cast<std::size_t>(n)");
  for (int i = 0; i < n; ++i) {
    fail_unless((std::string(got[i].payload.begin(), got[i].payload.end())) == ("datagram " + std::to_string(i)), "std::string(got[i].payload.begin(), got[i].payload.end()) == \"datagram \" + std::to_string(i)");
  }
  const auto warnings = fx.messages(GST_MESSAGE_WARNING);
  fail_unless((warnings.size()) == (1u), "warnings.size() == 1u: %s", mctx_test_text("one warning, when it failed").c_str());
  fail_unless((warnings[0].find("Cannot send to 239.1.2.99:5004 any more")) != (std::string::npos), "warnings[0].find(\"Cannot send to 239.1.2.99:5004 any more\") != std::string::npos: %s", mctx_test_text(warnings[0]).c_str());
  fail_unless((warnings[0].find("mctx://239.1.2.99:5000 has failed")) != (std::string::npos), "warnings[0].find(\"mctx://239.1.2.99:5000 has failed\") != std::string::npos: %s", mctx_test_text(warnings[0]).c_str());
  fail_unless(static_cast<bool>(fx.messages(GST_MESSAGE_ERROR).empty()), "fx.messages(GST_MESSAGE_ERROR).empty()");

  std::string state;
  fail_unless((fx.field(0, "packets-sent", &state)) == (static_cast<guint64>(n)), "fx.field(0, \"packets-sent\", &state) == static_cast<guint64>(n)");
  fail_unless((state) == ("sending"), "state == \"sending\"");
  fail_unless((fx.field(1, "dropped", &state)) == (static_cast<guint64>(n)), "fx.field(1, \"dropped\", &state) == static_cast<guint64>(n)");  // every buffer, counted
  fail_unless((state) == ("failed"), "state == \"failed\"");
}
GST_END_TEST;

// The send error warning is rate-limited to one a second; the next one
// after that says how many were not reported. The test moves Delivery's
// clock instead of sleeping past the limit.
MCTX_GST_TEST(test_send_error_warnings_are_rate_limited) {
  FanoutFailure fx;
  mctx::gst::set_delivery_time_source(&fake_now);
  fake_now_ms = 1000000;
  fx.set_ = std::make_unique<DestinationSet>(fx.settings_, fx.waiter_);
  fx.set_->add(std::make_shared<Destination>(fx.sink_, fx.settings_, "mctx://239.1.2.99:5000", false,
                                          std::make_unique<TooLongBackend>(), fx.waiter_));
  Fanout fanout(fx.sink_, *fx.set_);
  for (int i = 0; i < 6; ++i) fail_unless((fanout.render(FanoutFailure::buffer(i))) == (GST_FLOW_OK), "fanout.render(FanoutFailure::buffer(i)) == GST_FLOW_OK");
  auto warnings = fx.messages(GST_MESSAGE_WARNING);
  fail_unless((warnings.size()) == (1u), "warnings.size() == 1u: %s", mctx_test_text("rate-limited: not one per datagram").c_str());
  fail_unless((warnings[0].find("Could not send a datagram to 239.1.2.99:5004")) != (std::string::npos), "warnings[0].find(\"Could not send a datagram to 239.1.2.99:5004\") != std::string::npos: %s", mctx_test_text(warnings[0]).c_str());
  fake_now_ms += 999;  // still inside the window
  fail_unless((fanout.render(FanoutFailure::buffer(6))) == (GST_FLOW_OK), "fanout.render(FanoutFailure::buffer(6)) == GST_FLOW_OK");
  fail_unless((fx.messages(GST_MESSAGE_WARNING).size()) == (1u), "fx.messages(GST_MESSAGE_WARNING).size() == 1u");
  fake_now_ms += 2;  // past it
  fail_unless((fanout.render(FanoutFailure::buffer(7))) == (GST_FLOW_OK), "fanout.render(FanoutFailure::buffer(7)) == GST_FLOW_OK");
  warnings = fx.messages(GST_MESSAGE_WARNING);
  fail_unless((warnings.size()) == (2u), "warnings.size() == 2u");
  fail_unless((warnings[1].find("6 more send errors since the previous warning")) != (std::string::npos), "warnings[1].find(\"6 more send errors since the previous warning\") != std::string::npos: %s", mctx_test_text(warnings[1]).c_str());
  fail_unless((fx.field(0, "dropped")) == (8u), "fx.field(0, \"dropped\") == 8u");
  mctx::gst::set_delivery_time_source(nullptr);
}
GST_END_TEST;

// The mctx-outage message at the end of an outage names the destination
// that recovered (its URI), as each per-destination message does.
MCTX_GST_TEST(test_outage_message_names_the_destination) {
  FanoutFailure fx;
  fx.set_ = std::make_unique<DestinationSet>(fx.settings_, fx.waiter_);
  fx.set_->add(std::make_shared<Destination>(fx.sink_, fx.settings_, "mctx://239.1.2.99:5000",
                                             false, std::make_unique<OutageBackend>(2),
                                             fx.waiter_));
  Fanout fanout(fx.sink_, *fx.set_);
  for (int i = 0; i < 3; ++i) fail_unless_equals_int(fanout.render(FanoutFailure::buffer(i)), GST_FLOW_OK);
  GstMessage* m = gst_bus_pop_filtered(fx.bus_, GST_MESSAGE_ELEMENT);
  fail_unless(m != nullptr, "no mctx-outage message");
  const GstStructure* st = gst_message_get_structure(m);
  fail_unless(gst_structure_has_name(st, "mctx-outage"));
  const gchar* uri = gst_structure_get_string(st, "uri");
  fail_unless(uri != nullptr && std::string(uri) == "mctx://239.1.2.99:5000", "uri: %s",
              uri ? uri : "(none)");
  guint64 lost = 0;
  fail_unless(gst_structure_get_uint64(st, "datagrams-lost", &lost));
  fail_unless_equals_uint64(lost, 2);
  gst_message_unref(m);
}
GST_END_TEST;

// A destination removed while the streaming thread is in its send: what that
// send sent stays in the totals (pushed = received + counted), folded in
// when the streaming thread lets go of the destination.
MCTX_GST_TEST(test_removed_while_sending_counted_in_totals) {
  FanoutFailure fx;
  fx.set_ = std::make_unique<DestinationSet>(fx.settings_, fx.waiter_);
  auto backend = std::make_unique<RemovedWhileSendingBackend>();
  RemovedWhileSendingBackend* b = backend.get();
  DestinationSet* set = fx.set_.get();
  b->during = [set] { fail_unless(set->remove("mctx://239.1.2.99:5000")); };
  fx.set_->add(std::make_shared<Destination>(fx.sink_, fx.settings_, "mctx://239.1.2.99:5000",
                                             false, std::move(backend), fx.waiter_));
  Fanout fanout(fx.sink_, *fx.set_);
  fail_unless_equals_int(fanout.render(FanoutFailure::buffer(0)), GST_FLOW_OK);
  auto packets = [&] {
    GstStructure* st = fx.set_->structure("query", false);
    guint64 n = 0;
    gst_structure_get_uint64(st, "packets-sent", &n);
    gst_structure_free(st);
    return n;
  };
  fail_unless_equals_uint64(packets(), 1);  // still held by the streaming thread
  // The next buffer: the streaming thread lets go of it (no destination left).
  fail_unless_equals_int(fanout.render(FanoutFailure::buffer(1)), GST_FLOW_OK);
  fail_unless_equals_uint64(packets(), 1);
}
GST_END_TEST;

MCTX_GST_TEST(test_the_only_destination_failing_is_an_error) {
  FanoutFailure fx;
  fx.make_set(false, 1);
  Fanout fanout(fx.sink_, *fx.set_);
  fail_unless((fanout.render(FanoutFailure::buffer(0))) == (GST_FLOW_ERROR), "fanout.render(FanoutFailure::buffer(0)) == GST_FLOW_ERROR");
  const auto errors = fx.messages(GST_MESSAGE_ERROR);
  fail_unless((errors.size()) == (1u), "errors.size() == 1u");
  fail_unless((errors[0].find("Cannot send to 239.1.2.99:5004 any more")) != (std::string::npos), "errors[0].find(\"Cannot send to 239.1.2.99:5004 any more\") != std::string::npos: %s", mctx_test_text(errors[0]).c_str());
  fail_unless(static_cast<bool>(fx.messages(GST_MESSAGE_WARNING).empty()), "fx.messages(GST_MESSAGE_WARNING).empty()");
}
GST_END_TEST;

MCTX_GST_TEST(test_the_last_of_several_failing_is_an_error) {
  FanoutFailure fx;
  fx.make_set(false, 2);
  Fanout fanout(fx.sink_, *fx.set_);
  // The first fails while the second is still alive (a warning), then the
  // second fails with none left (an error), in the same buffer.
  fail_unless((fanout.render(FanoutFailure::buffer(0))) == (GST_FLOW_ERROR), "fanout.render(FanoutFailure::buffer(0)) == GST_FLOW_ERROR");
  fail_unless((fx.messages(GST_MESSAGE_WARNING).size()) == (1u), "fx.messages(GST_MESSAGE_WARNING).size() == 1u");
  fail_unless((fx.messages(GST_MESSAGE_ERROR).size()) == (1u), "fx.messages(GST_MESSAGE_ERROR).size() == 1u");
}
GST_END_TEST;

}  // namespace

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-fanout", .netns = mctx_gst_test::netns_lo(),
                    .init = init_mctxsink_category});
