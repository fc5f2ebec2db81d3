#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""mctx-plot: a PNG from a generated metrics file (signature, dimensions),
files of the older row format, clear errors, and --follow on a file written
in steps. Sends nothing. MCTX_PLOT names the script.
"""

import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import unittest

PLOT = os.environ.get("MCTX_PLOT", "")
PY = "/usr/bin/python3"
HEADER = {"schema": "heimdall-jsonl-v1", "artifact_type": "mctx-network",
          "node_id": "sender-0001", "producer": "mctx/test", "created_at": 1795692656.0,
          "flags": {}}
DESTS = ["239.1.2.3:5000", "[ff3e::1]:5000"]


def row(ts, dest, i, **extra):
    r = {"ts": ts, "interval_secs": 1.0, "destination": dest, "active_publications": 2,
         "packets_sent_total": 100 * i, "packets_sent_delta": 100,
         "bytes_sent_total": 100000 * i, "bytes_sent_delta": 100000,
         "ip_bytes_sent_total": 102800 * i, "ip_bytes_sent_delta": 102800,
         "send_errors_total": i // 3, "send_errors_delta": 1 if i % 3 == 0 else 0,
         "queue_full_total": i, "queue_full_delta": 1,
         "unreachable_total": 0, "unreachable_delta": 0,
         "outages_total": 1 if i >= 4 else 0, "outages_delta": 1 if i == 4 else 0,
         "packets_per_sec": 100.0, "bytes_per_sec": 100000.0,
         "payload_bits_per_sec": 800000.0, "ip_bits_per_sec": 822400.0}
    r.update(extra)
    return json.dumps(r)


def interval(i, ts0=1795692657.0):
    ts = ts0 + i
    lines = [row(ts, d, i) for d in DESTS]
    lines.append(row(ts, "total", i, packets_per_sec=200.0, ip_bits_per_sec=1644800.0,
                     bytes_per_sec=200000.0, payload_bits_per_sec=1600000.0))
    return "".join(l + "\n" for l in lines)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} has no PNG signature: {head[:8]!r}"
    assert head[12:16] == b"IHDR", "the first PNG chunk is not IHDR"
    return struct.unpack(">II", head[16:24])


def have_matplotlib():
    return subprocess.run([PY, "-c", "import matplotlib"], capture_output=True).returncode == 0


class Plot(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mctx-plot-")
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def run_plot(self, *args, timeout=120):
        return subprocess.run([PY, PLOT, *args], capture_output=True, text=True,
                              timeout=timeout)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def test_png_of_a_file_with_destinations(self):
        if not have_matplotlib():
            self.skipTest("python3-matplotlib is not installed")
        src = self.write("net.jsonl", json.dumps(HEADER) + "\n" +
                         "".join(interval(i) for i in range(1, 8)))
        out = self.path("net.png")
        p = self.run_plot(src, "-o", out, "--size", "8x6")
        print(p.stdout, p.stderr)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("21 rows, 3 series", p.stdout)
        self.assertGreater(os.path.getsize(out), 1000)
        self.assertEqual(png_size(out), (800, 600))

    def test_png_of_an_old_file_without_destination_rows(self):
        if not have_matplotlib():
            self.skipTest("python3-matplotlib is not installed")
        old = [json.dumps({"ts": 1795692657.0 + i, "interval_secs": 1.0,
                           "packets_sent_delta": 10, "bytes_per_sec": 500.0,
                           "send_errors_delta": 0}) for i in range(5)]
        # An interrupted last write: left out, not an error.
        src = self.write("old.jsonl", json.dumps(HEADER) + "\n" + "\n".join(old) +
                         "\n{\"ts\": 17956")
        p = self.run_plot(src)  # default output: old.png
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("5 rows, 1 series (total)", p.stdout)
        self.assertEqual(png_size(self.path("old.png")), (1000, 800))

    def test_errors_name_the_file_and_the_line(self):
        cases = [
            ("nohdr.jsonl", '{"ts": 1, "interval_secs": 1}\n',
             "nohdr.jsonl line 1: not an mctx metrics file header"),
            ("bad.jsonl", json.dumps(HEADER) + "\n{oops\n", "bad.jsonl line 2: not valid JSON"),
            ("row.jsonl", json.dumps(HEADER) + '\n{"ts": "x", "interval_secs": 1}\n',
             "row.jsonl line 2: a row needs a number ts"),
            ("empty.jsonl", json.dumps(HEADER) + "\n", "no sample rows yet"),
        ]
        for name, text, message in cases:
            p = self.run_plot(self.write(name, text), "-o", self.path("x.png"))
            print(name, "->", p.stderr.strip())
            self.assertEqual(p.returncode, 2, name)
            self.assertIn(message, p.stderr, name)
        p = self.run_plot(self.path("missing.jsonl"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot read", p.stderr)
        p = self.run_plot(self.path("x.jsonl"), "--size", "0x3")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--size '0x3' is not WxH", p.stderr)

    def test_follow_a_file_written_in_steps(self):
        path = self.write("live.jsonl", json.dumps(HEADER) + "\n" + interval(1) + interval(2))
        proc = subprocess.Popen([PY, PLOT, "--follow", path, "--count", "3", "--timeout", "20"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # The newest interval already in the file comes first (2), then
            # each new one: 3 is written in two pieces, a torn line between.
            time.sleep(1.0)
            text3 = interval(3)
            cut = len(text3) // 2 + 7
            with open(path, "a") as f:
                f.write(text3[:cut])
            time.sleep(0.8)
            with open(path, "a") as f:
                f.write(text3[cut:])
            time.sleep(0.8)
            with open(path, "a") as f:
                f.write(interval(4))
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        print(out, err)
        self.assertEqual(proc.returncode, 0, err)
        tables = [t for t in out.split("\n\n") if t.strip()]
        self.assertEqual(len(tables), 3, out)
        for table, i in zip(tables, (2, 3, 4)):
            lines = table.splitlines()
            self.assertIn("sender-0001 mctx/test", lines[0])
            self.assertTrue(lines[1].startswith("destination"), lines[1])
            self.assertEqual([l.split()[0] for l in lines[2:]], DESTS + ["total"])
            dest = lines[2].split()
            # 822400 bit/s at the IP level, 800000 payload, 100 pkt/s, queue-full 1.
            self.assertEqual(dest[1:5], ["0.822", "0.800", "100.0", "1" if i % 3 == 0 else "0"])
            self.assertEqual(dest[5], "1")
            self.assertEqual(dest[6], "1" if i == 4 else "0")
            self.assertEqual(lines[-1].split()[1], "1.645")

    def test_follow_stops_after_the_timeout(self):
        path = self.write("quiet.jsonl", json.dumps(HEADER) + "\n")
        t0 = time.monotonic()
        p = self.run_plot("--follow", path, "--timeout", "1")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no new interval", p.stderr)
        self.assertLess(time.monotonic() - t0, 10)


if __name__ == "__main__":
    if not PLOT or not os.path.exists(PLOT):
        print(f"FAIL: MCTX_PLOT does not name mctx-plot: {PLOT!r}")
        sys.exit(1)
    unittest.main(verbosity=2)
