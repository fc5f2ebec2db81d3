#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# mctx as a Meson subproject: a parent project (tests/lib/parent) gets
# libmctx-core from dependency('mctx-core', fallback : 'mctx'); only the
# library is built and installed (no plugin, tools, tests, examples or
# benchmarks) unless the parent asks for more; the parent's program sends to
# a real receiver inside a private network namespace (scripts/mctx-netns).
#   subproject-consumer.sh SOURCE_ROOT MCTX_TEST_RECV
set -eu
src=$1
recv=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp -r "$src/tests/lib/parent" "$tmp/parent"
cp "$src/examples/core/send_hello.cpp" "$tmp/parent/"
mkdir "$tmp/parent/subprojects"
ln -s "$src" "$tmp/parent/subprojects/mctx"

targets() {  # BUILD_DIR: the names of the targets that build by default
  python3 -c 'import json, sys
for t in json.load(sys.stdin):
    if t["build_by_default"]:
        print(t["name"])' <"$1/meson-info/intro-targets.json" | sort
}

# 1. Defaults: only the library.
meson setup --force-fallback-for=mctx-core "$tmp/parent/build" "$tmp/parent" >"$tmp/setup.log" 2>&1 || {
  cat "$tmp/setup.log" >&2; echo "FAIL: meson setup of the parent failed" >&2; exit 1; }
got=$(targets "$tmp/parent/build" | tr '\n' ' ')
echo "targets: $got"
[ "$got" = "mctx-core mctx-core-internal send_hello " ] ||
  { echo "FAIL: expected only mctx-core, mctx-core-internal and send_hello" >&2; exit 1; }

meson compile -C "$tmp/parent/build" >"$tmp/compile.log" 2>&1 || {
  tail -40 "$tmp/compile.log" >&2; echo "FAIL: the parent did not build" >&2; exit 1; }
meson install -C "$tmp/parent/build" --no-rebuild --quiet --destdir "$tmp/root" >/dev/null
installed=$(cd "$tmp/root" && find . -type f -o -type l | sed 's|^\./[^/]*/[^/]*/||' | sort)
echo "installed:"; printf '  %s\n' $installed
unexpected=$(printf '%s\n' $installed | grep -v -E \
  '^(bin/send_hello|include/mctx/[a-z_]+\.hpp|lib/([^/]+/)?libmctx-core\.so(\.[0-9]+)*|lib/([^/]+/)?pkgconfig/mctx-core\.pc)$' || true)
if [ -n "$unexpected" ]; then
  echo "FAIL: the subproject installed more than the library:" >&2
  printf '  %s\n' $unexpected >&2
  exit 1
fi
printf '%s\n' $installed | grep -q 'pkgconfig/mctx-core.pc$' || { echo "FAIL: no mctx-core.pc" >&2; exit 1; }

# 2. The parent may ask for more: -Dmctx:tools=enabled adds mctx-send.
meson setup --force-fallback-for=mctx-core -Dmctx:tools=enabled "$tmp/parent/build-tools" \
  "$tmp/parent" >"$tmp/setup2.log" 2>&1 || {
  cat "$tmp/setup2.log" >&2; echo "FAIL: meson setup with mctx:tools=enabled failed" >&2; exit 1; }
targets "$tmp/parent/build-tools" | grep -qx 'mctx-send' ||
  { echo "FAIL: -Dmctx:tools=enabled did not add mctx-send" >&2; exit 1; }
echo "with -Dmctx:tools=enabled: mctx-send is built too"

# 3. The parent's program sends; a real receiver gets it.
"$src/scripts/mctx-netns" -- sh "$src/tests/core/example_send_hello.sh" \
  "$tmp/parent/build/send_hello" "$recv"
