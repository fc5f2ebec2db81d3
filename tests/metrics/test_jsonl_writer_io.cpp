// SPDX-License-Identifier: BSD-2-Clause
// Copyright (c) 2026 The mctx authors

// The JSONL writer and the file system: what open() reads, no torn rows
// after a failed write, I/O errors, lock contention, one write per row.

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
  auto w = opened_writer(p);
  ASSERT_TRUE(w.write(test_delta(100, 10)));
  const std::string before = read_file(p);

  struct sigaction ign {}, old_action {};
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ign, &old_action), 0);
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit small = old_limit;
  small.rlim_cur = before.size() + 100;  // room for 100 bytes of the next row
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto r = w.write(test_delta(110, 10));
  auto r2 = w.write(test_delta(120, 10));
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
  ASSERT_TRUE(w.write(test_delta(130, 10)));
  ASSERT_TRUE(w.sync());
  { auto moved = std::move(w); }
  auto again = opened_writer(p);
  EXPECT_EQ(again.repaired(), "");
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
  auto first = opened_writer(p);

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
  ASSERT_TRUE(first.write(test_delta()));
  { auto moved = std::move(first); }
  auto third = opened_writer(p);
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
  auto w = opened_writer(p);
  std::vector<mctx::DestinationDelta> dests = {{"239.1.2.3:5000", test_delta(60, 6)},
                                               {"[ff3e::1]:5000", test_delta(40, 4)}};
  dests[1].delta.end.wall_time += std::chrono::microseconds(3);  // sampled a bit later
  write_calls().clear();
  recording() = true;
  ASSERT_TRUE(w.write_interval(test_delta(100, 10), dests));
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
    auto r = w.write_interval(test_delta(), d);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, mctx::Errc::metrics_invalid_value);
  }
  EXPECT_EQ(lines_of(read_file(p)).size(), 5u) << "a refused interval writes nothing";
}


}  // namespace
}  // namespace mctx::test
