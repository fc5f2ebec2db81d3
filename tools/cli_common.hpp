// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors
#pragma once

// Helpers shared by the command-line senders (mctx-send, mctx-raw-send):
// GOptionContext parsing, argument parsers whose errors name the argument,
// the value and the rule, exit statuses, signal handling, waiting, the
// MCTX_METRICS_* environment (summaries and JSONL) and the send loop.

#include <glib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mctx/address.hpp"
#include "mctx/error.hpp"
#include "mctx/jsonl.hpp"
#include "mctx/metrics.hpp"
#include "mctx/publication.hpp"
#include "mctx/result.hpp"

namespace mctx::cli {

// Exit statuses of every mctx CLI.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure (a send or a system call failed)
inline constexpr int kExitUsage = 2;    // bad argument, configuration or environment value

// A message for the user, without the program-name prefix.
template <class T>
using CliResult = Result<T, std::string>;

// 2 for errors of argument parsing and PublicationConfig::validate(), and
// for metrics-export setup errors; 1 for everything else (system calls).
int exit_status_for(Errc code) noexcept;

// The text of a PublicationConfig::validate() / open error. When the source
// address and the interface disagree (source_interface_mismatch), it is
// prefixed with the two options that set them ("--source and --interface
// disagree: ...").
std::string config_error_text(const Error& error, std::string_view source_option,
                              std::string_view interface_option);

// Prints "PROGRAM: message" to stderr.
void print_error(std::string_view program, std::string_view message);
// Prints the message and "Try 'PROGRAM --help' ..." to stderr; returns
// kExitUsage.
int usage_error(std::string_view program, std::string_view message);
// Prints "PROGRAM VERSION" to stdout; returns kExitOk.
int print_version(std::string_view program);

// ------------------------------------------------------------ option parsing

// Runs g_option_context_parse_strv over argv with `entries` (terminated by
// an empty entry; do not add G_OPTION_REMAINING, it is added here) and
// returns the positional arguments. An error (unknown option, missing
// value) is returned as GLib's message.
// Every CLI also gets --version here (the last of its options in --help; it
// sets *version) and -v / --verbose (repeatable): the core's log lines go to
// stderr as "PROGRAM: LEVEL: FUNCTION: MESSAGE"; -v shows info (what each
// publication opened with), -vv debug, -vvv a line per send.
CliResult<std::vector<std::string>> parse_options(int argc, char** argv, GOptionEntry* entries,
                                                  gboolean* version, const char* parameter_string,
                                                  const char* summary, const char* description);

// The options every sender has (GOption fills them in; freed here). Each
// sender's Options add its own.
struct SenderOptions {
  gchar* source = nullptr;
  gchar* source_port = nullptr;
  gchar* bind = nullptr;
  gchar* interface = nullptr;
  gchar* interface_index = nullptr;
  gchar* ttl = nullptr;
  gboolean no_loopback = FALSE;
  gchar* queue_full = nullptr;
  gboolean quiet = FALSE;
  gboolean version = FALSE;

  SenderOptions() = default;
  SenderOptions(const SenderOptions&) = delete;
  SenderOptions& operator=(const SenderOptions&) = delete;
  ~SenderOptions();
};

// The option entries every sender has, with the same --help text:
// --interface-index N and --queue-full wait|drop.
GOptionEntry interface_index_option(gchar** value);
GOptionEntry queue_full_option(gchar** value);

// ------------------------------------------------------------ value parsers
// `what` names the argument in messages: "PORT", "--ttl", ...

// Decimal digits only (no sign, no blanks), within [min, max].
// "--ttl '300' is out of range: must be an integer from 0 to 255".
CliResult<uint64_t> parse_uint(std::string_view text, std::string_view what, uint64_t min,
                               uint64_t max);
// An int in decimal with optional sign, for values whose range the core
// checks itself (--ttl, --dscp): "--ttl 'abc' is not an integer".
CliResult<int> parse_integer(std::string_view text, std::string_view what);
// The parsers below prefix the core's message with `what`:
// "GROUP: 'nonsense' is not an IPv4 or IPv6 address".
// An IPv4/IPv6 address (IPv6 may carry %scope).
CliResult<IpAddress> parse_ip(std::string_view text, std::string_view what);
// ADDR:PORT, [ADDR]:PORT or [ADDR%SCOPE]:PORT.
CliResult<Endpoint> parse_endpoint(std::string_view text, std::string_view what);
// A local address, an interface name or an index.
CliResult<InterfaceSpec> parse_interface(std::string_view text, std::string_view what);
// --interface IP|NAME and --interface-index N (either may be null; both
// given is an error): the outgoing interface, nullopt when neither is given.
CliResult<std::optional<InterfaceSpec>> parse_interface_options(const char* interface,
                                                                const char* interface_index);

// GROUP PORT PAYLOAD [COUNT] [INTERVAL_MS]
struct SendPositionals {
  IpAddress group;
  uint16_t port = 0;  // 0 is passed on: PublicationConfig::validate() names the rule
  std::string payload;
  uint64_t count = 1;        // 1 .. 2^63
  uint64_t interval_ms = 0;  // 0 .. 3600000
};
CliResult<SendPositionals> parse_send_positionals(const std::vector<std::string>& args);
// GROUP PORT (mctx-send --file): the payload comes from the file.
CliResult<SendPositionals> parse_file_positionals(const std::vector<std::string>& args);

// Largest UDP payload of one datagram: 65507 (IPv4), 65527 (IPv6).
std::size_t max_udp_payload(Family family) noexcept;
// "PAYLOAD is N bytes: one UDP datagram over IPv4 carries at most 65507
// bytes" when `size` is over max_udp_payload(family).
CliResult<void> check_payload_size(std::size_t size, Family family);

// ------------------------------------------------------------ run control

// SIGINT/SIGTERM set a flag instead of killing the process, so the sender
// can write its final metrics and summary. Returns the signal or 0.
void install_stop_signals();
int stop_signal() noexcept;
inline bool stop_requested() noexcept { return stop_signal() != 0; }

// Sleeps until `deadline` (monotonic); returns early (false) on a stop
// signal.
bool sleep_until(std::chrono::steady_clock::time_point deadline);

// poll(2) for POLLOUT, at most `timeout`. True when writable (or the
// descriptor reports an error the next send will return); false on timeout
// or a stop signal.
bool wait_writable(int fd, std::chrono::milliseconds timeout);

// ------------------------------------------------------------ metrics

// MCTX_METRICS_SUMMARY_SECS, MCTX_METRICS_SUMMARY_FILE, MCTX_METRICS_NODE_ID,
// MCTX_METRICS_FLAGS_JSON. A variable set to the empty string counts as
// unset.
struct MetricsEnv {
  std::optional<std::chrono::nanoseconds> summary_interval;  // > 0
  std::optional<std::string> summary_file;
  std::optional<std::string> node_id;  // explicit, non-blank
  JsonlFlags extra_flags;              // merged under the built-in flags
  bool enabled() const noexcept { return summary_interval.has_value() || summary_file.has_value(); }
};
// Reads and validates the environment. Messages name the variable, the
// value and the rule.
CliResult<MetricsEnv> metrics_env_from_environment();

// "metrics: interval_secs=1.000 active_publications=1 ..." (the JSONL row's
// fields without ts, in the same order).
std::string format_metrics_line(const Delta& delta);

// One metrics sample of a CLI run: the context totals and the one
// destination (absent before the publication exists), both with the
// family's datagram_overhead and the outages filled in.
struct MetricsSample {
  Snapshot totals;
  std::optional<Snapshot> destination;
};

// The sample of a context with the publication `pub` (nullptr: gone or not
// added): `datagram_overhead` per datagram (kIpv4UdpHeaderBytes,
// kIpv6UdpHeaderBytes, 0 in raw mode), outages from pub->outage().
template <class Pub>
MetricsSample metrics_sample(Snapshot totals, const Pub* pub, uint32_t datagram_overhead) {
  totals.datagram_overhead = datagram_overhead;
  if (pub == nullptr) return {totals, std::nullopt};
  Snapshot d = snapshot_of(pub->metrics(), datagram_overhead);
  d.outages = totals.outages = pub->outage().outages;
  // One sample instant for both: the same interval lengths in both rows.
  d.wall_time = totals.wall_time;
  d.monotonic_time = totals.monotonic_time;
  return {totals, d};
}

// The outage status and reason of a publication `pub` (nullptr: gone or
// not added), for the senders of run_send_loop().
template <class Pub>
OutageStatus outage_of(const Pub* pub) {
  return pub != nullptr ? pub->outage() : OutageStatus{};
}
template <class Pub>
std::string outage_reason_of(const Pub* pub) {
  return pub != nullptr ? pub->outage_reason() : std::string("publication is gone");
}

// Periodic and final metrics output for a CLI run: prints summary lines to
// stdout (the totals), or appends JSONL rows to MCTX_METRICS_SUMMARY_FILE
// (per interval a destination row and a totals row, docs/metrics-file.md).
class MetricsReporter {
 public:
  // Disabled reporter (no environment variable set).
  MetricsReporter() = default;
  // `builtin_flags` win over the environment's extra flags. Opens (and
  // locks) the JSONL file now, so that every problem shows before a packet
  // is sent. `baseline` is the first sample (usually a snapshot taken
  // before the publication was added).
  static CliResult<MetricsReporter> create(const MetricsEnv& env, std::string producer,
                                           JsonlFlags builtin_flags, const Snapshot& baseline);
  // metrics_env_from_environment(), then create(): a problem with either is
  // a usage error (kExitUsage).
  static CliResult<MetricsReporter> from_environment(std::string producer, JsonlFlags builtin_flags,
                                                     const Snapshot& baseline);

  // The destination's name in the rows ("239.1.2.3:5000") and its first
  // sample (the publication just added).
  void set_destination(std::string name, const Snapshot& baseline);

  bool enabled() const noexcept { return enabled_; }
  // When the next periodic summary is due (time_point::max() if none).
  std::chrono::steady_clock::time_point next_due() const noexcept { return next_due_; }
  // Emits a periodic summary if one is due at `now`.
  CliResult<void> maybe_emit(const MetricsSample& now);
  // The final summary / row (always, when enabled).
  CliResult<void> finish(const MetricsSample& now);

 private:
  CliResult<void> emit(const MetricsSample& now);

  bool enabled_ = false;
  std::optional<std::chrono::nanoseconds> interval_;
  std::chrono::steady_clock::time_point next_due_ = std::chrono::steady_clock::time_point::max();
  Sampler sampler_;
  std::string destination_;
  Sampler destination_sampler_;
  std::optional<JsonlWriter> writer_;
};

// Step 2 of a sender, after every argument is checked: the metrics output
// (the environment is checked, the JSONL file opened and locked now, the
// baseline is the context before the publication), then the publication
// `config` added to `ctx`. A problem is printed and the error is the exit
// status: kExitUsage for the metrics output, add_failed(code) for the
// publication (after a final metrics row that records the empty run).
struct AddedPublication {
  MetricsReporter metrics;
  PublicationId id;
};
template <class Ctx, class Config>
Result<AddedPublication, int> add_with_metrics(std::string_view program, Ctx& ctx,
                                               const Config& config, std::string producer,
                                               JsonlFlags builtin_flags, int (*add_failed)(Errc)) {
  auto reporter = MetricsReporter::from_environment(std::move(producer), std::move(builtin_flags),
                                                    ctx.snapshot());
  if (!reporter) {
    print_error(program, reporter.error());
    return unexpected(kExitUsage);
  }
  auto id = ctx.add(config);
  if (!id) {
    print_error(program, id.error().what());
    (void)reporter->finish({ctx.snapshot(), std::nullopt});
    return unexpected(add_failed(id.error().code));
  }
  return AddedPublication{std::move(reporter.value()), id.value()};
}

// ------------------------------------------------------------ send loop

// How many send errors are printed; later ones are only counted.
inline constexpr uint64_t kMaxErrorLines = 10;

struct SendLoopParams {
  std::string_view program;               // prefix of the error lines
  uint64_t count = 1;                     // packets to send
  std::chrono::milliseconds interval{0};  // between packet starts
  int fd = -1;                            // polled for POLLOUT while a send would block
  // A full local queue (ENOBUFS): false = send again after
  // mctx::kQueueFullRetryDelay (nothing lost), true = drop the packet.
  bool drop_on_queue_full = false;
};

// "1.234": seconds with millisecond precision, for messages.
std::string format_seconds(double seconds);

// --queue-full=wait|drop: true for drop, false for wait or when not given
// (nullptr). The error names the option.
CliResult<bool> parse_queue_full(const char* text);

// What a send loop did.
struct SendTotals {
  uint64_t sent = 0;   // packets the kernel accepted
  uint64_t bytes = 0;  // their bytes, as the publication reports them
  uint64_t errors = 0;
  uint64_t waits = 0;         // would-block waits
  uint64_t queue_full = 0;    // full local queue events (ENOBUFS)
  uint64_t queue_full_dropped = 0;  // packets dropped on a full queue (--queue-full=drop)
  uint64_t outages = 0;       // outages that began (network unreachable)
  uint64_t outage_lost = 0;   // packets lost to outages (not in errors)
  double seconds = 0;         // from the first send to after the final metrics
  std::string metrics_error;  // the first metrics output failure; "" if none
};

// Prints a sender's summary line to stdout and flushes it: "summary: WHAT
// in 1.234 s; N send errors; N would-block waits; N queue-full (N dropped);
// N lost in N outages".
void print_summary(std::string_view what, const SendTotals& totals);

// Just before the first send: SIGINT/SIGTERM stop the loop
// (install_stop_signals()), and stdout is line-buffered unless `quiet` (a
// line per packet shows as it is sent).
void start_sending(bool quiet);

// After a would-block send: polls `fd` for POLLOUT, at most until the next
// periodic summary is due (1 ms .. 1 s).
void wait_for_room(int fd, const MetricsReporter& metrics);

// The exit status of a sender after the loop (and its summary line): a
// metrics failure is printed and is 1, a stop signal is printed and is
// 128 + N, then 0 when every packet was sent, else 1.
int exit_status_after(std::string_view program, const SendTotals& totals);

// The send loop of the CLI senders. Packet i (from 0) goes out at
// start + i * interval, without drift; while waiting, periodic metrics are
// emitted when due. A send that would block is never dropped: the loop
// waits for room (wait_for_room) and sends again. A failed send is counted
// and printed (the first kMaxErrorLines), and ends the loop only when the
// error is fatal. A full local queue (ENOBUFS) is retried after
// mctx::kQueueFullRetryDelay, or the packet dropped and counted with
// drop_on_queue_full. An unreachable network is an outage: the packet is
// counted as lost, one line says the outage began (and why), one line when
// a packet goes out again says how long it lasted and how many were lost;
// the loop keeps sending. A stop signal ends it early. Then the final
// metrics.
//
// The sender provides:
//   MetricsSample metrics_sample();  metrics of the context and destination
//   void prepare(uint64_t i);        before packet i > 0 waits for its turn
//   auto send();                     one attempt: a Result whose value has
//                                    bytes_sent and whose error has
//                                    would_block(), fatal()
//   void sent(uint64_t i, const Report&);            after a successful send
//   std::string failure(uint64_t i, const Error&);   the error line
//   mctx::OutageStatus outage();     the publication's outage status
//   std::string outage_reason();     why the network is unreachable
//   bool finished();                 optional: true when there is nothing
//                                    more to send (checked before packet i)
template <class Sender>
SendTotals run_send_loop(const SendLoopParams& params, MetricsReporter& metrics, Sender& sender) {
  using std::chrono::steady_clock;
  SendTotals t;
  bool fatal = false;
  bool in_outage = false;
  auto tick = [&]() {
    if (t.metrics_error.empty() && steady_clock::now() >= metrics.next_due()) {
      auto r = metrics.maybe_emit(sender.metrics_sample());
      if (!r) t.metrics_error = r.error();
    }
  };

  const auto start = steady_clock::now();
  auto deadline = start;  // of packet i: start + i * interval, without drift
  for (uint64_t i = 0; i < params.count && !fatal && !stop_requested(); ++i) {
    if (i > 0) {
      sender.prepare(i);
      if (params.interval.count() > 0) {
        deadline += params.interval;
        while (!stop_requested() && steady_clock::now() < deadline) {
          sleep_until(std::min(deadline, metrics.next_due()));
          tick();
        }
        if (stop_requested()) break;
      }
    }
    // A sender with a finite source (a file) ends the loop before `count`.
    if constexpr (requires { sender.finished(); }) {
      if (sender.finished()) break;
    }
    for (;;) {
      auto r = sender.send();
      if (r) {
        ++t.sent;
        t.bytes += r->bytes_sent;
        if (in_outage) {
          in_outage = false;
          const mctx::OutageStatus o = sender.outage();
          print_error(params.program,
                      "outage ended: sending again after " +
                          format_seconds(std::chrono::duration<double>(o.duration).count()) +
                          " s; " + std::to_string(o.datagrams_lost) + " packets lost");
        }
        sender.sent(i, *r);
        break;
      }
      const auto& e = r.error();
      if (e.code == mctx::Errc::no_buffer_space) {
        ++t.queue_full;
        if (params.drop_on_queue_full) {
          ++t.queue_full_dropped;
          break;
        }
        // Backpressure: the queue drains at its rate; send the packet again.
        sleep_until(steady_clock::now() + mctx::kQueueFullRetryDelay);
        tick();
        if (stop_requested()) break;
        continue;
      }
      if (e.code == mctx::Errc::network_unreachable) {
        ++t.outage_lost;
        if (!in_outage) {
          in_outage = true;
          ++t.outages;
          print_error(params.program, "outage began: " + sender.failure(i, e) + " (" +
                                          sender.outage_reason() +
                                          "); packets are counted as lost until it ends");
        }
        break;
      }
      if (e.would_block()) {
        // Never drop: wait until the socket buffer has room and send again.
        ++t.waits;
        wait_for_room(params.fd, metrics);
        tick();
        if (stop_requested()) break;
        continue;
      }
      ++t.errors;
      if (t.errors <= kMaxErrorLines) {
        print_error(params.program, sender.failure(i, e));
        if (t.errors == kMaxErrorLines) {
          print_error(params.program, "further send errors are counted but not printed");
        }
      }
      fatal = e.fatal();
      break;
    }
    tick();
  }

  if (t.metrics_error.empty()) {
    auto r = metrics.finish(sender.metrics_sample());
    if (!r) t.metrics_error = r.error();
  }
  t.seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
  return t;
}

}  // namespace mctx::cli
