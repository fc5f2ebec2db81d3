// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "netns_guard.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace mctx::test {

bool safe_namespace(const NetnsRules& rules, std::string& why) {
  const char* flag = std::getenv("MCTX_NETNS");
  if (flag == nullptr || std::string(flag) != "1") {
    why = "MCTX_NETNS is not set: run through " + rules.how_to_run;
    return false;
  }
  for (const std::string& name : rules.required_env) {
    if (std::getenv(name.c_str()) == nullptr) {
      why = name + " is not set: run through " + rules.how_to_run;
      return false;
    }
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
  // getifaddrs() lists every interface (up or down) at least once.
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    why = "cannot list the interfaces of this namespace";
    return false;
  }
  bool ok = true;
  for (ifaddrs* it = list; it != nullptr && ok; it = it->ifa_next) {
    if (it->ifa_name == nullptr) continue;
    const auto& allowed = rules.allowed_interfaces;
    if (std::find(allowed.begin(), allowed.end(), it->ifa_name) != allowed.end()) continue;
    const bool up = (it->ifa_flags & IFF_UP) != 0;
    if (!up && rules.others_may_exist_down) continue;
    why = std::string("unexpected interface '") + it->ifa_name + "'" + (up ? " is up" : "") +
          " in this namespace";
    ok = false;
  }
  ::freeifaddrs(list);
  return ok;
}

bool require_private_netns(const NetnsRules& rules, const char* what) {
  std::string why;
  if (safe_namespace(rules, why)) return true;
  std::fprintf(stderr, "SKIP: %s and only run in a private namespace (%s)\n", what, why.c_str());
  return false;
}

}  // namespace mctx::test
