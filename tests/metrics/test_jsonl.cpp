// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The metrics file (JSONL) format: header and row shape, validation, flags,
// node_id resolution, and the documented example. The writer's files are in
// test_jsonl_writer.cpp and test_jsonl_writer_io.cpp.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "jsonl_test_util.hpp"

namespace mctx::test {
namespace {

using nlohmann::json;

// Each named field of the row holds its integer.
void expect_integers(const json& j, std::initializer_list<std::pair<const char*, int64_t>> want) {
  for (const auto& [name, value] : want) EXPECT_EQ(j.at(name), value) << name;
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
  expect_integers(j, {{"active_publications", 1},
                      {"publications_added_total", 1},
                      {"publications_added_delta", 0},
                      {"send_calls_total", 100},
                      {"send_calls_delta", 10},
                      {"packets_sent_total", 100},
                      {"packets_sent_delta", 10},
                      {"bytes_sent_total", 64000},
                      {"bytes_sent_delta", 6400},
                      {"send_errors_total", 0}});
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
    expect_integers(j, {{"queue_full_total", 5},
                        {"queue_full_delta", 3},
                        {"would_block_total", 7},
                        {"unreachable_total", 3},
                        {"gso_sends_total", 4},
                        {"outages_total", 2},
                        {"outages_delta", 1}});
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
}  // namespace mctx::test
