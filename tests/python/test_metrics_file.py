# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""mctx.MetricsFile: the metrics file (docs/metrics-file.md) from Python.

Runs inside scripts/mctx-netns --peer with /usr/bin/python3 and the build
tree's package on PYTHONPATH; receivers in the peer namespace count what
arrived. Checks the header, the rows of every interval (a row per open
publication, then the totals), the counters of the last rows against the
receivers, refusals (NUL in the path, a locked file, a missing folder),
and that mctx-plot (MCTX_PLOT, when matplotlib is installed) draws it.
"""

import errno
import json
import os
import subprocess
import tempfile
import threading
import time
import unittest

from mctxtest import Receiver, require_peer_netns

require_peer_netns()

import mctx  # noqa: E402

HEADER_KEYS = ["schema", "artifact_type", "node_id", "producer", "created_at", "flags"]
COUNTERS = ["publications_added", "publications_removed", "send_calls", "packets_sent",
            "bytes_sent", "ip_bytes_sent", "send_errors", "would_block", "queue_full",
            "unreachable", "outages", "gso_sends"]
ROW_KEYS = (["ts", "interval_secs", "destination", "active_publications"] +
            [f"{c}_{k}" for c in COUNTERS for k in ("total", "delta")] +
            ["send_calls_per_sec", "packets_per_sec", "bytes_per_sec", "send_errors_per_sec",
             "payload_bits_per_sec", "ip_bits_per_sec"])


def read(path):
    """(header, [interval: [rows]]): every row has exactly the documented
    keys, in order; each interval ends with its totals row and shares one ts."""
    with open(path) as f:
        lines = f.read().split("\n")
    assert lines[-1] == "", "the file does not end with a newline"
    header = json.loads(lines[0])
    assert list(header) == HEADER_KEYS, list(header)
    assert header["schema"] == "heimdall-jsonl-v1"
    intervals, current = [], []
    for line in lines[1:-1]:
        row = json.loads(line)
        assert list(row) == ROW_KEYS, f"row keys {list(row)}"
        assert row["interval_secs"] >= 0
        if current:
            assert row["ts"] == current[0]["ts"], "one interval, one ts"
        current.append(row)
        if row["destination"] == "total":
            intervals.append(current)
            current = []
    assert not current, "rows after the last totals row"
    return header, intervals


class MetricsFileTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mctx-metrics-file-")
        self.addCleanup(self.tmp.cleanup)
        self.folder = os.path.join(self.tmp.name, "node-py")
        os.mkdir(self.folder)
        self.path = os.path.join(self.folder, "network.jsonl")

    def test_context_rows_match_the_receivers(self):
        rx_a = Receiver("239.10.0.31", 6031)
        rx_b = Receiver("239.10.0.32", 6032)
        self.addCleanup(rx_a.close)
        self.addCleanup(rx_b.close)
        ctx = mctx.Context()
        a = ctx.add(group="239.10.0.31", port=6031, interface="mctx0")
        b = ctx.add(group="239.10.0.32", port=6032, interface="mctx0")
        mf = mctx.MetricsFile(self.path, ctx, flags={"site": "lab", "role": "ignored"})
        self.assertEqual(mf.path, self.path)
        self.assertFalse(mf.closed)
        for _ in range(3):
            for i in range(5):
                a.send(b"a" * (10 + i))
            for i in range(3):
                b.send(b"b" * 20)
            mf.write()
        ctx.remove(b)
        a.send(b"after")
        with mf:  # close(): the final interval
            pass
        self.assertTrue(mf.closed)
        mf.close()  # again: nothing
        got_a = rx_a.wait_for(16)
        got_b = rx_b.wait_for(9)
        self.assertEqual(len(got_a), 16)
        self.assertEqual(len(got_b), 9)

        header, intervals = read(self.path)
        self.assertEqual(header["producer"], "mctx/python")
        self.assertEqual(header["node_id"], "node-py")           # the folder's name
        self.assertEqual(header["flags"]["site"], "lab")         # extra flag
        self.assertEqual(header["flags"]["role"], "sender")      # built-in flags win
        self.assertEqual(len(intervals), 4)
        for iv in intervals[:3]:
            self.assertEqual([r["destination"] for r in iv],
                             ["239.10.0.31:6031", "239.10.0.32:6032", "total"])
        self.assertEqual([r["destination"] for r in intervals[3]], ["239.10.0.31:6031", "total"])
        # Deltas add up to the totals; the last rows hold what arrived.
        self.assertEqual(sum(iv[0]["packets_sent_delta"] for iv in intervals), 16)
        self.assertEqual(sum(iv[-1]["packets_sent_delta"] for iv in intervals), 25)
        last_a = intervals[3][0]
        bytes_a = sum(len(d.data) for d in got_a)
        self.assertEqual(last_a["packets_sent_total"], 16)
        self.assertEqual(last_a["bytes_sent_total"], bytes_a)
        self.assertEqual(last_a["ip_bytes_sent_total"], bytes_a + 28 * 16)
        last_b = intervals[2][1]
        self.assertEqual(last_b["packets_sent_total"], 9)
        self.assertEqual(last_b["bytes_sent_total"], sum(len(d.data) for d in got_b))
        total = intervals[3][-1]
        self.assertEqual(total["packets_sent_total"], 25)
        self.assertEqual(total["bytes_sent_total"], bytes_a + 9 * 20)
        self.assertEqual(total["active_publications"], 1)
        self.assertEqual(total["publications_added_total"], 2)
        self.assertEqual(total["publications_removed_total"], 1)
        self.assertEqual(total["publications_removed_delta"], 1)
        self.assertEqual(total["packets_sent_total"], ctx.snapshot().packets_sent)
        self.assertGreater(intervals[0][-1]["ip_bits_per_sec"],
                           intervals[0][-1]["payload_bits_per_sec"])
        a.close()
        self.plot(self.path)

    def test_publication_list_and_write_after_close(self):
        rx = Receiver("239.10.0.33", 6033)
        self.addCleanup(rx.close)
        p = mctx.Publication(group="239.10.0.33", port=6033, interface="mctx0")
        q = mctx.Publication(group="239.10.0.33", port=6033, interface="mctx0", ttl=2)
        with mctx.MetricsFile(self.path, [p, q], node_id="studio-a") as mf:
            p.send(b"one")
            q.send(b"two")
            mf.write()
            q.close()
            p.send(b"three")
            mf.write()
        self.assertEqual(len(rx.wait_for(3)), 3)
        header, intervals = read(self.path)
        self.assertEqual(header["node_id"], "studio-a")
        # Same group and port twice: named with their position in the list.
        self.assertEqual([r["destination"] for r in intervals[0]],
                         ["239.10.0.33:6033 (0)", "239.10.0.33:6033 (1)", "total"])
        self.assertEqual([r["destination"] for r in intervals[1]], ["239.10.0.33:6033", "total"])
        self.assertEqual(intervals[-1][-1]["packets_sent_total"], 3)  # q's count stays
        self.assertEqual(intervals[-1][-1]["active_publications"], 1)
        with self.assertRaises(mctx.SetupError) as cm:
            mf.write()
        self.assertIn("is closed", cm.exception.message)
        p.close()

    def test_refusals(self):
        ctx = mctx.Context()
        with self.assertRaises(mctx.ConfigError) as cm:
            mctx.MetricsFile(self.path + "\x00.other", ctx)
        self.assertIn("contains a NUL character", cm.exception.message)
        self.assertFalse(os.path.exists(self.path))

        missing = os.path.join(self.tmp.name, "no-such-folder", "network.jsonl")
        with self.assertRaises(mctx.SetupError) as cm:
            mctx.MetricsFile(missing, ctx)
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.assertIn(f"'{missing}'", cm.exception.message)
        self.assertIsInstance(cm.exception, OSError)

        first = mctx.MetricsFile(self.path, ctx)
        with self.assertRaises(mctx.SetupError) as cm:
            mctx.MetricsFile(self.path, ctx)
        self.assertEqual(cm.exception.code, mctx.Errc.metrics_locked)
        self.assertIn("locked by another writer", cm.exception.message)
        first.close()
        mctx.MetricsFile(self.path, ctx).close()  # unlocked at close; the header matches

        with self.assertRaises(mctx.ConfigError) as cm:  # another header
            mctx.MetricsFile(self.path, ctx, node_id="someone-else")
        self.assertIn("does not match", cm.exception.message)

        with self.assertRaises(TypeError):
            mctx.MetricsFile(self.path, "239.1.2.3")
        with self.assertRaises(TypeError):
            mctx.MetricsFile(self.path, [ctx])
        with self.assertRaises(TypeError):
            mctx.MetricsFile(self.path, ctx, flags="site=lab")
        _, intervals = read(self.path)
        self.assertEqual(len(intervals), 2)  # the two closes

    def test_repaired_file_warns(self):
        ctx = mctx.Context()
        mctx.MetricsFile(self.path, ctx).close()
        with open(self.path, "a") as f:
            f.write('{"ts": 12')  # a row cut short (a crash mid-write)
        with self.assertWarns(RuntimeWarning) as cm:
            mf = mctx.MetricsFile(self.path, ctx)
        self.assertIn(f"'{self.path}'", str(cm.warning))
        self.assertIn("removed an incomplete last line", str(cm.warning))
        mf.close()
        _, intervals = read(self.path)  # every line whole again
        self.assertEqual(len(intervals), 2)

    def test_write_in_a_thread_while_closed_is_read(self):
        # write() lets the GIL go while it writes; another thread reading
        # `closed` (or calling close()) must not wait on it with the GIL held.
        ctx = mctx.Context()
        mf = mctx.MetricsFile(self.path, ctx)
        stop = threading.Event()

        def writer():
            while not stop.is_set():
                try:
                    mf.write()
                except mctx.SetupError:
                    return  # closed under it: the documented refusal

        t = threading.Thread(target=writer)
        t.start()
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            self.assertFalse(mf.closed)
        mf.close()
        self.assertTrue(mf.closed)
        stop.set()
        t.join(5)
        self.assertFalse(t.is_alive(), "write() still blocked after close()")

    def plot(self, path):
        plot = os.environ.get("MCTX_PLOT", "")
        if not plot:
            print("MCTX_PLOT not set: mctx-plot not tried")
            return
        if subprocess.run(["/usr/bin/python3", "-c", "import matplotlib"],
                          capture_output=True).returncode != 0:
            print("python3-matplotlib is not installed: mctx-plot not tried")
            return
        png = path + ".png"
        r = subprocess.run(["/usr/bin/python3", plot, path, "-o", png], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
