# SPDX-License-Identifier: GPL-2.0-or-later
# upstream-lib.sh: fetch Debian's QEMU 7.2 source into a cache (sourced).
# shellcheck shell=sh disable=SC2154
#
# Shared by check-upstream.sh and check-iotests.sh.  The cache lives
# outside the repository, in ${MINIVMM_UPSTREAM_DIR:-~/.cache/minivmm-upstream}:
#   src/qemu-7.2*/    Debian's source package, unpacked with its patches
#   build/            QEMU built there (check-upstream.sh only)
#   lock              serialises runs that share the cache
#
# Callers set `prog` (their name, for messages) before sourcing.

UPSTREAM_DIR=${MINIVMM_UPSTREAM_DIR:-${HOME:-/root}/.cache/minivmm-upstream}
UPSTREAM_SRC=

up_say() {
    echo "$prog: $*" >&2
}

# Hold an exclusive lock on the cache for the rest of the calling process,
# so two runs never unpack or build in the same directory at once.
up_lock() {
    mkdir -p "$UPSTREAM_DIR"
    exec 9>"$UPSTREAM_DIR/lock"
    if ! flock -n 9; then
        up_say "waiting for another run using $UPSTREAM_DIR"
        flock 9
    fi
}

# Is the Debian patch $1 (a file under debian/patches) applied in $2?
# Applies it if it is not; fails if it applies neither way.
up_ensure_patch() {
    patchfile="$2/debian/patches/$1"
    [ -f "$patchfile" ] || {
        up_say "$patchfile: missing from Debian's source"
        return 1
    }
    if patch -d "$2" -p1 -R -s -f --dry-run <"$patchfile" >/dev/null 2>&1; then
        return 0
    fi
    up_say "applying debian/patches/$1"
    patch -d "$2" -p1 -s -f <"$patchfile" >/dev/null
}

# Set UPSTREAM_SRC to an unpacked QEMU 7.2 source tree, fetching it with
# `apt-get source qemu` the first time.  Returns 1 with a message on
# failure (no deb-src line, no network, not 7.2).
up_fetch() {
    for d in "$UPSTREAM_DIR"/src/qemu-7.2*/; do
        if [ -f "$d/VERSION" ] && [ -f "$d/.minivmm-ready" ]; then
            UPSTREAM_SRC=${d%/}
            return 0
        fi
    done
    command -v apt-get >/dev/null 2>&1 || {
        up_say "apt-get not found: cannot fetch Debian's QEMU source"
        return 1
    }
    command -v dpkg-source >/dev/null 2>&1 || {
        up_say "dpkg-source not found (scripts/install-deps.sh --upstream)"
        return 1
    }
    rm -rf "$UPSTREAM_DIR/src"
    mkdir -p "$UPSTREAM_DIR/src"
    up_say "fetching Debian's QEMU source (apt-get source qemu) into" \
           "$UPSTREAM_DIR/src"
    if ! (cd "$UPSTREAM_DIR/src" && apt-get source -qq qemu) \
            >"$UPSTREAM_DIR/fetch.log" 2>&1; then
        tail -n 5 "$UPSTREAM_DIR/fetch.log" >&2
        up_say "apt-get source qemu failed (is there a deb-src line in" \
               "/etc/apt/sources.list.d/debian.sources, and did" \
               "apt-get update run?); log: $UPSTREAM_DIR/fetch.log"
        return 1
    fi
    for d in "$UPSTREAM_DIR"/src/qemu-*/; do
        if [ -f "$d/VERSION" ]; then
            UPSTREAM_SRC=${d%/}
        fi
    done
    if [ -z "$UPSTREAM_SRC" ]; then
        up_say "apt-get source qemu unpacked no source tree"
        return 1
    fi
    case "$(cat "$UPSTREAM_SRC/VERSION")" in
    7.2.*) ;;
    *)
        up_say "Debian's QEMU is $(cat "$UPSTREAM_SRC/VERSION"), not 7.2"
        UPSTREAM_SRC=
        return 1 ;;
    esac
    # dpkg-source applies Debian's series; the dfsg tarball has no
    # firmware, and these two patches make the build and qtest do
    # without it.
    up_ensure_patch skip-meson-pc-bios.diff "$UPSTREAM_SRC" &&
        up_ensure_patch ignore-roms-dependency-in-qtest.patch "$UPSTREAM_SRC" ||
        return 1
    cp "$UPSTREAM_SRC/migration/block-dirty-bitmap.c" \
       "$UPSTREAM_DIR/block-dirty-bitmap.c.debian"
    touch "$UPSTREAM_SRC/.minivmm-ready"
}

# up_run_iotests QEMU_PROG KEEP TEST...: run QEMU 7.2's iotests TEST... on
# images of format ${IOTESTS_FMT:-qcow2} with QEMU_PROG as the VM binary and
# Debian's qemu-img, qemu-io, qemu-nbd and qemu-storage-daemon.  Returns 0
# only if every test ran and passed.  KEEP=1 keeps the scratch directory.
up_run_iotests() {
    qemu_prog=$1
    keep_scratch=$2
    shift 2
    for tool in qemu-img qemu-io qemu-nbd qemu-storage-daemon; do
        [ -x "/usr/bin/$tool" ] || {
            up_say "/usr/bin/$tool is missing (Debian's qemu-utils and" \
                   "qemu-system-common; scripts/install-deps.sh)"
            return 1
        }
    done
    # `check` run through a symlink takes the symlink's directory as its
    # build directory: scratch files go to a temporary tree, not the cache.
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/$prog.XXXXXX")
    mkdir -p "$scratch/tests/qemu-iotests"
    ln -s "$UPSTREAM_SRC/tests/qemu-iotests/check" \
          "$scratch/tests/qemu-iotests/check"
    up_say "running iotests $* with QEMU_PROG=$qemu_prog"
    rc=0
    (cd "$scratch/tests/qemu-iotests" &&
        QEMU_PROG=$qemu_prog QEMU_IMG_PROG=/usr/bin/qemu-img \
        QEMU_IO_PROG=/usr/bin/qemu-io QEMU_NBD_PROG=/usr/bin/qemu-nbd \
        QSD_PROG=/usr/bin/qemu-storage-daemon \
        ./check "-${IOTESTS_FMT:-qcow2}" "$@") </dev/null >"$scratch/check.log" 2>&1 || rc=$?
    cat "$scratch/check.log"
    if [ "$rc" = 0 ] && grep -q '^Not run:' "$scratch/check.log"; then
        up_say "some iotests did not run: counted as a failure"
        rc=1
    fi
    if [ "$keep_scratch" = 1 ] || [ "$rc" != 0 ]; then
        up_say "scratch directory (logs, .out.bad files): $scratch"
    else
        rm -rf "$scratch"
    fi
    if [ "$rc" = 0 ]; then
        up_say "PASS: $*"
    else
        up_say "FAIL (check exit status $rc)"
    fi
    return "$rc"
}
