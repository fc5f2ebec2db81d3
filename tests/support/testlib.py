# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""Helpers shared by the Python tests (tests/tools, tests/python,
tests/faults; stdlib only): the namespace checks of scripts/mctx-netns,
entering the peer namespace, shell commands there, and waiting for a
condition rather than pausing for a guessed time.

meson puts tests/support on PYTHONPATH for every Python test.
"""

import ctypes
import os
import subprocess
import sys
import threading
import time

CLONE_NEWNET = 0x40000000
PEER_NETNS = os.environ.get("MCTX_PEER_NETNS", "")

_libc = ctypes.CDLL(None, use_errno=True)


def require_netns(peer=False):
    """Exit 77 (meson: skipped) unless inside scripts/mctx-netns (with
    --peer when `peer`), so that nothing these tests send leaves the host."""
    if os.environ.get("MCTX_NETNS") != "1" or (peer and not PEER_NETNS):
        how = "scripts/mctx-netns --peer" if peer else "scripts/mctx-netns"
        print(f"SKIP: run through {how} (a private network namespace)")
        sys.exit(77)


def enter_netns(path):
    """Moves the calling thread into the network namespace at `path`;
    sockets it makes afterwards belong there."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns into {path}: {os.strerror(err)}")
    finally:
        os.close(fd)


def in_peer(fn):
    """Runs fn() on a thread that entered the peer namespace; sockets it
    makes stay there. Returns fn's result, raises its exception."""
    out = {}

    def run():
        try:
            enter_netns(PEER_NETNS)
            out["value"] = fn()
        except BaseException as e:  # handed to the caller
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def sh(cmd, peer=False):
    """Runs a shell command here, or in the peer namespace; raises on failure."""
    if peer:
        cmd = f"nsenter --net={PEER_NETNS} -- sh -ec '{cmd}'"
    subprocess.run(cmd, shell=True, check=True)


def wait_until(predicate, timeout, step=0.01):
    """Calls predicate() every `step` seconds until it is true (returns
    True) or `timeout` seconds pass (returns its last answer)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return bool(predicate())
        time.sleep(step)
    return True
