// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// The namespaces of the amtsrc tests against amtrelayd (test-amtsrc-amtrelayd
// and test-amtsrc-driad), under scripts/mctx-netns --peer2:
//
//   peer2 ns (source)    mctx3 198.51.100.2 / fd01::2 sends (S,G) UDP
//   main ns  (relay)     amtrelayd -a/-r 192.0.2.1 (fd00::1) -c mctx2
//   peer ns  (gateway)   mctx1 192.0.2.2 / fd00::2: the pipeline under test;
//                        lan0 10.9.0.1 <-> lan1 10.9.0.2 (the LAN), with an
//                        (S,G)-joined receiver on lan1
//
// The path of amtrelayd is $MCTX_AMTRELAYD.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

#include "amtsrc-test.hpp"
#include "process.hpp"

namespace amtsrc_test {

using namespace mctx_gst_test;

inline constexpr const char* kSource4 = "198.51.100.2";
inline constexpr const char* kSource6 = "fd01::2";
inline constexpr const char* kGroup6 = "ff3e::8000:1";
inline constexpr const char* kRelay4 = "192.0.2.1";
inline constexpr const char* kRelay6 = "fd00::1";

inline std::string env(const char* name) { return str(std::getenv(name)); }

// A child process (argv[0] looked up on PATH), its output appended to
// `log`; killed by the destructor, and by the kernel when the thread that
// made it ends (a failed check exits without destructors, a timeout kills).
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    fail_unless(out >= 0, "opening %s: %s", log.c_str(), g_strerror(errno));
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(out, 1);
      dup2(out, 2);
      execvp(args[0], args.data());
      _exit(127);
    }
    const int err = errno;
    close(out);
    fail_unless(pid_ > 0, "starting %s: %s", argv[0].c_str(), g_strerror(err));
  }
  ~Child() { stop(SIGKILL); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool running() {
    if (pid_ <= 0) return false;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  void stop(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int st = 0;
    waitpid(pid_, &st, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

inline const std::string kRelayLog = "/tmp/amtsrc-amtrelayd-" + std::to_string(getpid()) + ".log";

inline std::unique_ptr<Child> start_relay(bool v6) {
  std::vector<std::string> argv = {env("MCTX_AMTRELAYD"), "-d", "-c", "mctx2"};
  if (v6) {
    argv.insert(argv.end(), {"-n", "inet6", "-l", "inet6", "-a", kRelay6, "-r", kRelay6});
  } else {
    argv.insert(argv.end(), {"-a", kRelay4, "-r", kRelay4});
  }
  auto c = std::make_unique<Child>(argv, kRelayLog);
  g_usleep(500000);
  fail_unless(c->running(), "amtrelayd exited at once (see %s)", kRelayLog.c_str());
  return c;
}

// The source on the peer2 host: UDP from S:4000 to (G, 5000), TTL 8.
class Source {
 public:
  explicit Source(bool v6) : v6_(v6) {
    must("the source socket", [&] {
      mctx::test::in_netns(mctx::test::peer_netns(mctx::test::Peer::second), [&] {
        fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (v6) {
          const int idx = static_cast<int>(mctx::test::ifindex("mctx3")), hops = 8;
          setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx);
          setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
        } else {
          const in_addr a = addr(kSource4).to_in_addr();
          const int ttl = 8;
          setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof a);
          setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
        }
        sockaddr_storage ss{};
        const socklen_t l =
            mctx::Endpoint{addr(v6 ? kSource6 : kSource4), kSourcePort}.to_sockaddr(ss);
        if (bind(fd_, reinterpret_cast<sockaddr*>(&ss), l) != 0) {
          throw std::runtime_error(std::string("bind: ") + g_strerror(errno));
        }
      });
      return 0;
    });
  }
  ~Source() { close(fd_); }
  void send(int first, int count, int gap_us = 5000) {
    sockaddr_storage ss{};
    const socklen_t l = mctx::Endpoint{addr(v6_ ? kGroup6 : kGroup), kPort}.to_sockaddr(ss);
    for (int i = first; i < first + count; ++i) {
      const Bytes b = payload(i);
      fail_unless(sendto(fd_, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&ss), l) ==
                      static_cast<ssize_t>(b.size()),
                  "the source's sendto: %s", g_strerror(errno));
      g_usleep(gap_us);
    }
  }

 private:
  bool v6_;
  int fd_ = -1;
};

// The LAN receiver on lan1 in the gateway's namespace, joined to (S,G).
inline std::unique_ptr<mctx::test::Receiver> lan_receiver(bool v6) {
  return must("the LAN receiver", [&] {
    std::unique_ptr<mctx::test::Receiver> rx;
    mctx::test::in_netns(mctx::test::peer_netns(), [&] {
      rx = std::make_unique<mctx::test::Receiver>(addr(v6 ? kGroup6 : kGroup), kPort,
                                                  mctx::test::ifindex("lan1"),
                                                  addr(v6 ? kSource6 : kSource4));
      rx->set_buffer_size(8 << 20);
    });
    return rx;
  });
}

// Every datagram first..first+count-1 byte-identical, from S:4000.
inline void check_lan(mctx::test::Receiver& rx, int first, int count, bool v6) {
  const auto got = receive_n(rx, 1000000, 3000);
  std::set<int> seen;
  const char* src = v6 ? kSource6 : kSource4;
  for (const auto& d : got) {
    const Bytes b(d.payload.begin(), d.payload.end());
    fail_unless(b.size() > 10, "a datagram of %zu bytes on the LAN", b.size());
    const int i = std::atoi(std::string(b.begin() + 4, b.begin() + 10).c_str());
    fail_unless(b == payload(i), "LAN datagram %d differs from what the source sent", i);
    fail_unless(d.from.address.to_string() == src && d.from.port == kSourcePort,
                "LAN datagram %d from %s", i, d.from.to_string().c_str());
    seen.insert(i);
  }
  for (int i = first; i < first + count; ++i) {
    fail_unless(seen.count(i) == 1, "the LAN receiver missed datagram %d (%zu of %d came)", i,
                seen.size(), count);
  }
}

// The pipeline, started in the gateway's namespace (its sockets live there).
inline std::unique_ptr<Pipeline> gateway(const std::string& description) {
  auto p = std::make_unique<Pipeline>(description);
  GstStateChangeReturn r = GST_STATE_CHANGE_FAILURE;
  must("starting the gateway", [&] {
    mctx::test::in_netns(mctx::test::peer_netns(),
                         [&] { r = gst_element_set_state(p->element(), GST_STATE_PLAYING); });
    return 0;
  });
  fail_unless(r != GST_STATE_CHANGE_FAILURE, "the gateway did not start: %s",
              p->describe_errors().c_str());
  return p;
}

inline void wait_joined(Pipeline& p) {
  fail_unless(p.wait_state("joined", 15s), "not joined within 15 s; states %s; metrics %s",
              Pipeline::join(p.states()).c_str(), p.metrics_text().c_str());
  g_usleep(500000);  // the relay's join upstream
}

// amtsrc output=datagram ! mctxsink raw-mode=true on lan0, with the relay of
// this layout, or (by_dns) no relay-address: the relay DNS names.
inline std::string datagram_pipeline(bool v6, bool by_dns = false) {
  const std::string relay = by_dns ? "" : std::string("relay-address=") + (v6 ? kRelay6 : kRelay4);
  return "amtsrc name=amt " + relay + " group=" + (v6 ? kGroup6 : kGroup) + " source-address=" + (v6 ? kSource6 : kSource4) +
         " output=datagram metrics-interval=0 ! mctxsink raw-mode=true interface=lan0 "
         "stats-interval=0";
}

// Once, before the tests: the LAN in the gateway's namespace, the relay's
// routes toward the source.
inline void setup_network() {
  const std::string peer = mctx::test::peer_netns();
  mctx::test::shell(
      "ip link add lan0 type veth peer name lan1 2>/dev/null || true\n"
      "ip link set lan0 multicast on up; ip link set lan1 multicast on up\n"
      "ip addr add 10.9.0.1/24 dev lan0 2>/dev/null || true\n"
      "ip addr add 10.9.0.2/24 dev lan1 2>/dev/null || true\n"
      "ip -6 addr add fd09::1/64 dev lan0 nodad 2>/dev/null || true\n"
      "ip -6 addr add fd09::2/64 dev lan1 nodad 2>/dev/null || true\n"
      "for i in all default lan0 lan1; do sysctl -qw net.ipv4.conf.$i.rp_filter=0; done",
      peer);
  mctx::test::shell(
      "ip route add 232.0.0.0/8 dev mctx2 2>/dev/null || true; "
      "ip -6 route add ff3e::/16 dev mctx2 2>/dev/null || true");
}

// True (after a SKIP line) when $MCTX_AMTRELAYD is not an executable.
inline bool amtrelayd_missing() {
  const std::string relayd = env("MCTX_AMTRELAYD");
  if (!relayd.empty() && access(relayd.c_str(), X_OK) == 0) return false;
  std::fprintf(stderr,
               "SKIP: amtrelayd not available (../shared/peers/build-amtrelayd missing or "
               "its build failed; see tests/amt/amtrelayd-build.log in the build directory)\n");
  return true;
}

}  // namespace amtsrc_test
