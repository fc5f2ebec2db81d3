# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""Shared helpers of the mctx-send end-to-end tests.

The tests run inside scripts/mctx-netns (meson wraps them with netns_run);
they refuse to run anywhere else, so nothing can leave the machine.
Executables come from the environment: MCTX_SEND, MCTX_TEST_RECV.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest

import testlib

SEND = os.environ.get("MCTX_SEND", "")
RECV = os.environ.get("MCTX_TEST_RECV", "")


def require_private_netns():
    """Exit 77 (meson: skipped) unless inside scripts/mctx-netns."""
    testlib.require_netns()
    for name, path in (("MCTX_SEND", SEND), ("MCTX_TEST_RECV", RECV)):
        if not path or not os.access(path, os.X_OK):
            print(f"FAIL: {name} does not name an executable: {path!r}")
            sys.exit(1)


PEER_NETNS = testlib.PEER_NETNS


def ifindex(name):
    """Index of an interface of this namespace (sysfs may show another one)."""
    return socket.if_nametoindex(name)


class Receiver:
    """mctx-test-recv joined to a group; started before the sender."""

    def __init__(self, group, port, interface=None, count=None, idle_ms=1500,
                 netns=None, source=None):
        self._dir = tempfile.TemporaryDirectory(prefix="mctx-recv-")
        ready = os.path.join(self._dir.name, "ready")
        cmd = [RECV, "--group", group, "--port", str(port),
               "--timeout-ms", str(idle_ms), "--ready-file", ready]
        if interface is not None:
            cmd += ["--interface", str(interface)]
        if count is not None:
            cmd += ["--count", str(count)]
        if source is not None:
            cmd += ["--source", source]
        if netns is not None:
            cmd = ["nsenter", f"--net={netns}", "--"] + cmd
        self.cmd = cmd
        # Output goes to files, not pipes: a full pipe would stall the
        # receiver and make its socket drop datagrams.
        self._out = open(os.path.join(self._dir.name, "out"), "w+")
        self._err = open(os.path.join(self._dir.name, "err"), "w+")
        self.proc = subprocess.Popen(cmd, stdout=self._out, stderr=self._err, text=True)
        testlib.wait_until(lambda: os.path.exists(ready) or self.proc.poll() is not None, 10)
        if self.proc.poll() is not None:
            out, err = self._read()
            raise RuntimeError(f"receiver failed to start: {cmd}\n{err}{out}")
        if not os.path.exists(ready):
            self.proc.kill()
            raise RuntimeError(f"receiver not ready after 10 s: {cmd}")

    def wait_received(self, count=1, timeout=10):
        """Until the receiver printed `count` datagrams (so the sender has
        begun); fails the test after `timeout` seconds."""
        def received():
            self._out.flush()
            with open(self._out.name) as f:
                return sum(1 for line in f if '"len"' in line) >= count
        if not testlib.wait_until(received, timeout):
            raise AssertionError(f"the receiver got fewer than {count} datagrams in {timeout} s")

    def _read(self):
        self._out.seek(0)
        self._err.seek(0)
        return self._out.read(), self._err.read()

    def _close(self):
        self._out.close()
        self._err.close()
        self._dir.cleanup()

    def finish(self, timeout=20):
        """Waits for the receiver; returns the list of datagram dicts."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            _, err = self._read()
            self._close()
            raise AssertionError(f"receiver did not finish: {self.cmd}\n{err}")
        out, err = self._read()
        self._close()
        if self.proc.returncode != 0:
            raise AssertionError(f"receiver exited {self.proc.returncode}: {err}")
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        if not rows or "received" not in rows[-1]:
            raise AssertionError(f"receiver output has no summary: {out!r}")
        datagrams = rows[:-1]
        if rows[-1]["received"] != len(datagrams):
            raise AssertionError(f"receiver summary disagrees with its lines: {out!r}")
        return datagrams

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()


def run_send(args, env=None, timeout=30, cwd=None):
    """Runs mctx-send; returns CompletedProcess (text)."""
    full_env = dict(os.environ)
    for k in list(full_env):
        if k.startswith("MCTX_METRICS_"):
            del full_env[k]
    if env:
        full_env.update(env)
    return subprocess.run([SEND] + [str(a) for a in args], capture_output=True,
                          text=True, timeout=timeout, env=full_env, cwd=cwd)


def hex_of(text):
    return text.encode().hex()


class ToolTestCase(unittest.TestCase):
    maxDiff = None

    def assertSent(self, proc, count=None):
        """mctx-send exited 0 (and printed a summary)."""
        self.assertEqual(proc.returncode, 0,
                         f"mctx-send failed:\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        self.assertIn("summary: ", proc.stdout)
        if count is not None:
            self.assertIn(f"summary: {count} of {count} packets sent", proc.stdout)

    def assertUsageError(self, proc, *needles):
        """Exit status 2, each needle in stderr, nothing reported as sent."""
        self.assertEqual(proc.returncode, 2,
                         f"expected exit status 2:\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        for needle in needles:
            self.assertIn(needle, proc.stderr)
        self.assertTrue(proc.stderr.startswith("mctx-send: "), proc.stderr)
        self.assertNotIn("sent", proc.stdout)


def main():
    require_private_netns()
    # Print every check by name; exit non-zero on any failure.
    unittest.main(verbosity=2)

