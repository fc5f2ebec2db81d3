// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink's raw backend (gst/mctxsink-raw.cpp, linked from the internal library)
// makes no heap allocation per datagram: send() of IPv4 and IPv6 datagrams
// gathered from several memories, an invalid datagram, a datagram the
// kernel refuses (IPv6 larger than the MTU), an IPv6 datagram without an
// interface (route-selected: no route, then a route), send_batch() and
// counters(). Only the first datagram of each
// family may allocate (it opens that family's socket): that is the warm-up.
// The measured sends are checked on an AF_PACKET capture in the peer
// namespace (scripts/mctx-netns --peer).


#include <cstdlib>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "alloc_counter_hooks.hpp"
#include "capture.hpp"
#include "datagram.hpp"
#include "receiver.hpp"
#include "values.hpp"

#include "mctxsink-backend.hpp"
#include "mctxsink-settings.hpp"
#include "send-path-test.hpp"

namespace {

namespace rt = mctx::test;
using mctx::gst::Backend;
using mctx::gst::Settings;

constexpr int kCalls = 50;

mctx::UdpDatagramSpec spec(const char* source, const char* group, const std::string& payload) {
  mctx::UdpDatagramSpec s;
  s.source = rt::ip(source);
  s.destination = rt::ip(group);
  s.source_port = 4000;
  s.destination_port = 5000;
  s.payload = rt::bytes(payload);
  s.ipv4_id = 9;
  return s;
}

// The datagram as two iovecs split inside the header.
struct Split {
  std::vector<uint8_t> bytes;
  iovec iov[2];
  explicit Split(std::vector<uint8_t> b) : bytes(std::move(b)) {
    iov[0] = {bytes.data(), 13};
    iov[1] = {bytes.data() + 13, bytes.size() - 13};
  }
  Split(const Split&) = delete;
};

std::unique_ptr<Backend> backend(const char* interface) {
  Settings s;
  s.raw_mode = true;
  if (interface) s.interface = interface;
  auto b = mctx::gst::make_raw_backend(s);
  if (!b) throw std::runtime_error(b.error().message);
  return std::move(*b);
}

std::size_t frames_with(std::vector<rt::Frame>& frames, const std::string& marker) {
  std::size_t n = 0;
  for (const auto& f : frames) n += rt::contains(f.bytes, marker) ? 1 : 0;
  return n;
}

MCTX_GST_TEST(test_counting_works) {
  mctx::test::AllocationScope scope;
  for (int i = 0; i < kCalls; ++i) delete new std::string(100, 'x');
  fail_unless((scope.stop()) >= (static_cast<uint64_t>(kCalls)), "scope.stop() >= static_cast<uint64_t>(kCalls)");
}
GST_END_TEST;

MCTX_GST_TEST(test_send_paths_allocate_nothing) {
  rt::peer_rp_filter_off();
  const std::string p4 = "mctx-gst-noalloc-v4;";
  const std::string p6 = "mctx-gst-noalloc-v6;";
  const std::string big(1600, 'B');  // larger than mctx0's MTU of 1500
  Split d4(rt::build(spec("198.51.100.7", "232.1.2.3", p4)));
  Split d6(rt::build(spec("2001:db8:99::7", "ff3e::8000:1234", p6)));
  Split too_big(rt::build(spec("2001:db8:99::7", "ff3e::8000:1234", big)));
  Split bad(rt::build(spec("198.51.100.7", "232.1.2.3", "mctx-gst-noalloc-BAD;")));
  bad.bytes[10] ^= 0x33;  // header checksum
  const mctx::OutMessage batch[3] = {{d4.iov, 2}, {d6.iov, 2}, {bad.iov, 2}};

  rt::Capture cap = rt::peer_capture();
  auto be = backend("mctx0");
  // Warm-up: opens both publications.
  fail_unless(!static_cast<bool>(be->send(d4.iov, 2)), "!be->send(d4.iov, 2)");
  fail_unless(!static_cast<bool>(be->send(d6.iov, 2)), "!be->send(d6.iov, 2)");

  bool all_as_expected = true;
  mctx::test::AllocationScope scope;
  for (int i = 0; i < kCalls; ++i) {
    all_as_expected &= !be->send(d4.iov, 2);
    all_as_expected &= !be->send(d6.iov, 2);
    const auto invalid = be->send(bad.iov, 2);
    all_as_expected &= invalid && invalid->code == mctx::Errc::raw_bad_checksum;
    const auto refused = be->send(too_big.iov, 2);
    all_as_expected &= refused && refused->code == mctx::Errc::message_too_long;
    const mctx::BatchReport r = be->send_batch(batch);
    all_as_expected &= r.sent == 2 && r.error && r.error->code == mctx::Errc::raw_bad_checksum;
    all_as_expected &= be->counters().packets_sent > 0;
  }
  const uint64_t allocations = scope.stop();
  fail_unless((allocations) == (0u), "allocations == 0u: %s", mctx_test_text(mctx::test::allocation_report()).c_str());
  fail_unless(static_cast<bool>(all_as_expected), "all_as_expected");

  // The measured sends went out (and the bad one never did).
  auto frames = cap.frames();
  fail_unless((frames_with(frames, p4)) == (1u + 2u * kCalls), "frames_with(frames, p4) == 1u + 2u * kCalls");
  fail_unless((frames_with(frames, p6)) == (1u + 2u * kCalls), "frames_with(frames, p6) == 1u + 2u * kCalls");
  fail_unless((frames_with(frames, "BAD;")) == (0u), "frames_with(frames, \"BAD;\") == 0u");
  const mctx::SendCounters c = be->counters();
  fail_unless((c.packets_sent) == (2u + 4u * kCalls), "c.packets_sent == 2u + 4u * kCalls");
  fail_unless((c.send_errors) == (static_cast<uint64_t>(kCalls)), "c.send_errors == static_cast<uint64_t>(kCalls)");
}
GST_END_TEST;

// Without 'interface', IPv6 follows the main-table route of its group
// (route-selected egress): with no route each datagram fails alone, with one
// it goes out; once the decision is cached, neither allocates.
MCTX_GST_TEST(test_ipv6_without_interface_allocates_nothing) {
  const std::string p6 = "mctx-gst-noalloc-noif;";
  Split d6(rt::build(spec("2001:db8:99::7", "ff3e::8000:1234", p6)));
  rt::Capture cap = rt::peer_capture();
  auto be = backend(nullptr);
  const auto first = be->send(d6.iov, 2);
  fail_unless(static_cast<bool>(first), "first");
  fail_unless((first->code) == (mctx::Errc::raw_no_route), "first->code == mctx::Errc::raw_no_route");
  fail_unless((be->describe_error(*first).find("no usable route in the kernel's main routing table")) != (std::string::npos), "be->describe_error(*first).find(\"no usable route in the kernel's main routing table\") != std::string::npos: %s", mctx_test_text(be->describe_error(*first)).c_str());

  bool all_as_expected = true;
  {
    mctx::test::AllocationScope scope;
    for (int i = 0; i < kCalls; ++i) {
      const auto e = be->send(d6.iov, 2);
      all_as_expected &= e && e->code == mctx::Errc::raw_no_route;
    }
    fail_unless((scope.stop()) == (0u), "scope.stop() == 0u: %s", mctx_test_text(mctx::test::allocation_report()).c_str());
  }
  fail_unless((std::system("ip -6 route replace ff3e::/16 dev mctx0")) == (0), "std::system(\"ip -6 route replace ff3e::/16 dev mctx0\") == 0");
  fail_unless(!static_cast<bool>(be->send(d6.iov, 2)), "!be->send(d6.iov, 2)");  // the route is looked up (and cached) here
  {
    mctx::test::AllocationScope scope;
    for (int i = 0; i < kCalls; ++i) all_as_expected &= !be->send(d6.iov, 2);
    fail_unless((scope.stop()) == (0u), "scope.stop() == 0u: %s", mctx_test_text(mctx::test::allocation_report()).c_str());
  }
  (void)std::system("ip -6 route del ff3e::/16 dev mctx0");
  fail_unless(static_cast<bool>(all_as_expected), "all_as_expected");
  auto frames = cap.frames();
  fail_unless((frames_with(frames, p6)) == (1u + kCalls), "frames_with(frames, p6) == 1u + kCalls");
}
GST_END_TEST;

}  // namespace

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-raw-noalloc", .netns = mctx_gst_test::netns_peer(true),
                    .init = init_mctxsink_category});
