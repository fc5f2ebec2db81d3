# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""mctxsink through PyGObject.

Runs inside scripts/mctx-netns (IPv4 on lo): builds pipelines with
Gst.ElementFactory.make("mctxsink"), receives with a plain multicast socket
and checks the mctx-metrics messages read from the bus against what the
socket received; changes the destinations of a playing sink with the add /
remove signals and reads one with get-metrics.
"""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import testlib

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)


class Receiver:
    """A socket joined to an IPv4 group on one interface, read by a thread."""

    def __init__(self, group, port, ifname="lo"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((group, port))
        mreqn = struct.pack("4s4si", socket.inet_aton(group), socket.inet_aton("0.0.0.0"),
                            socket.if_nametoindex(ifname))
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
        self.sock.settimeout(0.2)
        self.datagrams = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                data, sender = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            self.datagrams.append((data, sender))

    def wait_idle(self, idle=0.5):
        """Returns once nothing arrived for `idle` seconds."""
        last = -1
        while True:
            count = len(self.datagrams)
            if count == last:
                break
            last = count
            time.sleep(idle)  # the quiet time that says the stream has ended
        self._stop.set()
        self._thread.join()
        self.sock.close()
        return self.datagrams


def make(factory, **props):
    element = Gst.ElementFactory.make(factory, None)
    if element is None:
        raise RuntimeError(f"element {factory} not found")
    for name, value in props.items():
        element.set_property(name.replace("_", "-"), value)
    return element


def metrics_of(message):
    s = message.get_structure()
    if message.type != Gst.MessageType.ELEMENT or s is None or s.get_name() != "mctx-metrics":
        return None
    out = {"reason": s.get_string("reason"), "group": s.get_string("group"),
           "mode": s.get_string("mode")}
    for field in ("packets-sent", "bytes-sent", "send-calls", "send-errors", "would-block",
                  "dropped", "interval"):
        ok, value = s.get_uint64(field)
        assert ok, f"field {field} missing"
        out[field] = value
    for field in ("packets-per-second", "bytes-per-second"):
        ok, value = s.get_double(field)
        assert ok, f"field {field} missing"
        out[field] = value
    return out


class MctxSinkTest(unittest.TestCase):

    def test_factory_and_defaults(self):
        sink = make("mctxsink")
        self.assertEqual(sink.get_factory().get_metadata("klass"), "Sink/Network")
        self.assertIsNone(sink.get_property("group"))
        self.assertEqual(sink.get_property("port"), 5004)
        self.assertEqual(sink.get_property("ttl"), 1)
        self.assertEqual(sink.get_property("dscp"), -1)
        self.assertEqual(sink.get_property("stats-interval"), 1000)
        metrics = sink.get_property("metrics")
        self.assertEqual(metrics.get_name(), "mctx-metrics")
        self.assertEqual(metrics.get_uint64("packets-sent"), (True, 0))
        # GstBaseSink's own stats property is GstBaseSink's, not replaced.
        stats_spec = sink.find_property("stats")
        self.assertEqual(stats_spec.owner_type.name, "GstBaseSink")
        self.assertEqual(sink.get_property("stats").get_name(), "application/x-gst-base-sink-stats")

    def test_bad_group_fails_with_clear_message(self):
        pipeline = Gst.Pipeline.new(None)
        src = make("fakesrc", num_buffers=1)
        sink = make("mctxsink", group="192.168.1.5")
        pipeline.add(src)
        pipeline.add(sink)
        src.link(sink)
        self.assertEqual(pipeline.set_state(Gst.State.PAUSED), Gst.StateChangeReturn.FAILURE)
        msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
        self.assertIsNotNone(msg)
        err, _debug = msg.parse_error()
        self.assertIn("group '192.168.1.5' is not a multicast address", err.message)
        pipeline.set_state(Gst.State.NULL)

    def test_metrics_on_the_bus_match_the_receiver(self):
        group, port, buffers = "239.1.2.7", 5004, 40
        rx = Receiver(group, port)

        pipeline = Gst.Pipeline.new(None)
        src = make("audiotestsrc", num_buffers=buffers, samplesperbuffer=480)
        conv = make("audioconvert")
        caps = make("capsfilter", caps=Gst.Caps.from_string(
            "audio/x-raw,format=S16BE,rate=48000,channels=1,layout=interleaved"))
        pay = make("rtpL16pay")
        sink = make("mctxsink", group=group, port=port, interface="127.0.0.1", ttl=0,
                    stats_interval=100)
        for e in (src, conv, caps, pay, sink):
            pipeline.add(e)
        self.assertTrue(src.link(conv) and conv.link(caps) and caps.link(pay) and pay.link(sink))

        bus = pipeline.get_bus()
        self.assertNotEqual(pipeline.set_state(Gst.State.PLAYING), Gst.StateChangeReturn.FAILURE)
        metrics = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            msg = bus.timed_pop(Gst.SECOND)
            if msg is None:
                continue
            if msg.type == Gst.MessageType.ERROR:
                self.fail("pipeline error: %s" % msg.parse_error()[0].message)
            m = metrics_of(msg)
            if m is not None:
                metrics.append(m)
            if msg.type == Gst.MessageType.EOS:
                break
        else:
            self.fail("no EOS")

        received = rx.wait_idle()
        self.assertEqual(len(received), buffers)
        self.assertTrue(all(sender[0] == "127.0.0.1" for _, sender in received))
        received_bytes = sum(len(d) for d, _ in received)

        # Periodic messages, then the eos one with the totals.
        self.assertGreaterEqual(len(metrics), 3)
        final = metrics[-1]
        self.assertEqual(final["reason"], "eos")
        self.assertEqual(final["group"], group)
        self.assertEqual(final["mode"], "udp")
        self.assertEqual(final["packets-sent"], len(received))
        self.assertEqual(final["bytes-sent"], received_bytes)
        self.assertEqual(final["dropped"], 0)
        self.assertEqual(final["send-errors"], 0)
        periodic = [m for m in metrics if m["reason"] == "interval"]
        self.assertTrue(any(m["packets-per-second"] > 0 for m in periodic))
        sent = [m["packets-sent"] for m in metrics]
        self.assertEqual(sent, sorted(sent), "counters went down")

        # The metrics property says the same while running; zeros after stop.
        self.assertEqual(sink.get_property("metrics").get_uint64("packets-sent"), (True, buffers))
        pipeline.set_state(Gst.State.NULL)
        self.assertEqual(sink.get_property("metrics").get_uint64("packets-sent"), (True, 0))

    def test_metrics_file_matches_the_receivers_and_is_drawn(self):
        """metrics-file with two destinations: the last rows hold what each
        receiver got; mctx-plot (MCTX_PLOT, with matplotlib) draws the file."""
        buffers = 30
        rx_a = Receiver("239.1.2.8", 5004)
        rx_b = Receiver("239.1.2.9", 5006)
        tmp = tempfile.TemporaryDirectory(prefix="mctx-sink-metrics-")
        self.addCleanup(tmp.cleanup)
        os.mkdir(os.path.join(tmp.name, "studio-a"))
        path = os.path.join(tmp.name, "studio-a", "network.jsonl")
        pipeline = Gst.parse_launch(
            f"audiotestsrc num-buffers={buffers} samplesperbuffer=480 ! audioconvert ! "
            "audio/x-raw,format=S16BE,rate=48000,channels=1 ! rtpL16pay ! "
            "mctxsink name=sink group=239.1.2.8 port=5004 interface=lo ttl=0 "
            f"stats-interval=100 metrics-file={path} "
            "destinations=<\"mctx://239.1.2.9:5006?interface=lo&ttl=0\">")
        self.assertNotEqual(pipeline.set_state(Gst.State.PLAYING), Gst.StateChangeReturn.FAILURE)
        msg = pipeline.get_bus().timed_pop_filtered(20 * Gst.SECOND,
                                                    Gst.MessageType.EOS | Gst.MessageType.ERROR)
        self.assertIsNotNone(msg, "no EOS")
        self.assertEqual(msg.type, Gst.MessageType.EOS)
        pipeline.set_state(Gst.State.NULL)  # the final rows; the file is closed
        got_a, got_b = rx_a.wait_idle(), rx_b.wait_idle()
        self.assertEqual(len(got_a), buffers)
        self.assertEqual(len(got_b), buffers)

        with open(path) as f:
            lines = f.read().splitlines()
        header = json.loads(lines[0])
        self.assertEqual(header["producer"], "mctx/mctxsink")
        self.assertEqual(header["node_id"], "studio-a")
        rows = [json.loads(line) for line in lines[1:]]
        self.assertGreaterEqual(len(rows), 6, "fewer than two intervals")
        last = {r["destination"]: r for r in rows[-3:]}
        self.assertEqual(sorted(last), ["239.1.2.8:5004", "239.1.2.9:5006", "total"])
        self.assertEqual(last["239.1.2.8:5004"]["packets_sent_total"], len(got_a))
        self.assertEqual(last["239.1.2.8:5004"]["bytes_sent_total"], sum(len(d) for d, _ in got_a))
        self.assertEqual(last["239.1.2.9:5006"]["packets_sent_total"], len(got_b))
        self.assertEqual(last["total"]["packets_sent_total"], 2 * buffers)

        plot = os.environ.get("MCTX_PLOT", "")
        if not plot or subprocess.run(["/usr/bin/python3", "-c", "import matplotlib"],
                                      capture_output=True).returncode != 0:
            print("mctx-plot or python3-matplotlib missing: the file is not drawn")
            return
        png = os.path.join(tmp.name, "network.png")
        r = subprocess.run(["/usr/bin/python3", plot, path, "-o", png], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_destinations_changed_while_playing(self):
        """add / get-metrics / remove from Python while PLAYING, checked by receivers."""
        a_group, b_group, port = "239.1.2.8", "239.1.2.9", 5004
        b_uri = f"mctx://{b_group}:{port}?interface=lo"
        rx_a, rx_b = Receiver(a_group, port), Receiver(b_group, port)

        pipeline = Gst.Pipeline.new(None)
        src = make("audiotestsrc", is_live=True, samplesperbuffer=480)
        sink = make("mctxsink", group=a_group, port=port, interface="lo", stats_interval=0)
        for e in (src, sink):
            pipeline.add(e)
        self.assertTrue(src.link(sink))
        bus = pipeline.get_bus()
        self.assertNotEqual(pipeline.set_state(Gst.State.PLAYING), Gst.StateChangeReturn.FAILURE)

        def packets(structure):
            return structure.get_uint64("packets-sent")[1]

        def wait_until(predicate, what):
            if not testlib.wait_until(predicate, 10, step=0.02):
                self.fail("timed out waiting for " + what)

        wait_until(lambda: packets(sink.get_property("metrics")) >= 5, "the first buffers")
        self.assertIsNone(sink.emit("get-metrics", b_uri))
        self.assertTrue(sink.emit("add", b_uri))
        self.assertFalse(sink.emit("add", b_uri), "a second add of the same URI")
        warning = bus.timed_pop_filtered(5 * Gst.SECOND, Gst.MessageType.WARNING)
        self.assertIsNotNone(warning)
        self.assertIn(f"add '{b_uri}': already a destination", warning.parse_warning()[0].message)
        # Read back with the keys written differently: the same destination.
        m = sink.emit("get-metrics", f"mctx://{b_group}?interface=lo")
        self.assertIsNotNone(m)
        self.assertEqual(m.get_name(), "mctx-destination")
        self.assertEqual(m.get_string("uri"), b_uri)
        self.assertIn(m.get_string("state"), ("sending", "waiting"))
        wait_until(lambda: packets(sink.emit("get-metrics", b_uri)) >= 10, "the added destination")

        self.assertTrue(sink.emit("remove", b_uri))
        self.assertIsNone(sink.emit("get-metrics", b_uri))
        self.assertFalse(sink.emit("remove", b_uri), "a second remove")
        warning = bus.timed_pop_filtered(5 * Gst.SECOND, Gst.MessageType.WARNING)
        self.assertIsNotNone(warning)
        self.assertIn(f"remove '{b_uri}': not one of the destinations",
                      warning.parse_warning()[0].message)
        # A bad URI: FALSE and a warning naming it.
        self.assertFalse(sink.emit("add", "mctx://239.1.2.10:5004?ttl=999"))
        warning = bus.timed_pop_filtered(5 * Gst.SECOND, Gst.MessageType.WARNING)
        self.assertIsNotNone(warning)
        text = warning.parse_warning()[0].message
        self.assertIn("add 'mctx://239.1.2.10:5004?ttl=999'", text)
        self.assertIn("'ttl'", text)
        # Buffers keep going, to the first destination only.
        after_remove = packets(sink.get_property("metrics"))
        wait_until(lambda: packets(sink.get_property("metrics")) >= after_remove + 5,
                   "buffers after the remove")

        # The final totals: the "stop" message, posted at PAUSED->READY.
        pipeline.set_state(Gst.State.READY)
        final = None
        while final is None:
            msg = bus.timed_pop_filtered(5 * Gst.SECOND, Gst.MessageType.ELEMENT)
            self.assertIsNotNone(msg, "no mctx-metrics stop message")
            s = msg.get_structure()
            if s.get_name() == "mctx-metrics" and s.get_string("reason") == "stop":
                final = s
        pipeline.set_state(Gst.State.NULL)
        received_a, received_b = rx_a.wait_idle(), rx_b.wait_idle()
        self.assertGreaterEqual(len(received_b), 10)
        self.assertGreater(len(received_a), len(received_b))
        # Totals over both destinations, the removed one's counts kept:
        # pushed = received.
        self.assertEqual(final.get_uint("destination-count"), (True, 1))
        self.assertEqual(packets(final), len(received_a) + len(received_b))
        self.assertEqual(final.get_uint64("dropped"), (True, 0))

    def test_uri(self):
        sink = Gst.Element.make_from_uri(
            Gst.URIType.SINK, "mctx://[ff3e::8000:1234]:5004?source=fd00::10&ttl=4", None)
        self.assertEqual(sink.get_property("group"), "ff3e::8000:1234")
        self.assertEqual(sink.get_property("source-address"), "fd00::10")
        self.assertEqual(sink.get_property("ttl"), 4)
        self.assertEqual(sink.get_uri(), "mctx://[ff3e::8000:1234]:5004?source=fd00::10&ttl=4")
        with self.assertRaises(gi.repository.GLib.Error) as ctx:
            Gst.Element.make_from_uri(Gst.URIType.SINK, "mctx://239.1.2.3:5004?ttl=999", None)
        self.assertIn("'ttl'", str(ctx.exception))
        self.assertIn("'999'", str(ctx.exception))


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
