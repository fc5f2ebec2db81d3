#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# FFmpeg finds a session that the core announces with SAP, and reads it.
#   test_ffmpeg_sap.sh MCTX_SAP_ANNOUNCE
# Runs inside scripts/mctx-netns (a private namespace: only lo). Makes a
# short MPEG-TS file with ffmpeg, starts mctx-sap-announce (SDP of MPEG-TS
# over UDP, "m=video 5004 udp 33", to 239.255.1.2 on lo, announced to
# 239.255.255.255:9875), then:
#   1. ffprobe sap://239.255.255.255 finds the session and its MPEG-TS
#      program (the video stream inside);
#   2. ffprobe reads the SDP file the sender wrote, as FFmpeg's SDP demuxer
#      takes it from a file.
# Skips (77) when ffmpeg or ffprobe is missing (scripts/deps --test).
set -eu
announce=$1
for tool in ffmpeg ffprobe; do
  command -v "$tool" >/dev/null || { echo "SKIP: needs $tool (apt install ffmpeg; scripts/deps --test)" >&2; exit 77; }
done
[ "${MCTX_NETNS:-}" = 1 ] || { echo "SKIP: run inside scripts/mctx-netns" >&2; exit 77; }

dir=$(mktemp -d)
pid=""
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

# FFmpeg joins with the kernel's choice of interface: give it a route.
ip route add 224.0.0.0/4 dev lo 2>/dev/null || true

ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=25 -t 4 \
  -c:v mpeg2video -f mpegts "$dir/in.ts"

"$announce" 239.255.1.2 5004 lo "$dir/in.ts" 25 "$dir/stream.sdp" 2>"$dir/announce.log" &
pid=$!
sleep 1
echo "SDP written by the sender:"
cat "$dir/stream.sdp"
grep -q '^m=video 5004 udp 33' "$dir/stream.sdp" || { echo "FAIL: no 'm=video 5004 udp 33' line" >&2; exit 1; }

fail=0
echo "1. ffprobe sap://239.255.255.255"
if timeout 20 ffprobe -hide_banner -v error -analyzeduration 3000000 -probesize 2000000 \
     -show_entries stream=codec_name,codec_type -of compact "sap://239.255.255.255" \
     >"$dir/sap.out" 2>"$dir/sap.err"; then :; fi
cat "$dir/sap.out" "$dir/sap.err"
grep -q 'codec_name=mpeg2video|codec_type=video' "$dir/sap.out" || {
  echo "FAIL: FFmpeg's sap:// demuxer did not find the announced MPEG-TS video" >&2; fail=1; }

echo "2. ffprobe the SDP file"
if timeout 20 ffprobe -hide_banner -v error -protocol_whitelist file,udp,rtp \
     -show_entries stream=codec_name,codec_type -of compact "$dir/stream.sdp" \
     >"$dir/sdp.out" 2>"$dir/sdp.err"; then :; fi
cat "$dir/sdp.out" "$dir/sdp.err"
grep -q 'codec_name=mpeg2video|codec_type=video' "$dir/sdp.out" || {
  echo "FAIL: FFmpeg's SDP demuxer did not read the MPEG-TS stream the SDP describes" >&2; fail=1; }

kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=""
cat "$dir/announce.log"
exit $fail
