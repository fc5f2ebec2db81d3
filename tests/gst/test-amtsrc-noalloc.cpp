// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// amtsrc's per-datagram path makes no heap allocation: in its streaming
// thread, from one buffer to the 2000th after it, while a scripted relay
// (tests/amt/scripted_relay) keeps the tunnel fed, nothing is allocated:
// the receive (recvmmsg into pooled buffers), the gateway's check, the
// timestamps, the GstNetAddressMeta of output=payload (pooled with the
// buffer), the metrics snapshot and the push to a fakesink. The element
// comes from the element's internal library (the allocation counter of
// tests/support replaces malloc and operator new in this program); the
// relay's address is long enough that its text does not fit a short-string
// buffer.
//
// The counting happens in a buffer probe on amtsrc's src pad: started at
// the 200th buffer (the pool, the poll set and the meta's address are warm
// by then), stopped at the 2200th.

#include <atomic>
#include <memory>
#include <thread>

#include "alloc_counter.hpp"
#include "alloc_counter_hooks.hpp"
#include "amtsrc-test.hpp"
#include "gstamtsrc.h"

using namespace mctx_gst_test;
using namespace amtsrc_test;

namespace {

constexpr int kWarmup = 200;
constexpr int kMeasured = 2000;

struct Count {
  std::atomic<int> buffers{0};
  std::unique_ptr<mctx::test::AllocationScope> scope;
  std::atomic<bool> done{false};
  uint64_t allocations = 0;
  std::string report;
};

GstPadProbeReturn count_probe(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto* c = static_cast<Count*>(data);
  const int n = ++c->buffers;
  if (n == kWarmup) {
    c->scope = std::make_unique<mctx::test::AllocationScope>();  // counts from here on
  } else if (n == kWarmup + kMeasured) {
    c->allocations = c->scope->stop();
    if (c->allocations != 0) c->report = mctx::test::allocation_report();
    c->done = true;
  }
  return GST_PAD_PROBE_OK;
}

void run(const char* output) {
  // 127.100.100.100:PORT: longer than the 15 characters of a short string.
  amt_relay::ScriptedRelay relay = must("relay", [] {
    return amt_relay::ScriptedRelay(mctx::Endpoint{addr("127.100.100.100"), 0});
  });
  Pipeline p("amtsrc name=amt relay-address=127.100.100.100 relay-port=" +
             std::to_string(relay.local().port) + " group=" + kGroup +
             " source-address=" + kSource + " output=" + output +
             " metrics-interval=0 ! fakesink sync=false enable-last-sample=false");
  Count c;
  GstPad* pad = gst_element_get_static_pad(p.src(), "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &c, nullptr);
  gst_object_unref(pad);
  p.play();
  const Session s = answer_request(relay, 77);
  fail_unless(p.wait_state("joined", 5s));

  // 64 distinct datagrams from the same source, fed until the probe is done.
  std::vector<Bytes> msgs;
  for (int i = 0; i < 64; ++i) msgs.push_back(amt_relay::multicast_data(inner(i)));
  const auto end = std::chrono::steady_clock::now() + 30s;
  while (!c.done && std::chrono::steady_clock::now() < end) {
    must("feeding", [&] { return relay.send_many(s.gateway, msgs, 256); });
    g_usleep(2000);
  }
  fail_unless(c.done, "only %d buffers in 30 s", c.buffers.load());
  fail_unless(c.allocations == 0, "%s: %llu allocations in %d datagrams: %s", output,
              static_cast<unsigned long long>(c.allocations), kMeasured, c.report.c_str());
  fail_unless(p.metric("dropped") == 0, "metrics: %s", p.metrics_text().c_str());
}

}  // namespace

// The counter sees an allocation of this thread (else the zero proves nothing).
MCTX_GST_TEST(test_counter_works) {
  mctx::test::AllocationScope scope;
  void* m = g_malloc(100);
  g_free(m);
  fail_unless(scope.stop() >= 1);
}
GST_END_TEST;

MCTX_GST_TEST(test_payload_no_alloc) { run("payload"); }
GST_END_TEST;

MCTX_GST_TEST(test_datagram_no_alloc) { run("datagram"); }
GST_END_TEST;

namespace {
void register_amtsrc() {
  if (!gst_element_register(nullptr, "amtsrc", GST_RANK_NONE, GST_TYPE_AMT_SRC)) {
    g_error("cannot register amtsrc");
  }
}
}  // namespace

MCTX_GST_CHECK_MAIN({.suite = "amtsrc-noalloc", .netns = netns_lo(), .init = register_amtsrc});
