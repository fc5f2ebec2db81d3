// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// mctxsink's metrics-file property (IPv4 on lo, inside scripts/mctx-netns):
//   - two destinations stream; the file has a valid header, every row
//     passes validate_jsonl_row(), each interval is a row per destination
//     then a totals row, and the last rows hold what the receivers got and
//     what the metrics property says;
//   - refused starts: a path that cannot be opened, a file another writer
//     holds (the element's ERROR names the property, the path, the reason);
//   - a write that fails (RLIMIT_FSIZE) is one WARNING, counted in
//     metrics-file-errors, and streaming goes on;
//   - stats-interval 0: a warning at start, and only the final rows.

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "gst-test-util.hpp"
#include "mctx/jsonl.hpp"

using namespace mctx_gst_test;
using Json = nlohmann::json;

namespace {

const char* const kGroupA = "239.1.2.3";
const char* const kGroupB = "239.1.2.4";
const char* const kNameA = "239.1.2.3:5004";
const char* const kNameB = "239.1.2.4:5006";
const char* const kUriB = "<\"mctx://239.1.2.4:5006?interface=lo\">";

// A folder of its own for a test's files (removed with its files).
struct TempDir {
  std::string path;
  TempDir() {
    gchar* p = g_dir_make_tmp("mctx-metrics-file-XXXXXX", nullptr);
    fail_unless(p != nullptr, "g_dir_make_tmp failed");
    path = p;
    g_free(p);
  }
  ~TempDir() { (void)std::system(("rm -rf '" + path + "'").c_str()); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  fail_unless(in.good(), "cannot read %s", path.c_str());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The rows of a file whose header and rows are all valid, as JSON.
std::vector<Json> valid_rows(const std::string& path, Json* header = nullptr) {
  const auto lines = read_lines(path);
  fail_unless(!lines.empty(), "%s is empty", path.c_str());
  auto h = mctx::validate_jsonl_header(lines[0]);
  fail_unless(h.has_value(), "header '%s': %s", lines[0].c_str(),
              h.has_value() ? "" : h.error().what().c_str());
  if (header) *header = Json::parse(lines[0]);
  std::vector<Json> rows;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto r = mctx::validate_jsonl_row(lines[i]);
    fail_unless(r.has_value(), "line %zu '%s': %s", i + 1, lines[i].c_str(),
                r.has_value() ? "" : r.error().what().c_str());
    rows.push_back(Json::parse(lines[i]));
  }
  return rows;
}

// The rows cut into intervals: each interval is the rows of one ts, the
// totals row last.
std::vector<std::vector<Json>> intervals(const std::vector<Json>& rows) {
  std::vector<std::vector<Json>> out;
  std::vector<Json> current;
  for (const Json& r : rows) {
    if (!current.empty()) {
      fail_unless(r["ts"].get<double>() == current.front()["ts"].get<double>(),
                  "a row of ts %f follows one of ts %f in the same interval",
                  r["ts"].get<double>(), current.front()["ts"].get<double>());
    }
    current.push_back(r);
    if (r["destination"] == "total") out.push_back(std::move(current)), current.clear();
  }
  fail_unless(current.empty(), "%zu rows after the last totals row", current.size());
  return out;
}

guint64 total(const Json& row, const char* counter) {
  return row[std::string(counter) + "_total"].get<guint64>();
}

// The sink of these tests: group A, destination B, on lo.
void configure(Sink& s, const std::string& file, guint interval_ms) {
  g_object_set(s.element, "group", kGroupA, "port", 5004u, "interface", "lo", "stats-interval",
               interval_ms, "metrics-file", file.c_str(), nullptr);
  gst_util_set_object_arg(G_OBJECT(s.element), "destinations", kUriB);
}

}  // namespace

MCTX_GST_TEST(test_rows_of_two_destinations) {
  TempDir tmp;
  const std::string folder = tmp.path + "/sender-7";
  fail_unless_equals_int(mkdir(folder.c_str(), 0755), 0);
  const std::string file = folder + "/network.jsonl";
  auto rx_a = receiver(kGroupA, 5004, "lo");
  auto rx_b = receiver(kGroupB, 5006, "lo");
  Sink s;
  configure(s, file, 50);
  gchar* got_path = nullptr;
  g_object_get(s.element, "metrics-file", &got_path, nullptr);
  assert_str_eq(str(got_path), file);
  g_free(got_path);

  GstHarness* h = s.harness();
  const int n = 30;
  const std::size_t bytes = push_packets_over_intervals(h, n);
  const auto a = receive_n(*rx_a, n + 1, 300);
  const auto b = receive_n(*rx_b, n + 1, 300);
  fail_unless_equals_int(a.size(), n);
  fail_unless_equals_int(b.size(), n);

  GstStructure* st = stats(s.element);
  const guint64 packets = u64(st, "packets-sent");
  const guint64 calls = u64(st, "send-calls");
  fail_unless_equals_uint64(packets, 2 * n);
  fail_unless_equals_uint64(u64(st, "metrics-file-errors"), 0);
  gst_structure_free(st);
  // Stop: the final rows; then the file is closed and unlocked.
  gst_element_set_state(s.element, GST_STATE_NULL);
  const auto warnings = pop_warnings(s.bus);
  fail_unless(warnings.empty(), "warning: %s", warnings.empty() ? "" : warnings[0].c_str());

  Json header;
  const auto rows = valid_rows(file, &header);
  assert_str_eq(header["producer"].get<std::string>(), "mctx/mctxsink");
  assert_str_eq(header["node_id"].get<std::string>(), "sender-7");  // the folder's name
  assert_str_eq(header["flags"]["multicast_group"].get<std::string>(), kGroupA);
  fail_unless_equals_int(header["flags"]["multicast_port"].get<int>(), 5004);
  assert_str_eq(header["flags"]["multicast_interface"].get<std::string>(), "lo");

  // ~500 ms at 50 ms: several intervals, each [A, B, total].
  const auto ivs = intervals(rows);
  fail_unless(ivs.size() >= 4, "only %zu intervals", ivs.size());
  double prev_ts = 0;
  std::map<std::string, guint64> delta_sum;
  bool some_rate = false;
  for (const auto& iv : ivs) {
    fail_unless_equals_int(iv.size(), 3);
    assert_str_eq(iv[0]["destination"].get<std::string>(), kNameA);
    assert_str_eq(iv[1]["destination"].get<std::string>(), kNameB);
    fail_unless(iv[0]["ts"].get<double>() >= prev_ts, "ts goes backwards");
    prev_ts = iv[0]["ts"].get<double>();
    for (const Json& r : iv) {
      delta_sum[r["destination"].get<std::string>()] += r["packets_sent_delta"].get<guint64>();
      const double payload = r["payload_bits_per_sec"].get<double>();
      const double ip = r["ip_bits_per_sec"].get<double>();
      if (payload > 0) {
        some_rate = true;
        fail_unless(ip > payload, "ip_bits_per_sec %f <= payload_bits_per_sec %f", ip, payload);
      }
    }
  }
  fail_unless(some_rate, "no interval with a rate");
  // The deltas add up to the totals (no interval lost, none counted twice).
  fail_unless_equals_uint64(delta_sum[kNameA], n);
  fail_unless_equals_uint64(delta_sum[kNameB], n);
  fail_unless_equals_uint64(delta_sum["total"], 2 * n);

  // The last interval (the stop): what the receivers got, what the metrics
  // property said.
  const auto& last = ivs.back();
  for (int i = 0; i < 2; ++i) {
    const Json& r = last[i];
    fail_unless_equals_uint64(total(r, "packets_sent"), n);
    fail_unless_equals_uint64(total(r, "bytes_sent"), bytes);
    fail_unless_equals_uint64(total(r, "ip_bytes_sent"), bytes + 28 * n);  // IPv4 + UDP
    fail_unless_equals_uint64(total(r, "send_calls"), n);
    fail_unless_equals_uint64(total(r, "send_errors"), 0);
    fail_unless_equals_int(r["active_publications"].get<int>(), 1);
  }
  const Json& t = last[2];
  fail_unless_equals_uint64(total(t, "packets_sent"), packets);
  fail_unless_equals_uint64(total(t, "send_calls"), calls);
  fail_unless_equals_uint64(total(t, "bytes_sent"), 2 * bytes);
  fail_unless_equals_uint64(total(t, "ip_bytes_sent"), 2 * (bytes + 28 * n));
  fail_unless_equals_int(t["active_publications"].get<int>(), 2);
  fail_unless_equals_uint64(total(t, "publications_added"), 2);
  fail_unless_equals_uint64(total(t, "publications_removed"), 0);

  // Closed and unlocked at stop: another writer may open it now.
  mctx::JsonlHeader again;
  again.node_id = "sender-7";
  again.producer = "mctx/mctxsink";
  again.flags = mctx::JsonlFlags::parse(header["flags"].dump()).value();
  auto reopened = mctx::JsonlWriter::open(file, again);
  fail_unless(reopened.has_value(), "reopen: %s",
              reopened.has_value() ? "" : reopened.error().what().c_str());
  s.teardown();
}
GST_END_TEST;

// A start that cannot open the file fails with an ERROR naming the
// property, the path and the reason.
MCTX_GST_TEST(test_unopenable_file_refused) {
  TempDir tmp;
  const std::string missing = tmp.path + "/no-such-folder/network.jsonl";
  {
    Sink s;
    configure(s, missing, 50);
    std::string debug;
    const std::string msg = start_error(s, &debug);
    assert_contains(msg, "metrics-file");
    assert_contains(msg, "'" + missing + "'");
    assert_contains(msg, "cannot open");
    assert_contains(msg, "No such file or directory");
    assert_contains(debug, "metrics_io_failed");
  }
  {
    Sink s;  // a folder, not a file
    configure(s, tmp.path, 50);
    const std::string msg = start_error(s);
    assert_contains(msg, "metrics-file");
    assert_contains(msg, "'" + tmp.path + "'");
  }
  {
    // Another program's metrics file (another header): refused, untouched.
    const std::string other = tmp.path + "/other.jsonl";
    {
      mctx::JsonlHeader h;
      h.node_id = "x";
      h.producer = "mctx/mctx-send";
      auto w = mctx::JsonlWriter::open(other, h);
      fail_unless(w.has_value());
    }
    const auto before = read_lines(other);
    Sink s;
    configure(s, other, 50);
    const std::string msg = start_error(s);
    assert_contains(msg, "metrics-file");
    assert_contains(msg, "'" + other + "'");
    assert_contains(msg, "the existing header does not match");
    fail_unless(read_lines(other) == before, "a refused file was changed");
  }
}
GST_END_TEST;

// A file another writer holds (here a JsonlWriter of this process, then a
// second running mctxsink) is refused: two writers would interleave rows.
MCTX_GST_TEST(test_locked_file_refused) {
  TempDir tmp;
  const std::string file = tmp.path + "/network.jsonl";
  {
    mctx::JsonlHeader h;
    h.node_id = "holder";
    h.producer = "mctx/test";
    auto holder = mctx::JsonlWriter::open(file, h);
    fail_unless(holder.has_value());
    Sink s;
    configure(s, file, 50);
    const std::string msg = start_error(s);
    assert_contains(msg, "metrics-file");
    assert_contains(msg, "'" + file + "'");
    assert_contains(msg, "locked by another writer");
  }
  // Two elements, one file: the second refuses while the first runs.
  const std::string shared = tmp.path + "/shared.jsonl";
  Sink one;
  configure(one, shared, 50);
  fail_unless_equals_int(gst_element_set_state(one.element, GST_STATE_PAUSED),
                         GST_STATE_CHANGE_SUCCESS);
  Sink two;
  configure(two, shared, 50);
  assert_contains(start_error(two), "locked by another writer");
  gst_element_set_state(one.element, GST_STATE_NULL);
  // Released at stop: the other one starts now.
  fail_unless_equals_int(gst_element_set_state(two.element, GST_STATE_PAUSED),
                         GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state(two.element, GST_STATE_NULL);
  const auto rows = valid_rows(shared);
  const std::size_t runs = intervals(rows).size();
  fail_unless(runs >= 2, "%zu intervals: each run ends with a final one", runs);
}
GST_END_TEST;

// A full disk (RLIMIT_FSIZE, SIGXFSZ ignored: write() returns EFBIG): one
// WARNING naming the property and the file, every failure counted,
// streaming goes on, the file keeps only whole rows.
MCTX_GST_TEST(test_write_error_warns_once_and_streaming_goes_on) {
  TempDir tmp;
  const std::string file = tmp.path + "/network.jsonl";
  auto rx = receiver(kGroupA, 5004, "lo");
  Sink s;
  configure(s, file, 30);
  GstHarness* h = s.harness();
  fail_unless_equals_int(gst_harness_push(h, text_buffer("before")), GST_FLOW_OK);
  // Rows are written.
  mctx::test::wait_until([&] { return read_lines(file).size() >= 4; }, std::chrono::seconds(5),
                         std::chrono::milliseconds(10));
  fail_unless(read_lines(file).size() >= 4, "no rows written");

  struct stat before {};
  fail_unless_equals_int(stat(file.c_str(), &before), 0);
  signal(SIGXFSZ, SIG_IGN);
  rlimit old_limit{};
  fail_unless_equals_int(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit small = old_limit;
  small.rlim_cur = static_cast<rlim_t>(before.st_size);  // no room for another row
  fail_unless_equals_int(setrlimit(RLIMIT_FSIZE, &small), 0);
  GstStructure* st = nullptr;
  mctx::test::wait_until(
      [&] {
        if (st) gst_structure_free(st);
        st = stats(s.element);
        return u64(st, "metrics-file-errors") >= 3;
      },
      std::chrono::seconds(5), std::chrono::milliseconds(10));
  // Sending goes on meanwhile.
  for (int i = 0; i < 5; ++i) {
    fail_unless_equals_int(gst_harness_push(h, text_buffer(packet_text(i))), GST_FLOW_OK);
  }
  fail_unless_equals_int(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  signal(SIGXFSZ, SIG_DFL);
  const guint64 errors = u64(st, "metrics-file-errors");
  gst_structure_free(st);
  fail_unless(errors >= 3, "%" G_GUINT64_FORMAT " errors counted", errors);

  const auto got = receive_n(*rx, 7, 300);
  fail_unless_equals_int(got.size(), 6);
  const auto warnings = pop_warnings(s.bus);
  fail_unless_equals_int(warnings.size(), 1);  // once, not per interval
  assert_contains(warnings[0], "metrics-file");
  assert_contains(warnings[0], "'" + file + "'");
  assert_contains(warnings[0], "streaming goes on");

  // Room again: later rows and the final ones are written, whole.
  gst_element_set_state(s.element, GST_STATE_NULL);
  const auto ivs = intervals(valid_rows(file));
  fail_unless_equals_uint64(total(ivs.back()[0], "packets_sent"), 6);    // A
  fail_unless_equals_uint64(total(ivs.back().back(), "packets_sent"), 12);  // A and B
  s.teardown();
}
GST_END_TEST;

// stats-interval 0: a warning at start says only the final rows are written;
// the file then has exactly one interval.
MCTX_GST_TEST(test_stats_interval_zero_final_rows_only) {
  TempDir tmp;
  const std::string file = tmp.path + "/network.jsonl";
  Sink s;
  configure(s, file, 0);
  GstHarness* h = s.harness();
  fail_unless_equals_int(gst_harness_push(h, text_buffer("one")), GST_FLOW_OK);
  g_usleep(200 * 1000);
  const auto warnings = pop_warnings(s.bus);
  fail_unless_equals_int(warnings.size(), 1);
  assert_contains(warnings[0], "metrics-file '" + file + "'");
  assert_contains(warnings[0], "stats-interval is 0");
  assert_contains(warnings[0], "only the final row");
  fail_unless_equals_int(read_lines(file).size(), 1);  // the header only
  gst_element_set_state(s.element, GST_STATE_NULL);
  const auto ivs = intervals(valid_rows(file));
  fail_unless_equals_int(ivs.size(), 1);
  fail_unless_equals_uint64(total(ivs[0].back(), "packets_sent"), 2);
  s.teardown();
}
GST_END_TEST;

// A file whose last row was cut short (a crash mid-write) is repaired at
// start, and the start says so in a WARNING: nothing is dropped silently.
MCTX_GST_TEST(test_repaired_file_warns) {
  TempDir tmp;
  const std::string file = tmp.path + "/network.jsonl";
  {
    Sink s;
    configure(s, file, 1000);
    s.harness();
    s.teardown();  // the header and the final rows
  }
  {
    std::ofstream out(file, std::ios::app);
    out << "{\"ts\": 12";
  }
  Sink s;
  configure(s, file, 1000);
  s.harness();
  g_usleep(100 * 1000);
  const auto warnings = pop_warnings(s.bus);
  fail_unless_equals_int(warnings.size(), 1);
  assert_contains(warnings[0], "metrics-file '" + file + "'");
  assert_contains(warnings[0], "removed an incomplete last line");
  s.teardown();
  fail_unless_equals_int(intervals(valid_rows(file)).size(), 2);  // every line whole
}
GST_END_TEST;

MCTX_GST_CHECK_MAIN({.suite = "mctxsink-metrics-file", .netns = netns_lo()});
