#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Copyright (c) 2026 The mctx authors
"""The relay side of the AMT demo: wraps multicast datagrams into AMT
Multicast Data messages (RFC 7450 section 5.1.6) and sends them to a gateway
by unicast UDP.

Each datagram is a complete UDP-in-IP datagram with a source that is not an
address of this host (default 198.51.100.7 -> 232.1.1.1:5000), built here
with correct IPv4 header and UDP checksums. An AMT Multicast Data message is

    byte 0   version (high 4 bits) = 0, type (low 4 bits) = 6
    byte 1   reserved (0)
    byte 2.. the IP multicast datagram

Only the data path: a real relay sends data only to gateways that completed
the AMT handshake (Request / Membership Query / Membership Update with nonce
and response MAC) and joined the group; this script skips that.

    amt-relay.py [--gateway 127.0.0.1:2268] [--count 5] [--interval-ms 100]
                 [--source 198.51.100.7] [--group 232.1.1.1] [--port 5000]
                 [--ipv6-source 2001:db8:99::7 --ipv6-group ff3e::8000:1]
                 [--with-invalid] [--with-other-message]
"""

import argparse
import ipaddress
import socket
import struct
import sys
import time

AMT_MULTICAST_DATA = 0x06  # version 0, type 6
AMT_MEMBERSHIP_QUERY = 0x04  # a control message: the gateway's data path ignores it


def checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_header(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes, v6: bool) -> bytes:
    length = 8 + len(payload)
    if v6:
        pseudo = src + dst + struct.pack("!I3xB", length, socket.IPPROTO_UDP)
    else:
        pseudo = src + dst + struct.pack("!xBH", socket.IPPROTO_UDP, length)
    header = struct.pack("!HHHH", sport, dport, length, 0)
    csum = checksum(pseudo + header + payload) or 0xFFFF  # 0 is sent as 0xffff
    return struct.pack("!HHHH", sport, dport, length, csum)


def ipv4_datagram(source, group, sport, dport, payload, ident, ttl=8, tos=0x28) -> bytes:
    src = ipaddress.IPv4Address(source).packed
    dst = ipaddress.IPv4Address(group).packed
    udp = udp_header(src, dst, sport, dport, payload, v6=False)
    total = 20 + len(udp) + len(payload)
    # Identification non-zero: Linux leaves it alone (raw(7)).
    header = struct.pack("!BBHHHBBH4s4s", 0x45, tos, total, ident, 0, ttl,
                         socket.IPPROTO_UDP, 0, src, dst)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + udp + payload


def ipv6_datagram(source, group, sport, dport, payload, hop_limit=8, tclass=0xB8,
                  flow=0x12345) -> bytes:
    src = ipaddress.IPv6Address(source).packed
    dst = ipaddress.IPv6Address(group).packed
    udp = udp_header(src, dst, sport, dport, payload, v6=True)
    first = (6 << 28) | (tclass << 20) | flow
    header = struct.pack("!IHBB16s16s", first, len(udp) + len(payload), socket.IPPROTO_UDP,
                         hop_limit, src, dst)
    return header + udp + payload


def amt_data(datagram: bytes) -> bytes:
    return bytes([AMT_MULTICAST_DATA, 0]) + datagram


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gateway", default="127.0.0.1:2268", help="gateway HOST:PORT")
    ap.add_argument("--count", type=int, default=5, help="datagrams per family")
    ap.add_argument("--interval-ms", type=int, default=100)
    ap.add_argument("--source", default="198.51.100.7")
    ap.add_argument("--group", default="232.1.1.1")
    ap.add_argument("--port", type=int, default=5000)
    ap.add_argument("--source-port", type=int, default=4000)
    ap.add_argument("--ipv6-source", help="also send IPv6 datagrams from this source")
    ap.add_argument("--ipv6-group", default="ff3e::8000:1")
    ap.add_argument("--with-invalid", action="store_true",
                    help="also send one Multicast Data message whose IPv4 datagram has a "
                         "wrong header checksum (the gateway drops and counts it)")
    ap.add_argument("--with-other-message", action="store_true",
                    help="also send one AMT message that is not Multicast Data")
    args = ap.parse_args()

    host, _, port = args.gateway.rpartition(":")
    gateway = (host.strip("[]"), int(port))
    family = socket.AF_INET6 if ":" in gateway[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)

    messages = []  # (description, AMT message)
    for i in range(1, args.count + 1):
        payload = ("amt-demo ipv4 #%d from %s" % (i, args.source)).encode()
        d = ipv4_datagram(args.source, args.group, args.source_port, args.port, payload, ident=i)
        messages.append(("IPv4 %s -> %s:%d #%d (%d bytes)" % (args.source, args.group, args.port,
                                                              i, len(d)), amt_data(d)))
        if args.ipv6_source:
            payload = ("amt-demo ipv6 #%d from %s" % (i, args.ipv6_source)).encode()
            d = ipv6_datagram(args.ipv6_source, args.ipv6_group, args.source_port, args.port,
                              payload)
            messages.append(("IPv6 %s -> [%s]:%d #%d (%d bytes)" % (
                args.ipv6_source, args.ipv6_group, args.port, i, len(d)), amt_data(d)))
    if args.with_invalid:
        d = bytearray(ipv4_datagram(args.source, args.group, args.source_port, args.port,
                                    b"amt-demo corrupted", ident=999))
        d[10] ^= 0xFF  # break the IPv4 header checksum
        messages.insert(len(messages) // 2,
                        ("IPv4 datagram with a broken header checksum", amt_data(bytes(d))))
    if args.with_other_message:
        messages.insert(1, ("an AMT Membership Query (not data)",
                            bytes([AMT_MEMBERSHIP_QUERY, 0]) + bytes(22)))

    for what, msg in messages:
        sock.sendto(msg, gateway)
        print("relay: sent AMT message to %s:%d: %s" % (gateway[0], gateway[1], what), flush=True)
        time.sleep(args.interval_ms / 1000.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
