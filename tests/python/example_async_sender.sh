#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Runs examples/python/async_sender.py against a real receiver
# (mctx-test-recv joined on lo) and checks that every datagram arrived and
# that the example printed its final metrics. Run inside scripts/mctx-netns,
# with the build tree's mctx package on PYTHONPATH.
#   example_async_sender.sh PYTHON EXAMPLE MCTX_TEST_RECV
set -eu
python=$1
example=$2
recv=$3
. "$(dirname "$0")/../support/receiver.sh"
work_dir
start_receiver "$recv" --group 239.255.0.1 --port 5000 --interface lo --count 50 --timeout-ms 5000
"$python" "$example" --count 50 --interval 20 --size 200 | tee "$dir/sent"
expect_received 50
tail -n 1 "$dir/out"
grep -q '^announce: source 127.0.0.1 group 239.255.0.1 port 5000$' "$dir/sent"
grep -q '^first datagram: 200 bytes 127.0.0.1 -> 239.255.0.1:5000$' "$dir/sent"
grep -q '^\[final   \]     50 packets     10000 bytes' "$dir/sent"
# A bad argument is reported with the core's sentence and code.
if "$python" "$example" --group 10.0.0.1 2>"$dir/err"; then
  echo "a unicast group was accepted" >&2; exit 1
fi
cat "$dir/err"
grep -qx "async_sender: group '10.0.0.1' is not a multicast address (group_not_multicast)" "$dir/err"
echo "example async_sender: 50 datagrams received"
