#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Runs examples/core/send_hello against a real receiver (mctx-test-recv)
# and checks that all three datagrams arrived. Run inside scripts/mctx-netns.
#   example_send_hello.sh SEND_HELLO MCTX_TEST_RECV
set -eu
send_hello=$1
recv=$2
. "$(dirname "$0")/../support/receiver.sh"
work_dir
start_receiver "$recv" --group 239.255.0.1 --port 5000 --interface lo --count 3 --timeout-ms 3000
"$send_hello"
expect_received 3
cat "$dir/out"
grep -q '"payload_hex":"68656c6c6f2030"' "$dir/out"   # "hello 0"
grep -q '"payload_hex":"68656c6c6f2031"' "$dir/out"   # "hello 1"
grep -q '"payload_hex":"68656c6c6f2032"' "$dir/out"   # "hello 2"
echo "example send_hello: 3 datagrams received"
