#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench.sh: run every benchmark built in BUILD/tests/bench and print its output.
set -uo pipefail

build=${1:-build}
dir=$build/tests/bench

if [ ! -d "$dir" ]; then
    echo "bench.sh: $dir not found; run 'ninja -C $build bench-all' first" >&2
    exit 1
fi

ran=0
failed=0
for exe in "$dir"/bench-*; do
    # executables only: skip meson's *.p object directories and the like
    if [ ! -f "$exe" ] || [ ! -x "$exe" ]; then
        continue
    fi
    echo "== $exe"
    if "$exe"; then
        ran=$((ran + 1))
    else
        echo "bench.sh: $exe exited with status $?" >&2
        failed=$((failed + 1))
    fi
    echo
done

if [ "$ran" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "bench.sh: no benchmark executables in $dir" >&2
    exit 1
fi
echo "== bench.sh: $ran benchmark(s) ran, $failed failed"
[ "$failed" -eq 0 ]
