#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""DRIAD (RFC 8777) against a real DNS server: bind9's named, in namespaces.

Run under `scripts/mctx-netns --peer2` (the relay's namespace holds
192.0.2.1, the gateway's 192.0.2.2). This script re-runs itself in a
private mount namespace too, where /etc/resolv.conf is a bind mount naming
the test's server: the code under test uses the system resolver's default
path, unchanged.

  named   in the relay's namespace on 192.0.2.1 (and 127.0.0.1), serving
          reverse zones with AMTRELAY records of every type and precedence
          (zones below), recursion off.

  driad_named.py LOOKUP_EXE lookup
      lookup_amt_relays() (mctx-driad-lookup): order, types, D bits, type-3
      names resolved through A/AAAA, type 0, IPv6 nibble names, no record,
      a REFUSED query. Exit 77 (skip) when named (bind9) is missing.

  driad_named.py named DIR
      Writes the zones and named.conf into DIR and becomes named (-g: the
      log on stderr; ready once it says "all zones loaded" and then
      "running"). The amtsrc-driad* element tests
      (tests/gst/test-amtsrc-driad.cpp) serve their records this way.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
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
    # 198.51.100.2: the source of the amtsrc-driad tests. The best relay, 192.0.2.77,
    # does not exist (no answer: the gateway moves on); then amtrelayd on
    # 192.0.2.1 (D=0: discovery first); a third, worse relay by name.
    "100.51.198.in-addr.arpa": """
2 IN AMTRELAY 5 1 1 192.0.2.77
2 IN AMTRELAY 10 0 1 192.0.2.1
2 IN AMTRELAY 200 1 3 relay1.example.net.
""",
    # amt, v6only: relay-address given by name (amtsrc-driad-name). glibc's
    # getaddrinfo puts 192.0.2.3 first whatever order named answers in (its
    # rule 9 compares whole addresses inside the gateway's 192.0.2.0/24:
    # 192.0.2.2 shares 31 bits with .3, 30 with .1); the test checks that.
    # 192.0.2.3 does not exist; amtrelayd is on 192.0.2.1.
    "example.net": """
ns IN A 192.0.2.1
relay1 IN A 203.0.113.21
relay1 IN AAAA 2001:db8::21
amt IN A 192.0.2.3
amt IN A 192.0.2.1
v6only IN AAAA fd00::1
""",
    # fd01::2: the IPv6 source of the amtsrc-driad tests; amtrelayd on fd00::1,
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


def write_named_conf(tmp):
    """The zones and named.conf in tmp; returns the path of named.conf."""
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
    return conf


def start_named(tmp):
    conf = write_named_conf(tmp)
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


def inner(args):
    exe, case = args
    tmp = tempfile.mkdtemp(prefix="driad-")
    named = start_named(tmp)
    try:
        use_resolver(tmp, DNS)
        if case == "lookup":
            case_lookup(exe)
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
    if len(sys.argv) == 3 and sys.argv[1] == "named":
        os.execvp("named", ["named", "-g", "-c", write_named_conf(sys.argv[2])])
    if len(sys.argv) == 4 and sys.argv[1] == "--inner":
        return inner(sys.argv[2:])
    if len(sys.argv) != 3:
        log("usage: driad_named.py LOOKUP_EXE lookup | driad_named.py named DIR")
        return 2
    if "MCTX_PEER2_NETNS" not in os.environ:
        log("SKIP: run under scripts/mctx-netns --peer2")
        return SKIP
    for tool in ("named", "named-checkzone"):
        if shutil.which(tool) is None:
            log("SKIP: %s not installed (scripts/deps --test installs bind9 and bind9utils)"
                % tool)
            return SKIP
    # A private mount namespace for the resolv.conf bind mount.
    return subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                           os.path.abspath(__file__), "--inner"] + sys.argv[1:]).returncode


if __name__ == "__main__":
    sys.exit(main())
