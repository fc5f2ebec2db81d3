#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""mctx-send metrics: JSONL files whose totals match what a real receiver
got, header and flags, appending, node_id resolution, printed summaries.

Runs inside `scripts/mctx-netns --peer` (IPv4 on lo; the send-error case
sends out mctx0 to a receiver in the peer namespace).
"""

import json
import math
import os
import re
import subprocess
import tempfile
import time
import unittest

import toolstest
from toolstest import Receiver, ToolTestCase, run_send

G = "239.1.2.4"

COUNTERS = ["send_calls", "packets_sent", "bytes_sent", "ip_bytes_sent", "send_errors",
            "would_block", "queue_full", "unreachable", "outages", "gso_sends"]
ROW_KEYS = (["ts", "interval_secs", "destination", "active_publications",
             "publications_added_total", "publications_added_delta",
             "publications_removed_total", "publications_removed_delta"] +
            [f"{c}_{k}" for c in COUNTERS for k in ("total", "delta")] +
            ["send_calls_per_sec", "packets_per_sec", "bytes_per_sec", "send_errors_per_sec",
             "payload_bits_per_sec", "ip_bits_per_sec"])
IPV4_UDP_HEADER = 28
HEADER_KEYS = ["schema", "artifact_type", "node_id", "producer", "created_at", "flags"]


def read_jsonl(path):
    with open(path) as f:
        text = f.read()
    assert text.endswith("\n"), "file does not end with a newline"
    lines = text.splitlines()
    assert all(l.strip() for l in lines), "blank line in the file"
    return [json.loads(l) for l in lines], lines


class JsonlExport(ToolTestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mctx-metrics-")
        self.addCleanup(self.tmp.cleanup)

    def check_rows(self, all_rows, count, payload_len, destination):
        """Shape of every row, one destination row before each totals row
        with the same counts, chaining of deltas, and the final totals.
        Returns the totals rows."""
        self.assertEqual(len(all_rows) % 2, 0, all_rows)
        rows = all_rows[1::2]
        for dest, total in zip(all_rows[0::2], rows):
            self.assertEqual(dest["destination"], destination)
            self.assertEqual(total["destination"], "total")
            self.assertEqual(dest["ts"], total["ts"])
            self.assertEqual(dest["active_publications"], 1)
            for c in COUNTERS:
                self.assertEqual(dest[f"{c}_total"], total[f"{c}_total"], c)
        prev_ts = 0.0
        for r in all_rows:
            self.assertEqual(list(r.keys()), ROW_KEYS)
            # The IP level: 28 header bytes (IPv4 + UDP) per datagram.
            self.assertEqual(r["ip_bytes_sent_total"],
                             r["bytes_sent_total"] + IPV4_UDP_HEADER * r["packets_sent_total"])
            if r["interval_secs"] > 0:
                self.assertTrue(math.isclose(r["ip_bits_per_sec"],
                                             r["ip_bytes_sent_delta"] * 8 / r["interval_secs"],
                                             rel_tol=1e-3, abs_tol=1e-6), r)
                self.assertTrue(math.isclose(r["payload_bits_per_sec"], r["bytes_per_sec"] * 8,
                                             rel_tol=1e-9), r)
        for r in rows:
            self.assertGreaterEqual(r["ts"], prev_ts)
            prev_ts = r["ts"]
            self.assertGreaterEqual(r["interval_secs"], 0.0)
            self.assertEqual(r["bytes_sent_total"], payload_len * r["packets_sent_total"])
            if r["interval_secs"] > 0:
                for name in ("send_calls", "packets_sent", "bytes_sent", "send_errors"):
                    rate_key = ("packets" if name == "packets_sent" else
                                "bytes" if name == "bytes_sent" else name) + "_per_sec"
                    self.assertTrue(math.isclose(r[rate_key],
                                                 r[f"{name}_delta"] / r["interval_secs"],
                                                 rel_tol=1e-3, abs_tol=1e-6), (name, r))
        last = rows[-1]
        self.assertEqual(last["packets_sent_total"], count)
        self.assertEqual(last["send_calls_total"], count)
        self.assertEqual(last["bytes_sent_total"], count * payload_len)
        self.assertEqual(last["send_errors_total"], 0)
        self.assertEqual(last["active_publications"], 1)
        self.assertEqual(last["publications_added_total"], 1)
        self.assertEqual(last["publications_removed_total"], 0)
        # Deltas add up to the totals (the baseline is the empty context).
        for name in ("packets_sent", "bytes_sent", "send_calls", "publications_added"):
            self.assertEqual(sum(r[f"{name}_delta"] for r in rows), last[f"{name}_total"],
                             name)
        return rows

    def test_totals_match_the_receiver_and_the_header_is_canonical(self):
        folder = os.path.join(self.tmp.name, "sender-0007")
        os.mkdir(folder)
        path = os.path.join(folder, "network.jsonl")
        payload = "metrics-payload"
        count = 12
        rx = Receiver(G, 5201, interface="lo", count=count)
        before = time.time()
        proc = run_send(["--quiet", "--interface", "127.0.0.1", "--source-port", "40201",
                         G, "5201", payload, str(count), "50"],
                        env={"MCTX_METRICS_SUMMARY_SECS": "0.2",
                             "MCTX_METRICS_SUMMARY_FILE": path,
                             "MCTX_METRICS_FLAGS_JSON":
                                 '{"experiment": "e1", "role": "intruder", '
                                 '"multicast_group": "1.1.1.1", "labels": {"run": 3}}'})
        got = rx.finish()
        self.assertSent(proc, count)
        self.assertEqual(len(got), count)

        objs, lines = read_jsonl(path)
        header, rows = objs[0], objs[1:]
        print(f"\n    header: {lines[0]}\n    last row: {lines[-1]}", end=" ... ")
        self.assertEqual(list(header.keys()), HEADER_KEYS)
        self.assertEqual(header["schema"], "heimdall-jsonl-v1")
        self.assertEqual(header["artifact_type"], "mctx-network")
        self.assertEqual(header["node_id"], "sender-0007")  # the folder name
        self.assertEqual(header["producer"], "mctx/mctx-send")
        self.assertGreaterEqual(header["created_at"], before - 1)
        self.assertLessEqual(header["created_at"], time.time() + 1)
        flags = header["flags"]
        # Built-in flags win on conflicts; extra flags are merged in.
        self.assertEqual(flags["role"], "sender")
        self.assertEqual(flags["transport"], "udp-multicast")
        self.assertEqual(flags["multicast_group"], G)
        self.assertEqual(flags["multicast_port"], 5201)
        self.assertEqual(flags["multicast_interface"], "127.0.0.1")
        self.assertEqual(flags["multicast_source"], "default")
        self.assertEqual(flags["multicast_source_port"], 40201)
        self.assertEqual(flags["publish_interval_ms"], 50)
        self.assertEqual(flags["chunk_payload_bytes"], len(payload))
        self.assertEqual(flags["ttl_or_hops"], 1)
        self.assertIs(flags["loopback_enabled"], True)
        self.assertEqual(flags["experiment"], "e1")
        self.assertEqual(flags["labels"], {"run": 3})
        # Periodic rows (about 0.55 s of sending, every 0.2 s) plus the final one.
        self.assertGreaterEqual(len(rows), 6, lines)
        rows = self.check_rows(rows, count, len(payload), f"{G}:5201")
        # The totals match what the receiver counted, packet for packet.
        self.assertEqual(rows[-1]["packets_sent_total"], len(got))
        self.assertEqual(rows[-1]["bytes_sent_total"], sum(d["len"] for d in got))
        self.assertIn("schema", lines[0])
        for l in lines[1:]:
            self.assertNotIn('"schema"', l)
            self.assertNotIn(" ", l)  # compact rows

    def test_final_row_only_without_summary_secs(self):
        path = os.path.join(self.tmp.name, "final.jsonl")
        rx = Receiver(G, 5202, interface="lo", count=5)
        proc = run_send(["--quiet", "--interface", "lo", G, "5202", "abc", "5"],
                        env={"MCTX_METRICS_SUMMARY_FILE": path})
        got = rx.finish()
        self.assertSent(proc, 5)
        objs, _ = read_jsonl(path)
        self.assertEqual(len(objs), 3)  # header + the final destination and totals rows
        self.check_rows(objs[1:], 5, 3, f"{G}:5202")
        self.assertEqual(objs[2]["packets_sent_total"], len(got))

    @unittest.skipUnless(os.geteuid() == 0, "needs root: a tmpfs in a mount namespace of its own")
    def test_full_disk_leaves_no_torn_row(self):
        # A 4 KiB tmpfs, mounted in a private mount namespace (unshare -m),
        # is full after a few rows: the failed row must be cut off again,
        # the error reported, and the file still end with a complete row.
        mnt = os.path.join(self.tmp.name, "mnt")
        os.mkdir(mnt)
        out = os.path.join(self.tmp.name, "out")
        script = ('mount -t tmpfs -o size=4k mctx-full "$1" || exit 99; mkdir "$1/node"; '
                  'MCTX_METRICS_SUMMARY_FILE="$1/node/m.jsonl" MCTX_METRICS_SUMMARY_SECS=0.01 '
                  '"$2" --quiet --interface lo 239.1.2.4 5206 full 400 5 2>"$3.err"; '
                  'echo $? >"$3.rc"; cp "$1/node/m.jsonl" "$3.jsonl"')
        subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", mnt, toolstest.SEND, out],
                       check=True, timeout=60)
        with open(out + ".rc") as f:
            rc = int(f.read())
        with open(out + ".err") as f:
            err = f.read()
        size = os.path.getsize(out + ".jsonl")
        print(f"\n    exit {rc}, file {size} bytes, stderr: {err.strip()}", end=" ... ")
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"mctx-send: metrics: cannot write to metrics file '.*/node/m\.jsonl' "
                              r"\((the \d+ bytes of the row that were written have been cut off "
                              r"again: the file ends with its last complete row|nothing of the "
                              r"row was written)\): No space left on device")
        objs, _ = read_jsonl(out + ".jsonl")  # ends with a newline, every line JSON
        self.assertIn("schema", objs[0])
        self.assertGreater(len(objs), 2)
        for r in objs[1:]:
            self.assertEqual(list(r.keys()), ROW_KEYS)

    def test_appending_keeps_one_header_and_refuses_another_header(self):
        path = os.path.join(self.tmp.name, "runs.jsonl")
        env = {"MCTX_METRICS_SUMMARY_FILE": path, "MCTX_METRICS_NODE_ID": "node-a"}
        for run in range(2):
            rx = Receiver(G, 5203, interface="lo", count=3)
            proc = run_send(["--quiet", "--interface", "lo", G, "5203", "run", "3"], env=env)
            self.assertSent(proc, 3)
            self.assertEqual(len(rx.finish()), 3)
        objs, _ = read_jsonl(path)
        self.assertEqual(sum(1 for o in objs if "schema" in o), 1)
        self.assertEqual(objs[0]["node_id"], "node-a")
        self.assertEqual(len(objs), 5)
        self.assertEqual([o["packets_sent_total"] for o in objs[1:]], [3, 3, 3, 3])
        self.assertEqual([o["destination"] for o in objs[1:]], [f"{G}:5203", "total"] * 2)

        # Another node_id (or other flags) for the same file: refused, nothing sent.
        rx = Receiver(G, 5203, interface="lo", count=1, idle_ms=500)
        proc = run_send(["--quiet", "--interface", "lo", G, "5203", "run", "3"],
                        env={"MCTX_METRICS_SUMMARY_FILE": path, "MCTX_METRICS_NODE_ID": "node-b"})
        self.assertUsageError(
            proc, f"metrics file '{path}' line 1: the existing header does not match",
            'node_id is "node-a" in the file but "node-b" was requested')
        proc = run_send(["--quiet", "--interface", "lo", G, "5203", "other-payload", "3"],
                        env=env)
        self.assertUsageError(proc, "flags is")
        self.assertEqual(rx.finish(), [])
        objs2, _ = read_jsonl(path)
        self.assertEqual(objs2, objs)

    def test_node_id_falls_back_to_the_file_stem(self):
        rx = Receiver(G, 5204, interface="lo", count=1)
        proc = run_send(["--quiet", "--interface", "lo", G, "5204", "s"],
                        env={"MCTX_METRICS_SUMMARY_FILE": "stem-node.jsonl"}, cwd=self.tmp.name)
        self.assertSent(proc, 1)
        rx.finish()
        objs, _ = read_jsonl(os.path.join(self.tmp.name, "stem-node.jsonl"))
        self.assertEqual(objs[0]["node_id"], "stem-node")

    def test_summaries_are_printed_without_a_file(self):
        rx = Receiver(G, 5205, interface="lo", count=8)
        proc = run_send(["--quiet", "--interface", "lo", G, "5205", "printed", "8", "60"],
                        env={"MCTX_METRICS_SUMMARY_SECS": "0.15"})
        got = rx.finish()
        self.assertSent(proc, 8)
        lines = [l for l in proc.stdout.splitlines() if l.startswith("metrics: ")]
        print(f"\n    last: {lines[-1] if lines else None}", end=" ... ")
        self.assertGreaterEqual(len(lines), 2, proc.stdout)
        fields = [dict(kv.split("=", 1) for kv in l[len("metrics: "):].split()) for l in lines]
        self.assertEqual(list(fields[-1].keys()),
                         [k for k in ROW_KEYS if k not in ("ts", "destination")])
        self.assertEqual(int(fields[-1]["packets_sent_total"]), len(got))
        self.assertEqual(sum(int(f["packets_sent_delta"]) for f in fields), 8)
        self.assertRegex(lines[-1], r"interval_secs=\d+\.\d{3} ")
        # The summary lines come before the final "summary:" line.
        self.assertTrue(proc.stdout.splitlines()[-1].startswith("summary: "))

    @unittest.skipUnless(toolstest.PEER_NETNS, "needs scripts/mctx-netns --peer")
    def test_send_errors_are_counted_and_exported(self):
        # mctx0 goes down mid-run: the remaining sends fail (ENETUNREACH),
        # are counted, and the JSONL totals still match the receiver.
        path = os.path.join(self.tmp.name, "errors.jsonl")
        rx = Receiver(G, 5206, interface="mctx1", idle_ms=1500, netns=toolstest.PEER_NETNS)
        env = dict(os.environ, MCTX_METRICS_SUMMARY_FILE=path)
        p = subprocess.Popen([toolstest.SEND, "--quiet", "--interface", "mctx0", G, "5206",
                              "err", "30", "20"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
        rx.wait_received()  # sending has begun
        subprocess.run(["ip", "link", "set", "mctx0", "down"], check=True)
        try:
            out, err = p.communicate(timeout=20)
        finally:
            subprocess.run(["ip", "link", "set", "mctx0", "up"], check=True)
        got = rx.finish()
        self.assertEqual(p.returncode, 1, err)
        # The CLI reports the loss as an outage; the core counts each lost
        # packet as a send error (of kind unreachable), which JSONL exports.
        m = re.search(r"summary: (\d+) of 30 packets sent .*; (\d+) lost in \d+ outages", out)
        self.assertIsNotNone(m, out)
        sent, errors = int(m.group(1)), int(m.group(2))
        objs, _ = read_jsonl(path)
        last = objs[-1]
        print(f"\n    sent {sent}, errors {errors}, received {len(got)}", end=" ... ")
        self.assertGreater(errors, 0)
        self.assertEqual(last["packets_sent_total"], sent)
        self.assertEqual(last["packets_sent_total"], len(got))
        self.assertEqual(last["send_errors_total"], errors)
        self.assertEqual(last["send_calls_total"], sent + errors)
        self.assertEqual(last["send_errors_delta"], errors)
        # Lost to the outage: counted as unreachable, and the outage itself.
        self.assertEqual(last["unreachable_total"], errors)
        self.assertGreaterEqual(last["outages_total"], 1)
        self.assertEqual(objs[-2]["destination"], f"{G}:5206")
        self.assertEqual(objs[-2]["outages_total"], last["outages_total"])

if __name__ == "__main__":
    toolstest.main()
