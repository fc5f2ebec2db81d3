#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# AMT gateway data path, end to end, inside private network namespaces.
#
#   examples/amt-gateway/run-demo.sh [BUILDDIR]     (default BUILDDIR: ./build)
#
# Run as root: the script re-runs itself inside `scripts/mctx-netns --peer`
# (a fresh namespace with a veth pair mctx0 <-> mctx1, mctx1 in a second
# "peer" namespace), so nothing can leave the machine. Then:
#
#   1. the gateway (mctx-amt-gateway: udpsrc ! [strip AMT header] !
#      mctxsink raw-mode=true interface=mctx0) listens on 127.0.0.1:2268;
#   2. two source-specific receivers in the peer namespace join
#      (198.51.100.7, 232.1.1.1) and (2001:db8:99::7, ff3e::8000:1) on mctx1;
#   3. the relay (amt-relay.py) wraps 5 IPv4 and 5 IPv6 datagrams with those
#      foreign sources into AMT Multicast Data messages (RFC 7450 type 6),
#      plus one whose inner datagram is corrupted and one AMT message that is
#      not data, and sends them by unicast UDP over loopback to the gateway.
#
# The receivers print what they got. Exit status 0 when each receiver got
# exactly its 5 datagrams and the gateway dropped and counted the corrupted
# one; 77 (skip) when not root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-${MCTX_BUILD_DIR:-$root/build}}" && pwd)

if [ -z "${MCTX_NETNS:-}" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the demo needs root (network namespaces, CAP_NET_RAW for raw mode)" >&2
    exit 77
  fi
  exec "$root/scripts/mctx-netns" --peer -- "$0" "$build"
fi
if [ -z "${MCTX_PEER_NETNS:-}" ]; then
  echo "run-demo.sh: run it through scripts/mctx-netns --peer (or as root without it)" >&2
  exit 2
fi

python=${PYTHON:-python3}
gateway_exe="$build/examples/mctx-amt-gateway"
[ -x "$gateway_exe" ] || { echo "run-demo.sh: $gateway_exe is missing: build first" >&2; exit 2; }
export GST_PLUGIN_PATH="$build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

source4=198.51.100.7 group4=232.1.1.1
source6=2001:db8:99::7 group6=ff3e::8000:1
port=5000 amt_port=2268 count=5

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

peer() { nsenter --net="$MCTX_PEER_NETNS" "$@"; }
wait_for() {  # FILE WHAT
  for _ in $(seq 1 300); do [ -e "$1" ] && return 0; sleep 0.05; done
  echo "run-demo.sh: timed out waiting for $2" >&2
  exit 1
}

# The peer accepts IPv4 datagrams from a source it has no route back to
# (strict reverse-path filtering would drop 198.51.100.7).
peer sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
  net.ipv4.conf.mctx1.rp_filter=0

# 1. The gateway: 12 AMT messages, then EOS.
"$gateway_exe" --interface mctx0 --listen 127.0.0.1 --port $amt_port \
  --count $((2 * count + 2)) --ready-file "$tmp/gateway.ready" > "$tmp/gateway.out" 2>&1 &
gateway=$!
pids+=("$gateway")
# Show its output as it comes; tail ends when the gateway does.
tail -s 0.1 -n +1 -f --pid="$gateway" "$tmp/gateway.out" | sed -u 's/^/[gateway]  /' &
display=$!
pids+=("$display")
wait_for "$tmp/gateway.ready" "the gateway"

# 2. The receivers, in the peer namespace.
peer "$python" "$here/ssm-receive.py" --source $source4 --group $group4 --port $port \
  --interface mctx1 --count $count --timeout 2 --ready-file "$tmp/rx4.ready" \
  > >(sed -u 's/^/[peer v4]  /') 2>&1 &
rx4=$!
pids+=("$rx4")
peer "$python" "$here/ssm-receive.py" --source $source6 --group $group6 --port $port \
  --interface mctx1 --count $count --timeout 2 --ready-file "$tmp/rx6.ready" \
  > >(sed -u 's/^/[peer v6]  /') 2>&1 &
rx6=$!
pids+=("$rx6")
wait_for "$tmp/rx4.ready" "the IPv4 receiver"
wait_for "$tmp/rx6.ready" "the IPv6 receiver"

# 3. The relay.
"$python" "$here/amt-relay.py" --gateway 127.0.0.1:$amt_port --count $count \
  --source $source4 --group $group4 --port $port \
  --ipv6-source $source6 --ipv6-group $group6 \
  --with-invalid --with-other-message 2>&1 | sed -u 's/^/[relay]    /'

status=0
wait "$gateway" || { echo "demo: the gateway failed" >&2; status=1; }
wait "$rx4" || { echo "demo: the IPv4 receiver did not get exactly $count datagrams" >&2; status=1; }
wait "$rx6" || { echo "demo: the IPv6 receiver did not get exactly $count datagrams" >&2; status=1; }
wait "$display" || true
pids=()
sleep 0.1  # let the receivers' output filters drain

# The gateway's final metrics: 10 datagrams sent, the corrupted one dropped
# and counted, the non-data AMT message ignored before mctxsink.
final=$(grep 'reason=(string)stop' "$tmp/gateway.out" || true)
for want in 'mode=(string)raw' "packets-sent=(guint64)$((2 * count))" \
            'invalid-datagrams=(guint64)1' 'dropped=(guint64)1' \
            "ipv4-packets-sent=(guint64)$count" "ipv6-packets-sent=(guint64)$count"; do
  case "$final" in
    *"$want"*) ;;
    *) echo "demo: the gateway's final metrics lack $want" >&2; status=1 ;;
  esac
done
grep -q '1 other messages ignored' "$tmp/gateway.out" ||
  { echo "demo: the gateway did not ignore the non-data AMT message" >&2; status=1; }

if [ $status = 0 ]; then
  echo "demo: OK: both (S,G) receivers got their $count datagrams with the original sources;"
  echo "demo: the corrupted datagram was dropped and counted, the non-data message ignored"
fi
exit $status
