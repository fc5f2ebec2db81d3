#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# An AMT gateway for real, inside private network namespaces:
#
#   source (198.51.100.2) --mctx3/mctx2--> relay amtrelayd (192.0.2.1)
#     ==AMT tunnel, UDP 2268==> gateway (192.0.2.2):
#        amtsrc output=datagram ! mctxsink raw-mode=true interface=lan0
#     --lan0/lan1--> an SSM receiver joined to (198.51.100.2, 232.1.1.1) on lan1
#
#   examples/gst/amt-gateway.sh [BUILDDIR]     (default: ./build; run as root)
#
# amtrelayd (Juniper's relay, ../shared/peers) comes from $AMTRELAYD, else
# BUILDDIR/tests/amt/amtrelayd (built by `meson test --suite amt`), else it
# is built into a temporary directory with ../shared/peers/build-amtrelayd.
# Prints what the receiver got; exit 0 when it got all 20 datagrams from
# the original source; 77 when something needed is missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-${MCTX_BUILD_DIR:-$root/build}}" && pwd)

if [ -z "${MCTX_NETNS:-}" ]; then
  exec "$root/scripts/mctx-netns" --peer2 "$0" "$build"
fi

relayd=${AMTRELAYD:-$build/tests/amt/amtrelayd}
if [ ! -x "$relayd" ]; then
  builder="$root/../shared/peers/build-amtrelayd"
  [ -x "$builder" ] || { echo "SKIP: no amtrelayd and no $builder" >&2; exit 77; }
  tmp=$(mktemp -d)
  echo "building amtrelayd into $tmp (about 40 s)..."
  "$builder" "$tmp" >/dev/null
  relayd="$tmp/amtrelayd"
fi
export GST_PLUGIN_PATH_1_0="$build/gst"
peer() { nsenter --net="$MCTX_PEER_NETNS" "$@"; }
source_host() { nsenter --net="$MCTX_PEER2_NETNS" "$@"; }

# The LAN of the gateway: a veth pair lan0 (gateway side) <-> lan1 (receiver).
peer sh -ec '
  ip link add lan0 type veth peer name lan1
  ip link set lan0 multicast on up; ip link set lan1 multicast on up
  ip addr add 10.9.0.1/24 dev lan0; ip addr add 10.9.0.2/24 dev lan1
  for i in all default lan1; do sysctl -qw net.ipv4.conf.$i.rp_filter=0; done'

# 1. The relay, listening on 192.0.2.1:2268, receiving native multicast on mctx2.
"$relayd" -d -a 192.0.2.1 -r 192.0.2.1 -c mctx2 >/tmp/amtrelayd-example.log 2>&1 &
relay_pid=$!
# (Background commands run nsenter directly, so that $! is their own pid.)

# 2. The gateway pipeline in the gateway host.
nsenter --net="$MCTX_PEER_NETNS" gst-launch-1.0 -q amtsrc relay-address=192.0.2.1 group=232.1.1.1 \
    source-address=198.51.100.2 output=datagram \
  ! mctxsink raw-mode=true interface=lan0 &
gateway_pid=$!

# 3. An ordinary SSM receiver on the LAN.
nsenter --net="$MCTX_PEER_NETNS" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lan1")
s.bind(("232.1.1.1", 5000))
s.setsockopt(socket.IPPROTO_IP, 39,  # IP_ADD_SOURCE_MEMBERSHIP
             socket.inet_aton("232.1.1.1") + socket.inet_aton("10.9.0.2") + socket.inet_aton("198.51.100.2"))
s.settimeout(10)
n = 0
try:
    while n < 20:
        data, addr = s.recvfrom(2048)
        n += 1
        print("receiver: %r from %s:%d" % (data, addr[0], addr[1]))
except socket.timeout:
    pass
print("receiver: %d/20 datagrams" % n)
raise SystemExit(0 if n == 20 else 1)' &
receiver_pid=$!

sleep 3  # discovery-free start: Request, Query, Update, the relay's join
# 4. The multicast source, far away behind the relay.
source_host /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("198.51.100.2"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 8)
s.bind(("198.51.100.2", 4000))
for i in range(20):
    s.sendto(b"hello through AMT %d" % i, ("232.1.1.1", 5000)); time.sleep(0.05)'

status=0
wait "$receiver_pid" || status=$?
# SIGINT: gst-launch stops the pipeline, and amtsrc sends the leave.
kill -INT "$gateway_pid" 2>/dev/null || true
wait "$gateway_pid" 2>/dev/null || true
kill "$relay_pid" 2>/dev/null || true
wait "$relay_pid" 2>/dev/null || true
exit $status
