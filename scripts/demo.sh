#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh: start minivmm, run a short scripted QMP session, exit 0 (make demo).
set -euo pipefail

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
binary=$build/minivmm

if [ ! -x "$binary" ]; then
    echo "demo.sh: $binary not found; run 'make' first" >&2
    exit 1
fi

echo "== minivmm demo: $binary -M none -nodefaults -display none -S"
echo "== '->' is what we send, '<-' what minivmm answers (events included)"

# One command per line (see scripts/qmp-shell-lite.py for the syntax).
# Block and migration steps are added to this list.
python3 "$here/qmp-shell-lite.py" --launch "$binary" \
    -M none -nodefaults -display none -S <<'COMMANDS'
query-version
query-status
# Start the VM (RESUME), pause it (STOP), start it again
cont
query-status
stop
human-monitor-command command-line="info status"
cont
# Block: a 1 GiB null-co node, a dirty bitmap, a guest-style write, its hash
blockdev-add driver=null-co node-name=node0
block-dirty-bitmap-add node=node0 name=bitmap0 granularity=65536
human-monitor-command command-line="qemu-io node0 \"write 0 64k\""
query-named-block-nodes
x-debug-block-dirty-bitmap-sha256 node=node0 name=bitmap0
quit
COMMANDS

echo "== demo finished: minivmm exited with status 0"
