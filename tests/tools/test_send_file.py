#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""mctx-send --file: a file (or standard input) in chunks, paced, looped.

Runs inside `scripts/mctx-netns --peer`. mctx-test-recv joined on lo
receives every chunk; the chunks, joined in order, must be the file byte for
byte. --max-rate paces the sender (the core's pacer), which also keeps the
receiver's socket buffer from overflowing.
"""

import os
import re
import subprocess
import tempfile
import time
import unittest

import toolstest
from toolstest import Receiver, ToolTestCase, run_send

G = "239.1.2.5"
CHUNK = 1316
SIZE = CHUNK * 100 + 17  # 101 datagrams, the last one 17 bytes
RATE = "20000000"  # 20 Mbit/s: 101 datagrams of 1344 IP bytes in about 55 ms


def contents(size):
    # Not periodic in the chunk size: a chunk sent twice or out of order shows.
    return bytes((i * 7 + i // 251) & 0xFF for i in range(size))


class SendFile(ToolTestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory(prefix="mctx-send-file-")
        self.addCleanup(self._dir.cleanup)
        self.data = contents(SIZE)
        self.path = os.path.join(self._dir.name, "stream.ts")
        with open(self.path, "wb") as f:
            f.write(self.data)

    def joined(self, got):
        return b"".join(bytes.fromhex(d["payload_hex"]) for d in got)

    def test_file_arrives_byte_for_byte_in_chunks(self):
        rx = Receiver(G, 5301, interface="lo", count=101)
        proc = run_send(["--quiet", "--interface", "lo", "--max-rate", RATE, "--file", self.path,
                         G, "5301"])
        got = rx.finish()
        self.assertSent(proc)
        self.assertEqual([d["len"] for d in got], [CHUNK] * 100 + [17])
        self.assertEqual(self.joined(got), self.data)
        self.assertRegex(proc.stdout, r"summary: 101 packets sent \(%d bytes\) to "
                                      r"239\.1\.2\.5:5301 from 127\.0\.0\.1:\d+ in " % SIZE)
        self.assertEqual(proc.stderr, "")

    def test_chunk_size_and_per_packet_lines(self):
        rx = Receiver(G, 5302, interface="lo", count=3)
        small = os.path.join(self._dir.name, "small")
        with open(small, "wb") as f:
            f.write(b"0123456789")
        proc = run_send(["--interface", "lo", "--chunk-size", "4", "--file", small, G, "5302"])
        got = rx.finish()
        self.assertSent(proc)
        self.assertEqual([bytes.fromhex(d["payload_hex"]) for d in got],
                         [b"0123", b"4567", b"89"])
        lines = [l for l in proc.stdout.splitlines() if l.startswith("[")]
        self.assertEqual(len(lines), 3)
        self.assertRegex(lines[2], r"^\[3\] sent 2 bytes to 239\.1\.2\.5:5302 from ")

    def test_standard_input(self):
        rx = Receiver(G, 5303, interface="lo", count=101)
        proc = subprocess.run([toolstest.SEND, "--quiet", "--interface", "lo", "--max-rate", RATE,
                               "--file", "-", G, "5303"], input=self.data, capture_output=True,
                              timeout=30)
        got = rx.finish()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([d["len"] for d in got], [CHUNK] * 100 + [17])
        self.assertEqual(self.joined(got), self.data)

    def test_standard_input_in_small_writes_still_gives_full_chunks(self):
        # A pipe delivers what the writer wrote, 100 bytes at a time here: the
        # chunks must still be full.
        rx = Receiver(G, 5304, interface="lo", count=3)
        p = subprocess.Popen([toolstest.SEND, "--quiet", "--interface", "lo", "--file", "-", G,
                              "5304"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        payload = self.data[:CHUNK * 2 + 50]
        for i in range(0, len(payload), 100):
            p.stdin.write(payload[i:i + 100])
            p.stdin.flush()
            time.sleep(0.002)
        p.stdin.close()
        p.wait(timeout=20)
        got = rx.finish()
        self.assertEqual(p.returncode, 0, p.stderr.read())
        p.stdout.close()
        p.stderr.close()
        self.assertEqual([d["len"] for d in got], [CHUNK, CHUNK, 50])
        self.assertEqual(self.joined(got), payload)

    def test_loop_sends_the_file_again_until_count(self):
        rx = Receiver(G, 5305, interface="lo", count=202)
        proc = run_send(["--quiet", "--interface", "lo", "--max-rate", RATE, "--loop",
                         "--count", "202", "--file", self.path, G, "5305"])
        got = rx.finish()
        self.assertSent(proc)
        self.assertEqual(len(got), 202)
        self.assertEqual(self.joined(got), self.data + self.data)
        self.assertIn("summary: 202 packets sent (%d bytes)" % (2 * SIZE), proc.stdout)

    def test_count_stops_early_without_loop(self):
        rx = Receiver(G, 5306, interface="lo", count=10)
        proc = run_send(["--quiet", "--interface", "lo", "--count", "10", "--file", self.path, G,
                         "5306"])
        got = rx.finish()
        self.assertSent(proc)
        self.assertEqual(self.joined(got), self.data[:10 * CHUNK])

    def test_loop_until_duration_at_the_rate(self):
        # 1 s at 2 Mbit/s: about 186 datagrams of 1344 IP bytes (plus a
        # burst of 1 ms): more than one pass of a 20-chunk file.
        small = self.data[:CHUNK * 20]
        path = os.path.join(self._dir.name, "short")
        with open(path, "wb") as f:
            f.write(small)
        rx = Receiver(G, 5307, interface="lo", idle_ms=1500)
        started = time.monotonic()
        proc = run_send(["--quiet", "--interface", "lo", "--max-rate", "2000000", "--loop",
                         "--duration", "1", "--file", path, G, "5307"])
        elapsed = time.monotonic() - started
        got = rx.finish()
        self.assertSent(proc)
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 5)
        self.assertGreater(len(got), 150)
        self.assertLess(len(got), 200)
        self.assertEqual(self.joined(got), (small * 10)[:len(got) * CHUNK])

    def test_empty_file_sends_nothing(self):
        empty = os.path.join(self._dir.name, "empty")
        open(empty, "wb").close()
        proc = run_send(["--interface", "lo", "--loop", "--file", empty, G, "5308"])
        self.assertSent(proc)
        self.assertIn("summary: 0 packets sent (0 bytes)", proc.stdout)

    def test_bad_values_exit_2_naming_the_option(self):
        cases = [
            (["--chunk-size", "0"], "--chunk-size '0' is out of range: must be an integer from 1 "
                                    "to 65507"),
            (["--chunk-size", "65508"], "--chunk-size '65508' is out of range"),
            (["--chunk-size", "big"], "--chunk-size 'big' is not a number"),
            (["--max-rate", "-5"], "--max-rate '-5' is not a number"),
            (["--max-rate", "18446744073709551616"],
             "--max-rate '18446744073709551616' is out of range: must be an integer from 0 to "
             "18446744073709551615 (bits per second at the IP level; 0 = unpaced)"),
            (["--count", "0"], "--count '0' is out of range: must be an integer from 1 to"),
            (["--duration", "0"], "--duration '0' is out of range: must be an integer from 1 to "
                                  "31536000 (seconds)"),
        ]
        for extra, message in cases:
            with self.subTest(extra=extra):
                proc = run_send(["--interface", "lo"] + extra + ["--file", self.path, G, "5309"])
                self.assertUsageError(proc, message)
        missing = os.path.join(self._dir.name, "missing")
        for args, message in [
            (["--file", missing, G, "5309"],
             f"--file '{missing}' cannot be opened: No such file or directory"),
            (["--file", self.path, G, "5309", "payload"],
             "too many arguments: with --file the payload comes from the file, unexpected "
             "'payload' (usage: --file PATH GROUP PORT)"),
            (["--file", self.path, G], "missing PORT (usage: --file PATH GROUP PORT)"),
            (["--loop", "--file", "-", G, "5309"],
             "--loop cannot be used with --file - (standard input cannot be read again)"),
            (["--loop", G, "5309", "x"], "--loop applies only with --file"),
            (["--chunk-size", "100", G, "5309", "x"], "--chunk-size applies only with --file"),
            (["--count", "3", G, "5309", "x"], "--count applies only with --file"),
            (["--duration", "3", G, "5309", "x"], "--duration applies only with --file"),
        ]:
            with self.subTest(args=args):
                self.assertUsageError(run_send(["--interface", "lo"] + args), message)

    def test_loop_refuses_a_pipe(self):
        fifo = os.path.join(self._dir.name, "fifo")
        os.mkfifo(fifo)
        p = subprocess.Popen([toolstest.SEND, "--interface", "lo", "--loop", "--file", fifo, G,
                              "5310"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Opened without blocking: a sender that never opens the FIFO must
        # not hang the test.
        deadline = time.monotonic() + 10
        while p.poll() is None and time.monotonic() < deadline:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: no reader yet
                time.sleep(0.01)
                continue
            os.write(fd, b"x")
            os.close(fd)
            break
        out, err = p.communicate(timeout=20)
        self.assertEqual(p.returncode, 2, err)
        self.assertIn(f"--loop needs a file that can be read again from its start; '{fifo}' "
                      "cannot (Illegal seek)", err)
        self.assertNotIn("sent", out)

    def test_help_describes_file_mode(self):
        proc = run_send(["--help"])
        self.assertEqual(proc.returncode, 0)
        for text in ("--file PATH GROUP PORT", "--chunk-size", "--loop", "--max-rate", "--count",
                     "--duration"):
            self.assertIn(text, proc.stdout)


if __name__ == "__main__":
    toolstest.main()
