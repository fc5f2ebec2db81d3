// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>

#include "gtest_netns.hpp"
#include "mctx/mctx.hpp"
#include "values.hpp"

namespace mctx::test {
namespace {

using namespace std::chrono_literals;

PublicationConfig lo_config(const char* group, uint16_t port) {
  return PublicationConfig(ip(group), port).with_interface(InterfaceSpec::name("lo"));
}

// "first", "second", "third" as three one-buffer messages (16 bytes).
struct ThreeMessages {
  ThreeMessages() {
    for (int i = 0; i < 3; ++i) {
      iov[i] = {const_cast<char*>(parts[i].data()), parts[i].size()};
      msgs[i] = {&iov[i], 1};
    }
  }
  ThreeMessages(const ThreeMessages&) = delete;
  ThreeMessages& operator=(const ThreeMessages&) = delete;
  const std::string parts[3] = {"first", "second", "third"};
  iovec iov[3];
  OutMessage msgs[3];
};

TEST(Context, SendAllReachesEveryGroup) {
  const char* groups[] = {"239.3.0.1", "239.3.0.2", "239.3.0.3"};
  std::vector<Receiver> rxs;
  Context ctx;
  std::set<PublicationId> ids;
  for (const char* g : groups) {
    rxs.emplace_back(ip(g), 5200, ifindex("lo"));
    auto id = ctx.add(lo_config(g, 5200));
    ASSERT_TRUE(id) << id.error().what();
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(ctx.size(), 3u);

  const SendAllReport rep = ctx.send_all(bytes("to all"));
  EXPECT_EQ(rep.attempted, 3u);
  EXPECT_EQ(rep.succeeded, 3u);
  EXPECT_EQ(rep.bytes_sent, 18u);
  EXPECT_FALSE(rep.first_error);
  EXPECT_FALSE(rep.first_failed_id);
  for (std::size_t i = 0; i < rxs.size(); ++i) {
    auto got = rxs[i].receive_n(2, 300ms);
    ASSERT_EQ(got.size(), 1u) << groups[i];  // exactly once, and only its own group
    EXPECT_EQ(text(got[0]), "to all");
    EXPECT_EQ(got[0].destination, ip(groups[i]));
  }
  const Snapshot s = ctx.snapshot();
  EXPECT_EQ(s.active_publications, 3u);
  EXPECT_EQ(s.publications_added, 3u);
  EXPECT_EQ(s.send.packets_sent, 3u);
  EXPECT_EQ(s.send.bytes_sent, 18u);
}

TEST(Context, DuplicateIsRejected) {
  Context ctx;
  const auto config = lo_config("239.3.1.1", 5201).with_source_port(6201);
  auto first = ctx.add(config);
  ASSERT_TRUE(first);
  // Same flow, different TTL: still the same datagrams on the same wire.
  auto dup = ctx.add(PublicationConfig(config).with_ttl(5));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::duplicate_publication);
  EXPECT_EQ(dup.error().message,
            "publication (group 239.3.1.1:5201, source port 6201, interface lo) duplicates "
            "publication " + std::to_string(*first));
  EXPECT_EQ(ctx.size(), 1u);
  // Another port or group is another flow.
  EXPECT_TRUE(ctx.add(lo_config("239.3.1.1", 5202).with_source_port(6202)));
  EXPECT_TRUE(ctx.add(lo_config("239.3.1.2", 5201)));
  EXPECT_EQ(ctx.size(), 3u);

  // An open publication with the same flow, added directly.
  auto other = Publication::open(lo_config("239.3.1.2", 5201));
  ASSERT_TRUE(other);
  auto dup2 = ctx.add(std::move(other).value());
  ASSERT_FALSE(dup2);
  EXPECT_EQ(dup2.error().code, Errc::duplicate_publication);

  // The same publication (same id) cannot be added twice either.
  auto taken = ctx.take(*first);
  ASSERT_TRUE(taken);
  Context other_ctx;
  auto again = other_ctx.add(std::move(*taken));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *first);  // ids are stable across contexts
}

TEST(Context, GetTakeRemoveAndTotalsNeverGoDown) {
  Receiver rx(ip("239.3.2.1"), 5203, ifindex("lo"));
  Context ctx;
  auto a = ctx.add(lo_config("239.3.2.1", 5203));
  auto b = ctx.add(lo_config("239.3.2.2", 5203));
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  ASSERT_NE(ctx.get(*a), nullptr);
  EXPECT_EQ(ctx.get(*a)->id(), *a);
  EXPECT_EQ(ctx.get(12345678), nullptr);

  ASSERT_TRUE(ctx.send(*a, bytes("one")));
  ASSERT_TRUE(ctx.send(*b, bytes("two")));
  auto unknown = ctx.send(12345678, bytes("x"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::publication_not_found);

  Snapshot before = ctx.snapshot();
  EXPECT_EQ(before.send.packets_sent, 2u);
  EXPECT_EQ(before.send.send_calls, 2u);

  // take() hands the publication back, still open and working.
  std::optional<Publication> taken = ctx.take(*a);
  ASSERT_TRUE(taken);
  EXPECT_EQ(ctx.get(*a), nullptr);
  EXPECT_FALSE(ctx.take(*a));
  ASSERT_TRUE(taken->send(bytes("after take")));
  EXPECT_TRUE(ctx.remove(*b));
  EXPECT_FALSE(ctx.remove(*b));
  EXPECT_EQ(ctx.size(), 0u);

  const Snapshot after = ctx.snapshot();
  EXPECT_EQ(after.active_publications, 0u);
  EXPECT_EQ(after.publications_added, 2u);
  EXPECT_EQ(after.publications_removed, 2u);
  EXPECT_EQ(after.send.packets_sent, 2u);  // totals do not drop with the publications
  EXPECT_EQ(after.send.bytes_sent, 6u);
  EXPECT_GE(after.monotonic_time, before.monotonic_time);

  auto got = rx.receive_n(3, 300ms);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(text(got[0]), "one");
  EXPECT_EQ(text(got[1]), "after take");

  int visited = 0;
  ctx.for_each([&](Publication&) { ++visited; });
  EXPECT_EQ(visited, 0);
}

TEST(Context, SendBatchDeliversAndCountsOneCall) {
  Receiver rx(ip("239.3.4.1"), 5204, ifindex("lo"));
  Context ctx;
  auto id = ctx.add(lo_config("239.3.4.1", 5204));
  ASSERT_TRUE(id) << id.error().what();
  const ThreeMessages three;
  const std::string (&parts)[3] = three.parts;
  const auto& msgs = three.msgs;
  const BatchReport rep = ctx.send_batch(*id, msgs);
  EXPECT_EQ(rep.publication_id, *id);
  EXPECT_EQ(rep.sent, 3u);
  EXPECT_EQ(rep.bytes_sent, 16u);
  EXPECT_FALSE(rep.error);

  const BatchReport unknown = ctx.send_batch(12345678, msgs);
  EXPECT_EQ(unknown.sent, 0u);
  ASSERT_TRUE(unknown.error);
  EXPECT_EQ(unknown.error->code, Errc::publication_not_found);

  const Snapshot s = ctx.snapshot();
  EXPECT_EQ(s.send.send_calls, 1u);  // as the publication counts it
  EXPECT_EQ(s.send.packets_sent, 3u);
  EXPECT_EQ(s.send.bytes_sent, 16u);
  EXPECT_EQ(s.send.send_errors, 0u);
  EXPECT_EQ(ctx.get(*id)->metrics().load(), s.send);

  auto got = rx.receive_n(4, 300ms);
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(text(got[i]), parts[i]);
}

TEST(Context, AddRejectsInvalidConfigAndClosedPublication) {
  Context ctx;
  auto bad = ctx.add(PublicationConfig(ip("239.3.3.1"), 0));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::destination_port_zero);

  auto pub = Publication::open(lo_config("239.3.3.1", 5204));
  ASSERT_TRUE(pub);
  const ExtractedSocket s = pub->extract();
  ::close(s.fd);
  auto closed = ctx.add(std::move(pub).value());
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, Errc::publication_closed);
  EXPECT_EQ(ctx.size(), 0u);
  EXPECT_EQ(ctx.snapshot().publications_added, 0u);
}


// Two paths, as for redundant streams: the veth to the peer namespace and lo.
// Both receive the same batch; with the veth down, lo still receives all of
// it and the veth's failure is reported on its own publication only.
TEST(Context, SendAllBatchReportsEachPublication) {
  MCTX_REQUIRE_PEER();
  Context ctx;
  // The veth path is added first, so it is sent to (and fails) first.
  auto veth = ctx.add(PublicationConfig(ip("239.3.6.1"), 5206)
                          .with_interface(InterfaceSpec::name("mctx0")));
  ASSERT_TRUE(veth) << veth.error().what();
  auto lo = ctx.add(lo_config("239.3.6.2", 5206));
  ASSERT_TRUE(lo) << lo.error().what();
  Receiver rx_veth = peer_receiver(ip("239.3.6.1"), 5206);
  Receiver rx_lo(ip("239.3.6.2"), 5206, ifindex("lo"));

  const ThreeMessages three;
  const std::string (&parts)[3] = three.parts;
  const auto& msgs = three.msgs;
  BatchReport reports[2];
  SendAllReport rep = ctx.send_all_batch(msgs, reports);
  EXPECT_EQ(rep.attempted, 2u);
  EXPECT_EQ(rep.succeeded, 2u);
  EXPECT_EQ(rep.bytes_sent, 32u);
  EXPECT_FALSE(rep.first_failed_id);
  EXPECT_EQ(reports[0].publication_id, *veth);
  EXPECT_EQ(reports[1].publication_id, *lo);
  for (Receiver* rx : {&rx_veth, &rx_lo}) {
    auto got = rx->receive_n(4, 300ms);
    ASSERT_EQ(got.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(text(got[i]), parts[i]);
  }

  ASSERT_EQ(std::system("ip link set mctx0 down"), 0);
  rep = ctx.send_all_batch(msgs, reports);
  // Up again, with the IPv6 address a link going down removes, for the
  // tests that follow in this namespace.
  EXPECT_EQ(std::system("ip link set mctx0 up && ip -6 addr replace fd00::1/64 dev mctx0 nodad"), 0);
  EXPECT_EQ(rep.attempted, 2u);
  EXPECT_EQ(rep.succeeded, 1u);
  EXPECT_EQ(rep.bytes_sent, 16u);
  ASSERT_TRUE(rep.first_failed_id);
  EXPECT_EQ(*rep.first_failed_id, *veth);
  ASSERT_TRUE(rep.first_error);
  EXPECT_EQ(rep.first_error->code, Errc::network_unreachable);
  EXPECT_EQ(reports[0].sent, 0u);
  ASSERT_TRUE(reports[0].error);
  EXPECT_EQ(reports[1].sent, 3u);
  EXPECT_FALSE(reports[1].error);
  auto got = rx_lo.receive_n(4, 300ms);
  ASSERT_EQ(got.size(), 3u) << "the failing path stopped the other";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(text(got[i]), parts[i]);
  EXPECT_GE(ctx.get(*veth)->metrics().load().unreachable, 1u);

  // No report span: everything is still sent.
  rep = ctx.send_all_batch(msgs);
  EXPECT_EQ(rep.attempted, 2u);
  EXPECT_EQ(rx_lo.receive_n(4, 300ms).size(), 3u);
}

}  // namespace
}  // namespace mctx::test
