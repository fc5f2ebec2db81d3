// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-raw-send end to end, inside scripts/mctx-netns --peer: what it puts
// on the wire is compared byte for byte with the datagram the core builder
// makes from the same arguments; SSM receivers in the peer namespace get
// the payload; bad input exits 2 with a message and sends nothing; without
// CAP_NET_RAW it exits 1 and says what to do.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "mctx/mctx.hpp"
#include "gtest_netns.hpp"
#include "raw_test_util.hpp"

namespace mctx::test {
namespace {

std::string cli() {
  const char* p = std::getenv("MCTX_RAW_SEND");
  return p != nullptr ? p : "";
}

ProcessResult run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), cli());
  return run_process(args);
}

bool have(const char* program) {
  for (const char* dir : {"/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"}) {
    if (::access((std::string(dir) + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

class RawCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (peer_netns().empty()) GTEST_SKIP() << "needs scripts/mctx-netns --peer (MCTX_PEER_NETNS)";
    if (cli().empty()) GTEST_SKIP() << "MCTX_RAW_SEND is not set";
    peer_rp_filter_off();
  }
};

TEST_F(RawCli, Ipv4ForeignSourceByteForByteWithCountingIdentification) {
  const std::string payload = "mctx-raw-cli-v4";
  Capture cap = peer_capture();
  auto rx = peer_receiver(kGroup4, 5000, kSource4);
  const auto start = std::chrono::steady_clock::now();
  auto r = run_cli({"--source", "198.51.100.7", "--source-port", "4000", "--interface", "mctx0",
                    "--ttl", "5", "--tos", "0x28", "232.1.2.3", "5000", payload, "3", "50"});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(took, 100ms) << "three datagrams 50 ms apart";
  EXPECT_NE(r.out.find("[1/3] sent 43-byte datagram IPv4 198.51.100.7:4000 -> 232.1.2.3:5000 on "
                       "mctx0 (index "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("summary: 3 of 3 datagrams sent (129 bytes)"), std::string::npos) << r.out;

  auto frames = cap.frames_with(payload);
  ASSERT_EQ(frames.size(), 3u);
  for (uint16_t i = 0; i < 3; ++i) {
    UdpDatagramSpec s = udp_spec(kSource4, kGroup4, payload, 5);
    s.traffic_class = 0x28;
    s.ipv4_id = static_cast<uint16_t>(i + 1);
    EXPECT_EQ(frames[i].l3(), build(s)) << "datagram " << i + 1 << ":\n" << hexdump(frames[i].l3());
    EXPECT_EQ(std::vector<uint8_t>(frames[i].bytes.begin(), frames[i].bytes.begin() + 6),
              ethernet_multicast(kGroup4));
  }
  auto got = rx.receive_n(3, 1s);
  ASSERT_EQ(got.size(), 3u);
  for (const auto& g : got) {
    EXPECT_EQ(std::string(g.payload.begin(), g.payload.end()), payload);
    EXPECT_EQ(g.from.address, kSource4);
    EXPECT_EQ(g.ttl, 5);
  }
}

TEST_F(RawCli, Ipv6ForeignSourceByteForByte) {
  const std::string payload = "mctx-raw-cli-v6";
  Capture cap = peer_capture();
  auto rx = peer_receiver(kGroup6, 5000, kSource6);
  auto r = run_cli({"--source", "2001:db8:99::7", "--source-port", "4000", "--interface", "mctx0",
                    "--ttl", "7", "--tos", "0xb8", "--flow-label", "0x12345", "ff3e::8000:1234",
                    "5000", payload});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto frames = cap.frames_with(payload);
  ASSERT_EQ(frames.size(), 1u);
  UdpDatagramSpec s = udp_spec(kSource6, kGroup6, payload, 7);
  s.traffic_class = 0xb8;
  s.flow_label = 0x12345;
  EXPECT_EQ(frames[0].l3(), build(s)) << hexdump(frames[0].l3());
  auto got = rx.receive(2s);
  ASSERT_TRUE(got);
  EXPECT_EQ(std::string(got->payload.begin(), got->payload.end()), payload);
  EXPECT_EQ(got->ttl, 7);
  EXPECT_EQ(got->tos, 0xb8);
}

TEST_F(RawCli, DefaultSourceIsALocalAddressOfTheInterface) {
  Capture cap = peer_capture();
  auto r = run_cli({"--interface", "mctx0", "232.1.2.3", "5000", "mctx-raw-cli-default-v4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli({"--interface", "mctx0", "ff3e::8000:1234", "5000", "mctx-raw-cli-default-v6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli(
      {"--bind", "192.0.2.1", "--source-port", "7", "232.1.2.3", "5000", "mctx-raw-cli-bind"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto frames = cap.frames();
  bool v4 = false, v6 = false, bind = false;
  for (const auto& f : frames) {
    const auto l3 = f.l3();
    if (contains(l3, "mctx-raw-cli-default-v4")) {
      v4 = true;
      EXPECT_EQ(std::vector<uint8_t>(l3.begin() + 12, l3.begin() + 16),
                (std::vector<uint8_t>{192, 0, 2, 1}));
      EXPECT_EQ(l3[8], 1) << "default TTL 1";
      EXPECT_EQ((l3[20] << 8) | l3[21], 5000) << "default source port: PORT";
    }
    if (contains(l3, "mctx-raw-cli-default-v6")) {
      v6 = true;
      const IpAddress fd00 = ip("fd00::1");
      EXPECT_EQ(std::vector<uint8_t>(l3.begin() + 8, l3.begin() + 24),
                std::vector<uint8_t>(fd00.bytes().begin(), fd00.bytes().end()))
          << "a non-link-local address of mctx0";
    }
    if (contains(l3, "mctx-raw-cli-bind")) {
      bind = true;
      EXPECT_EQ(l3[15], 1);
      EXPECT_EQ((l3[20] << 8) | l3[21], 7);
    }
  }
  EXPECT_TRUE(v4);
  EXPECT_TRUE(v6);
  EXPECT_TRUE(bind) << "--bind 192.0.2.1 selects mctx0";
}

TEST_F(RawCli, BadInputExitsTwoWithAMessageAndSendsNothing) {
  const std::string marker = "mctx-raw-cli-bad";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"232.1.2.3", "0", marker}, "PORT '0' is out of range: must be an integer from 1 to 65535"},
      {{"10.0.0.1", "5000", marker}, "GROUP '10.0.0.1' is not a multicast address"},
      {{"--ttl", "300", "232.1.2.3", "5000", marker}, "--ttl '300' is out of range"},
      {{"--tos", "0x100", "232.1.2.3", "5000", marker}, "--tos '0x100' is out of range"},
      {{"--source", "fd00::1", "232.1.2.3", "5000", marker},
       "--source 'fd00::1' is IPv6 but GROUP '232.1.2.3' is IPv4"},
      {{"--source", "0.0.0.0", "--interface", "mctx0", "232.1.2.3", "5000", marker},
       "the datagram would be invalid: source address 0.0.0.0 of the IPv4 datagram is "
       "unspecified"},
      {{"--flow-label", "5", "232.1.2.3", "5000", marker},
       "--flow-label '5' applies only to IPv6 groups"},
      {{"--source", "2001:db8::1", "ff3e::1", "5000", marker},
       "IPv6 raw mode needs an explicit interface"},
      {{"--source", "2001:db8::1", "--interface", "lo", "ff3e::1", "5000", marker},
       "has link type loopback (ARPHRD 772); IPv6 raw mode works only on Ethernet-like links"},
      {{"--interface", "nosuchif0", "232.1.2.3", "5000", marker},
       "interface 'nosuchif0' does not exist"},
      {{"--interface", "mctx0", "--interface-index", "1", "232.1.2.3", "5000", marker},
       "give only one of them"},
      {{"--bind", "203.0.113.9", "232.1.2.3", "5000", marker},
       "bind address '203.0.113.9' is not configured on any interface of this host"},
      {{"232.1.2.3", "5000", marker}, "no --source given and no local address to use instead"},
      {{"--frobnicate", "232.1.2.3", "5000", marker}, "frobnicate"},
      {{"232.1.2.3", "5000"}, "missing PAYLOAD"},
  };
  Capture cap = peer_capture();
  for (const auto& c : cases) {
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    SCOPED_TRACE(line);
    auto r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("mctx-raw-send: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  EXPECT_TRUE(cap.frames_with(marker, 300ms).empty());
}

TEST_F(RawCli, WithoutCapNetRawItSaysWhatToDo) {
  const std::string hint =
      "mctx-raw-send: raw mode needs CAP_NET_RAW (run as root, or setcap cap_net_raw+ep on the "
      "program)";
  const std::string marker = "mctx-raw-cli-nocap";
  Capture cap = peer_capture();
  std::vector<std::vector<std::string>> wrappers;
  if (have("setpriv")) {
    wrappers.push_back({"setpriv", "--inh-caps=-all", "--bounding-set=-net_raw", "--"});
  }
  if (have("capsh")) {
    wrappers.push_back({"capsh", "--drop=cap_net_raw", "--", "-c", "exec \"$@\"", "capsh"});
  }
  if (wrappers.empty()) GTEST_SKIP() << "neither setpriv nor capsh is installed";
  for (const auto& w : wrappers) {
    for (const char* group : {"232.1.2.3", "ff3e::8000:1234"}) {
      SCOPED_TRACE(w.front() + " " + group);
      std::vector<std::string> argv = w;
      for (const std::string& a : {cli(), std::string("--source"),
                                   std::string(group[0] == 'f' ? "2001:db8:99::7" : "198.51.100.7"),
                                   std::string("--interface"), std::string("mctx0"),
                                   std::string(group), std::string("5000"), marker}) {
        argv.push_back(a);
      }
      auto r = run_process(argv);
      EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
      EXPECT_NE(r.err.find(hint), std::string::npos) << r.err;
    }
  }
  EXPECT_TRUE(cap.frames_with(marker, 300ms).empty());
}

TEST_F(RawCli, CapabilitiesAndVersion) {
  auto r = run_cli({"--capabilities"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("platform: linux"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("permitted: yes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("IPv4: supported"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("IPv6: supported"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  interface required: yes"), std::string::npos) << r.out;
  r = run_cli({"--version"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("mctx-raw-send ", 0), 0u) << r.out;
}

// Raw IP control transmit from the command line: an ICMPv4 Echo Request
// from hex and an ICMPv6 Echo Request from a file reach the peer unchanged.
std::string hex_of(const std::vector<uint8_t>& v) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : v) {
    if (!out.empty()) out += ' ';
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// Appends bytes one by one (GCC 12 warns falsely about vector::insert of a
// range into a small vector at -O2).
void add(std::vector<uint8_t>& v, const uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) v.push_back(p[i]);
}

std::vector<uint8_t> icmp_echo(const IpAddress& src, const IpAddress& dst,
                               const std::string& marker) {
  std::vector<uint8_t> icmp = {static_cast<uint8_t>(src.is_v4() ? 8 : 128), 0, 0, 0, 0, 1, 0, 1};
  add(icmp, reinterpret_cast<const uint8_t*>(marker.data()), marker.size());
  const uint16_t c =
      src.is_v6() ? icmpv6_checksum(src, dst, icmp)
                  : internet_checksum(std::as_bytes(std::span<const uint8_t>(icmp.data(), icmp.size())));
  icmp[2] = static_cast<uint8_t>(c >> 8);
  icmp[3] = static_cast<uint8_t>(c);
  const std::size_t asize = src.is_v4() ? 4 : 16;
  std::vector<uint8_t> d;
  if (src.is_v4()) {
    d = {0x45, 0, 0, static_cast<uint8_t>(20 + icmp.size()), 0x12, 0x34, 0, 0, 64, 1, 0, 0};
  } else {
    d = {0x60, 0, 0, 0, 0, static_cast<uint8_t>(icmp.size()), 58, 64};
  }
  add(d, src.bytes().data(), asize);
  add(d, dst.bytes().data(), asize);
  add(d, icmp.data(), icmp.size());
  if (src.is_v4()) {
    fix_ipv4_header_checksum(std::as_writable_bytes(std::span<uint8_t>(d.data(), d.size())));
  }
  return d;
}

TEST_F(RawCli, RawIpDatagramFromHexAndFromFile) {
  Capture cap = peer_capture();
  const auto d4 = icmp_echo(ip("192.0.2.1"), ip("192.0.2.2"), "mctx-raw-cli-ip4");
  auto r4 = run_cli({"--bind", "192.0.2.1", "--datagram-hex", hex_of(d4)});
  EXPECT_EQ(r4.exit_code, 0) << r4.err;
  EXPECT_EQ(r4.out, "sent " + std::to_string(d4.size()) +
                        "-byte IPv4 datagram 192.0.2.1 -> 192.0.2.2, protocol 1, on mctx0 (index " +
                        std::to_string(::if_nametoindex("mctx0")) + ")\n");

  const auto d6 = icmp_echo(ip("fd00::1"), ip("fd00::2"), "mctx-raw-cli-ip6");
  char path[] = "/tmp/mctx-raw-cli-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, d6.data(), d6.size()), static_cast<ssize_t>(d6.size()));
  ::close(fd);
  auto r6 = run_cli({"--bind", "fd00::1", "--interface", "mctx0", "--datagram-file", path});
  ::unlink(path);
  EXPECT_EQ(r6.exit_code, 0) << r6.err;

  std::vector<Frame> f4, f6;  // one read: frames() consumes what it returns
  for (auto& f : cap.frames()) {
    if (contains(f.bytes, "mctx-raw-cli-ip4")) f4.push_back(f);
    if (contains(f.bytes, "mctx-raw-cli-ip6")) f6.push_back(f);
  }
  ASSERT_EQ(f4.size(), 1u);
  EXPECT_EQ(f4[0].l3(), d4);
  ASSERT_EQ(f6.size(), 1u);
  EXPECT_EQ(f6[0].l3(), d6);
}

TEST_F(RawCli, RawIpBadInputExitsTwoWithTheRule) {
  auto odd = run_cli({"--bind", "192.0.2.1", "--datagram-hex", "450"});
  EXPECT_EQ(odd.exit_code, 2);
  EXPECT_NE(odd.err.find("--datagram-hex has an odd number of hexadecimal digits"),
            std::string::npos)
      << odd.err;
  auto bad = run_cli({"--bind", "192.0.2.1", "--datagram-hex", "45 00 00 14"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("the datagram is invalid: IPv4 datagram of 4 bytes is shorter"),
            std::string::npos)
      << bad.err;
  const auto d6 = icmp_echo(ip("fd00::7"), ip("fd00::2"), "x");
  auto mismatch = run_cli({"--bind", "fd00::1", "--datagram-hex", hex_of(d6)});
  EXPECT_EQ(mismatch.exit_code, 2);
  EXPECT_NE(mismatch.err.find("source fd00::7 of the IPv6 datagram differs from the bind "
                              "address fd00::1"),
            std::string::npos)
      << mismatch.err;
  const auto d4 = icmp_echo(ip("192.0.2.1"), ip("192.0.2.2"), "x");
  auto none = run_cli({"--datagram-hex", hex_of(d4)});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("raw IP transmit needs an explicit egress"), std::string::npos)
      << none.err;
  auto extra = run_cli({"--bind", "192.0.2.1", "--ttl", "3", "--datagram-hex", hex_of(d4)});
  EXPECT_EQ(extra.exit_code, 2);
  EXPECT_NE(extra.err.find("--ttl does not apply to --datagram-file / --datagram-hex"),
            std::string::npos)
      << extra.err;
}

// A file larger than the largest IP datagram is refused after reading one
// byte past it, never read whole (/dev/zero ran out of memory): a FIFO fed
// with up to 64 MiB must be left with almost all of it unread.
TEST_F(RawCli, RawIpDatagramFileLargerThanAnyDatagramIsRefusedUnread) {
  char dir[] = "/tmp/mctx-raw-cli-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string fifo = std::string(dir) + "/datagram";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ::signal(SIGPIPE, SIG_IGN);  // the writer sees EPIPE instead
  std::size_t written = 0;
  std::thread writer([&] {
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    const std::vector<char> zeros(65536, 0);
    while (written < (std::size_t{64} << 20)) {
      const ssize_t w = ::write(fd, zeros.data(), zeros.size());
      if (w <= 0) break;  // EPIPE: the reader is gone
      written += static_cast<std::size_t>(w);
    }
    ::close(fd);
  });
  auto r = run_cli({"--bind", "192.0.2.1", "--datagram-file", fifo});
  // A writer still waiting for a reader (the CLI never opened the FIFO)
  // gets one that is gone at once, so it ends.
  const int unblock = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (unblock >= 0) ::close(unblock);
  writer.join();
  ::unlink(fifo.c_str());
  ::rmdir(dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--datagram-file '" + fifo + "' holds more than 65575 bytes: it must hold "
                       "one IP datagram, at most 65575 bytes"),
            std::string::npos)
      << r.err;
  EXPECT_LT(written, std::size_t{1} << 20) << "the whole FIFO was read";
}

TEST_F(RawCli, RouteSelectedEgress) {
  Capture cap = peer_capture();
  ASSERT_EQ(std::system("ip -6 route replace ff3e::/16 dev mctx0"), 0);
  auto ok = run_cli({"--route", "--source", "fd00::9", "ff3e::77", "5000", "mctx-raw-cli-route"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("on mctx0"), std::string::npos) << ok.out;
  EXPECT_EQ(cap.frames_with("mctx-raw-cli-route").size(), 1u);
  (void)std::system("ip -6 route del ff3e::/16 dev mctx0");
  auto lost = run_cli({"--route", "--source", "fd00::9", "ff3e::77", "5000", "x"});
  EXPECT_EQ(lost.exit_code, 1);
  EXPECT_NE(lost.err.find("route-selected egress for destination ff3e::77: no route of the "
                          "kernel's main routing table matches it"),
            std::string::npos)
      << lost.err;
  auto conflict = run_cli({"--route", "--interface", "mctx0", "ff3e::77", "5000", "x"});
  EXPECT_EQ(conflict.exit_code, 2);
  EXPECT_NE(conflict.err.find("cannot be combined with an interface (mctx0)"), std::string::npos)
      << conflict.err;
}

}  // namespace
}  // namespace mctx::test
