// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Raw publications in a Context, and RawPublication::send_batch, inside
// scripts/mctx-netns --peer: every datagram byte for byte, in order, in few
// system calls; a batch stops at an invalid datagram and at kernel errors.

#include <gtest/gtest.h>
#include <net/if.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "raw_send_fixture.hpp"

namespace mctx::test {
namespace {

// ------------------------------------------------------------------ context

TEST_F(RawSend, ContextOwnsPublicationsAndKeepsTotals) {
  RawContext ctx;
  const Snapshot start = ctx.snapshot();
  auto id4 = ctx.add(v4_on_mctx0());
  ASSERT_TRUE(id4) << id4.error().what();
  auto id6 = ctx.add(v6_on_mctx0());
  ASSERT_TRUE(id6) << id6.error().what();
  EXPECT_NE(*id4, *id6);
  EXPECT_EQ(ctx.size(), 2u);

  auto dup = ctx.add(v4_on_mctx0());
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::duplicate_publication);
  EXPECT_EQ(ctx.size(), 2u);

  ASSERT_NE(ctx.get(*id4), nullptr);
  EXPECT_EQ(ctx.get(*id4)->family(), Family::ipv4);
  EXPECT_EQ(ctx.get(*id6)->family(), Family::ipv6);

  Capture cap = peer_capture();
  const auto d4 = build(spec4("mctx-raw-ctx-v4"));
  const auto d6 = build(spec6("mctx-raw-ctx-v6", dstopts_padn()));
  auto r4 = ctx.send(*id4, bytes(d4));
  ASSERT_TRUE(r4);
  EXPECT_EQ(r4->publication_id, *id4);
  auto r6 = ctx.send(*id6, bytes(d6));
  ASSERT_TRUE(r6);
  EXPECT_EQ(r6->publication_id, *id6);
  // The wrong family for a publication is an invalid datagram.
  auto wrong = ctx.send(*id4, bytes(d6));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::raw_family_mismatch);
  EXPECT_EQ(ctx.invalid_datagrams(), 1u);

  auto frames = cap.frames();
  int seen4 = 0, seen6 = 0;
  for (const auto& f : frames) {
    if (f.l3() == d4) ++seen4;
    if (f.l3() == d6) ++seen6;
  }
  EXPECT_EQ(seen4, 1);
  EXPECT_EQ(seen6, 1);

  Snapshot s = ctx.snapshot();
  EXPECT_EQ(s.active_publications, 2u);
  EXPECT_EQ(s.publications_added, 2u);
  EXPECT_EQ(s.send.packets_sent, 2u);
  EXPECT_EQ(s.send.bytes_sent, d4.size() + d6.size());
  const Delta delta = make_delta(start, s);
  EXPECT_EQ(delta.send.packets_sent, 2u);

  auto taken = ctx.take(*id4);
  ASSERT_TRUE(taken);
  EXPECT_GE(taken->fd(), 0) << "take() leaves the publication open";
  EXPECT_TRUE(taken->send(bytes(d4)));
  EXPECT_EQ(ctx.get(*id4), nullptr);
  EXPECT_TRUE(ctx.remove(*id6));
  EXPECT_FALSE(ctx.remove(*id6));
  s = ctx.snapshot();
  EXPECT_EQ(s.active_publications, 0u);
  EXPECT_EQ(s.publications_removed, 2u);
  EXPECT_EQ(s.send.packets_sent, 2u) << "totals never go down";

  // Re-adding the taken publication works; a moved-from one is refused.
  const PublicationId again = taken->id();
  auto re = ctx.add(std::move(*taken));
  ASSERT_TRUE(re);
  EXPECT_EQ(*re, again);
  RawPublication empty = std::move(*ctx.take(again));
  RawPublication moved_from = std::move(empty);
  auto bad = ctx.add(std::move(empty));  // NOLINT(bugprone-use-after-move): the point
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::publication_closed);
}

// UDP and raw publications draw their ids from one process-wide counter:
// opened one after another on this thread, the ids follow each other.
TEST_F(RawSend, IdsAreUniqueAcrossUdpAndRawPublications) {
  const auto udp_config = [](const char* group) {
    return PublicationConfig(ip(group), kPort).with_interface(InterfaceSpec::name("mctx0"));
  };
  auto udp_first = Publication::open(udp_config("239.255.0.77"));
  ASSERT_TRUE(udp_first) << udp_first.error().what();
  auto raw = open_pub(v4_on_mctx0());
  auto udp_second = Publication::open(udp_config("239.255.0.78"));
  ASSERT_TRUE(udp_second) << udp_second.error().what();
  EXPECT_NE(udp_first->id(), 0u);
  EXPECT_EQ(raw.id(), udp_first->id() + 1);
  EXPECT_EQ(udp_second->id(), raw.id() + 1);
}

// ------------------------------------------------------------------ send_batch

// Datagrams for one batch: payload "<marker>-NN", built for `fam`.
std::vector<std::vector<uint8_t>> batch_datagrams(Family fam, const std::string& marker,
                                                  std::size_t n) {
  const std::vector<std::byte> ext = dstopts_padn();
  std::vector<std::vector<uint8_t>> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string payload = marker + "-" + std::to_string(100 + i);
    out.push_back(fam == Family::ipv4 ? build(spec4(payload)) : build(spec6(payload, ext)));
  }
  return out;
}

// OutMessages over the datagrams: even ones in one buffer, odd ones in two
// (split inside the header). iovs must stay alive and unchanged.
std::vector<OutMessage> out_messages(const std::vector<std::vector<uint8_t>>& ds,
                                     std::vector<iovec>& iovs) {
  iovs.clear();
  iovs.reserve(2 * ds.size());
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    auto* p = const_cast<uint8_t*>(ds[i].data());
    const std::size_t first = iovs.size();
    if (i % 2 == 0) {
      iovs.push_back({p, ds[i].size()});
    } else {
      iovs.push_back({p, 11});
      iovs.push_back({p + 11, ds[i].size() - 11});
    }
    ranges.emplace_back(first, iovs.size() - first);
  }
  std::vector<OutMessage> msgs;
  for (const auto& [first, count] : ranges) msgs.push_back({&iovs[first], count});
  return msgs;
}

std::size_t total_size(const std::vector<std::vector<uint8_t>>& ds, std::size_t n) {
  std::size_t t = 0;
  for (std::size_t i = 0; i < n; ++i) t += ds[i].size();
  return t;
}

// The captured frames are exactly `ds`, in order, with the right Ethernet
// destination and EtherType.
void expect_frames_in_order(const std::vector<Frame>& frames,
                            const std::vector<std::vector<uint8_t>>& ds, const IpAddress& group) {
  ASSERT_EQ(frames.size(), ds.size()) << "frames with the marker at the peer";
  for (std::size_t i = 0; i < ds.size(); ++i) {
    SCOPED_TRACE("datagram " + std::to_string(i));
    const Frame& f = frames[i];
    ASSERT_GE(f.bytes.size(), 14u);
    EXPECT_EQ(std::vector<uint8_t>(f.bytes.begin(), f.bytes.begin() + 6),
              ethernet_multicast(group));
    EXPECT_EQ(f.ethertype(), group.is_v4() ? 0x0800 : 0x86dd);
    EXPECT_EQ(f.l3(), ds[i]) << "captured:\n" << hexdump(f.l3()) << "\nsent:\n" << hexdump(ds[i]);
  }
}

TEST_F(RawSend, BatchArrivesByteForByteInOrderInFewSystemCalls) {
  // 70 datagrams: more than one sendmmsg chunk (platform::kMaxBatch = 64).
  constexpr std::size_t kN = 70;
  for (Family fam : {Family::ipv4, Family::ipv6}) {
    SCOPED_TRACE(family_name(fam));
    FamilyCase fx(fam, "mctx-raw-batch");
    const auto ds = batch_datagrams(fam, fx.marker, kN);
    std::vector<iovec> iovs;
    const auto msgs = out_messages(ds, iovs);

    const platform::Syscalls counting{&counting_sendmsg, &counting_sendmmsg};
    platform::ScopedSyscalls seam(counting);
    g_sendmsg_calls = 0;
    g_sendmmsg_calls = 0;
    RawDatagramError bad;
    const BatchReport r = fx.pub.send_batch(msgs, &bad);
    EXPECT_FALSE(r.error) << r.error->message();
    EXPECT_EQ(r.publication_id, fx.pub.id());
    EXPECT_EQ(r.sent, kN);
    EXPECT_EQ(r.bytes_sent, total_size(ds, kN));
    EXPECT_EQ(bad.code, Errc::ok);
    EXPECT_EQ(g_sendmsg_calls.load(), 0);
    EXPECT_EQ(g_sendmmsg_calls.load(), 2);

    expect_frames_in_order(fx.cap.frames_with(fx.marker), ds, fx.group);
    const SendCounters c = fx.pub.metrics().load();
    EXPECT_EQ(c.send_calls, 1u) << "one send_batch() is one send call";
    EXPECT_EQ(c.packets_sent, kN);
    EXPECT_EQ(c.bytes_sent, total_size(ds, kN));
    EXPECT_EQ(c.send_errors, 0u);
    EXPECT_EQ(c.would_block, 0u);
    EXPECT_EQ(fx.pub.invalid_datagrams(), 0u);

    // An empty batch does nothing.
    const BatchReport e = fx.pub.send_batch({});
    EXPECT_EQ(e.sent, 0u);
    EXPECT_FALSE(e.error);
    EXPECT_EQ(fx.pub.metrics().load().send_calls, 1u);
  }
}

TEST_F(RawSend, BatchStopsAtAnInvalidDatagramBeforeItReachesTheKernel) {
  for (Family fam : {Family::ipv4, Family::ipv6}) {
    SCOPED_TRACE(family_name(fam));
    FamilyCase fx(fam, "mctx-raw-batch-bad");
    auto ds = batch_datagrams(fam, fx.marker, 6);
    // Datagram 3: IPv4 with a wrong header checksum / IPv6 with a wrong
    // payload length. It carries the marker too: it must not be captured.
    const Errc want = fam == Family::ipv4 ? Errc::raw_bad_checksum : Errc::raw_bad_payload_length;
    if (fam == Family::ipv4) {
      ds[3][11] ^= 0x5a;
    } else {
      ds[3][5] = static_cast<uint8_t>(ds[3][5] + 1);
    }
    std::vector<iovec> iovs;
    const auto msgs = out_messages(ds, iovs);

    RawDatagramError bad;
    const BatchReport r = fx.pub.send_batch(msgs, &bad);
    EXPECT_EQ(r.sent, 3u);
    EXPECT_EQ(r.bytes_sent, total_size(ds, 3));
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code, want) << errc_name(r.error->code);
    EXPECT_EQ(r.error->system_errno, 0);
    EXPECT_TRUE(is_raw_datagram_error(r.error->code));
    EXPECT_FALSE(r.error->would_block());
    EXPECT_FALSE(r.error->fatal());
    EXPECT_EQ(bad.code, want);
    EXPECT_NE(
        bad.message().find(fam == Family::ipv4 ? "IPv4 header checksum" : "IPv6 payload length"),
        std::string::npos)
        << bad.message();

    // Only the three before it are on the wire, in order.
    expect_frames_in_order(fx.cap.frames_with(fx.marker, 500ms),
                           std::vector<std::vector<uint8_t>>(ds.begin(), ds.begin() + 3), fx.group);
    EXPECT_EQ(fx.pub.invalid_datagrams(), 1u);
    SendCounters c = fx.pub.metrics().load();
    EXPECT_EQ(c.send_calls, 1u);
    EXPECT_EQ(c.packets_sent, 3u);
    EXPECT_EQ(c.send_errors, 0u) << "an invalid datagram is not a send error";

    // Invalid first: nothing reaches the kernel, no send call is counted;
    // without the out-parameter the code still tells what happened.
    const platform::Syscalls counting{&counting_sendmsg, &counting_sendmmsg};
    platform::ScopedSyscalls seam(counting);
    g_sendmsg_calls = 0;
    g_sendmmsg_calls = 0;
    const BatchReport first = fx.pub.send_batch(std::span(msgs).subspan(3));
    EXPECT_EQ(first.sent, 0u);
    ASSERT_TRUE(first.error);
    EXPECT_EQ(first.error->code, want);
    EXPECT_EQ(g_sendmsg_calls.load() + g_sendmmsg_calls.load(), 0);
    EXPECT_EQ(fx.pub.invalid_datagrams(), 2u);
    EXPECT_EQ(fx.pub.metrics().load(), c);

    // A datagram of the other family is invalid for this publication.
    const auto other = fam == Family::ipv4 ? build(spec6(fx.marker + "-other", dstopts_padn()))
                                           : build(spec4(fx.marker + "-other"));
    iovec oi{const_cast<uint8_t*>(other.data()), other.size()};
    const OutMessage om[2] = {msgs[0], {&oi, 1}};
    const BatchReport mixed = fx.pub.send_batch(om, &bad);
    EXPECT_EQ(mixed.sent, 1u);
    ASSERT_TRUE(mixed.error);
    EXPECT_EQ(mixed.error->code, Errc::raw_family_mismatch);
    EXPECT_EQ(bad.code, Errc::raw_family_mismatch);
    EXPECT_EQ(fx.pub.invalid_datagrams(), 3u);
    EXPECT_TRUE(fx.cap.frames_with(fx.marker + "-other", 300ms).empty());
  }
}

// First sendmmsg call: the real one limited to g_accept datagrams; later
// calls fail with g_errno.
std::atomic<int> g_mmsg_call{0};
std::atomic<unsigned> g_accept{0};
std::atomic<int> g_errno{0};
int partial_sendmmsg(int fd, void* msgs, unsigned int vlen, int flags) {
  if (g_mmsg_call.fetch_add(1) == 0 && g_accept.load() > 0) {
    return platform::real_syscalls().sendmmsg(fd, msgs, std::min(vlen, g_accept.load()), flags);
  }
  errno = g_errno.load();
  return -1;
}

TEST_F(RawSend, BatchWouldBlockAndKernelErrorsThroughTheSeam) {
  for (Family fam : {Family::ipv4, Family::ipv6}) {
    SCOPED_TRACE(family_name(fam));
    FamilyCase fx(fam, "mctx-raw-batch-eagain");
    const auto ds = batch_datagrams(fam, fx.marker, 7);
    std::vector<iovec> iovs;
    const auto msgs = out_messages(ds, iovs);
    BatchReport r;
    {
      const platform::Syscalls partial{platform::real_syscalls().sendmsg, &partial_sendmmsg};
      platform::ScopedSyscalls seam(partial);
      // The kernel takes 3, then the buffer is full.
      g_mmsg_call = 0;
      g_accept = 3;
      g_errno = EAGAIN;
      r = fx.pub.send_batch(msgs);
      EXPECT_EQ(r.sent, 3u);
      EXPECT_EQ(r.bytes_sent, total_size(ds, 3));
      ASSERT_TRUE(r.error);
      EXPECT_TRUE(r.error->would_block());
      EXPECT_EQ(r.error->system_errno, EAGAIN);
      EXPECT_EQ(fx.pub.metrics().load(), (SendCounters{1, 3, total_size(ds, 3), 0, 1}));

      // Full from the start: nothing sent, one more would-block, no call.
      g_mmsg_call = 0;
      g_accept = 0;
      const BatchReport none = fx.pub.send_batch(std::span(msgs).subspan(r.sent));
      EXPECT_EQ(none.sent, 0u);
      ASSERT_TRUE(none.error);
      EXPECT_TRUE(none.error->would_block());
      EXPECT_EQ(fx.pub.metrics().load(), (SendCounters{1, 3, total_size(ds, 3), 0, 2}));

      // A full local queue on the first: typed, and counted as a call that
      // met a full queue (queue_full), not as an error.
      g_mmsg_call = 0;
      g_errno = ENOBUFS;
      const BatchReport nobufs = fx.pub.send_batch(std::span(msgs).subspan(r.sent));
      EXPECT_EQ(nobufs.sent, 0u);
      ASSERT_TRUE(nobufs.error);
      EXPECT_EQ(nobufs.error->code, Errc::no_buffer_space);
      EXPECT_EQ(nobufs.error->system_errno, ENOBUFS);
      EXPECT_FALSE(is_raw_datagram_error(nobufs.error->code));
      EXPECT_EQ(fx.pub.metrics().load(), (SendCounters{2, 3, total_size(ds, 3), 0, 2, 1, 0}));
      EXPECT_EQ(fx.pub.invalid_datagrams(), 0u);
    }
    // Resubmitting the rest completes the stream, in order.
    const BatchReport rest = fx.pub.send_batch(std::span(msgs).subspan(r.sent));
    EXPECT_FALSE(rest.error);
    EXPECT_EQ(rest.sent, 4u);
    expect_frames_in_order(fx.cap.frames_with(fx.marker), ds, fx.group);
    EXPECT_EQ(fx.pub.metrics().load().packets_sent, 7u);
    EXPECT_EQ(fx.pub.metrics().load().send_calls, 3u);
  }
}

TEST_F(RawSend, BatchOnAClosedPublication) {
  auto pub = open_pub(v4_on_mctx0());
  const auto d = build(spec4("mctx-raw-batch-closed"));
  iovec iov{const_cast<uint8_t*>(d.data()), d.size()};
  const OutMessage m{&iov, 1};
  pub.close();
  const BatchReport r = pub.send_batch(std::span(&m, 1));
  EXPECT_EQ(r.sent, 0u);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, Errc::publication_closed);
  EXPECT_TRUE(r.error->fatal());
  EXPECT_FALSE(pub.send_batch({}).error) << "an empty batch reports nothing";
}

}  // namespace
}  // namespace mctx::test
