#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""DRIAD (RFC 8777) against a real DNS server: bind9's named, in namespaces.

Run under `scripts/mctx-netns --peer2` (the layout of driad_netns.py: the
relay's namespace holds 192.0.2.1, the gateway's 192.0.2.2). This script
re-runs itself in a private mount namespace too, where /etc/resolv.conf is
a bind mount naming the test's server: the code under test uses the
system resolver's default path, unchanged.

  named   in the relay's namespace on 192.0.2.1 (and 127.0.0.1), serving
          reverse zones with AMTRELAY records of every type and precedence
          (zones below), recursion off.

  driad_named.py LOOKUP_EXE PLUGIN_DIR AMTRELAYD CASE

Cases:
  lookup          lookup_amt_relays() (mctx-driad-lookup): order, types,
                  D bits, type-3 names resolved through A/AAAA, type 0,
                  IPv6 nibble names, no record, a REFUSED query.
  amtsrc          amtsrc with an empty relay-address: the best AMTRELAY
                  record names a relay that never answers, so it moves on
                  to the next, amtrelayd (D=0: Relay Discovery to it),
                  joins, and the LAN receiver gets the stream byte for byte.
  amtsrc-ipv6     the same for an IPv6 (S,G), relay fd00::1, D=1 (Requests
                  straight to it, no discovery), MLDv2 over an IPv6 tunnel.
  amtsrc-none     no AMTRELAY record: a WARNING saying so, then discovery
                  at the anycast address; dns-discovery=false: no query.
  amtsrc-stop     the DNS server never answers: the element starts, and
                  stops within a second while the lookup is pending.
Exit 77 (skip) when named (bind9) or amtrelayd is missing.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
DNS = "192.0.2.1"

ZONES = {
    # 203.0.113.10: every relay type and several precedences.
    "113.0.203.in-addr.arpa": """
10 IN AMTRELAY 10 0 1 203.0.113.15
10 IN AMTRELAY 10 1 2 2001:db8::15
10 IN AMTRELAY 5 1 3 relay1.example.net.
10 IN AMTRELAY 20 0 0 .
10 IN AMTRELAY 30 0 3 nowhere.example.net.
""",
    # 198.51.100.2: the source of driad_netns.py. The best relay, 192.0.2.77,
    # does not exist (no answer: the gateway moves on); then amtrelayd on
    # 192.0.2.1 (D=0: discovery first); a third, worse relay by name.
    "100.51.198.in-addr.arpa": """
2 IN AMTRELAY 5 1 1 192.0.2.77
2 IN AMTRELAY 10 0 1 192.0.2.1
2 IN AMTRELAY 200 1 3 relay1.example.net.
""",
    "example.net": """
ns IN A 192.0.2.1
relay1 IN A 203.0.113.21
relay1 IN AAAA 2001:db8::21
""",
    # fd01::2: the IPv6 source of driad_netns.py; amtrelayd on fd00::1,
    # D=1: Requests straight to it.
    "1.0.d.f.ip6.arpa": """
2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN AMTRELAY 10 1 2 fd00::1
""",
    # 2001:db8::7, nibble form.
    "8.b.d.0.1.0.0.2.ip6.arpa": """
7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN AMTRELAY 0 1 2 2001:db8::99
""",
}


def log(*a):
    print(*a, flush=True)


def fail(msg):
    log("FAIL:", msg)
    sys.exit(1)


def start_named(tmp):
    conf = os.path.join(tmp, "named.conf")
    with open(conf, "w") as f:
        f.write('options { directory "%s"; listen-on port 53 { %s; 127.0.0.1; };\n'
                '  listen-on-v6 { none; }; recursion no; pid-file "%s/named.pid";\n'
                '  session-keyfile "%s/session.key"; dnssec-validation no;\n'
                '  allow-query { any; }; };\n' % (tmp, DNS, tmp, tmp))
        for zone, body in ZONES.items():
            path = os.path.join(tmp, zone + ".zone")
            with open(path, "w") as z:
                z.write("$TTL 60\n@ IN SOA ns.example.net. hostmaster.example.net. 1 60 60 600 60\n"
                        "@ IN NS ns.example.net.\n" + body)
            chk = subprocess.run(["named-checkzone", zone, path], capture_output=True, text=True)
            if chk.returncode != 0:
                fail("named-checkzone %s: %s" % (zone, chk.stdout + chk.stderr))
            f.write('zone "%s" { type primary; file "%s"; };\n' % (zone, path))
    logf = open(os.path.join(tmp, "named.log"), "w")
    p = subprocess.Popen(["named", "-g", "-c", conf], stdout=logf, stderr=subprocess.STDOUT)
    # Ready when every zone is loaded and it says "running" (it listens
    # earlier, answering SERVFAIL for zones not loaded yet).
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if p.poll() is not None:
            fail("named exited (status %s): %s" % (p.returncode, open(logf.name).read()[-2000:]))
        text = open(logf.name).read()
        if "all zones loaded" in text and "running" in text.split("all zones loaded", 1)[1]:
            return p
        time.sleep(0.1)
    fail("named did not report 'all zones loaded' and 'running' within 20 s: %s" %
         open(logf.name).read()[-2000:])


def use_resolver(tmp, nameserver, options="options timeout:2 attempts:2"):
    """/etc/resolv.conf in this mount namespace: a bind mount."""
    path = os.path.join(tmp, "resolv-%s.conf" % nameserver)
    with open(path, "w") as f:
        f.write("nameserver %s\n%s\n" % (nameserver, options))
    subprocess.run(["umount", "/etc/resolv.conf"], stderr=subprocess.DEVNULL)
    subprocess.run(["mount", "--bind", path, "/etc/resolv.conf"], check=True)


# ------------------------------------------------------------------ cases

def case_lookup(exe):
    out = subprocess.run([exe, "203.0.113.10", "198.51.100.2", "2001:db8::7", "203.0.113.99",
                          "10.1.2.3"], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        fail("mctx-driad-lookup: status %d: %s" % (out.returncode, out.stderr))
    res = {}
    for line in out.stdout.splitlines():
        o = json.loads(line)
        res[o["source"]] = o
        log(line)
    # 203.0.113.10: precedence 5 (name), the two of precedence 10 in either
    # order, 30 (a name that does not resolve); type 0 is not a candidate.
    a = res["203.0.113.10"]
    if a.get("query") != "10.113.0.203.in-addr.arpa." or a.get("records") != 5:
        fail("203.0.113.10: query/records: %s" % a)
    if not a["no_relay"] or a["skipped"]:
        fail("203.0.113.10: no_relay/skipped: %s" % a)
    recs = [r["record"] for r in a["relays"]]
    if len(recs) != 4 or recs[0] != "5 1 3 relay1.example.net." or \
            set(recs[1:3]) != {"10 0 1 203.0.113.15", "10 1 2 2001:db8::15"} or \
            recs[3] != "30 0 3 nowhere.example.net.":
        fail("203.0.113.10: order %s" % recs)
    if set(a["relays"][0]["addresses"]) != {"203.0.113.21", "2001:db8::21"}:
        fail("relay1.example.net. resolved to %s" % a["relays"][0]["addresses"])
    if a["relays"][3]["addresses"] or "nowhere.example.net." not in a["relays"][3]["problem"]:
        fail("nowhere.example.net.: %s" % a["relays"][3])
    b = res["198.51.100.2"]
    if [r["record"] for r in b["relays"]] != ["5 1 1 192.0.2.77", "10 0 1 192.0.2.1",
                                              "200 1 3 relay1.example.net."]:
        fail("198.51.100.2: %s" % b)
    c = res["2001:db8::7"]
    if c.get("query") != "7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2." \
            "ip6.arpa." or [r["record"] for r in c["relays"]] != ["0 1 2 2001:db8::99"]:
        fail("2001:db8::7: %s" % c)
    d = res["203.0.113.99"]
    if d.get("records") != 0 or d["relays"] or d.get("error"):
        fail("203.0.113.99 (no record): %s" % d)
    e = res["10.1.2.3"]
    if e.get("code") != "amt_dns_failed" or "3.2.1.10.in-addr.arpa." not in e.get("error", ""):
        fail("10.1.2.3 (outside the served zones: REFUSED): %s" % e)
    # Equal precedence in random order: both orders appear over 40 lookups.
    orders = set()
    for _ in range(40):
        o = json.loads(subprocess.run([exe, "203.0.113.10"], capture_output=True, text=True,
                                      timeout=30).stdout)
        orders.add(tuple(r["record"] for r in o["relays"][1:3]))
        if len(orders) == 2:
            break
    if len(orders) != 2:
        fail("equal precedences always in the same order: %s" % orders)
    log("lookup: order, types, names, type 0, IPv6 nibbles, no record, REFUSED: as served; "
        "equal precedences in both orders")


def amt():
    sys.path.insert(0, HERE)
    import driad_netns
    return driad_netns


def dns_messages(gw):
    return [o["element"] for o in gw.lines if o.get("element", "").startswith("amt-relay-dns")]


def case_amtsrc(plugin_dir, relayd, v6=False):
    """IPv4: AMTRELAY 5 1 1 192.0.2.77 never answers, so the gateway moves
    on to AMTRELAY 10 0 1 192.0.2.1 (D=0: Relay Discovery to it first);
    IPv6: AMTRELAY 10 1 2 fd00::1 (D=1: Requests straight to it)."""
    A = amt()
    A.setup_lan()
    relay = A.RELAY6 if v6 else A.RELAY4
    joined_relay = "[fd00::1]:2268" if v6 else "192.0.2.1:2268"
    with A.Relay(relayd, v6):
        gw = A.start_gateway(plugin_dir, A.datagram_pipeline(
            '""', A.GROUP6 if v6 else A.GROUP4, A.SOURCE6 if v6 else A.SOURCE4))
        A.wait_joined(gw, 20)
        found = dns_messages(gw)
        want = ["result=(string)%s" % ("found" if v6 else "next"), "relay=(string)%s" % relay,
                "precedence=(uint)10", "relay-type=(string)%s" % ("ipv6" if v6 else "ipv4"),
                "discovery=(boolean)%s" % ("false" if v6 else "true")]
        if len(found) != (1 if v6 else 2) or any(w not in found[-1] for w in want):
            A.fail("amt-relay-dns does not say %s: %s" % (want, found))
        warnings = [o["warning"] for o in gw.lines if "warning" in o]
        states = [o["element"] for o in gw.lines if o.get("element", "").startswith("amt-state")]
        if v6:
            if warnings:
                A.fail("a WARNING although DNS named the relay: %s" % warnings)
            if "state=(string)requesting" not in states[0]:
                A.fail("D=1, but the first state is %s" % states[0])
        else:
            if "result=(string)found" not in found[0] or \
                    "relay=(string)192.0.2.77" not in found[0]:
                A.fail("the first relay is not 192.0.2.77 (precedence 5): %s" % found)
            if len(warnings) != 1 or "192.0.2.77" not in warnings[0] or \
                    "192.0.2.1" not in warnings[0]:
                A.fail("no single WARNING naming the silent relay and the next: %s" % warnings)
            if not any("state=(string)discovering" in st for st in states):
                A.fail("D=0, but no Relay Discovery to 192.0.2.1: %s" % states)
        # Structure text escapes brackets and quotes strings: compare without.
        joined = [s.replace("\\", "").replace('"', "") for s in states
                  if "state=(string)joined" in s]
        if ("relay=(string)%s" % joined_relay) not in joined[0]:
            A.fail("joined, but not with %s: %s" % (joined_relay, joined))
        rx = A.receiver(v6)
        A.send_stream(0, 200, v6=v6)
        n = A.check_lan(rx, 0, 200, v6)
        A.stop(gw)
        log("amtsrc: DNS gave %s; %s joined; %d/200 datagrams byte-identical on the LAN" %
            (found, warnings, n))


def case_amtsrc_none(plugin_dir):
    A = amt()
    gw = A.start_gateway(plugin_dir, "amtsrc name=amt group=232.1.1.1 source-address="
                         "203.0.113.99 metrics-interval=0 ! fakesink")
    w = gw.wait_for(lambda o: "warning" in o, 15)
    if w is None or "203.0.113.99" not in w["warning"] or "192.52.193.1" not in w["warning"]:
        A.fail("no WARNING naming the source and the anycast address: %s" % gw.lines)
    if gw.wait_for(A.state_is("discovering"), 5) is None:
        A.fail("no discovery after DNS gave nothing: %s" % gw.lines)
    found = dns_messages(gw)
    if not found or "result=(string)none" not in found[0]:
        A.fail("amt-relay-dns result=none missing: %s" % found)
    A.stop(gw)
    # dns-discovery=false: no query, no WARNING, discovery at once.
    gw = A.start_gateway(plugin_dir, "amtsrc name=amt group=232.1.1.1 source-address="
                         "203.0.113.99 dns-discovery=false metrics-interval=0 ! fakesink")
    if gw.wait_for(A.state_is("discovering"), 5) is None:
        A.fail("dns-discovery=false: no discovery at once: %s" % gw.lines)
    gw.read(1.0)
    if dns_messages(gw) or any("warning" in o for o in gw.lines):
        A.fail("dns-discovery=false, but DNS was asked: %s" % gw.lines)
    A.stop(gw)
    log("amtsrc-none: WARNING %r; then discovery at the anycast address; with "
        "dns-discovery=false no query and no WARNING" % w["warning"])


def case_amtsrc_stop(plugin_dir, tmp):
    A = amt()
    # A server that takes the queries and never answers.
    subprocess.run(["ip", "addr", "add", "192.0.2.53/24", "dev", "mctx0"], check=True)
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("192.0.2.53", 53))
    use_resolver(tmp, "192.0.2.53", "options timeout:5 attempts:2")
    gw = A.start_gateway(plugin_dir, "amtsrc name=amt group=232.1.1.1 source-address="
                         "198.51.100.2 metrics-interval=0 ! fakesink")
    # The query reaches the silent server (the resolv.conf of the mount
    # namespace is what the element uses), and nothing follows it.
    silent.settimeout(10)
    try:
        query, sender = silent.recvfrom(512)
    except socket.timeout:
        A.fail("no DNS query reached the silent server 192.0.2.53 in 10 s")
    if b"\x03100\x0251\x03198\x07in-addr\x04arpa" not in query:
        A.fail("the query is not for 2.100.51.198.in-addr.arpa: %r" % query)
    gw.read(1.0)
    if any(k in o for o in gw.lines for k in ("error", "warning")) or \
            any(o.get("element", "").startswith(("amt-state", "amt-relay-dns"))
                for o in gw.lines):
        A.fail("the lookup did not stay pending: %s" % gw.lines)
    took = A.stop(gw, within=1.0)
    silent.close()
    log("amtsrc-stop: query from %s seen, no answer; stopped in %.2f s with the lookup pending"
        % (sender[0], took))


def inner(args):
    exe, plugin_dir, relayd, case = args
    tmp = tempfile.mkdtemp(prefix="driad-")
    named = start_named(tmp)
    try:
        use_resolver(tmp, DNS)
        if case == "lookup":
            case_lookup(exe)
        elif case == "amtsrc":
            case_amtsrc(plugin_dir, relayd)
        elif case == "amtsrc-ipv6":
            case_amtsrc(plugin_dir, relayd, v6=True)
        elif case == "amtsrc-none":
            case_amtsrc_none(plugin_dir)
        elif case == "amtsrc-stop":
            case_amtsrc_stop(plugin_dir, tmp)
        else:
            fail("unknown case %r" % case)
    finally:
        named.terminate()
        try:
            named.wait(5)
        except subprocess.TimeoutExpired:
            named.kill()
            named.wait()
        subprocess.run(["umount", "/etc/resolv.conf"], stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)
    log("PASS", case)
    return 0


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "--inner":
        return inner(sys.argv[2:])
    if len(sys.argv) != 5:
        log("usage: driad_named.py LOOKUP_EXE PLUGIN_DIR AMTRELAYD CASE")
        return 2
    case = sys.argv[4]
    if "MCTX_PEER2_NETNS" not in os.environ:
        log("SKIP: run under scripts/mctx-netns --peer2")
        return SKIP
    for tool in ("named", "named-checkzone"):
        if shutil.which(tool) is None:
            log("SKIP: %s not installed (scripts/deps --test installs bind9 and bind9utils)"
                % tool)
            return SKIP
    if case in ("amtsrc", "amtsrc-ipv6") and (not sys.argv[3] or not os.access(sys.argv[3], os.X_OK)):
        log("SKIP: amtrelayd not available (../shared/peers/build-amtrelayd missing or failed)")
        return SKIP
    if case.startswith("amtsrc") and not sys.argv[2]:
        log("SKIP: the GStreamer plugin is not built")
        return SKIP
    # A private mount namespace for the resolv.conf bind mount.
    return subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                           os.path.abspath(__file__), "--inner"] + sys.argv[1:]).returncode


if __name__ == "__main__":
    sys.exit(main())
