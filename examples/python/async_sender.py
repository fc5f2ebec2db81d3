#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""Stream numbered datagrams to a multicast group with asyncio, printing metrics.

    meson devenv -C build /usr/bin/python3 examples/python/async_sender.py --count 100

The mctx module (python/, docs/python.md) without GStreamer: one
Publication driven by an AsyncPublication, a datagram every --interval
milliseconds built in place in one bytearray (send() reads it through the
buffer protocol, no copy), and a metrics line every second from Snapshot
deltas. When the socket buffer is full, `await send()` waits for
writability instead of dropping.

The defaults keep the traffic on this host (239.255.0.1:5000 out of the
loopback interface); as root, run it inside scripts/mctx-netns. Watch it
with a receiver joined on lo, for example:

    build/tests/support/mctx-test-recv --group 239.255.0.1 --port 5000 --interface lo
"""

import argparse
import asyncio
import struct
import sys

import mctx


def metrics_line(label, delta):
    return (f"[{label:<8}] {delta.end.packets_sent:6} packets {delta.end.bytes_sent:9} bytes"
            f" | last {delta.interval:.2f} s: {delta.packets_per_sec:7.1f} pkt/s"
            f" {delta.bytes_per_sec * 8 / 1000:8.1f} kbit/s"
            f" | errors {delta.end.send_errors}, would-block {delta.end.would_block}")


async def report_metrics(pub, every):
    previous = pub.metrics()
    while True:
        await asyncio.sleep(every)
        now = pub.metrics()
        print(metrics_line("interval", now - previous), flush=True)
        previous = now


async def stream(apub, count, interval, size):
    # One buffer for every datagram: a 4-byte sequence number, then filler.
    # The kernel has copied the bytes when send() returns, so the buffer
    # can be rewritten for the next datagram at once.
    buf = bytearray(size)
    loop = asyncio.get_running_loop()
    next_time = loop.time()
    for seq in range(count):
        struct.pack_into("!I", buf, 0, seq)
        report = await apub.send(buf)
        if seq == 0:
            print(f"first datagram: {report.bytes} bytes {report.source} -> "
                  f"{report.destination[0]}:{report.destination[1]}", flush=True)
        next_time += interval
        await asyncio.sleep(max(0.0, next_time - loop.time()))


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", default="239.255.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--interface", default="lo", help="address, name or index")
    parser.add_argument("--source", help="exact source address (default: the interface's)")
    parser.add_argument("--ttl", type=int, default=1)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--interval", type=float, default=10, help="milliseconds")
    parser.add_argument("--size", type=int, default=1000, help="payload bytes (>= 4)")
    args = parser.parse_args()

    interface = int(args.interface) if args.interface.isdigit() else args.interface
    try:
        pub = mctx.Publication(group=args.group, port=args.port, interface=interface,
                               source=args.source, ttl=args.ttl)
    except (mctx.Error, TypeError) as e:
        # e.g. "group '10.0.0.1' is not a multicast address" (group_not_multicast)
        name = f" ({e.name})" if isinstance(e, mctx.Error) else ""
        print(f"async_sender: {e}{name}", file=sys.stderr)
        return 2

    with pub:
        source, group, port = pub.announce_tuple()
        print(f"announce: source {source} group {group} port {port}", flush=True)
        start = pub.metrics()
        reporter = asyncio.create_task(report_metrics(pub, 1.0))
        try:
            await stream(mctx.AsyncPublication(pub), args.count, args.interval / 1000,
                         max(4, args.size))
        except mctx.SendError as e:
            print(f"async_sender: send failed: {e} ({e.name})", file=sys.stderr)
            return 1
        finally:
            reporter.cancel()
        print(metrics_line("final", pub.metrics() - start), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
