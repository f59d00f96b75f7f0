#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# qapi-gen on bad schemas: each fails with "file:line: message", exit 1.

import os
import subprocess
import sys
import tempfile

import tap

GOOD = """{ 'enum': 'E', 'data': [ 'a' ] }
{ 'struct': 'S', 'data': { 'e': 'E' } }
"""

# (schema text, line of the error, text expected in the message)
BAD = [
    ("{ 'struct': 'S', 'data': { 'x': 'Nosuch' } }\n", 1,
     "uses unknown type 'Nosuch'"),
    ("\n\n{ 'struct': 'S', 'data': { 'x': 'int' }, 'bogus': 'x' }\n", 3,
     "has unknown key 'bogus'"),
    ("{ 'enum': 'E', 'data': [ 'a' ] }\n{ 'enum': 'E', 'data': [] }\n", 2,
     "'E' is already defined"),
    ("{ 'struct': 'S',\n  'data': { 'x': 'int' }\n", 3,
     "expected"),
    ("{ 'struct': 'S', 'data': { 'x': 'int' } }\n{ 'garbage' }\n", 2,
     "expected ':'"),
    ("{ 'struct': 'S', 'data': { 'x': \"int\" } }\n", 1, "stray"),
    ("{ 'enum': 'E', 'data': [ 'a', 'a' ] }\n", 1, "duplicated"),
    ("{ 'enum': 'K', 'data': [ 'a' ] }\n"
     "{ 'union': 'U', 'base': { 'k': 'K' }, 'discriminator': 'k',\n"
     "  'data': { 'b': 'S' } }\n"
     "{ 'struct': 'S', 'data': {} }\n", 2, "branch 'b' is not a value"),
    ("{ 'union': 'U', 'base': { 'k': 'str' }, 'discriminator': 'k',\n"
     "  'data': {} }\n", 1, "must be a mandatory enum"),
    ("{ 'alternate': 'A', 'data': { 'x': 'int', 'y': 'number' } }\n", 1,
     "can't be distinguished"),
    ("{ 'struct': 'S', 'data': { 'a-b': 'int', 'a_b': 'int' } }\n", 1,
     "collides with"),
    ("{ 'command': 'c', 'returns': 'Nosuch' }\n", 1,
     "uses unknown type 'Nosuch'"),
    ("{ 'event': 'lower', 'data': {} }\n", 1, "ALL_CAPS"),
    ("{ 'struct': 'S', 'data': {}, 'if': { 'bad': 'x' } }\n", 1,
     "'if' condition"),
    ("{ 'include': 'missing.json' }\n", 1, "can't read schema file"),
    ("{ 'struct': 'S', 'base': 'S', 'data': {} }\n", 1, "contains itself"),
    ("[ 1 ]\n", 1, "expected an object"),
]


def run(gen, schema, outdir):
    return subprocess.run([sys.executable, gen, '-o', outdir, schema],
                          capture_output=True, text=True, check=False)


def main():
    gen = sys.argv[1]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        good = os.path.join(tmp, 'good.json')
        with open(good, 'w', encoding='utf-8') as f:
            f.write(GOOD)
        p = run(gen, good, tmp)
        ok = p.returncode == 0 and \
            os.path.exists(os.path.join(tmp, 'qapi-types.h'))
        results.append((ok, 'good schema generates', p.stderr))
        for i, (text, line, msg) in enumerate(BAD):
            path = os.path.join(tmp, 'bad%d.json' % i)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
            p = run(gen, path, tmp)
            err = p.stderr.strip()
            prefix = '%s:%d: ' % (path, line)
            ok = p.returncode == 1 and err.startswith(prefix) and msg in err
            results.append((ok, 'bad schema %d (%s)' % (i, msg),
                            'exit %d: %s' % (p.returncode, err)))
    return tap.report(results)


if __name__ == '__main__':
    sys.exit(main())
