// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The core's log hook (<mctx/log.hpp>): the INFO line of a new publication
// names what the socket really has (bound address and port, interface name
// and index, SO_SNDBUF as read back, TTL, DSCP); a LOG line per send with
// size and result, also in a batch and on errors; nothing below the
// threshold; and logging at LOG level still allocates nothing on the send
// path. Linked into mctx-core-no-alloc (the allocation counter's binary),
// run inside scripts/mctx-netns --veth.

#include <gtest/gtest.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "mctx/mctx.hpp"
#include "support/alloc_counter.hpp"
#include "support/receiver.hpp"

namespace {

using namespace std::chrono_literals;

// Lines kept in fixed storage: the handler itself must not allocate, or the
// allocation test below would measure the test.
struct Captured {
  static constexpr int kMax = 512;
  char lines[kMax][mctx::kLogLineMax];
  char functions[kMax][40];
  mctx::LogLevel levels[kMax];
  int count = 0;
};
Captured g_captured;

void capture(mctx::LogLevel level, const char* function, const char* message, void*) {
  Captured& c = g_captured;
  const int i = c.count < Captured::kMax ? c.count : Captured::kMax - 1;
  std::snprintf(c.lines[i], sizeof c.lines[i], "%s", message);
  std::snprintf(c.functions[i], sizeof c.functions[i], "%s", function);
  c.levels[i] = level;
  ++c.count;
}

// Installs the capturing handler for one test.
class CoreLog : public ::testing::Test {
 protected:
  void SetUp() override { g_captured.count = 0; }
  void TearDown() override { mctx::set_log_handler(nullptr, nullptr, mctx::LogLevel::none); }
  static std::string line(int i) { return g_captured.lines[i]; }
  static std::string function(int i) { return g_captured.functions[i]; }
};

mctx::Publication open_on_lo(uint16_t port, int dscp) {
  mctx::PublicationConfig c(*mctx::IpAddress::parse("239.255.0.77"), port);
  c.with_interface(mctx::InterfaceSpec::name("lo")).with_ttl(3).with_dscp(dscp);
  c.with_send_buffer_size(65536);
  auto p = mctx::Publication::open(c);
  if (!p) throw std::runtime_error("open failed: " + p.error().what());
  return std::move(p).value();
}

TEST_F(CoreLog, InfoLineAtOpenNamesWhatTheSocketHas) {
  mctx::set_log_handler(&capture, nullptr, mctx::LogLevel::info);
  mctx::Publication pub = open_on_lo(5401, 46);
  ASSERT_EQ(g_captured.count, 1);
  EXPECT_EQ(g_captured.levels[0], mctx::LogLevel::info);
  EXPECT_EQ(function(0), "Publication::open");
  const std::string l = line(0);
  // The bound address and port come from getsockname: an ephemeral port
  // that only the kernel knew.
  ASSERT_NE(pub.local().port, 0);
  EXPECT_NE(l.find("127.0.0.1:" + std::to_string(pub.local().port) + " -> 239.255.0.77:5401"),
            std::string::npos)
      << l;
  EXPECT_NE(l.find("interface lo (index " + std::to_string(::if_nametoindex("lo")) + ")"),
            std::string::npos)
      << l;
  // SO_SNDBUF as the kernel reports it: Linux doubles the request.
  int sndbuf = 0;
  socklen_t len = sizeof sndbuf;
  ASSERT_EQ(::getsockopt(pub.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len), 0);
  EXPECT_NE(l.find("send buffer " + std::to_string(sndbuf) + " bytes (requested 65536)"),
            std::string::npos)
      << l;
  EXPECT_NE(l.find("TTL 3"), std::string::npos) << l;
  EXPECT_NE(l.find("DSCP 46"), std::string::npos) << l;
  EXPECT_NE(l.find(pub.describe()), std::string::npos) << l;

  // INFO threshold: no line per send.
  const char hello[] = "hello";
  ASSERT_TRUE(pub.send(std::as_bytes(std::span(hello, 5))));
  EXPECT_EQ(g_captured.count, 1) << "a send logged below the LOG threshold: " << line(1);
}

TEST_F(CoreLog, NothingWithoutHandlerOrBelowThreshold) {
  mctx::set_log_threshold(mctx::LogLevel::log);  // no handler: still silent
  EXPECT_EQ(mctx::log_handler(), nullptr);
  mctx::Publication a = open_on_lo(5402, 0);
  mctx::set_log_handler(&capture, nullptr, mctx::LogLevel::warning);
  mctx::Publication b = open_on_lo(5403, 0);
  const char hello[] = "hello";
  ASSERT_TRUE(b.send(std::as_bytes(std::span(hello, 5))));
  EXPECT_EQ(g_captured.count, 0) << line(0);
  EXPECT_EQ(mctx::log_threshold(), mctx::LogLevel::warning);
}

// A LOG line per send and per batch, with sizes and results (also errors),
// and not one allocation for them.
TEST_F(CoreLog, LogLinePerSendWithoutAllocation) {
  mctx::test::Receiver rx(*mctx::IpAddress::parse("239.255.0.77"), 5404, ::if_nametoindex("lo"));
  mctx::Publication pub = open_on_lo(5404, 0);
  mctx::set_log_handler(&capture, nullptr, mctx::LogLevel::log);
  std::vector<std::byte> data(300, std::byte{0x5a});
  const std::span<const std::byte> payload(data);
  const iovec whole{data.data(), data.size()};
  const mctx::OutMessage msgs[4] = {{&whole, 1}, {&whole, 1}, {&whole, 1}, {&whole, 1}};
  const std::vector<std::byte> huge(70000);
  ASSERT_TRUE(pub.send(payload));  // warm-up (and the first line)
  g_captured.count = 0;

  mctx::test::AllocationScope scope;
  const bool sent = static_cast<bool>(pub.send(payload));
  const mctx::BatchReport batch = pub.send_batch(msgs);
  const bool too_long = !pub.send(std::span<const std::byte>(huge));
  const uint64_t allocs = scope.stop();

  EXPECT_TRUE(sent);
  EXPECT_EQ(batch.sent, 4u);
  EXPECT_TRUE(too_long);
  EXPECT_EQ(allocs, 0u) << "logging on the send path allocated: "
                        << mctx::test::allocation_report();
  ASSERT_EQ(g_captured.count, 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(g_captured.levels[i], mctx::LogLevel::log);
  const std::string id = "publication " + std::to_string(pub.id()) + ": ";
  EXPECT_EQ(function(0), "Publication::send");
  EXPECT_EQ(line(0), id + "datagram of 300 bytes (1 buffer): sent");
  EXPECT_EQ(function(1), "Publication::send_batch");
  EXPECT_EQ(line(1), id + "batch of 4 datagrams: 4 sent (1200 bytes)");
  EXPECT_EQ(function(2), "Publication::send");
  EXPECT_EQ(line(2), id + "datagram of 70000 bytes (1 buffer): message_too_long (errno " +
                         std::to_string(EMSGSIZE) + ")");
  EXPECT_EQ(rx.receive_n(7, 500ms).size(), 6u);
}

}  // namespace
