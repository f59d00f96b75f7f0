#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-iotests.sh [BUILDDIR] [TEST...]: run QEMU 7.2's bitmap iotests on minivmm.
#
# Runs QEMU 7.2's own iotests (from Debian's source package, fetched with
# `apt-get source qemu` into ${MINIVMM_UPSTREAM_DIR:-~/.cache/minivmm-upstream}
# the first time) with QEMU_PROG=BUILDDIR/minivmm; qemu-img, qemu-io,
# qemu-nbd and qemu-storage-daemon are Debian's, from /usr/bin.
# BUILDDIR defaults to build; the tests default to 300,
# migrate-bitmaps-test and migrate-bitmaps-postcopy-test (numbers 169 and
# 199 name the latter two too; the other bitmap tests are 194 236 246 254
# 260).
#
# Exit status: 0 if every test passed, 1 if one failed or did not run,
# 77 (skipped) when QEMU's source is absent and cannot be fetched.
# Options: --keep keeps the scratch directory.
set -eu

prog=check-iotests
srcdir=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/upstream-lib.sh
. "$srcdir/scripts/upstream-lib.sh"

keep=0
builddir=
tests=
for arg in "$@"; do
    case "$arg" in
    --keep) keep=1 ;;
    -h|--help|-*)
        echo "Usage: $0 [--keep] [BUILDDIR] [TEST...]" >&2
        exit 2 ;;
    *)
        if [ -z "$builddir" ] && [ -d "$arg" ]; then
            builddir=$arg
        else
            tests="$tests $arg"
        fi ;;
    esac
done
builddir=${builddir:-$srcdir/build}
tests=${tests:-300 migrate-bitmaps-test migrate-bitmaps-postcopy-test}
minivmm=$(realpath "$builddir")/minivmm
[ -x "$minivmm" ] || {
    up_say "$minivmm not found: build minivmm first (make)"
    exit 1
}

up_lock
if ! up_fetch; then
    up_say "SKIP: QEMU 7.2's source is absent and could not be fetched"
    exit 77
fi
# The tests only read the source tree: let other runs use the cache.
exec 9>&-

# shellcheck disable=SC2086
up_run_iotests "$minivmm" "$keep" $tests
