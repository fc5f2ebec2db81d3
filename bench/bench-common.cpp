// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "bench-common.hpp"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include "netns_guard.hpp"

namespace mctx::bench {

bool safe_namespace(std::string& why) {
  const mctx::test::NetnsRules rules{
      .allowed_interfaces = {std::begin(kAllowedInterfaces), std::end(kAllowedInterfaces)},
      .how_to_run = "bench/run (scripts/mctx-netns)"};
  return mctx::test::safe_namespace(rules, why);
}

std::optional<uint64_t> device_packets(const std::string& name) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<uint64_t> out;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_PACKET || it->ifa_data == nullptr ||
        it->ifa_name == nullptr || name != it->ifa_name) {
      continue;
    }
    const auto* stats = static_cast<const rtnl_link_stats*>(it->ifa_data);
    // 32-bit counters: callers take differences modulo 2^32.
    out = static_cast<uint32_t>(stats->tx_packets + stats->rx_dropped);
    break;
  }
  ::freeifaddrs(list);
  return out;
}

unsigned interface_index(const std::string& name) { return ::if_nametoindex(name.c_str()); }

unsigned require_send_interface(const char* program, const std::string& name) {
  std::string why;
  if (!safe_namespace(why)) {
    std::fprintf(stderr, "%s: refusing to send: %s\n", program, why.c_str());
    std::exit(77);
  }
  bool allowed = false;
  for (const char* n : kAllowedInterfaces) allowed |= name == n;
  if (!allowed) {
    std::fprintf(stderr, "%s: --interface '%s' is not lo, mctx0, mctx1 or mctxd0\n", program,
                 name.c_str());
    std::exit(1);
  }
  const unsigned index = interface_index(name);
  if (index == 0) {
    std::fprintf(stderr, "%s: interface '%s' does not exist in this namespace\n", program,
                 name.c_str());
    std::exit(1);
  }
  return index;
}

namespace {
double seconds(clockid_t id) noexcept {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
double tv(const timeval& t) noexcept {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
}
}  // namespace

double wall_now() noexcept { return seconds(CLOCK_MONOTONIC); }
double cpu_now() noexcept { return seconds(CLOCK_THREAD_CPUTIME_ID); }
double process_cpu_now() noexcept { return seconds(CLOCK_PROCESS_CPUTIME_ID); }

Usage usage_now(bool whole_process) noexcept {
  rusage ru{};
  ::getrusage(whole_process ? RUSAGE_SELF : RUSAGE_THREAD, &ru);
  return Usage{tv(ru.ru_utime), tv(ru.ru_stime)};
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

namespace {
template <class F>
double median_of(const std::vector<Sample>& s, F f) {
  std::vector<double> v;
  v.reserve(s.size());
  for (const Sample& x : s) v.push_back(f(x));
  return median(std::move(v));
}
double per_packet_ns(double seconds_, uint64_t packets) {
  return packets ? seconds_ * 1e9 / static_cast<double>(packets) : 0;
}
}  // namespace

double CaseResult::median_pps() const {
  return median_of(samples, [](const Sample& s) { return s.pps(); });
}
double CaseResult::median_gbps() const {
  return median_of(samples, [](const Sample& s) { return s.gbps(); });
}
double CaseResult::median_cpu_ns() const {
  return median_of(samples, [](const Sample& s) { return s.cpu_ns_per_packet(); });
}
double CaseResult::median_user_ns() const {
  return median_of(samples, [](const Sample& s) { return per_packet_ns(s.user, s.packets); });
}
double CaseResult::median_sys_ns() const {
  return median_of(samples, [](const Sample& s) { return per_packet_ns(s.sys, s.packets); });
}
double CaseResult::spread_percent() const {
  if (samples.empty()) return 0;
  double lo = samples[0].pps(), hi = lo;
  for (const Sample& s : samples) {
    lo = std::min(lo, s.pps());
    hi = std::max(hi, s.pps());
  }
  const double m = median_pps();
  return m > 0 ? (hi - lo) / m * 100 : 0;
}

std::string group_digits(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  std::string digits = buf, out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[i];
    if ((n - i - 1) % 3 == 0 && i + 1 < n) out += ',';
  }
  return out;
}

namespace {
// The reference of row r (nullptr: none), and the width of the name column.
const CaseResult* reference_of(const std::vector<CaseResult>& results, const CaseResult& r) {
  if (r.reference.empty()) return nullptr;
  for (const CaseResult& c : results) {
    if (c.name == r.reference) return &c;
  }
  return nullptr;
}
int name_width(const std::vector<CaseResult>& results) {
  std::size_t width = 4;
  for (const CaseResult& r : results) width = std::max(width, r.name.size());
  return static_cast<int>(width);
}
}  // namespace

void print_table(const std::vector<CaseResult>& results, bool markdown) {
  const int width = name_width(results);

  if (markdown) {
    std::printf("| case | packets/s | Gbit/s | CPU ns/pkt (user/sys) | spread | rate ratio | CPU ratio | reference |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---|\n");
  } else {
    std::printf("%-*s %12s %8s %22s %7s %7s %7s  %s\n", width, "case",
                "packets/s", "Gbit/s", "CPU ns/pkt (usr/sys)", "spread", "rate", "CPU", "reference");
  }
  for (const CaseResult& r : results) {
    char cpu[64], ratio[32] = "-", cpu_ratio[32] = "-", spread[32];
    std::snprintf(cpu, sizeof cpu, "%.0f (%.0f/%.0f)", r.median_cpu_ns(), r.median_user_ns(),
                  r.median_sys_ns());
    std::snprintf(spread, sizeof spread, "%.1f%%", r.spread_percent());
    const CaseResult* ref = reference_of(results, r);
    if (ref != nullptr && ref->median_pps() > 0 && ref->median_cpu_ns() > 0) {
      std::snprintf(ratio, sizeof ratio, "%.2f", r.median_pps() / ref->median_pps());
      std::snprintf(cpu_ratio, sizeof cpu_ratio, "%.2f", r.median_cpu_ns() / ref->median_cpu_ns());
    }
    if (markdown) {
      std::printf("| %s | %s | %.2f | %s | %s | %s | %s | %s |\n", r.name.c_str(),
                  group_digits(r.median_pps()).c_str(), r.median_gbps(), cpu, spread, ratio,
                  cpu_ratio, ref ? ref->name.c_str() : "");
    } else {
      std::printf("%-*s %12s %8.2f %22s %7s %7s %7s  %s\n", width,
                  r.name.c_str(), group_digits(r.median_pps()).c_str(), r.median_gbps(), cpu,
                  spread, ratio, cpu_ratio, ref ? ref->name.c_str() : "");
    }
  }
  std::fflush(stdout);
}

void parse_options(const char* program, const char* parameter, const char* summary,
                   std::initializer_list<const GOptionEntry*> entries, GOptionGroup* group,
                   int& argc, char**& argv) {
  GOptionContext* ctx = g_option_context_new(parameter);
  if (summary != nullptr) g_option_context_set_summary(ctx, summary);
  for (const GOptionEntry* e : entries) {
    if (e != nullptr) g_option_context_add_main_entries(ctx, e, nullptr);
  }
  if (group != nullptr) g_option_context_add_group(ctx, group);
  GError* err = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
    std::fprintf(stderr, "%s: %s\n", program, err->message);
    std::exit(2);
  }
  g_option_context_free(ctx);
}

void CommonOptions::parse(const char* program, const char* parameter, const char* size_help,
                          const GOptionEntry* entries, GOptionGroup* group, int max_size,
                          int& argc, char**& argv) {
  gchar* iface = nullptr;
  const GOptionEntry common[] = {
      {"size", 's', 0, G_OPTION_ARG_INT, &size, size_help, "N"},
      {"count", 'n', 0, G_OPTION_ARG_INT64, &count, "Datagrams per run (default 200000)", "N"},
      {"repeat", 'r', 0, G_OPTION_ARG_INT, &repeat,
       "Runs per case; the median is shown (default 5)", "N"},
      {"interface", 'i', 0, G_OPTION_ARG_STRING, &iface,
       "Outgoing interface: mctxd0 (dummy, default) or mctx0 (veth)", "NAME"},
      {"markdown", 0, 0, G_OPTION_ARG_NONE, &markdown, "Print the table as markdown", nullptr},
      {"check", 0, 0, G_OPTION_ARG_NONE, &check,
       "Exit 1 unless every run did all its work and the device counted its datagrams", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  parse_options(program, parameter, "Runs only inside a private network namespace; use bench/run.",
                {common, entries}, group, argc, argv);
  if (iface != nullptr) interface = iface;
  g_free(iface);
  auto bad = [program](const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", program, what.c_str());
    std::exit(1);
  };
  if (size < 1 || size > max_size) {
    bad("--size " + std::to_string(size) + " is not in 1.." + std::to_string(max_size));
  }
  if (count < 1) bad("--count " + std::to_string(count) + " must be at least 1");
  if (repeat < 1) bad("--repeat " + std::to_string(repeat) + " must be at least 1");
}

void print_paired_ratios(const std::vector<CaseResult>& results, bool markdown) {
  const int width = name_width(results);
  if (markdown) {
    std::printf("| case | reference | runs | rate ratio, median (range) | CPU ratio, median (range) |\n");
    std::printf("|---|---|---:|---:|---:|\n");
  } else {
    std::printf("paired by round: %-*s %5s %22s %22s  %s\n", width, "case",
                "runs", "rate ratio (min-max)", "CPU ratio (min-max)", "reference");
  }
  for (const CaseResult& r : results) {
    const CaseResult* ref = reference_of(results, r);
    if (ref == nullptr) continue;
    std::vector<double> rate, cpu;
    for (std::size_t k = 0; k < r.samples.size() && k < ref->samples.size(); ++k) {
      const Sample& a = r.samples[k];
      const Sample& b = ref->samples[k];
      if (a.pps() <= 0 || b.pps() <= 0 || b.cpu_ns_per_packet() <= 0) continue;
      rate.push_back(a.pps() / b.pps());
      cpu.push_back(a.cpu_ns_per_packet() / b.cpu_ns_per_packet());
    }
    if (rate.empty()) continue;
    char rs[48], cs[48];
    std::snprintf(rs, sizeof rs, "%.2f (%.2f-%.2f)", median(rate),
                  *std::min_element(rate.begin(), rate.end()), *std::max_element(rate.begin(), rate.end()));
    std::snprintf(cs, sizeof cs, "%.2f (%.2f-%.2f)", median(cpu),
                  *std::min_element(cpu.begin(), cpu.end()), *std::max_element(cpu.begin(), cpu.end()));
    if (markdown) {
      std::printf("| %s | %s | %zu | %s | %s |\n", r.name.c_str(), ref->name.c_str(), rate.size(), rs, cs);
    } else {
      std::printf("paired by round: %-*s %5zu %22s %22s  %s\n", width,
                  r.name.c_str(), rate.size(), rs, cs, ref->name.c_str());
    }
  }
  std::fflush(stdout);
}

int bare_socket(const std::string& text, uint16_t port, unsigned ifindex, std::string& error) {
  const std::string group = text.substr(0, text.find('%'));  // the scope is `ifindex`
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, group.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    len = sizeof *sin;
  } else if (inet_pton(AF_INET6, group.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    if (IN6_IS_ADDR_MC_LINKLOCAL(&sin6->sin6_addr) || IN6_IS_ADDR_MC_NODELOCAL(&sin6->sin6_addr)) {
      sin6->sin6_scope_id = ifindex;
    }
    len = sizeof *sin6;
  } else {
    error = "bare socket: '" + group + "' is not an IPv4 or IPv6 address";
    return -1;
  }
  const bool v4 = ss.ss_family == AF_INET;
  const int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const int one = 1;
  int rc = 0;
  if (v4) {
    ip_mreqn m{};
    m.imr_ifindex = static_cast<int>(ifindex);
    rc |= ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m);
    rc |= ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &one, sizeof one);
    rc |= ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof one);
  } else {
    const int idx = static_cast<int>(ifindex);
    rc |= ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx);
    rc |= ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &one, sizeof one);
    rc |= ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one, sizeof one);
  }
  if (rc != 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
    error = std::string(rc != 0 ? "setsockopt: " : "connect: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

void wait_writable(int fd) {
  pollfd p{fd, POLLOUT, 0};
  (void)::poll(&p, 1, 1000);
}

}  // namespace mctx::bench
