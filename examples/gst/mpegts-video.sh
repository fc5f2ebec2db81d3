#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# MPEG-TS video (H.264) over multicast with mctxsink, the way IPTV headends
# send it: 7 TS packets (1316 bytes) per UDP datagram.
#
#   examples/gst/mpegts-video.sh [BUILDDIR]      (default BUILDDIR: ./build)
#
# Sends 10 seconds of a test pattern (640x360, 25 fps) to 239.255.0.2:1234
# and receives it with udpsrc ! tsdemux ! h264parse ! openh264dec, which
# reports the frames it decoded. The sender prints its mctx-metrics messages.
# Pinned to the loopback interface with ttl=0; run as root, the script runs
# inside a private network namespace (scripts/mctx-netns).
#
# Needs elements outside plugins-base/-good: mpegtsmux, tsdemux, h264parse,
# openh264enc/openh264dec (Debian: gstreamer1.0-plugins-bad); x264enc
# (gstreamer1.0-plugins-ugly) is used instead of openh264enc when present.
set -euo pipefail

. "$(dirname "$0")/example-env.sh" "${1:-}"

missing=()
for e in mctxsink mpegtsmux tsdemux h264parse openh264dec fpsdisplaysink; do
  gst-inspect-1.0 "$e" >/dev/null 2>&1 || missing+=("$e")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing GStreamer elements: ${missing[*]}" >&2
  echo "(mctxsink: build the project first; the others: apt-get install gstreamer1.0-plugins-bad)" >&2
  exit 1
fi
if gst-inspect-1.0 x264enc >/dev/null 2>&1; then
  encoder="x264enc tune=zerolatency speed-preset=ultrafast bitrate=1500 key-int-max=25"
else
  encoder="openh264enc bitrate=1500000 gop-size=25"
fi

group=239.255.0.2
port=1234

# Receiver: decodes what arrives and reports the frame count once a second.
timeout 13 gst-launch-1.0 -v \
  udpsrc address=$group port=$port multicast-iface=lo \
      caps="video/mpegts,systemstream=true,packetsize=188" \
  ! tsdemux ! h264parse ! openh264dec \
  ! fpsdisplaysink video-sink=fakesink text-overlay=false sync=false 2>&1 \
  | sed -un 's/.*last-message = rendered: \([0-9]*\), dropped: \([0-9]*\).*/receiver: \1 frames decoded, \2 dropped/p' &
receiver=$!
sleep 1

# Sender: 250 frames (constrained baseline, which openh264dec decodes);
# mpegtsmux alignment=7 puts 7 TS packets in each buffer and pushes a frame's
# buffers as one buffer list, which mctxsink sends in one batch (sendmmsg),
# paced by the timestamps.
gst-launch-1.0 -m \
  videotestsrc is-live=true num-buffers=250 \
  ! video/x-raw,width=640,height=360,framerate=25/1 \
  ! $encoder ! video/x-h264,profile=constrained-baseline ! h264parse \
  ! mpegtsmux alignment=7 \
  ! mctxsink group=$group port=$port interface=127.0.0.1 ttl=0 stats-interval=2000 2>&1 \
  | grep --line-buffered -o 'mctx-metrics.*' | sed -u 's/^/sender: /'

wait "$receiver" || true
