# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""mctx.AsyncPublication under backpressure, and its cancellation.

Runs inside scripts/mctx-netns --peer. The egress of mctx0 is shaped with a
token bucket (tc tbf) and the publication has a small SO_SNDBUF, so the
kernel really refuses datagrams (EAGAIN) while every datagram the sender
hands over still crosses the link: the receiver in the peer namespace must
get every one, in order.
"""

import asyncio
import errno
import time
import unittest

from mctxtest import Receiver, require_peer_netns, tc

require_peer_netns()

import mctx  # noqa: E402

PAYLOAD = 1000


def datagram(stream, seq):
    head = b"%s:%05d:" % (stream, seq)
    return head + bytes(PAYLOAD - len(head))


class Shaped(unittest.IsolatedAsyncioTestCase):
    RATE = "2mbit"
    LATENCY = "1s"  # with the rate, sets the queue limit: it must hold SO_SNDBUF's worth

    def setUp(self):
        tc("qdisc", "replace", "dev", "mctx0", "root", "tbf", "rate", self.RATE, "burst", "3000",
           "latency", self.LATENCY)
        self.addCleanup(tc, "qdisc", "del", "dev", "mctx0", "root")

    def open(self, group, port):
        rx = Receiver(group, port)
        self.addCleanup(rx.close)
        pub = mctx.Publication(group=group, port=port, interface="mctx0", send_buffer_size=4096)
        self.addCleanup(pub.close)
        return rx, pub


class BackpressureTest(Shaped):
    async def test_sender_loses_nothing(self):
        rx, pub = self.open("239.20.0.1", 6401)
        apub = mctx.AsyncPublication(pub)
        count = 600  # 600 kB at 2 Mbit/s: about 2.5 s of backpressure
        ticks = 0
        done = asyncio.Event()

        async def ticker():  # the loop keeps running while the sender waits
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        tick_task = asyncio.create_task(ticker())
        started = time.monotonic()
        for seq in range(count):
            report = await apub.send(datagram(b"a", seq))
            self.assertEqual(report.bytes, PAYLOAD)
        elapsed = time.monotonic() - started
        done.set()
        await tick_task

        got = await asyncio.to_thread(rx.payloads, count, 20)
        self.assertEqual(len(got), count)
        self.assertEqual(got, [datagram(b"a", i) for i in range(count)])
        m = pub.metrics()
        self.assertEqual((m.packets_sent, m.send_errors), (count, 0))
        self.assertGreater(m.would_block, 0, "the shaped link never pushed back")
        self.assertGreater(elapsed, 1.0, "sent faster than the shaped link carries")
        self.assertGreater(ticks, 20)
        print(f"{count} datagrams in {elapsed:.2f} s, would-block {m.would_block}, "
              f"ticks {ticks}")

    async def test_concurrent_senders_keep_their_order(self):
        rx, pub = self.open("239.20.0.2", 6402)
        apub = mctx.AsyncPublication(pub)

        async def producer(stream, n):
            for seq in range(n):
                await apub.send(datagram(stream, seq))

        await asyncio.gather(producer(b"x", 150), producer(b"y", 150), producer(b"z", 150))
        got = await asyncio.to_thread(rx.payloads, 450, 20)
        self.assertEqual(len(got), 450)
        for stream in (b"x", b"y", b"z"):
            self.assertEqual([d for d in got if d.startswith(stream)],
                             [datagram(stream, i) for i in range(150)])
        self.assertGreater(pub.metrics().would_block, 0)

    async def test_send_batch_waits_and_resubmits(self):
        rx, pub = self.open("239.20.0.3", 6403)
        apub = mctx.AsyncPublication(pub)
        batch = [datagram(b"b", i) for i in range(300)]
        report = await apub.send_batch(batch)
        self.assertIsInstance(report, mctx.BatchReport)
        self.assertEqual((report.sent, report.bytes, report.error), (300, 300 * PAYLOAD, None))
        self.assertEqual(await asyncio.to_thread(rx.payloads, 300, 20), batch)
        m = pub.metrics()
        self.assertEqual((m.packets_sent, m.send_errors), (300, 0))
        self.assertGreater(m.would_block, 0)

    async def test_sync_send_raises_would_block(self):
        rx, pub = self.open("239.20.0.4", 6404)
        sent = 0
        with self.assertRaises(mctx.WouldBlock) as cm:
            for _ in range(10000):
                pub.send(datagram(b"w", sent))
                sent += 1
        e = cm.exception
        self.assertIsInstance(e, BlockingIOError)
        self.assertIsInstance(e, mctx.SendError)
        self.assertTrue(e.would_block)
        self.assertFalse(e.fatal)
        self.assertEqual((e.code, e.errno), (mctx.Errc.would_block, errno.EAGAIN))
        self.assertGreater(sent, 0)
        self.assertEqual(pub.metrics().would_block, 1)
        got = await asyncio.to_thread(rx.payloads, sent)
        self.assertEqual(got, [datagram(b"w", i) for i in range(sent)])


class CancelTest(Shaped):
    # 2 kB/s: a full buffer stays full for half a second per datagram, long
    # enough for the checks below even on a loaded machine.
    RATE = "16kbit"
    LATENCY = "5s"

    async def fill(self, pub):
        """Sends until the kernel refuses; returns what was sent."""
        sent = []
        while True:
            d = datagram(b"f", len(sent))
            try:
                pub.send(d)
            except mctx.WouldBlock:
                return sent
            sent.append(d)

    async def wait_until(self, predicate):
        for _ in range(1000):
            if predicate():
                return
            await asyncio.sleep(0)
        self.fail("condition never became true")

    async def test_cancel_a_waiting_send(self):
        rx, pub = self.open("239.20.1.1", 6501)
        apub = mctx.AsyncPublication(pub)
        loop = asyncio.get_running_loop()
        filled = await self.fill(pub)

        waiting = asyncio.create_task(apub.send(b"cancelled while waiting"))
        queued = asyncio.create_task(apub.send(b"cancelled while queued"))
        await self.wait_until(lambda: apub.waiting)
        await asyncio.sleep(0)
        self.assertFalse(queued.done())
        queued.cancel()
        waiting.cancel()
        for task in (waiting, queued):
            with self.assertRaises(asyncio.CancelledError):
                await task
        self.assertFalse(apub.waiting)
        # The writer is gone: nothing is left registered on the descriptor.
        self.assertFalse(loop.remove_writer(pub.fileno()))

        # The publication is still usable, and the next send waits its turn.
        report = await apub.send(b"after")
        self.assertEqual(report.bytes, 5)
        got = await asyncio.to_thread(rx.payloads, len(filled) + 1)
        self.assertEqual(got, filled + [b"after"])

    async def test_timeout_cancels_cleanly(self):
        rx, pub = self.open("239.20.1.2", 6502)
        apub = mctx.AsyncPublication(pub)
        loop = asyncio.get_running_loop()
        filled = await self.fill(pub)
        with self.assertRaises(asyncio.TimeoutError):
            await asyncio.wait_for(apub.send(b"too late"), timeout=0.001)
        self.assertFalse(apub.waiting)
        self.assertFalse(loop.remove_writer(pub.fileno()))
        await apub.send(b"in time")
        got = await asyncio.to_thread(rx.payloads, len(filled) + 1)
        self.assertEqual(got, filled + [b"in time"])


class CloseTest(Shaped):
    """close() while a send waits for writability: the wait ends with
    PublicationClosed at once, and nothing stays registered on the loop."""
    RATE = CancelTest.RATE
    LATENCY = CancelTest.LATENCY
    fill = CancelTest.fill
    wait_until = CancelTest.wait_until

    async def check_close_ends_the_wait(self, group, port, batch, close):
        rx, pub = self.open(group, port)
        apub = mctx.AsyncPublication(pub)
        loop = asyncio.get_running_loop()
        filled = await self.fill(pub)
        fd = pub.fileno()
        if batch:
            waiting = asyncio.create_task(apub.send_batch([b"closed while waiting", b"x"]))
        else:
            waiting = asyncio.create_task(apub.send(b"closed while waiting"))
        queued = asyncio.create_task(apub.send(b"closed while queued"))
        await self.wait_until(lambda: apub.waiting)
        started = time.monotonic()
        await close(pub)
        if batch:
            report = await asyncio.wait_for(waiting, timeout=2)
            self.assertEqual(report.sent, 0)
            self.assertIsInstance(report.error, mctx.PublicationClosed)
        else:
            with self.assertRaises(mctx.PublicationClosed):
                await asyncio.wait_for(waiting, timeout=2)
        with self.assertRaises(mctx.PublicationClosed):
            await asyncio.wait_for(queued, timeout=2)
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertFalse(apub.waiting)
        # The writer was removed before the descriptor was closed.
        self.assertFalse(loop.remove_writer(fd))
        # The final metrics stay readable.
        self.assertEqual(pub.metrics().packets_sent, len(filled))
        with self.assertRaises(mctx.PublicationClosed):
            await apub.send(b"after close")

    async def test_close_ends_a_waiting_send(self):
        async def close(pub):
            pub.close()
        await self.check_close_ends_the_wait("239.20.1.3", 6503, False, close)

    async def test_close_ends_a_waiting_send_batch(self):
        async def close(pub):
            pub.close()
        await self.check_close_ends_the_wait("239.20.1.4", 6504, True, close)

    async def test_close_from_another_thread_ends_a_waiting_send(self):
        async def close(pub):
            await asyncio.to_thread(pub.close)
        await self.check_close_ends_the_wait("239.20.1.5", 6505, False, close)

    async def test_context_remove_ends_a_waiting_send(self):
        ctx = mctx.Context()
        rx = Receiver("239.20.1.6", 6506)
        self.addCleanup(rx.close)
        pub = ctx.add(group="239.20.1.6", port=6506, interface="mctx0", send_buffer_size=4096)
        apub = mctx.AsyncPublication(pub)
        await self.fill(pub)
        waiting = asyncio.create_task(apub.send(b"removed while waiting"))
        await self.wait_until(lambda: apub.waiting)
        self.assertTrue(ctx.remove(pub))
        with self.assertRaises(mctx.PublicationClosed):
            await asyncio.wait_for(waiting, timeout=2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
