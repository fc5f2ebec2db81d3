#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Runs examples/core/send_hello against a real receiver (mctx-test-recv)
# and checks that all three datagrams arrived. Run inside scripts/mctx-netns.
#   example_send_hello.sh SEND_HELLO MCTX_TEST_RECV
set -eu
send_hello=$1
recv=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

. "$(dirname "$0")/../support/receiver.sh"
start_receiver "$recv" "$dir" --group 239.255.0.1 --port 5000 --interface lo --count 3 --timeout-ms 3000
"$send_hello"
wait $receiver_pid
cat "$dir/out"
grep -q '"payload_hex":"68656c6c6f2030"' "$dir/out"   # "hello 0"
grep -q '"payload_hex":"68656c6c6f2031"' "$dir/out"   # "hello 1"
grep -q '"payload_hex":"68656c6c6f2032"' "$dir/out"   # "hello 2"
grep -qx '{"received":3}' "$dir/out"
echo "example send_hello: 3 datagrams received"
