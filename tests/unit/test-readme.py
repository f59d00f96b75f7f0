#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-readme.py: README.md's by-hand session, run as written (TAP).
"""Run the shell blocks of README.md's "Migrating bitmaps by hand".

usage: test-readme.py README MINIVMM SCRIPTS_DIR

The ```sh blocks between the "by-hand: begin" and "by-hand: end" marks
are joined and fed to "bash -e" on its stdin, so bash reads and runs
them line by line as a shell does what is pasted into it.  It runs in
a scratch directory (also its TMPDIR) where build/minivmm is MINIVMM
and scripts/ is SCRIPTS_DIR, as at the top of a checkout.  It must exit
0 and print each "the bitmaps arrived intact" line; whatever it leaves
running is killed.  README must also link to every docs/*.md beside it.
"""

import os
import glob
import re
import shutil
import signal
import subprocess
import sys
import tempfile

BEGIN = '<!-- by-hand: begin'
END = '<!-- by-hand: end -->'
BLOCK = re.compile(r'^```sh\n(.*?)^```$', re.S | re.M)
# the four migrations the session makes, in order
EXPECTED = [
    'a -> b, precopy, QMP: the bitmaps arrived intact',
    'b -> c, postcopy, QMP: the bitmaps arrived intact',
    'c -> d, precopy, HMP: the bitmaps arrived intact',
    'd -> e, postcopy, HMP: the bitmaps arrived intact',
]
TIMEOUT = 240


def session(readme):
    text = open(readme, encoding='utf-8').read()
    start = text.index(BEGIN)
    end = text.index(END, start)
    blocks = BLOCK.findall(text[start:end])
    if not blocks:
        raise ValueError('no sh blocks between the by-hand marks')
    return ''.join(blocks)


def unlinked_docs(readme):
    """The docs/*.md files README.md does not link to."""
    text = open(readme, encoding='utf-8').read()
    docs = glob.glob(os.path.join(os.path.dirname(readme), 'docs', '*.md'))
    return sorted(os.path.basename(d) for d in docs
                  if '](docs/%s)' % os.path.basename(d) not in text)


def run(script, minivmm, scripts_dir):
    """Run @script in a checkout-like directory; (exit status, output)."""
    work = tempfile.mkdtemp(prefix='test-readme-')
    try:
        os.mkdir(os.path.join(work, 'build'))
        os.symlink(os.path.abspath(minivmm),
                   os.path.join(work, 'build', 'minivmm'))
        os.symlink(os.path.abspath(scripts_dir),
                   os.path.join(work, 'scripts'))
        # mktemp -d makes the session's directory in here too
        env = dict(os.environ, TMPDIR=work)
        proc = subprocess.Popen(['bash', '-e', '-s'], cwd=work, env=env,
                                stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            out, _ = proc.communicate(script.encode(), timeout=TIMEOUT)
            status = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            status = 'timed out after %d s' % TIMEOUT
        # what the session left running shares its process group
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return status, out.decode(errors='replace')
    finally:
        shutil.rmtree(work)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    readme, minivmm, scripts_dir = sys.argv[1:]
    print('TAP version 13')
    print('1..3')
    unlinked = unlinked_docs(readme)
    print('%s 1 README links to every docs/*.md' % ('not ok' if unlinked
                                                    else 'ok'))
    if unlinked:
        print('# no link to: %s' % ', '.join(unlinked))
    try:
        script = session(readme)
    except ValueError as e:
        print('not ok 2 README has the by-hand session\n# %s' % e)
        print('not ok 3 the by-hand session runs as written # SKIP')
        return 1
    print('ok 2 README has the by-hand session (%d lines)'
          % script.count('\n'))
    status, out = run(script, minivmm, scripts_dir)
    missing = [line for line in EXPECTED if line not in out]
    if status == 0 and not missing:
        print('ok 3 the by-hand session runs as written')
        return 1 if unlinked else 0
    print('not ok 3 the by-hand session runs as written')
    print('# exit status: %s; missing: %s' % (status, missing or 'none'))
    for line in out.splitlines():
        print('# ' + line)
    return 1


if __name__ == '__main__':
    sys.exit(main())
