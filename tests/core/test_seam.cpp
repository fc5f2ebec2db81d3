// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// Error paths of the send path, driven through the platform layer's syscall
// seam: the injected errno must come back as the right SendError (errno
// kept) and land in the right counters.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "gtest_netns.hpp"
#include "mctx/mctx.hpp"
#include "values.hpp"
#include "platform/platform.hpp"

namespace mctx {
// How a failed comparison of counters shows them.
void PrintTo(const SendCounters& k, std::ostream* os) {
  *os << "{send_calls " << k.send_calls << ", packets_sent " << k.packets_sent << ", bytes_sent "
      << k.bytes_sent << ", send_errors " << k.send_errors << ", would_block " << k.would_block
      << ", queue_full " << k.queue_full << ", unreachable " << k.unreachable << ", gso_sends "
      << k.gso_sends << "}";
}
}  // namespace mctx

namespace mctx::test {
namespace {

using namespace std::chrono_literals;

// What the fake system calls do. Reset by each test's fixture.
struct Fake {
  int fail_errno = 0;          // errno to fail with (0 = succeed)
  int eintr_first = 0;         // fail this many calls with EINTR first
  int mmsg_accept = -1;        // sendmmsg: accept at most this many on the first call
  int calls = 0;
  std::vector<unsigned> vlens;  // sendmmsg vlen per call
};
Fake g_fake;

ssize_t fake_sendmsg(int, const msghdr* msg, int) {
  ++g_fake.calls;
  if (g_fake.eintr_first > 0) {
    --g_fake.eintr_first;
    errno = EINTR;
    return -1;
  }
  if (g_fake.fail_errno != 0) {
    errno = g_fake.fail_errno;
    return -1;
  }
  ssize_t total = 0;
  for (std::size_t i = 0; i < msg->msg_iovlen; ++i) total += msg->msg_iov[i].iov_len;
  return total;
}

int fake_sendmmsg(int, void* raw, unsigned int vlen, int) {
  ++g_fake.calls;
  g_fake.vlens.push_back(vlen);
  if (g_fake.eintr_first > 0) {
    --g_fake.eintr_first;
    errno = EINTR;
    return -1;
  }
  auto* msgs = static_cast<mmsghdr*>(raw);
  unsigned n = vlen;
  if (g_fake.mmsg_accept >= 0) {
    if (g_fake.mmsg_accept == 0) {
      errno = g_fake.fail_errno;
      return -1;
    }
    n = std::min<unsigned>(n, static_cast<unsigned>(g_fake.mmsg_accept));
    g_fake.mmsg_accept = 0;  // the next call fails
  } else if (g_fake.fail_errno != 0) {
    errno = g_fake.fail_errno;
    return -1;
  }
  for (unsigned i = 0; i < n; ++i) {
    unsigned len = 0;
    for (std::size_t j = 0; j < msgs[i].msg_hdr.msg_iovlen; ++j) {
      len += static_cast<unsigned>(msgs[i].msg_hdr.msg_iov[j].iov_len);
    }
    msgs[i].msg_len = len;
  }
  return static_cast<int>(n);
}

// send(2) for single-buffer sends: the same behaviour as fake_sendmsg.
ssize_t fake_send(int fd, const void* buf, std::size_t len, int flags) {
  iovec iov{const_cast<void*>(buf), len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  return fake_sendmsg(fd, &msg, flags);
}

const platform::Syscalls kFake{&fake_sendmsg, &fake_sendmmsg, &fake_send};

class Seam : public ::testing::Test {
 protected:
  void SetUp() override {
    g_fake = Fake{};
    auto p = Publication::open(
        PublicationConfig(ip("239.4.0.1"), 5300).with_interface(InterfaceSpec::name("lo")));
    ASSERT_TRUE(p) << p.error().what();
    pub_.emplace(std::move(p).value());
  }
  std::optional<Publication> pub_;
  platform::ScopedSyscalls seam_{kFake};
};

// A failed send reports the errno as send_error_from_errno() maps it
// (test_error.cpp: the mapping itself) and counts it by that code.
TEST_F(Seam, InjectedErrnoMapsToSendErrorAndCounters) {
  uint64_t calls = 0, errors = 0, queue_full = 0, unreachable = 0;
  for (const int err : {ENOBUFS, EPERM, EACCES, EMSGSIZE, ENETUNREACH, ENODEV, ECONNREFUSED, EIO}) {
    g_fake.fail_errno = err;
    auto r = pub_->send(bytes("x"));
    ASSERT_FALSE(r);
    const Errc code = send_error_from_errno(err).code;
    EXPECT_EQ(r.error().code, code) << "errno " << err;
    EXPECT_EQ(r.error().system_errno, err);
    EXPECT_FALSE(r.error().would_block());
    ++calls;
    // A full queue is not an error (the caller resends or drops); an
    // unreachable network is an error that also counts as unreachable.
    if (code == Errc::no_buffer_space) {
      ++queue_full;
    } else {
      ++errors;
    }
    if (code == Errc::network_unreachable) ++unreachable;
    const SendCounters k = pub_->metrics().load();
    EXPECT_EQ(k.send_errors, errors);
    EXPECT_EQ(k.queue_full, queue_full);
    EXPECT_EQ(k.unreachable, unreachable);
    EXPECT_EQ(k.send_calls, calls);
    EXPECT_EQ(k.packets_sent, 0u);
    EXPECT_EQ(k.would_block, 0u);
  }
}

TEST_F(Seam, WouldBlockIsDistinguishableAndNotAnError) {
  g_fake.fail_errno = EAGAIN;
  auto r = pub_->send(bytes("x"));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().would_block());
  EXPECT_EQ(r.error().code, Errc::would_block);
  EXPECT_EQ(r.error().system_errno, EAGAIN);
  const SendCounters k = pub_->metrics().load();
  EXPECT_EQ(k.would_block, 1u);
  EXPECT_EQ(k.send_errors, 0u);
  EXPECT_EQ(k.send_calls, 0u);

  g_fake.fail_errno = 0;  // writable again
  ASSERT_TRUE(pub_->send(bytes("retry")));
  EXPECT_EQ(pub_->metrics().load().packets_sent, 1u);
}

TEST_F(Seam, EintrIsRetried) {
  g_fake.eintr_first = 2;
  auto r = pub_->send(bytes("hello"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->bytes_sent, 5u);
  EXPECT_EQ(g_fake.calls, 3);
  const SendCounters k = pub_->metrics().load();
  EXPECT_EQ(k.send_calls, 1u);
  EXPECT_EQ(k.packets_sent, 1u);
  EXPECT_EQ(k.bytes_sent, 5u);

  g_fake.calls = 0;
  g_fake.eintr_first = 1;
  std::string p = "abc";
  iovec iov{p.data(), p.size()};
  const OutMessage m{&iov, 1};
  const BatchReport b = pub_->send_batch(std::span<const OutMessage>(&m, 1));
  EXPECT_EQ(b.sent, 1u);
  EXPECT_FALSE(b.error);
  EXPECT_EQ(g_fake.calls, 2);
}

// The plain sendmmsg path: one message per datagram (segmentation off).
class SeamBatch : public Seam {
 protected:
  void SetUp() override {
    Seam::SetUp();
    auto p = Publication::open(PublicationConfig(ip("239.4.0.1"), 5300)
                                   .with_interface(InterfaceSpec::name("lo"))
                                   .with_gso(mctx::Gso::off));
    ASSERT_TRUE(p) << p.error().what();
    pub_.emplace(std::move(p).value());
  }
  void make(std::size_t n) {
    payloads_.assign(n, "0123456789");
    iovs_.resize(n);
    msgs_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      iovs_[i] = {payloads_[i].data(), payloads_[i].size()};
      msgs_[i] = {&iovs_[i], 1};
    }
  }
  // Sends a batch of n 10-byte datagrams (make()); the first sendmmsg call
  // takes at most `accept` of them (-1: all), every call fails with `err`
  // after that (0: none).
  BatchReport send(std::size_t n, int accept = -1, int err = 0) {
    make(n);
    g_fake.mmsg_accept = accept;
    g_fake.fail_errno = err;
    return pub_->send_batch(msgs_);
  }
  // The report of a batch of make()'s 10-byte datagrams: `sent` of them
  // went out, then `error` (nullopt: none) ended it.
  static void expect_report(const BatchReport& b, std::size_t sent, std::optional<Errc> error) {
    EXPECT_EQ(b.sent, sent);
    EXPECT_EQ(b.bytes_sent, 10 * sent);
    ASSERT_EQ(b.error.has_value(), error.has_value());
    if (!error) return;
    EXPECT_EQ(b.error->code, *error);
    EXPECT_EQ(b.error->would_block(), *error == Errc::would_block);
    EXPECT_EQ(b.error->system_errno, g_fake.fail_errno);
  }
  // The vlen of each sendmmsg call.
  static void expect_calls(const std::vector<unsigned>& vlens) { EXPECT_EQ(g_fake.vlens, vlens); }
  // Every counter of the publication.
  void expect_counters(const SendCounters& want) { EXPECT_EQ(pub_->metrics().load(), want); }
  std::vector<std::string> payloads_;
  std::vector<iovec> iovs_;
  std::vector<OutMessage> msgs_;
};

TEST_F(SeamBatch, ChunksIntoFixedSizeCalls) {
  expect_report(send(150), 150, std::nullopt);
  expect_calls({64, 64, 22});
  expect_counters({.send_calls = 1, .packets_sent = 150, .bytes_sent = 1500});
}

TEST_F(SeamBatch, PartialThenWouldBlock) {
  expect_report(send(20, 7, EAGAIN), 7, Errc::would_block);
  expect_counters({.send_calls = 1, .packets_sent = 7, .bytes_sent = 70, .would_block = 1});
}

TEST_F(SeamBatch, PartialThenError) {
  expect_report(send(20, 5, ENOBUFS), 5, Errc::no_buffer_space);
  expect_counters({.send_calls = 1, .packets_sent = 5, .bytes_sent = 50, .queue_full = 1});
}

TEST_F(SeamBatch, FirstCallFails) {
  expect_report(send(3, -1, EPERM), 0, Errc::permission_denied);
  expect_counters({.send_calls = 1, .send_errors = 1});
}

TEST_F(Seam, ContextTotalsFollowInjectedErrors) {
  Context ctx;
  auto a = ctx.add(std::move(*pub_));
  ASSERT_TRUE(a);
  auto b = ctx.add(PublicationConfig(ip("239.4.0.2"), 5300).with_interface(InterfaceSpec::name("lo")));
  ASSERT_TRUE(b);

  g_fake.fail_errno = ENOBUFS;
  const SendAllReport rep = ctx.send_all(bytes("x"));
  EXPECT_EQ(rep.attempted, 2u);
  EXPECT_EQ(rep.succeeded, 0u);
  ASSERT_TRUE(rep.first_error);
  EXPECT_EQ(rep.first_error->code, Errc::no_buffer_space);
  ASSERT_TRUE(rep.first_failed_id);
  EXPECT_EQ(*rep.first_failed_id, std::min(*a, *b));

  g_fake.fail_errno = EAGAIN;
  EXPECT_FALSE(ctx.send(*a, bytes("x")));
  g_fake.fail_errno = 0;
  EXPECT_TRUE(ctx.send(*a, bytes("xyz")));

  const Snapshot s = ctx.snapshot();
  EXPECT_EQ(s.send.send_errors, 0u);
  EXPECT_EQ(s.send.queue_full, 2u);
  EXPECT_EQ(s.send.would_block, 1u);
  EXPECT_EQ(s.send.packets_sent, 1u);
  EXPECT_EQ(s.send.bytes_sent, 3u);
  EXPECT_EQ(s.send.send_calls, 3u);  // two failed calls + one good; would-block is not a call
}

TEST(SeamTable, ScopedSyscallsRestoresTheRealTable) {
  EXPECT_EQ(&platform::syscalls(), &platform::real_syscalls());
  {
    platform::ScopedSyscalls s(kFake);
    EXPECT_EQ(&platform::syscalls(), &kFake);
  }
  EXPECT_EQ(&platform::syscalls(), &platform::real_syscalls());
}

// The segmentation path: a partial sendmmsg maps back to whole datagrams.
class SeamGso : public SeamBatch {
 protected:
  void SetUp() override {
    Seam::SetUp();  // segmentation on (auto)
  }
};

TEST_F(SeamGso, EqualSizesGoAsOneMessagePerRun) {
  // 10-byte datagrams: 64 per message
  expect_report(send(150), 150, std::nullopt);
  expect_calls({3});  // 64 + 64 + 22 in one call
  expect_counters({.send_calls = 1, .packets_sent = 150, .bytes_sent = 1500, .gso_sends = 3});
  EXPECT_EQ(pub_->gso().state, GsoState::active);
}

TEST_F(SeamGso, PartialSendCountsWholeRuns) {
  // the first message (64 datagrams), then EAGAIN
  expect_report(send(150, 1, EAGAIN), 64, Errc::would_block);
  expect_counters(
      {.send_calls = 1, .packets_sent = 64, .bytes_sent = 640, .would_block = 1, .gso_sends = 1});
  EXPECT_EQ(pub_->gso().state, GsoState::active);  // would-block is no refusal
}

TEST_F(SeamGso, ErrorOfARunIsTracedToItsDatagram) {
  // Every call fails with EPERM (a firewall) from the start: the run is
  // retried one datagram at a time, and the first datagram carries the error.
  expect_report(send(20, -1, EPERM), 0, Errc::permission_denied);
  expect_calls({1, 20});  // the run, then plainly
  expect_counters({.send_calls = 1, .send_errors = 1});
  EXPECT_EQ(pub_->gso().state, GsoState::ready);  // the datagram failed, not segmentation
}

TEST_F(SeamGso, QueueFullEndsTheBatchAsWithoutSegmentation) {
  // The first message (64 datagrams) goes out, the second is refused by a
  // full local queue (ENOBUFS): its datagrams did not go out, the batch ends
  // there (the caller sends them again or drops them), no plain retry and
  // no refusal of segmentation.
  expect_report(send(150, 1, ENOBUFS), 64, Errc::no_buffer_space);
  expect_calls({3, 2});  // no plain retry of the run
  expect_counters(
      {.send_calls = 1, .packets_sent = 64, .bytes_sent = 640, .queue_full = 1, .gso_sends = 1});
  EXPECT_EQ(pub_->gso().state, GsoState::active);  // queue-full is no refusal
}

}  // namespace
}  // namespace mctx::test
