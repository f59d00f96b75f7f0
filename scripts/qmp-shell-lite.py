#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# qmp-shell-lite: a small QMP client (python3 stdlib) for scripts and demos.
"""Send QMP commands to minivmm (or QEMU) and print the exchange.

Commands are read from stdin (or -c, repeatable), one per line:

    query-status                         a command without arguments
    block-dirty-bitmap-add node=n0 name=b0 granularity=65536
                                         key=value arguments; values that
                                         parse as JSON (numbers, true, {...})
                                         are sent as such, others as strings
    human-monitor-command command-line="info status"
                                         shell-style quoting
    {"execute": "query-version"}         raw JSON, sent as is
    # comment                            ignored, as are blank lines
    @wait-event RESUME                   wait for an event (10 s timeout)
    @wait-migration completed            poll query-migrate until its
                                         status is one of A|B|... (fails
                                         on 'failed' unless listed)

Connect to a running monitor:
    qmp-shell-lite.py /tmp/m.sock            (unix socket)
    qmp-shell-lite.py localhost:4444         (tcp)
or launch one (no race: we listen, the VMM connects, as QEMU's harness does):
    qmp-shell-lite.py --launch build/minivmm -M none -S

With --hmp, ADDRESS is a human monitor (-monitor unix:PATH,server=on,
wait=off) and each line is an HMP command, sent as typed; its output is
printed after the "(qemu) " line that shows it.  @wait-migration polls
"info migrate" there.  HMP has no error status: output that starts with
"Error:", "unknown command" or a usage complaint counts as a failure.

The exit status is 1 if a command failed (unless --keep-going), else the
launched process's exit status, else 0.
"""

import argparse
import json
import os
import select
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time


class QMPError(Exception):
    pass


class QMPClient:
    def __init__(self, sock, timeout):
        self.sock = sock
        self.timeout = timeout
        self.buf = b''
        self.events = []

    def fileno(self):
        return self.sock.fileno()

    def fill(self, timeout):
        """Wait up to @timeout s for data and buffer it; False if none."""
        ready, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not ready:
            return False
        data = self.sock.recv(65536)
        if not data:
            raise QMPError('connection closed by the server')
        self.buf += data
        return True

    def _readline(self, deadline):
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError('timed out waiting for the server')
            self.fill(left)
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line.decode())

    def collect_events(self):
        """Move the complete lines already buffered to self.events."""
        while b'\n' in self.buf:
            line, self.buf = self.buf.split(b'\n', 1)
            msg = json.loads(line.decode())
            if 'event' not in msg:
                raise QMPError('unexpected message: %r' % msg)
            self.events.append(msg)

    def recv(self):
        return self._readline(time.monotonic() + self.timeout)

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b'\n')

    def command(self, obj, echo):
        """Send a request; print events met on the way; return the reply."""
        if echo:
            print('-> ' + json.dumps(obj), flush=True)
        self.send(obj)
        while True:
            msg = self.recv()
            if 'event' in msg:
                self.events.append(msg)
                if echo:
                    print('<- ' + json.dumps(msg), flush=True)
                continue
            if echo:
                print('<- ' + json.dumps(msg), flush=True)
            return msg

    def wait_event(self, name, echo):
        for i, ev in enumerate(self.events):
            if ev['event'] == name:
                del self.events[i]
                return ev
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._readline(deadline)
            if echo:
                print('<- ' + json.dumps(msg), flush=True)
            if msg.get('event') == name:
                return msg
            if 'event' in msg:
                self.events.append(msg)

    def handshake(self, echo):
        greeting = self.recv()
        if not isinstance(greeting.get('QMP'), dict):
            raise QMPError('not a QMP server: %r' % greeting)
        if echo:
            print('<- ' + json.dumps(greeting), flush=True)
        reply = self.command({'execute': 'qmp_capabilities'}, echo)
        if 'return' not in reply:
            raise QMPError('capabilities negotiation failed: %r' % reply)


def parse_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_line(line):
    """Return ('cmd', request) or ('wait', event) or None for no-op lines."""
    line = line.strip()
    if not line or line.startswith('#'):
        return None
    if line.startswith('{'):
        return 'cmd', json.loads(line)
    words = shlex.split(line)
    if words[0] in ('@wait-event', '@wait-migration'):
        if len(words) != 2:
            raise QMPError('usage: %s NAME' % words[0])
        return words[0][1:], words[1]
    req = {'execute': words[0]}
    args = {}
    for w in words[1:]:
        key, sep, value = w.partition('=')
        if not sep:
            raise QMPError('expected key=value, got %r' % w)
        args[key] = parse_value(value)
    if args:
        req['arguments'] = args
    return 'cmd', req


def connect(address, timeout):
    """Connect to a unix path or HOST:PORT, retrying until it appears."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if os.path.sep in address or ':' not in address:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(address)
            else:
                host, port = address.rsplit(':', 1)
                s = socket.create_connection((host, int(port)))
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


HMP_PROMPT = b'(qemu) '
# how an HMP reply that failed starts (HMP replies carry no status)
HMP_FAILURES = ('Error:', 'unknown command:')


class HMPClient:
    """A human monitor on a socket: one command line, its output."""

    def __init__(self, sock, timeout):
        self.sock = sock
        self.timeout = timeout
        self.buf = b''

    def read_to_prompt(self):
        """Everything up to the next "(qemu) " prompt, as text."""
        deadline = time.monotonic() + self.timeout
        while not self.buf.endswith(HMP_PROMPT):
            left = deadline - time.monotonic()
            if left <= 0:
                raise QMPError('timed out waiting for the (qemu) prompt')
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                data = self.sock.recv(65536)
                if not data:
                    raise QMPError('connection closed by the monitor')
                self.buf += data
        text, self.buf = self.buf[:-len(HMP_PROMPT)], b''
        return text.decode(errors='replace').replace('\r\n', '\n')

    def handshake(self, echo):
        banner = self.read_to_prompt()
        if echo:
            print(banner, end='', flush=True)

    def command(self, line, echo):
        """Send @line; print and return its output."""
        if echo:
            print('(qemu) ' + line, flush=True)
        self.sock.sendall(line.encode() + b'\n')
        if line.split()[0] in ('quit', 'q'):
            # no prompt follows: the monitor goes away with the process
            self.sock.settimeout(self.timeout)
            while self.sock.recv(65536):
                pass
            return ''
        out = self.read_to_prompt()
        if echo:
            print(out, end='', flush=True)
        return out

    @staticmethod
    def failed(out):
        return out.startswith(HMP_FAILURES) or '\nTry "help ' in out


def migration_status(client, hmp):
    """The migration status, from query-migrate or HMP info migrate."""
    if hmp:
        out = client.command('info migrate', False)
        for line in out.splitlines():
            if line.startswith('Migration status: '):
                return line.split()[2]
        return 'none'
    reply = client.command({'execute': 'query-migrate'}, False)
    if 'return' not in reply:
        raise QMPError('query-migrate failed: %r' % reply)
    return reply['return'].get('status', 'none')


def wait_migration(client, hmp, statuses, echo):
    """Poll until the status is one of @statuses ('A|B')."""
    want = statuses.split('|')
    deadline = time.monotonic() + client.timeout
    while True:
        status = migration_status(client, hmp)
        if status in want:
            if echo:
                print('migration status: %s' % status, flush=True)
            return
        if status == 'failed':
            raise QMPError('the migration failed')
        if time.monotonic() >= deadline:
            raise QMPError('timed out waiting for migration status %s '
                           '(it is %s)' % (statuses, status))
        time.sleep(0.05)


def launch(argv, tmpdir, timeout, sockname='qmp.sock', log=None):
    """Start argv with its QMP monitor connected to us; return (proc, sock).

    @log: a file for the process's stdout and stderr (default: ours).
    """
    path = os.path.join(tmpdir, sockname)
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(1)
    full = argv[:1] + ['-chardev', 'socket,id=qmp-lite,path=' + path,
                       '-mon', 'chardev=qmp-lite,mode=control'] + argv[1:]
    proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=log)
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([lsock], [], [], 0.1)
            if ready:
                break
            if proc.poll() is not None:
                raise QMPError('%s exited with %d before connecting'
                               % (argv[0], proc.returncode))
            if time.monotonic() >= deadline:
                raise QMPError('%s did not connect in %d s'
                               % (argv[0], timeout))
        conn, _ = lsock.accept()
    except BaseException:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        raise
    finally:
        lsock.close()
        os.unlink(path)
    return proc, conn


def raise_on_signal(signum, frame):
    """Turn SIGTERM/SIGHUP into SystemExit so that cleanup code runs."""
    raise SystemExit(128 + signum)


def main():
    signal.signal(signal.SIGTERM, raise_on_signal)
    signal.signal(signal.SIGHUP, raise_on_signal)
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('address', nargs='?',
                    help='unix socket path or HOST:PORT of a QMP server')
    ap.add_argument('--launch', nargs=argparse.REMAINDER, metavar='CMD',
                    help='start CMD with a QMP monitor connected to us')
    ap.add_argument('-c', '--command', action='append', default=[],
                    help='a command line (repeatable; stdin is not read)')
    ap.add_argument('-t', '--timeout', type=float, default=10.0,
                    help='seconds to wait for replies and events')
    ap.add_argument('-q', '--quiet', action='store_true',
                    help='print only replies that are errors')
    ap.add_argument('-k', '--keep-going', action='store_true',
                    help='continue after a failed command')
    ap.add_argument('-r', '--return', dest='returns', action='store_true',
                    help='print only what each command returns (strings '
                         'as they are, the rest as JSON); implies -q')
    ap.add_argument('--hmp', action='store_true',
                    help='ADDRESS is a human monitor: send HMP lines')
    args = ap.parse_args()

    if bool(args.address) == bool(args.launch):
        ap.error('give either ADDRESS or --launch CMD')
    if args.hmp and args.launch:
        ap.error('--hmp talks to a running monitor (ADDRESS)')
    echo = not args.quiet and not args.returns
    lines = args.command if args.command else sys.stdin.read().splitlines()
    status = 0
    proc = None
    with tempfile.TemporaryDirectory(prefix='qmp-lite-') as tmpdir:
        try:
            if args.launch:
                proc, sock = launch(args.launch, tmpdir, args.timeout)
            else:
                sock = connect(args.address, args.timeout)
            if args.hmp:
                client = HMPClient(sock, args.timeout)
            else:
                client = QMPClient(sock, args.timeout)
            client.handshake(echo)
            quit_sent = False
            for line in lines:
                if args.hmp and not line.strip().startswith(('@', '#')):
                    if not line.strip():
                        continue
                    out = client.command(line.strip(), echo)
                    if args.returns:
                        print(out, end='', flush=True)
                    if client.failed(out):
                        if not echo and not args.returns:
                            print(out, end='', flush=True)
                        status = 1
                        if not args.keep_going:
                            break
                    continue
                item = parse_line(line)
                if item is None:
                    continue
                kind, what = item
                if kind == 'wait-event':
                    if args.hmp:
                        raise QMPError('@wait-event needs QMP')
                    client.wait_event(what, echo)
                    continue
                if kind == 'wait-migration':
                    wait_migration(client, args.hmp, what, echo)
                    continue
                reply = client.command(what, echo)
                if args.returns and 'return' in reply:
                    ret = reply['return']
                    print(ret if isinstance(ret, str) else json.dumps(ret),
                          end='' if isinstance(ret, str) else '\n',
                          flush=True)
                if 'error' in reply:
                    if not echo:
                        print('<- ' + json.dumps(reply), flush=True)
                    status = 1
                    if not args.keep_going:
                        break
                if what.get('execute') == 'quit':
                    quit_sent = True
                    break
            if proc is not None and not quit_sent:
                client.command({'execute': 'quit'}, echo)
            sock.close()
        except (QMPError, OSError, ValueError) as e:
            print('qmp-shell-lite: %s' % e, file=sys.stderr)
            status = 1
        except BaseException:
            # Ctrl-C or SIGTERM: never leave the launched process behind.
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            raise
        if proc is not None:
            try:
                rc = proc.wait(timeout=args.timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
                print('qmp-shell-lite: %s did not exit; killed'
                      % args.launch[0], file=sys.stderr)
                status = 1
            if status == 0:
                status = rc
    return status


if __name__ == '__main__':
    sys.exit(main())
