// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The send path allocates nothing: Publication::send(span), send(iov) and
// send_batch() make zero heap allocations per call in steady state (after
// one warm-up call), on success and on a per-packet error.
//
// How: this executable replaces the global operator new/delete (every
// variant) and, in plain builds, interposes malloc/calloc/realloc/free
// (forwarding to glibc's __libc_* functions); under AddressSanitizer or
// ThreadSanitizer, whose runtimes own malloc, it counts through
// __sanitizer_install_malloc_and_free_hooks instead. Counting is switched on
// only for the calling thread around the measured calls. The first
// allocation seen records its backtrace, which the failure message prints.
//
// Every datagram is also checked on a real receiver that joined the group,
// so the calls measured are calls that really sent. Runs inside
// scripts/mctx-netns --veth (lo for IPv4, the veth mctx0 for IPv6).

#include <execinfo.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <set>
#include <string>
#include <vector>
#include <ifaddrs.h>

#include "mctx/mctx.hpp"
#include "support/receiver.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MCTX_SANITIZED_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define MCTX_SANITIZED_MALLOC 1
#endif
#endif

#ifdef MCTX_SANITIZED_MALLOC
// From <sanitizer/allocator_interface.h> (compiler-rt; GCC does not install
// that header, its sanitizer runtimes export the function all the same).
extern "C" int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void*, std::size_t), void (*free_hook)(const volatile void*));
#else
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
}
#endif

// ---- allocation counting ----------------------------------------------------

namespace {

constexpr int kMaxFrames = 48;

std::atomic<uint64_t> g_new_calls{0};
std::atomic<uint64_t> g_malloc_calls{0};
thread_local bool t_counting = false;  // constant-initialised: no TLS wrapper, no allocation
void* g_first_frames[kMaxFrames];
int g_first_frame_count = 0;

void record(std::atomic<uint64_t>& counter) noexcept {
  if (!t_counting) return;
  t_counting = false;  // backtrace() must not count (or recurse)
  if (g_new_calls.load() + g_malloc_calls.load() == 0) {
    g_first_frame_count = ::backtrace(g_first_frames, kMaxFrames);
  }
  counter.fetch_add(1);
  t_counting = true;
}

void* counted_new(std::size_t n) {
  record(g_new_calls);
  void* p = std::malloc(n != 0 ? n : 1);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* counted_new_aligned(std::size_t n, std::align_val_t al) {
  record(g_new_calls);
  const auto a = static_cast<std::size_t>(al);
  void* p = nullptr;
  if (::posix_memalign(&p, a < sizeof(void*) ? sizeof(void*) : a, n != 0 ? n : 1) != 0) {
    throw std::bad_alloc();
  }
  return p;
}

#ifdef MCTX_SANITIZED_MALLOC
void malloc_hook(const volatile void*, std::size_t) { record(g_malloc_calls); }
void free_hook(const volatile void*) {}
#endif

}  // namespace

void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return counted_new_aligned(n, a);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return counted_new_aligned(n, a);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

#ifndef MCTX_SANITIZED_MALLOC
// glibc supports replacing malloc: these four are the required set; the other
// allocation functions stay glibc's and free through here is still glibc's.
extern "C" {
void* malloc(std::size_t n) {
  record(g_malloc_calls);
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  record(g_malloc_calls);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  record(g_malloc_calls);
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
}
#endif

namespace {

// Counts allocations made by the calling thread while it lives.
class AllocationScope {
 public:
  AllocationScope() {
    g_new_calls = 0;
    g_malloc_calls = 0;
    g_first_frame_count = 0;
    t_counting = true;
  }
  ~AllocationScope() { t_counting = false; }
  AllocationScope(const AllocationScope&) = delete;
  AllocationScope& operator=(const AllocationScope&) = delete;

  // Stops counting; returns the number of allocations seen.
  uint64_t stop() {
    t_counting = false;
    return g_new_calls.load() + g_malloc_calls.load();
  }
};

// "N operator new + M malloc; first one at:\n<frames>" for failure messages.
std::string report() {
  std::string out = std::to_string(g_new_calls.load()) + " operator new + " +
                    std::to_string(g_malloc_calls.load()) + " malloc/calloc/realloc";
  if (g_first_frame_count > 0) {
    out += "; first allocation at:\n";
    char** names = ::backtrace_symbols(g_first_frames, g_first_frame_count);
    for (int i = 0; i < g_first_frame_count; ++i) {
      char addr[32];
      std::snprintf(addr, sizeof addr, "%p", g_first_frames[i]);
      out += "  #" + std::to_string(i) + " " + (names ? names[i] : addr) + "\n";
    }
    std::free(names);
    out += "(resolve with: addr2line -Cfpe <binary or library> <offset>)";
  }
  return out;
}

// ---- fixtures -----------------------------------------------------------------

using namespace std::chrono_literals;
using mctx::test::Receiver;

mctx::IpAddress ip(const char* text) {
  auto a = mctx::IpAddress::parse(text);
  if (!a) throw std::runtime_error(a.error().what());
  return *a;
}

constexpr std::size_t kPayload = 200;
constexpr int kCalls = 100;  // measured calls per case
constexpr std::size_t kBatch = 16;

// A receiver with a receive buffer large enough for everything a case sends.
Receiver make_receiver(const mctx::IpAddress& group, uint16_t port, const char* ifname) {
  Receiver rx(group, port, ::if_nametoindex(ifname));
  const int big = 8 << 20;
  (void)::setsockopt(rx.fd(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  return rx;
}

std::vector<std::byte> pattern(std::size_t n, uint8_t seed) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(seed + i * 13);
  return v;
}

// Receives everything and checks count and content (every datagram = want).
void expect_delivered(Receiver& rx, std::size_t count, const std::vector<std::byte>& want) {
  auto got = rx.receive_n(count + 1, 500ms);  // one more than sent: catches duplicates
  ASSERT_EQ(got.size(), count);
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].payload.size(), want.size()) << "datagram " << i;
    ASSERT_EQ(std::memcmp(got[i].payload.data(), want.data(), want.size()), 0) << "datagram " << i;
  }
}

struct Target {
  const char* group;
  const char* ifname;
  const char* source;  // nullptr = none
};

class NoAlloc : public ::testing::TestWithParam<Target> {
 protected:
  mctx::Publication open(uint16_t port) {
    const Target& t = GetParam();
    mctx::PublicationConfig c(ip(t.group), port);
    c.with_interface(mctx::InterfaceSpec::name(t.ifname)).with_loopback(true);
    if (t.source) c.with_source_address(ip(t.source));
    auto p = mctx::Publication::open(c);
    if (!p) throw std::runtime_error("open failed: " + p.error().what());
    return std::move(p).value();
  }
  Receiver receiver(uint16_t port) {
    return make_receiver(ip(GetParam().group), port, GetParam().ifname);
  }
};

TEST_P(NoAlloc, SendSpan) {
  Receiver rx = receiver(5301);
  mctx::Publication pub = open(5301);
  const auto data = pattern(kPayload, 1);
  const std::span<const std::byte> payload(data);
  ASSERT_TRUE(pub.send(payload));  // warm-up

  AllocationScope scope;
  int ok = 0;
  for (int i = 0; i < kCalls; ++i) ok += pub.send(payload) ? 1 : 0;
  const uint64_t allocs = scope.stop();
  EXPECT_EQ(allocs, 0u) << "Publication::send(span) allocated: " << report();
  EXPECT_EQ(ok, kCalls);
  expect_delivered(rx, kCalls + 1, data);
}

TEST_P(NoAlloc, SendIovecs) {
  Receiver rx = receiver(5302);
  mctx::Publication pub = open(5302);
  const auto data = pattern(kPayload, 2);
  // Three pieces of one datagram: header, body, trailer.
  const iovec iov[3] = {{const_cast<std::byte*>(data.data()), 12},
                        {const_cast<std::byte*>(data.data()) + 12, 150},
                        {const_cast<std::byte*>(data.data()) + 162, kPayload - 162}};
  ASSERT_TRUE(pub.send(iov, 3));  // warm-up

  AllocationScope scope;
  int ok = 0;
  for (int i = 0; i < kCalls; ++i) ok += pub.send(iov, 3) ? 1 : 0;
  const uint64_t allocs = scope.stop();
  EXPECT_EQ(allocs, 0u) << "Publication::send(iov) allocated: " << report();
  EXPECT_EQ(ok, kCalls);
  expect_delivered(rx, kCalls + 1, data);
}

TEST_P(NoAlloc, SendBatch) {
  Receiver rx = receiver(5303);
  mctx::Publication pub = open(5303);
  const auto data = pattern(kPayload, 3);
  const iovec whole{const_cast<std::byte*>(data.data()), data.size()};
  std::vector<mctx::OutMessage> msgs(kBatch, mctx::OutMessage{&whole, 1});
  const std::span<const mctx::OutMessage> batch(msgs);
  ASSERT_EQ(pub.send_batch(batch).sent, kBatch);  // warm-up

  constexpr int kBatches = kCalls / 10;
  AllocationScope scope;
  std::size_t sent = 0;
  for (int i = 0; i < kBatches; ++i) sent += pub.send_batch(batch).sent;
  const uint64_t allocs = scope.stop();
  EXPECT_EQ(allocs, 0u) << "Publication::send_batch allocated: " << report();
  EXPECT_EQ(sent, kBatch * kBatches);
  expect_delivered(rx, kBatch * (kBatches + 1), data);
}

// A per-packet error (EMSGSIZE: larger than any UDP datagram) is reported
// without allocating too, and the publication keeps working.
TEST_P(NoAlloc, ErrorPathsDoNotAllocate) {
  Receiver rx = receiver(5304);
  mctx::Publication pub = open(5304);
  const std::vector<std::byte> huge(70000);
  const iovec big{const_cast<std::byte*>(huge.data()), huge.size()};
  const mctx::OutMessage one_big{&big, 1};
  const std::span<const std::byte> huge_span(huge);
  (void)pub.send(huge_span);  // warm-up
  (void)pub.send_batch(std::span<const mctx::OutMessage>(&one_big, 1));

  AllocationScope scope;
  int errors = 0;
  for (int i = 0; i < kCalls; ++i) {
    auto r = pub.send(huge_span);
    if (!r && r.error().code == mctx::Errc::message_too_long) ++errors;
    const mctx::BatchReport b = pub.send_batch(std::span<const mctx::OutMessage>(&one_big, 1));
    if (b.sent == 0 && b.error && b.error->code == mctx::Errc::message_too_long) ++errors;
  }
  const uint64_t allocs = scope.stop();
  EXPECT_EQ(allocs, 0u) << "the send error path allocated: " << report();
  EXPECT_EQ(errors, 2 * kCalls);

  const auto data = pattern(kPayload, 4);
  ASSERT_TRUE(pub.send(std::span<const std::byte>(data)));
  expect_delivered(rx, 1, data);
}

INSTANTIATE_TEST_SUITE_P(Families, NoAlloc,
                         ::testing::Values(Target{"239.255.0.42", "lo", nullptr},
                                           Target{"ff3e::4242", "mctx0", "fd00::1"}),
                         [](const ::testing::TestParamInfo<Target>& p) {
                           return std::string(p.param.ifname) == "lo" ? "Ipv4Loopback"
                                                                         : "Ipv6Veth";
                         });

// The counter itself works: a test that can fail.
TEST(AllocationCounter, SeesOperatorNewAndMalloc) {
  AllocationScope scope;
  auto* p = new int(7);
  void* q = std::malloc(32);
  const uint64_t allocs = scope.stop();
  delete p;
  std::free(q);
  EXPECT_GE(g_new_calls.load(), 1u);
  EXPECT_GE(g_malloc_calls.load(), 1u);
  EXPECT_GE(allocs, 2u);
  EXPECT_GT(g_first_frame_count, 0);
}

// True inside a private namespace from scripts/mctx-netns --veth where only
// lo and the veth pair are up.
bool safe_namespace(std::string& why) {
  const char* flag = std::getenv("MCTX_NETNS");
  if (flag == nullptr || std::string(flag) != "1" || std::getenv("MCTX_VETH") == nullptr) {
    why = "run it through scripts/mctx-netns --veth";
    return false;
  }
  struct stat self {}, init {};
  if (::stat("/proc/self/ns/net", &self) == 0 && ::stat("/proc/1/ns/net", &init) == 0 &&
      self.st_ino == init.st_ino && self.st_dev == init.st_dev) {
    why = "this is the host's network namespace";
    return false;
  }
  const std::set<std::string> allowed = {"lo", "mctx0", "mctx1"};
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    why = "cannot list the interfaces";
    return false;
  }
  bool ok = true;
  for (ifaddrs* it = list; it != nullptr && ok; it = it->ifa_next) {
    if (it->ifa_name != nullptr && (it->ifa_flags & IFF_UP) != 0 &&
        allowed.count(it->ifa_name) == 0) {
      why = std::string("interface '") + it->ifa_name + "' is up";
      ok = false;
    }
  }
  ::freeifaddrs(list);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string why;
  if (!safe_namespace(why)) {
    std::fprintf(stderr, "SKIP: these tests send multicast and only run in a private namespace (%s)\n",
                 why.c_str());
    return 77;
  }
  // backtrace() loads its unwinder on first use (which allocates): do it now.
  void* frames[4];
  (void)::backtrace(frames, 4);
#ifdef MCTX_SANITIZED_MALLOC
  __sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
#endif
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
