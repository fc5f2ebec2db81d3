#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""A source-specific multicast receiver for the AMT demo (Linux).

Joins (SOURCE, GROUP) on one interface with MCAST_JOIN_SOURCE_GROUP (IPv4 or
IPv6), prints every datagram it receives, and exits once TIMEOUT seconds
pass without one. Exit status 0 when exactly COUNT datagrams arrived, 1
otherwise.

    ssm-receive.py --source 198.51.100.7 --group 232.1.1.1 --port 5000
                   --interface mctx1 [--count 5] [--timeout 3] [--ready-file PATH]
"""

import argparse
import ipaddress
import select
import socket
import struct
import sys

MCAST_JOIN_SOURCE_GROUP = 46  # <netinet/in.h>, Linux


def sockaddr(addr) -> bytes:
    """A struct sockaddr_in / sockaddr_in6, padded to sockaddr_storage."""
    if addr.version == 4:
        raw = struct.pack("=H", socket.AF_INET) + struct.pack("!H", 0) + addr.packed
    else:
        raw = (struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", 0, 0) + addr.packed +
               struct.pack("=I", 0))
    return raw + bytes(128 - len(raw))


def group_source_req(ifindex: int, group, source) -> bytes:
    # struct group_source_req { uint32_t gsr_interface; <padding to the
    # alignment of sockaddr_storage>; sockaddr_storage gsr_group, gsr_source; }
    pad = struct.calcsize("P") - 4
    return struct.pack("=I", ifindex) + bytes(pad) + sockaddr(group) + sockaddr(source)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--interface", required=True, help="interface name to join on")
    ap.add_argument("--count", type=int, default=5, help="datagrams expected")
    ap.add_argument("--timeout", type=float, default=3.0,
                    help="seconds without a datagram after which to stop")
    ap.add_argument("--ready-file", help="created once joined")
    args = ap.parse_args()

    group = ipaddress.ip_address(args.group)
    source = ipaddress.ip_address(args.source)
    ifindex = socket.if_nametoindex(args.interface)
    if group.version == 4:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((str(group), args.port))
        level = socket.IPPROTO_IP
    else:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((str(group), args.port, 0, 0))
        level = socket.IPPROTO_IPV6
    sock.setsockopt(level, MCAST_JOIN_SOURCE_GROUP, group_source_req(ifindex, group, source))
    where = "(%s, %s) port %d on %s" % (source, group, args.port, args.interface)
    print("receiver: joined %s" % where, flush=True)
    if args.ready_file:
        open(args.ready_file, "w").close()

    got = 0
    while True:
        ready, _, _ = select.select([sock], [], [], args.timeout)
        if not ready:
            break
        data, sender = sock.recvfrom(65535)
        got += 1
        print("receiver: %s -> %s:%d: %r" % (sender[0], group, args.port,
                                              data.decode(errors="replace")), flush=True)
    print("receiver: %d of %d datagrams for %s" % (got, args.count, where), flush=True)
    return 0 if got == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
