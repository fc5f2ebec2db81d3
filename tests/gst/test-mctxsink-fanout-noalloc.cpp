// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink's UDP send path with several destinations makes no heap
// allocation per buffer or buffer list: Fanout::render() and render_list()
// (gst/mctxsink-destinations.cpp, from the element's internal library with
// the UDP backend and Delivery) map each buffer once and hand the same messages to
// every destination. The warm-up is the first buffer and the first list:
// the Fanout's scratch arrays grow to the largest buffer and list seen.
// Lists go through segmentation offload (gso=auto) and through sendmmsg
// batches (gso=off).
// A change of the set is picked up at the next buffer: after an add(), that
// buffer allocates nothing either; after a remove(), it allocates only what
// releasing the removed destination costs (GObject finalizing its socket,
// once per removal). The application's side (open_destination(), add(),
// remove()) allocates, on its own thread.
// Everything measured is received byte for byte by receivers joined on lo;
// the removed destination receives nothing after remove().
//
// Reading the metrics (DestinationSet::structure()) is not on the send path
// and is not measured.

#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "alloc_counter_hooks.hpp"
#include "netns_guard.hpp"
#include "receiver.hpp"

#include "send-path-test.hpp"
#include "mctxsink-destinations.hpp"
#include "mctxsink-backend.hpp"
#include "mctxsink-settings.hpp"


namespace {

using mctx::gst::DestinationSet;
using mctx::gst::Fanout;
using mctx::gst::Settings;
using mctx::gst::Waiter;

constexpr int kCalls = 50;         // measured render() and render_list() calls each
constexpr guint kListLength = 16;  // buffers per list
constexpr std::size_t kPayload = 200;  // bytes of each datagram (header + body)
constexpr std::size_t kHeader = 12;    // the first memory of each buffer

constexpr const char* kGroup1 = "239.1.2.50";  // the properties' destination
constexpr guint kPort1 = 5004;
constexpr const char* kGroup2 = "239.1.2.51";  // destinations[0], removed later
constexpr guint kPort2 = 5008;
constexpr const char* kGroup3 = "239.1.2.52";  // added while sending
constexpr guint kPort3 = 5010;

std::string uri(const char* group, guint port) {
  return "mctx://" + std::string(group) + ":" + std::to_string(port) + "?interface=lo";
}

// A further destination from its URI, as the add signal opens it.
mctx::gst::DestinationResult open_uri(GstBaseSink* sink, const Settings& element,
                                      const std::string& text, Waiter& waiter) {
  auto entry = mctx::gst::Destinations().admit(text, "");
  if (!entry) throw std::runtime_error("bad test URI " + text + ": " + entry.error().message);
  return mctx::gst::open_destination(
      sink, mctx::gst::Destinations::settings_for(*entry, element), false, waiter);
}

mctx::IpAddress ip(const char* text) {
  auto a = mctx::IpAddress::parse(text);
  if (!a) throw std::runtime_error(std::string("bad test address ") + text);
  return *a;
}

// A receiver joined on lo, with a receive buffer large enough for a whole
// phase (850 small datagrams) read only after the sends.
mctx::test::Receiver receiver(const char* group, guint port) {
  mctx::test::Receiver r(ip(group), static_cast<uint16_t>(port), mctx::test::ifindex("lo"));
  const int size = 16 << 20;
  if (setsockopt(r.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    throw std::runtime_error("SO_RCVBUFFORCE on the test receiver failed");
  }
  return r;
}

// The datagrams of a test, in the order they are rendered: each one a
// buffer of two memories (a 12-byte header and the rest), unique text.
class Datagrams {
 public:
  GstBuffer* buffer(const std::string& tag) {
    std::string text = tag + ";" + std::to_string(next_++) + ";";
    text.resize(kPayload, '.');
    expected_.push_back(text);
    GstBuffer* b = gst_buffer_new();
    append_owned(b, text.data(), kHeader);
    append_owned(b, text.data() + kHeader, text.size() - kHeader);
    return b;
  }
  GstBufferList* list(const std::string& tag) {
    GstBufferList* l = gst_buffer_list_new_sized(kListLength);
    for (guint i = 0; i < kListLength; ++i) gst_buffer_list_add(l, buffer(tag));
    return l;
  }
  std::vector<std::string> take() { return std::exchange(expected_, {}); }

 private:
  static void append_owned(GstBuffer* b, const char* data, std::size_t n) {
    gpointer copy = g_memdup2(data, n);
    gst_buffer_append_memory(
        b, gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, copy, n, 0, n, copy, g_free));
  }
  std::vector<std::string> expected_;
  std::size_t next_ = 0;
};

// r receives exactly `expected` (byte for byte, in order), waiting up to 2 s
// for each datagram.
void expect_receives(mctx::test::Receiver& r, const std::vector<std::string>& expected,
                     const char* what) {
  const auto got = r.receive_n(expected.size(), std::chrono::milliseconds(2000));
  for (std::size_t i = 0; i < got.size(); ++i) {
    const std::string payload(got[i].payload.begin(), got[i].payload.end());
    fail_unless(payload == expected[i], "%s: datagram %zu is \"%s\", expected \"%s\"", what, i,
                payload.c_str(), expected[i].c_str());
  }
  fail_unless(got.size() == expected.size(), "%s: %zu datagrams received, %zu expected", what,
              got.size(), expected.size());
}

// A top-level counter of the set's metrics (totals over its destinations).
guint64 total(DestinationSet& set, const char* counter) {
  GstStructure* s = set.structure("query", false);
  guint64 n = 0;
  gst_structure_get_uint64(s, counter, &n);
  gst_structure_free(s);
  return n;
}

struct Owned {
  std::vector<GstBuffer*> buffers;
  std::vector<GstBufferList*> lists;
  ~Owned() {
    for (GstBuffer* b : buffers) gst_buffer_unref(b);
    for (GstBufferList* l : lists) gst_buffer_list_unref(l);
  }
};

MCTX_GST_TEST(test_counting_works) {
  mctx::test::AllocationScope scope;
  for (int i = 0; i < kCalls; ++i) delete new std::string(100, 'x');
  fail_unless((scope.stop()) >= (static_cast<uint64_t>(kCalls)), "scope.stop() >= static_cast<uint64_t>(kCalls)");
}
GST_END_TEST;

// Lists go out as segmentation sends (gso=auto; lo supports UDP_SEGMENT) or
// as sendmmsg batches (gso=off).
void several_destinations_allocate_nothing(mctx::Gso gso) {
  auto rx1 = receiver(kGroup1, kPort1);
  auto rx2 = receiver(kGroup2, kPort2);
  auto rx3 = receiver(kGroup3, kPort3);

  GstBaseSink* sink = GST_BASE_SINK(g_object_new(fanout_test_sink_get_type(), nullptr));
  gst_object_ref_sink(sink);

  Settings s;
  s.group = kGroup1;
  s.port = kPort1;
  s.interface = "lo";
  s.gso = gso;
  mctx::gst::Destinations list;
  list.assign({uri(kGroup2, kPort2)});
  Waiter waiter;
  fail_unless(static_cast<bool>(waiter.valid()), "waiter.valid()");
  auto opened = DestinationSet::open(sink, s, list, waiter);
  fail_unless(static_cast<bool>(opened), "opened: %s", mctx_test_text(opened.error().message).c_str());
  DestinationSet& set = **opened;
  fail_unless((set.size()) == (2u), "set.size() == 2u");
  Fanout fanout(sink, set);

  Datagrams data;
  Owned owned;
  // n buffers and n lists, made (and expected) in the order measure()
  // renders them: buffer 0, list 0, buffer 1, ...
  std::vector<GstBuffer*> singles;
  std::vector<GstBufferList*> lists;
  auto make = [&](const char* tag, int n) {
    singles.clear();
    lists.clear();
    for (int i = 0; i < n; ++i) {
      singles.push_back(data.buffer(tag));
      lists.push_back(data.list(tag));
    }
    owned.buffers.insert(owned.buffers.end(), singles.begin(), singles.end());
    owned.lists.insert(owned.lists.end(), lists.begin(), lists.end());
  };
  bool all_ok = true;
  // render(singles[i]) and render_list(lists[i]) for i in [from, to), in
  // one scope; returns the allocations it made.
  auto measure = [&](std::size_t from, std::size_t to) {
    mctx::test::AllocationScope scope;
    for (std::size_t i = from; i < to; ++i) {
      all_ok &= fanout.render(singles[i]) == GST_FLOW_OK;
      all_ok &= fanout.render_list(lists[i]) == GST_FLOW_OK;
    }
    return scope.stop();
  };

  // --- two destinations ----------------------------------------------------
  // Warm-up: the scratch arrays grow to one buffer, then to one list.
  make("warm-up", 1);
  fail_unless((fanout.render(singles[0])) == (GST_FLOW_OK), "fanout.render(singles[0]) == GST_FLOW_OK");
  fail_unless((fanout.render_list(lists[0])) == (GST_FLOW_OK), "fanout.render_list(lists[0]) == GST_FLOW_OK");
  make("two", kCalls);
  fail_unless((measure(0, kCalls)) == (0u), "measure(0, kCalls) == 0u: %s", mctx_test_text(mctx::test::allocation_report()).c_str());
  fail_unless(static_cast<bool>(all_ok), "all_ok");
  const std::vector<std::string> phase1 = data.take();
  fail_unless((phase1.size()) == (1u + kListLength + kCalls * (1u + kListLength)), "phase1.size() == 1u + kListLength + kCalls * (1u + kListLength)");

  // --- a third destination added -------------------------------------------
  // The application's side (open_destination(), add()) allocates, on its
  // own thread. The streaming thread picks up the new list at the next
  // buffer and sends to the new socket for the first time: no allocation.
  auto third = open_uri(sink, s, uri(kGroup3, kPort3), waiter);
  fail_unless(static_cast<bool>(third), "third: %s", mctx_test_text(third.error().message).c_str());
  set.add(std::move(*third));
  fail_unless((set.size()) == (3u), "set.size() == 3u");
  make("three", kCalls);
  fail_unless((measure(0, 1)) == (0u), "measure(0, 1) == 0u: %s", mctx_test_text(mctx::test::allocation_report()).c_str());
  fail_unless((measure(1, kCalls)) == (0u), "measure(1, kCalls) == 0u: %s", mctx_test_text(mctx::test::allocation_report()).c_str());
  fail_unless(static_cast<bool>(all_ok), "all_ok");
  const std::vector<std::string> phase2 = data.take();

  // --- the second destination removed ---------------------------------------
  // The streaming thread holds the last reference to a removed destination
  // and lets go of it at the next buffer: that buffer closes its socket,
  // and releasing the backend's used-socket GSocket allocates inside
  // GObject (UdpBackend::shutdown() -> g_object_unref() -> g_malloc(); one
  // allocation with GLib 2.74). That is once per removal, not per datagram;
  // what it costs is measured here on destinations that were never added (the
  // second one, once GLib's allocator caches are warm), and the first
  // buffer after remove() may allocate exactly that much and nothing more.
  uint64_t release_cost = 0;
  for (int i = 0; i < 2; ++i) {
    auto spare = open_uri(sink, s, uri("239.1.2.53", 5012), waiter);
    fail_unless(static_cast<bool>(spare), "spare: %s", mctx_test_text(spare.error().message).c_str());
    std::shared_ptr<mctx::gst::Destination> d = std::move(*spare);
    mctx::test::AllocationScope scope;
    d.reset();
    release_cost = scope.stop();
  }
  std::printf("releasing a destination: %llu allocations\n",
              static_cast<unsigned long long>(release_cost));
  const std::string second_uri = mctx::gst::Destinations::key_of(uri(kGroup2, kPort2));
  fail_unless(static_cast<bool>(set.remove(second_uri)), "set.remove(second_uri): %s", mctx_test_text(second_uri).c_str());
  fail_unless((set.size()) == (2u), "set.size() == 2u");
  make("removed", kCalls);
  fail_unless((measure(0, 1)) == (release_cost), "measure(0, 1) == release_cost: %s", mctx_test_text(mctx::test::allocation_report()).c_str());
  fail_unless((measure(1, kCalls)) == (0u), "measure(1, kCalls) == 0u: %s", mctx_test_text(mctx::test::allocation_report()).c_str());
  fail_unless(static_cast<bool>(all_ok), "all_ok");
  const std::vector<std::string> phase3 = data.take();

  // Every datagram, byte for byte and in order, to the destinations that
  // were in the set when it was rendered; none to the removed one after
  // remove().
  auto cat = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const auto all = cat(cat(phase1, phase2), phase3);
  expect_receives(rx1, all, "rx1");
  expect_receives(rx2, cat(phase1, phase2), "rx2");
  fail_unless(!static_cast<bool>(rx2.receive(std::chrono::milliseconds(300))), "!rx2.receive(std::chrono::milliseconds(300)): %s", mctx_test_text("the removed destination received a datagram after remove()").c_str());
  expect_receives(rx3, cat(phase2, phase3), "rx3");
  // Totals: the removed destination's counts stay.
  fail_unless((total(set, "packets-sent")) == (2 * phase1.size() + 3 * phase2.size() + 2 * phase3.size()), "total(set, \"packets-sent\") == 2 * phase1.size() + 3 * phase2.size() + 2 * phase3.size()");
  // The lists took the path this run is about (one per list and destination).
  const guint64 list_sends = 2 * (1 + kCalls) + 3 * kCalls + 2 * kCalls;
  fail_unless((total(set, "gso-sends")) == (gso == mctx::Gso::off ? 0 : list_sends), "total(set, \"gso-sends\") == gso == mctx::Gso::off ? 0 : list_sends");

  set.shutdown(true);
  gst_object_unref(sink);
}

MCTX_GST_TEST(test_several_destinations_allocate_nothing_gso_auto) {
  several_destinations_allocate_nothing(mctx::Gso::automatic);
}
GST_END_TEST;

MCTX_GST_TEST(test_several_destinations_allocate_nothing_gso_off) {
  several_destinations_allocate_nothing(mctx::Gso::off);
}
GST_END_TEST;

}  // namespace

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-fanout-noalloc", .netns = mctx_gst_test::netns_lo(),
                    .init = init_mctxsink_category});
