// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// main() of the raw tests that send: refuses to run (exit 77, meson's skip)
// outside a private network namespace holding only lo and the mctx veth
// pair, so nothing can leave the machine even if a binary is started by hand.

#include <gtest/gtest.h>
#include <net/if.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

namespace {

bool safe_namespace(std::string& why) {
  const char* flag = std::getenv("MCTX_NETNS");
  if (flag == nullptr || std::string(flag) != "1") {
    why = "MCTX_NETNS is not set: run through scripts/mctx-netns --peer";
    return false;
  }
  // Where PID 1's namespace is readable, it must differ from ours. (In some
  // containers it is not readable; the interface list below still decides.)
  struct stat self {
  }, init{};
  if (::stat("/proc/self/ns/net", &self) == 0 && ::stat("/proc/1/ns/net", &init) == 0 &&
      self.st_ino == init.st_ino && self.st_dev == init.st_dev) {
    why = "this is the host's network namespace";
    return false;
  }
  // Only lo and the veth pair: nothing here leads off the machine.
  const std::set<std::string> allowed = {"lo", "mctx0", "mctx1"};
  if (struct if_nameindex* list = ::if_nameindex()) {
    for (struct if_nameindex* it = list; it->if_index != 0; ++it) {
      if (allowed.count(it->if_name) == 0) {
        why = std::string("unexpected interface '") + it->if_name + "' in this namespace";
        ::if_freenameindex(list);
        return false;
      }
    }
    ::if_freenameindex(list);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string why;
  if (!safe_namespace(why)) {
    std::fprintf(stderr,
                 "SKIP: these tests send raw multicast and only run in a private namespace (%s)\n",
                 why.c_str());
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
