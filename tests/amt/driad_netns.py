# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""The namespaces of the DRIAD end-to-end tests (driad_named.py), under
`scripts/mctx-netns --peer2`:

  peer2 ns  (source)   mctx3 198.51.100.2 / fd01::2 sends (S,G) UDP
  main ns   (relay)    mctx2 198.51.100.1 (toward the source), mctx0 192.0.2.1 / fd00::1:
                       amtrelayd, and named
  peer ns   (gateway)  mctx1 192.0.2.2 / fd00::2: the pipeline under test (PyGObject);
                       lan0 10.9.0.1 <-> lan1 10.9.0.2 / fd09::1 <-> fd09::2, the LAN,
                       with an (S,G)-joined receiver on lan1

  driad_netns.py gateway PIPELINE   (run inside the gateway namespace: the
                                     pipeline's bus messages as JSON lines;
                                     'stop' on stdin stops it)
"""
import json
import os
import select
import subprocess
import sys
import tempfile
import time

GROUP4, SOURCE4, PORT = "232.1.1.1", "198.51.100.2", 5000
GROUP6, SOURCE6 = "ff3e::8000:1", "fd01::2"
RELAY4, RELAY6 = "192.0.2.1", "fd00::1"
PY = "/usr/bin/python3"
GATEWAYS = []


def log(*a):
    print(*a, flush=True)


def fail(msg):
    log("FAIL:", msg)
    for gw in GATEWAYS:
        log("gateway messages:", gw.lines[-12:])
    sys.exit(1)


def gateway_helper(desc):
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    pipe = Gst.parse_launch(desc)

    def emit(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    pipe.set_state(Gst.State.PLAYING)
    bus = pipe.get_bus()

    def drain():
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
        if r and sys.stdin.readline().strip() in ("stop", ""):
            t0 = time.monotonic()
            pipe.set_state(Gst.State.READY)  # the bus of a NULL pipeline drops messages
            took = time.monotonic() - t0
            drain()
            pipe.set_state(Gst.State.NULL)
            emit({"stopped": took})
            return 0
        drain()


class Proc:
    """A child whose stdout lines are read as JSON with a deadline."""

    def __init__(self, argv, env=None, stdin=True):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else None,
                                  stdout=subprocess.PIPE, env=env, text=True)
        self.lines = []
        self.pending = b""

    def read(self, timeout):
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
            if not select.select([fd], [], [], left)[0]:
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
    subprocess.run((ns(netns) if netns else []) + ["sh", "-ec", cmd], check=True)


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
    sh("ip route add 232.0.0.0/8 dev mctx2 2>/dev/null || true; "
       "ip -6 route add ff3e::/16 dev mctx2 2>/dev/null || true")


class Relay:
    """amtrelayd for the length of a `with` block."""

    def __init__(self, relayd, v6=False):
        args = [relayd, "-d", "-c", "mctx2"]
        if v6:
            args += ["-n", "inet6", "-l", "inet6", "-a", RELAY6, "-r", RELAY6]
        else:
            args += ["-a", RELAY4, "-r", RELAY4]
        logf = open(os.path.join(tempfile.gettempdir(), "amtrelayd-%d.log" % os.getpid()), "a")
        self.p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT)
        time.sleep(0.5)
        if self.p.poll() is not None:
            fail("amtrelayd exited at once (status %s), see %s" % (self.p.returncode, logf.name))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.p.kill()
        self.p.wait()


def start_gateway(plugin_dir, pipeline):
    env = dict(os.environ)
    env["GST_PLUGIN_PATH_1_0"] = plugin_dir
    env["GST_REGISTRY_FORK"] = "no"
    env["GST_REGISTRY"] = os.path.join(tempfile.gettempdir(), "driad-reg-%d.bin" % os.getpid())
    gw = Proc(ns("MCTX_PEER_NETNS") + [PY, os.path.abspath(__file__), "gateway", pipeline],
              env=env)
    GATEWAYS[:] = [gw]
    return gw


def datagram_pipeline(relay, group, source):
    return ("amtsrc name=amt relay-address=%s group=%s source-address=%s output=datagram "
            "metrics-interval=0 ! mctxsink raw-mode=true interface=lan0 stats-interval=0" %
            (relay, group, source))


def state_is(state):
    return lambda o: o.get("element", "").startswith("amt-state") and \
        ("state=(string)%s" % state) in o["element"]


def wait_joined(gw, timeout):
    if gw.wait_for(state_is("joined"), timeout) is None:
        fail("the gateway did not reach state joined within %d s" % timeout)
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


def payload(i):
    return b"amt-%06d-" % i + bytes((i + k) & 0xff for k in range(200 + i % 700))


RECEIVER = r"""
import json, socket, struct, sys
v6 = sys.argv[1] == "6"; group, source, port, wait = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
if v6:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lan1")
    s.bind((group, port))
    sa = lambda a: (struct.pack("=H", socket.AF_INET6) + bytes(6) + socket.inet_pton(socket.AF_INET6, a) + bytes(4)).ljust(128, b"\0")
    gsr = struct.pack("=I4x", socket.if_nametoindex("lan1")) + sa(group) + sa(source)
    s.setsockopt(socket.IPPROTO_IPV6, 46, gsr)  # MCAST_JOIN_SOURCE_GROUP
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lan1")
    s.bind((group, port))
    mreq = socket.inet_aton(group) + socket.inet_aton("10.9.0.2") + socket.inet_aton(source)
    s.setsockopt(socket.IPPROTO_IP, 39, mreq)  # IP_ADD_SOURCE_MEMBERSHIP
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
print(json.dumps({"ready": True}), flush=True)
s.settimeout(wait)
got = []
while True:
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
v6 = sys.argv[1] == "6"; group, port, first, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
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
    time.sleep(0.005)
"""


def receiver(v6=False):
    r = Proc(ns("MCTX_PEER_NETNS") + [PY, "-c", RECEIVER, "6" if v6 else "4",
                                      GROUP6 if v6 else GROUP4, SOURCE6 if v6 else SOURCE4,
                                      str(PORT), "3"], stdin=False)
    if r.wait_for(lambda o: "ready" in o, 5) is None:
        fail("the LAN receiver did not start")
    return r


def send_stream(first, count, v6=False):
    subprocess.run(ns("MCTX_PEER2_NETNS") + [PY, "-c", SENDER, "6" if v6 else "4",
                                             GROUP6 if v6 else GROUP4, str(PORT), str(first),
                                             str(count)], check=True)


def check_lan(rx, first, count, v6=False):
    """Every datagram first..first+count-1 reached the LAN receiver byte for
    byte, from the original source address and port."""
    done = rx.wait_for(lambda o: "done" in o, 60)
    rx.kill()
    src = SOURCE6 if v6 else SOURCE4
    seen = set()
    for o in rx.lines:
        if "data" not in o:
            continue
        data = bytes.fromhex(o["data"])
        i = int(data[4:10])
        if data != payload(i):
            fail("datagram %d differs from what the source sent" % i)
        if o["addr"] != src or o["port"] != 4000:
            fail("datagram %d from %s:%s, expected %s:4000" % (i, o["addr"], o["port"], src))
        seen.add(i)
    want = set(range(first, first + count))
    if not want <= seen:
        fail("LAN receiver missed %d of %d datagrams (done=%s)" % (len(want - seen), count, done))
    return len(seen & want)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "gateway":
        sys.exit(gateway_helper(sys.argv[2]))
    print(__doc__)
    sys.exit(2)
