#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# Installs the build into a temporary DESTDIR and runs the Python example
# against a real receiver with only the installed package on PYTHONPATH
# (and the installed libmctx-core on LD_LIBRARY_PATH, standing in for the
# extension's RUNPATH, which names the real prefix).
#   installed.sh BUILD_ROOT SOURCE_ROOT PYTHON MCTX_TEST_RECV
set -eu
build=$1
src=$2
python=$3
recv=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

. "$src/tests/lib/destdir-install.sh"
destdir_install "$build" "$root"

init=$(find "$root" -path '*/mctx/__init__.py' | head -n 1)
[ -n "$init" ] || { echo "FAIL: the mctx package was not installed" >&2; exit 1; }
site=$(dirname "$(dirname "$init")")
echo "installed: ${site#$root}/mctx"
# The place must be one the interpreter searches (python.install_env=auto).
"$python" -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "${site#$root}" || {
  echo "FAIL: ${site#$root} is not on $python's sys.path" >&2; exit 1; }
ext=$(find "$site/mctx" -name '_core*.so' | head -n 1)
libdir=$(dirname "$(find "$root" -name 'libmctx-core.so.[0-9]*' -type l | head -n 1)")
check_runpath "$ext" "${libdir#$root}"

PYTHONPATH=$site LD_LIBRARY_PATH=$libdir
export PYTHONPATH LD_LIBRARY_PATH
"$python" -c '
import sys, mctx, mctx._core
for m in (mctx, mctx._core):
    assert m.__file__.startswith(sys.argv[1]), m.__file__
print("imports", mctx.__file__)' "$root"
sh "$src/tests/python/example_async_sender.sh" "$python" "$src/examples/python/async_sender.py" "$recv"
