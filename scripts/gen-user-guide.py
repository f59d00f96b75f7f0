#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# gen-user-guide.py: docs/user-guide.md's tables, from minivmm and QEMU 7.2.
"""Write (or check) the generated tables of docs/user-guide.md.

usage: gen-user-guide.py [--minivmm BIN] [--qemu BIN] [--check] [DOC]

Each table stands between "<!-- gen:NAME begin -->" and
"<!-- gen:NAME end -->" and is made from what the two binaries report
now: -help, -drive format=help, query-commands, HMP help and help info,
HMP qemu-io help, each migration capability set alone, the migration
parameters (query-migrate-parameters, and those shown only once set),
and a migrate to each URI scheme.  The notes column comes from NOTES
below.  Writing needs both binaries.  --check compares the document
with what the binaries say and prints the differences (exit status 1);
without QEMU only minivmm's column is compared.
"""

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load_qmp_lite():
    spec = importlib.util.spec_from_file_location(
        'qmp_shell_lite', os.path.join(HERE, 'qmp-shell-lite.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


qmp = load_qmp_lite()

BASE_ARGS = ['-M', 'none', '-nodefaults', '-display', 'none', '-S',
             '-drive', 'if=none,id=drive0,driver=null-co']
TIMEOUT = 20

# The sections, in the document's order: (name, title of the item column)
SECTIONS = [
    ('options', 'option'),
    ('qmp', 'QMP command'),
    ('hmp', 'HMP command'),
    ('hmp-info', 'HMP info'),
    ('capabilities', 'capability'),
    ('parameters', 'parameter'),
    ('block-drivers', 'driver'),
    ('qemu-io', 'qemu-io command'),
    ('uris', 'URI'),
]

# Sections where every item of either side gets a row; in the others the
# items only QEMU has are listed after the table, one line.
FULL_TABLES = ('capabilities', 'parameters', 'uris')

# Parameters that query-migrate-parameters leaves out until they are set,
# with the value the probe sets (the default).
HIDDEN_PARAMETERS = {
    'block-bitmap-mapping': [],
    'x-dirty-bitmaps-keep-incomplete': False,
    'x-dirty-bitmaps-skip-busy': False,
    'x-dirty-bitmaps-strict': False,
}

# URI schemes and the target each is probed with (a migration that ends
# at once: refused, failed or completed).
URIS = [
    ('tcp', 'tcp:127.0.0.1:1'),
    ('unix', 'unix:/nonexistent/minivmm-guide.sock'),
    ('exec', 'exec:cat >/dev/null'),
    ('fd', 'fd:minivmm-guide-no-such-fd'),
    ('rdma', 'rdma:127.0.0.1:1'),
    ('file', 'file:/dev/null'),
]
BAD_PROTOCOL = "Parameter 'uri' expects a valid migration protocol"

# Why minivmm differs, per item (the lists themselves are generated).
NO_RAM = 'accepted; no effect: minivmm has no guest RAM'
NOTES = {
    'options': {
        '-M': 'alias of -machine (QEMU has it too, unlisted)',
        '-h': '-help too, as in QEMU',
        '-machine': 'help lists pc, q35 and none; none emulates hardware',
        '-accel': 'tcg and qtest; nothing is emulated',
        '-m': 'accepted; there is no guest RAM',
        '-device': 'virtio-blk-pci only (a stand-in for a disk)',
        '-drive': "if=none and if=virtio; drivers as in the block table",
        '-incoming': 'tcp, unix, exec, fd and defer (see the URI table)',
        '-qtest': 'QEMU has it too but does not list it in -help',
        '-qtest-log': 'QEMU has it too but does not list it in -help',
    },
    'qmp': {
        'migrate-pause': "QEMU 7.2's rules: in postcopy-active only",
        'migrate-recover': "QEMU 7.2's rules: on a destination in "
                           'postcopy-paused only',
        'query-migrate': 'adds x-dirty-bitmaps (bitmap progress), '
                         'our extension',
        'x-debug-block-dirty-bitmap-sha256': 'as QEMU: for tests',
        'blockdev-reopen': 'an empty list does nothing (QEMU 7.2 aborts)',
    },
    'hmp': {
        'info': 'the subcommands in the next table',
        'migrate': '-b and -i are refused (no old-style block migration)',
        'qemu-io': 'the commands in the qemu-io table',
    },
    'hmp-info': {
        'migrate': 'adds a line of dirty-bitmap progress, our extension',
        'migrate_parameters': 'lists the x-dirty-bitmaps-* parameters '
                              'once set',
    },
    'capabilities': {
        'xbzrle': NO_RAM,
        'rdma-pin-all': NO_RAM,
        'auto-converge': NO_RAM,
        'zero-blocks': 'accepted; no effect: no old-style block migration',
        'compress': NO_RAM,
        'events': 'MIGRATION and MIGRATION_PASS events',
        'postcopy-ram': 'accepted (libvirt sets it with dirty-bitmaps); '
                        'no pages to fault in',
        'x-colo': 'refused: no COLO',
        'release-ram': NO_RAM,
        'block': 'refused: no old-style block migration',
        'return-path': 'used (postcopy, pause-before-switchover)',
        'pause-before-switchover': 'stops in pre-switchover until '
                                   'migrate-continue',
        'multifd': 'used: its channels carry only sync packets, as QEMU '
                   "7.2's do without RAM (unix: and tcp: only)",
        'dirty-bitmaps': 'the point of minivmm',
        'postcopy-blocktime': NO_RAM,
        'late-block-activate': 'used: with -S the destination activates '
                               'its nodes on cont',
        'x-ignore-shared': 'sent in the capabilities section, as QEMU does',
        'validate-uuid': 'accepted; minivmm has no -uuid, so sends none, '
                         'and a received one is only warned about',
        'background-snapshot': 'refused: needs userfaultfd write-protect '
                               'of guest RAM',
        'zero-copy-send': 'refused as QEMU refuses it alone',
        'postcopy-preempt': 'refused as QEMU refuses it alone; with '
                            'postcopy-ram too: "Postcopy preempt is not '
                            'supported"',
    },
    'parameters': {
        'downtime-limit': 'used: precopy ends when the rest fits',
        'max-bandwidth': 'used: rate limit in precopy',
        'max-postcopy-bandwidth': 'used: rate limit in postcopy',
        'block-bitmap-mapping': 'used; shown once set, as QEMU does',
        'multifd-channels': 'used: the number of multifd channels',
        'multifd-compression': 'accepted; sync packets carry no pages, '
                               'so nothing is compressed (as in QEMU 7.2)',
        'tls-creds': 'kept and shown; minivmm has no TLS: a migration '
                     'with it set fails, "No TLS credentials with id", as '
                     'QEMU 7.2 without that object',
        'tls-hostname': 'kept and shown; no TLS',
        'tls-authz': 'kept and shown; no TLS',
        'x-dirty-bitmaps-keep-incomplete': 'our extension (destination), '
                                           'shown once set',
        'x-dirty-bitmaps-skip-busy': 'our extension (source), shown once '
                                     'set',
        'x-dirty-bitmaps-strict': 'our extension (both sides), shown once '
                                  'set',
    },
    'block-drivers': {
        'copy-on-read': 'filter; bitmaps are looked up through it',
        'file': 'POSIX files and block devices',
        'null-aio': 'no data; reads give zeroes',
        'null-co': 'no data; reads give zeroes (the usual test disk)',
        'qcow2': 'persistent bitmaps; see docs/qcow2.md',
        'raw': 'format over file',
    },
    'qemu-io': {
        'write': 'with -z, -P; the guest-like writes of the tests',
    },
    'uris': {
        'tcp': 'both sides',
        'unix': 'both sides',
        'exec': 'both sides (exec:cat >FILE saves a stream)',
        'fd': 'getfd over QMP (SCM_RIGHTS), then fd:NAME; -incoming fd:N',
        'rdma': 'no RDMA transport',
        'file': 'our extension (QEMU 8.2 has it): write or read a stream '
                'file',
    },
}


# ---- What a binary says ----

def parse_help_options(text):
    """Option names at the start of -help lines ('-a|-b', '-h or -help')."""
    opts = {}
    for line in text.splitlines():
        m = re.match(r'(-[\w-]+)((?:(?:\|| or )-[\w-]+)*)', line)
        if m:
            for name in re.split(r'\||\s+or\s+', m.group(0)):
                opts.setdefault(name, 'yes')
    return opts


def parse_help_commands(text, prefix=''):
    """Command names of HMP or qemu-io help lines ('name|alias args -- ...').

    Lines that do not start with a lower-case word are continuations.
    """
    cmds = {}
    for line in text.splitlines():
        m = re.match(re.escape(prefix) + r'([a-z][\w-]*)((?:\|[\w?]+)*)'
                     r'(?: |$)', line)
        if not m:
            continue
        aliases = [a for a in m.group(2).split('|') if a]
        cmds[m.group(1)] = ('yes, alias ' + ', '.join(aliases)
                            if aliases else 'yes')
    return cmds


def run_text(argv):
    out = subprocess.run(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         timeout=TIMEOUT, check=False)
    return out.stdout.decode(errors='replace')


def qemu_io_commands(binary):
    """qemu-io help over HMP: its output goes to the process's stdout."""
    out = subprocess.run([binary] + BASE_ARGS + ['-monitor', 'stdio'],
                         input=b'qemu-io drive0 help\nquit\n',
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         timeout=TIMEOUT, check=False)
    text = out.stdout.decode(errors='replace')
    return {name: 'yes' for name in
            re.findall(r'^([a-z_]+) .*-- ', text, re.M)}


class Session:
    """A -S process of @binary with its QMP monitor connected to us."""

    def __init__(self, binary, tmpdir):
        self.proc, sock = qmp.launch([binary] + BASE_ARGS, tmpdir, TIMEOUT,
                                     log=subprocess.DEVNULL)
        self.client = qmp.QMPClient(sock, TIMEOUT)
        self.client.handshake(False)

    def cmd(self, name, **args):
        req = {'execute': name}
        if args:
            req['arguments'] = args
        return self.client.command(req, False)

    def ret(self, name, **args):
        reply = self.cmd(name, **args)
        if 'return' not in reply:
            raise qmp.QMPError('%s: %r' % (name, reply))
        return reply['return']

    def hmp(self, line):
        return self.ret('human-monitor-command', **{'command-line': line})

    def close(self):
        self.cmd('quit')
        self.client.sock.close()
        self.proc.wait(timeout=TIMEOUT)


def outcome(reply):
    if 'error' in reply:
        return 'refused: ' + reply['error']['desc']
    return 'accepted'


def probe_capabilities(s):
    caps = {}
    for c in s.ret('query-migrate-capabilities'):
        name = c['capability']
        on = [{'capability': name, 'state': True}]
        caps[name] = outcome(s.cmd('migrate-set-capabilities',
                                   capabilities=on))
        on[0]['state'] = False
        s.cmd('migrate-set-capabilities', capabilities=on)
    return caps


def probe_parameters(s):
    params = {k: json.dumps(v)
              for k, v in s.ret('query-migrate-parameters').items()}
    for name, value in HIDDEN_PARAMETERS.items():
        if name in params:
            continue
        reply = s.cmd('migrate-set-parameters', **{name: value})
        if 'error' not in reply:
            params[name] = 'shown once set'
    return params


def wait_migration_end(s):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        status = s.ret('query-migrate').get('status', 'none')
        if status in ('completed', 'failed', 'cancelled', 'none'):
            return status
        time.sleep(0.02)
    raise qmp.QMPError('migration did not end in %d s' % TIMEOUT)


def probe_uris(s):
    uris = {}
    for scheme, uri in URIS:
        reply = s.cmd('migrate', uri=uri)
        if 'error' in reply and reply['error']['desc'] == BAD_PROTOCOL:
            uris[scheme] = 'no'
            continue
        uris[scheme] = 'yes'
        if 'error' not in reply and wait_migration_end(s) == 'completed':
            s.ret('cont')     # the next migrate needs the VM out of
                              # postmigrate
    return uris


def gather(binary):
    """{section: {item: value}} and the version line, as @binary says."""
    data = {
        'options': parse_help_options(run_text([binary, '-help'])),
        'qemu-io': qemu_io_commands(binary),
    }
    formats = run_text([binary, '-drive', 'format=help'])
    m = re.search(r'^Supported formats: (.*)$', formats, re.M)
    data['block-drivers'] = {f: 'yes' for f in (m.group(1).split()
                                                if m else [])}
    with tempfile.TemporaryDirectory(prefix='gen-user-guide-') as tmpdir:
        s = Session(binary, tmpdir)
        try:
            data['qmp'] = {c['name']: 'yes'
                           for c in s.ret('query-commands')}
            data['hmp'] = parse_help_commands(s.hmp('help'))
            data['hmp-info'] = parse_help_commands(s.hmp('help info'),
                                                   'info ')
            data['capabilities'] = probe_capabilities(s)
            data['parameters'] = probe_parameters(s)
            data['uris'] = probe_uris(s)
        finally:
            s.close()
    version = run_text([binary, '-version']).splitlines()[0]
    return data, version


# ---- The document ----

def cell(text):
    return text.replace('|', '\\|')


def render(section, title, ours, theirs):
    """The generated text of one section (without its marks)."""
    notes = NOTES.get(section, {})
    full = section in FULL_TABLES
    names = sorted(set(ours) | (set(theirs) if full else set()),
                   key=lambda n: (n.lstrip('-').lower(), n))
    lines = ['| %s | QEMU 7.2 | minivmm | notes |' % title,
             '|---|---|---|---|']
    for n in names:
        lines.append('| `%s` | %s | %s | %s |'
                     % (n, cell(theirs.get(n, 'no')),
                        cell(ours.get(n, 'no')), cell(notes.get(n, ''))))
    if not full:
        missing = sorted((n for n in theirs if n not in ours),
                         key=lambda n: (n.lstrip('-').lower(), n))
        lines.append('')
        lines.append('Only in QEMU 7.2 (%d): %s' % (
            len(missing), ', '.join('`%s`' % n for n in missing) or 'none'))
    return '\n'.join(lines) + '\n'


ROW = re.compile(r'^\| `([^`]+)` \| (.*?) \| (.*?) \| (.*?) \|$', re.M)


def marks(section):
    return ('<!-- gen:%s begin -->\n' % section,
            '<!-- gen:%s end -->' % section)


def block_of(text, section):
    begin, end = marks(section)
    start = text.index(begin) + len(begin)
    return start, text.index(end, start)


def parse_block(block):
    """({item: minivmm value}, {item: QEMU value}) from a generated block."""
    ours, theirs = {}, {}
    for line in block.splitlines():
        m = ROW.match(line)
        if m:
            name, q, o = m.group(1), m.group(2), m.group(3)
            q, o = q.replace('\\|', '|'), o.replace('\\|', '|')
            if o != 'no':
                ours[name] = o
            if q != 'no':
                theirs[name] = q
        elif line.startswith('Only in QEMU 7.2'):
            for name in re.findall(r'`([^`]+)`', line):
                theirs[name] = 'yes'
    return ours, theirs


def recorded_qemu_version(text):
    m = re.search(r'<!-- gen:qemu-version (.*?) -->', text)
    return m.group(1) if m else None


def write(doc, ours, theirs, qemu_version):
    text = open(doc, encoding='utf-8').read()
    for section, title in SECTIONS:
        start, end = block_of(text, section)
        text = (text[:start] + render(section, title, ours[section],
                                      theirs[section]) + text[end:])
    text = re.sub(r'<!-- gen:qemu-version .*? -->',
                  '<!-- gen:qemu-version %s -->' % qemu_version, text)
    with open(doc, 'w', encoding='utf-8') as f:
        f.write(text)


def diff(name, want, got):
    """Lines saying how @got (the document) differs from @want (live)."""
    out = []
    for item in sorted(set(want) | set(got)):
        w, g = want.get(item, 'no'), got.get(item, 'no')
        if w != g:
            out.append('%s `%s`: the binary says %r, the document %r'
                       % (name, item, w, g))
    return out


def check(doc, ours, theirs):
    """{section: [differences]}: minivmm's column, and QEMU's if given."""
    text = open(doc, encoding='utf-8').read()
    result = {}
    for section, _ in SECTIONS:
        start, end = block_of(text, section)
        doc_ours, doc_theirs = parse_block(text[start:end])
        problems = diff('minivmm', ours[section], doc_ours)
        if theirs is not None:
            # the "Only in QEMU 7.2" line gives names only
            rows = {r[0] for r in ROW.findall(text[start:end])}
            want = {k: v if k in rows else 'yes'
                    for k, v in theirs[section].items()}
            problems += diff('QEMU', want, doc_theirs)
        result[section] = problems
    return result


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('doc', nargs='?',
                    default=os.path.join(ROOT, 'docs', 'user-guide.md'))
    ap.add_argument('--minivmm', default=os.path.join(ROOT, 'build',
                                                      'minivmm'))
    ap.add_argument('--qemu', default='qemu-system-x86_64')
    ap.add_argument('--check', action='store_true',
                    help='compare instead of writing')
    args = ap.parse_args()
    ours, _ = gather(args.minivmm)
    try:
        theirs, qemu_version = gather(args.qemu)
    except FileNotFoundError:
        theirs = qemu_version = None
    if not args.check:
        if theirs is None:
            ap.error('%s not found: writing needs QEMU 7.2' % args.qemu)
        write(args.doc, ours, theirs, qemu_version)
        return 0
    if theirs is None:
        print('%s not found: only the minivmm column is checked' % args.qemu)
    problems = [p for ps in check(args.doc, ours, theirs).values()
                for p in ps]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
