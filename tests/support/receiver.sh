# SPDX-License-Identifier: BSD-2-Clause
#
# Sourced by the shell tests (sh) that check delivery with mctx-test-recv:
#   work_dir                  makes a temporary directory $dir, removed at exit
#   start_receiver RECV ARG...  starts mctx-test-recv (RECV) with ARG..., its
#                             JSON lines going to $dir/out, and returns once it
#                             has joined the group; its pid is in $receiver_pid
#   expect_received N         waits for the receiver and fails unless it got
#                             exactly N datagrams; its lines are in $dir/out

work_dir() {
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
}

start_receiver() {
  _recv=$1
  shift
  "$_recv" "$@" --ready-file "$dir/ready" >"$dir/out" &
  receiver_pid=$!
  _i=0
  while [ ! -e "$dir/ready" ]; do   # polls the ready file, up to 5 s
    _i=$((_i + 1))
    if [ $_i -gt 250 ]; then echo "receiver did not join in time" >&2; exit 1; fi
    sleep 0.02
  done
}

expect_received() {
  wait "$receiver_pid"
  if ! grep -qx "{\"received\":$1}" "$dir/out"; then
    cat "$dir/out" >&2
    echo "FAIL: the receiver did not get exactly $1 datagrams" >&2
    exit 1
  fi
}
