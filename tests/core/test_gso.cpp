// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Segmentation offload (UDP_SEGMENT) in Publication::send_batch, checked on
// a real receiver in the peer namespace: every datagram arrives once, in
// order, with the caller's boundaries. The veth does its segmentation in
// software here (tx-udp-segmentation off), as a NIC without USO would.
// Runs inside scripts/mctx-netns --peer.

#include <gtest/gtest.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest_netns.hpp"
#include "mctx/mctx.hpp"
#include "values.hpp"
#include "platform/platform.hpp"

namespace mctx::test {
namespace {

using namespace std::chrono_literals;

// Datagram i: `size` bytes, starting with its index, then a pattern.
std::vector<uint8_t> make_datagram(std::size_t i, std::size_t size) {
  std::vector<uint8_t> d(size);
  for (std::size_t k = 0; k < size; ++k) d[k] = static_cast<uint8_t>((i * 7 + k) & 0xff);
  const std::string tag = std::to_string(i) + ":";
  if (size >= tag.size()) std::memcpy(d.data(), tag.data(), tag.size());
  return d;
}

struct Batch {
  std::vector<std::vector<uint8_t>> data;
  std::vector<iovec> iov;
  std::vector<OutMessage> msgs;
  explicit Batch(const std::vector<std::size_t>& sizes) {
    for (std::size_t i = 0; i < sizes.size(); ++i) data.push_back(make_datagram(i, sizes[i]));
    iov.resize(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
      iov[i] = iovec{data[i].data(), data[i].size()};
      msgs.push_back(OutMessage{&iov[i], 1});
    }
  }
};

// Sends the whole batch: waits on would-block and pacing, skips (and
// records) a datagram that fails.
struct SendOutcome {
  std::vector<std::size_t> failed;  // indexes
  std::vector<Errc> errors;
};
SendOutcome send_all(Publication& pub, const Batch& b) {
  SendOutcome out;
  std::size_t off = 0;
  while (off < b.msgs.size()) {
    const BatchReport r = pub.send_batch(std::span(b.msgs).subspan(off));
    off += r.sent;
    if (off >= b.msgs.size()) break;
    if (!r.error) {
      if (r.pace_delay.count() > 0) {
        timespec ts{0, static_cast<long>(r.pace_delay.count())};
        ::nanosleep(&ts, nullptr);  // pacing: the delay the publication asks for
      }
      continue;
    }
    if (r.error->would_block()) {
      pollfd p{pub.fd(), POLLOUT, 0};
      ::poll(&p, 1, 1000);
      continue;
    }
    out.failed.push_back(off);
    out.errors.push_back(r.error->code);
    ++off;
  }
  return out;
}

void grow_receive_buffer(Receiver& rx) {
  const int size = 16 << 20;
  ASSERT_EQ(::setsockopt(rx.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size), 0)
      << std::strerror(errno);
}

// Receives everything and checks exact payloads and order of the datagrams
// not in `skipped`; one more than expected is asked for, to catch duplicates.
void expect_delivered(Receiver& rx, const Batch& b, const std::vector<std::size_t>& skipped = {}) {
  std::vector<std::size_t> expected;
  for (std::size_t i = 0; i < b.data.size(); ++i) {
    if (std::find(skipped.begin(), skipped.end(), i) == skipped.end()) expected.push_back(i);
  }
  auto got = rx.receive_n(expected.size() + 1, 500ms);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k) {
    ASSERT_EQ(got[k].payload, b.data[expected[k]]) << "datagram " << k << " (index "
                                                    << expected[k] << ")";
  }
}

// A publication on its own (connected) socket, or on a caller's socket
// (never connected: every message, segmentation ones included, names the
// group in msg_name).
Res<Publication> open_or_adopt(const PublicationConfig& c, bool adopted) {
  if (!adopted) return Publication::open(c);
  const int fd = ::socket(c.group().is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  auto p = Publication::adopt(fd, c);
  ::close(fd);  // the publication sends through its own duplicate
  return p;
}

class Gso : public ::testing::Test {
 protected:
  void SetUp() override {
    MCTX_REQUIRE_PEER();
    // Software segmentation, as on a NIC without USO.
    if (std::system("ethtool -K mctx0 tx-udp-segmentation off >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "ethtool cannot turn off tx-udp-segmentation on mctx0";
    }
  }

  static PublicationConfig v4(uint16_t port) {
    return PublicationConfig(ip("239.1.10.1"), port).with_interface(InterfaceSpec::name("mctx0"));
  }
  static PublicationConfig v6(uint16_t port) {
    return PublicationConfig(ip("ff3e::10:1"), port).with_interface(InterfaceSpec::name("mctx0"));
  }
  static Publication open_ok(const PublicationConfig& c) {
    auto p = Publication::open(c);
    if (!p) throw std::runtime_error("open failed: " + p.error().what());
    return std::move(p).value();
  }

  // Equal sizes, longer than one segmentation message can hold.
  void equal_sizes(const PublicationConfig& c) {
    Receiver rx = peer_receiver(c.group(), c.port());
    grow_receive_buffer(rx);
    auto pub = open_ok(c);
    ASSERT_EQ(pub.gso().state, GsoState::ready);
    const Batch b(std::vector<std::size_t>(200, 1316));
    const SendOutcome out = send_all(pub, b);
    EXPECT_TRUE(out.failed.empty());
    expect_delivered(rx, b);
    const SendCounters m = pub.metrics().load();
    EXPECT_EQ(m.packets_sent, 200u);
    EXPECT_EQ(m.bytes_sent, 200u * 1316u);
    EXPECT_EQ(pub.gso().state, GsoState::active);
    // 49 datagrams of 1316 bytes fit in 65507: at least 5 messages.
    EXPECT_GE(m.gso_sends, 5u);
    EXPECT_LE(m.gso_sends, 10u);
  }
};

TEST_F(Gso, EqualSizesIpv4) { equal_sizes(v4(5100)); }
TEST_F(Gso, EqualSizesIpv6) { equal_sizes(v6(5101)); }

// Runs that end on a shorter datagram, single datagrams, a larger one after
// a smaller one (new run), empty datagrams, a datagram that must be
// fragmented (larger than the MTU: never in a run).
void mixed_sizes(const PublicationConfig& c, bool adopted) {
  Receiver rx = peer_receiver(c.group(), c.port());
  grow_receive_buffer(rx);
  auto pub = open_or_adopt(c, adopted);
  ASSERT_TRUE(pub) << pub.error().what();
  const std::vector<std::size_t> sizes = {100, 100, 100, 50,   200,  200,  1316, 1316, 1316, 1316,
                                          10,  0,   7,   7,    7,    3000, 3000, 1472, 1472, 1,
                                          500, 600, 600, 600,  599,  600,  0,    0,    1316, 1316};
  const Batch b(sizes);
  const SendOutcome out = send_all(*pub, b);
  EXPECT_TRUE(out.failed.empty());
  expect_delivered(rx, b);
  EXPECT_EQ(pub->metrics().load().packets_sent, sizes.size());
  EXPECT_GE(pub->metrics().load().gso_sends, 5u);
}

TEST_F(Gso, MixedSizesSplitIntoRuns) { mixed_sizes(v4(5102), false); }
// A caller's (unconnected) socket: segmentation and plain messages of one
// sendmmsg all name the group.
TEST_F(Gso, MixedSizesOnACallerSocketIpv4) { mixed_sizes(v4(5110), true); }
TEST_F(Gso, MixedSizesOnACallerSocketIpv6) { mixed_sizes(v6(5111), true); }

// Datagrams of several iovecs each, laid out four ways: in one array in
// order (a run is sent from the caller's array), each datagram's in an array
// of its own, in order with every seventh datagram's iovecs elsewhere (runs
// gathered on the stack), and 300 iovecs a datagram each in its own array
// (a gathered run stops at the stack array's 1024). Every byte arrives.
TEST_F(Gso, IovecsInPlaceOrGathered) {
  for (int layout = 0; layout < 4; ++layout) {
    SCOPED_TRACE("layout " + std::to_string(layout));
    const auto port = static_cast<uint16_t>(5120 + layout);
    Receiver rx = peer_receiver(ip("239.1.10.1"), port);
    grow_receive_buffer(rx);
    auto pub = open_ok(v4(port));
    Batch b(std::vector<std::size_t>(120, 1316));
    std::vector<iovec> in_order;                // layouts 0 and 2
    std::vector<std::vector<iovec>> own(120);  // layouts 1, 2 (every 7th) and 3
    in_order.reserve(3 * 120);
    for (std::size_t i = 0; i < 120; ++i) {
      uint8_t* d = b.data[i].data();
      std::vector<iovec> parts;
      if (layout == 3) {
        for (std::size_t k = 0; k < 299; ++k) parts.push_back({d + 4 * k, 4});
        parts.push_back({d + 4 * 299, 1316 - 4 * 299});
      } else {
        parts = {{d, 100}, {d + 100, 16}, {d + 116, 1200}};
      }
      const bool elsewhere = layout == 1 || layout == 3 || (layout == 2 && i % 7 == 3);
      if (elsewhere) {
        own[i] = std::move(parts);
        b.msgs[i] = OutMessage{own[i].data(), own[i].size()};
      } else {
        b.msgs[i] = OutMessage{in_order.data() + in_order.size(), parts.size()};
        in_order.insert(in_order.end(), parts.begin(), parts.end());
      }
    }
    EXPECT_TRUE(send_all(pub, b).failed.empty());
    expect_delivered(rx, b);
    const SendCounters m = pub.metrics().load();
    EXPECT_EQ(m.packets_sent, 120u);
    EXPECT_GE(m.gso_sends, layout == 3 ? 1u : 3u);  // 49 a message at most
    EXPECT_LE(m.gso_sends, layout == 3 ? 40u : 6u);
  }
}

TEST_F(Gso, LongerThanTheSegmentLimit) {
  // Small datagrams: the 64-segment limit ends each message, not the length.
  Receiver rx = peer_receiver(ip("239.1.10.1"), 5103);
  grow_receive_buffer(rx);
  auto pub = open_ok(v4(5103));
  const Batch b(std::vector<std::size_t>(64 * 5 + 3, 40));
  EXPECT_TRUE(send_all(pub, b).failed.empty());
  expect_delivered(rx, b);
  const SendCounters m = pub.metrics().load();
  EXPECT_EQ(m.packets_sent, b.msgs.size());
  EXPECT_EQ(m.gso_sends, 6u);  // 5 x 64 + one of 3
}

TEST_F(Gso, OversizedDatagramInTheMiddleCostsOnlyItself) {
  Receiver rx = peer_receiver(ip("239.1.10.1"), 5104);
  grow_receive_buffer(rx);
  auto pub = open_ok(v4(5104));
  std::vector<std::size_t> sizes(21, 1316);
  sizes[10] = 70000;  // over the 65507-byte UDP limit: EMSGSIZE
  const Batch b(sizes);
  const BatchReport first = pub.send_batch(b.msgs);
  EXPECT_EQ(first.sent, 10u);
  ASSERT_TRUE(first.error.has_value());
  EXPECT_EQ(first.error->code, Errc::message_too_long);
  const BatchReport rest = pub.send_batch(std::span(b.msgs).subspan(11));
  EXPECT_EQ(rest.sent, 10u);
  EXPECT_FALSE(rest.error.has_value());
  expect_delivered(rx, b, {10});
  const SendCounters m = pub.metrics().load();
  EXPECT_EQ(m.packets_sent, 20u);
  EXPECT_EQ(m.send_errors, 1u);
  EXPECT_EQ(pub.gso().state, GsoState::active);  // not a refusal
}

TEST_F(Gso, OffInTheConfigSendsOneMessagePerDatagram) {
  Receiver rx = peer_receiver(ip("239.1.10.1"), 5105);
  grow_receive_buffer(rx);
  auto pub = open_ok(v4(5105).with_gso(mctx::Gso::off));
  EXPECT_EQ(pub.gso().state, GsoState::off);
  const Batch b(std::vector<std::size_t>(100, 1316));
  EXPECT_TRUE(send_all(pub, b).failed.empty());
  expect_delivered(rx, b);
  EXPECT_EQ(pub.metrics().load().gso_sends, 0u);
}

// ---- fallback -----------------------------------------------------------

// The seam's sendmmsg: messages with UDP_SEGMENT fail with g_refusal, every
// other message goes to the real system call.
int g_refusal = EIO;
int g_refused_calls = 0;

bool carries_segment(const mmsghdr& h) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&h.msg_hdr); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&h.msg_hdr), c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT) return true;
  }
  return false;
}

int refusing_sendmmsg(int fd, void* raw, unsigned vlen, int flags) {
  auto* hdrs = static_cast<mmsghdr*>(raw);
  unsigned plain = 0;
  while (plain < vlen && !carries_segment(hdrs[plain])) ++plain;
  if (plain == 0) {
    ++g_refused_calls;
    errno = g_refusal;
    return -1;
  }
  return platform::real_syscalls().sendmmsg(fd, raw, plain, flags);
}

void forced_fallback(const PublicationConfig& c, int refusal, bool adopted = false) {
  g_refusal = refusal;
  g_refused_calls = 0;
  Receiver rx = peer_receiver(c.group(), c.port());
  grow_receive_buffer(rx);
  platform::Syscalls table = platform::real_syscalls();
  table.sendmmsg = &refusing_sendmmsg;
  platform::ScopedSyscalls seam(table);
  auto pub = open_or_adopt(c, adopted);
  ASSERT_TRUE(pub) << pub.error().what();
  // A plain datagram first, then runs: the refusal comes mid-batch.
  std::vector<std::size_t> sizes(150, 1000);
  sizes[0] = 77;
  const Batch b(sizes);
  EXPECT_TRUE(send_all(*pub, b).failed.empty());
  expect_delivered(rx, b);
  EXPECT_EQ(g_refused_calls, 1);  // refused once, then never asked again
  const GsoStatus st = pub->gso();
  EXPECT_EQ(st.state, GsoState::refused);
  EXPECT_EQ(st.error, refusal);
  const SendCounters m = pub->metrics().load();
  EXPECT_EQ(m.packets_sent, sizes.size());
  EXPECT_EQ(m.send_errors, 0u);
  EXPECT_EQ(m.gso_sends, 0u);
}

TEST_F(Gso, ForcedFallbackEioIpv4) { forced_fallback(v4(5106), EIO); }
TEST_F(Gso, ForcedFallbackEinvalIpv6) { forced_fallback(v6(5107), EINVAL); }
TEST_F(Gso, ForcedFallbackEopnotsupp) { forced_fallback(v4(5108), EOPNOTSUPP); }
// The fallback's plain messages on a caller's socket name the group too.
TEST_F(Gso, ForcedFallbackOnACallerSocket) { forced_fallback(v6(5112), EIO, true); }

// ---- shaping qdiscs ------------------------------------------------------

// tbf (like taprio and cake) segments a segmentation send larger than its
// burst by itself, queues the segments that fit, drops the rest and reports
// success: the sender could not count those drops. A publication whose
// interface has such a qdisc at open does not use segmentation offload
// (state `avoided`), so every datagram the queue refuses is an ENOBUFS the
// caller sees: received + refused = sent, exactly.
class GsoUnderTbf : public Gso {
 protected:
  void SetUp() override {
    Gso::SetUp();
    if (IsSkipped()) return;
    ASSERT_EQ(std::system("tc qdisc replace dev mctx0 root tbf rate 2mbit burst 3000 limit 3000"),
              0);
  }
  void TearDown() override { (void)std::system("tc qdisc del dev mctx0 root 2>/dev/null"); }

  // Sends `n` datagrams in batches of 30 and returns (received, refused).
  std::pair<std::size_t, std::size_t> send_through(Publication& pub, Receiver& rx, std::size_t n) {
    const Batch b(std::vector<std::size_t>(n, 1000));
    const SendOutcome out = send_all(pub, b);
    for (Errc e : out.errors) EXPECT_EQ(e, Errc::no_buffer_space);
    const auto got = rx.receive_n(n + 1, 800ms);
    return {got.size(), out.failed.size()};
  }
};

TEST_F(GsoUnderTbf, AvoidedSoEveryQueueDropIsReported) {
  Receiver rx = peer_receiver(ip("239.1.10.1"), 5113);
  grow_receive_buffer(rx);
  auto pub = open_ok(v4(5113).with_send_buffer_size(4 << 20));
  const GsoStatus st = pub.gso();
  ASSERT_EQ(st.state, GsoState::avoided);
  ASSERT_NE(pub.gso_avoided_by(), nullptr);
  EXPECT_STREQ(pub.gso_avoided_by(), "tbf");
  EXPECT_NE(pub.describe().find("GSO avoided (qdisc tbf"), std::string::npos) << pub.describe();

  const auto [received, refused] = send_through(pub, rx, 300);
  std::printf("tbf, GSO avoided: 300 sent, %zu received, %zu refused (ENOBUFS)\n", received,
              refused);
  EXPECT_GT(refused, 0u) << "the queue never filled: the test proves nothing";
  EXPECT_EQ(received + refused, 300u);
  EXPECT_EQ(pub.metrics().load().queue_full, refused);
  EXPECT_EQ(pub.metrics().load().gso_sends, 0u);
}

// A tbf whose burst holds the largest segmentation send never segments one:
// segmentation offload stays in use behind it. A small tbf as a child of
// another qdisc (htb) is found as well as a root one.
TEST_F(GsoUnderTbf, OnlyATbfThatWouldSegmentIsAvoided) {
  ASSERT_EQ(std::system("tc qdisc replace dev mctx0 root tbf rate 1gbit burst 200kb limit 1mb"),
            0);
  {
    auto pub = open_ok(v4(5115));
    EXPECT_EQ(pub.gso().state, GsoState::ready);
    EXPECT_EQ(pub.gso_avoided_by(), nullptr);
  }
  ASSERT_EQ(std::system("tc qdisc del dev mctx0 root && "
                        "tc qdisc add dev mctx0 root handle 1: htb default 10 && "
                        "tc class add dev mctx0 parent 1: classid 1:10 htb rate 10mbit && "
                        "tc qdisc add dev mctx0 parent 1:10 tbf rate 10mbit burst 8kb limit 16kb"),
            0);
  auto pub = open_ok(v4(5115));
  EXPECT_EQ(pub.gso().state, GsoState::avoided);
  ASSERT_NE(pub.gso_avoided_by(), nullptr);
  EXPECT_STREQ(pub.gso_avoided_by(), "tbf");
}

// A small-burst tbf added while the publication streams with segmentation
// offload: the publication hears it (rtnetlink, RTM_NEWQDISC) before its
// next batch and sends one message per datagram from then on, so every
// datagram the queue drops is refused visibly (ENOBUFS): received + refused
// = sent, exactly. When the qdisc goes away, segmentation resumes.
TEST_F(GsoUnderTbf, TbfAddedWhileStreamingIsNoticed) {
  ASSERT_EQ(std::system("tc qdisc del dev mctx0 root"), 0);
  Receiver rx = peer_receiver(ip("239.1.10.1"), 5116);
  grow_receive_buffer(rx);
  auto pub = open_ok(v4(5116).with_send_buffer_size(4 << 20));
  ASSERT_EQ(pub.gso().state, GsoState::ready);
  const auto [before, refused_before] = send_through(pub, rx, 120);
  ASSERT_EQ(before, 120u);
  ASSERT_EQ(refused_before, 0u);
  ASSERT_EQ(pub.gso().state, GsoState::active);
  const uint64_t gso_sends_before = pub.metrics().load().gso_sends;
  ASSERT_GT(gso_sends_before, 0u);

  // Mid-stream: between two batches of the same publication. A batch reads
  // the qdisc notifications once a millisecond at most: the next one starts
  // later than that.
  ASSERT_EQ(std::system("tc qdisc add dev mctx0 root tbf rate 2mbit burst 3000 limit 3000"), 0);
  std::this_thread::sleep_for(2ms);
  const auto [received, refused] = send_through(pub, rx, 300);
  std::printf("tbf added while streaming: 300 sent, %zu received, %zu refused (ENOBUFS)\n",
              received, refused);
  EXPECT_GT(refused, 0u) << "the queue never filled: the test proves nothing";
  EXPECT_EQ(received + refused, 300u) << "datagrams lost without a report";
  EXPECT_EQ(pub.gso().state, GsoState::avoided);
  EXPECT_STREQ(pub.gso_avoided_by(), "tbf");
  EXPECT_EQ(pub.metrics().load().gso_sends, gso_sends_before);

  // The qdisc goes away: segmentation offload again.
  ASSERT_EQ(std::system("tc qdisc del dev mctx0 root"), 0);
  std::this_thread::sleep_for(2ms);
  const auto [after, refused_after] = send_through(pub, rx, 120);
  EXPECT_EQ(after, 120u);
  EXPECT_EQ(refused_after, 0u);
  EXPECT_EQ(pub.gso().state, GsoState::active);
  EXPECT_EQ(pub.gso_avoided_by(), nullptr);
  EXPECT_GT(pub.metrics().load().gso_sends, gso_sends_before);
}

// The kernel fact behind it (tbf hides the drops of segments of a send that
// uses segmentation offload) is checked in tests/kernel/test_kernel_gso.cpp.

// A device without checksum offload: kernels before 6.11 refuse every
// segmentation send with EIO (the publication falls back); since commit
// "udp: Allow GSO transmit from devices with no checksum offload" they
// checksum in software. Either way every datagram arrives once.
TEST_F(Gso, DeviceWithoutChecksumOffloadDeliversEverything) {
  if (std::system("ethtool -K mctx0 tx-checksumming off >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "ethtool cannot turn off tx-checksumming on mctx0";
  }
  Receiver rx = peer_receiver(ip("239.1.10.1"), 5109);
  grow_receive_buffer(rx);
  auto pub = open_ok(v4(5109));
  const Batch b(std::vector<std::size_t>(120, 1316));
  const SendOutcome out = send_all(pub, b);
  (void)std::system("ethtool -K mctx0 tx-checksumming on >/dev/null 2>&1");
  EXPECT_TRUE(out.failed.empty());
  expect_delivered(rx, b);
  const GsoStatus st = pub.gso();
  if (st.state == GsoState::refused) {
    EXPECT_EQ(st.error, EIO);
    EXPECT_EQ(pub.metrics().load().gso_sends, 0u);
  } else {
    EXPECT_EQ(st.state, GsoState::active);
    EXPECT_GT(pub.metrics().load().gso_sends, 0u);
  }
  EXPECT_EQ(pub.metrics().load().packets_sent, b.msgs.size());
}

}  // namespace
}  // namespace mctx::test
