# SPDX-License-Identifier: BSD-2-Clause
#
# Sourced by the example scripts in this folder, first thing after
# `set -euo pipefail`:
#
#   . "$(dirname "$0")/example-env.sh" "${1:-}" [MCTX-NETNS-OPTION...]
#
# Sets root (the checkout) and build (BUILDDIR, the script's first argument;
# default $MCTX_BUILD_DIR, else ./build of the checkout). Outside a private
# network namespace it runs the script again inside one
# (scripts/mctx-netns [MCTX-NETNS-OPTION...] -- SCRIPT BUILDDIR): always when
# options are given (a topology, which needs root), else only as root. Then
# the build's plugin comes first on GST_PLUGIN_PATH.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-${MCTX_BUILD_DIR:-$root/build}}" && pwd)
shift

if [ -z "${MCTX_NETNS:-}" ] && { [ $# -gt 0 ] || [ "$(id -u)" = 0 ]; }; then
  exec "$root/scripts/mctx-netns" "$@" -- "$0" "$build"
fi
export GST_PLUGIN_PATH="$build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
