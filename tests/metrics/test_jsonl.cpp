// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The metrics file (JSONL) writer: header and row shape, appending, refusal of
// files without a valid header, lock contention, node_id resolution.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "mctx/context.hpp"
#include "mctx/jsonl.hpp"
#include "mctx/metrics.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

std::vector<std::size_t>& write_calls() {
  static std::vector<std::size_t> calls;
  return calls;
}
bool& recording() {
  static bool on = false;
  return on;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mctx-jsonl-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << content;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

mctx::JsonlHeader test_header(std::string node = "sender-0001") {
  mctx::JsonlHeader h;
  h.node_id = std::move(node);
  h.producer = "mctx/test";
  h.created_at =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'779'999'999'123));
  h.flags.set("transport", "udp-multicast").set("role", "sender").set("multicast_port", 5000);
  return h;
}

mctx::Delta test_delta(uint64_t packets_total = 100, uint64_t packets_delta = 10) {
  mctx::Snapshot a, b;
  a.monotonic_time = std::chrono::steady_clock::time_point(10s);
  b.monotonic_time = std::chrono::steady_clock::time_point(11s);
  b.wall_time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'779'999'999'456));
  a.publications_added = 1;
  b.publications_added = 1;
  b.active_publications = 1;
  a.send.send_calls = a.send.packets_sent = packets_total - packets_delta;
  a.send.bytes_sent = 640 * (packets_total - packets_delta);
  b.send.send_calls = b.send.packets_sent = packets_total;
  b.send.bytes_sent = 640 * packets_total;
  return mctx::make_delta(a, b);
}

// ------------------------------------------------------------ shapes

TEST(JsonlFormat, HeaderLineHasTheCanonicalFieldsInOrder) {
  const std::string line = mctx::jsonl_header_line(test_header());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(
      line,
      R"({"schema":"heimdall-jsonl-v1","artifact_type":"mctx-network","node_id":"sender-0001",)"
      R"("producer":"mctx/test","created_at":1779999999.123,"flags":{"multicast_port":5000,)"
      R"("role":"sender","transport":"udp-multicast"}})");
  EXPECT_TRUE(mctx::validate_jsonl_header(line));
}

TEST(JsonlFormat, SampleRowHasEveryFieldInOrder) {
  const std::string row = mctx::jsonl_sample_row(test_delta());
  EXPECT_EQ(row.find('\n'), std::string::npos);
  const auto j = nlohmann::ordered_json::parse(row);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  const std::vector<std::string> expected = {"ts",
                                             "interval_secs",
                                             "destination",
                                             "active_publications",
                                             "publications_added_total",
                                             "publications_added_delta",
                                             "publications_removed_total",
                                             "publications_removed_delta",
                                             "send_calls_total",
                                             "send_calls_delta",
                                             "packets_sent_total",
                                             "packets_sent_delta",
                                             "bytes_sent_total",
                                             "bytes_sent_delta",
                                             "ip_bytes_sent_total",
                                             "ip_bytes_sent_delta",
                                             "send_errors_total",
                                             "send_errors_delta",
                                             "would_block_total",
                                             "would_block_delta",
                                             "queue_full_total",
                                             "queue_full_delta",
                                             "unreachable_total",
                                             "unreachable_delta",
                                             "outages_total",
                                             "outages_delta",
                                             "gso_sends_total",
                                             "gso_sends_delta",
                                             "send_calls_per_sec",
                                             "packets_per_sec",
                                             "bytes_per_sec",
                                             "send_errors_per_sec",
                                             "payload_bits_per_sec",
                                             "ip_bits_per_sec"};
  EXPECT_EQ(keys, expected);
  EXPECT_NEAR(j["ts"].get<double>(), 1779999999.456, 1e-6);
  EXPECT_DOUBLE_EQ(j["interval_secs"].get<double>(), 1.0);
  EXPECT_EQ(j["active_publications"], 1);
  EXPECT_EQ(j["publications_added_total"], 1);
  EXPECT_EQ(j["publications_added_delta"], 0);
  EXPECT_EQ(j["send_calls_total"], 100);
  EXPECT_EQ(j["send_calls_delta"], 10);
  EXPECT_EQ(j["packets_sent_total"], 100);
  EXPECT_EQ(j["packets_sent_delta"], 10);
  EXPECT_EQ(j["bytes_sent_total"], 64000);
  EXPECT_EQ(j["bytes_sent_delta"], 6400);
  EXPECT_EQ(j["send_errors_total"], 0);
  EXPECT_DOUBLE_EQ(j["packets_per_sec"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(j["bytes_per_sec"].get<double>(), 6400.0);
  EXPECT_TRUE(j["send_errors_per_sec"].is_number_float());
  EXPECT_EQ(j["destination"], "total");
  // No datagram_overhead given: the IP level equals the payload.
  EXPECT_EQ(j["ip_bytes_sent_total"], 64000);
  EXPECT_DOUBLE_EQ(j["payload_bits_per_sec"].get<double>(), 51200.0);
  EXPECT_DOUBLE_EQ(j["ip_bits_per_sec"].get<double>(), 51200.0);
  for (const char* k : {"schema", "artifact_type", "node_id", "producer", "flags"}) {
    EXPECT_FALSE(j.contains(k)) << k;
  }
  EXPECT_TRUE(mctx::validate_jsonl_row(row));
}

// IP-level bytes and bit rate: 640-byte payloads, 10 datagrams in 1 s, with
// the IPv4 and IPv6 UDP header sizes; every counter in its _total/_delta.
TEST(JsonlFormat, SampleRowHasIpRatesAndEveryCounter) {
  for (auto [overhead, ip_bytes] : {std::pair<uint32_t, int>{mctx::kIpv4UdpHeaderBytes, 6680},
                                    std::pair<uint32_t, int>{mctx::kIpv6UdpHeaderBytes, 6880}}) {
    mctx::Delta d = test_delta();
    d.start.send.queue_full = 2;
    d.end.send.queue_full = 5;
    d.end.send.would_block = 7;
    d.end.send.unreachable = 3;
    d.end.send.gso_sends = 4;
    d.end.outages = 2;
    d.start.outages = 1;
    d.end.datagram_overhead = overhead;
    d = mctx::make_delta(d.start, d.end);
    const auto j = nlohmann::json::parse(mctx::jsonl_sample_row(d, "239.1.2.3:5000"));
    EXPECT_EQ(j["destination"], "239.1.2.3:5000");
    EXPECT_EQ(j["ip_bytes_sent_delta"], ip_bytes) << overhead;
    EXPECT_EQ(j["ip_bytes_sent_total"], 10 * ip_bytes) << overhead;
    EXPECT_DOUBLE_EQ(j["ip_bits_per_sec"].get<double>(), ip_bytes * 8.0) << overhead;
    EXPECT_DOUBLE_EQ(j["payload_bits_per_sec"].get<double>(), 51200.0);
    EXPECT_EQ(j["queue_full_total"], 5);
    EXPECT_EQ(j["queue_full_delta"], 3);
    EXPECT_EQ(j["would_block_total"], 7);
    EXPECT_EQ(j["unreachable_total"], 3);
    EXPECT_EQ(j["gso_sends_total"], 4);
    EXPECT_EQ(j["outages_total"], 2);
    EXPECT_EQ(j["outages_delta"], 1);
  }
}

// Rows of files written before destination rows (no "destination") stay
// valid; a destination, when present, is a non-empty string.
TEST(JsonlFormat, DestinationIsOptionalButNotBlank) {
  EXPECT_TRUE(mctx::validate_jsonl_row(R"({"ts":1,"interval_secs":1,"packets_sent_delta":3})"));
  EXPECT_TRUE(mctx::validate_jsonl_row(R"({"ts":1,"interval_secs":1,"destination":"x:1"})"));
  for (const char* row : {R"({"ts":1,"interval_secs":1,"destination":""})",
                          R"({"ts":1,"interval_secs":1,"destination":7})"}) {
    auto r = mctx::validate_jsonl_row(row);
    ASSERT_FALSE(r) << row;
    EXPECT_NE(r.error().what().find("destination must be a non-empty string"), std::string::npos)
        << r.error().what();
  }
}

TEST(JsonlFormat, HeaderValidationNamesTheBrokenRule) {
  struct Case {
    const char* line;
    const char* expect;
  } cases[] = {
      {"not json", "not valid JSON"},
      {"[1,2]", "JSON object"},
      {R"({"schema":"v0","artifact_type":"a","node_id":"n","producer":"p","created_at":1,"flags":{}})",
       "schema must be \"heimdall-jsonl-v1\""},
      {R"({"schema":"heimdall-jsonl-v1","artifact_type":"a","node_id":" ","producer":"p","created_at":1,"flags":{}})",
       "node_id must be a non-empty string"},
      {R"({"schema":"heimdall-jsonl-v1","artifact_type":"a","node_id":"n","created_at":1,"flags":{}})",
       "producer must be a non-empty string"},
      {R"({"schema":"heimdall-jsonl-v1","artifact_type":"a","node_id":"n","producer":"p","flags":{}})",
       "created_at must be a finite number"},
      {R"({"schema":"heimdall-jsonl-v1","artifact_type":"a","node_id":"n","producer":"p","created_at":1,"flags":[]})",
       "flags must be a JSON object"},
  };
  for (const auto& c : cases) {
    auto r = mctx::validate_jsonl_header(c.line);
    ASSERT_FALSE(r) << c.line;
    EXPECT_EQ(r.error().code, mctx::Errc::metrics_bad_header);
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos)
        << "line: " << c.line << "\nmessage: " << r.error().message;
  }
}

TEST(JsonlFormat, RowValidation) {
  EXPECT_TRUE(mctx::validate_jsonl_row(R"({"ts":1.5,"interval_secs":0})"));
  auto r = mctx::validate_jsonl_row(R"({"ts":1.5,"interval_secs":-1})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("interval_secs must not be negative"), std::string::npos);
  r = mctx::validate_jsonl_row(R"({"interval_secs":1})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("ts must be a finite number"), std::string::npos);
  r = mctx::validate_jsonl_row(R"({"ts":1,"interval_secs":1,"node_id":"x"})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("header field node_id"), std::string::npos);
}

// ------------------------------------------------------------ flags

TEST(JsonlFlags, ParseRequiresAnObjectAndNamesTheSource) {
  auto ok = mctx::JsonlFlags::parse(R"({"experiment":"e1","n":3,"nested":{"a":[1,2]}})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->json(), R"({"experiment":"e1","n":3,"nested":{"a":[1,2]}})");

  auto bad = mctx::JsonlFlags::parse("{oops", "MCTX_METRICS_FLAGS_JSON");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, mctx::Errc::metrics_invalid_value);
  EXPECT_NE(bad.error().message.find("MCTX_METRICS_FLAGS_JSON '{oops' is not valid JSON"),
            std::string::npos)
      << bad.error().message;

  bad = mctx::JsonlFlags::parse("[1,2]", "MCTX_METRICS_FLAGS_JSON");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("MCTX_METRICS_FLAGS_JSON '[1,2]' is not a JSON object"),
            std::string::npos)
      << bad.error().message;
}

TEST(JsonlFlags, BuiltInFlagsWinOnMerge) {
  mctx::JsonlFlags builtin;
  builtin.set("role", "sender").set("multicast_group", "239.1.2.3").set("loopback_enabled", true);
  auto extra = mctx::JsonlFlags::parse(R"({"role":"receiver","experiment":"e7","ratio":0.5})");
  ASSERT_TRUE(extra);
  builtin.merge_missing(*extra);
  EXPECT_EQ(builtin.get_json("role"), std::optional<std::string>("\"sender\""));
  EXPECT_EQ(builtin.get_json("experiment"), std::optional<std::string>("\"e7\""));
  EXPECT_EQ(builtin.get_json("ratio"), std::optional<std::string>("0.5"));
  EXPECT_EQ(builtin.get_json("loopback_enabled"), std::optional<std::string>("true"));
  EXPECT_FALSE(builtin.get_json("missing").has_value());
  EXPECT_TRUE(builtin.contains("multicast_group"));
  EXPECT_TRUE(mctx::JsonlFlags().empty());
}

// ------------------------------------------------------------ node id

TEST(JsonlNodeId, Resolution) {
  EXPECT_EQ(mctx::infer_node_id("/data/sender-0001/network.jsonl", "explicit"), "explicit");
  EXPECT_EQ(mctx::infer_node_id("/data/sender-0001/network.jsonl", "   "), "sender-0001");
  EXPECT_EQ(mctx::infer_node_id("/data/sender-0001/network.jsonl"), "sender-0001");
  EXPECT_EQ(mctx::infer_node_id("run7/metrics.jsonl"), "run7");
  EXPECT_EQ(mctx::infer_node_id("metrics.jsonl"), "metrics");
  EXPECT_EQ(mctx::infer_node_id("/metrics.jsonl"), "metrics");
  EXPECT_EQ(mctx::infer_node_id("./metrics.jsonl"), "metrics");
  EXPECT_EQ(mctx::infer_node_id(""), "unknown");
}

// ------------------------------------------------------------ writer

TEST(JsonlWriter, NewFileGetsOneHeaderThenRows) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  {
    auto w = mctx::JsonlWriter::open(p.string(), test_header());
    ASSERT_TRUE(w) << w.error().what();
    ASSERT_TRUE(w->write(test_delta(100, 10)));
    ASSERT_TRUE(w->write(test_delta(110, 10)));
    ASSERT_TRUE(w->write_row(R"({ "ts": 5, "interval_secs": 1, "custom": true })"));
    EXPECT_EQ(w->path(), p.string());
  }
  const auto lines = lines_of(read_file(p));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], mctx::jsonl_header_line(test_header()));
  EXPECT_EQ(json::parse(lines[1])["packets_sent_total"], 100);
  EXPECT_EQ(json::parse(lines[2])["packets_sent_total"], 110);
  EXPECT_EQ(lines[3], R"({"custom":true,"interval_secs":1,"ts":5})");
}

TEST(JsonlWriter, AppendingKeepsTheSingleHeader) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  for (int run = 0; run < 3; ++run) {
    mctx::JsonlHeader h = test_header();
    h.created_at = std::chrono::system_clock::now();  // created_at may differ
    auto w = mctx::JsonlWriter::open(p.string(), h);
    ASSERT_TRUE(w) << "run " << run << ": " << w.error().what();
    ASSERT_TRUE(w->write(test_delta()));
  }
  const auto lines = lines_of(read_file(p));
  ASSERT_EQ(lines.size(), 4u);
  int headers = 0;
  for (const auto& l : lines) headers += json::parse(l).contains("schema") ? 1 : 0;
  EXPECT_EQ(headers, 1);
}

TEST(JsonlWriter, EmptyOrBlankFileGetsTheHeader) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  write_file(p, "\n  \n");
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_TRUE(w) << w.error().what();
  ASSERT_TRUE(w->write(test_delta()));
  const auto lines = lines_of(read_file(p));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(mctx::validate_jsonl_header(lines[2]));
}

// Blank lines whose last one has no newline (found by fuzz-jsonl): the
// header goes on a line of its own, and the file opens again unrepaired.
TEST(JsonlWriter, BlankFileWithoutFinalNewlineGetsTheHeaderOnItsOwnLine) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  write_file(p, "\n  \v");
  {
    auto w = mctx::JsonlWriter::open(p.string(), test_header());
    ASSERT_TRUE(w) << w.error().what();
    ASSERT_TRUE(w->write(test_delta()));
  }
  const auto lines = lines_of(read_file(p));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(mctx::validate_jsonl_header(lines[2]));
  auto again = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(again->repaired(), "");
}

TEST(JsonlWriter, RefusesAHeaderlessFile) {
  TempDir dir;
  const fs::path p = dir.path() / "old.jsonl";
  const std::string content = R"({"ts":1.0,"interval_secs":1.0,"packets_sent_total":5})"
                              "\n";
  write_file(p, content);
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, mctx::Errc::metrics_bad_header);
  const std::string msg = w.error().what();
  EXPECT_NE(msg.find("metrics file '" + p.string() + "' line 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("schema must be"), std::string::npos) << msg;
  EXPECT_NE(msg.find("refusing to append"), std::string::npos) << msg;
  EXPECT_EQ(read_file(p), content);  // untouched
}

TEST(JsonlWriter, RefusesANonJsonFile) {
  TempDir dir;
  const fs::path p = dir.path() / "notes.txt";
  write_file(p, "hello world\n");
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, mctx::Errc::metrics_bad_header);
  EXPECT_NE(w.error().message.find("not valid JSON"), std::string::npos) << w.error().message;
  EXPECT_EQ(read_file(p), "hello world\n");
}

TEST(JsonlWriter, RefusesADifferentHeaderAndNamesTheField) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  { ASSERT_TRUE(mctx::JsonlWriter::open(p.string(), test_header("node-a"))); }
  auto w = mctx::JsonlWriter::open(p.string(), test_header("node-b"));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, mctx::Errc::metrics_bad_header);
  EXPECT_NE(w.error().message.find(R"(node_id is "node-a" in the file but "node-b" was requested)"),
            std::string::npos)
      << w.error().message;

  mctx::JsonlHeader h = test_header("node-a");
  h.flags.set("role", "relay");
  w = mctx::JsonlWriter::open(p.string(), h);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("flags is"), std::string::npos) << w.error().message;
}

TEST(JsonlWriter, RefusesASecondHeaderAndABadLastRow) {
  TempDir dir;
  const std::string header = mctx::jsonl_header_line(test_header());
  const std::string row = mctx::jsonl_sample_row(test_delta());
  struct Case {
    std::string content;
    std::string expect;
  } cases[] = {
      {header + "\n" + header + "\n", "line 2: a second header"},
      {header + "\n{\"ts\":\"x\",\"interval_secs\":1}\n", "line 2: not a valid sample row: ts"},
      {header + "\n" + row + "\n\n" + row + "x\n  \n", "line 4: not valid JSON"},
      {"\n" + header + "\n{\"ts\":1}\n", "line 3: not a valid sample row: interval_secs"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const fs::path p = dir.path() / ("case" + std::to_string(i++) + ".jsonl");
    write_file(p, c.content);
    auto w = mctx::JsonlWriter::open(p.string(), test_header());
    ASSERT_FALSE(w) << c.expect;
    EXPECT_EQ(w.error().code, mctx::Errc::metrics_bad_header);
    EXPECT_NE(w.error().message.find(c.expect), std::string::npos) << w.error().message;
    EXPECT_EQ(read_file(p), c.content);
  }
}

// An interrupted write (crash, or a full disk before this version cut rows
// back) leaves a last line without its newline: open() cuts it off, or
// completes it when it is a whole row, instead of refusing the file forever.
TEST(JsonlWriter, OpenRepairsAnUnterminatedLastLine) {
  TempDir dir;
  const std::string header = mctx::jsonl_header_line(test_header());
  const std::string row = mctx::jsonl_sample_row(test_delta());
  struct Case {
    std::string content;
    std::string kept;  // the file after open()
    std::string repaired;
  } cases[] = {
      {header + "\n" + row + "\n" + row.substr(0, 37), header + "\n" + row + "\n",
       "removed an incomplete last line of 37 bytes (an interrupted write)"},
      {header + "\n" + row.substr(0, 5), header + "\n",
       "removed an incomplete last line of 5 bytes"},
      {header + "\n" + row + "\n   ", header + "\n" + row + "\n",
       "removed an incomplete last line of 3 bytes"},
      {header + "\n" + row, header + "\n" + row + "\n",
       "added the missing newline after the last row"},
      {header, header + "\n", "added the missing newline after the header"},
      {header + "\n" + row + "\n", header + "\n" + row + "\n", ""},
  };
  int i = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.repaired);
    const fs::path p = dir.path() / ("case" + std::to_string(i++) + ".jsonl");
    write_file(p, c.content);
    {
      auto w = mctx::JsonlWriter::open(p.string(), test_header());
      ASSERT_TRUE(w) << w.error().what();
      EXPECT_NE(w->repaired().find(c.repaired), std::string::npos) << w->repaired();
      if (c.repaired.empty()) {
        EXPECT_EQ(w->repaired(), "");
      }
      EXPECT_EQ(read_file(p), c.kept);
      ASSERT_TRUE(w->write(test_delta(200, 5)));
    }
    const auto lines = lines_of(read_file(p));
    EXPECT_EQ(lines.front(), header);
    EXPECT_EQ(json::parse(lines.back())["packets_sent_total"], 200);
    for (std::size_t l = 1; l < lines.size(); ++l) EXPECT_TRUE(mctx::validate_jsonl_row(lines[l]));
  }
}

// Bytes this process has read with read(2)/pread(2) so far.
uint64_t bytes_read() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  return 0;
}

// open() reads the header and the end of an existing file, not all of it:
// a 1 GiB file (sparse: no disk needed) opens reading under 256 KiB.
TEST(JsonlWriter, OpeningReadsTheHeaderAndTheEndOnly) {
  TempDir dir;
  const fs::path p = dir.path() / "big.jsonl";
  const std::string header = mctx::jsonl_header_line(test_header());
  const std::string row = mctx::jsonl_sample_row(test_delta());
  {
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    const std::string first = header + "\n" + row + "\n";
    ASSERT_EQ(::pwrite(fd, first.data(), first.size(), 0), static_cast<ssize_t>(first.size()));
    const off_t big = off_t{1} << 30;
    const std::string last = "\n" + row + "\n";
    ASSERT_EQ(::pwrite(fd, last.data(), last.size(), big),
              static_cast<ssize_t>(last.size()));  // a hole between
    ::close(fd);
  }
  const uint64_t before = bytes_read();
  const auto t0 = std::chrono::steady_clock::now();
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  const auto took = std::chrono::steady_clock::now() - t0;
  const uint64_t read = bytes_read() - before;
  ASSERT_TRUE(w) << w.error().what();
  std::printf("opening a %.1f GiB file read %llu bytes in %.3f ms\n",
              static_cast<double>(fs::file_size(p)) / (1 << 30),
              static_cast<unsigned long long>(read),
              std::chrono::duration<double, std::milli>(took).count());
  EXPECT_GT(read, 0u);
  EXPECT_LT(read, 256u << 10);  // 64 KiB of head and 64 KiB of tail, plus /proc reads
  ASSERT_TRUE(w->write(test_delta(300, 1)));

  // The end is checked: a bad last row of a large file is refused and named.
  { auto closed = std::move(w.value()); }
  {
    std::ofstream f(p, std::ios::binary | std::ios::app);
    f << "{\"ts\":\"late\",\"interval_secs\":1}\n";
  }
  auto bad = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("last line: not a valid sample row: ts"), std::string::npos)
      << bad.error().message;
}

// A full disk (here RLIMIT_FSIZE, with SIGXFSZ ignored: write() then returns
// short, then EFBIG) must not leave a torn row: the written part is cut off,
// the error is reported, and the next row goes in once there is room.
TEST(JsonlWriter, AFailedWriteLeavesNoTornRow) {
  TempDir dir;
  const fs::path p = dir.path() / "full.jsonl";
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_TRUE(w) << w.error().what();
  ASSERT_TRUE(w->write(test_delta(100, 10)));
  const std::string before = read_file(p);

  struct sigaction ign {}, old_action {};
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ign, &old_action), 0);
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit small = old_limit;
  small.rlim_cur = before.size() + 100;  // room for 100 bytes of the next row
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto r = w->write(test_delta(110, 10));
  auto r2 = w->write(test_delta(120, 10));
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  ASSERT_EQ(::sigaction(SIGXFSZ, &old_action, nullptr), 0);

  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, mctx::Errc::metrics_io_failed);
  EXPECT_EQ(r.error().system_errno, EFBIG);
  const std::string msg = r.error().what();
  std::printf("first failure: %s\n", msg.c_str());
  EXPECT_NE(msg.find("cannot write to metrics file '" + p.string() +
                     "' (the 100 bytes of the row that were written have been cut off again: "
                     "the file ends with its last complete row)"),
            std::string::npos)
      << msg;
  ASSERT_FALSE(r2);
  EXPECT_EQ(read_file(p), before);  // nothing torn

  // Room again: rows go on, and the file opens again.
  ASSERT_TRUE(w->write(test_delta(130, 10)));
  ASSERT_TRUE(w->sync());
  { auto moved = std::move(w.value()); }
  auto again = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(again->repaired(), "");
  const auto lines = lines_of(read_file(p));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(json::parse(lines[2])["packets_sent_total"], 130);
}

TEST(JsonlWriter, InvalidRequestedHeaderIsRejectedBeforeTheFileIsCreated) {
  TempDir dir;
  const fs::path p = dir.path() / "never.jsonl";
  mctx::JsonlHeader h = test_header("  ");
  auto w = mctx::JsonlWriter::open(p.string(), h);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, mctx::Errc::metrics_invalid_value);
  EXPECT_NE(w.error().message.find("node_id must be a non-empty string"), std::string::npos)
      << w.error().message;
  EXPECT_FALSE(fs::exists(p));

  h = test_header();
  h.producer.clear();
  w = mctx::JsonlWriter::open(p.string(), h);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("producer"), std::string::npos);
  EXPECT_FALSE(fs::exists(p));
}

TEST(JsonlWriter, IoErrorsNameTheFileAndKeepErrno) {
  TempDir dir;
  const fs::path p = dir.path() / "no-such-folder" / "net.jsonl";
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, mctx::Errc::metrics_io_failed);
  EXPECT_EQ(w.error().system_errno, ENOENT);
  EXPECT_NE(w.error().what().find(p.string()), std::string::npos) << w.error().what();

  w = mctx::JsonlWriter::open(dir.path().string(), test_header());  // a folder
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, mctx::Errc::metrics_io_failed);
}

TEST(JsonlWriter, SecondWriterFailsWhileTheFirstHoldsTheLock) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  auto first = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_TRUE(first) << first.error().what();

  auto second = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, mctx::Errc::metrics_locked);
  EXPECT_NE(
      second.error().message.find("metrics file '" + p.string() + "' is locked by another writer"),
      std::string::npos)
      << second.error().message;

  // A writer in another process is refused too.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto w = mctx::JsonlWriter::open(p.string(), test_header());
    ::_exit(!w && w.error().code == mctx::Errc::metrics_locked ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child was not refused";

  // The refused attempts wrote nothing; the lock goes with the writer.
  ASSERT_TRUE(first->write(test_delta()));
  { auto moved = std::move(first.value()); }
  auto third = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_TRUE(third) << third.error().what();
  EXPECT_EQ(lines_of(read_file(p)).size(), 2u);
}

TEST(JsonlWriter, ForeignFlockIsDetected) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  write_file(p, "");
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, mctx::Errc::metrics_locked);
  ::close(fd);
  EXPECT_EQ(read_file(p), "");
}

TEST(JsonlWriter, WriteRowRejectsInvalidRows) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_TRUE(w);
  auto r = w->write_row(R"({"ts":1,"interval_secs":1,"schema":"x"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, mctx::Errc::metrics_invalid_value);
  EXPECT_EQ(lines_of(read_file(p)).size(), 1u);
}

// Every row goes out in one write(2) call: the test interposes write() (see
// the bottom of this file) and records the calls the writer makes.
TEST(JsonlWriter, EachRowIsOneWriteCall) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_TRUE(w);
  write_calls().clear();
  recording() = true;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(w->write(test_delta(100 + i, 1)));
  recording() = false;
  const auto lines = lines_of(read_file(p));
  ASSERT_EQ(lines.size(), 51u);
  ASSERT_EQ(write_calls().size(), 50u) << "expected one write(2) per row";
  for (std::size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(write_calls()[i], lines[i + 1].size() + 1) << "row " << i;
    EXPECT_TRUE(mctx::validate_jsonl_row(lines[i + 1])) << lines[i + 1];
  }
}

// An interval is a row per destination, then the totals row, in one
// write(2); appending to a file of old rows (no destination) works.
TEST(JsonlWriter, IntervalIsDestinationRowsThenTotalsInOneWrite) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  {
    std::ofstream f(p);
    f << mctx::jsonl_header_line(test_header()) << "\n"
      << R"({"ts":1779999990,"interval_secs":1,"packets_sent_delta":3})" << "\n";
  }
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  ASSERT_TRUE(w) << w.error().what();
  std::vector<mctx::DestinationDelta> dests = {{"239.1.2.3:5000", test_delta(60, 6)},
                                               {"[ff3e::1]:5000", test_delta(40, 4)}};
  dests[1].delta.end.wall_time += std::chrono::microseconds(3);  // sampled a bit later
  write_calls().clear();
  recording() = true;
  ASSERT_TRUE(w->write_interval(test_delta(100, 10), dests));
  recording() = false;
  const auto lines = lines_of(read_file(p));
  ASSERT_EQ(lines.size(), 5u);
  ASSERT_EQ(write_calls().size(), 1u);
  EXPECT_EQ(write_calls()[0], lines[2].size() + lines[3].size() + lines[4].size() + 3);
  const std::vector<std::pair<std::string, int>> expect = {
      {"239.1.2.3:5000", 6}, {"[ff3e::1]:5000", 4}, {"total", 10}};
  for (std::size_t i = 0; i < expect.size(); ++i) {
    const auto j = nlohmann::json::parse(lines[i + 2]);
    EXPECT_EQ(j["destination"], expect[i].first);
    EXPECT_EQ(j["packets_sent_delta"], expect[i].second);
    EXPECT_NEAR(j["ts"].get<double>(), 1779999999.456, 1e-6) << "the totals' ts in every row";
  }
  for (const char* bad : {"", "total", "  "}) {
    const std::vector<mctx::DestinationDelta> d = {{bad, test_delta()}};
    auto r = w->write_interval(test_delta(), d);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, mctx::Errc::metrics_invalid_value);
  }
  EXPECT_EQ(lines_of(read_file(p)).size(), 5u) << "a refused interval writes nothing";
}

// The example of docs/metrics.md ("Writing JSONL from C++"), kept verbatim
// between the markers so the documentation compiles and runs.
int docs_example(const std::string& path, mctx::Context& context) {
  // --- docs/metrics.md begin
  mctx::JsonlHeader header;
  header.node_id = mctx::infer_node_id(path);  // folder name, else stem, else "unknown"
  header.producer = "my-app/sender";
  header.flags.set("role", "sender").set("multicast_group", "239.255.0.1");

  auto writer = mctx::JsonlWriter::open(path, header);  // creates or appends; takes the lock
  if (!writer) {
    std::fprintf(stderr, "%s\n", writer.error().what().c_str());
    return 1;
  }
  mctx::Sampler sampler;
  (void)sampler.sample(context.snapshot());
  // ... every interval:
  if (auto d = sampler.sample(context.snapshot())) {
    if (auto w = writer->write(*d); !w) std::fprintf(stderr, "%s\n", w.error().what().c_str());
  }
  // --- docs/metrics.md end
  return 0;
}

TEST(JsonlDocs, Example) {
  TempDir dir;
  fs::create_directory(dir.path() / "sender-0001");
  const fs::path p = dir.path() / "sender-0001" / "network.jsonl";
  mctx::Context context;
  ASSERT_EQ(docs_example(p.string(), context), 0);
  const auto lines = lines_of(read_file(p));
  ASSERT_EQ(lines.size(), 2u);
  const auto h = json::parse(lines[0]);
  EXPECT_EQ(h["node_id"], "sender-0001");
  EXPECT_EQ(h["producer"], "my-app/sender");
  EXPECT_EQ(h["flags"]["role"], "sender");
  EXPECT_EQ(json::parse(lines[1])["packets_sent_total"], 0);
}

}  // namespace

// Interposes write(2) for the whole test program (the executable's symbol
// wins over libc's for calls from libmctx-core.so) and records the sizes of
// the calls made while recording() is on.
extern "C" ssize_t write(int fd, const void* buf, size_t count) {
  if (recording()) write_calls().push_back(count);
  return ::syscall(SYS_write, fd, buf, count);
}
