#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-install.sh: `meson install` into a scratch DESTDIR puts minivmm and
# the user scripts in the configured bindir, and they run from there.
set -eu
build=${1:-build}
installed="minivmm minivmm-analyze-migration minivmm-qmp-shell-lite"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
meson install -C "$build" --no-rebuild --quiet --destdir "$d"
bin=$(meson introspect "$build" --buildoptions | python3 -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(os.path.join(o["prefix"], o["bindir"]))')
for f in $installed; do
    if [ ! -x "$d$bin/$f" ]; then
        echo "check-install: $bin/$f not installed" >&2
        exit 1
    fi
done
"$d$bin/minivmm" -version >/dev/null
"$d$bin/minivmm-analyze-migration" --help >/dev/null
"$d$bin/minivmm-qmp-shell-lite" --help >/dev/null
echo "check-install: $installed install to $bin and run"
