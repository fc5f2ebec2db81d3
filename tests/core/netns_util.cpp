// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "netns_util.hpp"

#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <set>

namespace mctx::coretest {

std::string peer_netns() {
  const char* p = std::getenv("MCTX_PEER_NETNS");
  return p != nullptr ? p : "";
}

test::Receiver peer_receiver(const IpAddress& group, uint16_t port,
                             std::optional<IpAddress> source) {
  std::optional<test::Receiver> rx;
  test::in_netns(peer_netns(), [&] { rx.emplace(group, port, test::ifindex("mctx1"), source); });
  return std::move(*rx);
}

namespace {

// True when this process runs in a network namespace other than PID 1's and
// that namespace has no interface except lo and the mctx veth pair.
bool safe_namespace(std::string& why) {
  const char* flag = std::getenv("MCTX_NETNS");
  if (flag == nullptr || std::string(flag) != "1") {
    why = "MCTX_NETNS is not set: run through scripts/mctx-netns --peer";
    return false;
  }
  if (std::getenv("MCTX_PEER_NETNS") == nullptr || std::getenv("MCTX_VETH") == nullptr) {
    why = "no veth pair and peer namespace: run through scripts/mctx-netns --peer";
    return false;
  }
  // Where /proc/1 is readable, the namespace must differ from PID 1's. The
  // interface check below holds either way.
  struct stat self {}, init {};
  if (::stat("/proc/self/ns/net", &self) == 0 && ::stat("/proc/1/ns/net", &init) == 0 &&
      self.st_ino == init.st_ino && self.st_dev == init.st_dev) {
    why = "this is the host's network namespace";
    return false;
  }
  // Only lo and the veth pair may be up. (A fresh namespace can also hold
  // fallback tunnel devices such as tunl0 or sit0 when their modules are
  // loaded; they are down and harmless.)
  const std::set<std::string> allowed = {"lo", "mctx0", "mctx1"};
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    why = "cannot list the interfaces of this namespace";
    return false;
  }
  bool ok = true;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_name == nullptr || allowed.count(it->ifa_name) != 0) continue;
    if ((it->ifa_flags & IFF_UP) != 0) {
      why = std::string("unexpected interface '") + it->ifa_name + "' is up in this namespace";
      ok = false;
      break;
    }
  }
  ::freeifaddrs(list);
  if (!ok) return false;
  return true;
}

}  // namespace
}  // namespace mctx::coretest

int main(int argc, char** argv) {
  std::string why;
  if (!mctx::coretest::safe_namespace(why)) {
    std::fprintf(stderr, "SKIP: these tests send multicast and only run in a private namespace (%s)\n",
                 why.c_str());
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
