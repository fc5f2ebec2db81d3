# SPDX-License-Identifier: BSD-2-Clause
#
# Sourced by test scripts (sh): start_receiver RECV DIR ARG... starts
# mctx-test-recv (RECV) with ARG..., its JSON lines going to DIR/out, and
# returns once it has joined the group; its pid is in $receiver_pid.

start_receiver() {
  _recv=$1
  _dir=$2
  shift 2
  "$_recv" "$@" --ready-file "$_dir/ready" >"$_dir/out" &
  receiver_pid=$!
  _i=0
  while [ ! -e "$_dir/ready" ]; do
    _i=$((_i + 1))
    if [ $_i -gt 250 ]; then echo "receiver did not join in time" >&2; exit 1; fi
    sleep 0.02
  done
}
