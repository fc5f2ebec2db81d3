# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""The mctx Python module (libmctx-core bindings): synchronous sends.

Runs inside scripts/mctx-netns --peer with /usr/bin/python3 and the build
tree's package on PYTHONPATH. Every delivery is proved by a socket joined
to the group in the peer namespace.
"""

import errno
import os
import socket
import subprocess
import sys
import threading
import time
import unittest

from mctxtest import Receiver, require_peer_netns

require_peer_netns()

import mctx  # noqa: E402

V4 = "192.0.2.1"
V6 = "fd00::1"


class SendTest(unittest.TestCase):
    def test_send_delivers_and_reports(self):
        rx = Receiver("239.10.0.1", 6001)
        self.addCleanup(rx.close)
        with mctx.Publication(group="239.10.0.1", port=6001, interface="mctx0", ttl=7,
                              dscp=46) as pub:
            report = pub.send(b"hello")
            self.assertIsInstance(report, mctx.SendReport)
            self.assertEqual(report.bytes, 5)
            self.assertEqual(report.source, V4)
            self.assertEqual(report.destination, ("239.10.0.1", 6001))
            self.assertEqual(report.local, (V4, pub.local[1]))
            self.assertNotEqual(report.local[1], 0)
            self.assertEqual(report.publication_id, pub.id)
            got = rx.wait_for(1)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0].data, b"hello")
        self.assertEqual(got[0].sender, report.local)
        self.assertEqual(got[0].ttl, 7)          # ttl= reached the wire
        self.assertEqual(got[0].tos, 46 << 2)    # dscp= in the upper six TOS bits

    def test_source_port_and_bind(self):
        rx = Receiver("239.10.0.2", 6002)
        self.addCleanup(rx.close)
        a = mctx.Publication(group="239.10.0.2", port=6002, source=V4, source_port=7002)
        b = mctx.Publication(group="239.10.0.2", port=6002, bind=(V4, 7003), interface="mctx0")
        c = mctx.Publication(group="239.10.0.2", port=6002, bind=f"{V4}:7004",
                             interface=socket.if_nametoindex("mctx0"))
        for p in (a, b, c):
            self.addCleanup(p.close)
            p.send(b"x%d" % p.local[1])
        got = {d.sender: d.data for d in rx.wait_for(3)}
        self.assertEqual(got, {(V4, 7002): b"x7002", (V4, 7003): b"x7003", (V4, 7004): b"x7004"})

    def test_announce_tuple(self):
        pub = mctx.Publication(group="232.1.2.3", port=6003, source=V4)
        self.addCleanup(pub.close)
        t = pub.announce_tuple()
        self.assertIsInstance(t, mctx.AnnounceTuple)
        self.assertEqual(t, (V4, "232.1.2.3", 6003))
        self.assertEqual((t.source, t.group, t.port), (V4, "232.1.2.3", 6003))

    def test_ipv6_over_the_veth(self):
        rx = Receiver("ff3e::8000:1", 6004)
        self.addCleanup(rx.close)
        pub = mctx.Publication(group="ff3e::8000:1", port=6004, interface="mctx0", ttl=3,
                               dscp=10)
        self.addCleanup(pub.close)
        report = pub.send(b"over ipv6")
        batch = pub.send_batch([b"six-1", b"six-2"])
        self.assertEqual((batch.sent, batch.bytes, batch.error), (2, 10, None))
        self.assertEqual(report.destination, ("ff3e::8000:1", 6004))
        self.assertEqual(report.source, V6)
        got = rx.wait_for(3)
        self.assertEqual([d.data for d in got], [b"over ipv6", b"six-1", b"six-2"])
        self.assertEqual(got[0].sender, (V6, report.local[1]))
        self.assertEqual(got[0].ttl, 3)
        self.assertEqual(got[0].tos, 10 << 2)
        self.assertEqual(pub.interface_index, socket.if_nametoindex("mctx0"))

    def test_ipv6_link_local_group_keeps_the_scope(self):
        rx = Receiver("ff02::1:6005", 6005)
        self.addCleanup(rx.close)
        pub = mctx.Publication(group="ff02::1:6005", port=6005, interface="mctx0")
        self.addCleanup(pub.close)
        index = socket.if_nametoindex("mctx0")
        self.assertEqual(pub.destination, (f"ff02::1:6005%{index}", 6005))
        pub.send(b"link-local")
        self.assertEqual(rx.payloads(1), [b"link-local"])


class BatchAndBuffersTest(unittest.TestCase):
    def setUp(self):
        self.rx = Receiver("239.10.1.1", 6101)
        self.addCleanup(self.rx.close)
        self.pub = mctx.Publication(group="239.10.1.1", port=6101, interface="mctx0")
        self.addCleanup(self.pub.close)

    def test_send_batch_in_order_with_gather(self):
        header = bytearray(b"HDR:")
        datagrams = [b"one", bytearray(b"two"), memoryview(b"three"), (header, b"four"),
                     [b"fi", memoryview(b"ve")]]
        report = self.pub.send_batch(datagrams)
        self.assertIsInstance(report, mctx.BatchReport)
        self.assertEqual(report.sent, 5)
        self.assertEqual(report.bytes, 3 + 3 + 5 + 8 + 4)
        self.assertIsNone(report.error)
        self.assertEqual(report.publication_id, self.pub.id)
        self.assertEqual(self.rx.payloads(5), [b"one", b"two", b"three", b"HDR:four", b"five"])
        self.assertEqual(self.pub.send_batch([]).sent, 0)

    def test_many_datagrams_in_one_batch(self):
        datagrams = [b"%04d" % i for i in range(300)]  # more than one sendmmsg (64)
        report = self.pub.send_batch(iter(datagrams))
        self.assertEqual((report.sent, report.bytes, report.error), (300, 1200, None))
        self.assertEqual(self.rx.payloads(300), datagrams)
        m = self.pub.metrics()
        self.assertEqual((m.send_calls, m.packets_sent, m.bytes_sent), (1, 300, 1200))

    def test_memoryview_and_bytearray_slices(self):
        buf = bytearray(range(256)) * 8
        view = memoryview(buf)
        self.pub.send(view[100:1100])
        self.pub.send(buf)
        self.pub.send(memoryview(b"abcdef")[2:4])
        import array
        self.pub.send(array.array("I", [1, 2, 3]))
        got = self.rx.payloads(4)
        self.assertEqual(got, [bytes(buf[100:1100]), bytes(buf), b"cd",
                               array.array("I", [1, 2, 3]).tobytes()])

    def test_buffer_is_not_copied(self):
        # The datagram's bytes lie in a page that userspace may not read
        # (PROT_NONE). Handed straight to send(2), the kernel refuses them
        # with EFAULT; any copy in userspace would die with SIGSEGV instead.
        # In a child process, so that a crash is a clean failure.
        code = r"""
import ctypes, mmap, errno, mctx
m = mmap.mmap(-1, mmap.PAGESIZE)
m[:5] = b"hello"
pub = mctx.Publication(group="239.10.1.1", port=6101, interface="mctx0")
print("sent", pub.send(m[:5]).bytes, flush=True)  # readable: a normal send
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
assert libc.mprotect(addr, mmap.PAGESIZE, 0) == 0, ctypes.get_errno()
for f in (lambda: pub.send(m), lambda: pub.send(memoryview(m)[:100])):
    try:
        f()
        print("sent unreadable memory?")
    except mctx.SendError as e:
        print("refused", e.name, e.errno == errno.EFAULT, flush=True)
r = pub.send_batch([m, b"x"])
print("batch", r.sent, r.error.name, r.error.errno == errno.EFAULT, flush=True)
"""
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "sent 5", "refused send_failed True", "refused send_failed True",
            "batch 0 send_failed True"])
        self.assertEqual(self.rx.payloads(1), [b"hello"])

    def test_the_buffer_is_held_during_the_send(self):
        # While a send holds the view, the bytearray cannot be resized;
        # after it, it can.
        buf = bytearray(b"resizable")
        self.pub.send(buf)
        buf += b" again"
        self.pub.send(buf)
        self.assertEqual(self.rx.payloads(2), [b"resizable", b"resizable again"])

    def test_non_buffers_are_refused(self):
        with self.assertRaisesRegex(TypeError, "^send: a bytes-like object is required, not 'str'"):
            self.pub.send("text")
        strided = memoryview(bytearray(b"abcdef"))[::2]
        with self.assertRaisesRegex(TypeError, "^send: .*not C-contiguous"):
            self.pub.send(strided)
        with self.assertRaisesRegex(TypeError, "^send_batch: datagram 1 is int, not a bytes-like"):
            self.pub.send_batch([b"ok", 5])
        with self.assertRaisesRegex(TypeError, "^send_batch: datagrams must be an iterable"):
            self.pub.send_batch(5)
        # Nothing of a refused batch went out.
        self.pub.send(b"end")
        self.assertEqual(self.rx.payloads(1), [b"end"])


class ErrorsTest(unittest.TestCase):
    def check(self, cls, code, message, **kwargs):
        with self.assertRaises(cls) as cm:
            mctx.Publication(**kwargs)
        e = cm.exception
        self.assertIsInstance(e, mctx.Error)
        self.assertEqual(e.code, code)
        self.assertEqual(e.name, code.name)
        self.assertEqual(e.message, message)
        self.assertEqual(str(e), message)
        return e

    def test_rules_with_code_and_message(self):
        E = mctx.Errc
        base = dict(group="239.10.2.1", port=6201)
        cases = [
            (E.group_not_multicast, "group '10.0.0.1' is not a multicast address",
             dict(group="10.0.0.1", port=5000)),
            (E.invalid_address, "group: 'nonsense' is not an IPv4 or IPv6 address",
             dict(group="nonsense", port=5000)),
            (E.destination_port_zero, "destination port 0 is not allowed", dict(base, port=0)),
            (E.invalid_endpoint, "port 70000 is out of range: a UDP port is 0..65535",
             dict(base, port=70000)),
            (E.invalid_ttl, "ttl 300 is out of range: a TTL / hop limit is 0..255",
             dict(base, ttl=300)),
            (E.invalid_ttl, "ttl 99999999999 is out of range: a TTL / hop limit is 0..255",
             dict(base, ttl=99999999999)),
            (E.invalid_dscp, "dscp 64 is out of range: DSCP is 0..63", dict(base, dscp=64)),
            (E.interface_not_found, "interface 'nosuch0' does not exist",
             dict(base, interface="nosuch0")),
            (E.source_family_mismatch,
             "source address 'fd00::1' is IPv6 but group '239.10.2.1' is IPv4",
             dict(base, source=V6)),
            (E.source_port_zero,
             "source port 0 is not allowed (leave the source port unset for an ephemeral port)",
             dict(base, source_port=0)),
            (E.bind_conflicts_with_source,
             "bind address '192.0.2.2' differs from source address '192.0.2.1'",
             dict(base, source=V4, bind=("192.0.2.2", 0))),
            (E.invalid_endpoint, "^bind: endpoint '192.0.2.1' ", dict(base, bind=V4)),
            (E.scoped_group_needs_interface, None, dict(group="ff02::1:2", port=5000)),
        ]
        for code, message, kwargs in cases:
            with self.subTest(code=code.name, kwargs=kwargs):
                with self.assertRaises(mctx.ConfigError) as cm:
                    mctx.Publication(**kwargs)
                e = cm.exception
                self.assertIsInstance(e, ValueError)
                self.assertEqual(e.code, code)
                self.assertEqual(e.errno, 0)
                if message is not None and message.startswith("^"):
                    self.assertRegex(e.message, message)
                elif message is not None:
                    self.assertEqual(e.message, message)

    def test_no_route_says_to_name_the_interface(self):
        # No route covers 239.0.0.0/8 in this namespace: the kernel answers
        # ENETUNREACH, and the message says what to do.
        with self.assertRaises(mctx.SetupError) as cm:
            mctx.Publication(group="239.10.2.9", port=6209)
        e = cm.exception
        self.assertEqual((e.code, e.errno), (mctx.Errc.connect_failed, errno.ENETUNREACH))
        self.assertEqual(e.message, "connecting to 239.10.2.9:6209: " +
                         os.strerror(errno.ENETUNREACH) + " (no route to the destination: if no "
                         "interface is named, name the one to send on: the element property "
                         "interface, mctx-send --interface, Python interface=)")

    def test_embedded_nul_is_refused(self):
        # The text past a NUL was cut off: group="239.1.1.1\0garbage" sent to 239.1.1.1.
        E = mctx.Errc
        cases = [
            ("group", E.invalid_address, dict(group="239.10.2.1\0garbage", port=6201)),
            ("source", E.invalid_address,
             dict(group="239.10.2.1", port=6201, source=V4 + "\0junk")),
            ("interface", E.invalid_interface,
             dict(group="239.10.2.1", port=6201, interface="mctx0\0x")),
            ("bind", E.invalid_endpoint,
             dict(group="239.10.2.1", port=6201, bind=V4 + ":0\0x")),
            ("bind address", E.invalid_address,
             dict(group="239.10.2.1", port=6201, bind=(V4 + "\0x", 0))),
        ]
        for name, code, kwargs in cases:
            with self.subTest(name=name):
                with self.assertRaises(mctx.ConfigError) as cm:
                    mctx.Publication(**kwargs)
                e = cm.exception
                self.assertIsInstance(e, ValueError)
                self.assertEqual(e.code, code)
                value = kwargs[name] if name in kwargs else kwargs["bind"][0]
                self.assertEqual(e.message, f"{name} {value!r} contains a NUL character "
                                            "('\\x00'): text arguments must not contain one")

    def test_source_not_local_names_the_value(self):
        e = self.check(mctx.ConfigError, mctx.Errc.source_not_local,
                       "source address '192.0.2.99' is not configured on any interface",
                       group="239.10.2.1", port=6201, source="192.0.2.99")
        self.assertIn("192.0.2.99", repr(e))

    def test_keyword_types(self):
        cases = [
            (dict(group="239.10.2.1", port="6201"), "port must be an int, not str"),
            (dict(group=239, port=6201), "group must be a str, not int"),
            (dict(group="239.10.2.1", port=6201, loopback=1), "loopback must be a bool, not int"),
            (dict(group="239.10.2.1", port=6201, interface=1.5),
             "interface must be a str (address or name) or an int (index), not float"),
            (dict(group="239.10.2.1", port=6201, bind=[V4, 1]),
             "bind must be a str 'ADDRESS:PORT' or a tuple (address, port), not list"),
            (dict(group="239.10.2.1", port=6201, grup="x"),
             "Publication() got an unknown keyword argument 'grup' (known: group, port, "
             "source, source_port, interface, bind, ttl, loopback, dscp, send_buffer_size)"),
            (dict(group="239.10.2.1"), "Publication() needs the keyword argument 'port'"),
        ]
        for kwargs, message in cases:
            with self.subTest(kwargs=kwargs):
                with self.assertRaises(TypeError) as cm:
                    mctx.Publication(**kwargs)
                self.assertEqual(str(cm.exception), message)
        with self.assertRaisesRegex(TypeError, "takes keyword arguments only"):
            mctx.Publication("239.10.2.1", 6201)

    def test_setup_error_is_an_oserror_with_errno(self):
        first = mctx.Publication(group="239.10.2.2", port=6202, source=V4, source_port=7202)
        self.addCleanup(first.close)
        with self.assertRaises(mctx.SetupError) as cm:
            mctx.Publication(group="239.10.2.3", port=6202, source=V4, source_port=7202)
        e = cm.exception
        self.assertIsInstance(e, OSError)
        self.assertEqual(e.code, mctx.Errc.bind_failed)
        self.assertEqual(e.errno, errno.EADDRINUSE)
        self.assertEqual(e.message, "binding to 192.0.2.1:7202 for group 239.10.2.3:6202: "
                                    + os.strerror(errno.EADDRINUSE))

    def test_closed_publication(self):
        pub = mctx.Publication(group="239.10.2.4", port=6204, interface="mctx0")
        pub.send(b"before close")
        pub.close()
        # The metrics as they were when it closed.
        m = pub.metrics()
        self.assertEqual((m.packets_sent, m.bytes_sent, m.send_errors), (1, 12, 0))
        self.assertTrue(pub.closed)
        with self.assertRaises(mctx.PublicationClosed) as cm:
            pub.send(b"x")
        e = cm.exception
        self.assertIsInstance(e, mctx.SendError)
        self.assertTrue(e.fatal)
        self.assertFalse(e.would_block)
        self.assertEqual(e.code, mctx.Errc.publication_closed)
        self.assertRegex(e.message, r"^publication \d+ is closed")
        report = pub.send_batch([b"x"])
        self.assertEqual(report.sent, 0)
        self.assertIsInstance(report.error, mctx.PublicationClosed)
        with self.assertRaises(mctx.PublicationClosed):
            pub.fileno()
        pub.close()  # again: nothing happens

    def test_message_too_long(self):
        pub = mctx.Publication(group="239.10.2.5", port=6205, interface="mctx0")
        self.addCleanup(pub.close)
        with self.assertRaises(mctx.SendError) as cm:
            pub.send(bytes(70000))
        self.assertEqual(cm.exception.code, mctx.Errc.message_too_long)
        self.assertEqual(cm.exception.errno, errno.EMSGSIZE)
        self.assertEqual(pub.metrics().send_errors, 1)


class ContextAndMetricsTest(unittest.TestCase):
    def test_context_send_all_and_totals(self):
        groups = ["239.10.3.1", "239.10.3.2", "239.10.3.3"]
        rxs = [Receiver(g, 6301) for g in groups]
        for rx in rxs:
            self.addCleanup(rx.close)
        ctx = mctx.Context()
        pubs = [ctx.add(group=g, port=6301, interface="mctx0") for g in groups]
        self.assertEqual(len(ctx), 3)
        self.assertEqual(set(ctx.publications()), set(pubs))
        start = ctx.snapshot()

        report = ctx.send_all(b"to all")
        self.assertEqual((report.attempted, report.succeeded, report.bytes), (3, 3, 18))
        self.assertIsNone(report.first_error)
        self.assertIsNone(report.first_failed_id)
        pubs[0].send(b"first only")                 # through a handle: counted in the totals
        ctx.send(pubs[1].id, b"second only")        # by id
        batch = pubs[2].send_batch([b"b1", b"b2"])  # a batch: one call
        self.assertEqual(batch.sent, 2)

        end = ctx.snapshot()
        self.assertEqual(end.active_publications, 3)
        self.assertEqual(end.publications_added, 3)
        self.assertEqual(end.packets_sent, 3 + 1 + 1 + 2)
        self.assertEqual(end.bytes_sent, 18 + 10 + 11 + 4)
        self.assertEqual(end.send_calls, 3 + 1 + 1 + 1)
        self.assertEqual((end.send_errors, end.would_block), (0, 0))
        self.assertEqual((end.queue_full, end.unreachable), (0, 0))
        self.assertLessEqual(end.gso_sends, 1)  # at most the one batch went out segmented
        delta = end - start
        self.assertIsInstance(delta, mctx.Delta)
        self.assertEqual(delta.packets_sent, 7)
        self.assertGreater(delta.interval, 0)
        self.assertAlmostEqual(delta.packets_per_sec, 7 / delta.interval, delta=0.01)
        self.assertEqual(delta.to_dict()["bytes_sent"], 43)
        self.assertEqual(end.to_dict()["packets_sent"], 7)
        self.assertGreater(end.wall_time, 1.7e9)

        m = pubs[2].metrics()
        self.assertEqual((m.send_calls, m.packets_sent, m.bytes_sent), (2, 3, 10))
        self.assertEqual(m.active_publications, 1)
        # Bit rates: payload, and at the IP level with 28 header bytes per
        # IPv4 datagram (a publication's snapshot knows its family; a
        # context's is told).
        self.assertEqual((m.datagram_overhead, m.outages), (28, 0))
        self.assertEqual(delta.payload_bits_per_sec, delta.bytes_per_sec * 8)
        self.assertEqual(delta.ip_bits_per_sec, delta.payload_bits_per_sec)
        end.datagram_overhead = 28
        delta = end - start
        self.assertAlmostEqual(delta.ip_bits_per_sec, (43 + 7 * 28) * 8 / delta.interval,
                               delta=0.01)
        self.assertEqual(delta.to_dict()["ip_bits_per_sec"], delta.ip_bits_per_sec)

        self.assertEqual([rx.payloads(n) for rx, n in zip(rxs, (2, 2, 3))],
                         [[b"to all", b"first only"], [b"to all", b"second only"],
                          [b"to all", b"b1", b"b2"]])

        # Removing closes; handles of a removed publication report it.
        self.assertTrue(ctx.remove(pubs[0]))
        self.assertFalse(ctx.remove(pubs[0].id))
        self.assertTrue(pubs[0].closed)
        with self.assertRaises(mctx.PublicationClosed):
            pubs[0].send(b"gone")
        self.assertIsNone(ctx.get(pubs[0].id))
        self.assertEqual(ctx.get(pubs[1].id), pubs[1])
        pubs[2].close()
        self.assertEqual(len(ctx), 1)
        final = ctx.snapshot()
        self.assertEqual((final.active_publications, final.publications_removed), (1, 2))
        self.assertEqual(final.packets_sent, 7)  # totals never go down

    def test_context_errors(self):
        ctx = mctx.Context()
        pub = ctx.add(group="239.10.3.9", port=6309, interface="mctx0", source_port=7309)
        with self.assertRaises(mctx.ContextError) as cm:
            ctx.add(group="239.10.3.9", port=6309, interface="mctx0", source_port=7309, ttl=9)
        self.assertEqual(cm.exception.code, mctx.Errc.duplicate_publication)
        self.assertEqual(cm.exception.message,
                         "publication (group 239.10.3.9:6309, source port 7309, interface mctx0) "
                         f"duplicates publication {pub.id}")
        other = mctx.Publication(group="239.10.3.8", port=6309, interface="mctx0")
        self.addCleanup(other.close)
        with self.assertRaises(mctx.ContextError) as cm:
            ctx.send(other, b"x")
        self.assertEqual(cm.exception.code, mctx.Errc.publication_not_found)
        self.assertEqual(cm.exception.message,
                         f"publication {other.id} does not belong to this context")
        with self.assertRaises(mctx.ContextError) as cm:
            ctx.send(123456789, b"x")
        self.assertEqual(cm.exception.message, "publication 123456789 is not in this context")
        with self.assertRaisesRegex(TypeError, "Context.add\\(\\) needs the keyword argument 'group'"):
            ctx.add(port=5000)

    def test_threads_send_concurrently_and_close_waits(self):
        rx = Receiver("239.10.3.5", 6305)
        self.addCleanup(rx.close)
        ctx = mctx.Context()
        pub = ctx.add(group="239.10.3.5", port=6305, interface="mctx0",
                      send_buffer_size=1 << 20)

        def sender(tag):
            for i in range(250):
                while True:
                    try:
                        pub.send(b"%s%03d" % (tag, i))
                        break
                    except mctx.WouldBlock:
                        time.sleep(0.001)  # back off until the socket drains

        threads = [threading.Thread(target=sender, args=(t,)) for t in (b"a", b"b", b"c", b"d")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = rx.payloads(1000, timeout=20)
        self.assertEqual(len(got), 1000)
        for tag in (b"a", b"b", b"c", b"d"):
            self.assertEqual([d for d in got if d[:1] == tag], [b"%s%03d" % (tag, i)
                                                                 for i in range(250)])
        self.assertEqual(ctx.snapshot().packets_sent, 1000)

        # A thread sending in a loop while another removes the publication:
        # the removal waits for the running send, then sends fail cleanly.
        outcome = []
        sending = threading.Event()

        def until_closed():
            n = 0
            while True:
                try:
                    pub.send(b"loop")
                    n += 1
                    sending.set()
                except mctx.WouldBlock:
                    time.sleep(0.0005)  # back off until the socket drains
                except mctx.PublicationClosed as e:
                    outcome.append((n, e.code))
                    return

        t = threading.Thread(target=until_closed)
        t.start()
        self.assertTrue(sending.wait(5), "the sending thread sent nothing")
        self.assertTrue(ctx.remove(pub))
        t.join(5)
        self.assertFalse(t.is_alive())
        self.assertEqual(len(outcome), 1)
        self.assertGreater(outcome[0][0], 0)
        self.assertEqual(outcome[0][1], mctx.Errc.publication_closed)

    def test_errc_matches_the_core(self):
        self.assertEqual(mctx.Errc.would_block, 110)
        self.assertEqual(mctx.Errc.group_not_multicast, 21)
        self.assertTrue(issubclass(mctx.WouldBlock, BlockingIOError))
        self.assertTrue(issubclass(mctx.ConfigError, ValueError))
        self.assertTrue(mctx.__version__)


if __name__ == "__main__":
    unittest.main(verbosity=2)
