#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
#
# Writes the seed corpus of fuzz-amt (tests/amt/corpus/): AMT messages as a
# gateway receives them. A file named "ok--WHAT" must parse as an AMT
# message, one named "bad--WHAT" must not (fuzz-corpus-amt checks it in
# every build). Run from anywhere: python3 tests/amt/make_corpus.py
import ipaddress
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def a(text):
    return ipaddress.ip_address(text).packed


def ipv4(src, dst, proto, payload, ttl=1, options=b""):
    ihl = (20 + len(options)) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload), 0, 0,
                    ttl, proto, 0, a(src), a(dst)) + options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nh, payload, hl=1):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hl, a(src), a(dst)) + payload


def igmp_query(qqic=125):
    m = struct.pack("!BBH4sBBH", 0x11, 100, 0, a("0.0.0.0"), 2, qqic, 0)
    m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
    return ipv4("192.0.2.1", "224.0.0.1", 2, m, options=b"\x94\x04\0\0")


def mld_query(qqic=125):
    src, dst = "fe80::1", "ff02::1"
    m = struct.pack("!BBHHH16sBBH", 130, 0, 0, 10000, 0, a("::"), 2, qqic, 0)
    pseudo = a(src) + a(dst) + struct.pack("!IxxxB", len(m), 58)
    m = m[:2] + struct.pack("!H", csum(pseudo + m)) + m[4:]
    return ipv6(src, dst, 0, bytes([58, 0, 5, 2, 0, 0, 1, 0]) + m)


def udp4(src, dst, dport, payload, ttl=8):
    u = struct.pack("!HHHH", 4000, dport, 8 + len(payload), 0) + payload
    return ipv4(src, dst, 17, u, ttl=ttl)


def udp6(src, dst, dport, payload):
    u = struct.pack("!HHHH", 4000, dport, 8 + len(payload), 0) + payload
    return ipv6(src, dst, 17, u, hl=8)


MAC = bytes.fromhex("a1a2a3a4a5a6")
NONCE = bytes.fromhex("00000000")
GW4 = struct.pack("!H", 40000) + a("::ffff:198.51.100.7")

CORPUS = {
    "ok--discovery": b"\x01\0\0\0" + NONCE,
    "ok--advertisement-v4": b"\x02\0\0\0" + NONCE + a("192.0.2.1"),
    "ok--advertisement-v6": b"\x02\0\0\0" + NONCE + a("2001:db8::1"),
    "ok--request-igmp": b"\x03\0\0\0" + NONCE,
    "ok--request-mld": b"\x03\x01\0\0" + NONCE,
    "ok--query-igmp": b"\x04\x00" + MAC + NONCE + igmp_query(),
    "ok--query-igmp-g": b"\x04\x01" + MAC + NONCE + igmp_query(0x8a) + GW4,
    "ok--query-igmp-limited": b"\x04\x02" + MAC + NONCE + igmp_query(60),
    "ok--query-mld-g": b"\x04\x01" + MAC + NONCE + mld_query() + struct.pack("!H", 5000)
                       + a("2001:db8::77"),
    "ok--update": b"\x05\0" + MAC + NONCE + igmp_query(),
    "ok--data-v4-ssm": b"\x06\0" + udp4("198.51.100.9", "232.1.1.1", 5005, b"hello amt"),
    "ok--data-v4-asm-port": b"\x06\0" + udp4("203.0.113.4", "239.1.1.1", 5004, b"x" * 31),
    "ok--data-v4-unsubscribed": b"\x06\0" + udp4("203.0.113.4", "239.1.1.2", 5004, b"x"),
    "ok--data-v6-ssm": b"\x06\0" + udp6("2001:db8::9", "ff3e::8000:1", 5004, b"hello"),
    "ok--data-v6-fragment": b"\x06\0" + ipv6("2001:db8::9", "ff0e::1234", 44,
                                             bytes([17, 0, 0, 1, 0, 0, 0, 1]) + b"\0" * 8, hl=8),
    "ok--data-v4-bad-checksum": b"\x06\0" + bytes([0x45, 0, 0, 28, 0, 0, 0, 0, 8, 17, 0, 0])
                                + a("198.51.100.9") + a("232.1.1.1") + b"\0" * 8,
    "ok--teardown": b"\x07\0" + MAC + NONCE + GW4,
    "bad--empty": b"",
    "bad--version": b"\x11\0\0\0" + NONCE,
    "bad--type-0": b"\x00\0\0\0" + NONCE,
    "bad--type-8": b"\x08\0\0\0" + NONCE,
    "bad--discovery-long": b"\x01\0\0\0" + NONCE + b"\0",
    "bad--advertisement-address": b"\x02\0\0\0" + NONCE + b"\1\2\3\4\5",
    "bad--request-short": b"\x03\0\0",
    "bad--query-g-without-fields": b"\x04\x01" + MAC + NONCE + igmp_query(),
    "bad--query-inner-version": b"\x04\x00" + MAC + NONCE + b"\x50" + igmp_query()[1:],
    "bad--update-empty": b"\x05\0" + MAC + NONCE,
    "bad--data-empty": b"\x06\0",
    "bad--teardown-short": b"\x07\0" + MAC + NONCE + GW4[:-1],
}


def main():
    out = os.path.join(HERE, "corpus")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for name, data in sorted(CORPUS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d files in %s" % (len(CORPUS), out))


if __name__ == "__main__":
    main()
