#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
#
# Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/NAME/).
# A file named "ok--WHAT" must be accepted by the target's parser, one named
# "bad--WHAT" refused (corpus_main.cpp checks it in every build).
# Run from anywhere: python3 tests/fuzz/make_corpus.py
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))

URI = {
    "ok--ipv4": "mctx://239.1.2.3:5004",
    "ok--ipv4-default-port": "mctx://239.1.2.3",
    "ok--ipv6": "mctx://[ff3e::8000:1234]:5004",
    "ok--ipv6-scope": "mctx://[ff02::1%25lo]:5004",
    "ok--all-keys": "mctx://239.1.2.3:5004?source=127.0.0.1&source-port=4000&interface=lo"
                    "&ttl=4&loop=false&dscp=46&buffer-size=262144",
    "ok--source-address-alias": "mctx://239.1.2.3:5004?source-address=10.0.0.1",
    "ok--interface-index": "mctx://[ff3e::1]:5004?interface=3&loop=on",
    "ok--interface-address": "mctx://239.1.2.3:5004?interface=192.0.2.1&dscp=-1",
    "ok--scheme-case": "MCTX://239.1.2.3:5004/",
    "bad--empty": "",
    "bad--scheme": "udp://239.1.2.3:5004",
    "bad--unicast": "mctx://192.0.2.1:5004",
    "bad--port-zero": "mctx://239.1.2.3:0",
    "bad--port-range": "mctx://239.1.2.3:65536",
    "bad--unknown-key": "mctx://239.1.2.3:5004?colour=blue",
    "bad--twice": "mctx://239.1.2.3:5004?ttl=1&ttl=2",
    "bad--alias-twice": "mctx://239.1.2.3:5004?source=10.0.0.1&source-address=10.0.0.2",
    "bad--ttl": "mctx://239.1.2.3:5004?ttl=256",
    "bad--loop": "mctx://239.1.2.3:5004?loop=maybe",
    "bad--dscp": "mctx://239.1.2.3:5004?dscp=64",
    "bad--userinfo": "mctx://me@239.1.2.3:5004",
    "bad--path": "mctx://239.1.2.3:5004/x",
    "bad--fragment": "mctx://239.1.2.3:5004#f",
    "bad--ipv6-no-brackets": "mctx://ff3e::1:5004",
    "bad--source-name": "mctx://239.1.2.3:5004?source=localhost",
    "bad--bad-escape": "mctx://239.1.2.3:5004?interface=%zz",
    "bad--empty-value": "mctx://239.1.2.3:5004?ttl=",
}

ADDRESS = {
    "ok--ipv4": "239.1.2.3",
    "ok--ipv4-any": "0.0.0.0",
    "ok--ipv6": "ff3e::8000:1234",
    "ok--ipv6-full": "2001:0db8:0000:0000:0000:0000:0000:0001",
    "ok--ipv6-mapped": "::ffff:192.0.2.1",
    "ok--ipv6-scope-index": "fe80::1%1",
    "ok--ipv6-scope-name": "fe80::1%lo",
    "ok--endpoint-v4": "127.0.0.1:5000",
    "ok--endpoint-v6": "[ff3e::1]:5000",
    "ok--endpoint-v6-scope": "[fe80::1%lo]:5000",
    "ok--interface-name": "eth0",
    "ok--interface-index": "3",
    "ok--interface-vlan-name": "eth0.100",
    "bad--empty": "",
    "bad--blank": "   ",
    "bad--ipv4-short": "239.1.2",
    "bad--ipv4-octet": "239.1.2.256",
    "bad--ipv6-double-gap": "ff3e::1::2",
    "bad--endpoint-port": "127.0.0.1:70000",
    "bad--endpoint-v6-no-colon": "[ff3e::1]5000",
    "bad--scope-unknown": "fe80::1%nosuch0",
    "bad--interface-too-long": "x" * 40,
    "bad--interface-slash": "a/b",
    "bad--control": "lo\n",
}

HEADER = json.dumps({"schema": "heimdall-jsonl-v1", "artifact_type": "mctx-network",
                     "node_id": "fuzz-node", "producer": "mctx/fuzz",
                     "created_at": 1780000000.0,
                     "flags": {"multicast_port": 5000, "role": "sender"}},
                    separators=(",", ":"))
ROW = json.dumps({"ts": 1780000001.5, "interval_secs": 1.0, "active_publications": 1,
                  "packets_sent_total": 7, "packets_sent_delta": 7}, separators=(",", ":"))
OTHER_HEADER = HEADER.replace("fuzz-node", "other-node")

JSONL = {
    "ok--empty": "",
    "ok--blank-lines": "\n  \n",
    "ok--header-only": HEADER + "\n",
    "ok--header-and-rows": HEADER + "\n" + ROW + "\n" + ROW + "\n",
    "ok--torn-last-row": HEADER + "\n" + ROW + "\n" + ROW[:23],
    "ok--unterminated-row": HEADER + "\n" + ROW,
    "ok--unterminated-header": HEADER,
    "ok--crlf": HEADER + "\r\n" + ROW + "\r\n",
    "ok--blank-before-header": "\n" + HEADER + "\n" + ROW + "\n\n",
    "bad--not-json": "hello world\n",
    "bad--headerless": ROW + "\n",
    "bad--other-node": OTHER_HEADER + "\n" + ROW + "\n",
    "bad--second-header": HEADER + "\n" + HEADER + "\n",
    "bad--bad-last-row": HEADER + "\n" + ROW + "\n" + '{"ts":"x","interval_secs":1}\n',
    "bad--negative-interval": HEADER + "\n" + '{"ts":1,"interval_secs":-1}\n',
    "bad--array": "[1,2,3]\n",
    "bad--header-missing-flags": HEADER.replace(',"flags":{"multicast_port":5000,"role":"sender"}',
                                                "") + "\n",
}


def write(name, files):
    out = os.path.join(HERE, "corpus", name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for fname, text in files.items():
        with open(os.path.join(out, fname), "wb") as f:
            f.write(text.encode())
    print("wrote %d files to %s" % (len(files), out))


def main():
    write("uri", URI)
    write("address", ADDRESS)
    write("jsonl", JSONL)


if __name__ == "__main__":
    main()
