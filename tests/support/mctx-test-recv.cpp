// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-test-recv: a multicast receiver for tests and demos.
//
//   mctx-test-recv --group G --port P [--interface NAME|INDEX] [--source S]
//                  [--count N] [--timeout-ms T] [--ready-file PATH]
//
// Joins G (ASM, or SSM from S), touches PATH once joined, then prints one
// JSON object per datagram
//   {"from":"192.0.2.1:5000","ttl":1,"tos":0,"len":5,"payload_hex":"68656c6c6f"}
// until N datagrams arrived or T ms (default 2000) passed without one, and
// finally {"received":N}. Exit 0; 2 on bad arguments or a failed join.

#include <getopt.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "mctx/address.hpp"
#include "receiver.hpp"

namespace {

constexpr const char* kUsage =
    "usage: mctx-test-recv --group G --port P [--interface NAME|INDEX] [--source S]\n"
    "                      [--count N] [--timeout-ms T] [--ready-file PATH]\n";

[[noreturn]] void bad(const std::string& msg) {
  std::cerr << "mctx-test-recv: " << msg << "\n" << kUsage;
  std::exit(2);
}

uint64_t parse_number(const char* option, const std::string& text, uint64_t max) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
      text.size() > 19) {
    bad(std::string(option) + " '" + text + "' is not a non-negative integer");
  }
  const uint64_t v = std::stoull(text);
  if (v > max) bad(std::string(option) + " " + text + " is larger than " + std::to_string(max));
  return v;
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 0xf]);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<mctx::IpAddress> group;
  std::optional<uint16_t> port;
  std::optional<mctx::IpAddress> source;
  std::string interface;
  uint64_t count = std::numeric_limits<uint64_t>::max();
  uint64_t timeout_ms = 2000;
  std::string ready_file;

  static const option options[] = {
      {"group", required_argument, nullptr, 'g'},
      {"port", required_argument, nullptr, 'p'},
      {"interface", required_argument, nullptr, 'i'},
      {"source", required_argument, nullptr, 's'},
      {"count", required_argument, nullptr, 'c'},
      {"timeout-ms", required_argument, nullptr, 't'},
      {"ready-file", required_argument, nullptr, 'r'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  opterr = 0;
  for (;;) {
    const int c = getopt_long(argc, argv, "", options, nullptr);
    if (c == -1) break;
    switch (c) {
      case 'g': {
        auto a = mctx::IpAddress::parse(optarg);
        if (!a) bad("--group: " + a.error().message);
        if (!a->is_multicast()) bad(std::string("--group '") + optarg + "' is not a multicast address");
        group = *a;
        break;
      }
      case 'p': {
        const auto v = parse_number("--port", optarg, 65535);
        if (v == 0) bad("--port 0 is not allowed");
        port = static_cast<uint16_t>(v);
        break;
      }
      case 'i': interface = optarg; break;
      case 's': {
        auto a = mctx::IpAddress::parse(optarg);
        if (!a) bad("--source: " + a.error().message);
        source = *a;
        break;
      }
      case 'c': count = parse_number("--count", optarg, std::numeric_limits<uint64_t>::max()); break;
      case 't': timeout_ms = parse_number("--timeout-ms", optarg, 3600000); break;
      case 'r': ready_file = optarg; break;
      case 'h': std::cout << kUsage; return 0;
      default:
        if (optopt != 0) bad(std::string("option '-") + static_cast<char>(optopt) + "' needs a value or is unknown");
        bad(std::string("unknown or incomplete option '") + argv[optind - 1] + "'");
    }
  }
  if (optind < argc) bad(std::string("unexpected argument '") + argv[optind] + "'");
  if (!group) bad("--group is required");
  if (!port) bad("--port is required");

  uint32_t ifindex = 0;
  if (!interface.empty()) {
    if (interface.find_first_not_of("0123456789") == std::string::npos) {
      ifindex = static_cast<uint32_t>(parse_number("--interface", interface, UINT32_MAX));
    } else {
      try {
        ifindex = mctx::test::ifindex(interface);
      } catch (const std::exception& e) {
        bad(std::string("--interface: ") + e.what());
      }
    }
  }

  std::optional<mctx::test::Receiver> receiver;
  try {
    receiver.emplace(*group, *port, ifindex, source);
  } catch (const std::exception& e) {
    std::cerr << "mctx-test-recv: " << e.what() << "\n";
    return 2;
  }
  // A receive buffer that holds a whole test stream (8 MiB), so datagrams
  // are not lost while this process is not scheduled (a loaded machine, a
  // sanitizer build). Needs CAP_NET_ADMIN; without it the default stays.
  try {
    receiver->set_buffer_size(8 << 20);
  } catch (const std::exception&) {
  }
  if (!ready_file.empty()) {
    std::ofstream f(ready_file, std::ios::trunc);
    if (!f) {
      std::cerr << "mctx-test-recv: cannot write ready file '" << ready_file << "'\n";
      return 2;
    }
  }

  uint64_t received = 0;
  while (received < count) {
    auto d = receiver->receive(std::chrono::milliseconds(timeout_ms));
    if (!d) break;
    ++received;
    nlohmann::ordered_json j;
    j["from"] = d->from.to_string();
    j["ttl"] = d->ttl;
    j["tos"] = d->tos;
    j["len"] = d->payload.size();
    j["payload_hex"] = hex(d->payload);
    std::cout << j.dump() << std::endl;
  }
  nlohmann::ordered_json summary;
  summary["received"] = received;
  std::cout << summary.dump() << std::endl;
  return 0;
}
