#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# The exported symbols of libmctx-core.so are the public API only: every
# dynamic symbol the library defines is in namespace mctx (functions, data,
# and the typeinfo/vtables of mctx classes), nothing of nlohmann_json, of
# the C++ standard library or of the syscall seam is exported, and the
# SONAME carries the soversion. The plugin exports only its entry points.
#   check-exports.sh LIBMCTX_CORE_SO SOVERSION [LIBGSTMCTX_SO]
set -eu
lib=$1
soversion=$2
plugin=${3:-}
fail=0

syms=$(nm -D --defined-only "$lib" | c++filt | cut -d' ' -f3-)
count=$(printf '%s\n' "$syms" | grep -c . || true)
echo "$lib: $count exported symbols"

# Everything in namespace mctx.
stray=$(printf '%s\n' "$syms" | grep -v -E '^((typeinfo|typeinfo name|vtable|VTT|guard variable) for )?mctx::' || true)
if [ -n "$stray" ]; then
  echo "FAIL: exported symbols outside namespace mctx:" >&2
  printf '%s\n' "$stray" | head -40 >&2
  fail=1
fi
# Internals that must stay hidden (they are in namespace mctx, so the rule
# above does not catch them).
for hidden in 'nlohmann' 'mctx::platform::' 'mctx::internal::' 'set_syscalls'; do
  if printf '%s\n' "$syms" | grep -q -F "$hidden"; then
    echo "FAIL: '$hidden' is exported:" >&2
    printf '%s\n' "$syms" | grep -F "$hidden" | head -10 >&2
    fail=1
  fi
done
# The public API is there (so the filter above cannot pass on an empty list).
for wanted in 'mctx::Publication::open(mctx::PublicationConfig const&)' \
              'mctx::PublicationConfig::validate() const' \
              'mctx::Context::snapshot() const' \
              'mctx::RawPublication::open(mctx::RawPublicationConfig const&)' \
              'mctx::JsonlWriter::open(' \
              'mctx::build_sdp' \
              'mctx::SapAnnouncer::open(mctx::SapAnnouncerConfig const&)' \
              'mctx::errc_name(mctx::Errc)'; do
  if ! printf '%s\n' "$syms" | grep -q -F "$wanted"; then
    echo "FAIL: '$wanted' is not exported" >&2
    fail=1
  fi
done

soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
if [ "$soname" != "libmctx-core.so.$soversion" ]; then
  echo "FAIL: SONAME is '$soname', expected 'libmctx-core.so.$soversion'" >&2
  fail=1
else
  echo "SONAME $soname"
fi

if [ -n "$plugin" ]; then
  psyms=$(nm -D --defined-only "$plugin" | cut -d' ' -f3-)
  pstray=$(printf '%s\n' "$psyms" | grep -v -x -E 'gst_plugin_mctx_(get_desc|register)' || true)
  if [ -n "$pstray" ]; then
    echo "FAIL: $plugin exports more than its entry points:" >&2
    printf '%s\n' "$pstray" | c++filt | head -20 >&2
    fail=1
  else
    echo "$plugin: exports only gst_plugin_mctx_get_desc and gst_plugin_mctx_register"
  fi
fi
exit $fail
