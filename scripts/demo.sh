#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh: make demo: a short QMP session, then a dirty-bitmap migration demo.
#
# Usage: scripts/demo.sh [BUILDDIR]   (default: build)
# The exit status is 0 only if every migrated bitmap matches its source.
# Environment: see scripts/demo-migration.py (DEMO_TIMEOUT, DEMO_TAMPER,
# DEMO_KEEP_TMPDIR).
set -euo pipefail

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
binary=$build/minivmm

if [ ! -x "$binary" ]; then
    echo "demo.sh: $binary not found; run 'make' first" >&2
    exit 1
fi

echo "== part 1: a scripted QMP session with $binary -M none -S"
echo "== '->' is what we send, '<-' what minivmm answers (events included)"

# One command per line (see scripts/qmp-shell-lite.py for the syntax).
python3 "$here/qmp-shell-lite.py" --launch "$binary" \
    -M none -nodefaults -display none -S <<'COMMANDS'
query-version
query-status
# Start the VM (RESUME)
cont
# Block: a 1 GiB null-co node, a dirty bitmap, a guest-style write, its hash
blockdev-add driver=null-co node-name=node0
block-dirty-bitmap-add node=node0 name=bitmap0 granularity=65536
human-monitor-command command-line="qemu-io node0 \"write 0 64k\""
x-debug-block-dirty-bitmap-sha256 node=node0 name=bitmap0
quit
COMMANDS

echo
echo "== part 2: dirty-bitmap migration between two minivmm processes"
exec python3 "$here/demo-migration.py" "$binary"
