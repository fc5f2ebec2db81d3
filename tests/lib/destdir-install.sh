# SPDX-License-Identifier: BSD-2-Clause
#
# Sourced by the tests that install the build into a temporary DESTDIR
# (installed-consumer.sh, installed-layout.sh, tests/python/installed.sh).
#   destdir_install BUILD_ROOT DESTDIR    meson install --destdir, quietly
#   check_runpath FILE DIR                FILE's RUNPATH is DIR
destdir_install() {
  meson install -C "$1" --no-rebuild --quiet --destdir "$2" >"$2.install.log" 2>&1 || {
    cat "$2.install.log" >&2; echo "FAIL: meson install --destdir failed" >&2; exit 1; }
}

check_runpath() {
  _runpath=$(readelf -d "$1" | sed -n 's/.*RUNPATH.*\[\(.*\)\].*/\1/p')
  [ "$_runpath" = "$2" ] || {
    echo "FAIL: RUNPATH of $1 is '$_runpath', not the installed libdir '$2'" >&2; exit 1; }
  echo "RUNPATH $_runpath: $(basename "$1")"
}
