# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""Helpers of the mctx Python module's tests (stdlib only).

The tests run inside scripts/mctx-netns --peer: the sender in the first
namespace (mctx0, 192.0.2.1 / fd00::1), receivers in the peer namespace
(mctx1), so every datagram really crosses the veth link. They refuse to run
anywhere else (exit 77, skipped), so nothing can leave the machine.
"""

import socket
import struct
import subprocess
import threading
import time

import testlib

IP_RECVTTL = 12  # not exported by Python's socket module
IP_TTL = 2
IP_TOS = 1


def require_peer_netns():
    """Exit 77 (meson: skipped) unless inside scripts/mctx-netns --peer."""
    testlib.require_netns(peer=True)


in_peer = testlib.in_peer


def tc(*args):
    """tc on this (the sender's) namespace; raises with tc's message."""
    r = subprocess.run(["tc", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"tc {' '.join(args)}: {r.stderr.strip()}")


class Datagram:
    def __init__(self, data, sender, ttl=None, tos=None):
        self.data = data
        self.sender = sender  # (address, port)
        self.ttl = ttl        # TTL / hop limit, when reported
        self.tos = tos        # TOS / traffic class, when reported


class Receiver:
    """A UDP socket in the peer namespace, bound to the group's port and
    joined to the group on mctx1, read by a thread."""

    def __init__(self, group, port):
        self.family = socket.AF_INET6 if ":" in group else socket.AF_INET
        self.sock = in_peer(lambda: self._open(group, port))
        self.sock.settimeout(0.1)
        self.datagrams = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _open(self, group, port):
        ifindex = socket.if_nametoindex("mctx1")
        s = socket.socket(self.family, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        if self.family == socket.AF_INET:
            s.bind((group, port))
            mreqn = struct.pack("4s4si", socket.inet_aton(group), socket.inet_aton("0.0.0.0"),
                                ifindex)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
            s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
        else:
            s.bind(("::", port))
            mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", ifindex)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
        return s

    def _run(self):
        while not self._stop.is_set():
            try:
                data, anc, _flags, sender = self.sock.recvmsg(65536, 256)
            except socket.timeout:
                continue
            except OSError:
                return
            ttl = tos = None
            for level, kind, value in anc:
                if (level, kind) in ((socket.IPPROTO_IP, IP_TTL),
                                     (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT)):
                    ttl = struct.unpack("@i", value[:4])[0]
                elif (level, kind) == (socket.IPPROTO_IP, IP_TOS):
                    tos = value[0]
                elif (level, kind) == (socket.IPPROTO_IPV6, socket.IPV6_TCLASS):
                    tos = struct.unpack("@i", value[:4])[0]
            with self._cond:
                self.datagrams.append(Datagram(data, sender[:2], ttl, tos))
                self._cond.notify_all()

    def wait_for(self, count, timeout=10.0):
        """Waits until `count` datagrams arrived (or timeout), then for a
        short quiet time so that extra datagrams would be seen too."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.datagrams) < count and time.monotonic() < deadline:
                self._cond.wait(0.05)
        time.sleep(0.2)  # the quiet time itself: nothing to wait for
        with self._cond:
            return list(self.datagrams)

    def payloads(self, count, timeout=10.0):
        return [d.data for d in self.wait_for(count, timeout)]

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()
