#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""mctx-send rejects bad input with exit status 2 and a message that names
the value and the rule, before anything is sent; runtime failures exit 1.

Runs inside `scripts/mctx-netns --peer`. A guard receiver joined to the
group on lo checks that none of the rejected commands sent a packet.
"""

import fcntl
import os
import re
import subprocess
import tempfile
import unittest

import toolstest
from toolstest import Receiver, ToolTestCase, run_send

G = "239.1.2.3"
P = "5100"
GOOD = ["--interface", "lo", G, P, "x"]  # a valid command line, for env cases

# (name, arguments, environment, expected texts in stderr)
CASES = [
    ("unicast_group", ["192.168.1.5", P, "x"], None,
     ["group '192.168.1.5' is not a multicast address"]),
    ("group_not_an_address", ["nonsense", P, "x"], None,
     ["GROUP: 'nonsense' is not an IPv4 or IPv6 address"]),
    ("port_zero", ["--interface", "lo", G, "0", "x"], None,
     ["PORT '0' is out of range: must be an integer from 1 to 65535"]),
    ("port_out_of_range", [G, "70000", "x"], None,
     ["PORT '70000' is out of range: must be an integer from 1 to 65535"]),
    ("port_not_a_number", [G, "http", "x"], None,
     ["PORT 'http' is not a number"]),
    ("count_zero", [G, P, "x", "0"], None,
     ["COUNT '0' is out of range: must be an integer from 1 to"]),
    ("count_not_a_number", [G, P, "x", "ten"], None,
     ["COUNT 'ten' is not a number"]),
    ("interval_too_long", [G, P, "x", "1", "3600001"], None,
     ["INTERVAL_MS '3600001' is out of range: must be an integer from 0 to 3600000"]),
    ("missing_payload", [G, P], None, ["missing PAYLOAD"]),
    ("missing_everything", [], None, ["missing GROUP PORT PAYLOAD"]),
    ("too_many_arguments", [G, P, "x", "1", "0", "extra"], None,
     ["too many arguments: unexpected 'extra'"]),
    ("unknown_option", ["--bogus", G, P, "x"], None, ["Unknown option --bogus"]),
    ("option_without_value", [G, P, "x", "--ttl"], None, ["Missing argument for --ttl"]),
    # The value of --ttl is missing: GOption alone would take --interface as
    # its value and blame GROUP 'mctx0'.
    ("option_followed_by_an_option", ["--ttl", "--interface", "mctx0", "239.1.1.1", "5004", "x"],
     None, ["Missing argument for --ttl: the next argument '--interface' is an option, "
            "not a value"]),
    ("source_option_followed_by_an_option", ["--source", "--quiet", G, P, "x"], None,
     ["Missing argument for --source: the next argument '--quiet' is an option"]),
    ("unknown_interface_name", ["--interface", "nosuch0", G, P, "x"], None,
     ["interface 'nosuch0' does not exist"]),
    ("interface_address_not_local", ["--interface", "10.9.9.9", G, P, "x"], None,
     ["interface address '10.9.9.9' is not configured on any interface"]),
    ("interface_family_mismatch", ["--interface", "fd00::1", G, P, "x"], None,
     ["interface address 'fd00::1' is IPv6 but group '239.1.2.3' is IPv4"]),
    ("interface_index_zero", ["--interface-index", "0", G, P, "x"], None,
     ["interface index 0 is not allowed"]),
    ("interface_index_unknown", ["--interface-index", "999", G, P, "x"], None,
     ["interface index 999 does not exist"]),
    ("interface_index_not_a_number", ["--interface-index", "lo", G, P, "x"], None,
     ["--interface-index 'lo' is not a number"]),
    ("interface_and_index", ["--interface", "lo", "--interface-index", "1", G, P, "x"], None,
     ["--interface 'lo' and --interface-index '1' both choose the outgoing interface"]),
    ("ttl_out_of_range", ["--interface", "lo", "--ttl", "300", G, P, "x"], None,
     ["ttl 300 is out of range"]),
    ("ttl_negative", ["--interface", "lo", "--ttl", "-1", G, P, "x"], None,
     ["ttl -1 is out of range"]),
    ("ttl_not_a_number", ["--ttl", "abc", G, P, "x"], None, ["--ttl 'abc' is not an integer"]),
    ("dscp_out_of_range", ["--interface", "lo", "--dscp", "64", G, P, "x"], None,
     ["dscp 64 is out of range"]),
    ("dscp_not_a_number", ["--dscp", "ef", G, P, "x"], None, ["--dscp 'ef' is not an integer"]),
    ("source_multicast", ["--source", "239.9.9.9", G, P, "x"], None,
     ["source address '239.9.9.9' is a multicast address"]),
    ("source_family_mismatch", ["--source", "::1", G, P, "x"], None,
     ["source address '::1' is IPv6 but group '239.1.2.3' is IPv4"]),
    ("source_not_local", ["--source", "10.9.9.9", G, P, "x"], None,
     ["source address '10.9.9.9' is not configured on any interface"]),
    # Linux would refuse it at connect() with "Invalid argument".
    ("source_on_another_interface",
     ["--source", "127.0.0.1", "--interface", "mctx0", "239.1.1.1", "5004", "x"], None,
     ["mctx-send: --source and --interface disagree: IPv4 source address '127.0.0.1' is on lo "
      "(index 1), not on the configured interface mctx0 (index ",
      "the source address must be an address of the outgoing interface"]),
    ("bind_on_another_interface", ["--bind", "192.0.2.1:4000", "--interface", "lo", G, P, "x"],
     None, ["mctx-send: --bind and --interface disagree: IPv4 bind address '192.0.2.1' is on "
            "mctx0 (index "]),
    ("source_unspecified", ["--source", "0.0.0.0", G, P, "x"], None,
     ["source address '0.0.0.0'"]),
    ("source_port_zero", ["--interface", "lo", "--source-port", "0", G, P, "x"], None,
     ["--source-port '0' is out of range: must be an integer from 1 to 65535"]),
    ("source_port_out_of_range", ["--source-port", "65536", G, P, "x"], None,
     ["--source-port '65536' is out of range"]),
    ("bind_without_port", ["--bind", "127.0.0.1", G, P, "x"], None,
     ["--bind: endpoint '127.0.0.1' needs a port"]),
    ("bind_conflicts_with_source_port",
     ["--bind", "127.0.0.1:4000", "--source-port", "4001", G, P, "x"], None,
     ["bind port 4000 differs from source port 4001"]),
    ("link_local_group_without_interface", ["ff32::1", P, "x"], None,
     ["IPv6 group ff32::1 is link-local (ff?2) and needs an interface"]),
    ("payload_too_large", ["--interface", "lo", G, P, "y" * 65508], None,
     ["PAYLOAD is 65508 bytes: one UDP datagram over IPv4 carries at most 65507 bytes"]),
    # Environment: checked before anything is sent.
    ("summary_secs_not_a_number", GOOD, {"MCTX_METRICS_SUMMARY_SECS": "abc"},
     ["MCTX_METRICS_SUMMARY_SECS 'abc' is not a number: must be a positive number of seconds"]),
    ("summary_secs_zero", GOOD, {"MCTX_METRICS_SUMMARY_SECS": "0"},
     ["MCTX_METRICS_SUMMARY_SECS '0' is out of range: must be a positive number of seconds"]),
    ("summary_secs_too_short", GOOD, {"MCTX_METRICS_SUMMARY_SECS": "0.0001"},
     ["the shortest period is 0.001"]),
    ("summary_secs_negative", GOOD, {"MCTX_METRICS_SUMMARY_SECS": "-1"},
     ["MCTX_METRICS_SUMMARY_SECS '-1' is out of range"]),
    ("summary_secs_infinite", GOOD, {"MCTX_METRICS_SUMMARY_SECS": "inf"},
     ["MCTX_METRICS_SUMMARY_SECS 'inf' is not a number"]),
    ("flags_json_invalid", GOOD, {"MCTX_METRICS_SUMMARY_FILE": "{tmp}/n/m.jsonl",
                                  "MCTX_METRICS_FLAGS_JSON": "{oops"},
     ["MCTX_METRICS_FLAGS_JSON '{oops' is not valid JSON"]),
    ("flags_json_not_an_object", GOOD, {"MCTX_METRICS_FLAGS_JSON": "[1, 2]"},
     ["MCTX_METRICS_FLAGS_JSON '[1, 2]' is not a JSON object"]),
    ("node_id_blank", GOOD, {"MCTX_METRICS_NODE_ID": "   "},
     ["MCTX_METRICS_NODE_ID '   ' is blank"]),
    ("summary_file_in_missing_folder", GOOD,
     {"MCTX_METRICS_SUMMARY_FILE": "{tmp}/no-such-folder/m.jsonl"},
     ["cannot open metrics file '{tmp}/no-such-folder/m.jsonl': No such file or directory"]),
    ("summary_file_is_a_folder", GOOD, {"MCTX_METRICS_SUMMARY_FILE": "{tmp}/"},
     ["MCTX_METRICS_SUMMARY_FILE '{tmp}/' names a folder"]),
    ("summary_file_without_header", GOOD,
     {"MCTX_METRICS_SUMMARY_FILE": "{tmp}/headerless.jsonl"},
     ["metrics file '{tmp}/headerless.jsonl' line 1: not an mctx metrics file header",
      "refusing to append to a file without a valid header"]),
    ("summary_file_locked", GOOD, {"MCTX_METRICS_SUMMARY_FILE": "{tmp}/locked.jsonl"},
     ["metrics file '{tmp}/locked.jsonl' is locked by another writer (flock); two writers "
      "would interleave rows, so use another file\n"]),
]


class RejectsBadInput(ToolTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mctx-send-errors-")
        with open(os.path.join(cls.tmp.name, "headerless.jsonl"), "w") as f:
            f.write('{"ts":1.0,"interval_secs":1.0}\n')
        # Another writer holds locked.jsonl for the whole class.
        cls.locked = open(os.path.join(cls.tmp.name, "locked.jsonl"), "a")
        fcntl.flock(cls.locked, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # The guard: a receiver on the group and port of every case.
        cls.guard = Receiver(G, P, interface="lo", count=1, idle_ms=60000)

    @classmethod
    def tearDownClass(cls):
        cls.locked.close()
        cls.tmp.cleanup()

    def test_zz_nothing_was_sent(self):
        """Runs last: the guard got only the sentinel sent here."""
        proc = run_send(["--interface", "lo", G, P, "sentinel"])
        self.assertSent(proc, 1)
        got = self.guard.finish()
        self.assertEqual([bytes.fromhex(d["payload_hex"]) for d in got], [b"sentinel"])


def make_case(args, env, needles):
    def test(self):
        tmp = self.tmp.name
        e = {k: v.replace("{tmp}", tmp) for k, v in (env or {}).items()}
        proc = run_send(args, env=e)
        self.assertUsageError(proc, *[n.replace("{tmp}", tmp) for n in needles])
        print(f"\n    stderr: {proc.stderr.splitlines()[0]}", end=" ... ")
    return test


for name, args, env, needles in CASES:
    setattr(RejectsBadInput, f"test_{name}", make_case(args, env, needles))


@unittest.skipUnless(toolstest.PEER_NETNS, "needs scripts/mctx-netns --peer")
class RuntimeFailures(ToolTestCase):
    def setUp(self):
        subprocess.run(["ip", "link", "set", "mctx0", "up"], check=True)
        subprocess.run(["ip", "addr", "replace", "192.0.2.1/24", "dev", "mctx0"], check=True)

    tearDown = setUp

    def test_interface_down_before_start_exits_1(self):
        subprocess.run(["ip", "link", "set", "mctx0", "down"], check=True)
        proc = run_send(["--interface", "mctx0", G, P, "x"])
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("mctx-send: connecting to 239.1.2.3:5100: Network is unreachable",
                      proc.stderr)
        self.assertNotIn("sent", proc.stdout)

    def test_no_route_without_interface_says_to_name_one(self):
        # No route covers 239.0.0.0/8 in this namespace (lo, and mctx0 with
        # 192.0.2.0/24): the kernel answers ENETUNREACH.
        proc = run_send([G, P, "x"])
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("mctx-send: connecting to 239.1.2.3:5100: Network is unreachable (no route "
                      "to the destination: if no interface is named, name the one to send on: "
                      "the element property interface, mctx-send --interface, Python "
                      "interface=)\n", proc.stderr)
        self.assertNotIn("sent", proc.stdout)

    def test_interface_going_down_counts_errors_and_exits_1(self):
        rx = Receiver(G, P, interface="mctx1", idle_ms=1500, netns=toolstest.PEER_NETNS)
        p = subprocess.Popen([toolstest.SEND, "--quiet", "--interface", "mctx0", G, P, "x",
                              "40", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        rx.wait_received()  # sending has begun
        subprocess.run(["ip", "link", "set", "mctx0", "down"], check=True)
        out, err = p.communicate(timeout=20)
        got = rx.finish()
        self.assertEqual(p.returncode, 1, err)
        # An outage: one line when it begins, saying why; the packets are
        # counted as lost and sending goes on.
        self.assertRegex(err, r"mctx-send: outage began: packet \d+ of 40 to 239\.1\.2\.3:5100 "
                              r"failed: network unreachable.*\(interface 'mctx0' is down\)")
        self.assertEqual(err.count("outage began"), 1, err)
        m = re.search(r"summary: (\d+) of 40 packets sent \(\d+ bytes\) .*; (\d+) send errors"
                      r".*; (\d+) lost in 1 outages", out)
        self.assertIsNotNone(m, out)
        sent, errors, lost = int(m.group(1)), int(m.group(2)), int(m.group(3))
        self.assertGreater(sent, 0)
        self.assertEqual(errors, 0)
        self.assertGreater(lost, 0)
        self.assertEqual(sent + lost, 40)
        self.assertEqual(len(got), sent)


if __name__ == "__main__":
    toolstest.main()
