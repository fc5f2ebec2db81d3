#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""amtsrc against the independent relay amtrelayd, in namespaces.

Run under `scripts/mctx-netns --peer2` (this script re-checks):

  peer2 ns  (source)   mctx3 198.51.100.2 / fd01::2 sends (S,G) UDP
  main ns   (relay)    mctx2 198.51.100.1 (toward the source), mctx0 192.0.2.1 / fd00::1
                       amtrelayd -a/-r 192.0.2.1 -c mctx2
  peer ns   (gateway)  mctx1 192.0.2.2 / fd00::2: the pipeline under test;
                       lan0 10.9.0.1 <-> lan1 10.9.0.2 (a veth pair: the LAN),
                       the LAN receiver: an (S,G)-joined UDP socket on lan1

  amtsrc_netns.py AMTRELAYD PLUGIN_DIR CASE
  amtsrc_netns.py gateway PIPELINE     (helper, run inside the gateway ns)

Cases: datagram (a), payload (b), no-relay (c), forged (d), relay-restart
(e), ipv6 (f), tshark (g). Exit 77 (skip) when a tool is missing.
"""
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77
GROUP4, SOURCE4, PORT = "232.1.1.1", "198.51.100.2", 5000
GROUP6, SOURCE6 = "ff3e::8000:1", "fd01::2"
RELAY4, RELAY6 = "192.0.2.1", "fd00::1"
FORGER4 = "192.0.2.3"
PY = "/usr/bin/python3"


def log(*a):
    print(*a, flush=True)


CURRENT_GATEWAY = []


def fail(msg):
    log("FAIL:", msg)
    gateways = list(CURRENT_GATEWAY)
    CURRENT_GATEWAY.clear()  # a failing query below must not come back here
    for gw in gateways:  # what the gateway saw, for the log
        if gw.p.poll() is None:
            try:
                log("gateway metrics:", metrics(gw))
            except (OSError, SystemExit):
                pass
        log("gateway messages:", [o for o in gw.lines if "buf" not in o and
                                  "mctx-metrics" not in o.get("element", "")][-10:])
    sys.exit(1)


# ---------------------------------------------------------------- helper

def gateway_helper(desc):
    """Runs PIPELINE; prints bus messages and appsink buffers as JSON lines;
    'stop' on stdin stops it (prints the time it took)."""
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstNet", "1.0")
    from gi.repository import Gst, GstNet  # noqa: F401
    Gst.init(None)
    pipe = Gst.parse_launch(desc)
    out = sys.stdout

    def emit(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    sink = pipe.get_by_name("out")
    if sink is not None:
        def on_sample(s):
            sample = s.emit("pull-sample")
            buf = sample.get_buffer()
            ok, info = buf.map(Gst.MapFlags.READ)
            data = bytes(info.data)
            buf.unmap(info)
            meta = GstNet.buffer_get_net_address_meta(buf)
            addr = port = None
            if meta is not None:
                addr = meta.addr.get_address().to_string()
                port = meta.addr.get_port()
            emit({"buf": data.hex(), "addr": addr, "port": port,
                  "pts": buf.pts})
            return Gst.FlowReturn.OK
        sink.set_property("emit-signals", True)
        sink.connect("new-sample", on_sample)
    pipe.set_state(Gst.State.PLAYING)
    bus = pipe.get_bus()

    def drain():
        """Every message on the bus now, as JSON lines."""
        while True:
            msg = bus.pop()
            if msg is None:
                return
            if msg.type == Gst.MessageType.ELEMENT:
                emit({"element": msg.get_structure().to_string()})
            elif msg.type == Gst.MessageType.WARNING:
                err, dbg = msg.parse_warning()
                emit({"warning": err.message, "debug": dbg})
            elif msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                emit({"error": err.message, "debug": dbg})

    while True:
        r, _, _ = select.select([sys.stdin], [], [], 0.05)
        if r:
            line = sys.stdin.readline().strip()
            if line in ("stop", ""):
                t0 = time.monotonic()
                # READY first: the bus of a pipeline in NULL drops messages,
                # and stop (PAUSED -> READY) posts the final ones.
                pipe.set_state(Gst.State.READY)
                took = time.monotonic() - t0
                try:
                    drain()
                    pipe.set_state(Gst.State.NULL)
                    emit({"stopped": took})
                except BrokenPipeError:
                    pass
                return 0
            if line == "metrics":
                src = pipe.get_by_name("amt")
                emit({"metrics": src.get_property("metrics").to_string()})
        drain()


# ------------------------------------------------------------ orchestration

class Proc:
    """A child whose stdout lines are read as JSON with a deadline."""

    def __init__(self, argv, env=None, stdin=True):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else None,
                                  stdout=subprocess.PIPE, env=env, text=True)
        self.lines = []
        self.pending = b""

    def read(self, timeout):
        """The next JSON line, or None after `timeout` s (or at EOF). Reads
        the pipe unbuffered: select() must see every byte not yet taken."""
        end = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while True:
            while b"\n" in self.pending:
                line, self.pending = self.pending.split(b"\n", 1)
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                self.lines.append(obj)
                return obj
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self.pending += chunk

    def wait_for(self, pred, timeout):
        end = time.monotonic() + timeout
        for obj in self.lines:
            if pred(obj):
                return obj
        while time.monotonic() < end:
            obj = self.read(end - time.monotonic())
            if obj is not None and pred(obj):
                return obj
        return None

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


def ns(var):
    return ["nsenter", "--net=" + os.environ[var]]


def sh(cmd, netns=None):
    argv = (ns(netns) if netns else []) + ["sh", "-ec", cmd]
    subprocess.run(argv, check=True)


def setup_lan():
    sh("""ip link add lan0 type veth peer name lan1
          ip link set lan0 multicast on up
          ip link set lan1 multicast on up
          ip addr add 10.9.0.1/24 dev lan0
          ip addr add 10.9.0.2/24 dev lan1
          ip -6 addr add fd09::1/64 dev lan0 nodad
          ip -6 addr add fd09::2/64 dev lan1 nodad
          for i in all default lan0 lan1; do sysctl -qw net.ipv4.conf.$i.rp_filter=0; done""",
       "MCTX_PEER_NETNS")
    # The relay sees the source's group through mctx2.
    sh("ip route add 232.0.0.0/8 dev mctx2 2>/dev/null || true; "
       "ip -6 route add ff3e::/16 dev mctx2 2>/dev/null || true")


def start_relay(relayd, v6=False):
    args = [relayd, "-d", "-c", "mctx2"]
    if v6:
        args += ["-n", "inet6", "-l", "inet6", "-a", RELAY6, "-r", RELAY6]
    else:
        args += ["-a", RELAY4, "-r", RELAY4]
    logf = open(os.path.join(tempfile.gettempdir(), "amtrelayd-%d.log" % os.getpid()), "a")
    p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT)
    time.sleep(0.5)
    if p.poll() is not None:
        fail("amtrelayd exited at once (status %s), see %s" % (p.returncode, logf.name))
    return p


class Relay:
    """amtrelayd for the length of a `with` block."""

    def __init__(self, relayd, v6=False):
        self.relayd, self.v6 = relayd, v6
        self.p = start_relay(relayd, v6)

    def restart(self):
        self.stop()
        time.sleep(1)
        self.p = start_relay(self.relayd, self.v6)

    def stop(self):
        self.p.kill()
        self.p.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_gateway(plugin_dir, pipeline):
    env = dict(os.environ)
    env["GST_PLUGIN_PATH_1_0"] = plugin_dir
    env["GST_REGISTRY_FORK"] = "no"
    env["GST_REGISTRY"] = os.path.join(tempfile.gettempdir(), "amtsrc-reg-%d.bin" % os.getpid())
    gw = Proc(ns("MCTX_PEER_NETNS") + [PY, os.path.abspath(__file__), "gateway", pipeline],
              env=env)
    CURRENT_GATEWAY[:] = [gw]
    return gw


RECEIVER = r"""
import socket, struct, sys, time, json
v6 = sys.argv[1] == "6"; group, source, port, count, wait = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
if v6:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lan1")
    s.bind((group, port))
    idx = socket.if_nametoindex("lan1")
    gsr = struct.pack("=I4x", idx) + (struct.pack("=H", socket.AF_INET6) + struct.pack("!H", 0) + bytes(4) + socket.inet_pton(socket.AF_INET6, group) + bytes(4)).ljust(128, b"\0") + (struct.pack("=H", socket.AF_INET6) + bytes(6) + socket.inet_pton(socket.AF_INET6, source) + bytes(4)).ljust(128, b"\0")
    s.setsockopt(socket.IPPROTO_IPV6, 46, gsr)  # MCAST_JOIN_SOURCE_GROUP
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lan1")
    s.bind((group, port))
    mreq = socket.inet_aton(group) + socket.inet_aton("10.9.0.2") + socket.inet_aton(source)
    s.setsockopt(socket.IPPROTO_IP, 39, mreq)  # IP_ADD_SOURCE_MEMBERSHIP
print(json.dumps({"ready": True}), flush=True)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.settimeout(wait)
got = []  # kept until the end: printing as it comes could block on the pipe
while len(got) < count:
    try:
        data, addr = s.recvfrom(65536)
    except socket.timeout:
        break
    got.append((data, addr))
for data, addr in got:
    print(json.dumps({"data": data.hex(), "addr": addr[0], "port": addr[1]}))
print(json.dumps({"done": len(got)}), flush=True)
"""

SENDER = r"""
import socket, sys, time
v6 = sys.argv[1] == "6"; group, port, first, count, gap = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
if v6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex("mctx3"))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 8)
else:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("198.51.100.2"))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 8)
s.bind(("fd01::2" if v6 else "198.51.100.2", 4000))
for i in range(first, first + count):
    s.sendto(b"amt-%06d-" % i + bytes((i + k) & 0xff for k in range(200 + i % 700)), (group, port))
    time.sleep(gap)
"""


def payload(i):
    return b"amt-%06d-" % i + bytes((i + k) & 0xff for k in range(200 + i % 700))


def send_stream(first, count, gap=0.005, v6=False):
    """The source sends datagrams first..first+count-1 to (S,G)."""
    subprocess.run(ns("MCTX_PEER2_NETNS") + [PY, "-c", SENDER, "6" if v6 else "4",
                                             GROUP6 if v6 else GROUP4, str(PORT), str(first),
                                             str(count), str(gap)], check=True)


def receiver(count, wait, v6=False):
    r = Proc(ns("MCTX_PEER_NETNS") + [PY, "-c", RECEIVER, "6" if v6 else "4",
                                      GROUP6 if v6 else GROUP4, SOURCE6 if v6 else SOURCE4,
                                      str(PORT), str(count), str(wait)], stdin=False)
    if r.wait_for(lambda o: "ready" in o, 5) is None:
        fail("the LAN receiver did not start")
    return r


def state_is(state):
    return lambda o: "element" in o and o["element"].startswith("amt-state") and \
        ("state=(string)%s" % state) in o["element"]


def wait_joined(gw, timeout=15):
    if gw.wait_for(state_is("joined"), timeout) is None:
        fail("the gateway did not reach state joined within %d s: %s" % (timeout, gw.lines[-5:]))
    time.sleep(0.5)  # the relay's upstream join


def stop(gw, within=2.0):
    gw.send("stop")
    o = gw.wait_for(lambda o: "stopped" in o, 10)
    gw.kill()
    if o is None:
        fail("the pipeline did not stop")
    if o["stopped"] > within:
        fail("stopping took %.2f s (limit %.1f s)" % (o["stopped"], within))
    return o["stopped"]


def metrics(gw):
    """The metrics property now (a new answer, not an earlier one)."""
    start = len(gw.lines)
    gw.send("metrics")
    end = time.monotonic() + 10
    while time.monotonic() < end:
        for o in gw.lines[start:]:
            if "metrics" in o:
                return o["metrics"]
        start = len(gw.lines)
        gw.read(end - time.monotonic())
    fail("no answer to the metrics query")


def field(structure, name):
    import re
    m = re.search(r"[ ,]%s=\(guint64\)(\d+)" % re.escape(name), structure)
    return int(m.group(1)) if m else None


def check_lan(rx, first, count, v6=False):
    want = set(range(first, first + count))
    done = rx.wait_for(lambda o: "done" in o, 60)
    got = [o for o in rx.lines if "data" in o]
    rx.kill()
    src = SOURCE6 if v6 else SOURCE4
    seen = set()
    for o in got:
        data = bytes.fromhex(o["data"])
        i = int(data[4:10])
        if data != payload(i):
            fail("datagram %d differs from what the source sent" % i)
        if o["addr"] != src or o["port"] != 4000:
            fail("datagram %d from %s:%s, expected %s:4000" % (i, o["addr"], o["port"], src))
        seen.add(i)
    if not want <= seen:
        fail("LAN receiver missed %d of %d datagrams (done=%s): %s" %
             (len(want - seen), count, done, sorted(want - seen)[:40]))
    return len(seen & want)


def datagram_pipeline(relay, group, source, extra=""):
    return ("amtsrc name=amt relay-address=%s group=%s source-address=%s output=datagram "
            "metrics-interval=0 %s ! mctxsink raw-mode=true interface=lan0 stats-interval=0" %
            (relay, group, source, extra))


def case_datagram(relayd, plugin_dir, v6=False):
    with Relay(relayd, v6) as relay:
        gw = start_gateway(plugin_dir, datagram_pipeline(
            RELAY6 if v6 else RELAY4, GROUP6 if v6 else GROUP4, SOURCE6 if v6 else SOURCE4))
        wait_joined(gw)
        rx = receiver(10**6, 3, v6)
        send_stream(0, 300, v6=v6)
        n = check_lan(rx, 0, 300, v6)
        m = metrics(gw)
        stop(gw)
        log("LAN receiver: %d/300 datagrams byte-identical from the original source; %s" %
            (n, m))
        final = [o["element"] for o in gw.lines
                 if o.get("element", "").startswith("amt-metrics") and "reason=(string)stop" in
                 o["element"]]
        if not final or field(final[-1], "updates-sent") != field(m, "updates-sent") + 1:
            fail("stop did not send the leave (a Membership Update): %s" % final)
        if not any(state_is("stopped")(o) for o in gw.lines):
            fail("no amt-state stopped message")
        if field(m, "datagrams") is None or field(m, "datagrams") < 300:
            fail("metrics: datagrams < 300: %s" % m)


def case_payload(relayd, plugin_dir):
    with Relay(relayd) as relay:
        gw = start_gateway(plugin_dir,
                           "amtsrc name=amt relay-address=%s group=%s source-address=%s port=%d "
                           "! appsink name=out sync=false" % (RELAY4, GROUP4, SOURCE4, PORT))
        wait_joined(gw)
        send_stream(0, 100)
        end = time.monotonic() + 10

        def main_bufs():
            return [o for o in gw.lines if "buf" in o]
        while time.monotonic() < end and len(main_bufs()) < 100:
            gw.read(0.5)
        bufs = main_bufs()
        stop(gw)
        if len(bufs) != 100:
            fail("payload: %d buffers, expected 100" % len(bufs))
        for k, o in enumerate(bufs):
            if bytes.fromhex(o["buf"]) != payload(k):
                fail("payload buffer %d differs from the source's payload" % k)
            if o["addr"] != SOURCE4 or o["port"] != 4000:
                fail("payload buffer %d: GstNetAddressMeta %s:%s, expected %s:4000" %
                     (k, o["addr"], o["port"], SOURCE4))
            if o["pts"] is None or o["pts"] < 0 or o["pts"] > 2**63:
                fail("payload buffer %d: no timestamp" % k)
        log("payload: 100/100 buffers are the source's payloads, meta %s:4000" % SOURCE4)


def case_no_relay(plugin_dir):
    absent = "192.0.2.99"
    t0 = time.monotonic()
    gw = start_gateway(plugin_dir, "amtsrc name=amt relay-address=%s group=%s "
                       "source-address=%s timeout=500000000 metrics-interval=500 ! fakesink" %
                       (absent, GROUP4, SOURCE4))
    w = gw.wait_for(lambda o: "warning" in o, 10)
    if w is None:
        fail("no WARNING within 10 s without a relay: %s" % gw.lines)
    if absent not in w["warning"]:
        fail("the WARNING does not name the relay %s: %s" % (absent, w["warning"]))
    if any("error" in o for o in gw.lines):
        fail("an ERROR without a relay: %s" % gw.lines)
    time.sleep(2)
    warnings = [o for o in gw.lines if "warning" in o]
    took = stop(gw, within=2.0)
    elements = [o["element"] for o in gw.lines if "element" in o]
    timeouts = [e for e in elements if e.startswith("amtsrc-timeout") and
                "timeout=(guint64)500000000" in e]
    periodic = [e for e in elements if e.startswith("amt-metrics") and
                "reason=(string)interval" in e and "state=(string)requesting" in e]
    if len(timeouts) < 4:
        fail("%d amtsrc-timeout messages in %.1f s of silence (timeout 0.5 s)" %
             (len(timeouts), time.monotonic() - t0))
    if len(periodic) < 4:
        fail("%d periodic amt-metrics messages (metrics-interval 500 ms)" % len(periodic))
    if len(warnings) != 1:
        fail("%d WARNINGs, expected one per loss" % len(warnings))
    log("no relay: WARNING after %.1f s: %r; stopped in %.2f s; %d amtsrc-timeout, %d "
        "amt-metrics messages" % (time.monotonic() - t0, w["warning"], took, len(timeouts),
                                  len(periodic)))


def amt_data(inner):
    return b"\x06\x00" + inner


def ipv4_udp(src, dst, sport, dport, body, ttl=8):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, ttl, 17, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    s = sum(struct.unpack("!10H", hdr))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~s & 0xffff) + hdr[12:]
    return hdr + udp


def case_forged(relayd, plugin_dir):
    with Relay(relayd) as relay:
        sh("ip addr add %s/24 dev mctx0" % FORGER4)
        gw = start_gateway(plugin_dir, datagram_pipeline(RELAY4, GROUP4, SOURCE4))
        wait_joined(gw)
        import re
        tunnel = re.search(r"tunnel=\(string\)\"?([0-9.]+):(\d+)", metrics(gw))
        if tunnel is None:
            fail("no tunnel address in the metrics")
        port = int(tunnel.group(2))
        rx = receiver(10**6, 3)
        forged = amt_data(ipv4_udp(SOURCE4, GROUP4, 4000, PORT, b"forged" * 10))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((FORGER4, 2268))
        for _ in range(50):
            s.sendto(forged, ("192.0.2.2", port))
        s.close()
        send_stream(0, 100)
        got = [o for o in rx.lines]
        n = check_lan(rx, 0, 100)
        m = metrics(gw)
        stop(gw)
        if any(bytes.fromhex(o["data"]).startswith(b"forged") for o in got if "data" in o):
            fail("a forged datagram reached the LAN")
        dropped = field(m, "drop-not-from-relay")
        if dropped is None or dropped < 50:
            fail("forged: drop-not-from-relay = %s, expected >= 50: %s" % (dropped, m))
        log("forged: 50 AMT data from %s dropped (drop-not-from-relay=%d), %d genuine delivered"
            % (FORGER4, dropped, n))


def case_relay_restart(relayd, plugin_dir):
    with Relay(relayd) as relay:
        gw = start_gateway(plugin_dir, datagram_pipeline(RELAY4, GROUP4, SOURCE4))
        wait_joined(gw)
        rx = receiver(10**6, 3)
        send_stream(0, 50)
        check_lan(rx, 0, 50)
        before = field(metrics(gw), "datagrams")
        relay.restart()
        # The gateway's next refresh (the relay's query interval) or its
        # retries bring the tunnel back; data resumes without help.
        t0 = time.monotonic()
        first = 1000
        resumed = None
        while time.monotonic() - t0 < 90 and resumed is None:
            send_stream(first, 10, gap=0.05)
            first += 10
            if field(metrics(gw), "datagrams") > before:
                resumed = time.monotonic() - t0
        if resumed is None:
            fail("data did not resume within 90 s of the relay's restart")
        rx = receiver(10**6, 3)
        send_stream(5000, 50)
        check_lan(rx, 5000, 50)
        stop(gw)
        log("relay restart: data resumed %.1f s after the restart" % resumed)


def case_tshark(relayd, plugin_dir):
    for tool in ("tshark", "tcpdump"):
        if shutil.which(tool) is None:
            log("SKIP: %s not installed (apt-get install %s)" % (tool, tool))
            sys.exit(SKIP)
    cap = os.path.join(tempfile.mkdtemp(), "amt.pcap")
    dump = subprocess.Popen(ns("MCTX_PEER_NETNS") + ["tcpdump", "-q", "-i", "mctx1", "-w", cap,
                                                     "udp port 2268"],
                            stderr=subprocess.DEVNULL)
    time.sleep(1)
    try:
        case_datagram(relayd, plugin_dir)
    finally:
        time.sleep(0.5)
        dump.terminate()
        dump.wait()
    out = subprocess.run(["tshark", "-r", cap, "-Y", "amt", "-T", "fields", "-e", "amt.type"],
                         capture_output=True, text=True).stdout.split()
    types = set(int(t) for t in out if t.isdigit())
    want = {3: "Request", 4: "Membership Query", 5: "Membership Update", 6: "Multicast Data"}
    missing = [n for t, n in want.items() if t not in types]
    if missing:
        fail("tshark did not decode: %s (types seen: %s)" % (missing, sorted(types)))
    log("tshark decodes %d AMT messages: types %s" % (len(out), sorted(types)))


def case_props(plugin_dir):
    """Property checks at start (the ERROR names the property, the value and
    the rule) and the amt:// URI handler. Sends nothing."""
    os.environ["GST_PLUGIN_PATH_1_0"] = plugin_dir
    os.environ["GST_REGISTRY_FORK"] = "no"
    os.environ["GST_REGISTRY"] = os.path.join(tempfile.gettempdir(),
                                              "amtsrc-reg-%d.bin" % os.getpid())
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)

    def start_error(**props):
        pipe = Gst.Pipeline()
        src = Gst.ElementFactory.make("amtsrc")
        for k, v in props.items():
            src.set_property(k.replace("_", "-"), v)
        sink = Gst.ElementFactory.make("fakesink")
        pipe.add(src)
        pipe.add(sink)
        src.link(sink)
        pipe.set_state(Gst.State.PLAYING)
        msg = pipe.get_bus().timed_pop_filtered(5 * Gst.SECOND, Gst.MessageType.ERROR)
        pipe.set_state(Gst.State.NULL)
        return msg.parse_error()[0].message if msg else None

    cases = [
        ({"group": ""}, ["group", "not set"]),
        ({"group": "10.1.1.1"}, ["group '10.1.1.1'", "not a multicast address"]),
        ({"group": "232.1.1.999"}, ["group '232.1.1.999'"]),
        ({"group": "232.1.1.1", "source_address": "2001:db8::1"},
         ["source-address '2001:db8::1'", "family"]),
        ({"group": "232.1.1.1", "source_address": "232.2.2.2"},
         ["source-address '232.2.2.2'", "unicast"]),
        ({"group": "232.1.1.1", "relay_address": "no-such-relay.invalid"},
         ["relay-address 'no-such-relay.invalid'"]),
        ({"group": "232.1.1.1", "relay_address": "192.0.2.1", "local_address": "fd00::1"},
         ["local-address 'fd00::1'", "family"]),
        ({"group": "232.1.1.1", "relay_address": "192.0.2.1", "interface": "nosuchif9"},
         ["interface", "'nosuchif9'"]),
    ]
    for props, needles in cases:
        text = start_error(**props)
        if text is None:
            fail("%s: no ERROR" % props)
        for n in needles:
            if n not in text:
                fail("%s: the ERROR %r does not say %r" % (props, text, n))
        log("ok: %s -> %s" % (props, text))

    src = Gst.ElementFactory.make("amtsrc")
    uri = "amt://198.51.100.2@232.1.1.1:5000?relay=192.0.2.1"
    if not src.set_uri(uri):
        fail("set_uri(%s) refused" % uri)
    got = (src.get_property("source-address"), src.get_property("group"),
           src.get_property("port"), src.get_property("relay-address"))
    if got != ("198.51.100.2", "232.1.1.1", 5000, "192.0.2.1") or src.get_uri() != uri:
        fail("URI %s gave %s, %s" % (uri, got, src.get_uri()))
    src6 = Gst.ElementFactory.make("amtsrc")
    uri6 = "amt://[fd01::2]@[ff3e::8000:1]:5000?relay=[fd00::1]"
    if not src6.set_uri(uri6) or src6.get_property("group") != "ff3e::8000:1" or \
            src6.get_property("source-address") != "fd01::2" or \
            src6.get_property("relay-address") != "fd00::1":
        fail("URI %s not taken" % uri6)
    asm = Gst.ElementFactory.make("amtsrc")
    if not asm.set_uri("amt://239.1.2.3") or asm.get_property("source-address") != "":
        fail("amt://239.1.2.3 not taken as (*,G)")
    for bad in ("amt://", "amt://232.1.1.1:0", "amt://232.1.1.1:99999", "amt://x@232.1.1.1",
                "amt://232.1.1.1?foo=1", "udp://232.1.1.1"):
        try:
            ok = Gst.ElementFactory.make("amtsrc").set_uri(bad)
        except gi.repository.GLib.Error as e:
            ok = False
            if bad.startswith("amt:") and bad not in e.message:
                fail("the error for %s does not quote it: %s" % (bad, e.message))
        if ok:
            fail("URI %s accepted" % bad)
    log("ok: URIs (SSM, IPv6 in brackets, ASM, 6 bad ones refused)")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "gateway":
        return gateway_helper(sys.argv[2])
    relayd, plugin_dir, case = sys.argv[1], sys.argv[2], sys.argv[3]
    if "MCTX_PEER2_NETNS" not in os.environ:
        log("SKIP: run under scripts/mctx-netns --peer2")
        return SKIP
    if case == "props":
        case_props(plugin_dir)
        log("PASS", case)
        return 0
    if case not in ("no-relay",) and (not relayd or not os.access(relayd, os.X_OK)):
        log("SKIP: amtrelayd not available (../shared/peers/build-amtrelayd missing or failed)")
        return SKIP
    setup_lan()
    if case == "datagram":
        case_datagram(relayd, plugin_dir)
    elif case == "payload":
        case_payload(relayd, plugin_dir)
    elif case == "no-relay":
        case_no_relay(plugin_dir)
    elif case == "forged":
        case_forged(relayd, plugin_dir)
    elif case == "relay-restart":
        case_relay_restart(relayd, plugin_dir)
    elif case == "ipv6":
        case_datagram(relayd, plugin_dir, v6=True)
    elif case == "tshark":
        case_tshark(relayd, plugin_dir)
    else:
        fail("unknown case %r" % case)
    log("PASS", case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
