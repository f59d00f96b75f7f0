#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-layers.py: no library refers to a symbol that only a later layer defines.
"""Check the built static libraries against the layer order, TAP output.

Usage: test-layers.py NM LIB...  with the libraries lowest layer first,
as the top-level meson.build lists them in 'layers'.  A library may use
symbols that it or an earlier library defines (or that come from outside,
such as the C library and GLib); a symbol that it leaves undefined and that
only a later library defines is a use running up the layers, and fails
that library's test point.
"""

import os
import subprocess
import sys

import tap


def read_archive(nm, path):
    """Returns ({symbol defined}, {symbol used: [objects using it]})."""
    out = subprocess.run([nm, '-A', '-g', path], capture_output=True,
                         text=True, check=True).stdout
    defined, used = set(), {}
    for line in out.splitlines():
        # "archive.a:object.o:[value] TYPE symbol"; undefined ones have
        # no value.
        where, _, rest = line.rpartition(':')
        fields = rest.split()
        if len(fields) < 2:
            continue
        kind, sym = fields[-2], fields[-1]
        if kind in ('U', 'w', 'v'):
            obj = os.path.basename(where.rpartition(':')[2])
            used.setdefault(sym, []).append(obj)
        else:
            defined.add(sym)
    return defined, used


def upward_uses(layers):
    """layers: [(name, defined, used)], lowest first.

    Returns [(name, symbol, objects, name of the layer defining it)] for
    every use of a symbol that no layer up to the user's own defines and
    a later one does.
    """
    found = []
    below = set()
    for i, (name, defined, used) in enumerate(layers):
        below |= defined
        for sym in sorted(used):
            if sym in below:
                continue
            for upper, upper_defined, _ in layers[i + 1:]:
                if sym in upper_defined:
                    found.append((name, sym, used[sym], upper))
                    break
    return found


def main():
    nm, paths = sys.argv[1], sys.argv[2:]
    layers = []
    for path in paths:
        defined, used = read_archive(nm, path)
        layers.append((os.path.basename(path), defined, used))

    points = []
    ups = upward_uses(layers)
    for name, defined, _ in layers:
        mine = [u for u in ups if u[0] == name]
        diag = ['%s: %s uses %s, defined in %s' % (name, ', '.join(objs),
                                                  sym, upper)
                for _, sym, objs, upper in mine]
        if not defined:
            diag.append('%s defines nothing: is it a layer?' % name)
        points.append((not mine and bool(defined),
                       '%s uses no later layer' % name, diag))

    # The check itself: turned upside down, the same libraries must show
    # uses running up, or the check could not fail.
    reversed_ups = upward_uses(layers[::-1])
    points.append((bool(reversed_ups),
                   'upside down, the layers show %d uses running up'
                   % len(reversed_ups), ['nm read no uses between layers']))

    return tap.report(points)


if __name__ == '__main__':
    sys.exit(main())
