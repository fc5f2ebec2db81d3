# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""asyncio front end of an mctx.Publication.

``await AsyncPublication(pub).send(data)`` sends at once when the kernel
takes the datagram (the coroutine then does not suspend). When the socket
buffer is full (mctx.WouldBlock) it registers ``loop.add_writer`` on the
publication's descriptor, suspends until the descriptor is writable, removes
the writer and sends again. Sends through one AsyncPublication run one at a
time in call order (an asyncio.Lock, which is FIFO), so concurrent
``send()`` tasks keep their datagrams in order and never fight over the
descriptor's writer. Cancelling a waiting send removes the writer and sends
nothing; the publication stays usable. Closing the publication (``close()``,
``Context.remove()``) while a send waits ends the wait: the writer is removed
before the descriptor is closed, and the send raises mctx.PublicationClosed
(``send_batch`` returns a report whose ``error`` is one).

Needs a loop with ``add_writer`` (the default selector loop on Linux).
"""

import asyncio

from ._core import BatchReport
from ._errors import WouldBlock


def _wake(future):
    if not future.done():
        future.set_result(None)


class AsyncPublication:
    """Awaitable sends over a (non-blocking) mctx.Publication."""

    def __init__(self, publication):
        self.publication = publication
        self._lock = asyncio.Lock()
        self._waiting = False

    @property
    def waiting(self):
        """True while a send waits for the descriptor to become writable."""
        return self._waiting

    def fileno(self):
        return self.publication.fileno()

    async def _writable(self):
        loop = asyncio.get_running_loop()
        fd = self.publication.fileno()
        future = loop.create_future()

        def closing():
            # Runs on the thread that closes the publication, before the
            # descriptor is closed: epoll drops a closed descriptor without
            # an event, so the wait would never end.
            try:
                here = asyncio.get_running_loop() is loop
            except RuntimeError:
                here = False
            if here:
                loop.remove_writer(fd)
                _wake(future)
            else:
                loop.call_soon_threadsafe(_wake, future)

        self.publication._on_close(closing)  # PublicationClosed when closed or closing
        loop.add_writer(fd, _wake, future)
        self._waiting = True
        try:
            await future
        finally:
            self._waiting = False
            loop.remove_writer(fd)
            self.publication._cancel_on_close(closing)

    async def send(self, data):
        """Sends one datagram from a bytes-like object; returns an mctx.SendReport.

        Waits for writability as often as the kernel reports a full buffer.
        Other send errors are raised (mctx.SendError)."""
        async with self._lock:
            while True:
                try:
                    return self.publication.send(data)
                except WouldBlock:
                    await self._writable()

    async def send_batch(self, datagrams):
        """Sends every datagram, waiting for writability whenever the kernel's
        buffer is full; returns one mctx.BatchReport for the whole list.

        An error other than would-block ends the batch: the report says how
        many datagrams went out and carries the error (not raised)."""
        datagrams = list(datagrams)
        sent = 0
        sent_bytes = 0
        async with self._lock:
            while True:
                report = self.publication.send_batch(datagrams[sent:] if sent else datagrams)
                sent += report.sent
                sent_bytes += report.bytes
                error = report.error
                if error is None or sent == len(datagrams) or not isinstance(error, WouldBlock):
                    return BatchReport(self.publication.id, sent, sent_bytes, error)
                await self._writable()
