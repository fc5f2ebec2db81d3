#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A redundant pair in the manner of SMPTE ST 2022-7 with one mctxsink: the
# same RTP stream over two interfaces, to two groups, from two source
# addresses, each path received on a host of its own and the two compared
# byte for byte.
#
#   examples/gst/st2022-7.sh [BUILDDIR]      (default BUILDDIR: ./build; root)
#
# Runs inside private network namespaces (scripts/mctx-netns --peer2): path A
# leaves by mctx0 (192.0.2.1) to 239.255.1.1:5004 and is received on the
# first peer host (MCTX_PEER_NETNS, mctx1); path B leaves by mctx2
# (198.51.100.1) to 239.255.2.1:5006 and is received on the second
# (MCTX_PEER2_NETNS, mctx3). Each receiver, udpsrc, writes what it receives
# into a file; the script checks that both files hold the whole stream and
# compares them. Nothing can leave the machine. Not root: exits 77.
set -euo pipefail

. "$(dirname "$0")/example-env.sh" "${1:-}" --peer2

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Receivers on the two peer hosts: one per path, each writing what it
# receives straight into its file (unbuffered: the file shows what arrived,
# and stopping the receiver loses nothing).
receive() {  # NETNS GROUP PORT INTERFACE FILE
  nsenter --net="$1" -- timeout -s INT 30 gst-launch-1.0 -e -q \
    udpsrc address="$2" port="$3" multicast-iface="$4" \
    ! filesink location="$5" sync=false buffer-mode=unbuffered >/dev/null 2>&1 &
}
receive "$MCTX_PEER_NETNS" 239.255.1.1 5004 mctx1 "$out/a.bin"
ra=$!
receive "$MCTX_PEER2_NETNS" 239.255.2.1 5006 mctx3 "$out/b.bin"
rb=$!
# Send once both have joined their group.
joined() {  # NETNS INTERFACE GROUP
  nsenter --net="$1" -- ip maddr show dev "$2" |
    awk -v g="$3" '$1 == "inet" && $2 == g { f = 1 } END { exit !f }'
}
for _ in $(seq 1 500); do
  joined "$MCTX_PEER_NETNS" mctx1 239.255.1.1 && joined "$MCTX_PEER2_NETNS" mctx3 239.255.2.1 && break
  sleep 0.01
done

# Sender: 200 RTP packets of 10 ms in real time (2 s), one element, two
# paths.
packets=200 size=972  # 12 bytes of RTP header, 480 samples of 2 bytes
gst-launch-1.0 -q \
  audiotestsrc is-live=true num-buffers=$packets samplesperbuffer=480 ! audioconvert \
  ! audio/x-raw,format=S16BE,rate=48000,channels=1 ! rtpL16pay pt=96 \
  ! mctxsink group=239.255.1.1 port=5004 interface=mctx0 source-address=192.0.2.1 \
      destinations='<"mctx://239.255.2.1:5006?interface=mctx2&source=198.51.100.1">'

# Stop the receivers once both files hold the whole stream (at most 5 s).
sent=$((packets * size))
for _ in $(seq 1 500); do
  [ "$(stat -c %s "$out/a.bin" 2>/dev/null || echo 0)" -ge "$sent" ] &&
    [ "$(stat -c %s "$out/b.bin" 2>/dev/null || echo 0)" -ge "$sent" ] && break
  sleep 0.01
done
kill -INT "$ra" "$rb" 2>/dev/null || true
wait "$ra" "$rb" || true
a=$(stat -c %s "$out/a.bin") b=$(stat -c %s "$out/b.bin")
echo "path A received $a bytes, path B $b bytes ($packets packets of $size bytes sent on each)"
if [ "$a" -ne "$sent" ] || [ "$b" -ne "$sent" ]; then
  echo "a path did not receive the whole stream" >&2
  exit 1
elif cmp -s "$out/a.bin" "$out/b.bin"; then
  echo "the two paths carried byte-identical streams"
else
  echo "the two paths differ" >&2
  exit 1
fi
