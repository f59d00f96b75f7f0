#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# install-deps.sh: install the Debian packages minivmm builds and tests with.
# Idempotent: installs only what is missing, and only when run as root.
set -e

pkgs="meson ninja-build pkg-config python3 libglib2.0-dev libjansson-dev gcc"
# QEMU 7.2 is the peer and oracle of the interop tests and benchmarks.
pkgs="$pkgs qemu-system-x86 qemu-utils"
for opt in "$@"; do
    case "$opt" in
    --fuzzing)
        pkgs="$pkgs clang libclang-rt-14-dev" ;;
    --upstream)
        # Building QEMU 7.2 from Debian's source (check-upstream.sh) and
        # running its iotests (check-iotests.sh): apt-get source needs
        # dpkg-dev; QEMU's configure needs pixman, libfdt and zlib.
        pkgs="$pkgs dpkg-dev libpixman-1-dev libfdt-dev zlib1g-dev" ;;
    *)
        echo "Usage: $0 [--fuzzing] [--upstream]" >&2
        exit 2 ;;
    esac
done

missing=
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "install-deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
