#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-user-guide.py: docs/user-guide.md's tables match the binaries (TAP).
"""Check the generated tables of docs/user-guide.md.

usage: test-user-guide.py GEN_SCRIPT DOC MINIVMM

One test point per table: minivmm's column must be what MINIVMM reports
now (regenerate with scripts/gen-user-guide.py).  QEMU's column is
checked too when qemu-system-x86_64 is installed and reports the version
the document was generated with; otherwise that point is skipped, saying
why.
"""

import importlib.util
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402

QEMU = 'qemu-system-x86_64'


def load(path):
    spec = importlib.util.spec_from_file_location('gen_user_guide', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    gen = load(sys.argv[1])
    doc, minivmm = sys.argv[2:]
    ours, _ = gen.gather(minivmm)
    mine = gen.check(doc, ours, None)
    points = [(not mine[s], 'minivmm column of the %s table' % s,
               mine[s] + ['regenerate: scripts/gen-user-guide.py'])
              for s, _ in gen.SECTIONS]
    recorded = gen.recorded_qemu_version(open(doc, encoding='utf-8').read())
    try:
        theirs, version = gen.gather(QEMU)
    except FileNotFoundError:
        theirs, version = None, None
    name = 'QEMU column of every table'
    if theirs is None:
        points.append((None, name, '%s is not installed: only the minivmm '
                       'column is checked' % QEMU))
    elif version != recorded:
        points.append((None, name, '%s reports "%s", the tables were made '
                       'with "%s"' % (QEMU, version, recorded)))
    else:
        both = gen.check(doc, ours, theirs)
        problems = [p for s, _ in gen.SECTIONS for p in both[s]
                    if p.startswith('QEMU ')]
        points.append((not problems, name, problems))
    return tap.report(points)


if __name__ == '__main__':
    sys.exit(main())
