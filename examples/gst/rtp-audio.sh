#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# RTP audio with mctxsink, received by GStreamer's udpsrc.
#
#   examples/gst/rtp-audio.sh [BUILDDIR]      (default BUILDDIR: ./build)
#
# Sends 3 seconds of a 440 Hz tone as RTP L16 (48 kHz mono) to
# 239.255.0.1:5004 and receives it with udpsrc ! rtpL16depay ! level, which
# prints the audio level it hears. The sender prints its mctx-metrics
# messages. Everything is pinned to the loopback interface with ttl=0, and
# when run as root the whole script runs inside a private network namespace
# (scripts/mctx-netns), so nothing can leave the machine.
set -euo pipefail

. "$(dirname "$0")/example-env.sh" "${1:-}"

group=239.255.0.1
port=5004
caps="application/x-rtp,media=audio,clock-rate=48000,encoding-name=L16,channels=1,payload=96"

# Receiver: joins the group on lo, depayloads, measures the level twice a second.
timeout 6 gst-launch-1.0 -m \
  udpsrc address=$group port=$port multicast-iface=lo caps="$caps" \
  ! rtpjitterbuffer latency=50 ! rtpL16depay ! audioconvert \
  ! level interval=500000000 ! fakesink sync=false 2>&1 \
  | sed -un 's/.*level, .*running-time=(guint64)\([0-9]*\).*rms=(GValueArray)< \([-0-9.]*\) >.*/receiver: audio level at \1 ns: rms \2 dB/p' &
receiver=$!
sleep 1

# Sender: 300 buffers of 10 ms, paced by the clock (sync=true is the default).
gst-launch-1.0 -m \
  audiotestsrc num-buffers=300 samplesperbuffer=480 freq=440 volume=0.5 ! audioconvert \
  ! audio/x-raw,format=S16BE,rate=48000,channels=1 ! rtpL16pay pt=96 \
  ! mctxsink group=$group port=$port interface=127.0.0.1 ttl=0 stats-interval=1000 2>&1 \
  | grep --line-buffered -o 'mctx-metrics.*' | sed -u 's/^/sender: /'

wait "$receiver" || true
