#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# FFmpeg finds a session that the core announces with SAP, and reads it.
#   test_ffmpeg_sap.sh MCTX_SAP_ANNOUNCE
# Runs inside scripts/mctx-netns --veth. Makes a short MPEG-TS file with
# ffmpeg, starts mctx-sap-announce (SDP of MPEG-TS over UDP, "m=video 5004
# udp 33"), then:
#   1. ffprobe on the SAP address finds the session and its MPEG-TS
#      program (the video stream inside);
#   2. ffprobe reads the SDP file the sender wrote, as FFmpeg's SDP demuxer
#      takes it from a file.
# Once over IPv4 (239.255.1.2 on lo, announced to 239.255.255.255:9875),
# once over IPv6 (ff15::1:2 out of the veth, announced to
# [ff05::2:7ffe]:9875).
# Skips (77) when ffmpeg or ffprobe is missing (scripts/deps --test).
set -eu
announce=$1
for tool in ffmpeg ffprobe; do
  command -v "$tool" >/dev/null || { echo "SKIP: needs $tool (apt install ffmpeg; scripts/deps --test)" >&2; exit 77; }
done
[ "${MCTX_NETNS:-}" = 1 ] && [ -n "${MCTX_VETH:-}" ] || { echo "SKIP: run inside scripts/mctx-netns --veth" >&2; exit 77; }

dir=$(mktemp -d)
pid=""
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

# FFmpeg joins with the kernel's choice of interface: give it a route.
ip route add 224.0.0.0/4 dev lo 2>/dev/null || true

ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i testsrc=size=160x120:rate=25 -t 4 \
  -c:v mpeg2video -f mpegts "$dir/in.ts"

fail=0
# One announced session: the sender (GROUP out of IFACE) announcing with
# SAP, then ffprobe on SAP_URL, then ffprobe on the SDP file it wrote.
check() {
  group=$1 iface=$2 sap_url=$3 label=$4
  "$announce" "$group" 5004 "$iface" "$dir/in.ts" 25 "$dir/$label.sdp" 2>"$dir/announce.log" &
  pid=$!
  sleep 1
  echo "SDP written by the sender ($label):"
  cat "$dir/$label.sdp"
  grep -q '^m=video 5004 udp 33' "$dir/$label.sdp" || { echo "FAIL: no 'm=video 5004 udp 33' line" >&2; fail=1; }

  echo "$label: ffprobe $sap_url"
  if timeout 20 ffprobe -hide_banner -v error -analyzeduration 3000000 -probesize 2000000 \
       -show_entries stream=codec_name,codec_type -of compact "$sap_url" \
       >"$dir/sap.out" 2>"$dir/sap.err"; then :; fi
  cat "$dir/sap.out" "$dir/sap.err"
  grep -q 'codec_name=mpeg2video|codec_type=video' "$dir/sap.out" || {
    echo "FAIL ($label): FFmpeg's sap:// demuxer did not find the announced MPEG-TS video" >&2; fail=1; }

  echo "$label: ffprobe the SDP file"
  if timeout 20 ffprobe -hide_banner -v error -protocol_whitelist file,udp,rtp \
       -show_entries stream=codec_name,codec_type -of compact "$dir/$label.sdp" \
       >"$dir/sdp.out" 2>"$dir/sdp.err"; then :; fi
  cat "$dir/sdp.out" "$dir/sdp.err"
  grep -q 'codec_name=mpeg2video|codec_type=video' "$dir/sdp.out" || {
    echo "FAIL ($label): FFmpeg's SDP demuxer did not read the MPEG-TS stream the SDP describes" >&2; fail=1; }

  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
  cat "$dir/announce.log"
}

check 239.255.1.2 lo "sap://239.255.255.255" ipv4
# IPv6 over the veth pair (IPv6 multicast over lo is not delivered): a
# group of scope 5 is announced at ff05::2:7ffe (RFC 2974).
check ff15::1:2 "$MCTX_VETH" "sap://[ff05::2:7ffe]" ipv6
exit $fail
