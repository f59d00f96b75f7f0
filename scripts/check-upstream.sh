#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-upstream.sh [MODULE]: build QEMU 7.2 with MODULE, run its bitmap iotests.
#
# Builds QEMU 7.2 (Debian's source package, x86_64-softmmu) with MODULE in
# place of its migration/block-dirty-bitmap.c and runs QEMU's iotests 300,
# migrate-bitmaps-test and migrate-bitmaps-postcopy-test on that binary.
# Exit status 0 only if all three pass.
#
# MODULE defaults to $MINIVMM_UPSTREAM_MODULE, else to this tree's
# migration/block-dirty-bitmap.c; e.g. ../shared/seed/block-dirty-bitmap.c
# checks QEMU's own file.  The source and build live in a cache outside the
# repository, ${MINIVMM_UPSTREAM_DIR:-~/.cache/minivmm-upstream}: the first
# run fetches (apt-get source qemu), configures and builds QEMU (about 15
# minutes on 2 cores); later runs copy MODULE in and rebuild that file.
#
# Options: --build-only (stop after the build), --keep (keep the test
# scratch directory).  Environment: JOBS (ninja -j, default 2),
# IOTESTS (the tests to run, default as above).
# Dependencies: scripts/install-deps.sh --upstream (as root).
set -eu

prog=check-upstream
srcdir=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/upstream-lib.sh
. "$srcdir/scripts/upstream-lib.sh"

usage() {
    echo "Usage: $0 [--build-only] [--keep] [MODULE]" >&2
    echo "Build QEMU 7.2 with MODULE as migration/block-dirty-bitmap.c" \
         "and run its dirty-bitmap migration iotests." >&2
    exit 2
}

build_only=0
keep=0
module=${MINIVMM_UPSTREAM_MODULE:-}
while [ $# -gt 0 ]; do
    case "$1" in
    --build-only) build_only=1 ;;
    --keep) keep=1 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *)
        [ -z "${module_arg:-}" ] || usage
        module_arg=$1 ;;
    esac
    shift
done
module=${module_arg:-${module:-$srcdir/migration/block-dirty-bitmap.c}}
[ -f "$module" ] || { up_say "'$module': no such file"; exit 2; }
module=$(realpath "$module")

for p in libpixman-1-dev libfdt-dev dpkg-dev; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q 'ok installed'; then
        up_say "package $p is missing: run scripts/install-deps.sh --upstream"
        exit 1
    fi
done

up_lock
up_fetch || exit 1

build=$UPSTREAM_DIR/build
if [ ! -f "$build/build.ninja" ]; then
    up_say "configuring QEMU in $build"
    rm -rf "$build"
    mkdir -p "$build"
    if ! (cd "$build" && "$UPSTREAM_SRC/configure" \
            --target-list=x86_64-softmmu --without-default-features \
            --disable-docs --meson=meson --enable-tcg --enable-fdt=system \
            --disable-install-blobs) >"$UPSTREAM_DIR/configure.log" 2>&1; then
        tail -n 20 "$UPSTREAM_DIR/configure.log" >&2
        rm -f "$build/build.ninja"
        up_say "configure failed; log: $UPSTREAM_DIR/configure.log"
        exit 1
    fi
fi

# Copy the module in only when it differs, so an unchanged module costs
# no rebuild (ninja goes by timestamps).
target=$UPSTREAM_SRC/migration/block-dirty-bitmap.c
if ! cmp -s "$module" "$target"; then
    cp "$module" "$target"
fi
up_say "building qemu-system-x86_64 with $module"
if [ ! -x "$build/qemu-system-x86_64" ]; then
    up_say "first build: about 15 minutes on 2 cores"
fi
if ! ninja -C "$build" -j "${JOBS:-2}" qemu-system-x86_64 \
        >"$UPSTREAM_DIR/build.log" 2>&1; then
    grep -E 'error|Error|FAILED' "$UPSTREAM_DIR/build.log" | head -n 30 >&2
    up_say "build failed; log: $UPSTREAM_DIR/build.log"
    exit 1
fi
[ "$build_only" = 1 ] && exit 0

# The tests boot the default pc machine: the firmware comes from Debian's
# seabios and qemu-system-data packages, as the dfsg build has none.
wrapper=$UPSTREAM_DIR/qemu-system-x86_64
cat >"$wrapper" <<EOF
#!/bin/sh
exec "$build/qemu-system-x86_64" -L /usr/share/seabios -L /usr/share/qemu "\$@"
EOF
chmod +x "$wrapper"

# shellcheck disable=SC2086
up_run_iotests "$wrapper" "$keep" \
    ${IOTESTS:-300 migrate-bitmaps-test migrate-bitmaps-postcopy-test}
