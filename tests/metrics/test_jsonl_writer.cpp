// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The JSONL writer's files: one header then rows, appending, and the
// refusal of files without a valid header (naming the field).

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

// ------------------------------------------------------------ writer

TEST(JsonlWriter, NewFileGetsOneHeaderThenRows) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  {
    auto w = opened_writer(p);
    ASSERT_TRUE(w.write(test_delta(100, 10)));
    ASSERT_TRUE(w.write(test_delta(110, 10)));
    ASSERT_TRUE(w.write_row(R"({ "ts": 5, "interval_secs": 1, "custom": true })"));
    EXPECT_EQ(w.path(), p.string());
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

// The lines of file p, first holding `content`, after a writer opened it
// and wrote one row (none when the writer failed).
std::vector<std::string> lines_after_one_row(const fs::path& p, const std::string& content) {
  write_file(p, content);
  auto w = mctx::JsonlWriter::open(p.string(), test_header());
  EXPECT_TRUE(w) << w.error().what();
  if (!w) return {};
  EXPECT_TRUE(w->write(test_delta()));
  return lines_of(read_file(p));
}

TEST(JsonlWriter, EmptyOrBlankFileGetsTheHeader) {
  TempDir dir;
  const auto lines = lines_after_one_row(dir.path() / "net.jsonl", "\n  \n");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(mctx::validate_jsonl_header(lines[2]));
}

// Blank lines whose last one has no newline (found by fuzz-jsonl): the
// header goes on a line of its own, and the file opens again unrepaired.
TEST(JsonlWriter, BlankFileWithoutFinalNewlineGetsTheHeaderOnItsOwnLine) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  const auto lines = lines_after_one_row(p, "\n  \v");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(mctx::validate_jsonl_header(lines[2]));
  auto again = opened_writer(p);
  EXPECT_EQ(again.repaired(), "");
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
  // The file's content, and what the refusal says.
  const std::pair<std::string, std::string> cases[] = {
      {header + "\n" + header + "\n", "line 2: a second header"},
      {header + "\n{\"ts\":\"x\",\"interval_secs\":1}\n", "line 2: not a valid sample row: ts"},
      {header + "\n" + row + "\n\n" + row + "x\n  \n", "line 4: not valid JSON"},
      {"\n" + header + "\n{\"ts\":1}\n", "line 3: not a valid sample row: interval_secs"},
  };
  int i = 0;
  for (const auto& [content, expect] : cases) {
    const fs::path p = dir.path() / ("case" + std::to_string(i++) + ".jsonl");
    write_file(p, content);
    auto w = mctx::JsonlWriter::open(p.string(), test_header());
    ASSERT_FALSE(w) << expect;
    EXPECT_EQ(w.error().code, mctx::Errc::metrics_bad_header);
    EXPECT_NE(w.error().message.find(expect), std::string::npos) << w.error().message;
    EXPECT_EQ(read_file(p), content);
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
      auto w = opened_writer(p);
      EXPECT_NE(w.repaired().find(c.repaired), std::string::npos) << w.repaired();
      if (c.repaired.empty()) {
        EXPECT_EQ(w.repaired(), "");
      }
      EXPECT_EQ(read_file(p), c.kept);
      ASSERT_TRUE(w.write(test_delta(200, 5)));
    }
    const auto lines = lines_of(read_file(p));
    EXPECT_EQ(lines.front(), header);
    EXPECT_EQ(json::parse(lines.back())["packets_sent_total"], 200);
    for (std::size_t l = 1; l < lines.size(); ++l) EXPECT_TRUE(mctx::validate_jsonl_row(lines[l]));
  }
}

// ------------------------------------------------------------ recorder

mctx::Snapshot at(std::chrono::milliseconds since, uint64_t packets, uint64_t active = 1) {
  static const auto wall0 = std::chrono::system_clock::now();
  static const auto mono0 = std::chrono::steady_clock::now();
  mctx::Snapshot s;
  s.wall_time = wall0 + since;
  s.monotonic_time = mono0 + since;
  s.active_publications = active;
  s.send.packets_sent = packets;
  s.send.bytes_sent = packets * 100;
  s.datagram_overhead = mctx::kIpv4UdpHeaderBytes;
  return s;
}

// Intervals from cumulative snapshots: a row per destination then the
// totals; a destination added later starts at 0 at the previous interval's
// end; a removed one has no more rows; shared names carry the key.
TEST(JsonlRecorder, IntervalsFromCumulativeSnapshots) {
  TempDir dir;
  const fs::path p = dir.path() / "net.jsonl";
  {
    auto w = mctx::JsonlWriter::open(p.string(), test_header());
    ASSERT_TRUE(w) << w.error().what();
    mctx::JsonlRecorder r(std::move(*w));
    using std::chrono::milliseconds;
    std::vector<mctx::DestinationSnapshot> d = {{"a", "239.1.2.3:5000", at(milliseconds(1000), 10)}};
    ASSERT_TRUE(r.record(at(milliseconds(1000), 10), d));
    d[0].snapshot = at(milliseconds(2000), 30);
    d.push_back({"b", "239.1.2.4:5000", at(milliseconds(2000), 5)});  // added in interval 2
    ASSERT_TRUE(r.record(at(milliseconds(2000), 35, 2), d));
    d.erase(d.begin());  // a removed
    d.push_back({"c", "239.1.2.4:5000", at(milliseconds(3000), 1)});  // same name as b
    d[0].snapshot = at(milliseconds(3000), 8);
    ASSERT_TRUE(r.record(at(milliseconds(3000), 39, 2), d));
    // A blank name is refused, nothing written.
    std::vector<mctx::DestinationSnapshot> bad = {{"x", " ", at(milliseconds(4000), 1)}};
    EXPECT_FALSE(r.record(at(milliseconds(4000), 40), bad));
  }
  const auto lines = lines_of(read_file(p));
  ASSERT_EQ(lines.size(), 1u + 2 + 3 + 3);
  std::vector<json> rows;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    ASSERT_TRUE(mctx::validate_jsonl_row(lines[i])) << lines[i];
    rows.push_back(json::parse(lines[i]));
  }
  EXPECT_EQ(rows[0]["destination"], "239.1.2.3:5000");
  EXPECT_EQ(rows[0]["packets_sent_delta"], 10);  // from 0 at the recorder's start
  EXPECT_EQ(rows[1]["destination"], "total");
  EXPECT_EQ(rows[2]["packets_sent_delta"], 20);
  EXPECT_EQ(rows[3]["destination"], "239.1.2.4:5000");
  EXPECT_EQ(rows[3]["packets_sent_delta"], 5);   // added: all of it in its first interval
  EXPECT_EQ(rows[3]["interval_secs"], 1.0);      // from the previous interval's end
  EXPECT_EQ(rows[3]["ip_bytes_sent_total"], 5 * (100 + 28));
  EXPECT_EQ(rows[4]["packets_sent_total"], 35);
  EXPECT_EQ(rows[4]["packets_sent_delta"], 25);
  EXPECT_EQ(rows[5]["destination"], "239.1.2.4:5000 (b)");
  EXPECT_EQ(rows[5]["packets_sent_delta"], 3);
  EXPECT_EQ(rows[6]["destination"], "239.1.2.4:5000 (c)");
  EXPECT_EQ(rows[6]["packets_sent_delta"], 1);
  EXPECT_EQ(rows[7]["destination"], "total");
  // One ts per interval (the totals'), later intervals later.
  EXPECT_EQ(rows[0]["ts"], rows[1]["ts"]);
  EXPECT_EQ(rows[2]["ts"], rows[4]["ts"]);
  EXPECT_EQ(rows[3]["ts"], rows[4]["ts"]);
  EXPECT_EQ(rows[5]["ts"], rows[7]["ts"]);
  EXPECT_LT(rows[1]["ts"].get<double>(), rows[4]["ts"].get<double>());
  EXPECT_LT(rows[4]["ts"].get<double>(), rows[7]["ts"].get<double>());
}

}  // namespace
}  // namespace mctx::test
