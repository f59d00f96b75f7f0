#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-overlap.sh: list lines of ours that stand verbatim in QEMU 7.2.
#
# Runs ../shared/tools/qemu-overlap over the checkout (or the paths given)
# with the project's defaults: runs of 6 significant lines, QEMU 7.2's
# source fetched once into ~/.cache/qemu-7.2-src (needs root and Debian's
# package registry the first time).  --base REV looks only at the files a
# change touched, --show names QEMU's file and line for each run.
# Exit status: 0 clean, 1 a .c or .py file has a copied run, 2 no tool or
# no QEMU source.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tool=${QEMU_OVERLAP:-$top/../shared/tools/qemu-overlap}
if [ ! -x "$tool" ]; then
    echo "check-overlap.sh: $tool not found (set QEMU_OVERLAP)" >&2
    exit 2
fi
fetch=
if ! ls -d "${QEMU_SRC:-$HOME/.cache/qemu-7.2-src}"/qemu-7.2* >/dev/null 2>&1
then
    fetch=--fetch
fi
cd "$top" && exec "$tool" $fetch --min 6 "$@"
