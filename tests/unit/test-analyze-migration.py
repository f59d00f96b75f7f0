#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test-analyze-migration.py: scripts/analyze-migration.py on captures, hostile
# input and minivmm's own streams (TAP).
"""Check scripts/analyze-migration.py.

usage: test-analyze-migration.py ANALYZER STREAMS_DIR [MINIVMM]

* every capture in STREAMS_DIR (QEMU 7.2's output, tests/data/streams):
  the rebuilt bitmaps' dirty counts and sha256 against CAPTURES.txt (the
  sha256 QEMU reported; the counts worked out here from the writes it
  lists), the --map row, --json;
* truncated copies (every cut must give exit status 1 and an error naming
  the offset), randomly corrupted copies (no traceback), and hand-made
  hostile streams (absurd sizes, bad flags, deep packages);
* with MINIVMM: streams that minivmm writes with migrate "exec:cat > FILE"
  (precopy and postcopy): the analyser's sha256 and counts must equal what
  the source reports and what a destination loading the file reports.
"""

import contextlib
import hashlib
import importlib.util
import io
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ANALYZER = sys.argv[1]
STREAMS = sys.argv[2]
MINIVMM = sys.argv[3] if len(sys.argv) > 3 else None
QSL_PATH = os.path.join(os.path.dirname(os.path.abspath(ANALYZER)),
                        'qmp-shell-lite.py')
TIMEOUT = 30


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


am = load('analyze_migration', ANALYZER)
TMP = tempfile.mkdtemp(prefix='test-analyze-')
RESULTS = []        # (name, ok, diagnostic or skip reason, skipped)


def check(name, cond, diag=''):
    RESULTS.append((name, bool(cond), diag, False))
    return bool(cond)


def skip(name, reason):
    RESULTS.append((name, True, reason, True))


# ---- running the analyser -------------------------------------------------

OPTS = {}


def run_inproc(data, *args):
    """(status, stdout, stderr, exception) of the analyser on @data, run
    in-process (thousands of runs: no interpreter start-up each time)."""
    path = os.path.join(TMP, 'in.bin')
    with open(path, 'wb') as f:
        f.write(data)
    if args not in OPTS:
        OPTS[args] = am.parse_args(list(args) + [path])
    out, err = io.StringIO(), io.StringIO()
    exc = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = am.analyze(path, OPTS[args])
        except Exception as e:      # a bug: reported by the caller
            rc, exc = None, e
    return rc, out.getvalue(), err.getvalue(), exc


def run_cli(path, *args, stdin=None):
    p = subprocess.run([sys.executable, ANALYZER] + list(args) + [path],
                       input=stdin, capture_output=True, check=False,
                       timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def analyze_json(path, *args):
    rc, out, err = run_cli(path, '--json', *args)
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, err


# ---- an oracle: bitmaps from writes ---------------------------------------

def granules(writes, gran):
    out = set()
    for off, length in writes:
        out.update(range(off // gran, (off + length - 1) // gran + 1))
    return out


def oracle_sha256(disk, gran, dirty):
    nbits = -(-disk // gran)
    words = [0] * max(1, -(-nbits // 64))
    for g in dirty:
        words[g // 64] |= 1 << (g % 64)
    return hashlib.sha256(b''.join(struct.pack('<Q', w)
                                   for w in words)).hexdigest()


def expected_from_captures():
    """{capture: {bitmap: (granularity, granules, sha256)}} from CAPTURES."""
    with open(os.path.join(STREAMS, 'CAPTURES.txt'), encoding='utf-8') as f:
        text = f.read()
    grans = {m.group(1): int(m.group(2)) for m in
             re.finditer(r'^\s+(bm\w)\s+granularity (\d+)', text, re.M)}
    shas = {m.group(1): m.group(2) for m in
            re.finditer(r'^\s+(bm\w)\s+([0-9a-f]{64})\s*$', text, re.M)}
    writes = {name: [] for name in grans}
    disabled = set()
    for line in text.splitlines():
        m = re.search(r"write (\d+) (\d+)\s+->", line)
        if m:
            for name in grans:
                if name not in disabled:
                    writes[name].append((int(m.group(1)), int(m.group(2))))
        m = re.search(r'\((bm\w) disabled here\)', line)
        if m:
            disabled.add(m.group(1))
    two = {name: (grans[name], granules(writes[name], grans[name]),
                  shas[name]) for name in grans}
    m = re.search(r"disk (\d+) bytes.*?bitmap '(\w+)' (\d+) KiB, writes at "
                  r"(\d+) and\s+(\d+); sha256 ([0-9a-f]{64})", text, re.S)
    disk, name, gran = int(m.group(1)), m.group(2), int(m.group(3)) * 1024
    odd = {name: (gran, granules([(int(m.group(4)), 1),
                                  (int(m.group(5)), 1)], gran),
                  m.group(6))}
    return ({'precopy_2bitmaps.bin': two, 'postcopy.s2d.bin': two,
             'postcopy_rp.s2d.bin': two, 'precopy_odd_size.bin': odd,
             'precopy_nobitmaps.bin': {}, 'precopy_cfgsubs.bin': {}},
            {'precopy_odd_size.bin': disk})


def test_checksums():
    """The copies are intact (SHA256SUMS beside them)."""
    with open(os.path.join(STREAMS, 'SHA256SUMS'), encoding='utf-8') as f:
        for line in f:
            want, name = line.split()
            with open(os.path.join(STREAMS, name), 'rb') as g:
                got = hashlib.sha256(g.read()).hexdigest()
            check('/analyze/sha256sums/' + name, got == want)


def test_captures():
    expect, disks = expected_from_captures()
    one_gib = 1 << 30
    # The oracle agrees with what QEMU reported for the same writes.
    for cap, bitmaps in expect.items():
        for name, (gran, dirty, sha) in bitmaps.items():
            check('/analyze/oracle/%s/%s' % (cap, name),
                  oracle_sha256(disks.get(cap, one_gib), gran, dirty) == sha)
    for cap, bitmaps in expect.items():
        path = os.path.join(STREAMS, cap)
        rc, doc, err = analyze_json(path)
        if not check('/analyze/capture/%s/decodes' % cap,
                     rc == 0 and doc and doc['error'] is None and
                     not doc['problems'], 'rc %s %s' % (rc, err)):
            continue
        got = {b['name']: b for b in doc['bitmaps']}
        check('/analyze/capture/%s/bitmap-names' % cap,
              sorted(got) == sorted(bitmaps), sorted(got))
        for name, (gran, dirty, sha) in bitmaps.items():
            b = got.get(name, {})
            check('/analyze/capture/%s/%s' % (cap, name),
                  b.get('sha256') == sha and b.get('count') ==
                  len(dirty) * gran and b.get('granularity') == gran and
                  b.get('complete') and b.get('node') == 'drive0' and
                  b.get('disk_bytes') == disks.get(cap, one_gib), b)
        # The same figures in the text output of --bitmaps.
        rc, out, err = run_cli(path, '--bitmaps', '-q')
        check('/analyze/capture/%s/text' % cap, rc == 0 and all(
            'dirty count %d bytes (%d granule' % (len(d) * g, len(d)) in out
            and 'sha256 ' + s in out for g, d, s in bitmaps.values()), out)
    test_map(expect)
    test_capture_elements()


def test_map(expect):
    """--map: one row per bitmap; columns where the oracle has dirt."""
    path = os.path.join(STREAMS, 'precopy_2bitmaps.bin')
    for width in (64, 40):
        rc, out, err = run_cli(path, '--map', '-q', '--width', str(width))
        rows = dict(re.findall(r'drive0/(bm\w) \|([.+#]+)\|', out))
        ok = rc == 0 and sorted(rows) == ['bmA', 'bmB']
        for name, (gran, dirty, _) in expect['precopy_2bitmaps.bin'].items():
            nbits = (1 << 30) // gran
            want = ''
            for c in range(width):
                lo, hi = c * nbits // width, (c + 1) * nbits // width
                n = len([g for g in dirty if lo <= g < hi])
                want += '.' if not n else '#' if n == hi - lo else '+'
            ok = ok and rows.get(name) == want
        check('/analyze/map/width-%d' % width, ok, out)


def test_capture_elements():
    """Commands and sections the captures are known to hold."""
    rc, out, _ = run_cli(os.path.join(STREAMS, 'postcopy_rp.s2d.bin'))
    lines = [l[10:] for l in out.splitlines() if
             re.match(r'[0-9a-f]{8}  ', l)]
    want = ['COMMAND OPEN_RETURN_PATH', 'COMMAND PING (2) len 4: value 1',
            'COMMAND POSTCOPY_ADVISE', 'COMMAND PACKAGED (7) len 4: blob '
            'of 192 bytes', '  COMMAND POSTCOPY_LISTEN',
            '  SECTION_FULL id 0 "timer" instance 0 version 2',
            '  SECTION_FULL id 4 "globalstate" instance 0 version 1',
            '    globalstate: runstate "running"', '  COMMAND POSTCOPY_RUN',
            'SECTION_PART id 3 "dirty-bitmap"', 'EOF']
    it = iter(lines)
    check('/analyze/elements/postcopy-package', rc == 0 and all(
        any(l.startswith(w) for l in it) for w in want), out)
    rc, out, _ = run_cli(os.path.join(STREAMS, 'precopy_2bitmaps.bin'))
    check('/analyze/elements/precopy-chunks', rc == 0 and
          'SECTION_PART id 2 "ram" with only EOS, x41099' in out and
          'dbm 0x1c START|DEVICE_NAME|BITMAP_NAME: node "drive0"; bitmap '
          '"bmB"; granularity 4096, bitmap flags 0x02 (persistent)' in out
          and 'dbm 0x42 BITS|ZEROES: sectors 65536+65536' in out and
          out.count('COMPLETE|BITMAP_NAME') == 2 and
          'VMDESCRIPTION 486 bytes' in out, out)
    rc, out, _ = run_cli(os.path.join(STREAMS, 'precopy_cfgsubs.bin'))
    check('/analyze/elements/configuration', rc == 0 and
          'capabilities x-ignore-shared' in out and
          'uuid 12345678-9abc-def0-1122-334455667788' in out, out)
    rc, out, _ = run_cli(os.path.join(STREAMS, 'precopy_odd_size.bin'))
    check('/analyze/elements/odd-padding', rc == 0 and
          'buffer 224 bytes; granules 0..1600; needed 208 + 16 padding; '
          '2 bits set: 0, 1600' in out, out)
    with open(os.path.join(STREAMS, 'postcopy.s2d.bin'), 'rb') as f:
        data = f.read()
    rc, out, err = run_cli('-', '--bitmaps', '-q', stdin=data)
    check('/analyze/stdin', rc == 0 and out.count('sha256 ') == 2, err)
    fifo = os.path.join(TMP, 'fifo')
    os.mkfifo(fifo)
    writer = subprocess.Popen(['cp', os.path.join(STREAMS,
                                                  'postcopy.s2d.bin'), fifo])
    rc, out, err = run_cli(fifo, '--bitmaps', '-q')
    try:
        writer.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        writer.kill()
        writer.wait()
    check('/analyze/fifo', rc == 0 and out.count('sha256 ') == 2, err)


# ---- broken streams -------------------------------------------------------

def clean_error(rc, err, exc):
    """Exit status 1 and one error line that names an offset."""
    return (exc is None and rc == 1 and re.fullmatch(
        r'analyze-migration.py: error: \S+: offset \d+ \(0x[0-9a-f]+\): '
        r'[^\n]+\n', err) is not None)


def test_truncated():
    for cap, stride in (('precopy_odd_size.bin', 1),
                        ('postcopy.s2d.bin', 7),
                        ('precopy_cfgsubs.bin', 1),
                        ('postcopy_rp.s2d.bin', 11)):
        with open(os.path.join(STREAMS, cap), 'rb') as f:
            data = f.read()
        # The one cut that still decodes: right after EOF, before the
        # optional VMDESCRIPTION trailer.
        rc, doc, _ = analyze_json(os.path.join(STREAMS, cap))
        eof = [e['offset'] for e in doc['elements'] if e['kind'] == 'eof']
        bad = []
        for n in list(range(0, len(data), stride)) + [len(data) - 1]:
            rc, out, err, exc = run_inproc(data[:n], '--bitmaps', '-q')
            if n == eof[-1] + 1:
                ok = rc == 0 and 'no VMDESCRIPTION trailer' not in err
            else:
                ok = clean_error(rc, err, exc) and ': expected ' in err
            if not ok:
                bad.append((n, rc, err or repr(exc)))
        check('/analyze/truncated/%s' % cap, not bad, bad[:3])


def test_corrupted():
    rnd = random.Random(int(os.environ.get('ANALYZE_SEED', '12')))
    for cap in ('precopy_odd_size.bin', 'postcopy.s2d.bin'):
        with open(os.path.join(STREAMS, cap), 'rb') as f:
            data = f.read()
        bad = []
        for _ in range(300):
            d = bytearray(data)
            for _ in range(rnd.randint(1, 3)):
                d[rnd.randrange(len(d))] = rnd.randrange(256)
            rc, out, err, exc = run_inproc(bytes(d), '--bitmaps', '--map',
                                           '-q')
            ok = exc is None and rc in (0, 1, 3) and \
                (rc != 1 or clean_error(rc, err, exc))
            if not ok:
                bad.append((rc, err or repr(exc)))
        check('/analyze/corrupted/%s' % cap, not bad, bad[:3])


def be(fmt, *v):
    return struct.pack('>' + fmt, *v)


def cstr(s):
    return bytes([len(s)]) + s


HEADER = b'QEVM' + be('I', 3) + b'\x07' + be('I', 4) + b'none'


def section(kind, sid, payload, name=b'dirty-bitmap', version=1):
    head = bytes([kind]) + be('I', sid)
    if kind in (1, 4):
        head += cstr(name) + be('II', 0, version)
    return head + payload + b'\x7e' + be('I', sid)


def chunk_start(node, name, gran, flags):
    return b'\x1c' + cstr(node) + cstr(name) + be('IB', gran, flags)


def chunk_bits(start, nr, buf=None, flags=0x40):
    if buf is None:
        return bytes([flags | 0x02]) + be('QI', start, nr)
    return bytes([flags]) + be('QIQ', start, nr, len(buf)) + buf


def dbm_stream(start_chunks, end_chunks, tail=b'\x00'):
    return (HEADER + section(1, 3, start_chunks + b'\x01') +
            section(3, 3, end_chunks + b'\x01') + tail)


def nested_packages(depth):
    blob = b''
    for _ in range(depth):
        blob = b'\x08' + be('HHI', 7, 4, len(blob)) + blob
    return blob


def test_limits():
    """--max-bitmap-bytes and --disk-size."""
    odd = os.path.join(STREAMS, 'precopy_odd_size.bin')
    two = os.path.join(STREAMS, 'precopy_2bitmaps.bin')
    if not os.path.exists(odd):
        return
    rc, out, _ = run_cli(two, '-q', '--bitmaps', '--max-bitmap-bytes', '4k')
    check('/analyze/limits/max-bitmap-bytes', rc == 0 and
          out.count('not rebuilt: its chunks reach byte') == 1 and
          out.count('sha256 ') == 1, out)
    rc, out, _ = run_cli(odd, '-q', '--bitmaps', '--disk-size',
                         'drive0=104858112')
    check('/analyze/limits/disk-size', rc == 0 and
          'from the --disk-size' in out and
          'sha256 45230ae80494a2d95857308e02cbb6e9' in out, out)
    rc, out, _ = run_cli(two, '-q', '--bitmaps', '--disk-size', '1T',
                         '--max-bitmap-bytes', '1M')
    check('/analyze/limits/not-hashed', rc == 0 and
          'not hashed: 2 MiB serialized' in out and
          'not hashed: 32 MiB serialized' in out, out)
    rc, out, _ = run_cli(odd, '-q', '--bitmaps', '--disk-size', '1M')
    check('/analyze/limits/past-the-disk', rc == 3 and
          'past the end of the disk' in out, out)


def test_hostile():
    full_word = b'\xff' * 8 + bytes(24)
    cases = [
        # name, stream, exit status, text in the output or error
        ('bad-magic', b'QEMU' + be('I', 3), 1, 'not a migration stream'),
        ('version-2', b'QEVM' + be('I', 2), 1, 'obsolete'),
        ('empty', b'', 1, 'offset 0 (0x0): expected the magic'),
        ('no-configuration', b'QEVM' + be('I', 3) + b'\x00', 3,
         'Configuration section missing'),
        ('unknown-element', HEADER + b'\x09', 1,
         'unknown element type 0x09'),
        ('missing-footer', HEADER + section(1, 3, b'\x01')[:-5] + b'\x00', 1,
         'expected the section footer 0x7e'),
        ('footer-id', HEADER + section(1, 3, b'\x01')[:-4] + be('I', 9), 1,
         'footer carries id 9'),
        ('huge-buffer', dbm_stream(chunk_start(b'd', b'b', 65536, 0),
                                   b'\x40' + be('QIQ', 0, 128, 1 << 62)),
         1, 'allocation request is too large'),
        ('huge-package', HEADER + b'\x08' + be('HHI', 7, 4, 0xffffffff),
         1, 'expected the PACKAGED blob (4294967295 bytes)'),
        ('deep-package', HEADER + nested_packages(12), 1,
         'nested more than'),
        ('unknown-command', HEADER + b'\x08' + be('HH', 11, 0) + b'\x00', 3,
         'MIG_CMD 0xb unknown (len 0x0)'),
        ('listen-bad-length', HEADER + b'\x08' + be('HH', 3, 0) + b'\x08' +
         be('HH', 4, 2) + b'xx\x00', 3, 'POSTCOPY_LISTEN received with bad '
         'length - expecting 0, got 2'),
        ('ping-no-return-path', HEADER + b'\x08' + be('HHI', 2, 4, 7) +
         b'\x00', 3, 'received with no return path'),
        ('granularity-1000', dbm_stream(chunk_start(b'd', b'b', 1000, 0),
                                        b''), 3, 'not a power of two'),
        ('reserved-flags', dbm_stream(chunk_start(b'd', b'b', 65536, 0x09),
                                      b''), 3, 'Unknown flags in migrated '
         'dirty bitmap header: 9'),
        ('same-name', dbm_stream(chunk_start(b'd', b'b', 65536, 0) +
                                 b'\x14' + cstr(b'b') + be('IB', 512, 0),
                                 b''), 3, "Bitmap with the same name ('b') "
         'already exists on destination'),
        ('misaligned', dbm_stream(chunk_start(b'd', b'b', 65536, 0),
                                  chunk_bits(128, 128, full_word)), 3,
         'not on a 64-granule boundary'),
        ('unknown-bitmap', dbm_stream(chunk_start(b'd', b'b', 65536, 0),
                                      b'\x44' + cstr(b'x') +
                                      be('QIQ', 0, 128, 32) + full_word), 0,
         "cancels the bitmap migration: unknown dirty bitmap 'x' for block "
         "device 'd'"),
        ('buffer-mismatch', dbm_stream(chunk_start(b'd', b'b', 65536, 0),
                                       chunk_bits(0, 128, bytes(64))), 0,
         "Migrated bitmap granularity doesn't match"),
        ('no-node', dbm_stream(b'\x14' + cstr(b'b') + be('IB', 512, 0), b''),
         0, 'block device name is not set'),
        # absurd sizes: decoded, not rebuilt, memory stays small
        ('huge-disk', dbm_stream(chunk_start(b'd', b'b', 512, 0),
                                 chunk_bits(1 << 60, 1 << 31) +
                                 chunk_bits((1 << 62), 64, full_word)),
         0, 'not rebuilt: its chunks reach byte'),
        ('huge-zeroes-small-gran', dbm_stream(chunk_start(b'd', b'b', 512, 0),
                                              chunk_bits(0, 0xffffffff)),
         0, 'not rebuilt: its chunks reach byte 536870912 of the serialized '
         'bitmap, more than --max-bitmap-bytes 268435456'),
        ('multi-byte-flags', dbm_stream(b'\x80\x1c' + cstr(b'd') + cstr(b'b')
                                        + be('IB', 65536, 0), b''), 0,
         'flags bytes 801c, QEMU 7.2 keeps the last'),
        ('trailing-garbage', dbm_stream(b'', b'') + b'\x06' + be('I', 2) +
         b'{}' + b'junk', 0, '4 bytes after the VMDESCRIPTION'),
        ('bad-runstate', HEADER + section(4, 4, be('I', 7) + b'flying' +
                                          bytes(94), b'globalstate') +
         b'\x00', 3, 'invalid parameter value: flying'),
        ('unknown-device', HEADER + section(4, 5, b'\x01\x02\x03',
                                            b'mydevice') + b'\x00', 0,
         'raw payload, 3 bytes: 010203'),
        ('cstr-past-end', HEADER + b'\x01' + be('I', 3) + b'\x20abc', 1,
         'expected the section name (32 bytes), but the stream ends after '
         '3 bytes'),
    ]
    for name, data, want_rc, text in cases:
        rc, out, err, exc = run_inproc(data, '--bitmaps', '--map')
        ok = exc is None and rc == want_rc and text in out + err and \
            (rc != 1 or clean_error(rc, err, exc))
        check('/analyze/hostile/' + name, ok,
              'rc %s; %s%s%s' % (rc, out[-600:], err, repr(exc or '')))
    test_limits()
    # A fully dirty bitmap draws '#'; a bitmap with padding bits set beyond
    # its last granule hashes them (as a destination does) but does not
    # count them.
    words = b'\xff' * 16 + bytes(16)
    data = dbm_stream(chunk_start(b'd', b'b', 65536, 1),
                      chunk_bits(0, 65536 // 512 * 100, words) + b'\x20')
    rc, out, err, exc = run_inproc(data, '--bitmaps', '--map', '--width',
                                   '10')
    check('/analyze/hostile/padding-bits', rc == 0 and
          'dirty count %d bytes (100 granules)' % (100 * 65536) in out and
          'sha256 ' + hashlib.sha256(words[:16]).hexdigest() in out and
          '|##########|' in out, out + err + repr(exc or ''))


# ---- minivmm's own streams ------------------------------------------------

class VM:
    """A minivmm process with its QMP connection (scripts/qmp-shell-lite)."""

    def __init__(self, qsl, name, extra):
        self.name = name
        self.log = open(os.path.join(TMP, name + '.log'), 'w')
        argv = [MINIVMM, '-M', 'none', '-nodefaults', '-display', 'none']
        self.proc, sock = qsl.launch(argv + extra, TMP, TIMEOUT,
                                     sockname=name + '.sock', log=self.log)
        self.qmp = qsl.QMPClient(sock, TIMEOUT)
        self.qmp.handshake(False)

    def cmd(self, execute, **args):
        reply = self.qmp.command({'execute': execute, 'arguments': args},
                                 False)
        if 'return' not in reply:
            raise RuntimeError('%s: %s: %s' % (self.name, execute, reply))
        return reply['return']

    def wait_status(self, statuses):
        """Wait for a MIGRATION event with one of @statuses."""
        while True:
            ev = self.qmp.wait_event('MIGRATION', False)
            status = ev['data']['status']
            if status in statuses:
                return status
            if status == 'failed':
                return status

    def bitmaps(self):
        """{(node, name): (count, sha256)} as this process reports them."""
        out = {}
        for node in self.cmd('query-named-block-nodes', flat=True):
            for bm in node.get('dirty-bitmaps', []):
                sha = self.cmd('x-debug-block-dirty-bitmap-sha256',
                               node=node['node-name'],
                               name=bm['name'])['sha256']
                out[(node['node-name'], bm['name'])] = (bm['count'], sha)
        return out

    def close(self):
        try:
            self.cmd('quit')
            self.proc.wait(TIMEOUT)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


DISKS = [('disk0', 1 << 30), ('odd0', 104858112)]
BITMAPS = [('disk0', 'b64k', 65536), ('disk0', 'b4k', 4096),
           ('disk0', 'b512', 512), ('odd0', 'odd', 65536)]
WRITES = ['disk0 "write 0 64k"', 'disk0 "write 1M 192k"',
          'disk0 "write 1073676288 65536"', 'odd0 "write 0 4096"',
          'odd0 "write 104857600 512"', 'disk0 "write 300M 1M"']


def add_disks(vm):
    for node, size in DISKS:
        vm.cmd('blockdev-add', driver='null-co', size=size,
               **{'node-name': node})
    vm.cmd('migrate-set-capabilities', capabilities=[
        {'capability': 'events', 'state': True},
        {'capability': 'dirty-bitmaps', 'state': True}])


def minivmm_stream(qsl, path, postcopy):
    """Write a stream from a source with bitmaps; return its figures."""
    src = VM(qsl, 'src', [])
    try:
        add_disks(src)
        for node, name, gran in BITMAPS:
            src.cmd('block-dirty-bitmap-add', node=node, name=name,
                    granularity=gran)
        for i, w in enumerate(WRITES):
            src.cmd('human-monitor-command',
                    **{'command-line': 'qemu-io ' + w})
            if i == 2:
                src.cmd('block-dirty-bitmap-disable', node='disk0',
                        name='b4k')
        src.cmd('migrate-set-parameters',
                **{'downtime-limit': 0 if postcopy else 2000000})
        src.cmd('migrate', uri='exec:cat > %s' % path)
        if postcopy:
            src.wait_status(['active'])
            src.cmd('migrate-start-postcopy')
        status = src.wait_status(['completed'])
        return status, src.bitmaps()
    finally:
        src.close()


def minivmm_load(qsl, path):
    dst = VM(qsl, 'dst', ['-incoming', 'defer'])
    try:
        add_disks(dst)
        dst.cmd('migrate-incoming', uri='exec:cat %s' % path)
        status = dst.wait_status(['completed'])
        return status, dst.bitmaps()
    finally:
        dst.close()


def test_minivmm():
    if not MINIVMM or not os.access(MINIVMM, os.X_OK):
        for kind in ('precopy', 'postcopy'):
            skip('/analyze/minivmm/' + kind,
                 'no minivmm binary given (argument 3)')
        return
    qsl = load('qmp_shell_lite', QSL_PATH)
    for postcopy in (False, True):
        kind = 'postcopy' if postcopy else 'precopy'
        name = '/analyze/minivmm/' + kind
        path = os.path.join(TMP, kind + '.bin')
        try:
            status, src = minivmm_stream(qsl, path, postcopy)
            if not check(name + '/source', status == 'completed' and
                         len(src) == len(BITMAPS), (status, src)):
                continue
            rc, doc, err = analyze_json(path)
            got = {(b['node'], b['name']): (b['count'], b['sha256'])
                   for b in doc['bitmaps']} if doc else {}
            check(name + '/analyser-equals-source', rc == 0 and got == src,
                  (rc, err, got, src))
            kinds = [e.get('command') for e in (doc or {}).get('elements',
                                                                [])]
            check(name + '/commands', ('POSTCOPY_RUN' in kinds) == postcopy
                  and 'POSTCOPY_ADVISE' in kinds, kinds)
            status, dst = minivmm_load(qsl, path)
            check(name + '/destination-equals-analyser',
                  status == 'completed' and dst == got, (status, dst, got))
        except Exception as e:      # qsl.QMPError, OSError, RuntimeError
            check(name, False, '%s: %s' % (type(e).__name__, e))


def main():
    start = time.monotonic()
    try:
        if os.path.exists(os.path.join(STREAMS, 'CAPTURES.txt')):
            test_checksums()
            test_captures()
            test_truncated()
            test_corrupted()
        else:
            skip('/analyze/captures', 'captures not found in ' + STREAMS)
        test_hostile()
        test_minivmm()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print('TAP version 13')
    print('1..%d' % len(RESULTS))
    for i, (name, ok, diag, skipped) in enumerate(RESULTS, 1):
        if skipped:
            print('ok %d %s # SKIP %s' % (i, name, diag))
            continue
        print('%s %d %s' % ('ok' if ok else 'not ok', i, name))
        if not ok:
            for line in str(diag).splitlines() or ['']:
                print('# ' + line)
    print('# %.1f s' % (time.monotonic() - start))
    return 0 if all(ok for _, ok, _, _ in RESULTS) else 1


if __name__ == '__main__':
    sys.exit(main())
