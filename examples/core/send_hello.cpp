// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// send_hello: the smallest complete libmctx-core program.
//
//   send_hello [GROUP [PORT [COUNT]]]     (defaults: 239.255.0.1 5000 3)
//
// Opens one publication pinned to the loopback interface (so nothing leaves
// the machine), sends COUNT datagrams "hello N" and prints what each send
// did. Watch it with a receiver joined on lo, for example:
//
//   mctx-test-recv --group 239.255.0.1 --port 5000 --interface lo &
//   send_hello
//
// docs/usage.md walks through this file.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <thread>

#include <mctx/mctx.hpp>

int main(int argc, char** argv) {
  const std::string group_text = argc > 1 ? argv[1] : "239.255.0.1";
  const int port = argc > 2 ? std::atoi(argv[2]) : 5000;
  const int count = argc > 3 ? std::atoi(argv[3]) : 3;

  // 1. Parse the group. Errors are values (mctx::Res), never exceptions.
  auto group = mctx::IpAddress::parse(group_text);
  if (!group) {
    std::fprintf(stderr, "send_hello: %s\n", group.error().what().c_str());
    return 2;
  }
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "send_hello: port %d is out of range 0..65535\n", port);
    return 2;
  }

  // 2. Describe the publication. validate() (called by open) checks every
  //    rule and names the value that broke one.
  mctx::PublicationConfig config(*group, static_cast<uint16_t>(port));
  config.with_interface(mctx::InterfaceSpec::name("lo"))  // stay on this host
      .with_ttl(1)
      .with_dscp(0);

  // 3. Open: socket, bind, IP_MULTICAST_IF / IPV6_MULTICAST_IF, TTL, loop,
  //    DSCP, non-blocking, connect.
  auto pub = mctx::Publication::open(config);
  if (!pub) {
    std::fprintf(stderr, "send_hello: %s (%s)\n", pub.error().what().c_str(),
                 mctx::errc_name(pub.error().code));
    return 1;
  }
  std::printf("publication %llu: %s -> %s, interface index %u\n",
              static_cast<unsigned long long>(pub->id()), pub->local().to_string().c_str(),
              pub->destination().to_string().c_str(), pub->interface_index());

  // 4. Send. The send path never throws and never allocates; would-block is
  //    its own code so a caller can wait for POLLOUT on pub->fd().
  int failed = 0;
  for (int i = 0; i < count; ++i) {
    const std::string payload = "hello " + std::to_string(i);
    auto sent = pub->send(std::as_bytes(std::span(payload)));
    if (sent) {
      std::printf("sent %zu bytes to %s from %s\n", sent->bytes_sent,
                  sent->destination().to_string().c_str(), sent->local().to_string().c_str());
    } else {
      ++failed;
      std::fprintf(stderr, "send_hello: send %d failed: %s (%s)\n", i,
                   sent.error().message().c_str(), mctx::errc_name(sent.error().code));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  // 5. Per-publication counters (lock-free; readable from any thread).
  const mctx::SendCounters c = pub->metrics().load();
  std::printf("%llu packets, %llu bytes, %llu errors\n",
              static_cast<unsigned long long>(c.packets_sent),
              static_cast<unsigned long long>(c.bytes_sent),
              static_cast<unsigned long long>(c.send_errors));
  return failed == 0 ? 0 : 1;
}
