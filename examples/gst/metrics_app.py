#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""Send RTP audio with mctxsink from Python; print its mctx-metrics messages and property.

    GST_PLUGIN_PATH=build/gst /usr/bin/python3 examples/gst/metrics_app.py --seconds 3

Needs python3-gi and gir1.2-gstreamer-1.0 (Debian). The defaults keep the
traffic on this host (239.255.0.1:5004 out of the loopback interface, given
by its address 127.0.0.1, ttl 0); as root, run it inside
scripts/mctx-netns so nothing can leave the machine.
"""

import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def metrics_line(s):
    def u64(name):
        return s.get_uint64(name)[1]

    def dbl(name):
        return s.get_double(name)[1]

    return (f"[{s.get_string('reason'):<8}] {s.get_string('group')}:{s.get_uint('port')[1]}"
            f"  {u64('packets-sent'):6} packets {u64('bytes-sent'):9} bytes"
            f" | last {u64('interval') / Gst.SECOND:.2f} s: {dbl('packets-per-second'):7.1f} pkt/s"
            f" {dbl('bytes-per-second') * 8 / 1000:8.1f} kbit/s"
            f" | errors {u64('send-errors')}, would-block {u64('would-block')},"
            f" dropped {u64('dropped')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", default="239.255.0.1")
    parser.add_argument("--port", type=int, default=5004)
    parser.add_argument("--interface", default="127.0.0.1", help="address, name or index")
    parser.add_argument("--ttl", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--stats-interval", type=int, default=1000, help="milliseconds")
    args = parser.parse_args()

    Gst.init(None)
    pipeline = Gst.Pipeline.new("sender")
    src = Gst.ElementFactory.make("audiotestsrc")
    conv = Gst.ElementFactory.make("audioconvert")
    caps = Gst.ElementFactory.make("capsfilter")
    pay = Gst.ElementFactory.make("rtpL16pay")
    sink = Gst.ElementFactory.make("mctxsink")
    if sink is None:
        sys.exit("mctxsink not found: put the build's gst/ directory on GST_PLUGIN_PATH")
    src.set_property("num-buffers", args.seconds * 100)
    src.set_property("samplesperbuffer", 480)
    caps.set_property("caps", Gst.Caps.from_string("audio/x-raw,format=S16BE,rate=48000,channels=1"))
    sink.set_property("group", args.group)
    sink.set_property("port", args.port)
    sink.set_property("interface", args.interface)
    sink.set_property("ttl", args.ttl)
    sink.set_property("stats-interval", args.stats_interval)
    for e in (src, conv, caps, pay, sink):
        pipeline.add(e)
    src.link(conv)
    conv.link(caps)
    caps.link(pay)
    pay.link(sink)

    loop = GLib.MainLoop()
    status = 0

    def on_message(_bus, msg):
        nonlocal status
        s = msg.get_structure()
        if msg.type == Gst.MessageType.ELEMENT and s is not None and s.get_name() == "mctx-metrics":
            print(metrics_line(s), flush=True)
        elif msg.type == Gst.MessageType.WARNING:
            print("warning:", msg.parse_warning()[0].message, file=sys.stderr)
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print(f"error: {err.message}\n  ({debug})", file=sys.stderr)
            status = 1
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()
        return True

    bus = pipeline.get_bus()
    bus.add_watch(GLib.PRIORITY_DEFAULT, on_message)
    print(f"sending {args.seconds} s of RTP audio to {args.group}:{args.port} via "
          f"{args.interface} (ttl {args.ttl})")
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    # The metrics property: the same fields at any time (reason "query").
    print(metrics_line(sink.get_property("metrics")), flush=True)
    pipeline.set_state(Gst.State.NULL)
    return status


if __name__ == "__main__":
    sys.exit(main())
