#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# demo-migration: migrate three dirty bitmaps between two minivmm processes.
"""Dirty-bitmap migration demo (make demo), python3 stdlib only.

Starts a source and a destination minivmm (-M none) in a temporary
directory, gives each a 1 GiB null-co disk with the same node name, adds
three bitmaps on the source (64 KiB, 4 KiB and 512 B granularity; the last
one disabled after some writes), dirties them with HMP qemu-io writes and
migrates them over a unix socket with the dirty-bitmaps capability:

  run 1  precopy at the default parameters: the bitmap data moves while
         the source runs, and precopy converges (QEMU 7.2's own module
         reports its bitmaps as postcopy-only and sends them once the VM
         has stopped, so against a qemu-system-* binary the run raises
         downtime-limit, as this demo used to)
  run 2  postcopy, to a fresh destination (downtime-limit 0, migrate,
         then migrate-start-postcopy; max-postcopy-bandwidth is lowered
         so that the destination visibly runs while its bitmaps arrive)
  run 3  the same bitmaps made persistent in a 1 GiB qcow2 image, migrated
         precopy to a destination with an image of its own; once it has
         quit, qemu-img info and check show that its image holds them
         (granularity, flags), and a process reopening the image finds
         the source's sha256 (skipped without qemu-img)

MIGRATION/STOP/RESUME events are printed as they arrive, together with
query-migrate status.  After each run a table compares every bitmap on
source and destination: granularity, dirty count (bytes), sha256, and the
destination's recording/busy/persistent flags.  The exit status is 0 only
if every bitmap matches in every run.

Environment:
  DEMO_TIMEOUT=S      bound on each wait, in seconds (default 30)
  DEMO_TAMPER=1       write to the source after each migration, so that
                      the tables must show a mismatch (exit status 1)
  DEMO_KEEP_TMPDIR=1  keep the temporary directory (sockets, process logs)

  demo-migration.py BINARY      run the demo
  demo-migration.py --self-test check the comparison on planted data
"""

import importlib.util
import json
import os
import shutil
import select
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    'qmp_shell_lite', os.path.join(HERE, 'qmp-shell-lite.py'))
qsl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qsl)

NODE = 'disk0'
DISK_SIZE = 1 << 30
VM_ARGS = ['-M', 'none', '-nodefaults', '-display', 'none']

# (name, granularity in bytes, disabled after the first batch of writes)
BITMAPS = [
    ('backup-64k', 65536, False),
    ('incr-4k', 4096, False),
    ('frozen-512', 512, True),
]
# qemu-io commands: before the disable, after it, and between the runs.
WRITES_ALL = ['write 0 64k', 'write 1M 192k', 'write 100M 4k',
              'write 1073676288 65536']
WRITES_ENABLED = ['write 512M 1', 'write 300M 1M', 'write -z 700M 2M']
WRITES_RUN2 = ['write 2M 8k', 'write 900M 512k', 'write 40000 1000']
# DEMO_TAMPER's write after run 1 and run 2: chunks clean until then.
WRITES_TAMPER = ['write 768M 4k', 'write 800M 4k', 'write 832M 4k']
# Bytes per second for run 2's bitmap stream (about 20 KB in all).
POSTCOPY_BANDWIDTH = 16384

T0 = time.time()
PEERS = []      # every Peer started, for cleanup and for its log on errors


class DemoError(Exception):
    pass


def stamp(t=None):
    return '[%7.3f]' % ((time.time() if t is None else t) - T0)


def say(text=''):
    print(text, flush=True)


def args_text(args):
    return ' '.join('%s=%s' % (k, json.dumps(v) if not isinstance(v, str)
                               or ' ' in v else v)
                    for k, v in args.items())


class Peer:
    """One minivmm process and its QMP connection."""

    def __init__(self, name, binary, extra, tmpdir, timeout):
        self.name = name
        self.timeout = timeout
        self.log_path = os.path.join(tmpdir, name + '.log')
        self.statuses = []          # MIGRATION statuses seen, in order
        self.seen = []              # names of all events seen, in order
        self.passes = 0             # MIGRATION_PASS events seen
        self.timeline = []          # (event name, MIGRATION status, time)
        self.client = None
        argv = [binary] + VM_ARGS + extra
        with open(self.log_path, 'w') as log:
            self.proc, sock = qsl.launch(argv, tmpdir, timeout,
                                         sockname=name + '-qmp.sock',
                                         log=log)
        PEERS.append(self)
        self.client = qsl.QMPClient(sock, timeout)
        try:
            self.client.handshake(False)
        except (qsl.QMPError, OSError, ValueError) as e:
            raise DemoError('%s: %s%s' % (name, e, self.exit_note()))
        say('%s %-4s started: %s' % (stamp(), name,
                                     ' '.join(VM_ARGS + extra)))

    def show_events(self):
        for ev in self.client.events:
            ts = ev.get('timestamp', {})
            t = ts.get('seconds', 0) + ts.get('microseconds', 0) / 1e6
            data = ev.get('data')
            text = ev['event']
            status = None
            if ev['event'] == 'MIGRATION':
                status = (data or {}).get('status', '?')
                self.statuses.append(status)
                text += ' ' + status
            elif data:
                text += ' ' + json.dumps(data)
            self.seen.append(ev['event'])
            self.timeline.append((ev['event'], status, t))
            if ev['event'] == 'MIGRATION_PASS':
                # QEMU emits one per iteration when RAM is empty: show a few.
                self.passes += 1
                if self.passes > 3:
                    continue
            say('%s %-4s <- event %s' % (stamp(t), self.name, text))
        self.client.events = []

    def reset_events(self):
        """Forget the events of an earlier migration."""
        self.statuses, self.seen, self.passes = [], [], 0
        self.timeline = []

    def event_time(self, name, status=None):
        """Server time of the first @name (MIGRATION @status) event."""
        for ev, st, t in self.timeline:
            if ev == name and st == status:
                return t
        return None

    def passes_note(self):
        if self.passes > 3:
            say('%s %-4s    (%d MIGRATION_PASS events in all)'
                % (stamp(), self.name, self.passes))

    def qmp(self, cmd, quiet=False, **args):
        """Run @cmd; return its 'return' value or raise DemoError."""
        req = {'execute': cmd}
        if args:
            req['arguments'] = args
        if not quiet:
            text = cmd + (' ' + args_text(args) if args else '')
            if cmd == 'human-monitor-command':
                text = 'HMP ' + args['command-line']
            say('%s %-4s -> %s' % (stamp(), self.name, text))
        try:
            rsp = self.client.command(req, False)
        except (qsl.QMPError, OSError, ValueError) as e:
            raise DemoError('%s: %s: %s%s' % (self.name, cmd, e,
                                              self.exit_note()))
        self.show_events()
        if 'error' in rsp:
            raise DemoError('%s: %s failed: %s' % (self.name, cmd,
                                                   rsp['error']['desc']))
        return rsp['return']

    def qemu_io(self, line):
        out = self.qmp('human-monitor-command',
                       **{'command-line': 'qemu-io %s "%s"' % (NODE, line)})
        if 'error' in out.lower():
            raise DemoError('%s: qemu-io %s: %s' % (self.name, line,
                                                    out.strip()))

    def exit_note(self):
        """Say how the process ended, if it did (it closed our socket)."""
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return ''
        return ' (process exited with status %d)' % self.proc.returncode

    def log_tail(self, lines=10):
        """The last lines of the process's output, without qemu-io's."""
        try:
            with open(self.log_path) as f:
                text = f.read().splitlines()
        except OSError:
            return ''
        text = [ln for ln in text
                if not ln.startswith('wrote ') and ' ops; ' not in ln]
        return '\n'.join('    %s| %s' % (self.name, ln)
                         for ln in text[-lines:])

    def quit(self):
        """quit over QMP and wait; return the exit status (-9: killed)."""
        if self.proc.poll() is None:
            try:
                self.client.command({'execute': 'quit'}, False)
                self.show_events()
                self.proc.wait(timeout=self.timeout)
            except (qsl.QMPError, OSError, ValueError):
                pass
            except subprocess.TimeoutExpired:
                say('%s %-4s did not exit in %g s: killed'
                    % (stamp(), self.name, self.timeout))
        self.kill()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.client is not None:
            self.client.sock.close()


def pump(peers, timeout):
    """Wait up to @timeout s for events on any peer and print them."""
    ready, _, _ = select.select([p.client for p in peers], [], [],
                                max(timeout, 0))
    for p in peers:
        if p.client in ready or b'\n' in p.client.buf:
            try:
                if p.client in ready:
                    p.client.fill(0)
                p.client.collect_events()
            except (qsl.QMPError, OSError, ValueError) as e:
                raise DemoError('%s: %s%s' % (p.name, e, p.exit_note()))
            p.show_events()


def wait_until(peers, what, done, timeout, tick=None, tick_every=0.25):
    """Pump events until done() is true; call tick() now and then."""
    deadline = time.monotonic() + timeout
    next_tick = time.monotonic()
    while True:
        for p in peers:
            if 'failed' in p.statuses:
                raise DemoError('%s: migration failed while waiting for %s'
                                % (p.name, what))
        if done():
            return
        now = time.monotonic()
        if now >= deadline:
            raise DemoError('timed out after %g s waiting for %s'
                            % (timeout, what))
        if tick is not None and now >= next_tick:
            tick()
            next_tick = now + tick_every
        pump(peers, min(deadline, next_tick if tick else deadline) - now)


class Progress:
    """Print query-migrate of each peer whenever it changed.

    While a peer is in postcopy-active, also print which of its bitmaps
    are busy (on the destination: still being loaded).
    """

    FIELDS = ('status', 'total-time', 'expected-downtime', 'downtime')

    def __init__(self, peers):
        self.peers = peers
        self.last = {}

    def show(self, key, text):
        if self.last.get(key) != text:
            self.last[key] = text
            say('%s %-4s    %s' % (stamp(), key[0], text))

    def __call__(self):
        for p in self.peers:
            info = p.qmp('query-migrate', quiet=True)
            parts = ['%s=%s' % (k, info[k]) for k in self.FIELDS if k in info]
            ram = info.get('ram', {})
            if 'transferred' in ram:
                parts.append('transferred=%d' % ram['transferred'])
            self.show((p.name, 'q'),
                      'query-migrate: ' + (' '.join(parts) or '{}'))
            bitmaps_line = x_dirty_bitmaps_text(info)
            if bitmaps_line:
                # Every poll: the figures move while the status stays.
                say('%s %-4s    %s' % (stamp(), p.name, bitmaps_line))
            if info.get('status') == 'postcopy-active':
                bitmaps = bitmap_list(p)
                busy = sorted(bm['name'] for bm in bitmaps
                              if bm.get('busy') and 'name' in bm)
                text = 'busy bitmaps: %s' % (', '.join(busy) or 'none')
                unnamed = sum(1 for bm in bitmaps if 'name' not in bm)
                if unnamed:
                    # Destination: the successors that record new writes
                    # (as in QEMU); source: the module's trackers of what
                    # is still to send.
                    text += ' (+%d unnamed %s)' % (
                        unnamed, 'trackers' if p.name == 'src'
                        else 'successors')
                self.show((p.name, 'b'), text)


def x_dirty_bitmaps_text(info):
    """minivmm's x-dirty-bitmaps of a query-migrate answer, as one line.

    QEMU has no such member (it is minivmm's extension): None then.
    """
    x = info.get('x-dirty-bitmaps')
    if x is None:
        return None
    text = ('x-dirty-bitmaps: %d/%d/%d started/completed/total, '
            '%d bytes %s' % (x['started'], x['completed'], x['total'],
                             x['bytes'],
                             'received' if x['incoming'] else 'sent'))
    if 'pending' in x:
        text += ', %d pending' % x['pending']
    text += ', %d chunks' % x['chunks']
    if x['dropped']:
        text += ', dropped: ' + ', '.join(
            '%s/%s (%s%s)' % (d['node'], d['name'], d['reason'],
                              ', kept' if d['kept'] else '')
            for d in x['dropped'])
    return text


def bitmap_list(peer):
    """The dirty-bitmaps list (BlockDirtyInfo) of NODE on @peer."""
    nodes = peer.qmp('query-named-block-nodes', quiet=True, flat=True)
    for n in nodes:
        if n.get('node-name') == NODE:
            return n.get('dirty-bitmaps', [])
    return []


def bitmap_infos(peer):
    """{bitmap name: BlockDirtyInfo} for NODE's named bitmaps on @peer."""
    return {bm['name']: bm for bm in bitmap_list(peer) if 'name' in bm}


def snapshot(peer):
    """{bitmap name: info} for NODE, with 'sha256' added to each info."""
    result = bitmap_infos(peer)
    for name, info in result.items():
        info['sha256'] = peer.qmp('x-debug-block-dirty-bitmap-sha256',
                                  quiet=True, node=NODE,
                                  name=name)['sha256']
    return result


COMPARED = ('granularity', 'count', 'sha256', 'recording', 'persistent')


def compare(src, dst):
    """Return [(name, src info, dst info, [problems])], sorted by name.

    A bitmap matches when it exists on both sides with equal granularity,
    dirty count, sha256, recording and persistent flags, and is no longer
    busy on the destination.
    """
    rows = []
    for name in sorted(set(src) | set(dst)):
        s, d = src.get(name), dst.get(name)
        if s is None:
            problems = ['only on destination']
        elif d is None:
            problems = ['missing on destination']
        else:
            problems = [k for k in COMPARED if s.get(k) != d.get(k)]
            if d.get('busy'):
                problems.append('busy on destination')
        rows.append((name, s, d, problems))
    return rows


def yes_no(info, key):
    if info is None:
        return '-'
    return 'yes' if info.get(key) else 'no'


def print_table(title, rows):
    """Print the comparison; return True if every row matches."""
    def cell(info, key, width=None):
        if info is None:
            return '-'
        v = str(info.get(key, '?'))
        return v[:width] if width else v

    head = ('bitmap', 'gran', 'count src', 'count dst', 'sha256 src',
            'sha256 dst', 'rec', 'busy', 'pers', 'match')
    lines = []
    for name, s, d, problems in rows:
        gran = cell(s if s else d, 'granularity')
        lines.append((name, gran, cell(s, 'count'), cell(d, 'count'),
                      cell(s, 'sha256', 16), cell(d, 'sha256', 16),
                      yes_no(d, 'recording'), yes_no(d, 'busy'),
                      yes_no(d, 'persistent'),
                      'yes' if not problems else
                      'NO (%s)' % ', '.join(problems)))
    widths = [max(len(r[i]) for r in [head] + lines)
              for i in range(len(head))]
    say()
    say('%s (sha256: first 16 hex digits; flags: destination)' % title)
    for r in [head] + lines:
        say('  ' + '  '.join(c.ljust(w) if i in (0, 4, 5, 9) else c.rjust(w)
                             for i, (c, w) in enumerate(zip(r, widths)))
            .rstrip())
    for name, s, d, problems in rows:
        if 'sha256' in problems:
            say('  %s sha256 src %s' % (name, s['sha256']))
            say('  %s sha256 dst %s' % (name, d['sha256']))
    ok = bool(rows) and all(not r[3] for r in rows)
    say('  => %s' % ('all %d bitmaps match' % len(rows) if ok
                     else 'MISMATCH'))
    say()
    return ok


def pending_bits():
    """The source's pending estimate in precopy: one unit per bitmap bit."""
    return sum(-(-DISK_SIZE // gran) for _, gran, _ in BITMAPS)


def set_caps(peer):
    peer.qmp('migrate-set-capabilities', capabilities=[
        {'capability': 'events', 'state': True},
        {'capability': 'dirty-bitmaps', 'state': True}])


def start_destination(binary, name, tmpdir, timeout):
    """A destination waiting for migrate-incoming, with the same disk."""
    dst = Peer(name, binary, ['-incoming', 'defer'], tmpdir, timeout)
    dst.qmp('blockdev-add', driver='null-co', **{'node-name': NODE,
                                                'size': DISK_SIZE})
    set_caps(dst)
    return dst


def migrate(src, dst, uri, postcopy, timeout):
    """Run one migration from @src to @dst, printing its progress."""
    peers = [src, dst]
    src.reset_events()
    dst.reset_events()
    progress = Progress(peers)
    dst.qmp('migrate-incoming', uri=uri)
    src.qmp('migrate', uri=uri)
    if postcopy:
        wait_until(peers, 'source MIGRATION active',
                   lambda: 'active' in src.statuses, timeout, progress)
        progress()
        src.qmp('migrate-start-postcopy')
    wait_until(peers, 'MIGRATION completed and destination RESUME',
               lambda: ('completed' in src.statuses
                        and 'completed' in dst.statuses
                        and 'RESUME' in dst.seen),
               timeout, progress)
    # The final figures are filled in just before the source's runstate
    # becomes postmigrate, a little after the completed event.
    wait_until(peers, 'source runstate postmigrate',
               lambda: src.qmp('query-status',
                               quiet=True)['status'] == 'postmigrate',
               timeout, lambda: None, 0.01)
    progress()
    src.passes_note()
    stop = src.event_time('STOP')
    resume = dst.event_time('RESUME')
    done = dst.event_time('MIGRATION', 'completed')
    if None not in (stop, resume, done):
        say('%s      %s STOP -> %s RESUME %.1f ms; %s RESUME -> %s '
            'completed %.1f ms'
            % (stamp(), src.name, dst.name, (resume - stop) * 1e3, dst.name,
               dst.name, (done - resume) * 1e3))
    if postcopy and 'postcopy-active' not in src.statuses:
        raise DemoError('%s: never entered postcopy-active' % src.name)


def tamper_with(src, run_index):
    say('\n== DEMO_TAMPER: the source runs on and writes after migrating')
    src.qmp('cont')
    src.qemu_io(WRITES_TAMPER[run_index])


def run(binary, tmpdir, timeout, tamper):
    say('== minivmm dirty-bitmap migration demo: %s' % binary)
    say('== "->" we send (QMP), "<-" minivmm sends; [seconds since start]')
    say()
    src = Peer('src', binary, [], tmpdir, timeout)
    dst = start_destination(binary, 'dst1', tmpdir, timeout)

    say('\n== source: a 1 GiB null-co disk, three bitmaps, guest writes')
    src.qmp('blockdev-add', driver='null-co', **{'node-name': NODE,
                                                'size': DISK_SIZE})
    for name, gran, _ in BITMAPS:
        src.qmp('block-dirty-bitmap-add', node=NODE, name=name,
                granularity=gran)
    for line in WRITES_ALL:
        src.qemu_io(line)
    for name, _, disable in BITMAPS:
        if disable:
            src.qmp('block-dirty-bitmap-disable', node=NODE, name=name)
    for line in WRITES_ENABLED:
        src.qemu_io(line)
    set_caps(src)

    results = []
    say('\n== run 1: precopy over unix:%s/mig1.sock' % tmpdir)
    if os.path.basename(binary).startswith('qemu-system'):
        say('%s      (QEMU 7.2 sends the bitmaps while the VM is stopped; '
            'the convergence\n'
            '                 check weighs their %d pending bits against '
            'bandwidth x downtime-limit,\n'
            '                 so allow a generous limit; the real downtime '
            'is shown below)' % (stamp(), pending_bits()))
        src.qmp('migrate-set-parameters', **{'downtime-limit': 2000000})
    else:
        say('%s      (default parameters: the bitmaps move while the VM '
            'runs)' % stamp())
    migrate(src, dst, 'unix:%s/mig1.sock' % tmpdir, False, timeout)
    if tamper:
        tamper_with(src, 0)
    results.append(print_table('run 1 (precopy): source vs destination',
                               compare(snapshot(src), snapshot(dst))))

    say('== run 2: postcopy to a fresh destination')
    say('%s %-4s exited with status %d' % (stamp(), dst.name, dst.quit()))
    dst = start_destination(binary, 'dst2', tmpdir, timeout)
    if src.qmp('query-status', quiet=True)['status'] != 'running':
        src.qmp('cont')
    for line in WRITES_RUN2:
        src.qemu_io(line)
    say('%s      (downtime-limit 0 keeps precopy iterating until '
        'migrate-start-postcopy;\n'
        '                 max-postcopy-bandwidth %d B/s slows the bitmap '
        'stream down\n'
        '                 so that you can watch %s run while its bitmaps '
        'arrive)' % (stamp(), POSTCOPY_BANDWIDTH, dst.name))
    src.qmp('migrate-set-parameters', **{
        'downtime-limit': 0, 'max-postcopy-bandwidth': POSTCOPY_BANDWIDTH})
    migrate(src, dst, 'unix:%s/mig2.sock' % tmpdir, True, timeout)
    if tamper:
        tamper_with(src, 1)
    results.append(print_table('run 2 (postcopy): source vs destination',
                               compare(snapshot(src), snapshot(dst))))

    for p in (src, dst):
        say('%s %-4s exited with status %d' % (stamp(), p.name, p.quit()))
    results.append(run_qcow2(binary, tmpdir, timeout, tamper))
    if all(results):
        say('== demo passed: every bitmap arrived intact, in every run')
        return 0
    say('== demo FAILED: some bitmaps differ (see the tables)')
    return 1


def qemu_img(*args):
    """Run qemu-img @args; return its output (JSON decoded for json)."""
    argv = ['qemu-img'] + list(args)
    say('%s      $ %s' % (stamp(), ' '.join(argv)))
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if r.returncode != 0 and not (args[0] == 'check' and r.stdout):
        raise DemoError('qemu-img %s: %s' % (args[0], r.stderr.strip()))
    return json.loads(r.stdout) if '--output=json' in args else r.stdout


def qcow2_peer(name, binary, image, tmpdir, timeout, extra=()):
    return Peer(name, binary, list(extra) + [
        '-blockdev', 'driver=qcow2,node-name=%s,file.driver=file,'
        'file.filename=%s' % (NODE, image)], tmpdir, timeout)


def image_table(image, src):
    """Print what qemu-img finds in @image next to @src's bitmaps."""
    info = qemu_img('info', '--output=json', image)
    check = qemu_img('check', '--output=json', image)
    found = {bm['name']: bm for bm in
             info.get('format-specific', {}).get('data', {})
             .get('bitmaps', [])}
    say()
    say('qemu-img on the destination image %s' % os.path.basename(image))
    ok = True
    for name in sorted(set(src) | set(found)):
        s, f = src.get(name), found.get(name)
        problems = []
        if s is None or f is None:
            problems.append('only in the image' if s is None
                            else 'missing in the image')
        else:
            if f['granularity'] != s['granularity']:
                problems.append('granularity')
            if ('auto' in f['flags']) != s['recording']:
                problems.append('auto flag')
            if 'in-use' in f['flags']:
                problems.append('in-use')
        ok = ok and not problems
        say('  %-11s granularity %-6s flags %-8s source: %-6s %-13s %s'
            % (name, f['granularity'] if f else '-',
               ','.join(f['flags']) or '-' if f else '-',
               s['granularity'] if s else '-',
               ('recording' if s['recording'] else 'disabled') if s
               else '-', 'ok' if not problems else
               'NO (%s)' % ', '.join(problems)))
    clean = not any(check.get(k) for k in ('corruptions', 'leaks',
                                           'check-errors'))
    say('  qemu-img check: %s' % ('no errors, no leaks' if clean else
                                  json.dumps(check)))
    say('  => %s' % ('the image holds all %d bitmaps' % len(src)
                     if ok and clean else 'MISMATCH'))
    return ok and clean


def run_qcow2(binary, tmpdir, timeout, tamper):
    """Run 3: persistent bitmaps in qcow2 images; True if all match."""
    say('== run 3: persistent bitmaps in qcow2 images, precopy')
    if shutil.which('qemu-img') is None:
        say('%s      qemu-img is not installed: run 3 skipped' % stamp())
        return True
    src_img = os.path.join(tmpdir, 'src.qcow2')
    dst_img = os.path.join(tmpdir, 'dst.qcow2')
    for image in (src_img, dst_img):
        qemu_img('create', '-q', '-f', 'qcow2', image, str(DISK_SIZE))
    src = qcow2_peer('src3', binary, src_img, tmpdir, timeout)
    dst = qcow2_peer('dst3', binary, dst_img, tmpdir, timeout,
                     ['-incoming', 'defer'])
    for name, gran, _ in BITMAPS:
        src.qmp('block-dirty-bitmap-add', node=NODE, name=name,
                granularity=gran, persistent=True)
    for line in WRITES_ALL:
        src.qemu_io(line)
    for name, _, disable in BITMAPS:
        if disable:
            src.qmp('block-dirty-bitmap-disable', node=NODE, name=name)
    for line in WRITES_ENABLED + WRITES_RUN2:
        src.qemu_io(line)
    set_caps(src)
    set_caps(dst)
    say('%s      (with dirty-bitmaps the source does not store them at '
        'switch-over:\n'
        '                 they travel in the stream, and the destination '
        'stores them\n'
        '                 in its own image when it quits)' % stamp())
    src.qmp('migrate-set-parameters', **{'downtime-limit': 2000000})
    migrate(src, dst, 'unix:%s/mig3.sock' % tmpdir, False, timeout)
    if tamper:
        tamper_with(src, 2)
    want = snapshot(src)
    ok = print_table('run 3 (qcow2, precopy): source vs destination',
                     compare(want, snapshot(dst)))
    for p in (src, dst):
        say('%s %-4s exited with status %d' % (stamp(), p.name, p.quit()))

    ok = image_table(dst_img, want) and ok
    say('\n== run 3: a new process opens the destination image read-only')
    chk = Peer('chk', binary, ['-blockdev', 'driver=qcow2,node-name=%s,'
                               'read-only=on,file.driver=file,'
                               'file.filename=%s' % (NODE, dst_img)],
               tmpdir, timeout)
    ok = print_table('run 3: source vs the bitmaps loaded from the image',
                     compare(want, snapshot(chk))) and ok
    say('%s %-4s exited with status %d' % (stamp(), chk.name, chk.quit()))
    return ok


def self_test():
    """Check compare() and print_table() on planted data."""
    a = {'granularity': 512, 'count': 1024, 'sha256': 'a' * 64,
         'recording': True, 'persistent': False, 'busy': False}
    same = compare({'x': a}, {'x': dict(a)})
    assert same == [('x', a, a, [])], same
    assert print_table('self-test: equal', same)
    for key, value in (('sha256', 'b' * 64), ('count', 1536),
                       ('granularity', 4096), ('recording', False),
                       ('busy', True)):
        rows = compare({'x': a}, {'x': dict(a, **{key: value})})
        assert rows[0][3], (key, rows)
        assert not print_table('self-test: planted %s mismatch' % key, rows)
    assert compare({'x': a}, {})[0][3] == ['missing on destination']
    assert compare({}, {'x': a})[0][3] == ['only on destination']
    assert not print_table('self-test: nothing', [])
    say('== self-test passed')
    return 0


def raise_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def main():
    if sys.argv[1:] == ['--self-test']:
        return self_test()
    if len(sys.argv) != 2 or sys.argv[1].startswith('-'):
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    try:
        timeout = float(os.environ.get('DEMO_TIMEOUT', '30'))
    except ValueError:
        print('demo-migration: DEMO_TIMEOUT must be a number',
              file=sys.stderr)
        return 2
    tamper = os.environ.get('DEMO_TAMPER', '') not in ('', '0')
    keep = os.environ.get('DEMO_KEEP_TMPDIR', '') not in ('', '0')
    # Ctrl-C works even when a non-interactive shell started us in the
    # background (it would have left SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, raise_on_signal)
    signal.signal(signal.SIGHUP, raise_on_signal)
    tmpdir = tempfile.mkdtemp(prefix='minivmm-demo-')
    try:
        return run(binary, tmpdir, timeout, tamper)
    except (DemoError, qsl.QMPError, OSError, ValueError) as e:
        for p in PEERS:
            p.kill()
            tail = p.log_tail()
            if p.proc.returncode != 0 and tail:
                say('== last lines of %s.log:\n%s' % (p.name, tail))
        print('demo-migration: %s' % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('demo-migration: interrupted', file=sys.stderr)
        return 130
    finally:
        for p in PEERS:
            p.kill()
        if keep:
            print('demo-migration: kept %s' % tmpdir, file=sys.stderr)
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
