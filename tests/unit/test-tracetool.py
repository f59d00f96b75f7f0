#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-tracetool.py: tracetool's parser and errors, TAP output (--tap).
"""Run scripts/tracetool.py on small inputs and check what it produces."""

import os
import subprocess
import sys
import tempfile

TRACETOOL = sys.argv[1]
RESULTS = []


def run(text, group=None, root=None, subdir=''):
    with tempfile.TemporaryDirectory() as tmp:
        d = os.path.join(tmp, subdir)
        os.makedirs(d, exist_ok=True)
        src = os.path.join(d, 'trace-events')
        with open(src, 'w', encoding='utf-8') as f:
            f.write(text)
        out_h, out_c = os.path.join(tmp, 't.h'), os.path.join(tmp, 't.c')
        cmd = [sys.executable, TRACETOOL]
        if group:
            cmd += ['--group', group]
        cmd += ['--source-root', root or tmp, src, out_h, out_c]
        p = subprocess.run(cmd, capture_output=True, text=True, check=False)
        h = c = ''
        if p.returncode == 0:
            with open(out_h, encoding='utf-8') as f:
                h = f.read()
            with open(out_c, encoding='utf-8') as f:
                c = f.read()
        return p.returncode, p.stderr, h, c


def check(name, cond):
    RESULTS.append((name, bool(cond)))


def main():
    rc, err, h, c = run('# c\n\nfoo(int a, const char *s) "a %d s %s"\n',
                        subdir='block/monitor')
    check('ok', rc == 0 and err == '')
    check('group-from-path', 'void trace_block_monitor_register_events'
          '(void);' in h)
    check('params', 'static inline void trace_foo(int a, const char *s)'
          in h)
    check('one-branch', 'if (unlikely(_TRACE_FOO_DSTATE))' in h)
    check('descriptor', '.name = "foo"' in c and '.sstate = true' in c)

    rc, err, h, c = run('disable bar(void) ""\n', group='g')
    check('disable', rc == 0 and '#define TRACE_BAR_ENABLED 0' in h and
          'qemu_log' not in h and '.sstate = false' in c)

    for text, what in [('baz(int a "x"\n', 'cannot parse event'),
                       ('weird baz(void) ""\n', 'unknown property'),
                       ('baz(int) ""\n', 'cannot parse argument'),
                       ('a(void) ""\na(void) ""\n', 'duplicate event')]:
        rc, err, _, _ = run(text, group='g')
        check('error/' + what.replace(' ', '-'), rc != 0 and what in err)

    rc, err, _, _ = run('x(void) ""\n', group='bad-group')
    check('error/invalid-group', rc != 0 and 'invalid group' in err)

    # The build's list of groups becomes trace_init_groups(), in order.
    with tempfile.TemporaryDirectory() as tmp:
        out_c = os.path.join(tmp, 'groups.c')
        cmd = [sys.executable, TRACETOOL, '--register-all', out_c]
        p = subprocess.run(cmd + ['util', 'block_monitor'],
                           capture_output=True, text=True, check=False)
        with open(out_c, encoding='utf-8') as f:
            c = f.read()
        dup = subprocess.run(cmd + ['util', 'util'], capture_output=True,
                             text=True, check=False)
    check('register-all', p.returncode == 0 and
          'void trace_block_monitor_register_events(void);' in c and
          '    trace_util_register_events();\n'
          '    trace_block_monitor_register_events();\n}' in c and
          dup.returncode != 0 and 'repeated group' in dup.stderr)

    print('1..%d' % len(RESULTS))
    for i, (name, ok) in enumerate(RESULTS, 1):
        print('%s %d - /tracetool/%s' % ('ok' if ok else 'not ok', i, name))
    return 0 if all(ok for _, ok in RESULTS) else 1


if __name__ == '__main__':
    sys.exit(main())
