#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# The documented install (README.md "Install") gives a working plugin, tools
# and Python module without any environment variable. Installs the build
# into a temporary DESTDIR, then, with only the installed tree:
#   - gst-inspect-1.0 mctxsink, with GStreamer's default plugin path
#     (GST_PLUGIN_SYSTEM_PATH) pointed at the installed pluginsdir, which must
#     be GStreamer's own (pkg-config gstreamer-1.0 pluginsdir);
#   - /usr/bin/python3 -c 'import mctx', from a folder on its sys.path;
#   - mctx-send --version, mctx-plot --help;
#   - the RUNPATH of everything installed that links libmctx-core.
# LD_LIBRARY_PATH points at the installed libdir only because DESTDIR moves
# it away from the RUNPATH (which names the real libdir).
#   installed-layout.sh BUILD_ROOT SOURCE_ROOT PLUGINSDIR LIBDIR BINDIR [PYTHON]
set -eu
build=$1
src=$2
pluginsdir=$3
libdir=$4
bindir=$5
python=${6:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
. "$src/tests/lib/destdir-install.sh"
destdir_install "$build" "$root"
LD_LIBRARY_PATH=$root$libdir
export LD_LIBRARY_PATH
soname=libmctx-core.so.${MCTX_SOVERSION:?}
[ -e "$root$libdir/$soname" ] || { echo "FAIL: no $soname in $libdir" >&2; exit 1; }

# ---- the plugin, where GStreamer looks by default
if [ "$pluginsdir" != - ]; then
  command -v gst-inspect-1.0 >/dev/null || { echo "SKIP: gst-inspect-1.0 not installed"; exit 77; }
  default=$(pkg-config --variable=pluginsdir gstreamer-1.0)
  # Unless -Dgst_plugins_dir or a private prefix chose another folder
  # (MCTX_CUSTOM_PLUGINSDIR=1).
  [ "$pluginsdir" = "$default" ] || [ "${MCTX_CUSTOM_PLUGINSDIR:-0}" = 1 ] || {
    echo "FAIL: the plugin goes to $pluginsdir, not GStreamer's pluginsdir $default" >&2; exit 1; }
  plugin=$root$pluginsdir/libgstmctx.so
  [ -e "$plugin" ] || { echo "FAIL: $pluginsdir/libgstmctx.so not installed" >&2; exit 1; }
  check_runpath "$plugin" "$libdir"
  out=$(env -u GST_PLUGIN_PATH -u GST_PLUGIN_PATH_1_0 -u GST_PLUGIN_SYSTEM_PATH_1_0 \
    GST_PLUGIN_SYSTEM_PATH="$root$pluginsdir" GST_REGISTRY="$tmp/registry.bin" \
    gst-inspect-1.0 mctxsink 2>&1) || {
    echo "$out" >&2; echo "FAIL: gst-inspect-1.0 mctxsink" >&2; exit 1; }
  echo "$out" | grep -q "Filename *$plugin" || {
    echo "$out" | head -20 >&2; echo "FAIL: mctxsink not loaded from $plugin" >&2; exit 1; }
  echo "gst-inspect-1.0 mctxsink: $(echo "$out" | grep -m1 'Long-name' | sed 's/^ *//')"
fi

# ---- the tools
send=$root$bindir/mctx-send
[ -x "$send" ] || { echo "FAIL: $bindir/mctx-send not installed" >&2; exit 1; }
check_runpath "$send" "$libdir"
echo "mctx-send --version: $("$send" --version)"
plot=$root$bindir/mctx-plot
if [ -e "$plot" ]; then
  "$plot" --help >/dev/null || { echo "FAIL: $bindir/mctx-plot --help" >&2; exit 1; }
  echo "mctx-plot --help: ok"
fi

# ---- the Python module, where /usr/bin/python3 looks by default
if [ -n "$python" ]; then
  init=$(find "$root" -path '*/mctx/__init__.py' | head -n 1)
  [ -n "$init" ] || { echo "FAIL: the mctx package was not installed" >&2; exit 1; }
  site=$(dirname "$(dirname "$init")")
  "$python" -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "${site#$root}" || {
    echo "FAIL: ${site#$root} is not on $python's sys.path" >&2; exit 1; }
  check_runpath "$(find "$site/mctx" -name '_core*.so' | head -n 1)" "$libdir"
  PYTHONPATH=$site "$python" -c '
import sys, mctx, mctx._core
assert mctx.__file__.startswith(sys.argv[1]), mctx.__file__
print("import mctx:", mctx.__file__[len(sys.argv[1]):])' "$root"
fi
echo "installed layout: ok"
