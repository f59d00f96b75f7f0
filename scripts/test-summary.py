#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-summary.py: count test cases in meson's testlog.json, print "N passed, N failed".
"""Counts TAP test points (GTest run with --tap) one by one, and any other
test as one case by its meson result.  Exits 1 when something failed or
nothing ran."""
import json
import re
import sys

TAP_OK = re.compile(r'^ok\b(.*)$')
TAP_NOT_OK = re.compile(r'^not ok\b(.*)$')


def count(entry):
    passed = failed = skipped = 0
    tap_seen = False
    for line in (entry.get('stdout') or '').splitlines():
        m = TAP_OK.match(line)
        if m:
            tap_seen = True
            if '# SKIP' in m.group(1).upper():
                skipped += 1
            else:
                passed += 1
            continue
        if TAP_NOT_OK.match(line):
            tap_seen = True
            if '# TODO' in line.upper():
                skipped += 1
            else:
                failed += 1
    result = entry.get('result', 'ERROR')
    if not tap_seen:
        if result in ('OK', 'EXPECTEDFAIL'):
            passed = 1
        elif result == 'SKIP':
            skipped = 1
        else:
            failed = 1
    elif result not in ('OK', 'EXPECTEDFAIL', 'SKIP') and failed == 0:
        # A crash or timeout after the last test point is still a failure.
        failed = 1
    return passed, failed, skipped


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else 'build/meson-logs/testlog.json'
    passed = failed = skipped = 0
    try:
        with open(path, encoding='utf-8') as f:
            for line in f:
                if line.strip():
                    p, fl, s = count(json.loads(line))
                    passed += p
                    failed += fl
                    skipped += s
    except OSError as e:
        print(f'test-summary: {e}', file=sys.stderr)
        failed += 1
    msg = f'{passed} passed, {failed} failed'
    if skipped:
        msg += f', {skipped} skipped'
    print(msg)
    return 1 if failed or passed == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
