# SPDX-License-Identifier: GPL-2.0-or-later
# tap.py: TAP output for the Python unit tests.
"""Print test points as TAP for meson."""


def report(points):
    """points: [(ok, name, diagnostics)], diagnostics a string or a list
    of lines, printed under a failing point.  ok None skips the point,
    diagnostics then saying why.  Returns the exit status."""
    print('TAP version 13')
    print('1..%d' % len(points))
    failed = 0
    for n, (ok, name, diag) in enumerate(points, 1):
        if ok is None:
            print('ok %d - %s # SKIP %s' % (n, name, diag))
            continue
        print('%s %d - %s' % ('ok' if ok else 'not ok', n, name))
        if not ok:
            failed += 1
            lines = diag if isinstance(diag, list) else diag.split('\n')
            for line in lines:
                print('# ' + line)
    return 1 if failed else 0
