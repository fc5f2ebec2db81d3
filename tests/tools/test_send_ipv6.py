#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""mctx-send over IPv6 across the veth pair.

Runs inside `scripts/mctx-netns --peer`: the sender uses mctx0 (fd00::1) in
the test namespace, the receiver joins on mctx1 (fd00::2) inside the peer
namespace ($MCTX_PEER_NETNS), so what it gets really crossed the link.
"""

import json
import os
import subprocess
import unittest

import testlib
import toolstest
from toolstest import Receiver, ToolTestCase, hex_of, ifindex, run_send

PEER = toolstest.PEER_NETNS


def link_local(dev):
    """The fe80:: address of dev (waits for the kernel to add it)."""
    def find():
        out = subprocess.run(["ip", "-6", "-j", "addr", "show", "dev", dev, "scope", "link"],
                             capture_output=True, text=True, check=True).stdout
        for link in json.loads(out or "[]"):
            for a in link.get("addr_info", []):
                if a.get("family") == "inet6" and a["local"].startswith("fe80:"):
                    return a["local"]
        return None

    if not testlib.wait_until(find, 5, step=0.05):
        raise RuntimeError(f"{dev} has no link-local address")
    return find()


@unittest.skipUnless(PEER, "needs scripts/mctx-netns --peer")
class SendIPv6(ToolTestCase):
    def receiver(self, group, port, **kw):
        return Receiver(group, port, interface="mctx1", netns=PEER, **kw)

    def test_global_ssm_group_with_explicit_source(self):
        rx = self.receiver("ff3e::8000:1234", 6001, count=4)
        proc = run_send(["--source", "fd00::1", "--source-port", "40101",
                         "--interface", "mctx0", "ff3e::8000:1234", "6001", "hello-v6", "4"])
        got = rx.finish()
        self.assertSent(proc, 4)
        self.assertEqual(len(got), 4)
        for d in got:
            self.assertEqual(d["from"], "[fd00::1]:40101")
            self.assertEqual(d["payload_hex"], hex_of("hello-v6"))
            self.assertEqual(d["ttl"], 1)  # default hop limit
        self.assertIn("[1/4] sent 8 bytes to [ff3e::8000:1234]:6001 from [fd00::1]:40101",
                      proc.stdout)

    def test_interface_index_hop_limit_and_traffic_class(self):
        rx = self.receiver("ff3e::8000:1235", 6002, count=2)
        proc = run_send(["--interface-index", ifindex("mctx0"), "--source", "fd00::1",
                         "--ttl", "9", "--dscp", "10", "ff3e::8000:1235", "6002", "tc", "2"])
        got = rx.finish()
        self.assertSent(proc, 2)
        self.assertEqual([(d["ttl"], d["tos"]) for d in got], [(9, 10 << 2)] * 2)
        self.assertTrue(all(d["from"].startswith("[fd00::1]:") for d in got), got)

    def test_interface_given_as_address(self):
        # An IPv6 interface address pins the interface and becomes the source.
        rx = self.receiver("ff3e::8000:1236", 6003, count=1)
        proc = run_send(["--interface", "fd00::1", "ff3e::8000:1236", "6003", "by-addr"])
        got = rx.finish()
        self.assertSent(proc, 1)
        self.assertEqual(len(got), 1)
        self.assertTrue(got[0]["from"].startswith("[fd00::1]:"), got)

    def test_link_local_group_with_scoped_bind(self):
        ll = link_local("mctx0")
        rx = self.receiver("ff32::8000:1237", 6004, count=2)
        proc = run_send(["--bind", f"[{ll}%mctx0]:40104", "ff32::8000:1237", "6004", "ll", "2"])
        got = rx.finish()
        self.assertSent(proc, 2)
        self.assertEqual(len(got), 2)
        for d in got:
            self.assertTrue(d["from"].startswith(f"[{ll}"), d)
            self.assertTrue(d["from"].endswith("]:40104"), d)

    def test_ssm_receiver_filtering_on_the_source(self):
        rx = self.receiver("ff3e::8000:1238", 6005, count=3, source="fd00::1")
        proc = run_send(["--source", "fd00::1", "--interface", "mctx0",
                         "ff3e::8000:1238", "6005", "ssm", "3"])
        got = rx.finish()
        self.assertSent(proc, 3)
        self.assertEqual(len(got), 3)

    def test_ssm_receiver_for_another_source_gets_nothing(self):
        # The receiver accepts only fd00::99: our packets from fd00::1 are
        # filtered, which shows the source on the wire is the configured one.
        rx = self.receiver("ff3e::8000:1239", 6006, count=1, source="fd00::99", idle_ms=500)
        proc = run_send(["--source", "fd00::1", "--interface", "mctx0",
                         "ff3e::8000:1239", "6006", "filtered", "2"])
        got = rx.finish()
        self.assertSent(proc, 2)
        self.assertEqual(got, [])


if __name__ == "__main__":
    toolstest.main()
