// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Shared pieces of the benchmarks (mctx-bench, mctx-gst-bench, mctx-amt-bench,
// mctx-gst-many):
//  * option parsing, and the options every benchmark with a table has;
//  * the namespace guard: a benchmark that sends refuses to run unless it is
//    inside a private network namespace (scripts/mctx-netns) whose only up
//    interfaces are lo, the veth pair and the dummy device (the tests' guard,
//    tests/support/netns_guard.hpp, with these rules);
//  * the packet counter of the sending interface (read through netlink, so it
//    is the namespace's own device, never the host's);
//  * clocks (wall, thread CPU, user/system split), medians and table output.
//
// Nothing here runs inside a timed loop except the clock reads around it.

#include <glib.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace mctx::bench {

// Parses argv with the option entries of `entries` (each array up to its
// zeroed entry) and `group` (GStreamer's, or nullptr); `summary` may be
// nullptr. On a bad option prints "PROGRAM: message" and exits 2.
void parse_options(const char* program, const char* parameter, const char* summary,
                   std::initializer_list<const GOptionEntry*> entries, GOptionGroup* group,
                   int& argc, char**& argv);

// The options of the benchmarks that run cases and print a table
// (mctx-bench, mctx-gst-bench, mctx-amt-bench): --size, --count, --repeat,
// --interface, --markdown, --check. A program's Options derive from it.
struct CommonOptions {
  int size = 1316;                    // UDP payload bytes
  gint64 count = 200000;              // datagrams per run
  int repeat = 5;                     // runs per case (the median is shown)
  std::string interface = "mctxd0";   // the sending interface
  gboolean markdown = FALSE;          // print the table as markdown
  gboolean check = FALSE;             // exit 1 unless every run did all its work

  // parse_options() with these options and the program's `entries` (and
  // `group`), for a program that runs only inside a private namespace;
  // then checks the values: --size in 1..max_size, --count and --repeat at
  // least 1; a bad one: "PROGRAM: message" and exit 1. `size_help`:
  // what --size means to the program.
  void parse(const char* program, const char* parameter, const char* size_help,
             const GOptionEntry* entries, GOptionGroup* group, int max_size, int& argc,
             char**& argv);
};

// Interfaces a benchmark may see up in its namespace.
inline constexpr const char* kAllowedInterfaces[] = {"lo", "mctx0", "mctx1", "mctxd0"};

// True when this process runs in a private namespace made by
// scripts/mctx-netns (MCTX_NETNS=1, not PID 1's namespace) where only the
// allowed interfaces are up. Otherwise false and `why` says what is wrong.
bool safe_namespace(std::string& why);

// How many packets interface `name` of this namespace has been handed for
// transmission: tx_packets + rx_dropped of its statistics (getifaddrs
// AF_PACKET data, i.e. netlink of this namespace). A dummy or veth device
// counts them as tx_packets; an ifb device, which bench/run uses as a
// discard device where the kernel has no dummy driver, frees each one and
// counts it as rx_dropped. nullopt if there is no such interface.
std::optional<uint64_t> device_packets(const std::string& name);

// Index of interface `name`, 0 if there is none.
unsigned interface_index(const std::string& name);

// The safety gate of every benchmark that sends: exits 77 (skipped) unless
// this is a private namespace as safe_namespace() says, and exits 1 unless
// `name` is one of kAllowedInterfaces and exists here. Returns its index.
// `program` prefixes the messages.
unsigned require_send_interface(const char* program, const std::string& name);

// Clocks. cpu_now() is this thread's CPU time; usage_now() splits it (or the
// whole process' time, for the GStreamer benchmark whose sinks may use helper
// threads) into user and system time.
double wall_now() noexcept;  // CLOCK_MONOTONIC, seconds
double cpu_now() noexcept;   // CLOCK_THREAD_CPUTIME_ID, seconds
double process_cpu_now() noexcept;  // CLOCK_PROCESS_CPUTIME_ID, seconds
struct Usage {
  double user = 0;  // seconds
  double sys = 0;
};
Usage usage_now(bool whole_process) noexcept;

// One timed run of one case.
struct Sample {
  uint64_t packets = 0;      // datagrams the kernel accepted
  uint64_t bytes = 0;        // their payload bytes
  uint64_t would_block = 0;  // EAGAIN waits (0 on the dummy device)
  uint64_t device_tx = 0;    // growth of device_packets() over the run
  double wall = 0;           // seconds
  double cpu = 0;            // seconds of CPU (thread or process)
  double user = 0;
  double sys = 0;

  double pps() const noexcept { return wall > 0 ? static_cast<double>(packets) / wall : 0; }
  double gbps() const noexcept { return wall > 0 ? static_cast<double>(bytes) * 8 / wall / 1e9 : 0; }
  double cpu_ns_per_packet() const noexcept {
    return packets ? cpu * 1e9 / static_cast<double>(packets) : 0;
  }
};

// All repetitions of one case and their medians.
struct CaseResult {
  std::string name;
  std::string reference;  // name of the case it is compared with ("" = none)
  std::vector<Sample> samples;

  double median_pps() const;
  double median_gbps() const;
  double median_cpu_ns() const;
  double median_user_ns() const;
  double median_sys_ns() const;
  // (max - min) / median of packets/s, in percent.
  double spread_percent() const;
};

double median(std::vector<double> v);

// Prints the results as an aligned text table (markdown == false) or as a
// markdown table. Ratios: packets/s of the case / packets/s of its
// reference, and CPU per packet of the case / CPU per packet of the reference.
void print_table(const std::vector<CaseResult>& results, bool markdown);

// For every row with a reference: the ratios of each run to the run of its
// reference in the same round (sample k against sample k: the cases run
// round-robin, so the two ran close in time), packets/s and CPU per packet,
// as median and range (min to max).
void print_paired_ratios(const std::vector<CaseResult>& results, bool markdown);

// "1,234,567"
std::string group_digits(double v);

// A plain non-blocking UDP socket set up like a Publication's, the bare
// reference of both benchmarks: multicast interface `ifindex`, TTL/hops 1,
// loop on, connected to group:port (IPv4 or IPv6; a link- or
// interface-local IPv6 group gets the interface as its scope). -1 and
// `error` set on failure.
int bare_socket(const std::string& group, uint16_t port, unsigned ifindex, std::string& error);

// Waits up to 1 s until fd is writable (after EAGAIN in the bare loops).
void wait_writable(int fd);

}  // namespace mctx::bench
