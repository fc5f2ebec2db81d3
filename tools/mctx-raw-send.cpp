// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-raw-send: build a complete UDP-in-IP multicast datagram (any source
// address, checksums included) and send it in raw mode, COUNT times,
// INTERVAL_MS apart. See docs/raw.md.

#include <glib.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "mctx/mctx.hpp"

namespace {

using namespace mctx;
using namespace mctx::cli;

constexpr const char* kProgram = "mctx-raw-send";
constexpr const char* kProducer = "mctx/mctx-raw-send";

const char* kSummary =
    "Builds a UDP datagram to the multicast GROUP and PORT with PAYLOAD (as bytes)\n"
    "inside a complete IPv4/IPv6 header whose source is --source (any address),\n"
    "and sends it unchanged in raw mode, COUNT times (default 1), INTERVAL_MS\n"
    "milliseconds apart (default 0). Needs CAP_NET_RAW.";

const char* kDescription =
    "The IPv4 identification counts 1, 2, 3, ... (never 0, which the kernel would\n"
    "replace). IPv6 needs --interface (an Ethernet-like link) or --route; IPv6 raw datagrams\n"
    "are not looped back to receivers on this host.\n"
    "\n"
    "Examples (inside a private namespace: scripts/mctx-netns --peer -- ...):\n"
    "  mctx-raw-send --source 198.51.100.7 --interface mctx0 232.1.1.1 5000 hello\n"
    "  mctx-raw-send --source 2001:db8:99::7 --interface mctx0 --ttl 8 \\\n"
    "                --tos 0xb8 --flow-label 12345 ff3e::8000:1 5000 hello-v6 10 100\n"
    "  mctx-raw-send --route ff3e::8000:1 5000 hello-v6   (main-table route)\n"
    "  mctx-raw-send --bind 192.0.2.1 --datagram-hex 4500001c...   (raw IP transmit)\n"
    "  mctx-raw-send --capabilities\n"
    "\n"
    "Environment: MCTX_METRICS_SUMMARY_SECS, MCTX_METRICS_SUMMARY_FILE,\n"
    "MCTX_METRICS_NODE_ID, MCTX_METRICS_FLAGS_JSON as for mctx-send.\n"
    "\n"
    "Exit status: 0 all datagrams sent; 1 a send or system call failed (also a\n"
    "missing CAP_NET_RAW); 2 bad arguments, configuration or environment; 128+N\n"
    "stopped by signal N. See docs/raw.md.";

struct Options : SenderOptions {
  gchar* tos = nullptr;
  gchar* flow_label = nullptr;
  gchar* datagram_file = nullptr;
  gchar* datagram_hex = nullptr;
  gboolean route = FALSE;
  gboolean capabilities = FALSE;

  ~Options() {
    for (gchar* p : {tos, flow_label, datagram_file, datagram_hex}) g_free(p);
  }
};

// The exit status of a raw publication that could not be opened: socket
// setup failures (including a missing CAP_NET_RAW) are runtime failures;
// the rest are about the configuration.
int open_exit_status(Errc code) {
  const bool runtime = code == Errc::raw_not_permitted || code == Errc::socket_create_failed ||
                       code == Errc::bind_failed || code == Errc::set_option_failed;
  return runtime ? kExitFailure : kExitUsage;
}

// The value of a hexadecimal digit, -1 for any other character.
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A number in decimal or 0x-hexadecimal (TOS and flow label are often
// written in hex).
CliResult<uint64_t> parse_number(std::string_view text, std::string_view what, uint64_t max) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    const std::string rule =
        "must be an integer from 0 to " + std::to_string(max) + " (decimal or 0x hexadecimal)";
    uint64_t v = 0;
    for (char c : text.substr(2)) {
      const int d = hex_digit(c);
      if (d < 0) {
        return unexpected(std::string(what) + " '" + std::string(text) +
                          "' is not a number: " + rule);
      }
      v = v * 16 + static_cast<uint64_t>(d);
      if (v > max) {
        return unexpected(std::string(what) + " '" + std::string(text) +
                          "' is out of range: " + rule);
      }
    }
    return v;
  }
  return parse_uint(text, what, 0, max);
}

// --bind IP and --interface / --interface-index into a raw config
// (RawPublicationConfig or RawIpConfig).
template <class Config>
CliResult<void> apply_egress_options(const Options& o, Config& c) {
  if (o.bind) {
    auto a = parse_ip(o.bind, "--bind");
    if (!a) return unexpected(std::move(a.error()));
    c.with_bind(a.value());
  }
  auto interface = parse_interface_options(o.interface, o.interface_index);
  if (!interface) return unexpected(std::move(interface.error()));
  if (interface.value()) c.with_interface(**interface);
  return {};
}

struct Plan {
  SendPositionals pos;
  RawPublicationConfig config;
  std::optional<IpAddress> source;
  uint16_t source_port = 0;
  uint8_t ttl = kDefaultTtl;
  uint8_t tos = 0;
  uint32_t flow_label = 0;
};

CliResult<Plan> build_plan(const Options& o, const std::vector<std::string>& args) {
  Plan plan;
  auto pos = parse_send_positionals(args);
  if (!pos) return unexpected(std::move(pos.error()));
  plan.pos = std::move(pos.value());
  const Family fam = plan.pos.group.family();
  if (!plan.pos.group.is_multicast()) {
    return unexpected("GROUP '" + plan.pos.group.to_string() + "' is not a multicast address");
  }
  RawPublicationConfig& c = plan.config;
  c.with_family(fam);
  plan.source_port = plan.pos.port;

  if (o.source) {
    auto a = parse_ip(o.source, "--source");
    if (!a) return unexpected(std::move(a.error()));
    if (a->family() != fam) {
      return unexpected(std::string("--source '") + o.source + "' is " + family_name(a->family()) +
                        " but GROUP '" + plan.pos.group.to_string() + "' is " + family_name(fam));
    }
    plan.source = a->with_scope_id(0);
  }
  if (o.source_port) {
    auto p = parse_uint(o.source_port, "--source-port", 0, 65535);
    if (!p) return unexpected(std::move(p.error()));
    plan.source_port = static_cast<uint16_t>(p.value());
  }
  if (auto egress = apply_egress_options(o, c); !egress) {
    return unexpected(std::move(egress.error()));
  }
  if (o.ttl) {
    // A raw datagram with TTL / hop limit 0 is refused by the validator
    // (raw_ttl_zero); say so in terms of the option.
    auto t = parse_uint(o.ttl, "--ttl", 1, 255);
    if (!t) return unexpected(std::move(t.error()));
    plan.ttl = static_cast<uint8_t>(t.value());
  }
  if (o.tos) {
    auto t = parse_number(o.tos, "--tos", 255);
    if (!t) return unexpected(std::move(t.error()));
    plan.tos = static_cast<uint8_t>(t.value());
  }
  if (o.flow_label) {
    if (fam != Family::ipv6) {
      return unexpected(std::string("--flow-label '") + o.flow_label +
                        "' applies only to IPv6 groups; GROUP '" + plan.pos.group.to_string() +
                        "' is IPv4");
    }
    auto f = parse_number(o.flow_label, "--flow-label", 0xfffff);
    if (!f) return unexpected(std::move(f.error()));
    plan.flow_label = static_cast<uint32_t>(f.value());
  }
  if (o.no_loopback) c.with_loopback(false);
  if (o.route) c.with_route_selected_egress();
  return plan;
}

// Without --source: the bind address, the interface address, or an address
// of the family on the resolved interface (global before link-local).
CliResult<IpAddress> default_source(const Plan& p, const RawResolvedConfig& r) {
  if (p.config.bind()) return p.config.bind()->with_scope_id(0);
  if (p.config.interface().kind() == InterfaceSpec::Kind::address) {
    return p.config.interface().address_value().with_scope_id(0);
  }
  if (r.interface_index != 0) {
    std::optional<IpAddress> link_local;
    for (const IpAddress& a : interface_addresses(r.interface_index, r.family)) {
      if (a.is_link_local_unicast()) {
        if (!link_local) link_local = a.with_scope_id(0);
        continue;
      }
      return a.with_scope_id(0);
    }
    if (link_local) return *link_local;
  }
  return unexpected(
      std::string("no --source given and no local address to use instead: give --source IP (any "
                  "address; it is written into the datagram), or --bind / --interface"));
}

JsonlFlags builtin_flags(const Plan& p, const RawResolvedConfig& r, const IpAddress& source) {
  JsonlFlags f;
  f.set("transport", "raw-ip-multicast");
  f.set("role", "sender");
  f.set("multicast_group", p.pos.group.to_string());
  f.set("multicast_port", static_cast<uint64_t>(p.pos.port));
  f.set("multicast_source", source.to_string());
  f.set("multicast_source_port", static_cast<uint64_t>(p.source_port));
  f.set("multicast_interface",
        p.config.interface().empty() ? std::string("default") : p.config.interface().to_string());
  if (r.interface_index != 0) {
    f.set("multicast_interface_index", static_cast<uint64_t>(r.interface_index));
  }
  f.set("publish_interval_ms", p.pos.interval_ms);
  f.set("chunk_payload_bytes", static_cast<uint64_t>(p.pos.payload.size()));
  f.set("pacing", p.pos.interval_ms > 0 ? "fixed-interval" : "none");
  f.set("batch_send_enabled", false);
  f.set("loopback_enabled", r.loopback);
  f.set("ttl_or_hops", static_cast<int64_t>(p.ttl));
  return f;
}

// ---- raw IP control transmit: one caller-built datagram ----------------------

// The bytes of --datagram-hex: hexadecimal digits; spaces, colons and
// newlines between bytes are ignored.
CliResult<std::vector<uint8_t>> parse_hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == ':' || c == '\n' || c == '\t') continue;
    const int d = hex_digit(c);
    if (d < 0) {
      return unexpected("--datagram-hex has '" + std::string(1, c) + "' at position " +
                        std::to_string(i + 1) +
                        ": give the datagram as hexadecimal digits (spaces and colons allowed)");
    }
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | d));
      high = -1;
    }
  }
  if (high >= 0) {
    return unexpected(std::string("--datagram-hex has an odd number of hexadecimal digits: give "
                                  "two per byte"));
  }
  return out;
}

// --datagram-file / --datagram-hex: sends one complete datagram, as the
// caller built it, through a RawIpPublication (unicast or multicast, any
// protocol) out of the interface --interface / --interface-index / --bind
// select.
int run_raw_ip(const Options& o, const std::vector<std::string>& args) {
  if (o.datagram_file && o.datagram_hex) {
    return usage_error(kProgram, "give --datagram-file or --datagram-hex, not both");
  }
  if (!args.empty()) {
    return usage_error(kProgram,
                       "--datagram-file / --datagram-hex send one caller-built datagram as it "
                       "is: give no GROUP PORT PAYLOAD ('" + args.front() + "')");
  }
  for (auto [given, name] : {std::pair{o.source != nullptr, "--source"},
                             std::pair{o.source_port != nullptr, "--source-port"},
                             std::pair{o.ttl != nullptr, "--ttl"},
                             std::pair{o.tos != nullptr, "--tos"},
                             std::pair{o.flow_label != nullptr, "--flow-label"},
                             std::pair{o.no_loopback != FALSE, "--no-loopback"},
                             std::pair{o.route != FALSE, "--route"}}) {
    if (given) {
      return usage_error(kProgram, std::string(name) +
                                       " does not apply to --datagram-file / --datagram-hex: the "
                                       "datagram is sent as it is, out of the interface "
                                       "--interface or --bind selects");
    }
  }
  std::vector<uint8_t> d;
  if (o.datagram_file) {
    std::ifstream in(o.datagram_file, std::ios::binary);
    if (!in) {
      return usage_error(kProgram, std::string("--datagram-file '") + o.datagram_file +
                                       "' cannot be read: " + std::strerror(errno));
    }
    // At most one byte past the largest IP datagram is read: a larger file
    // (or /dev/zero) is refused, never read into memory.
    d.resize(kRawMaxDatagramSize + 1);
    in.read(reinterpret_cast<char*>(d.data()), static_cast<std::streamsize>(d.size()));
    if (in.bad()) {
      return usage_error(kProgram, std::string("--datagram-file '") + o.datagram_file +
                                       "' cannot be read: " + std::strerror(errno));
    }
    d.resize(static_cast<std::size_t>(in.gcount()));
    if (d.size() > kRawMaxDatagramSize) {
      return usage_error(kProgram, std::string("--datagram-file '") + o.datagram_file +
                                       "' holds more than " +
                                       std::to_string(kRawMaxDatagramSize) +
                                       " bytes: it must hold one IP datagram, at most " +
                                       std::to_string(kRawMaxDatagramSize) +
                                       " bytes (an IPv6 header and a 65535-byte payload; "
                                       "IPv4: 65535 bytes in all)");
    }
  } else {
    auto bytes = parse_hex(o.datagram_hex);
    if (!bytes) return usage_error(kProgram, bytes.error());
    d = std::move(bytes).value();
  }
  const auto view = std::as_bytes(std::span<const uint8_t>(d.data(), d.size()));
  auto info = validate_raw_ip_datagram(view);
  if (!info) {
    print_error(kProgram, "the datagram is invalid: " + info.error().message());
    return kExitUsage;
  }
  RawIpConfig c(info->family);
  if (auto egress = apply_egress_options(o, c); !egress) {
    return usage_error(kProgram, egress.error());
  }
  auto pub = RawIpPublication::open(c);
  if (!pub) {
    print_error(kProgram, pub.error().what());
    return open_exit_status(pub.error().code);
  }
  auto r = pub->send(view);
  if (!r) {
    print_error(kProgram, (r.error().invalid_datagram() ? "the datagram is invalid: "
                                                        : "sending the datagram failed: ") +
                              r.error().message());
    return r.error().invalid_datagram() ? kExitUsage : kExitFailure;
  }
  std::printf("sent %zu-byte %s datagram %s -> %s, protocol %u, on %s\n", r->bytes_sent,
              family_name(r->family), r->source.to_string().c_str(),
              r->destination.to_string().c_str(), static_cast<unsigned>(r->protocol),
              describe_interface(r->interface_index).c_str());
  return kExitOk;
}

int print_capabilities() {
  const RawCapabilities caps = raw_capabilities();
  std::printf("platform: %s\n", caps.platform);
  std::printf("permitted: %s\n", caps.permitted ? "yes"
                                                : "no ("
                                                  "needs CAP_NET_RAW)");
  for (const auto& [name, s] : {std::pair{"IPv4", caps.ipv4}, std::pair{"IPv6", caps.ipv6}}) {
    std::printf("%s: %s\n", name, s.supported ? "supported" : "not supported");
    if (!s.supported) continue;
    std::printf("  method: %s\n", s.method);
    std::printf("  interface required: %s\n", s.interface_required ? "yes" : "no");
    std::printf("  loopback to this host: %s\n", s.local_loopback ? "yes" : "no");
    std::printf("  kernel fills in: %s\n", s.kernel_fills);
    std::printf("  links: %s\n", s.link_types);
    std::printf("  route-selected egress (--route): %s\n", s.route_egress_method);
  }
  const RawIpCapabilities ip = raw_ip_capabilities();
  for (const auto& [name, s] : {std::pair{"IPv4", ip.ipv4}, std::pair{"IPv6", ip.ipv6}}) {
    std::printf("raw IP transmit %s (--datagram-file, --datagram-hex): %s\n", name,
                s.supported ? "supported" : "not supported");
    if (!s.supported) continue;
    std::printf("  method: %s\n", s.method);
    std::printf("  preserved: %s\n", s.preserved);
    std::printf("  kernel rebuilds: %s\n", s.kernel_rebuilds);
  }
  return kExitOk;
}

std::string describe_report(const RawSendReport& r, uint16_t sport, uint16_t dport) {
  std::string text = family_name(r.family);
  const bool v6 = r.family == Family::ipv6;
  text += " ";
  text += v6 ? "[" + r.source.to_string() + "]" : r.source.to_string();
  text += ":" + std::to_string(sport) + " -> ";
  text += v6 ? "[" + r.destination.to_string() + "]" : r.destination.to_string();
  text += ":" + std::to_string(dport);
  if (r.interface_index != 0) {
    text += " on " + describe_interface(r.interface_index);
  }
  return text;
}

// One raw publication in a RawContext, for run_send_loop(). Each IPv4
// datagram is rebuilt in place for its identification.
struct RawSender {
  RawContext& ctx;
  PublicationId id;
  UdpDatagramSpec& spec;
  std::vector<std::byte>& datagram;
  uint64_t count;
  uint16_t source_port;
  uint16_t port;
  bool quiet;
  std::string route;  // of the last datagram (or of the plan, before the first)

  // Raw datagrams are counted whole, headers included: no overhead.
  MetricsSample metrics_sample() const {
    return cli::metrics_sample(ctx.snapshot(), ctx.get(id), 0);
  }
  OutageStatus outage() const { return outage_of(ctx.get(id)); }
  std::string outage_reason() const { return outage_reason_of(ctx.get(id)); }
  void prepare(uint64_t i) {
    if (spec.destination.is_v4()) {
      spec.ipv4_id = static_cast<uint16_t>(i % 65535 + 1);  // 1..65535, never 0
      (void)build_udp_datagram(spec, datagram);             // same sizes: cannot fail
    }
  }
  Result<RawSendReport, RawSendError> send() { return ctx.send(id, datagram); }
  void sent(uint64_t i, const RawSendReport& r) {
    route = describe_report(r, source_port, port);
    if (!quiet) {
      std::printf("[%llu/%llu] sent %zu-byte datagram %s\n", static_cast<unsigned long long>(i + 1),
                  static_cast<unsigned long long>(count), r.bytes_sent, route.c_str());
    }
  }
  std::string failure(uint64_t i, const RawSendError& e) const {
    return "datagram " + std::to_string(i + 1) + " of " + std::to_string(count) +
           " failed: " + e.message();
  }
};

int run(int argc, char** argv) {
  Options o;
  GOptionEntry entries[] = {
      {"source", 0, 0, G_OPTION_ARG_STRING, &o.source,
       "Source address written into the datagram; any address (default: the bind or "
       "interface address)",
       "IP"},
      {"source-port", 0, 0, G_OPTION_ARG_STRING, &o.source_port,
       "UDP source port written into the datagram (0-65535; default: PORT)", "N"},
      {"bind", 0, 0, G_OPTION_ARG_STRING, &o.bind,
       "Local address that selects (IPv4) and checks the outgoing interface; not written "
       "into the datagram",
       "IP"},
      {"interface", 0, 0, G_OPTION_ARG_STRING, &o.interface,
       "Outgoing interface: a local address or an interface name (IPv6: this or --route)",
       "IP|NAME"},
      interface_index_option(&o.interface_index),
      {"ttl", 0, 0, G_OPTION_ARG_STRING, &o.ttl,
       "IPv4 TTL / IPv6 hop limit written into the header (1-255, default 1)", "N"},
      {"tos", 0, 0, G_OPTION_ARG_STRING, &o.tos,
       "IPv4 TOS / IPv6 traffic class byte written into the header (0-255, default 0)", "N"},
      {"flow-label", 0, 0, G_OPTION_ARG_STRING, &o.flow_label,
       "IPv6 flow label written into the header (0-1048575, default 0)", "N"},
      {"route", 0, 0, G_OPTION_ARG_NONE, &o.route,
       "Route-selected egress: each datagram leaves by its group's route in the kernel's main "
       "routing table (not with --interface or --bind)",
       nullptr},
      {"datagram-file", 0, 0, G_OPTION_ARG_FILENAME, &o.datagram_file,
       "Raw IP transmit: send the complete IPv4/IPv6 datagram in FILE as it is (any protocol, "
       "unicast or multicast), out of --interface or --bind; IPv6 needs --bind",
       "FILE"},
      {"datagram-hex", 0, 0, G_OPTION_ARG_STRING, &o.datagram_hex,
       "Raw IP transmit: the same with the datagram as hexadecimal digits", "HEX"},
      {"no-loopback", 0, 0, G_OPTION_ARG_NONE, &o.no_loopback,
       "IPv4: do not loop datagrams back to receivers on this host", nullptr},
      queue_full_option(&o.queue_full),
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, "Print no line per datagram, only the summary",
       nullptr},
      {"capabilities", 0, 0, G_OPTION_ARG_NONE, &o.capabilities,
       "Print what raw mode can do on this platform and exit", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };

  auto args = parse_options(argc, argv, entries, &o.version, "GROUP PORT PAYLOAD [COUNT] [INTERVAL_MS]",
                            kSummary, kDescription);
  if (!args) return usage_error(kProgram, args.error());
  if (o.version) return print_version(kProgram);
  if (o.capabilities) return print_capabilities();
  if (o.datagram_file || o.datagram_hex) return run_raw_ip(o, args.value());

  // 1. Everything the user gave is checked before anything is opened.
  auto plan = build_plan(o, args.value());
  if (!plan) return usage_error(kProgram, plan.error());
  auto drop_on_queue_full = parse_queue_full(o.queue_full);
  if (!drop_on_queue_full) return usage_error(kProgram, drop_on_queue_full.error());
  Plan& p = plan.value();
  const Family fam = p.pos.group.family();

  auto resolved = p.config.validate();
  if (!resolved) {
    print_error(kProgram, resolved.error().what());
    return kExitUsage;  // every validate() rule is about the user's input
  }
  if (!p.source) {
    auto s = default_source(p, resolved.value());
    if (!s) return usage_error(kProgram, s.error());
    p.source = s.value();
  }
  if (auto size = check_payload_size(p.pos.payload.size(), fam); !size) {
    print_error(kProgram, size.error());
    return kExitUsage;
  }

  UdpDatagramSpec spec;
  spec.source = *p.source;
  spec.destination = p.pos.group.with_scope_id(0);
  spec.source_port = p.source_port;
  spec.destination_port = p.pos.port;
  spec.payload = std::as_bytes(std::span(p.pos.payload.data(), p.pos.payload.size()));
  spec.ttl = p.ttl;
  spec.traffic_class = p.tos;
  spec.flow_label = p.flow_label;
  spec.ipv4_id = 1;
  std::vector<std::byte> datagram(udp_datagram_size(spec));
  auto built = build_udp_datagram(spec, datagram);
  if (!built) {
    print_error(kProgram, built.error().what());
    return kExitUsage;
  }
  // The same rules the publication applies (source not unspecified, ...).
  if (auto check = validate_raw_datagram(datagram, fam); !check) {
    print_error(kProgram, "the datagram would be invalid: " + check.error().message());
    return kExitUsage;
  }

  // 2. Metrics output (the environment is checked, the JSONL file opened and
  //    locked now), then the raw publication.
  RawContext ctx;
  auto added = add_with_metrics(kProgram, ctx, p.config, kProducer,
                                builtin_flags(p, resolved.value(), *p.source), open_exit_status);
  if (!added) return added.error();
  MetricsReporter& metrics = added->metrics;
  const RawPublication* pub = ctx.get(added->id);
  {
    const bool v6 = spec.destination.is_v6();
    const std::string host = spec.destination.to_string();
    metrics.set_destination((v6 ? "[" + host + "]" : host) + ":" + std::to_string(p.pos.port),
                            snapshot_of(pub->metrics()));
  }

  start_sending(o.quiet != FALSE);

  // 3. Send.
  RawSendReport planned;
  planned.family = fam;
  planned.source = spec.source;
  planned.destination = spec.destination;
  planned.interface_index = resolved->interface_index;
  RawSender sender{.ctx = ctx,
                   .id = added->id,
                   .spec = spec,
                   .datagram = datagram,
                   .count = p.pos.count,
                   .source_port = p.source_port,
                   .port = p.pos.port,
                   .quiet = o.quiet != FALSE,
                   .route = describe_report(planned, p.source_port, p.pos.port)};
  const SendTotals t = run_send_loop(
      {kProgram, p.pos.count, std::chrono::milliseconds(p.pos.interval_ms), pub->fd(),
       *drop_on_queue_full}, metrics,
      sender);

  // 4. Summary.
  print_summary(std::to_string(t.sent) + " of " + std::to_string(p.pos.count) +
                    " datagrams sent (" + std::to_string(t.bytes) + " bytes) " + sender.route,
                t);
  return exit_status_after(kProgram, t);
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
