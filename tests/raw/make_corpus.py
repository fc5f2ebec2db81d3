#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
#
# Writes the seed corpus of the raw datagram validator (tests/raw/corpus/).
# Each file is one datagram; its name says what the validator must answer:
#   ok--WHAT.bin               a valid datagram
#   <errc_name>--WHAT.bin      rejected with that mctx::Errc (errc_name())
# The checksums are computed here, independently of the C++ builder.
# Run from anywhere: python3 tests/raw/make_corpus.py
import os
import socket
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes, v6: bool) -> bytes:
    length = 8 + len(payload)
    if v6:
        pseudo = src + dst + struct.pack("!I3xB", length, 17)
    else:
        pseudo = src + dst + struct.pack("!xBH", 17, length)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + payload


def ipv4(src="198.51.100.7", dst="232.1.2.3", payload=b"mctx corpus v4", ttl=5, tos=0,
         ident=0x1234, df=False, options=b"", proto=17, body=None) -> bytes:
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    if body is None:
        body = udp(s, d, 4000, 5000, payload, False)
    ihl = (20 + len(options)) // 4
    total = 20 + len(options) + len(body)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, total, ident, 0x4000 if df else 0, ttl,
                      proto, 0, s, d) + options
    c = csum(hdr)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + body


def ipv6(src="2001:db8:99::7", dst="ff3e::8000:1234", payload=b"mctx corpus v6", hops=7, tc=0,
         flow=0, ext=b"", first=60) -> bytes:
    s, d = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    body = ext + udp(s, d, 4000, 5000, payload, True)
    nh = first if ext else 17
    return struct.pack("!IHBB", (6 << 28) | (tc << 20) | flow, len(body), nh, hops) + s + d + body


def fix4(d: bytes) -> bytes:
    ihl = (d[0] & 0xF) * 4
    h = d[:10] + b"\0\0" + d[12:ihl]
    return d[:10] + struct.pack("!H", csum(h)) + d[12:]


def negative_zero() -> bytes:
    # Choose the identification so the header sums to 0xffff: the checksum is
    # then 0x0000, and 0xffff (the other zero) is valid too.
    d = bytearray(ipv4(ident=0))
    d[10:12] = b"\0\0"
    s = 0xFFFF - (~csum(bytes(d[:20])) & 0xFFFF)
    d[4:6] = struct.pack("!H", s)
    assert csum(bytes(d[:20])) == 0
    d[10:12] = b"\xff\xff"
    return bytes(d)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    padn = bytes([17, 0, 1, 4, 0, 0, 0, 0])  # Destination Options: PadN, next UDP
    hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0])   # Hop-by-Hop: PadN, next Destination Options
    v4 = ipv4()
    v6 = ipv6()
    files = {
        "ok--ipv4-udp": v4,
        "ok--ipv4-options-df": ipv4(options=bytes([1, 1, 1, 0]), df=True, tos=0x28),
        "ok--ipv4-max-options": ipv4(options=bytes([1] * 39 + [0])),
        "ok--ipv4-id0": ipv4(ident=0),
        "ok--ipv4-checksum-negative-zero": negative_zero(),
        "ok--ipv4-empty-payload": ipv4(payload=b""),
        "ok--ipv4-not-udp": ipv4(proto=2, body=b"\x22\x00\xfa\x04\x00\x00\x00\x00"),
        "ok--ipv6-udp": v6,
        "ok--ipv6-dstopts-padn": ipv6(ext=padn, tc=0xB8, flow=0x12345),
        "ok--ipv6-hbh-dstopts": ipv6(ext=hbh + padn, first=0),
        "ok--ipv6-link-local-group": ipv6(src="fe80::1", dst="ff02::1:3"),
        "raw_datagram_too_short--empty": b"",
        "raw_datagram_too_short--one-byte": b"\x45",
        "raw_datagram_too_short--ipv4-19": v4[:19],
        "raw_datagram_too_short--ipv6-39": v6[:39],
        "raw_bad_version--v5": bytes([0x55]) + v4[1:],
        "raw_bad_version--v0": bytes([0x05]) + v4[1:],
        "raw_bad_header_length--ihl4": bytes([0x44]) + v4[1:],
        "raw_bad_header_length--ihl15-short": bytes([0x4F]) + v4[1:2] + struct.pack("!H", 40)
        + v4[4:40],
        "raw_bad_total_length--longer": fix4(v4[:2] + struct.pack("!H", len(v4) + 12) + v4[4:]),
        "raw_bad_total_length--truncated": v4[:-1],
        "raw_bad_total_length--trailing": v4 + b"\0",
        "raw_bad_checksum--flipped": v4[:11] + bytes([v4[11] ^ 0x5A]) + v4[12:],
        "raw_bad_checksum--ttl-changed": v4[:8] + b"\x40" + v4[9:],
        "raw_bad_payload_length--ipv6": v6[:4] + struct.pack("!H", len(v6) - 40 + 1) + v6[6:],
        "raw_bad_payload_length--jumbo": v6[:4] + b"\0\0" + v6[6:],
        "raw_source_unspecified--ipv4": ipv4(src="0.0.0.0"),
        "raw_source_unspecified--ipv6": ipv6(src="::"),
        "raw_destination_not_multicast--ipv4": ipv4(dst="192.0.2.5"),
        "raw_destination_not_multicast--ipv4-class-e": ipv4(dst="240.0.0.1"),
        "raw_destination_not_multicast--ipv6": ipv6(dst="2001:db8::5"),
        "raw_source_this_network--ipv4": ipv4(src="0.1.2.3"),
        "raw_source_loopback--ipv4": ipv4(src="127.0.0.1"),
        "raw_source_loopback--ipv4-127-8": ipv4(src="127.255.0.9"),
        "raw_source_loopback--ipv6": ipv6(src="::1"),
        "raw_source_multicast--ipv4": ipv4(src="224.0.0.9"),
        "raw_source_multicast--ipv6": ipv6(src="ff02::1"),
        "raw_source_broadcast--ipv4": ipv4(src="255.255.255.255"),
        "raw_ttl_zero--ipv4": ipv4(ttl=0),
        "raw_ttl_zero--ipv6": ipv6(hops=0),
        "raw_destination_bad_scope--ipv6-ff00": ipv6(dst="ff00::1"),
        "raw_destination_bad_scope--ipv6-ff01": ipv6(dst="ff01::1"),
        "raw_destination_bad_scope--ipv6-ff31": ipv6(dst="ff31::8000:1"),
        "ok--ipv4-ttl1-source-edge": ipv4(src="1.0.0.0", ttl=1),
        "ok--ipv6-hop1-site-local-group": ipv6(dst="ff05::2", hops=1),
    }
    for name, data in files.items():
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)
    print("wrote %d files to %s" % (len(files), OUT))


if __name__ == "__main__":
    main()
