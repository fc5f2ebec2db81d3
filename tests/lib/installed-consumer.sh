#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Installs the build into a temporary DESTDIR and builds a consumer against
# the installed tree with pkg-config only (no nlohmann_json.pc, no build
# tree on any path), then runs it inside a private network namespace
# (scripts/mctx-netns) against a real receiver.
#   installed-consumer.sh BUILD_ROOT SOURCE_ROOT MCTX_TEST_RECV
# The consumer is examples/core/send_hello.cpp. Also checks that the .pc
# states C++20 and that a pre-C++20 compile stops with the header's message.
set -eu
build=$1
src=$2
recv=$3
cxx=${CXX:-c++}  # may be a command with arguments ("ccache c++")
sanitize=""
if [ -n "${MCTX_SANITIZE:-}" ] && [ "$MCTX_SANITIZE" != none ]; then
  sanitize="-fsanitize=$MCTX_SANITIZE"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

. "$src/tests/lib/destdir-install.sh"
destdir_install "$build" "$root"

pc=$(find "$root" -name mctx-core.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: no mctx-core.pc installed" >&2; exit 1; }
echo "installed: ${pc#$root}"
cat "$pc"

# Only the installed tree: PKG_CONFIG_LIBDIR replaces the system search path,
# so a Requires on a package that is not installed there fails here.
PKG_CONFIG_LIBDIR=$(dirname "$pc")
PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
unset PKG_CONFIG_PATH
cflags=$(pkg-config --cflags mctx-core)
libs=$(pkg-config --libs mctx-core)
static_libs=$(pkg-config --static --libs mctx-core)
echo "cflags: $cflags"
echo "libs: $libs (static: $static_libs)"
std=$(pkg-config --variable=cxx_std mctx-core)
[ "$std" = "c++20" ] || { echo "FAIL: cxx_std is '$std', expected c++20" >&2; exit 1; }
pkg-config --print-requires mctx-core | grep -q . &&
  { echo "FAIL: mctx-core.pc requires other packages" >&2; exit 1; }
pkg-config --print-requires-private mctx-core | grep -q . &&
  { echo "FAIL: mctx-core.pc has Requires.private" >&2; exit 1; }
case " $cflags " in *"$build"*|*"$src/core"*) echo "FAIL: cflags point into the build or source tree" >&2; exit 1 ;; esac

# shellcheck disable=SC2086
$cxx -std=c++20 $sanitize -o "$tmp/send_hello" "$src/examples/core/send_hello.cpp" $cflags $libs
echo "built the consumer with -std=c++20"

# A pre-C++20 compile stops at once with a sentence that says why.
# shellcheck disable=SC2086
if $cxx -std=c++17 -c -o "$tmp/old.o" "$src/examples/core/send_hello.cpp" $cflags 2>"$tmp/old.err"; then
  echo "FAIL: the headers compiled with -std=c++17" >&2; exit 1
fi
grep -q 'libmctx-core needs C++20' "$tmp/old.err" ||
  { echo "FAIL: no clear C++20 message:" >&2; head -5 "$tmp/old.err" >&2; exit 1; }
echo "-std=c++17: $(grep -m1 'libmctx-core needs C++20' "$tmp/old.err" | sed 's/.*error: //')"

# Runs against the installed library, not the build tree's.
libdir=$(dirname "$(find "$root" -name 'libmctx-core.so.*' | head -n 1)")
LD_LIBRARY_PATH=$libdir
export LD_LIBRARY_PATH
resolved=$(ldd "$tmp/send_hello" | sed -n 's/.*libmctx-core[^ ]* => \([^ ]*\).*/\1/p')
case "$resolved" in
  "$root"/*) echo "runs with $resolved" ;;
  *) echo "FAIL: the consumer resolves libmctx-core to '$resolved'" >&2; exit 1 ;;
esac

"$src/scripts/mctx-netns" -- sh "$src/tests/core/example_send_hello.sh" "$tmp/send_hello" "$recv"
