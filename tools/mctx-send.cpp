// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctx-send: send a payload to a multicast group, COUNT times, INTERVAL_MS
// apart, or a file (or standard input) in chunks, paced at --max-rate. See
// docs/cli.md.

#include <glib.h>

#include <cerrno>
#include <chrono>
#include <clocale>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "mctx/mctx.hpp"

namespace {

using namespace mctx;
using namespace mctx::cli;

constexpr const char* kProgram = "mctx-send";
constexpr const char* kProducer = "mctx/mctx-send";

const char* kSummary =
    "Sends PAYLOAD (as bytes) to the multicast GROUP on UDP PORT, COUNT times\n"
    "(default 1), INTERVAL_MS milliseconds apart (default 0).\n"
    "\n"
    "mctx-send [OPTION...] --file PATH GROUP PORT\n"
    "Sends the file PATH (- for standard input) in datagrams of --chunk-size\n"
    "bytes (default 1316; the last one may be shorter), in order, as it reads it\n"
    "(the file is never held in memory); --max-rate paces them, --loop starts\n"
    "again at the end of the file, --count and --duration stop early.";

const char* kDescription =
    "Examples (keep test traffic on the loopback interface):\n"
    "  mctx-send --interface lo 239.1.2.3 5000 hello 10 100\n"
    "  mctx-send --interface 127.0.0.1 --source-port 40000 --ttl 0 239.1.2.3 5000 hi\n"
    "  mctx-send --source fd00::1 --interface mctx0 ff3e::8000:1234 5000 hello-v6\n"
    "  mctx-send --bind '[fe80::1%eth0]:5000' ff32::1234 5000 link-local\n"
    "  mctx-send --interface lo --max-rate 20000000 --file movie.ts 239.1.2.3 5000\n"
    "  ffmpeg -i in.mp4 -c copy -f mpegts - | mctx-send --interface lo --file - 239.1.2.3 5000\n"
    "\n"
    "Environment:\n"
    "  MCTX_METRICS_SUMMARY_SECS=N     print (or write) a metrics delta every N seconds\n"
    "  MCTX_METRICS_SUMMARY_FILE=PATH  write the metrics file (JSON lines: a header, then\n"
    "                                  per interval a destination row and a totals row;\n"
    "                                  docs/metrics-file.md) to PATH instead of printing;\n"
    "                                  a final row is always written at exit. Plot it\n"
    "                                  with mctx-plot, follow it with mctx-plot --follow\n"
    "  MCTX_METRICS_NODE_ID=ID         JSONL header node_id (default: the file's folder\n"
    "                                  name, else its stem, else \"unknown\")\n"
    "  MCTX_METRICS_FLAGS_JSON=JSON    extra header flags (a JSON object); built-in\n"
    "                                  flags win on conflicts\n"
    "\n"
    "Exit status: 0 all packets sent; 1 a send or system call failed; 2 bad\n"
    "arguments, configuration or environment; 128+N stopped by signal N.\n"
    "See docs/cli.md, docs/metrics.md and docs/metrics-file.md.";

struct Options : SenderOptions {
  gchar* dscp = nullptr;
  gchar* max_rate = nullptr;
  gchar* file = nullptr;
  gchar* chunk_size = nullptr;
  gboolean loop = FALSE;
  gchar* count = nullptr;
  gchar* duration = nullptr;

  ~Options() {
    for (gchar* p : {dscp, max_rate, file, chunk_size, count, duration}) g_free(p);
  }
};

constexpr std::size_t kDefaultChunkSize = 1316;  // 7 MPEG-TS packets of 188 bytes

// --file mode: what to read and when to stop.
struct FilePlan {
  std::string path;  // "-": standard input
  std::size_t chunk_size = kDefaultChunkSize;
  bool loop = false;
  uint64_t count = 0;                      // 0: no limit
  std::chrono::milliseconds duration{0};  // 0: no limit
};

// What the user asked for, checked for syntax; the rules are the core's.
struct Plan {
  SendPositionals pos;
  PublicationConfig config;
  std::optional<FilePlan> file;
};

// The --file options (PATH, --chunk-size, --loop, --count, --duration);
// without --file they are refused.
CliResult<std::optional<FilePlan>> build_file_plan(const Options& o, Family family) {
  if (!o.file) {
    for (auto [given, name] : {std::pair{o.chunk_size != nullptr, "--chunk-size"},
                               std::pair{o.loop != FALSE, "--loop"},
                               std::pair{o.count != nullptr, "--count"},
                               std::pair{o.duration != nullptr, "--duration"}}) {
      if (given) {
        return unexpected(std::string(name) +
                          " applies only with --file (a PAYLOAD is sent COUNT times, "
                          "INTERVAL_MS apart)");
      }
    }
    return std::optional<FilePlan>();
  }
  FilePlan f;
  f.path = o.file;
  if (f.path.empty()) {
    return unexpected(std::string("--file '' names no file: give a path, or - for standard input"));
  }
  if (o.chunk_size) {
    auto n = parse_uint(o.chunk_size, "--chunk-size", 1, max_udp_payload(family));
    if (!n) return unexpected(std::move(n.error()));
    f.chunk_size = static_cast<std::size_t>(n.value());
  }
  f.loop = o.loop != FALSE;
  if (f.loop && f.path == "-") {
    return unexpected(std::string(
        "--loop cannot be used with --file - (standard input cannot be read again)"));
  }
  if (o.count) {
    auto n = parse_uint(o.count, "--count", 1, static_cast<uint64_t>(INT64_MAX));
    if (!n) return unexpected(std::move(n.error()));
    f.count = n.value();
  }
  if (o.duration) {
    auto n = parse_uint(o.duration, "--duration", 1, 31'536'000);
    if (!n) return unexpected(std::string(n.error()) + " (seconds)");
    f.duration = std::chrono::seconds(n.value());
  }
  return std::optional<FilePlan>(std::move(f));
}

CliResult<Plan> build_plan(const Options& o, const std::vector<std::string>& args) {
  Plan plan;
  auto pos = o.file ? parse_file_positionals(args) : parse_send_positionals(args);
  if (!pos) return unexpected(std::move(pos.error()));
  plan.pos = std::move(pos.value());
  auto file = build_file_plan(o, plan.pos.group.family());
  if (!file) return unexpected(std::move(file.error()));
  plan.file = std::move(file.value());
  PublicationConfig& c = plan.config;
  c.with_group(plan.pos.group).with_port(plan.pos.port);

  if (o.source) {
    auto a = parse_ip(o.source, "--source");
    if (!a) return unexpected(std::move(a.error()));
    c.with_source_address(a.value());
  }
  if (o.source_port) {
    auto p = parse_uint(o.source_port, "--source-port", 1, 65535);
    if (!p) return unexpected(std::move(p.error()));
    c.with_source_port(static_cast<uint16_t>(p.value()));
  }
  if (o.bind) {
    auto e = parse_endpoint(o.bind, "--bind");
    if (!e) return unexpected(std::move(e.error()));
    c.with_bind(e.value());
  }
  auto interface = parse_interface_options(o.interface, o.interface_index);
  if (!interface) return unexpected(std::move(interface.error()));
  if (interface.value()) c.with_interface(**interface);
  // Range rules (0..255, 0..63) belong to PublicationConfig::validate().
  if (o.ttl) {
    auto t = parse_integer(o.ttl, "--ttl");
    if (!t) return unexpected(std::move(t.error()));
    c.with_ttl(t.value());
  }
  if (o.dscp) {
    auto d = parse_integer(o.dscp, "--dscp");
    if (!d) return unexpected(std::move(d.error()));
    c.with_dscp(d.value());
  }
  if (o.no_loopback) c.with_loopback(false);
  if (o.max_rate) {
    auto r = parse_uint(o.max_rate, "--max-rate", 0, UINT64_MAX);
    if (!r) {
      return unexpected(std::string(r.error()) +
                        " (bits per second at the IP level; 0 = unpaced)");
    }
    c.with_max_rate(r.value());
  }
  return plan;
}

JsonlFlags builtin_flags(const Plan& plan, const ResolvedConfig& resolved) {
  const PublicationConfig& c = plan.config;
  JsonlFlags f;
  f.set("transport", "udp-multicast");
  f.set("role", "sender");
  f.set("multicast_group", c.group().to_string());
  f.set("multicast_port", static_cast<uint64_t>(c.port()));
  std::string source = "default";
  if (c.bind()) {
    source = c.bind()->address.to_string();
  } else if (c.source_address()) {
    source = c.source_address()->to_string();
  }
  f.set("multicast_source", source);
  f.set("multicast_interface",
        c.interface().empty() ? std::string("default") : c.interface().to_string());
  if (resolved.interface_index != 0) {
    f.set("multicast_interface_index", static_cast<uint64_t>(resolved.interface_index));
  }
  if (c.bind() && c.bind()->port != 0) {
    f.set("multicast_source_port", static_cast<uint64_t>(c.bind()->port));
  } else if (c.source_port()) {
    f.set("multicast_source_port", static_cast<uint64_t>(*c.source_port()));
  }
  f.set("publish_interval_ms", plan.pos.interval_ms);
  f.set("chunk_payload_bytes", static_cast<uint64_t>(plan.file ? plan.file->chunk_size
                                                                : plan.pos.payload.size()));
  f.set("pacing", c.max_rate() > 0           ? "max-rate"
                  : plan.pos.interval_ms > 0 ? "fixed-interval"
                                             : "none");
  if (c.max_rate() > 0) f.set("max_rate_bps", c.max_rate());
  f.set("batch_send_enabled", false);
  f.set("loopback_enabled", c.loopback());
  f.set("ttl_or_hops", static_cast<int64_t>(c.ttl()));
  if (c.dscp()) f.set("dscp", static_cast<int64_t>(*c.dscp()));
  return f;
}

// One UDP publication in a Context, for run_send_loop().
struct UdpSender {
  Context& ctx;
  PublicationId id;
  std::span<const std::byte> payload;
  uint64_t count;
  bool quiet;
  std::string destination_text;
  Endpoint local;  // as the last successful send reported it
  std::string local_text = local.to_string();

  uint32_t datagram_overhead;  // kIpv4UdpHeaderBytes or kIpv6UdpHeaderBytes

  MetricsSample metrics_sample() const {
    return cli::metrics_sample(ctx.snapshot(), ctx.get(id), datagram_overhead);
  }
  OutageStatus outage() const { return outage_of(ctx.get(id)); }
  std::string outage_reason() const { return outage_reason_of(ctx.get(id)); }
  void prepare(uint64_t) {}
  Result<SendReport, SendError> send() {
    pace();
    return ctx.send(id, payload);
  }
  // --max-rate: waits until the publication's pacer lets the next datagram go.
  void pace() const {
    const Publication* pub = ctx.get(id);
    if (pub == nullptr) return;
    if (const auto d = pub->pace_delay(); d.count() > 0) {
      sleep_until(std::chrono::steady_clock::now() + d);
    }
  }
  void sent(uint64_t i, const SendReport& r) {
    if (r.local() != local) {  // texts are rebuilt only when they change
      local = r.local();
      local_text = local.to_string();
    }
    if (quiet) return;
    if (count != 0) {
      std::printf("[%llu/%llu] sent %zu bytes to %s from %s\n",
                  static_cast<unsigned long long>(i + 1), static_cast<unsigned long long>(count),
                  r.bytes_sent, destination_text.c_str(), local_text.c_str());
    } else {
      std::printf("[%llu] sent %zu bytes to %s from %s\n", static_cast<unsigned long long>(i + 1),
                  r.bytes_sent, destination_text.c_str(), local_text.c_str());
    }
  }
  std::string failure(uint64_t i, const SendError& e) const {
    return "packet " + std::to_string(i + 1) +
           (count != 0 ? " of " + std::to_string(count) : std::string()) + " to " +
           destination_text + " failed: " + e.message();
  }
};

struct FileCloser {
  void operator()(std::FILE* f) const noexcept {
    if (f != nullptr && f != stdin) std::fclose(f);
  }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// --file: the datagrams are the file's chunks, read one at a time into one
// buffer (the file is never held whole), in order; with --loop the file is
// read again from its start at the end.
struct FileSender : UdpSender {
  std::FILE* in = nullptr;
  const FilePlan* plan = nullptr;
  std::vector<std::byte> chunk;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool done = false;
  std::string read_error;  // "" unless reading failed

  // Reads the next chunk (full, except the last of the file).
  void load() {
    for (int pass = 0; pass < 2; ++pass) {
      const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), in);
      if (n > 0) {
        payload = std::span<const std::byte>(chunk.data(), n);
        return;
      }
      if (std::ferror(in)) {
        read_error = std::strerror(errno);
        break;
      }
      // End of the file: again from its start with --loop (an empty file ends).
      if (!plan->loop || pass > 0 || std::fseek(in, 0, SEEK_SET) != 0) break;
    }
    done = true;
  }
  void prepare(uint64_t) { load(); }
  bool finished() const {
    return done || (plan->duration.count() > 0 && std::chrono::steady_clock::now() >= deadline);
  }
};

int run(int argc, char** argv) {
  Options o;
  GOptionEntry entries[] = {
      {"source", 0, 0, G_OPTION_ARG_STRING, &o.source,
       "Exact local source address to bind (not the interface)", "IP"},
      {"source-port", 0, 0, G_OPTION_ARG_STRING, &o.source_port,
       "Source UDP port (1-65535; default: ephemeral)", "N"},
      {"bind", 0, 0, G_OPTION_ARG_STRING, &o.bind,
       "Bind address and port; IPv6 as [ADDR%SCOPE]:PORT (the scope selects the interface)",
       "IP:PORT"},
      {"interface", 0, 0, G_OPTION_ARG_STRING, &o.interface,
       "Outgoing interface: a local address or an interface name (lo, eth0)", "IP|NAME"},
      interface_index_option(&o.interface_index),
      {"ttl", 0, 0, G_OPTION_ARG_STRING, &o.ttl, "IPv4 TTL / IPv6 hop limit (0-255, default 1)",
       "N"},
      {"no-loopback", 0, 0, G_OPTION_ARG_NONE, &o.no_loopback,
       "Do not loop packets back to receivers on this host", nullptr},
      {"dscp", 0, 0, G_OPTION_ARG_STRING, &o.dscp,
       "DSCP code point for the packets (0-63; default: leave alone)", "N"},
      {"max-rate", 0, 0, G_OPTION_ARG_STRING, &o.max_rate,
       "Pacing: at most N bits per second at the IP level (payload + UDP + IP headers), in "
       "bursts of 1 ms or 4 datagrams, whichever is longer, at most 10 ms (0 = unpaced, the "
       "default)",
       "N"},
      {"file", 0, 0, G_OPTION_ARG_FILENAME, &o.file,
       "Send the file PATH (- = standard input) in chunks, instead of PAYLOAD; give only GROUP "
       "PORT",
       "PATH"},
      {"chunk-size", 0, 0, G_OPTION_ARG_STRING, &o.chunk_size,
       "With --file: bytes per datagram (default 1316; the last chunk of the file may be "
       "shorter)",
       "N"},
      {"loop", 0, 0, G_OPTION_ARG_NONE, &o.loop,
       "With --file: start again at the end of the file (not with standard input)", nullptr},
      {"count", 0, 0, G_OPTION_ARG_STRING, &o.count,
       "With --file: stop after N datagrams", "N"},
      {"duration", 0, 0, G_OPTION_ARG_STRING, &o.duration,
       "With --file: stop after N seconds", "N"},
      queue_full_option(&o.queue_full),
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, "Print no line per packet, only the summary",
       nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };

  auto args = parse_options(argc, argv, entries, &o.version,
                            "GROUP PORT PAYLOAD [COUNT] [INTERVAL_MS] | --file PATH GROUP PORT",
                            kSummary, kDescription);
  if (!args) return usage_error(kProgram, args.error());
  if (o.version) return print_version(kProgram);

  // 1. Everything the user gave is checked before anything is opened.
  auto plan = build_plan(o, args.value());
  if (!plan) return usage_error(kProgram, plan.error());
  auto drop_on_queue_full = parse_queue_full(o.queue_full);
  if (!drop_on_queue_full) return usage_error(kProgram, drop_on_queue_full.error());
  const Plan& p = plan.value();

  auto resolved = p.config.validate();
  if (!resolved) {
    print_error(kProgram,
                config_error_text(resolved.error(), o.bind && !o.source ? "--bind" : "--source",
                                  o.interface_index ? "--interface-index" : "--interface"));
    return exit_status_for(resolved.error().code);
  }
  if (auto size = check_payload_size(p.pos.payload.size(), p.config.group().family()); !size) {
    print_error(kProgram, size.error());
    return kExitUsage;
  }
  FilePtr file;
  if (p.file) {
    if (p.file->path == "-") {
      file.reset(stdin);
    } else {
      file.reset(std::fopen(p.file->path.c_str(), "rb"));
      if (!file) {
        return usage_error(kProgram, "--file '" + p.file->path +
                                         "' cannot be opened: " + std::strerror(errno));
      }
    }
    // --loop reads the file again from its start: a pipe cannot be.
    if (p.file->loop && std::fseek(file.get(), 0, SEEK_CUR) != 0) {
      return usage_error(kProgram, "--loop needs a file that can be read again from its start; '" +
                                       p.file->path + "' cannot (" + std::strerror(errno) + ")");
    }
  }

  // 2. Metrics output (the environment is checked, the JSONL file opened and
  //    locked now), then the publication. The baseline is the empty context.
  Context ctx;
  auto added = add_with_metrics(kProgram, ctx, p.config, kProducer,
                                builtin_flags(p, resolved.value()), exit_status_for);
  if (!added) return added.error();
  MetricsReporter& metrics = added->metrics;
  const Publication* pub = ctx.get(added->id);
  const uint32_t overhead = p.config.group().family() == Family::ipv6 ? kIpv6UdpHeaderBytes
                                                                     : kIpv4UdpHeaderBytes;
  metrics.set_destination(pub->destination().to_string(), snapshot_of(pub->metrics(), overhead));

  start_sending(o.quiet != FALSE);

  // 3. Send.
  UdpSender udp{.ctx = ctx,
                .id = added->id,
                .payload = std::as_bytes(std::span(p.pos.payload.data(), p.pos.payload.size())),
                .count = p.file ? 0 : p.pos.count,  // 0: a file's length is not known
                .quiet = o.quiet != FALSE,
                .destination_text = pub->destination().to_string(),
                .local = pub->local(),
                .datagram_overhead = overhead};
  SendLoopParams params{kProgram, p.pos.count, std::chrono::milliseconds(p.pos.interval_ms),
                        pub->fd(), *drop_on_queue_full};
  SendTotals t;
  std::string read_error;
  if (p.file) {
    const auto deadline = p.file->duration.count() > 0
                              ? std::chrono::steady_clock::now() + p.file->duration
                              : std::chrono::steady_clock::time_point::max();
    FileSender sender{udp,      file.get(), &*p.file, std::vector<std::byte>(p.file->chunk_size),
                      deadline, false,      {}};
    params.count = p.file->count != 0 ? p.file->count : static_cast<uint64_t>(INT64_MAX);
    sender.load();
    t = run_send_loop(params, metrics, sender);
    udp.local_text = sender.local_text;
    read_error = sender.read_error;
  } else {
    t = run_send_loop(params, metrics, udp);
  }

  // 4. Summary.
  const std::string of = udp.count != 0 ? " of " + std::to_string(udp.count) : std::string();
  print_summary(std::to_string(t.sent) + of + " packets sent (" + std::to_string(t.bytes) +
                    " bytes) to " + udp.destination_text + " from " + udp.local_text,
                t);
  const int status = exit_status_after(kProgram, t);
  if (!read_error.empty()) {
    print_error(kProgram, "reading --file '" + p.file->path + "' failed: " + read_error);
    return status == kExitOk ? kExitFailure : status;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // Messages in the user's language and charset; numbers stay "C" so the
  // printed metrics lines parse the same everywhere.
  setlocale(LC_ALL, "");
  setlocale(LC_NUMERIC, "C");
  return run(argc, argv);
}
