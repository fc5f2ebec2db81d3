// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

#include "cli_common.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "mctx/log.hpp"
#include "mctx/version.hpp"

namespace mctx::cli {

namespace {

std::string squote(std::string_view v) { return "'" + std::string(v) + "'"; }

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

std::optional<std::string> env_value(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

volatile sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

}  // namespace

int exit_status_for(Errc code) noexcept {
  const int c = static_cast<int>(code);
  // Parsing (1..19), validate() (20..49) and metrics export (160..): the
  // user's input. Everything else is a runtime failure.
  if ((c >= 1 && c < 50) || c >= 160) return kExitUsage;
  return kExitFailure;
}

std::string config_error_text(const Error& error, std::string_view source_option,
                              std::string_view interface_option) {
  std::string text = error.what();
  // "... is scoped to X" names a scope, not the two options.
  if (error.code == Errc::source_interface_mismatch &&
      text.find("scoped to") == std::string::npos) {
    text = std::string(source_option) + " and " + std::string(interface_option) +
           " disagree: " + text;
  }
  return text;
}

void print_error(std::string_view program, std::string_view message) {
  std::fflush(stdout);
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(program.size()), program.data(),
               static_cast<int>(message.size()), message.data());
}

int usage_error(std::string_view program, std::string_view message) {
  print_error(program, message);
  std::fprintf(stderr, "Try '%.*s --help' for more information.\n",
               static_cast<int>(program.size()), program.data());
  return kExitUsage;
}

int print_version(std::string_view program) {
  std::printf("%.*s %s\n", static_cast<int>(program.size()), program.data(), mctx::version());
  return kExitOk;
}

// ------------------------------------------------------------ option parsing

namespace {

int g_verbosity = 0;
std::string g_log_program;

gboolean count_verbose(const gchar*, const gchar*, gpointer, GError**) {
  ++g_verbosity;
  return TRUE;
}

void log_to_stderr(mctx::LogLevel level, const char* function, const char* message, void*) {
  std::fprintf(stderr, "%s: %s: %s: %s\n", g_log_program.c_str(), mctx::log_level_name(level),
               function, message);
}

void install_verbose_log(const char* argv0) {
  if (g_verbosity == 0) return;
  gchar* base = g_path_get_basename(argv0 != nullptr ? argv0 : "mctx");
  g_log_program = base;
  g_free(base);
  const mctx::LogLevel level = g_verbosity == 1   ? mctx::LogLevel::info
                               : g_verbosity == 2 ? mctx::LogLevel::debug
                                                  : mctx::LogLevel::log;
  mctx::set_log_handler(&log_to_stderr, nullptr, level);
}

}  // namespace

CliResult<std::vector<std::string>> parse_options(int argc, char** argv, GOptionEntry* entries,
                                                  gboolean* version, const char* parameter_string,
                                                  const char* summary, const char* description) {
  // GOption takes the next argument as an option's value even when it is
  // another option ("--ttl --interface mctx0 ..."), and the mistake then
  // shows up as a bad positional argument. No value of ours starts with
  // "--", so that is reported as the missing value it is.
  for (int i = 1; i + 1 < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 3 || arg.substr(0, 2) != "--" || arg.find('=') != std::string_view::npos) {
      continue;
    }
    for (const GOptionEntry* e = entries; e->long_name != nullptr; ++e) {
      if (e->arg == G_OPTION_ARG_NONE || arg.substr(2) != e->long_name) continue;
      const std::string_view next = argv[i + 1];
      if (next.size() >= 2 && next.substr(0, 2) == "--") {
        return unexpected("Missing argument for " + std::string(arg) + ": the next argument " +
                          squote(next) + " is an option, not a value");
      }
      ++i;  // skip the value
      break;
    }
  }

  gchar** remaining = nullptr;
  GOptionEntry rest[] = {
      {"version", 0, 0, G_OPTION_ARG_NONE, version, "Print the version and exit", nullptr},
      {"verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
       reinterpret_cast<gpointer>(&count_verbose),
       "Log what the core does to stderr (-v: setup, -vv: debug, -vvv: every send)", nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &remaining, nullptr, nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  GOptionContext* ctx = g_option_context_new(parameter_string);
  g_option_context_set_summary(ctx, summary);
  g_option_context_set_description(ctx, description);
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_main_entries(ctx, rest, nullptr);

  // parse_strv works on a copy and handles "--" and option clustering.
  gchar** args = g_new0(gchar*, static_cast<gsize>(argc) + 1);
  for (int i = 0; i < argc; ++i) args[i] = g_strdup(argv[i]);
  GError* error = nullptr;
  const gboolean ok = g_option_context_parse_strv(ctx, &args, &error);
  g_strfreev(args);
  g_option_context_free(ctx);
  if (!ok) {
    std::string msg = error ? error->message : "cannot parse the command line";
    g_clear_error(&error);
    g_strfreev(remaining);
    return unexpected(std::move(msg));
  }
  std::vector<std::string> out;
  for (gchar** p = remaining; p != nullptr && *p != nullptr; ++p) out.emplace_back(*p);
  g_strfreev(remaining);
  install_verbose_log(argc > 0 ? argv[0] : nullptr);
  return out;
}

// ------------------------------------------------------------ value parsers

CliResult<uint64_t> parse_uint(std::string_view text, std::string_view what, uint64_t min,
                               uint64_t max) {
  const std::string rule =
      "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  const bool digits_only =
      !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  if (!digits_only || (ec != std::errc() && ec != std::errc::result_out_of_range) ||
      ptr != text.data() + text.size()) {
    return unexpected(std::string(what) + " " + squote(text) + " is not a number: " + rule);
  }
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    return unexpected(std::string(what) + " " + squote(text) + " is out of range: " + rule);
  }
  return v;
}

CliResult<int> parse_integer(std::string_view text, std::string_view what) {
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return unexpected(std::string(what) + " " + squote(text) + " is not an integer");
  }
  int v = 0;
  const char* first = text.data() + (text[0] == '+' ? 1 : 0);
  auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return unexpected(std::string(what) + " " + squote(text) + " is out of range");
  }
  return v;
}

CliResult<IpAddress> parse_ip(std::string_view text, std::string_view what) {
  auto r = IpAddress::parse(text);
  if (!r) return unexpected(std::string(what) + ": " + r.error().what());
  return r.value();
}

CliResult<Endpoint> parse_endpoint(std::string_view text, std::string_view what) {
  auto r = Endpoint::parse(text);
  if (!r) return unexpected(std::string(what) + ": " + r.error().what());
  return r.value();
}

CliResult<InterfaceSpec> parse_interface(std::string_view text, std::string_view what) {
  auto r = InterfaceSpec::parse(text);
  if (!r) return unexpected(std::string(what) + ": " + r.error().what());
  return r.value();
}

CliResult<std::optional<InterfaceSpec>> parse_interface_options(const char* interface,
                                                                const char* interface_index) {
  if (interface && interface_index) {
    return unexpected(std::string("--interface '") + interface + "' and --interface-index '" +
                      interface_index +
                      "' both choose the outgoing interface: give only one of them");
  }
  if (interface) {
    auto i = parse_interface(interface, "--interface");
    if (!i) return unexpected(std::move(i.error()));
    return std::optional<InterfaceSpec>(std::move(i.value()));
  }
  if (interface_index) {
    auto i = parse_uint(interface_index, "--interface-index", 0, UINT32_MAX);
    if (!i) return unexpected(std::move(i.error()));
    return std::optional<InterfaceSpec>(InterfaceSpec::index(static_cast<uint32_t>(i.value())));
  }
  return std::optional<InterfaceSpec>();
}

namespace {

CliResult<void> parse_group_port(const std::vector<std::string>& args, SendPositionals& p) {
  auto group = parse_ip(args[0], "GROUP");
  if (!group) return unexpected(std::move(group.error()));
  p.group = group.value();
  auto port = parse_uint(args[1], "PORT", 1, 65535);
  if (!port) return unexpected(std::move(port.error()));
  p.port = static_cast<uint16_t>(port.value());
  return {};
}

}  // namespace

CliResult<SendPositionals> parse_file_positionals(const std::vector<std::string>& args) {
  constexpr const char* kUsage = " (usage: --file PATH GROUP PORT)";
  if (args.size() < 2) {
    return unexpected(std::string(args.empty() ? "missing GROUP PORT" : "missing PORT") + kUsage);
  }
  if (args.size() > 2) {
    return unexpected("too many arguments: with --file the payload comes from the file, "
                      "unexpected " + squote(args[2]) + kUsage);
  }
  SendPositionals p;
  if (auto r = parse_group_port(args, p); !r) return unexpected(std::move(r.error()));
  return p;
}

CliResult<SendPositionals> parse_send_positionals(const std::vector<std::string>& args) {
  if (args.size() < 3) {
    static const char* const names[] = {"GROUP", "PORT", "PAYLOAD"};
    std::string missing;
    for (std::size_t i = args.size(); i < 3; ++i) {
      if (!missing.empty()) missing += " ";
      missing += names[i];
    }
    return unexpected("missing " + missing + " (usage: GROUP PORT PAYLOAD [COUNT] [INTERVAL_MS])");
  }
  if (args.size() > 5) {
    return unexpected("too many arguments: unexpected " + squote(args[5]) +
                      " (usage: GROUP PORT PAYLOAD [COUNT] [INTERVAL_MS])");
  }
  SendPositionals p;
  if (auto r = parse_group_port(args, p); !r) return unexpected(std::move(r.error()));
  p.payload = args[2];
  if (args.size() > 3) {
    auto count = parse_uint(args[3], "COUNT", 1, static_cast<uint64_t>(INT64_MAX));
    if (!count) return unexpected(std::move(count.error()));
    p.count = count.value();
  }
  if (args.size() > 4) {
    auto interval = parse_uint(args[4], "INTERVAL_MS", 0, 3'600'000);
    if (!interval) return unexpected(std::move(interval.error()));
    p.interval_ms = interval.value();
  }
  return p;
}

std::size_t max_udp_payload(Family family) noexcept {
  // 65535 - IP header (20, or none for IPv6 whose payload length excludes
  // its 40-byte header) - UDP header (8).
  return family == Family::ipv4 ? 65507 : 65527;
}

CliResult<void> check_payload_size(std::size_t size, Family family) {
  if (size <= max_udp_payload(family)) return {};
  return unexpected("PAYLOAD is " + std::to_string(size) + " bytes: one UDP datagram over " +
                    family_name(family) + " carries at most " +
                    std::to_string(max_udp_payload(family)) + " bytes");
}

// ------------------------------------------------------------ run control

namespace {

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// ppoll() with SIGINT/SIGTERM blocked from the stop check until the wait
// starts: ppoll unblocks them atomically, so a signal that arrives after the
// check interrupts the wait instead of being noticed only at its end.
// Returns ppoll's result (0 on timeout, -1 with EINTR on a signal).
int wait_unless_stopped(pollfd* fds, nfds_t nfds, std::chrono::nanoseconds timeout) {
  const sigset_t set = stop_set();
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &set, &old);
  int n = 0;
  if (stop_requested()) {
    n = -1;
    errno = EINTR;
  } else {
    timespec ts{};
    const auto ns = std::max<int64_t>(timeout.count(), 0);
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    sigset_t during = old;
    sigdelset(&during, SIGINT);
    sigdelset(&during, SIGTERM);
    n = ::ppoll(fds, nfds, &ts, &during);
  }
  const int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return n;
}

}  // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: sleeps and polls return EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void start_sending(bool quiet) {
  install_stop_signals();
  if (!quiet) std::setvbuf(stdout, nullptr, _IOLBF, 0);
}

int stop_signal() noexcept { return static_cast<int>(g_stop_signal); }

bool sleep_until(std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  for (;;) {
    if (stop_requested()) return false;
    const auto now = steady_clock::now();
    if (now >= deadline) return true;
    // EINTR (a stop signal, or another one): the loop re-checks the flag.
    wait_unless_stopped(nullptr, 0, duration_cast<nanoseconds>(deadline - now));
  }
}

bool wait_writable(int fd, std::chrono::milliseconds timeout) {
  pollfd pfd{};
  pfd.fd = fd;
  pfd.events = POLLOUT;
  const auto capped = std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(60));
  const int n = wait_unless_stopped(&pfd, 1, capped);
  if (n > 0) return true;  // POLLOUT, or POLLERR/POLLHUP: the next send reports it
  return false;            // timeout or a signal
}

void wait_for_room(int fd, const MetricsReporter& metrics) {
  using namespace std::chrono;
  const auto until_metrics = metrics.next_due() - steady_clock::now();
  const auto wait =
      std::clamp(duration_cast<milliseconds>(until_metrics), milliseconds(1), milliseconds(1000));
  wait_writable(fd, wait);
}

std::string format_seconds(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  return buf;
}

SenderOptions::~SenderOptions() {
  for (gchar* p : {source, source_port, bind, interface, interface_index, ttl, queue_full}) {
    g_free(p);
  }
}

GOptionEntry interface_index_option(gchar** value) {
  return {"interface-index", 0, 0, G_OPTION_ARG_STRING, value,
          "Outgoing interface by index (> 0)", "N"};
}

GOptionEntry queue_full_option(gchar** value) {
  return {"queue-full", 0, 0, G_OPTION_ARG_STRING, value,
          "When the local queue is full (ENOBUFS, e.g. a shaping qdisc): wait (default; send "
          "again shortly, nothing is lost) or drop (drop the packet and count it)",
          "wait|drop"};
}

CliResult<bool> parse_queue_full(const char* text) {
  if (text == nullptr) return false;
  const std::string v = text;
  if (v == "wait") return false;
  if (v == "drop") return true;
  return unexpected("--queue-full: '" + v +
                    "' is not allowed: give 'wait' (send again when the queue has room) or "
                    "'drop' (drop the packet and count it)");
}

void print_summary(std::string_view what, const SendTotals& t) {
  std::printf(
      "summary: %.*s in %.3f s; %llu send errors; %llu would-block waits; %llu queue-full "
      "(%llu dropped); %llu lost in %llu outages\n",
      static_cast<int>(what.size()), what.data(), t.seconds,
      static_cast<unsigned long long>(t.errors), static_cast<unsigned long long>(t.waits),
      static_cast<unsigned long long>(t.queue_full),
      static_cast<unsigned long long>(t.queue_full_dropped),
      static_cast<unsigned long long>(t.outage_lost), static_cast<unsigned long long>(t.outages));
  std::fflush(stdout);
}

int exit_status_after(std::string_view program, const SendTotals& totals) {
  if (!totals.metrics_error.empty()) {
    print_error(program, "metrics: " + totals.metrics_error);
    return kExitFailure;
  }
  if (int sig = stop_signal(); sig != 0) {
    print_error(program, "stopped by signal " + std::to_string(sig));
    return 128 + sig;
  }
  const uint64_t not_sent = totals.errors + totals.outage_lost + totals.queue_full_dropped;
  return not_sent == 0 ? kExitOk : kExitFailure;
}

// ------------------------------------------------------------ metrics

CliResult<MetricsEnv> metrics_env_from_environment() {
  MetricsEnv env;
  if (auto secs = env_value("MCTX_METRICS_SUMMARY_SECS")) {
    const std::string rule =
        "must be a positive number of seconds, at most 31536000 (e.g. 1 or 0.5)";
    const std::string& s = *secs;
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    const std::string_view digits = std::string_view(s).substr(!s.empty() && s[0] == '-' ? 1 : 0);
    const bool syntax =
        !digits.empty() && digits.find_first_not_of("0123456789.") == std::string_view::npos;
    if (!syntax || ec != std::errc() || ptr != s.data() + s.size()) {
      return unexpected("MCTX_METRICS_SUMMARY_SECS " + squote(s) + " is not a number: " + rule);
    }
    if (!(v >= 0.001) || v > 31'536'000.0) {
      return unexpected("MCTX_METRICS_SUMMARY_SECS " + squote(s) + " is out of range: " + rule +
                        (v > 0 && v < 0.001 ? "; the shortest period is 0.001" : ""));
    }
    env.summary_interval =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(v));
  }
  if (auto file = env_value("MCTX_METRICS_SUMMARY_FILE")) {
    if (is_blank(*file)) {
      return unexpected("MCTX_METRICS_SUMMARY_FILE " + squote(*file) +
                        " is blank: must be a file path");
    }
    if (file->back() == '/') {
      return unexpected("MCTX_METRICS_SUMMARY_FILE " + squote(*file) +
                        " names a folder: must be a file path");
    }
    env.summary_file = *file;
  }
  if (auto node = env_value("MCTX_METRICS_NODE_ID")) {
    if (is_blank(*node)) {
      return unexpected("MCTX_METRICS_NODE_ID " + squote(*node) +
                        " is blank: must contain a non-blank character");
    }
    for (unsigned char c : *node) {
      if (c < 0x20 || c == 0x7f) {
        return unexpected("MCTX_METRICS_NODE_ID " + squote(*node) +
                          " contains a control character: must be printable text");
      }
    }
    env.node_id = *node;
  }
  if (auto flags = env_value("MCTX_METRICS_FLAGS_JSON")) {
    auto parsed = JsonlFlags::parse(*flags, "MCTX_METRICS_FLAGS_JSON");
    if (!parsed) return unexpected(parsed.error().message);
    env.extra_flags = std::move(parsed.value());
  }
  if ((env.node_id || !env.extra_flags.empty()) && !env.summary_file) {
    // Harmless, but worth saying: they only shape the JSONL header.
    std::fprintf(stderr,
                 "note: MCTX_METRICS_NODE_ID / MCTX_METRICS_FLAGS_JSON only apply with "
                 "MCTX_METRICS_SUMMARY_FILE\n");
  }
  return env;
}

std::string format_metrics_line(const Delta& delta) {
  const auto row = nlohmann::ordered_json::parse(jsonl_sample_row(delta), nullptr, false);
  std::string out = "metrics:";
  if (!row.is_object()) return out;
  char buf[64];
  for (auto it = row.begin(); it != row.end(); ++it) {
    if (it.key() == "ts" || it.key() == "destination") continue;
    out += ' ';
    out += it.key();
    out += '=';
    if (it->is_number_float()) {
      std::snprintf(buf, sizeof buf, "%.3f", it->get<double>());
      out += buf;
    } else {
      out += it->dump();
    }
  }
  return out;
}

CliResult<MetricsReporter> MetricsReporter::create(const MetricsEnv& env, std::string producer,
                                                   JsonlFlags builtin_flags,
                                                   const Snapshot& baseline) {
  MetricsReporter r;
  if (!env.enabled()) return r;
  r.enabled_ = true;
  r.interval_ = env.summary_interval;
  if (env.summary_file) {
    JsonlHeader h;
    h.node_id = infer_node_id(*env.summary_file, env.node_id.value_or(std::string()));
    h.producer = std::move(producer);
    h.flags = std::move(builtin_flags);
    h.flags.merge_missing(env.extra_flags);
    auto w = JsonlWriter::open(*env.summary_file, h);
    if (!w) {
      return unexpected("MCTX_METRICS_SUMMARY_FILE: " + w.error().what());
    }
    if (!w->repaired().empty()) {
      std::fprintf(stderr, "note: MCTX_METRICS_SUMMARY_FILE '%s': %s\n", w->path().c_str(),
                   w->repaired().c_str());
    }
    r.writer_.emplace(std::move(w.value()));
  }
  (void)r.sampler_.sample(baseline);
  if (r.interval_) r.next_due_ = baseline.monotonic_time + *r.interval_;
  return r;
}

CliResult<MetricsReporter> MetricsReporter::from_environment(std::string producer,
                                                             JsonlFlags builtin_flags,
                                                             const Snapshot& baseline) {
  auto env = metrics_env_from_environment();
  if (!env) return unexpected(std::move(env.error()));
  return create(env.value(), std::move(producer), std::move(builtin_flags), baseline);
}

void MetricsReporter::set_destination(std::string name, const Snapshot& baseline) {
  destination_ = std::move(name);
  destination_sampler_.reset();
  (void)destination_sampler_.sample(baseline);
}

CliResult<void> MetricsReporter::emit(const MetricsSample& now) {
  auto delta = sampler_.sample(now.totals);
  if (!delta) return {};
  std::optional<Delta> dest;
  if (now.destination && !destination_.empty()) dest = destination_sampler_.sample(*now.destination);
  if (writer_) {
    std::vector<DestinationDelta> rows;
    if (dest) rows.push_back({destination_, *dest});
    auto w = writer_->write_interval(*delta, rows);
    if (!w) return unexpected(w.error().what());
  } else {
    std::printf("%s\n", format_metrics_line(*delta).c_str());
    std::fflush(stdout);
  }
  return {};
}

CliResult<void> MetricsReporter::maybe_emit(const MetricsSample& now) {
  if (!enabled_ || !interval_ || now.totals.monotonic_time < next_due_) return {};
  // Keep the cadence; skip missed slots rather than bursting.
  while (next_due_ <= now.totals.monotonic_time) next_due_ += *interval_;
  return emit(now);
}

CliResult<void> MetricsReporter::finish(const MetricsSample& now) {
  if (!enabled_) return {};
  next_due_ = std::chrono::steady_clock::time_point::max();
  if (auto r = emit(now); !r) return r;
  // One flush to disk per run: the file survives a machine crash after exit.
  if (writer_) {
    if (auto s = writer_->sync(); !s) return unexpected(s.error().what());
  }
  return {};
}

}  // namespace mctx::cli
