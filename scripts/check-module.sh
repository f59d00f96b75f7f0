#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-module.sh FILE: build FILE as migration/block-dirty-bitmap.c, run suite dbm.
#
# Copies the source tree (without build directories and .git) to a
# temporary directory, puts FILE in place of migration/block-dirty-bitmap.c,
# configures and builds there, and runs the integration suite (meson suite
# 'dbm').  FILE may be QEMU 7.2's own migration/block-dirty-bitmap.c or a
# patched copy of ours.  The tree itself is never modified.
#
# Environment: KEEP=1 keeps the temporary directory; JOBS sets ninja -j;
# MESON_TEST_ARGS adds arguments to `meson test`.
set -eu

usage() {
    echo "Usage: $0 FILE" >&2
    echo "Build FILE in place of migration/block-dirty-bitmap.c and run" \
         "the 'dbm' test suite." >&2
    exit 2
}

[ $# -eq 1 ] || usage
case "$1" in -h|--help) usage ;; esac
[ -f "$1" ] || { echo "$0: '$1': no such file" >&2; exit 2; }

module=$(realpath "$1")
srcdir=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-module.XXXXXX")

cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then
        echo "check-module: kept $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The tests find the reference captures at ../shared beside the tree.
mkdir "$tmp/main"
if [ -d "$srcdir/../shared" ]; then
    ln -s "$(cd "$srcdir/../shared" && pwd)" "$tmp/shared"
fi

(cd "$srcdir" && tar cf - --exclude='./build*' --exclude='./.git' .) |
    (cd "$tmp/main" && tar xf -)
cp "$module" "$tmp/main/migration/block-dirty-bitmap.c"

cd "$tmp/main"
echo "check-module: building $module in $tmp/main"
./configure --builddir=build >"$tmp/configure.log" 2>&1 || {
    cat "$tmp/configure.log" >&2
    echo "check-module: configure failed" >&2
    exit 1
}
ninja -C build ${JOBS:+-j "$JOBS"} || {
    echo "check-module: build failed" >&2
    exit 1
}
# shellcheck disable=SC2086
meson test -C build --suite dbm --print-errorlogs --num-processes 2 \
    ${MESON_TEST_ARGS:-}
