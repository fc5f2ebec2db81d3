// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The raw-mode mctxsink tests' datagrams, capture and receivers, inside
// scripts/mctx-netns --peer: the element sends out of mctx0; in the peer
// namespace an AF_PACKET capture on mctx1 compares every frame byte for byte
// with the buffer that was pushed, and source-specific (S,G) receivers get
// the payloads.

// C++ and the raw test helpers first: check.h defines a macro `fail`.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "raw/raw_test_util.hpp"

#include "gst-test-util.hpp"

namespace mctx_gst_test {

namespace rt = mctx::test;

inline const char* const kSource4 = "198.51.100.7";
inline const char* const kGroup4 = "232.1.1.1";
inline const char* const kSource6 = "2001:db8:99::7";
inline const char* const kGroup6 = "ff3e::8000:1";
inline constexpr uint16_t kPort = 5000;        // rt::udp_spec's ports
inline constexpr uint16_t kSourcePort = 4000;

// A datagram to build; the payload and extension header live here, so the
// spec never points to a temporary.
struct Datagram {
  std::string payload;
  std::vector<std::byte> ext;
  std::vector<uint8_t> bytes;
};

inline Datagram v4(const std::string& payload, uint16_t id, const char* group = kGroup4) {
  Datagram d;
  d.payload = payload;
  auto s = rt::udp_spec(addr(kSource4), addr(group), d.payload, 8);
  s.traffic_class = 0x28;
  s.ipv4_id = id;  // non-zero: Linux keeps it, so the capture matches exactly
  d.bytes = must("building an IPv4 datagram", [&] { return rt::build(s); });
  return d;
}

inline Datagram v6(const std::string& payload) {
  Datagram d;
  d.payload = payload;
  d.ext = rt::dstopts_padn();  // Destination Options (PadN), Next Header UDP
  auto s = rt::udp_spec(addr(kSource6), addr(kGroup6), d.payload, 9);  // hop limit 9
  s.traffic_class = 0xb8;
  s.flow_label = 0x12345;
  s.ipv6_extension_headers = d.ext;
  s.ipv6_first_extension = 60;
  d.bytes = must("building an IPv6 datagram", [&] { return rt::build(s); });
  return d;
}

inline GstBuffer* buffer_of(const std::vector<uint8_t>& bytes) {
  return gst_buffer_new_memdup(bytes.data(), bytes.size());
}

// The datagram in three memories, split inside the header: the element
// validates and sends them gathered, without merging.
inline GstBuffer* split_buffer_of(const std::vector<uint8_t>& bytes) {
  const std::string all(bytes.begin(), bytes.end());
  return multi_memory_buffer({all.substr(0, 7), all.substr(7, 23), all.substr(30)});
}

inline void peer_setup() {
  fail_if(rt::peer_netns().empty(), "run under scripts/mctx-netns --peer");
  must("turning rp_filter off in the peer", [] {
    rt::peer_rp_filter_off();
    return 0;
  });
}

inline rt::Capture capture() {
  return must("opening the capture in the peer", [] { return rt::peer_capture(); });
}

inline std::unique_ptr<mctx::test::Receiver> ssm_receiver(const char* source, const char* group) {
  return must("joining in the peer", [&] {
    return std::make_unique<mctx::test::Receiver>(
        rt::peer_receiver(addr(group), kPort, addr(source)));
  });
}

// Exactly one frame carries the datagram's payload, and it is the datagram:
// Ethernet destination of the group, EtherType, every IP byte.
inline void expect_on_wire(std::vector<rt::Frame>& frames, const Datagram& d, const char* group) {
  std::vector<rt::Frame> mine;
  for (auto& f : frames) {
    if (rt::contains(f.bytes, d.payload)) mine.push_back(f);
  }
  fail_unless_equals_int(mine.size(), 1);
  const rt::Frame& f = mine.front();
  fail_unless(f.bytes.size() >= 14);
  fail_unless(std::vector<uint8_t>(f.bytes.begin(), f.bytes.begin() + 6) ==
                  rt::ethernet_multicast(addr(group)),
              "Ethernet destination is not the group's");
  fail_unless_equals_int(f.ethertype(), addr(group).is_v4() ? 0x0800 : 0x86dd);
  fail_unless(f.l3() == d.bytes, "captured:\n%s\nsent:\n%s", rt::hexdump(f.l3()).c_str(),
              rt::hexdump(d.bytes).c_str());
}

inline std::vector<mctx::test::Datagram> receive(mctx::test::Receiver& rx, std::size_t n) {
  return receive_n(rx, n, 1000);
}

// The receiver gets exactly the datagrams of `sent`, in order (it waits for
// one more, so a duplicate would show); returns them.
inline std::vector<mctx::test::Datagram> expect_received(mctx::test::Receiver& rx,
                                                         const std::vector<Datagram>& sent) {
  auto got = receive(rx, sent.size() + 1);
  fail_unless_equals_int(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) assert_str_eq(payload_string(got[i]), sent[i].payload);
  return got;
}

// Raw mode, out of `interface` (nullptr: routing), with send buffers of
// buffer_size bytes (0: the default).
inline void raw_sink(Sink& s, const char* interface = "mctx0", int buffer_size = 0) {
  g_object_set(s.element, "raw-mode", TRUE, "stats-interval", 0u, nullptr);
  if (interface) g_object_set(s.element, "interface", interface, nullptr);
  if (buffer_size > 0) g_object_set(s.element, "buffer-size", buffer_size, nullptr);
}

// A raw-mode mctxsink (raw_sink()).
struct RawSink : Sink {
  explicit RawSink(const char* interface = "mctx0", int buffer_size = 0) {
    raw_sink(*this, interface, buffer_size);
  }
};

// The peer ready for raw datagrams (rp_filter off), with a capture and an
// (S,G) receiver per family open before anything is sent.
struct RawPeer {
  rt::Capture cap{(peer_setup(), capture())};
  std::unique_ptr<mctx::test::Receiver> rx4 = ssm_receiver(kSource4, kGroup4);
  std::unique_ptr<mctx::test::Receiver> rx6 = ssm_receiver(kSource6, kGroup6);
  std::vector<Datagram> sent4, sent6;  // what the test sent, per family

  // Every datagram of sent4 and sent6 is received, in order, and is on the
  // wire byte for byte.
  void expect_delivered() {
    expect_received(*rx4, sent4);
    expect_received(*rx6, sent6);
    auto frames = cap.frames();
    for (const auto& d : sent4) expect_on_wire(frames, d, kGroup4);
    for (const auto& d : sent6) expect_on_wire(frames, d, kGroup6);
  }
};

}  // namespace mctx_gst_test
