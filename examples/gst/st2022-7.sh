#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A redundant pair in the manner of SMPTE ST 2022-7 with one mctxsink: the
# same RTP stream over two interfaces, to two groups, from two source
# addresses, received on a second host and compared byte for byte.
#
#   examples/gst/st2022-7.sh [BUILDDIR]      (default BUILDDIR: ./build; root)
#
# Runs inside private network namespaces (scripts/mctx-netns --peer --veth2):
# path A leaves by mctx0 (192.0.2.1) to 239.255.1.1, path B by mctx2
# (198.51.100.1) to 239.255.2.1 (ports 5004 and 5006); the peer namespace receives each with
# udpsrc on mctx1 / mctx3 into a file, and the script compares the files.
# Nothing can leave the machine. Not root: exits 77.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-${MCTX_BUILD_DIR:-$root/build}}" && pwd)

if [ -z "${MCTX_NETNS:-}" ]; then
  exec "$root/scripts/mctx-netns" --peer --veth2 -- "$0" "$build"
fi
export GST_PLUGIN_PATH="$build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Receivers on the peer host: one per path, each writing what it receives.
receive() {  # GROUP PORT INTERFACE FILE
  nsenter --net="$MCTX_PEER_NETNS" -- timeout -s INT 5 gst-launch-1.0 -e -q \
    udpsrc address="$1" port="$2" multicast-iface="$3" \
    ! filesink location="$4" sync=false >/dev/null 2>&1 || true
}
receive 239.255.1.1 5004 mctx1 "$out/a.bin" &
ra=$!
receive 239.255.2.1 5006 mctx3 "$out/b.bin" &
rb=$!
sleep 1

# Sender: 200 RTP packets of 10 ms, one element, two paths.
gst-launch-1.0 -q \
  audiotestsrc num-buffers=200 samplesperbuffer=480 ! audioconvert \
  ! audio/x-raw,format=S16BE,rate=48000,channels=1 ! rtpL16pay pt=96 \
  ! mctxsink group=239.255.1.1 port=5004 interface=mctx0 source-address=192.0.2.1 \
      destinations='<"mctx://239.255.2.1:5006?interface=mctx2&source=198.51.100.1">'

wait "$ra" "$rb"
a=$(stat -c %s "$out/a.bin") b=$(stat -c %s "$out/b.bin")
echo "path A received $a bytes, path B $b bytes (200 packets of 972 bytes sent on each)"
if [ "$a" -gt 0 ] && cmp -s "$out/a.bin" "$out/b.bin"; then
  echo "the two paths carried byte-identical streams"
else
  echo "the two paths differ" >&2
  exit 1
fi
