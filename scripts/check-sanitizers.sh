#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-sanitizers.sh [BUILDDIR]: the tests and the fault matrix under ASan/UBSan/LSan.
#
# Configures BUILDDIR (default build-san) with --enable-sanitizers
# (AddressSanitizer with LeakSanitizer, UndefinedBehaviorSanitizer that
# stops at the first report), builds it, and runs every test of the
# default suites (unit, qtest, fuzz corpora) and then the whole fault
# matrix (dbm-faults-test-slow).
#
# Any sanitizer report fails the run, two ways: a process that reports
# exits with status 66 (or aborts), which fails its test (libqtest checks
# the exit status of each minivmm it started), and every report is also
# written to a file under BUILDDIR/sanitizer-reports, whose presence
# fails the run even where a test did not look at a status.
#
# Leak reports stop at GLib's frames (it has no frame pointers): for the
# whole allocation stack, rerun the test with
# ASAN_OPTIONS=fast_unwind_on_malloc=0 (slower).
#
# Environment: JOBS (default 2), TIMEOUT_MULTIPLIER (default 4).
# Exit status: 0 when every test passed with no report, 1 otherwise.
set -u

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-build-san}
jobs=${JOBS:-2}
mult=${TIMEOUT_MULTIPLIER:-4}
case "$builddir" in
/*) ;;
*) builddir=$srcdir/$builddir ;;
esac
reports=$builddir/sanitizer-reports

cd "$srcdir" || exit 1
./configure --builddir="$builddir" --enable-sanitizers >/dev/null || exit 1
ninja -C "$builddir" -j"$jobs" || exit 1

rm -rf "$reports"
mkdir -p "$reports"
# log_path: one file per reporting process (NAME.PID); the exit code is
# the same for ASan and its leak checker.
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=66:log_path=$reports/asan"
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=66:log_path=$reports/ubsan"
LSAN_OPTIONS="exitcode=66"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

status=0
meson test -C "$builddir" --print-errorlogs --num-processes "$jobs" \
    --timeout-multiplier "$mult" --no-suite slow || status=1
meson test -C "$builddir" --print-errorlogs --num-processes 1 \
    --timeout-multiplier "$mult" dbm-faults-test-slow || status=1

found=$(find "$reports" -type f | wc -l)
if [ "$found" -ne 0 ]; then
    echo "check-sanitizers: $found sanitizer report(s):" >&2
    for f in "$reports"/*; do
        echo "==== $f" >&2
        head -n 40 "$f" >&2
    done
    status=1
fi
if [ "$status" -eq 0 ]; then
    echo "check-sanitizers: all tests passed, no sanitizer report"
fi
exit "$status"
