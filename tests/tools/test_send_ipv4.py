#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""mctx-send over IPv4 on loopback, received by mctx-test-recv joined on lo.

Runs inside `scripts/mctx-netns --peer` (lo up; veth mctx0 here, mctx1 in the
peer namespace for the loopback test).
"""

import re
import signal
import subprocess
import time
import unittest

import toolstest
from toolstest import PEER_NETNS, Receiver, ToolTestCase, hex_of, ifindex, run_send

GROUP = "239.1.2.3"


class SendIPv4(ToolTestCase):
    def test_payload_count_and_source_address_and_port(self):
        rx = Receiver(GROUP, 5001, interface="lo", count=5)
        proc = run_send(["--interface", "127.0.0.1", "--source", "127.0.0.1",
                         "--source-port", "40001", GROUP, "5001", "hello-mctx", "5"])
        got = rx.finish()
        self.assertSent(proc, 5)
        self.assertEqual(len(got), 5)
        for d in got:
            self.assertEqual(d["payload_hex"], hex_of("hello-mctx"))
            self.assertEqual(d["len"], 10)
            self.assertEqual(d["from"], "127.0.0.1:40001")
        # One line per packet: destination, source, bytes.
        lines = [l for l in proc.stdout.splitlines() if l.startswith("[")]
        self.assertEqual(len(lines), 5)
        for i, line in enumerate(lines, 1):
            self.assertEqual(
                line, f"[{i}/5] sent 10 bytes to {GROUP}:5001 from 127.0.0.1:40001")
        self.assertRegex(
            proc.stdout,
            r"summary: 5 of 5 packets sent \(50 bytes\) to 239\.1\.2\.3:5001 from "
            r"127\.0\.0\.1:40001 in [0-9.]+ s; 0 send errors; 0 would-block waits")
        self.assertEqual(proc.stderr, "")

    def test_verbose_logs_what_the_core_opened_and_sent(self):
        rx = Receiver(GROUP, 5029, interface="lo", count=2)
        proc = run_send(["-v", "--interface", "lo", "--ttl", "3", GROUP, "5029", "loud", "2"])
        got = rx.finish()
        self.assertSent(proc, 2)
        port = got[0]["from"].split(":")[1]
        # -v: the socket as the kernel has it (the ephemeral port, SO_SNDBUF).
        self.assertRegex(
            proc.stderr,
            r"^mctx-send: info: Publication::open: publication \d+: 127\.0\.0\.1:" + port +
            r" -> 239\.1\.2\.3:5029, interface lo \(index " + str(ifindex("lo")) +
            r"\), send buffer \d+ bytes \(system default\), TTL 3, loopback on, "
            r"DSCP not set \(system default\), GSO ready \(segments of up to \d+ bytes\), "
            r"pacing unpaced\n$")
        # -vvv: also one line per send.
        rx = Receiver(GROUP, 5029, interface="lo", count=2)
        proc = run_send(["-vvv", "--interface", "lo", GROUP, "5029", "loud", "2"])
        rx.finish()
        self.assertSent(proc, 2)
        sends = [l for l in proc.stderr.splitlines() if ": Publication::send: " in l]
        self.assertEqual(len(sends), 2, proc.stderr)
        for line in sends:
            self.assertRegex(line, r"^mctx-send: log: Publication::send: publication \d+: "
                                   r"datagram of 4 bytes \(1 buffer\): sent$")

    def test_interface_by_name(self):
        rx = Receiver(GROUP, 5002, interface="lo", count=3)
        proc = run_send(["--interface", "lo", GROUP, "5002", "by-name", "3"])
        got = rx.finish()
        self.assertSent(proc, 3)
        self.assertEqual([d["payload_hex"] for d in got], [hex_of("by-name")] * 3)

    def test_interface_by_index(self):
        rx = Receiver(GROUP, 5003, interface="lo", count=2)
        proc = run_send(["--interface-index", ifindex("lo"), "--source", "127.0.0.1",
                         GROUP, "5003", "by-index", "2"])
        got = rx.finish()
        self.assertSent(proc, 2)
        self.assertEqual(len(got), 2)
        self.assertTrue(all(d["from"].startswith("127.0.0.1:") for d in got), got)

    def test_bind_address_and_port(self):
        rx = Receiver(GROUP, 5004, interface="lo", count=1)
        proc = run_send(["--interface", "lo", "--bind", "127.0.0.1:40004",
                         GROUP, "5004", "bound"])
        got = rx.finish()
        self.assertSent(proc, 1)
        self.assertEqual([d["from"] for d in got], ["127.0.0.1:40004"])
        self.assertIn("from 127.0.0.1:40004", proc.stdout)

    def test_ttl_and_dscp_seen_by_the_receiver(self):
        rx = Receiver(GROUP, 5005, interface="lo", count=2)
        proc = run_send(["--interface", "127.0.0.1", "--ttl", "7", "--dscp", "46",
                         GROUP, "5005", "ef", "2"])
        got = rx.finish()
        self.assertSent(proc, 2)
        self.assertEqual([(d["ttl"], d["tos"]) for d in got], [(7, 46 << 2)] * 2)

    def test_default_ttl_is_one(self):
        rx = Receiver(GROUP, 5006, interface="lo", count=1)
        proc = run_send(["--interface", "127.0.0.1", GROUP, "5006", "ttl1"])
        got = rx.finish()
        self.assertSent(proc, 1)
        self.assertEqual([d["ttl"] for d in got], [1])

    @unittest.skipUnless(PEER_NETNS, "needs scripts/mctx-netns --peer")
    def test_loopback_on_and_off(self):
        # Out of mctx0: a receiver joined on mctx0 here only gets the copies
        # looped back by the kernel; the one on mctx1 in the peer namespace
        # gets what crossed the link. (On lo the wire itself is the loop.)
        for loop in (True, False):
            port = 5007 if loop else 5013
            local = Receiver(GROUP, port, interface="mctx0", count=3, idle_ms=600)
            peer = Receiver(GROUP, port, interface="mctx1", count=3, netns=PEER_NETNS)
            args = ["--interface", "mctx0"] + ([] if loop else ["--no-loopback"])
            proc = run_send(args + [GROUP, str(port), "loop", "3"])
            self.assertSent(proc, 3)
            self.assertEqual(len(peer.finish()), 3)
            self.assertEqual(len(local.finish()), 3 if loop else 0, f"loopback {loop}")
            print(f"\n    loopback {'on' if loop else 'off'}: peer 3, local "
                  f"{3 if loop else 0}", end="")
        print(" ...", end=" ")

    @unittest.skipUnless(PEER_NETNS, "needs scripts/mctx-netns --peer")
    def test_backpressure_waits_and_drops_nothing(self):
        # A 20 Mbit/s token bucket on mctx0 holds the datagrams in the queue,
        # so the send buffer fills and sends would block: mctx-send waits for
        # POLLOUT and resends; the peer still gets every datagram.
        subprocess.run(["tc", "qdisc", "add", "dev", "mctx0", "root", "tbf", "rate", "20mbit",
                        "burst", "20kb", "latency", "500ms"], check=True)
        self.addCleanup(subprocess.run, ["tc", "qdisc", "del", "dev", "mctx0", "root"])
        peer = Receiver(GROUP, 5014, interface="mctx1", count=60, netns=PEER_NETNS,
                        idle_ms=3000)
        payload = "b" * 30000
        proc = run_send(["--quiet", "--interface", "mctx0", GROUP, "5014", payload, "60"])
        got = peer.finish()
        self.assertSent(proc, 60)
        waits = int(re.search(r"; (\d+) would-block waits", proc.stdout).group(1))
        print(f"\n    would-block waits: {waits}, received {len(got)}", end=" ... ")
        self.assertGreater(waits, 0, "the token bucket did not fill the send buffer")
        self.assertEqual(len(got), 60)
        self.assertTrue(all(d["len"] == 30000 for d in got))

    def test_interval_paces_the_packets(self):
        rx = Receiver(GROUP, 5008, interface="lo", count=4)
        start = time.monotonic()
        proc = run_send(["--interface", "127.0.0.1", "--quiet", GROUP, "5008", "tick", "4",
                         "150"])
        elapsed = time.monotonic() - start
        got = rx.finish()
        self.assertSent(proc, 4)
        self.assertEqual(len(got), 4)
        self.assertGreaterEqual(elapsed, 0.45)  # 3 gaps of 150 ms
        self.assertLess(elapsed, 5.0)

    def test_quiet_prints_only_the_summary(self):
        rx = Receiver(GROUP, 5029, interface="lo", count=3)
        proc = run_send(["--quiet", "--interface", "lo", GROUP, "5029", "q", "3"])
        got = rx.finish()
        self.assertSent(proc, 3)
        self.assertEqual(len(got), 3)
        self.assertEqual(len(proc.stdout.splitlines()), 1, proc.stdout)
        self.assertTrue(proc.stdout.startswith("summary: 3 of 3 packets sent (3 bytes)"))

    def test_empty_payload_is_a_zero_length_datagram(self):
        rx = Receiver(GROUP, 5010, interface="lo", count=1)
        proc = run_send(["--interface", "lo", GROUP, "5010", ""])
        got = rx.finish()
        self.assertSent(proc, 1)
        self.assertEqual([(d["len"], d["payload_hex"]) for d in got], [(0, "")])

    def test_largest_ipv4_payload(self):
        payload = "x" * 65507
        rx = Receiver(GROUP, 5011, interface="lo", count=1)
        proc = run_send(["--quiet", "--interface", "lo", GROUP, "5011", payload])
        got = rx.finish()
        self.assertSent(proc, 1)
        self.assertEqual([d["len"] for d in got], [65507])

    def test_sigint_stops_cleanly_with_a_summary(self):
        rx = Receiver(GROUP, 5012, interface="lo", idle_ms=1500)
        env = dict(toolstest.os.environ)
        p = subprocess.Popen([toolstest.SEND, "--interface", "lo", GROUP, "5012", "long",
                              "1000", "50"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
        rx.wait_received()  # sending has begun
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        got = rx.finish()
        self.assertEqual(p.returncode, 128 + signal.SIGINT, err)
        self.assertIn("stopped by signal 2", err)
        m = re.search(r"summary: (\d+) of 1000 packets sent", out)
        self.assertIsNotNone(m, out)
        sent = int(m.group(1))
        self.assertGreater(sent, 0)
        self.assertLess(sent, 1000)
        self.assertEqual(len(got), sent)

    def test_stop_signal_ends_a_long_interval_at_once(self):
        # INTERVAL_MS of an hour: the signal must end the wait, not its deadline.
        for sig in (signal.SIGINT, signal.SIGTERM):
            rx = Receiver(GROUP, 5013, interface="lo", count=1)
            p = subprocess.Popen([toolstest.SEND, "--interface", "lo", GROUP, "5013", "hour",
                                  "3", "3600000"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            first = p.stdout.readline()  # packet 1 is out: the loop is waiting now
            self.assertIn("[1/3] sent 4 bytes", first)
            t0 = time.monotonic()
            p.send_signal(sig)
            out, err = p.communicate(timeout=10)
            took = time.monotonic() - t0
            got = rx.finish()
            print(f"\n    signal {int(sig)}: exited {p.returncode} after {took:.3f} s", end=" ... ")
            self.assertEqual(p.returncode, 128 + sig, err)
            self.assertLess(took, 5.0)
            self.assertIn(f"stopped by signal {int(sig)}", err)
            self.assertIn("summary: 1 of 3 packets sent", out)
            self.assertEqual(len(got), 1)

    def test_help_lists_options_and_environment(self):
        proc = run_send(["--help"])
        self.assertEqual(proc.returncode, 0)
        for needle in ("GROUP PORT PAYLOAD [COUNT] [INTERVAL_MS]", "--source", "--source-port",
                       "--bind", "--interface", "--interface-index", "--ttl", "--no-loopback",
                       "--dscp", "--quiet", "MCTX_METRICS_SUMMARY_SECS",
                       "MCTX_METRICS_SUMMARY_FILE", "MCTX_METRICS_NODE_ID",
                       "MCTX_METRICS_FLAGS_JSON"):
            self.assertIn(needle, proc.stdout)


if __name__ == "__main__":
    toolstest.main()
