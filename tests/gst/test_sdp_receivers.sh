#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Receivers written by others read what mctxsink describes and announces.
# Runs inside scripts/mctx-netns (only lo, with a multicast route on it);
# the pipelines use GST_PLUGIN_PATH_1_0 (the mctx plugin) and the system's
# plugins:
#   1. RTP L16 (audiotestsrc ! rtpL16pay): ffprobe reads the sdp-file,
#      ffmpeg decodes a second of it
#   2. RTP Opus (opusenc ! rtpopuspay): ffprobe, ffmpeg decodes a second
#   3. RTP H.264 (x264enc ! rtph264pay; skipped without x264enc):
#      ffprobe finds the picture size
#   4. MPEG-TS over UDP (mpegtsmux; "m=video PORT udp 33"): ffprobe
#   5. FFmpeg's sap:// reader, given only the SAP address, finds the
#      announced L16 session and decodes it
#   6. GStreamer's sdpdemux (gst-plugins-bad; skipped without it) plays the
#      SDP file of part 5
#   7. VLC's SAP discovery (cvlc --services-discovery sap, as nobody;
#      skipped without cvlc) lists the session of part 5 by its name
# Skips (77) when ffmpeg/ffprobe are missing (scripts/deps --test).
set -eu
for tool in ffmpeg ffprobe gst-launch-1.0 gst-inspect-1.0; do
  command -v "$tool" >/dev/null || { echo "SKIP: needs $tool (scripts/deps --test)" >&2; exit 77; }
done
[ "${MCTX_NETNS:-}" = 1 ] || { echo "SKIP: run inside scripts/mctx-netns" >&2; exit 77; }

dir=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# FFmpeg and udpsrc join with the kernel's choice of interface: a route.
ip route add 224.0.0.0/4 dev lo 2>/dev/null || true

have() { gst-inspect-1.0 --exists "$1"; }
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# send NAME GROUP PORT PIPELINE-HEAD [mctxsink properties...]: a live
# sender (stopped by stop_senders) writing $dir/NAME.sdp.
send() {
  name=$1 group=$2 port=$3 head=$4
  shift 4
  # shellcheck disable=SC2086
  gst-launch-1.0 -q $head ! mctxsink group="$group" port="$port" interface=lo \
    sdp-file="$dir/$name.sdp" session-name="mctx $name" "$@" >"$dir/$name.log" 2>&1 &
  pids="$pids $!"
  i=0
  while [ ! -s "$dir/$name.sdp" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  echo "--- $name.sdp"
  cat "$dir/$name.sdp" || true
}

stop_senders() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=""
}

probe() {  # probe FILE-OR-URL FIELDS
  timeout 20 ffprobe -hide_banner -v error -protocol_whitelist file,udp,rtp \
    -show_entries "stream=$2" -of compact "$1" 2>&1 || true
}

decode_bytes() {  # decode_bytes FILE-OR-URL: bytes of one second decoded as s16le
  timeout 20 ffmpeg -nostdin -hide_banner -v error -protocol_whitelist file,udp,rtp -i "$1" \
    -t 1 -f s16le -y "$dir/out.raw" >/dev/null 2>&1 || true
  wc -c <"$dir/out.raw" 2>/dev/null || echo 0
  rm -f "$dir/out.raw"
}

# check_sdp NAME GREP-OPTION SDP-LINE FIELDS PROBED: the SDP of NAME has
# SDP-LINE (a regular expression; GREP-OPTION -q, or -qi for any case) and
# ffprobe reports PROBED for FIELDS.
check_sdp() {
  grep "$2" "$3" "$dir/$1.sdp" || bad "$1: no line '$3' in the SDP"
  out=$(probe "$dir/$1.sdp" "$4"); echo "$out"
  echo "$out" | grep -q "$5" || bad "ffprobe did not read the $1 stream"
}

L16="audiotestsrc is-live=true num-buffers=1500 ! audioconvert ! audio/x-raw,format=S16BE,channels=1,rate=48000 ! rtpL16pay"

# audio NAME GROUP PORT HEAD SDP-LINE PROBED: the SDP has SDP-LINE, ffprobe
# reports PROBED, ffmpeg decodes a second (at least 90000 bytes of s16le).
audio() {
  send "$1" "$2" "$3" "$4"
  check_sdp "$1" -qi "$5" codec_name,sample_rate,channels "$6"
  n=$(decode_bytes "$dir/$1.sdp"); echo "decoded $n bytes"
  [ "$n" -ge 90000 ] || bad "ffmpeg decoded $n bytes of $1, want a second"
  stop_senders
}

echo "1. RTP L16"
audio l16 239.255.0.1 5004 "$L16" '^a=rtpmap:96 L16/48000/1' 'codec_name=pcm_s16be|sample_rate=48000|channels=1'

echo "2. RTP Opus"
audio opus 239.255.0.2 5006 "audiotestsrc is-live=true num-buffers=1500 ! opusenc ! rtpopuspay" \
  '^a=rtpmap:96 opus/48000/2' 'codec_name=opus|sample_rate=48000'

H264="videotestsrc is-live=true num-buffers=900 ! video/x-raw,width=320,height=240,framerate=30/1 ! x264enc tune=zerolatency key-int-max=15"

# video NAME GROUP PORT TAIL SDP-LINE: H.264 through TAIL (a payloader or
# a muxer); the SDP has SDP-LINE (a regular expression) and ffprobe finds
# the picture.
video() {
  send "$1" "$2" "$3" "$H264 ! $4"
  check_sdp "$1" -q "$5" codec_name,width,height 'codec_name=h264|width=320|height=240'
  stop_senders
}

echo "3. RTP H.264"
if have x264enc; then
  video h264 239.255.0.3 5008 "rtph264pay config-interval=1" '^a=fmtp:96 .*sprop-parameter-sets='
else
  echo "SKIP part 3: no x264enc (gstreamer1.0-plugins-ugly)"
fi

echo "4. MPEG-TS over UDP"
if have mpegtsmux && have x264enc; then
  video ts 239.255.0.4 5010 "mpegtsmux alignment=7" '^m=video 5010 udp 33'
else
  echo "SKIP part 4: no mpegtsmux or x264enc (gstreamer1.0-plugins-bad, -ugly)"
fi

echo "5. FFmpeg's sap:// reader"
send sap 239.255.0.5 5012 "$L16" announce=true announce-interval=1
out=$(timeout 20 ffprobe -hide_banner -v error -show_entries stream=codec_name,sample_rate -of compact \
  sap://239.255.255.255 2>&1 || true); echo "$out"
echo "$out" | grep -q 'codec_name=pcm_s16be|sample_rate=48000' || bad "sap:// did not find and read the announced session"

echo "6. GStreamer's sdpdemux"
if have sdpdemux; then
  if timeout 20 gst-launch-1.0 -q filesrc location="$dir/sap.sdp" ! sdpdemux latency=100 ! \
       rtpL16depay ! audioconvert ! fakesink num-buffers=50 >"$dir/sdpdemux.log" 2>&1; then
    echo "sdpdemux played 50 buffers"
  else
    cat "$dir/sdpdemux.log"; bad "sdpdemux did not play the SDP file"
  fi
else
  echo "SKIP part 6: no sdpdemux (gstreamer1.0-plugins-bad)"
fi

echo "7. VLC's SAP discovery"
if command -v cvlc >/dev/null && command -v setpriv >/dev/null; then
  # VLC does not run as root; it lists what it discovers at -vv. (VLC
  # ignores SAP deletions: a session goes when its announcements stop.)
  mkdir -p "$dir/vlc" && chmod 777 "$dir/vlc"
  HOME="$dir/vlc" timeout 5 setpriv --reuid=65534 --regid=65534 --clear-groups \
    cvlc -I dummy -vv --services-discovery sap --no-video --aout dummy >"$dir/vlc.out" 2>&1 || true
  grep 'services discovery debug: adding' "$dir/vlc.out" || true
  grep -q 'services discovery debug: adding: mctx sap$' "$dir/vlc.out" || bad "VLC's SAP discovery did not list 'mctx sap'"
else
  echo "SKIP part 7: no cvlc (vlc-bin, vlc-plugin-base) or setpriv"
fi
stop_senders

[ $fail = 0 ] || for f in "$dir"/*.log; do echo "--- $f"; cat "$f"; done
exit $fail
