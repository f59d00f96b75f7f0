#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# analyze-migration: decode a migration stream file, dirty bitmaps included.
"""Decode a QEMU 7.2 / minivmm migration stream (python3 stdlib only).

Reads a stream saved with `migrate uri="exec:cat > FILE"` (or a capture of
what went over a socket) and lists every element: the header, the
configuration, commands (POSTCOPY_ADVISE/LISTEN/RUN, PACKAGED with the blob
decoded in place, ...), sections (type, id, name, instance, version) and
their payloads: 'ram' words, 'timer', 'globalstate', and every
'dirty-bitmap' chunk (flags, node and bitmap aliases, granularity, ranges
in sectors and bytes, ZEROES, buffer sizes, COMPLETE, EOS).  Payloads of
other sections are shown raw, up to their footer.

The bitmaps are rebuilt as a destination would rebuild them (one with no
bitmaps of its own and no block-bitmap-mapping):
  --bitmaps      dirty count (bytes, as query-block reports it) and the
                 sha256 that x-debug-block-dirty-bitmap-sha256 would return
  --map          a row per bitmap across its disk; a column is '.' clean,
                 '+' partly dirty, '#' fully dirty (--width N columns)
  --json         everything as one JSON document

The stream does not carry the disk size: it is taken from the end of the
last BITS chunk of the node's bitmaps (a sender covers the whole disk), or
from --disk-size.  Where a QEMU 7.2 (or minivmm) destination, machine
none, would refuse or cancel something, a line starting with '!!' says so.
Bitmaps larger than --max-bitmap-bytes are decoded but not rebuilt.

Exit status: 0 the stream decodes; 1 it cannot be decoded (truncated,
corrupt, unreadable: the error names the offset and what was expected);
2 usage error; 3 it decodes, but a QEMU 7.2 destination would fail to
load it.
"""

import argparse
import hashlib
import json
import mmap
import os
import shutil
import signal
import stat
import struct
import sys
import tempfile

MAGIC = 0x5145564D
VERSION = 3

# Top-level element types.
EL_EOF = 0x00
EL_START = 0x01
EL_PART = 0x02
EL_END = 0x03
EL_FULL = 0x04
EL_SUBSECTION = 0x05
EL_VMDESC = 0x06
EL_CONFIG = 0x07
EL_COMMAND = 0x08
EL_FOOTER = 0x7E
SECTION_NAMES = {EL_START: 'SECTION_START', EL_PART: 'SECTION_PART',
                 EL_END: 'SECTION_END', EL_FULL: 'SECTION_FULL'}

# Commands: id -> (name, fixed payload length or None when variable).
COMMANDS = {
    1: ('OPEN_RETURN_PATH', 0),
    2: ('PING', 4),
    3: ('POSTCOPY_ADVISE', None),
    4: ('POSTCOPY_LISTEN', 0),
    5: ('POSTCOPY_RUN', 0),
    6: ('POSTCOPY_RAM_DISCARD', None),
    7: ('PACKAGED', 4),
    8: ('ENABLE_COLO', 0),
    9: ('POSTCOPY_RESUME', 0),
    10: ('RECV_BITMAP', None),
}
CMD_PACKAGED = 7
MAX_PACKAGE_DEPTH = 8

# 'ram' word flags (low 12 bits; the x86 target page is 4 KiB).
RAM_PAGE_SIZE = 4096
RAM_FLAGS = [(0x02, 'ZERO'), (0x04, 'MEM_SIZE'), (0x08, 'PAGE'),
             (0x10, 'EOS'), (0x20, 'CONTINUE'), (0x40, 'XBZRLE'),
             (0x80, 'HOOK'), (0x100, 'COMPRESS')]
RAM_EOS = 0x10

# 'dirty-bitmap' chunk flags and START bitmap flags.
DBM_EOS = 0x01
DBM_ZEROES = 0x02
DBM_BITMAP_NAME = 0x04
DBM_DEVICE_NAME = 0x08
DBM_START = 0x10
DBM_COMPLETE = 0x20
DBM_BITS = 0x40
DBM_EXTRA_FLAGS = 0x80
DBM_FLAG_NAMES = [(DBM_START, 'START'), (DBM_COMPLETE, 'COMPLETE'),
                  (DBM_BITS, 'BITS'), (DBM_ZEROES, 'ZEROES'),
                  (DBM_DEVICE_NAME, 'DEVICE_NAME'),
                  (DBM_BITMAP_NAME, 'BITMAP_NAME'), (DBM_EOS, 'EOS')]
BM_ENABLED = 0x01
BM_PERSISTENT = 0x02
BM_RESERVED = 0xF8
DBM_MAX_BUF = 10 * 1024
SECTOR = 512

RUN_STATES = {'debug', 'inmigrate', 'internal-error', 'io-error', 'paused',
              'postmigrate', 'prelaunch', 'finish-migrate', 'restore-vm',
              'running', 'save-vm', 'shutdown', 'suspended', 'watchdog',
              'guest-panicked', 'colo'}

# Rebuilt bitmaps are kept in pages of this many bytes, only where dirty.
PAGE = 4096
PAGE_BITS = PAGE * 8
ZERO_BLOCK = bytes(1 << 20)
DEFAULT_MAX_BITMAP_BYTES = 256 << 20
MAX_BITMAPS = 10000
MAX_SECTIONS = 65536
MAX_RECORDS = 100000
MAX_PROBLEMS = 1000
MAX_VMDESC_JSON = 16 << 20


class StreamError(Exception):
    """The stream cannot be decoded past @offset."""

    def __init__(self, offset, message):
        super().__init__(message)
        self.offset = offset
        self.message = message


def plural(n, word):
    return '%d %s%s' % (n, word, '' if n == 1 else 's')


def human(n):
    """A byte count in the largest binary unit that keeps it readable."""
    for shift, unit in ((60, 'EiB'), (50, 'PiB'), (40, 'TiB'), (30, 'GiB'),
                        (20, 'MiB'), (10, 'KiB')):
        if n >= 1 << shift:
            if n % (1 << shift) == 0:
                return '%d %s' % (n >> shift, unit)
            return '~%.1f %s' % (n / (1 << shift), unit)
    return plural(n, 'byte')


def show_name(raw):
    """A counted string for display, quoted, odd bytes escaped."""
    return json.dumps(raw.decode('utf-8', 'backslashreplace'))


def flag_names(value, table):
    names = [name for bit, name in table if value & bit]
    return '|'.join(names) if names else 'none'


def bit_runs(data, first_bit, limit=12):
    """'0, 256-271, 131072': the first @limit runs of set bits in the
    little-endian @data, whose bit 0 is bit @first_bit of the bitmap."""
    value = int.from_bytes(data, 'little')
    runs, pos = [], first_bit
    while value and len(runs) < limit:
        skip = (value & -value).bit_length() - 1
        value >>= skip
        pos += skip
        ones = (~value & (value + 1)).bit_length() - 1
        runs.append(str(pos) if ones == 1 else '%d-%d' % (pos, pos + ones - 1))
        value >>= ones
        pos += ones
    return ', '.join(runs) + (', ...' if value else '')


class Reader:
    """Bounds-checked big-endian reads from a buffer, with nested limits.

    Offsets are absolute in the file, also inside a PACKAGED blob.
    """

    def __init__(self, buf, size):
        self.buf = buf
        self.size = size
        self.pos = 0
        self.limits = [size]

    @property
    def end(self):
        return self.limits[-1]

    def left(self):
        return self.end - self.pos

    def need(self, n, what):
        if n > self.left():
            where = ('the stream ends' if self.end == self.size
                     else 'the enclosing PACKAGED blob ends')
            raise StreamError(self.pos, 'expected %s (%s), but %s after %s'
                              % (what, plural(n, 'byte'), where,
                                 plural(self.left(), 'byte')))

    def take(self, n, what):
        self.need(n, what)
        data = self.buf[self.pos:self.pos + n]
        self.pos += n
        return data

    def skip(self, n, what):
        self.need(n, what)
        self.pos += n

    def _unpack(self, fmt, n, what):
        self.need(n, what)
        value = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += n
        return value

    def u8(self, what):
        return self._unpack('>B', 1, what)

    def be16(self, what):
        return self._unpack('>H', 2, what)

    def be32(self, what):
        return self._unpack('>I', 4, what)

    def be64(self, what):
        return self._unpack('>Q', 8, what)

    def cstr(self, what):
        n = self.u8('the length byte of ' + what)
        return self.take(n, what)

    def peek(self, n):
        return self.buf[self.pos:min(self.pos + n, self.end)]

    def push_limit(self, n, what):
        self.need(n, what)
        self.limits.append(self.pos + n)

    def pop_limit(self):
        self.pos = self.limits.pop()

    def find(self, needle):
        """Offset of @needle at or after pos (within the limit), or -1."""
        return self.buf.find(needle, self.pos, self.end)


class Bitmap:
    """One bitmap as the destination rebuilds it from the chunks."""

    def __init__(self, node, name, granularity, flags, offset):
        self.node = node
        self.name = name
        self.granularity = granularity
        self.flags = flags
        self.offset = offset
        self.complete = False
        self.dropped = None         # why the destination drops it
        self.too_big = None         # why it is not rebuilt
        self.end_byte = 0           # end of the furthest BITS chunk
        self.pages = {}             # page index -> bytearray(PAGE)
        self.chunks = 0
        self.zero_chunks = 0
        self.unaligned_end = None   # end of a chunk not a multiple of 64
        self.valid_gran = (granularity >= SECTOR and
                           granularity & (granularity - 1) == 0)

    def label(self):
        return '%s/%s' % (self.node.decode('utf-8', 'backslashreplace'),
                          self.name.decode('utf-8', 'backslashreplace'))

    def write(self, byte_off, data):
        """Copy serialized bytes at @byte_off; all-zero pages stay absent."""
        pos = 0
        while pos < len(data):
            index, inner = divmod(byte_off + pos, PAGE)
            n = min(PAGE - inner, len(data) - pos)
            piece = data[pos:pos + n]
            page = self.pages.get(index)
            if page is None:
                if piece.count(0) != n:
                    page = self.pages[index] = bytearray(PAGE)
                    page[inner:inner + n] = piece
            else:
                page[inner:inner + n] = piece
                if page.count(0) == PAGE:
                    del self.pages[index]
            pos += n

    def zero(self, byte_off, n):
        lo, hi = byte_off // PAGE, (byte_off + n - 1) // PAGE
        if hi - lo + 1 > len(self.pages):
            indexes = sorted(i for i in self.pages if lo <= i <= hi)
        else:
            indexes = [i for i in range(lo, hi + 1) if i in self.pages]
        for index in indexes:
            start = max(byte_off, index * PAGE) - index * PAGE
            stop = min(byte_off + n, (index + 1) * PAGE) - index * PAGE
            page = self.pages[index]
            page[start:stop] = bytes(stop - start)
            if page.count(0) == PAGE:
                del self.pages[index]

    def count_range(self, lo, hi):
        """Set bits in [lo, hi)."""
        total = 0
        first, last = lo // PAGE_BITS, (hi - 1) // PAGE_BITS
        if last - first + 1 > len(self.pages):
            indexes = [i for i in self.pages if first <= i <= last]
        else:
            indexes = [i for i in range(first, last + 1) if i in self.pages]
        for index in indexes:
            base = index * PAGE_BITS
            value = int.from_bytes(self.pages[index], 'little')
            a, b = max(lo, base) - base, min(hi, base + PAGE_BITS) - base
            value = (value >> a) & ((1 << (b - a)) - 1)
            total += value.bit_count()
        return total

    def sha256(self, nbytes):
        """SHA-256 over the first @nbytes of the serialized bottom level."""
        h = hashlib.sha256()
        pos = 0
        for index in sorted(self.pages):
            start = index * PAGE
            if start >= nbytes:
                break
            while pos < start:
                n = min(start - pos, len(ZERO_BLOCK))
                h.update(memoryview(ZERO_BLOCK)[:n])
                pos += n
            piece = self.pages[index][:nbytes - start]
            h.update(piece)
            pos += len(piece)
        while pos < nbytes:
            n = min(nbytes - pos, len(ZERO_BLOCK))
            h.update(memoryview(ZERO_BLOCK)[:n])
            pos += n
        return h.hexdigest()


class Output:
    """Text lines as they come, or records for --json."""

    def __init__(self, as_json, quiet):
        self.as_json = as_json
        self.quiet = quiet
        self.records = []
        self.records_dropped = 0
        self.problems = []
        self.problems_dropped = 0
        self.fatal = 0
        self.warnings = 0

    def line(self, offset, depth, text, kind=None, /, **fields):
        if self.as_json:
            if kind is None:
                return
            if len(self.records) >= MAX_RECORDS:
                self.records_dropped += 1
                return
            rec = {'offset': offset, 'depth': depth, 'kind': kind}
            rec.update(fields)
            self.records.append(rec)
        elif not self.quiet:
            print('%08x  %s%s' % (offset, '  ' * depth, text))

    def problem(self, offset, depth, severity, text):
        """@severity: 'fatal' (the destination fails) or 'warning'."""
        if severity == 'fatal':
            self.fatal += 1
        else:
            self.warnings += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({'offset': offset, 'severity': severity,
                                  'message': text})
        else:
            self.problems_dropped += 1
        if not self.as_json:
            print('%08x  %s!! %s: %s' % (offset, '  ' * depth,
                                         'fatal' if severity == 'fatal'
                                         else 'warning', text))

    def note(self, offset, depth, text):
        self.line(offset, depth, '-- ' + text, 'note', text=text)


class Analyzer:
    def __init__(self, out, opts):
        self.out = out
        self.verbose = opts.verbose
        self.max_bitmap_bytes = opts.max_bitmap_bytes
        self.disk_sizes = opts.disk_sizes
        self.sections = {}          # section id -> (idstr, instance, version)
        self.counts = {'sections': 0, 'commands': 0, 'chunks': 0}
        self.ignore_shared = False
        self.return_path = False
        self.advised = False
        self.listening = False
        self.postcopy_run = False
        self.ram_parts = []         # [first offset, count, id, depth]
        # dirty-bitmap load state, kept across sections (name elision)
        self.node = None
        self.bitmap_alias = None
        self.current = None         # the destination's current Bitmap
        self.node_set = False
        self.cancelled = None
        self.bitmaps = {}           # (node, name) -> Bitmap, live ones
        self.all_bitmaps = []       # in START order, also dropped ones
        self.untracked = 0
        self.page_bytes = 0         # memory held by rebuilt pages

    # ---- framing ----------------------------------------------------------

    def run(self, r):
        magic = r.be32('the magic number 0x5145564d ("QEVM")')
        if magic != MAGIC:
            raise StreamError(0, 'not a migration stream: magic 0x%08x, '
                              'expected 0x%08x ("QEVM")' % (magic, MAGIC))
        version = r.be32('the stream version')
        if version == 2:
            raise StreamError(4, 'stream version 2: "SaveVM v2 format is '
                              'obsolete"')
        if version != VERSION:
            raise StreamError(4, 'Unsupported migration stream version %d '
                              '(expected 3)' % version)
        self.out.line(0, 0, 'header: magic 0x%08x "QEVM", version %d'
                      % (magic, version), 'header', version=version)
        if r.peek(1) == bytes([EL_CONFIG]):
            self.configuration(r)
        else:
            self.out.problem(r.pos, 0, 'fatal', 'Configuration section '
                             'missing')
        self.elements(r, 0)
        self.trailer(r)

    def elements(self, r, depth):
        """Elements up to EOF (or the end of a PACKAGED blob, or RUN)."""
        while True:
            if depth and r.left() == 0:
                self.flush_ram_parts()
                if not self.postcopy_run:
                    self.out.problem(r.pos, depth, 'fatal',
                                     'the PACKAGED blob ends without EOF or '
                                     'POSTCOPY_RUN: the destination reads '
                                     'past its end')
                return
            off = r.pos
            kind = r.u8('an element type byte (EOF 0x00 missing?)')
            if kind in SECTION_NAMES:
                self.section(r, off, kind, depth)
                continue
            self.flush_ram_parts()
            if kind == EL_EOF:
                self.out.line(off, depth, 'EOF', 'eof')
                return
            if kind == EL_COMMAND:
                if self.command(r, off, depth):
                    return
                continue
            raise StreamError(off, 'unknown element type 0x%02x: expected '
                              'EOF 0x00, a section 0x01-0x04 or COMMAND 0x08 '
                              '(a destination fails with "Unknown savevm '
                              'section type %d")' % (kind, kind))

    def trailer(self, r):
        off = r.pos
        if r.left() == 0:
            if not self.postcopy_run:
                self.out.note(off, 0, 'no VMDESCRIPTION trailer (a precopy '
                              'destination prints "Expected vmdescription '
                              'section, but got 0" and goes on)')
            self.out.line(off, 0, 'end of file (%s)' % plural(off, 'byte'),
                          'end', size=off)
            return
        kind = r.u8('a VMDESCRIPTION byte')
        if kind != EL_VMDESC:
            self.out.problem(off, 0, 'warning', '%s after EOF, not a '
                             'VMDESCRIPTION (0x06): the destination prints '
                             '"Expected vmdescription section, but got %d" '
                             'and ignores them'
                             % (plural(r.left() + 1, 'byte'), kind))
            self.out.line(r.size, 0, 'end of file (%s)'
                          % plural(r.size, 'byte'), 'end', size=r.size)
            return
        length = r.be32('the VMDESCRIPTION length')
        r.need(length, 'the VMDESCRIPTION JSON')
        summary, fields = 'not parsed (%s)' % human(length), {}
        if length <= MAX_VMDESC_JSON:
            text = bytes(r.take(length, 'the VMDESCRIPTION JSON'))
            try:
                desc = json.loads(text.decode('utf-8'))
                devices = [d.get('name') for d in desc.get('devices', [])
                           if isinstance(d, dict)]
                summary = 'page_size %s, devices %s' % (
                    desc.get('page_size'), ', '.join(map(str, devices)))
                fields = {'page_size': desc.get('page_size'),
                          'devices': devices}
                if self.verbose:
                    summary += ': ' + text.decode('utf-8')
            except (ValueError, UnicodeDecodeError, AttributeError):
                summary = 'not valid JSON (the destination never parses it)'
        else:
            r.skip(length, 'the VMDESCRIPTION JSON')
        self.out.line(off, 0, 'VMDESCRIPTION %s: %s'
                      % (plural(length, 'byte'), summary), 'vmdescription',
                      length=length, **fields)
        if r.left():
            self.out.problem(r.pos, 0, 'warning', '%s after the '
                             'VMDESCRIPTION, ignored by the destination'
                             % plural(r.left(), 'byte'))
        self.out.line(r.size, 0, 'end of file (%s)' % plural(r.size, 'byte'),
                      'end', size=r.size)

    # ---- configuration ----------------------------------------------------

    def configuration(self, r):
        off = r.pos
        r.u8('CONFIGURATION 0x07')
        n = r.be32('the machine name length')
        r.need(n, 'the machine name')
        name = bytes(r.peek(min(n, 200)))
        r.skip(n, 'the machine name')
        self.out.line(off, 0, 'CONFIGURATION machine %s%s'
                      % (show_name(name), ' (%s in all)' % plural(n, 'byte')
                         if n > len(name) else ''), 'configuration',
                      machine=name.decode('utf-8', 'backslashreplace'))
        while r.peek(1) == bytes([EL_SUBSECTION]):
            sub_off = r.pos
            peek_len = r.peek(2)[1:]
            if not peek_len:
                break
            name = bytes(r.peek(2 + peek_len[0])[2:])
            if not name.startswith(b'configuration/'):
                break
            r.skip(2 + len(name), 'a subsection name')
            version = r.be32('the subsection version')
            if name == b'configuration/target-page-bits':
                bits = r.be32('the target page bits')
                text = 'target page bits %d' % bits
            elif name == b'configuration/capabilities':
                count = r.be32('the capability count')
                caps = []
                for i in range(count):
                    cap = bytes(r.cstr('capability name %d of %d'
                                       % (i + 1, count)))
                    self.ignore_shared |= cap == b'x-ignore-shared'
                    if i < 32:
                        caps.append(cap.decode('utf-8', 'backslashreplace'))
                text = 'capabilities %s%s' % (', '.join(caps) or '(none)',
                                              ', ...' if count > 32 else '')
            elif name == b'configuration/uuid':
                u = bytes(r.take(16, 'the 16-byte UUID')).hex()
                text = 'uuid %s-%s-%s-%s-%s' % (u[:8], u[8:12], u[12:16],
                                                u[16:20], u[20:])
            else:
                raise StreamError(sub_off, 'unknown configuration subsection '
                                  '%s: its length is unknown (a destination '
                                  'fails on it too)' % show_name(name))
            self.out.line(sub_off, 1, 'subsection %s v%d: %s'
                          % (show_name(name), version, text), 'subsection',
                          name=name.decode('utf-8', 'backslashreplace'),
                          version=version, text=text)

    # ---- commands ---------------------------------------------------------

    def command(self, r, off, depth):
        """Decode one COMMAND; True if it ends the current blob (RUN)."""
        self.counts['commands'] += 1
        cmd = r.be16('the command id')
        length = r.be16('the command length')
        name, fixed = COMMANDS.get(cmd, ('unknown', None))
        head = 'COMMAND %s (%d) len %d' % (name, cmd, length)
        payload_off = r.pos
        payload = bytes(r.take(length, 'the %s payload' % name))
        fields = {'command': name, 'id': cmd, 'length': length}
        if cmd not in COMMANDS:
            self.out.line(off, depth, head, 'command', **fields)
            self.out.problem(off, depth, 'fatal', 'MIG_CMD 0x%x unknown '
                             '(len 0x%x)' % (cmd, length))
            return False
        if fixed is not None and length != fixed:
            self.out.line(off, depth, head, 'command', **fields)
            self.out.problem(off, depth, 'fatal', '%s received with bad '
                             'length - expecting %d, got %d'
                             % (name, fixed, length))
            if cmd == CMD_PACKAGED:
                raise StreamError(payload_off, 'PACKAGED with a %d-byte '
                                  'payload: the blob length is unknown'
                                  % length)
            return False
        detail = ''
        if cmd == 1:
            self.return_path = True
        elif cmd == 2:
            detail = ': value %d' % struct.unpack('>I', payload)[0]
            if not self.return_path:
                self.out.line(off, depth, head + detail, 'command', **fields)
                self.out.problem(off, depth, 'fatal', 'CMD_PING (0x7) '
                                 'received with no return path')
                return False
        elif cmd == 3:
            if length == 16:
                host, target = struct.unpack('>QQ', payload)
                detail = (': host page sizes 0x%x, target page size %d '
                          '(postcopy-ram)' % (host, target))
            elif length == 0:
                detail = ' (dirty bitmaps only, no postcopy-ram)'
            else:
                self.out.line(off, depth, head, 'command', **fields)
                self.out.problem(off, depth, 'fatal', 'POSTCOPY_ADVISE with '
                                 'a %d-byte payload (0 or 16 expected)'
                                 % length)
                return False
            if self.advised:
                self.out.problem(off, depth, 'fatal', 'a second '
                                 'POSTCOPY_ADVISE: the destination accepts '
                                 'only one')
            self.advised = True
        elif cmd == 4:
            if not self.advised:
                self.out.problem(off, depth, 'fatal', 'CMD_POSTCOPY_LISTEN in '
                                 'wrong postcopy state (no POSTCOPY_ADVISE '
                                 'before it)')
            self.listening = True
            detail = (': from here a second destination thread reads the '
                      'main stream')
        elif cmd == 5:
            if not self.listening:
                self.out.problem(off, depth, 'fatal', 'POSTCOPY_RUN before '
                                 'POSTCOPY_LISTEN: the destination is in '
                                 'the wrong postcopy state')
            self.postcopy_run = True
            detail = ': the destination starts the VM'
        elif cmd == 10:
            detail = ': block %s' % show_name(payload[1:1 + payload[0]]
                                              if payload else b'')
        elif cmd == CMD_PACKAGED:
            blob = struct.unpack('>I', payload)[0]
            fields['blob_length'] = blob
            self.out.line(off, depth, '%s: blob of %s follows'
                          % (head, plural(blob, 'byte')), 'command', **fields)
            self.package(r, blob, depth)
            return False
        self.out.line(off, depth, head + detail, 'command', **fields)
        if self.verbose and payload and cmd not in (2, 3):
            self.out.line(payload_off, depth + 1, 'payload %s'
                          % payload[:64].hex())
        return cmd == 5 and depth > 0

    def package(self, r, blob, depth):
        if depth + 1 > MAX_PACKAGE_DEPTH:
            raise StreamError(r.pos, 'PACKAGED blobs nested more than %d '
                              'deep' % MAX_PACKAGE_DEPTH)
        r.push_limit(blob, 'the PACKAGED blob')
        start = r.pos
        self.elements(r, depth + 1)
        if r.left():
            self.out.note(r.pos, depth + 1, '%s left in the blob after %s, '
                          'ignored by the destination'
                          % (plural(r.left(), 'byte'),
                             'POSTCOPY_RUN' if self.postcopy_run else 'EOF'))
        r.pop_limit()
        self.out.line(r.pos, depth, 'end of PACKAGED blob (%s from 0x%x)'
                      % (plural(blob, 'byte'), start))

    # ---- sections ---------------------------------------------------------

    def section(self, r, off, kind, depth):
        self.counts['sections'] += 1
        sid = r.be32('the section id')
        if kind in (EL_START, EL_FULL):
            idstr = bytes(r.cstr('the section name'))
            instance = r.be32('the instance id')
            version = r.be32('the version id')
            if sid in self.sections or len(self.sections) < MAX_SECTIONS:
                self.sections[sid] = (idstr, instance, version)
            known = True
        else:
            idstr, instance, version = self.sections.get(sid, (b'?', 0, 0))
            known = sid in self.sections
        # Empty 'ram' PARTs come by the ten thousand: count them.
        if (kind == EL_PART and idstr == b'ram' and not self.verbose and
                r.peek(13) == struct.pack('>QBI', RAM_EOS, EL_FOOTER, sid)):
            r.skip(13, 'an empty ram PART')
            if self.ram_parts and self.ram_parts[2:] == [sid, depth]:
                self.ram_parts[1] += 1
            else:
                self.flush_ram_parts()
                self.ram_parts = [off, 1, sid, depth]
            return
        self.flush_ram_parts()
        name = SECTION_NAMES[kind]
        text = '%s id %d %s' % (name, sid,
                                show_name(idstr) if known else '(unknown id)')
        if kind in (EL_START, EL_FULL):
            text += ' instance %d version %d' % (instance, version)
        self.out.line(off, depth, text, 'section', type=name, id=sid,
                      name=idstr.decode('utf-8', 'backslashreplace'),
                      instance=instance, version=version)
        if not known:
            self.out.problem(off, depth, 'fatal', 'section id %d was never '
                             'opened by a SECTION_START or SECTION_FULL'
                             % sid)
        self.check_version(off, depth, kind, idstr, instance, version)
        decoded = True
        if idstr == b'dirty-bitmap' and known:
            self.dirty_bitmap(r, depth + 1, version)
        elif idstr == b'ram' and known and kind != EL_FULL:
            self.ram(r, depth + 1)
        elif idstr == b'timer' and kind == EL_FULL and version in (1, 2):
            self.timer(r, depth + 1, version)
            # subsections (-icount) are not decoded
            decoded = r.peek(1) != bytes([EL_SUBSECTION])
        elif idstr == b'globalstate' and kind == EL_FULL and version == 1:
            self.globalstate(r, depth + 1)
        else:
            decoded = False
        if not decoded:
            self.raw_payload(r, sid, idstr, depth + 1)
        self.footer(r, sid, idstr)

    def check_version(self, off, depth, kind, idstr, instance, version):
        if kind not in (EL_START, EL_FULL):
            return
        exact = {b'ram': 4, b'dirty-bitmap': 1}
        maximum = {b'timer': 2, b'globalstate': 1}
        if idstr in exact and version != exact[idstr]:
            self.out.problem(off, depth, 'fatal', "savevm: unsupported "
                             "version %d for '%s' v%d"
                             % (version, idstr.decode(), exact[idstr]))
        elif idstr in maximum and not 1 <= version <= maximum[idstr]:
            self.out.problem(off, depth, 'fatal', "version %d of '%s' is "
                             "outside 1..%d" % (version, idstr.decode(),
                                                maximum[idstr]))
        elif idstr not in exact and idstr not in maximum:
            self.out.problem(off, depth, 'warning', '%s is not a device of '
                             'machine none: a minivmm or QEMU -M none '
                             'destination fails with "Unknown savevm '
                             'section or instance %s %d"'
                             % (show_name(idstr), idstr.decode(
                                 'utf-8', 'replace'), instance))

    def footer(self, r, sid, idstr):
        off = r.pos
        mark = r.u8('the section footer 0x7e')
        if mark != EL_FOOTER:
            raise StreamError(off, 'expected the section footer 0x7e of '
                              'section %d (%s), got 0x%02x (a destination '
                              'fails with "Missing section footer for %s")'
                              % (sid, idstr.decode('utf-8', 'replace'), mark,
                                 idstr.decode('utf-8', 'replace')))
        got = r.be32('the section id in the footer')
        if got != sid:
            raise StreamError(off + 1, 'section footer carries id %d, '
                              'expected %d (a destination fails with '
                              '"Mismatched section id in footer")'
                              % (got, sid))

    def raw_payload(self, r, sid, idstr, depth):
        """Skip a payload we do not decode, up to its footer."""
        footer = struct.pack('>BI', EL_FOOTER, sid)
        off = r.pos
        at = r.find(footer)
        while at >= 0:
            follow = r.buf[at + 5:at + 6]
            if at + 5 >= r.end or (follow and (follow[0] <= EL_COMMAND)):
                break
            at = r.buf.find(footer, at + 1, r.end)
        if at < 0:
            raise StreamError(off, 'expected the footer 7e %08x closing '
                              'section %d (%s) somewhere after this payload, '
                              'found none' % (sid, sid, idstr.decode(
                                  'utf-8', 'replace')))
        head = bytes(r.peek(min(at - off, 32)))
        r.skip(at - off, 'the section payload')
        self.out.line(off, depth, 'raw payload, %s: %s%s'
                      % (plural(at - off, 'byte'), head.hex(),
                         '...' if at - off > 32 else ''), 'raw',
                      length=at - off)

    def flush_ram_parts(self):
        if self.ram_parts:
            off, count, sid, depth = self.ram_parts
            self.out.line(off, depth, 'SECTION_PART id %d "ram" with only '
                          'EOS, x%d (-v lists them)' % (sid, count),
                          'ram_parts', id=sid, count=count)
            self.ram_parts = []

    # ---- ram, timer, globalstate -----------------------------------------

    def ram(self, r, depth):
        stats = {}
        while True:
            off = r.pos
            word = r.be64('a ram word (page address | flags)')
            flags, addr = word & 0xfff, word & ~0xfff
            unknown = flags & ~sum(b for b, _ in RAM_FLAGS)
            if unknown:
                raise StreamError(off, 'ram word 0x%016x has unknown flags '
                                  '0x%x' % (word, unknown))
            if flags & 0x80:
                raise StreamError(off, 'ram HOOK flag (RDMA): not decoded '
                                  'by this analyser')
            if flags & 0x04:
                self.ram_mem_size(r, off, depth, addr)
            if flags & (0x02 | 0x08 | 0x40 | 0x100):
                if not flags & 0x20:
                    r.cstr('the ram block name')
                if flags & 0x02:
                    r.u8('the fill byte of a ZERO page')
                    stats['zero'] = stats.get('zero', 0) + 1
                elif flags & 0x08:
                    r.skip(RAM_PAGE_SIZE, 'a %d-byte page' % RAM_PAGE_SIZE)
                    stats['page'] = stats.get('page', 0) + 1
                elif flags & 0x40:
                    r.u8('the XBZRLE header byte')
                    n = r.be16('the XBZRLE length')
                    r.skip(n, 'the XBZRLE data')
                    stats['xbzrle'] = stats.get('xbzrle', 0) + 1
                else:
                    n = r.be32('the compressed page length')
                    r.skip(n, 'the compressed page')
                    stats['compressed'] = stats.get('compressed', 0) + 1
            if flags & RAM_EOS:
                pages = ', '.join('%s pages %d' % kv for kv in stats.items())
                self.out.line(off, depth, 'ram EOS%s'
                              % (' (' + pages + ')' if pages else ''),
                              'ram_eos', **stats)
                return

    def ram_mem_size(self, r, off, depth, total):
        self.out.line(off, depth, 'ram MEM_SIZE total %s' % human(total),
                      'ram_mem_size', total=total)
        left = total
        while left:
            boff = r.pos
            name = r.cstr('a ram block name')
            used = r.be64('the ram block length')
            extra = ''
            if self.ignore_shared:
                extra = ', address 0x%x' % r.be64('the ram block address')
            self.out.line(boff, depth + 1, 'ram block %s: %s%s'
                          % (show_name(bytes(name)), human(used), extra),
                          'ram_block', name=bytes(name).decode(
                              'utf-8', 'backslashreplace'), length=used)
            if used > left or used == 0:
                raise StreamError(boff, 'ram block lengths do not add up to '
                                  'MEM_SIZE %d (block of %d, %d left)'
                                  % (total, used, left))
            left -= used

    def timer(self, r, depth, version):
        off = r.pos
        ticks = struct.unpack('>q', r.take(8, 'cpu_ticks_offset'))[0]
        r.skip(8, 'the 8 unused bytes of timer')
        text = 'timer: cpu_ticks_offset %d' % ticks
        fields = {'cpu_ticks_offset': ticks}
        if version >= 2:
            clock = struct.unpack('>q', r.take(8, 'cpu_clock_offset'))[0]
            text += ', cpu_clock_offset %d ns' % clock
            fields['cpu_clock_offset'] = clock
        self.out.line(off, depth, text, 'timer', **fields)

    def globalstate(self, r, depth):
        off = r.pos
        size = r.be32('the globalstate size')
        raw = bytes(r.take(100, 'the 100-byte runstate name'))
        state = raw.split(b'\0', 1)[0].decode('utf-8', 'backslashreplace')
        self.out.line(off, depth, 'globalstate: runstate %s (size %d)'
                      % (json.dumps(state), size), 'globalstate',
                      runstate=state, size=size)
        if state not in RUN_STATES:
            self.out.problem(off, depth, 'fatal', 'invalid parameter value: '
                             '%s' % state)

    # ---- dirty-bitmap -----------------------------------------------------

    def dirty_bitmap(self, r, depth, version):
        if version != 1:
            self.cancel(r.pos, depth, 'section version %d' % version)
        while True:
            if self.chunk(r, depth):
                return

    def chunk(self, r, depth):
        """Decode and apply one chunk; True after the one with EOS."""
        off = r.pos
        self.counts['chunks'] += 1
        first = r.u8('dirty-bitmap chunk flags')
        flags, raw = first, [first]
        if first & DBM_EXTRA_FLAGS:
            flags = r.u8('the second dirty-bitmap flags byte')
            raw.append(flags)
            if flags & DBM_EXTRA_FLAGS:
                word = r.be16('the last two dirty-bitmap flags bytes')
                raw += [word >> 8, word & 0xff]
                flags = word & 0xff
        parts = []
        if len(raw) > 1:
            parts.append('flags bytes %s, QEMU 7.2 keeps the last'
                         % bytes(raw).hex())
        fields = {'flags': flags}
        if flags & DBM_DEVICE_NAME:
            self.node = bytes(r.cstr('the node alias'))
            parts.append('node %s' % show_name(self.node))
            fields['node'] = self.node.decode('utf-8', 'backslashreplace')
        if flags & DBM_BITMAP_NAME:
            self.bitmap_alias = bytes(r.cstr('the bitmap alias'))
            parts.append('bitmap %s' % show_name(self.bitmap_alias))
            fields['bitmap'] = self.bitmap_alias.decode('utf-8',
                                                        'backslashreplace')
        text = 'dbm 0x%02x %s' % (flags, flag_names(flags, DBM_FLAG_NAMES))
        nothing = flags & ~DBM_EOS == 0
        problems = self.resolve_names(flags, nothing)
        body = None
        if flags & DBM_START:
            gran = r.be32('the granularity (be32)')
            bflags = r.u8('the bitmap flags byte')
            names = [n for bit, n in ((BM_ENABLED, 'enabled'),
                                      (BM_PERSISTENT, 'persistent'),
                                      (0x04, 'autoload')) if bflags & bit]
            parts.append('granularity %d, bitmap flags 0x%02x (%s)'
                         % (gran, bflags, ', '.join(names) or 'disabled'))
            fields.update(granularity=gran, bitmap_flags=bflags)
            body = ('start', gran, bflags)
        elif flags & DBM_COMPLETE:
            body = ('complete',)
        elif flags & DBM_BITS:
            start = r.be64('the start sector')
            nr = r.be32('the sector count')
            fields.update(start_sector=start, nr_sectors=nr)
            rng = 'sectors %d+%d (bytes %d..%d, %s)' % (
                start, nr, start * SECTOR, (start + nr) * SECTOR - 1,
                human(nr * SECTOR))
            if flags & DBM_ZEROES:
                parts.append(rng)
                body = ('zeroes', start, nr)
            else:
                size_off = r.pos
                buf_size = r.be64('the buffer size')
                fields['buf_size'] = buf_size
                if buf_size > DBM_MAX_BUF:
                    self.out.line(off, depth, text + ': ' + '; '.join(parts),
                                  'chunk', **fields)
                    self.out.problem(size_off, depth, 'fatal', 'buffer of %d '
                                     'bytes: "Bitmap migration stream buffer '
                                     'allocation request is too large" '
                                     '(at most %d)' % (buf_size, DBM_MAX_BUF))
                    r.skip(buf_size, 'the bitmap buffer')
                    self.cancel(off, depth, 'the buffer is too large',
                                quiet=True)
                    return bool(flags & DBM_EOS)
                data = r.take(buf_size, 'the %d-byte bitmap buffer'
                              % buf_size)
                parts.append('%s, buffer %s' % (rng, plural(buf_size, 'byte')))
                body = ('bits', start, nr, data)
        if body and body[0] in ('zeroes', 'bits'):
            extra = self.apply_bits(off, depth, body, parts)
        else:
            extra = []
        if parts:
            text += ': ' + '; '.join(parts)
        self.out.line(off, depth, text, 'chunk', **fields)
        for severity, message in problems + extra:
            if severity == 'cancel':
                self.cancel(off, depth, message)
            else:
                self.out.problem(off, depth, severity, message)
        if body and body[0] == 'start':
            self.apply_start(off, depth, body[1], body[2])
        elif body and body[0] == 'complete' and not self.cancelled:
            if self.current is not None:
                self.current.complete = True
        return bool(flags & DBM_EOS)

    def resolve_names(self, flags, nothing):
        """The destination's lookup of the chunk's node and bitmap."""
        out = []
        if self.cancelled:
            return out
        if flags & DBM_DEVICE_NAME:
            self.node_set = True
        elif not self.node_set and not nothing:
            return [('cancel', 'block device name is not set')]
        if flags & DBM_BITMAP_NAME:
            key = (self.node.split(b'\0')[0],
                   self.bitmap_alias.split(b'\0')[0])
            self.current = self.bitmaps.get(key)
            if self.current is None and not flags & DBM_START:
                out.append(('cancel', "unknown dirty bitmap '%s' for block "
                            "device '%s'" % (key[1].decode('utf-8', 'replace'),
                                             key[0].decode('utf-8',
                                                           'replace'))))
        elif self.current is None and not nothing:
            out.append(('cancel', 'block device name is not set'))
        return out

    def apply_start(self, off, depth, gran, bflags):
        if self.cancelled:
            return
        if self.current is not None:
            self.out.problem(off, depth, 'fatal', "Bitmap with the same name "
                             "('%s') already exists on destination"
                             % self.current.name.decode('utf-8', 'replace'))
            return
        if self.bitmap_alias is None or self.node is None:
            return
        if gran < SECTOR or gran & (gran - 1):
            self.out.problem(off, depth, 'fatal', 'granularity %d is not a '
                             'power of two >= 512: the destination aborts '
                             '(assertion failure)' % gran)
        if bflags & BM_RESERVED:
            self.out.problem(off, depth, 'fatal', 'Unknown flags in migrated '
                             'dirty bitmap header: %x' % bflags)
        if len(self.bitmaps) >= MAX_BITMAPS:
            self.untracked += 1
            if self.untracked == 1:
                self.out.note(off, depth, 'more than %d bitmaps: the rest '
                              'are decoded but not rebuilt' % MAX_BITMAPS)
            return
        node = self.node.split(b'\0')[0]
        name = self.bitmap_alias.split(b'\0')[0]
        bm = Bitmap(node, name, gran, bflags, off)
        self.bitmaps[(node, name)] = bm
        self.all_bitmaps.append(bm)
        self.current = bm

    def apply_bits(self, off, depth, body, parts):
        """Apply a BITS/ZEROES chunk; returns the problems it raises."""
        bm = None if self.cancelled else self.current
        kind, start, nr = body[0], body[1], body[2]
        if bm is None or not bm.valid_gran:
            return []
        gran = bm.granularity
        bm.chunks += 1
        first_byte, nbytes = start * SECTOR, nr * SECTOR
        out = []
        if nbytes == 0:
            needed = 0
        else:
            first_bit = first_byte // gran
            last_bit = (first_byte + nbytes - 1) // gran
            needed = 8 * (last_bit // 64 - first_bit // 64 + 1)
            parts.append('granules %d..%d' % (first_bit, last_bit))
        if first_byte % (64 * gran):
            out.append(('fatal', 'the chunk starts at byte %d, not on a '
                        '64-granule boundary: the destination aborts '
                        '(assertion failure)' % first_byte))
        if nbytes and nbytes % (64 * gran):
            if bm.unaligned_end is not None:
                out.append(('fatal', 'a second chunk whose length is not a '
                            'multiple of 64 granules: only the last one of '
                            'a disk may be shorter'))
            bm.unaligned_end = first_byte + nbytes
        if kind == 'bits':
            data = body[3]
            if needed > len(data) or len(data) > (needed + 31) // 32 * 32:
                parts.append('needed %d' % needed)
                out.append(('cancel', "Migrated bitmap granularity doesn't "
                            "match the destination bitmap '%s' granularity "
                            "(buffer %d bytes, needs %d rounded up to 32)"
                            % (bm.name.decode('utf-8', 'replace'), len(data),
                               needed)))
                return out
            if needed != len(data):
                parts.append('needed %d + %d padding'
                             % (needed, len(data) - needed))
            words = data[:needed]
            nset = int.from_bytes(words, 'little').bit_count()
            runs = bit_runs(words, first_byte // gran // 64 * 64)
            parts.append('%s set: %s' % (plural(nset, 'bit'), runs)
                         if nset else 'all clear (sent as data)')
        else:
            bm.zero_chunks += 1
        if nbytes == 0:
            return out
        bm.end_byte = max(bm.end_byte, first_byte + nbytes)
        byte_off = first_byte // gran // 64 * 8
        if not self.fits(bm, byte_off, needed, kind == 'zeroes'):
            return out
        if kind == 'bits':
            before = len(bm.pages)
            bm.write(byte_off, words)
            self.page_bytes += (len(bm.pages) - before) * PAGE
        else:
            before = len(bm.pages)
            bm.zero(byte_off, needed)
            self.page_bytes += (len(bm.pages) - before) * PAGE
        return out

    def fits(self, bm, byte_off, nbytes, zeroes):
        """False (and why, once) if @bm grows past the memory limits."""
        if bm.too_big:
            return False
        if byte_off + nbytes > self.max_bitmap_bytes:
            bm.too_big = ('its chunks reach byte %d of the serialized bitmap'
                          ', more than --max-bitmap-bytes %d'
                          % (byte_off + nbytes, self.max_bitmap_bytes))
        elif not zeroes:
            new = sum(1 for i in range(byte_off // PAGE,
                                       (byte_off + nbytes - 1) // PAGE + 1)
                      if i not in bm.pages)
            if self.page_bytes + new * PAGE > self.max_bitmap_bytes:
                bm.too_big = ('the rebuilt bitmaps would hold more than '
                              '--max-bitmap-bytes %d in dirty pages'
                              % self.max_bitmap_bytes)
        if bm.too_big:
            self.page_bytes -= len(bm.pages) * PAGE
            bm.pages = {}
            return False
        return True

    def cancel(self, off, depth, reason, quiet=False):
        """The destination cancels the bitmap migration (not fatal)."""
        if self.cancelled:
            return
        self.cancelled = reason
        dropped = [bm for bm in self.bitmaps.values() if not bm.complete]
        for bm in dropped:
            bm.dropped = 'the destination cancelled the bitmap migration ' \
                         'before its COMPLETE (%s)' % reason
        self.bitmaps = {k: v for k, v in self.bitmaps.items() if v.complete}
        self.current = None
        if not quiet:
            self.out.problem(off, depth, 'warning', 'the destination cancels '
                             'the bitmap migration: %s; it drops %s and '
                             'ignores the remaining bitmap chunks'
                             % (reason, ', '.join(bm.label() for bm in dropped)
                                or 'no bitmap'))

    # ---- results ----------------------------------------------------------

    def disk_bytes(self, bm):
        """(disk size in bytes, where it comes from) for @bm's node."""
        node = bm.node.decode('utf-8', 'backslashreplace')
        if node in self.disk_sizes:
            return self.disk_sizes[node], '--disk-size'
        if None in self.disk_sizes:
            return self.disk_sizes[None], '--disk-size'
        ends = [b.end_byte for b in self.all_bitmaps if b.node == bm.node]
        return max(ends), 'end of the last BITS chunk'

    def results(self):
        out = []
        for bm in self.all_bitmaps:
            disk, source = self.disk_bytes(bm)
            res = {
                'node': bm.node.decode('utf-8', 'backslashreplace'),
                'name': bm.name.decode('utf-8', 'backslashreplace'),
                'offset': bm.offset,
                'granularity': bm.granularity,
                'enabled': bool(bm.flags & BM_ENABLED),
                'persistent': bool(bm.flags & BM_PERSISTENT),
                'complete': bm.complete,
                'dropped': bm.dropped,
                'disk_bytes': disk,
                'disk_size_from': source,
                'chunks': bm.chunks,
                'zeroes_chunks': bm.zero_chunks,
                'sha256': None,
                'count': None,
                'dirty_granules': None,
                'notes': [],
            }
            out.append(res)
            notes = res['notes']
            if not bm.valid_gran:
                notes.append('invalid granularity: not rebuilt')
                continue
            if bm.too_big:
                notes.append('not rebuilt: ' + bm.too_big)
                continue
            if disk == 0:
                notes.append('no BITS chunk with data or ZEROES: the disk '
                             'size is unknown (give --disk-size)')
                continue
            if bm.end_byte > disk:
                self.out.problem(bm.offset, 0, 'fatal', '%s: chunks run to '
                                 'byte %d, past the end of the disk (%d): '
                                 'the destination aborts'
                                 % (bm.label(), bm.end_byte, disk))
            elif bm.end_byte < disk and bm.chunks:
                notes.append('its chunks end at byte %d, before the other '
                             'bitmaps of the node' % bm.end_byte)
            if bm.unaligned_end is not None and bm.unaligned_end != disk:
                self.out.problem(bm.offset, 0, 'fatal', '%s: a chunk not a '
                                 'multiple of 64 granules ends at byte %d, '
                                 'before the end of the disk: the '
                                 'destination aborts'
                                 % (bm.label(), bm.unaligned_end))
            nbits = -(-disk // bm.granularity)
            nbytes = 8 * max(1, -(-nbits // 64))
            if nbytes > self.max_bitmap_bytes:
                notes.append('not hashed: %s serialized, more than '
                             '--max-bitmap-bytes %d'
                             % (human(nbytes), self.max_bitmap_bytes))
                continue
            res['bits'] = nbits
            res['serialized_bytes'] = nbytes
            res['sha256'] = bm.sha256(nbytes)
            granules = bm.count_range(0, nbits) if nbits else 0
            res['dirty_granules'] = granules
            res['count'] = granules * bm.granularity
            res['_bitmap'] = bm
        return out


def print_bitmaps(results, error):
    print()
    print('bitmaps (as a destination without bitmaps of its own rebuilds '
          'them)%s:' % ('' if error is None else
                        ', PARTIAL: the stream stops at offset %d'
                        % error.offset))
    if not results:
        print('  none')
    for res in results:
        state = ('dropped' if res['dropped'] else
                 'complete' if res['complete'] else 'incomplete (no COMPLETE)')
        flags = ', '.join(n for n in ('enabled', 'persistent') if res[n]) \
            or 'disabled'
        print('  %s/%s  granularity %d  %s  %s' % (
            res['node'], res['name'], res['granularity'], flags, state))
        print('    disk %d bytes (%s, from the %s), %s' % (
            res['disk_bytes'], human(res['disk_bytes']),
            res['disk_size_from'], plural(res['chunks'], 'BITS chunk')
            + ' (%d ZEROES)' % res['zeroes_chunks']))
        if res['sha256']:
            print('    dirty count %d bytes (%s)  sha256 %s' % (
                res['count'], plural(res['dirty_granules'], 'granule'),
                res['sha256']))
        if res['dropped']:
            print('    ' + res['dropped'])
        for note in res['notes']:
            print('    ' + note)


def print_map(results, width):
    rows = [res for res in results if res.get('_bitmap')]
    print()
    print("map ('.' clean, '+' partly dirty, '#' fully dirty; a row per "
          "bitmap across its disk)")
    if not rows:
        print('  no bitmap to draw')
        return
    label_w = min(max(len('%s/%s' % (r['node'], r['name'])) for r in rows),
                  24)
    for res in rows:
        bm, nbits = res['_bitmap'], res['bits']
        cols = max(1, min(width, nbits))
        cells = []
        for c in range(cols):
            lo, hi = c * nbits // cols, (c + 1) * nbits // cols
            n = bm.count_range(lo, hi) if hi > lo else 0
            cells.append('.' if n == 0 else '#' if n == hi - lo else '+')
        label = ('%s/%s' % (res['node'], res['name']))[:label_w]
        pct = 100.0 * res['dirty_granules'] / nbits if nbits else 0.0
        print('  %-*s |%s| %s' % (label_w, label, ''.join(cells),
                                  '<0.1%' if 0 < pct < 0.1 else
                                  '%.1f%%' % pct))
        per = res['disk_bytes'] / cols
        print('  %-*s  0%s%s  (%s per column)' % (
            label_w, '', ' ' * max(1, cols - 1 - len(human(res['disk_bytes'])
                                                      )),
            human(res['disk_bytes']), human(int(per))))


def open_stream(path):
    """(buffer, size, closer) for a file, or '-' for stdin.

    A regular file is mapped; a pipe (stdin, <(...)) is first copied to
    an unnamed temporary file, so memory never holds the whole stream.
    """
    f = sys.stdin.buffer if path == '-' else open(path, 'rb')
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
        tmp = tempfile.TemporaryFile()
        try:
            shutil.copyfileobj(f, tmp)
            tmp.flush()
        finally:
            if f is not sys.stdin.buffer:
                f.close()
        f = tmp
    size = os.fstat(f.fileno()).st_size
    if size == 0:
        f.close()
        return b'', 0, lambda: None
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)

    def close():
        m.close()
        f.close()
    return m, size, close


def parse_size(text):
    units = {'': 1, 'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30, 't': 1 << 40}
    t = text.strip().lower().rstrip('b').rstrip('i')
    unit = t[-1:] if t[-1:] in units and t[-1:] else ''
    try:
        value = int(t[:len(t) - len(unit)] if unit else t, 0) * units[unit]
    except ValueError:
        raise argparse.ArgumentTypeError('not a size: %r' % text)
    if value < 0:
        raise argparse.ArgumentTypeError('negative size: %r' % text)
    return value


def parse_disk_size(text):
    node, sep, size = text.rpartition('=')
    return (node if sep else None, parse_size(size))


def width_arg(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError('not a number: %r' % text)
    if not 8 <= n <= 1000:
        raise argparse.ArgumentTypeError('width must be 8..1000')
    return n


def analyze(path, opts):
    """Decode @path; returns the exit status (see the module docstring)."""
    out = Output(opts.json, opts.quiet)
    an = Analyzer(out, opts)
    try:
        buf, size, close = open_stream(path)
    except OSError as e:
        print('%s: error: cannot read %s: %s' % (PROG, path, e.strerror),
              file=sys.stderr)
        return 1
    error = None
    try:
        r = Reader(buf, size)
        try:
            an.run(r)
        except StreamError as e:
            an.flush_ram_parts()
            error = e
        results = an.results()
    finally:
        close()
    if opts.json:
        for res in results:
            res.pop('_bitmap', None)
        doc = {'file': path, 'size': size, 'counts': an.counts,
               'elements': out.records,
               'elements_dropped': out.records_dropped,
               'bitmaps': results, 'problems': out.problems,
               'problems_dropped': out.problems_dropped,
               'error': (None if error is None else
                         {'offset': error.offset, 'message': error.message})}
        json.dump(doc, sys.stdout, indent=1)
        print()
    else:
        if opts.bitmaps:
            print_bitmaps(results, error)
        if opts.map:
            print_map(results, opts.width)
        if error is None:
            print('\n%s, %s, %s; %s, %s' % (
                plural(an.counts['sections'], 'section'),
                plural(an.counts['commands'], 'command'),
                plural(an.counts['chunks'], 'dirty-bitmap chunk'),
                plural(out.fatal, 'fatal problem'),
                plural(out.warnings, 'warning')))
    if error is not None:
        sys.stdout.flush()
        print('%s: error: %s: offset %d (0x%x): %s' % (
            PROG, path, error.offset, error.offset, error.message),
            file=sys.stderr)
        return 1
    return 3 if out.fatal else 0


PROG = 'analyze-migration.py'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('file', help="stream file ('-' for stdin)")
    parser.add_argument('--bitmaps', action='store_true',
                        help='print each rebuilt bitmap: dirty count and '
                        'sha256')
    parser.add_argument('--map', action='store_true',
                        help='draw where each bitmap is dirty')
    parser.add_argument('--width', type=width_arg, default=64,
                        help='map columns (default 64)')
    parser.add_argument('--json', action='store_true',
                        help='one JSON document on stdout')
    parser.add_argument('-q', '--quiet', action='store_true',
                        help='do not list the elements')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='list every empty ram PART and command payload')
    parser.add_argument('--disk-size', metavar='[NODE=]BYTES', action='append',
                        type=parse_disk_size, default=[],
                        help='disk size of NODE (or of every node), instead '
                        'of the end of the last BITS chunk')
    parser.add_argument('--max-bitmap-bytes', type=parse_size,
                        default=DEFAULT_MAX_BITMAP_BYTES, metavar='BYTES',
                        help='largest serialized bitmap to rebuild, and most '
                        'memory for dirty pages (default 256M)')
    opts = parser.parse_args(argv)
    opts.disk_sizes = dict(opts.disk_size)
    return opts


def main(argv=None):
    opts = parse_args(argv)
    return analyze(opts.file, opts)


if __name__ == '__main__':
    PROG = os.path.basename(sys.argv[0])
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
