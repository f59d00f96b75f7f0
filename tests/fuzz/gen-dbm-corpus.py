#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Generate tests/fuzz/corpus-dirty-bitmap/: dirty-bitmap section payloads.
"""Write the seed corpus of fuzz-dirty-bitmap-load.

Each file is one option byte followed by dirty-bitmap section payloads (see
the header of fuzz-dirty-bitmap-load.c).  The prefix of a file's name says
how the load must end: "ok-" loads without cancelling, "cancel-" cancels
bitmap migration but the sections load, "fail-" makes a section load fail.

Usage: gen-dbm-corpus.py [OUTDIR [STREAMS_DIR]]
With STREAMS_DIR (the reference captures), the dirty-bitmap payloads of the
real QEMU 7.2 streams are added as well.
"""

import os
import struct
import sys

EOS, ZEROES, BITMAP_NAME, DEVICE_NAME = 0x01, 0x02, 0x04, 0x08
START, COMPLETE, BITS = 0x10, 0x20, 0x40
ENABLED, PERSISTENT = 0x01, 0x02
OPT_MAPPING, OPT_VM_START, OPT_CANCEL = 0x01, 0x02, 0x04
OPT_REMOVE, OPT_REMAP = 0x08, 0x10

GIB = 1 << 30
# Node sizes as the fuzz target sets them up (aliases included).
NODE_SIZES = {'drive0': GIB, 'node1': 104858112, 'n1': 104858112,
              'empty0': 0}


def cstr(s):
    b = s.encode() if isinstance(s, str) else s
    return bytes([len(b)]) + b


class Sender:
    """Builds chunks the way QEMU 7.2 does, with name elision."""

    def __init__(self):
        self.node = None
        self.bitmap = None

    def header(self, flags, node, bitmap, force_names=False):
        out = b''
        if node != self.node or force_names:
            flags |= DEVICE_NAME
        if bitmap != self.bitmap or force_names:
            flags |= BITMAP_NAME
        self.node, self.bitmap = node, bitmap
        out += bytes([flags])
        if flags & DEVICE_NAME:
            out += cstr(node)
        if flags & BITMAP_NAME:
            out += cstr(bitmap)
        return out

    def start(self, node, bitmap, gran, bflags):
        return (self.header(START, node, bitmap) +
                struct.pack('>IB', gran, bflags))

    def complete(self, node, bitmap):
        return self.header(COMPLETE, node, bitmap)

    def bits(self, node, bitmap, start, nr, buf=None):
        if buf is None:
            return self.header(BITS | ZEROES, node, bitmap) + \
                struct.pack('>QI', start, nr)
        return (self.header(BITS, node, bitmap) +
                struct.pack('>QIQ', start, nr, len(buf)) + buf)


def serialize(bits, gran, start, nr):
    """The BITS buffer for sectors [start, start+nr) with set granules."""
    first = start * 512 // gran
    last = ((start + nr) * 512 - 1) // gran
    w0, w1 = first // 64, last // 64
    words = [0] * (w1 - w0 + 1)
    for g in bits:
        if first <= g <= last:
            words[g // 64 - w0] |= 1 << (g % 64)
    buf = b''.join(struct.pack('<Q', w) for w in words)
    return buf + bytes(-len(buf) % 32)


def all_bits(snd, node, bitmap, gran, bits):
    """Every BITS chunk of a bitmap as QEMU 7.2 chunks it."""
    total = -(-NODE_SIZES.get(node, GIB) // 512)
    per_chunk = 1024 * 8 * (gran // 512)
    out, cur = b'', 0
    while True:
        nr = min(total - cur, per_chunk)
        buf = serialize(bits, gran, cur, nr) if nr else b''
        out += snd.bits(node, bitmap, cur, nr,
                        buf if any(buf) else None)
        cur += nr
        if cur >= total:
            return out


def precopy(node='drive0', bitmaps=None, opts=0):
    """START section, then END with all bits and COMPLETEs."""
    bitmaps = bitmaps or [('bmB', 4096, 0, [0, 256, 131072]),
                          ('bmA', 65536, ENABLED, [0, 16, 8192, 16383])]
    snd = Sender()
    start = b''.join(snd.start(node, n, g, f) for n, g, f, _ in bitmaps)
    end = b''.join(all_bits(snd, node, n, g, b) for n, g, _, b in bitmaps)
    end += b''.join(snd.complete(node, n) for n, _, _, _ in bitmaps)
    return bytes([opts]) + start + bytes([EOS]) + end + bytes([EOS])


def one_bitmap(body_fn, node='drive0', name='bm0', gran=65536, opts=0,
               bflags=ENABLED):
    """START for one bitmap, then an END section made by body_fn(snd)."""
    snd = Sender()
    start = snd.start(node, name, gran, bflags) + bytes([EOS])
    return bytes([opts]) + start + body_fn(snd) + bytes([EOS])


def generated():
    c = {}
    c['ok-precopy-two-bitmaps'] = precopy()
    c['ok-precopy-odd-size'] = precopy('node1', [('odd', 65536, ENABLED,
                                                  [0, 1600])])
    c['ok-empty-node'] = precopy('empty0', [('e', 65536, ENABLED, [])])
    c['ok-eos-only'] = bytes([0, EOS, EOS, EOS])
    c['ok-eos-only-cancel'] = bytes([OPT_CANCEL, EOS])

    # Postcopy: START, PART with the bits (after VM start), END COMPLETEs.
    snd = Sender()
    bms = [('bmB', 4096, 0, [1, 300000]), ('bmA', 65536, ENABLED, [5])]
    part = b''.join(all_bits(snd, 'drive0', n, g, b) for n, g, _, b in bms)
    end = b''.join(snd.complete('drive0', n) for n, _, _, _ in bms)
    snd2 = Sender()
    start = b''.join(snd2.start('drive0', n, g, f) for n, g, f, _ in bms)
    c['ok-postcopy'] = (bytes([OPT_VM_START]) + start + bytes([EOS]) +
                        part + bytes([EOS]) + end + bytes([EOS]))
    c['ok-postcopy-cancel'] = bytes([OPT_VM_START | OPT_CANCEL]) + \
        start + bytes([EOS]) + part + bytes([EOS])

    # An operator removes what is not busy between sections: complete
    # bitmaps go (before or after the VM starts), loading ones stay.
    c['ok-precopy-removed'] = precopy(opts=OPT_REMOVE)
    c['ok-postcopy-removed'] = bytes([OPT_VM_START | OPT_REMOVE]) + \
        start + bytes([EOS]) + part + bytes([EOS]) + end + bytes([EOS])
    # bmB completes, is removed, then the next section names a bitmap:
    # the loader must not look at bmB's freed memory (fuzzer finding,
    # heap-use-after-free, 2026-12-04: the input as found, then the same
    # case written out).
    c['fail-found-uaf-removed-complete'] = bytes.fromhex(
        '081c066472697665300362' '6d4200100000036201'
        '1c06647269766530' '03ffff61600068721' '2')

    def removed_complete_then(name, anew):
        # bmB completes (and is removed); then bitmap @name loads, its
        # node named anew too if @anew.
        snd = Sender()
        then = Sender() if anew else snd
        return (bytes([OPT_REMOVE]) +
                snd.start('drive0', 'bmB', 4096, ENABLED) +
                snd.complete('drive0', 'bmB') + bytes([EOS]) +
                then.start('drive0', name, 65536, 0) +
                all_bits(then, 'drive0', name, 65536, [3]) +
                then.complete('drive0', name) + bytes([EOS]))

    c['ok-removed-complete-then-start'] = removed_complete_then('bmA', False)
    # A START that names bmB anew makes it again: the complete one,
    # removed, is no longer found by its name.
    c['ok-removed-complete-then-same-name'] = \
        removed_complete_then('bmB', True)

    # The mapping changes in the middle of the load: names are resolved
    # anew; bitmap migration is cancelled when they no longer resolve
    # (bmB has the alias bm-b), and goes on when they resolve the same.
    c['cancel-remap-mid-load'] = precopy(opts=OPT_REMAP)
    c['ok-remap-mid-load-same-names'] = precopy(
        'drive0', [('bmA', 65536, ENABLED, [9])], OPT_MAPPING | OPT_REMAP)

    # Mapping: aliases on the wire, local names on the node.
    c['ok-mapping'] = precopy('drive0', [('bm-b', 4096, 0, [7]),
                                         ('bmA', 65536, ENABLED, [9])],
                              OPT_MAPPING)
    c['ok-mapping-odd'] = precopy('n1', [('odd', 65536, 0, [1600])],
                                  OPT_MAPPING)

    # Multi-byte flag forms (7.2 reads them; nothing sends them).
    c['ok-flags-two-bytes'] = bytes([0, 0x80, START | DEVICE_NAME |
                                     BITMAP_NAME]) + cstr('drive0') + \
        cstr('f2') + struct.pack('>IB', 65536, 0) + bytes([0x80, EOS]) + \
        bytes([0x80, 0x80, 0x00, COMPLETE]) + bytes([EOS])
    c['ok-bitmap-max-name'] = one_bitmap(
        lambda s: s.complete('drive0', 'n' * 255), name='n' * 255)
    c['ok-granularity-512'] = one_bitmap(
        lambda s: all_bits(s, 'node1', 'g512', 512, [0, 204799]) +
        s.complete('node1', 'g512'), node='node1', name='g512', gran=512)
    c['ok-granularity-2g'] = one_bitmap(
        lambda s: all_bits(s, 'drive0', 'g2g', 1 << 31, [0]) +
        s.complete('drive0', 'g2g'), name='g2g', gran=1 << 31)
    c['ok-complete-without-bits'] = one_bitmap(
        lambda s: s.complete('drive0', 'bm0'))

    # Cancelled: the stream parses, the bitmaps are dropped.
    c['cancel-unknown-node'] = precopy('nosuchnode')
    c['cancel-unknown-bitmap'] = bytes([0]) + Sender().bits(
        'drive0', 'nosuch', 0, 128) + bytes([EOS])
    c['cancel-bits-into-existing'] = bytes([0]) + Sender().bits(
        'drive0', 'existing', 0, 128, bytes(32)) + bytes([EOS])
    c['cancel-complete-existing'] = bytes([0]) + Sender().complete(
        'drive0', 'existing') + bytes([EOS])
    c['cancel-granularity-1000'] = one_bitmap(lambda s: b'', gran=1000)
    c['cancel-granularity-256'] = one_bitmap(lambda s: b'', gran=256)
    c['cancel-granularity-0'] = one_bitmap(lambda s: b'', gran=0)
    c['cancel-misaligned-start'] = one_bitmap(
        lambda s: s.bits('drive0', 'bm0', 128, 128))
    c['cancel-past-end'] = one_bitmap(
        lambda s: s.bits('drive0', 'bm0', 2097152 - 8192, 16384))
    c['cancel-start-beyond-end'] = one_bitmap(
        lambda s: s.bits('drive0', 'bm0', 2097152 + 8192, 8192))
    c['cancel-sector-wraps'] = one_bitmap(
        lambda s: s.bits('drive0', 'bm0', (1 << 64) - 8192, 8192))
    c['cancel-partial-chunk'] = one_bitmap(
        lambda s: s.bits('drive0', 'bm0', 0, 1000))
    c['cancel-buffer-too-small'] = one_bitmap(
        lambda s: s.bits('drive0', 'bm0', 0, 1 << 20, bytes(32)))
    c['cancel-buffer-too-big'] = one_bitmap(
        lambda s: s.bits('drive0', 'bm0', 0, 8192, bytes(64)))
    c['cancel-bits-after-complete'] = one_bitmap(
        lambda s: s.complete('drive0', 'bm0') +
        s.bits('drive0', 'bm0', 0, 8192, bytes([1]) + bytes(31),))
    c['cancel-complete-twice'] = one_bitmap(
        lambda s: s.complete('drive0', 'bm0') + s.complete('drive0', 'bm0')
        + bytes([COMPLETE | BITMAP_NAME]) + cstr('bm0'))
    c['cancel-device-without-bitmap'] = one_bitmap(
        lambda s: bytes([COMPLETE | DEVICE_NAME]) + cstr('node1'))
    c['cancel-no-device-name'] = bytes([0, COMPLETE | BITMAP_NAME]) + \
        cstr('bm0') + bytes([EOS])
    c['cancel-zeroes-without-names'] = bytes([0, BITS | ZEROES]) + \
        struct.pack('>QI', 0, 8) + bytes([EOS])
    c['cancel-mapping-unknown-node'] = precopy('drive1', None, OPT_MAPPING)
    c['cancel-mapping-unknown-bitmap'] = precopy(
        'drive0', [('bmB', 4096, 0, [1])], OPT_MAPPING)
    c['cancel-bits-on-empty-node'] = one_bitmap(
        lambda s: s.bits('empty0', 'e', 0, 8), node='empty0', name='e')

    # Failed: the stream cannot be trusted any further.
    c['fail-name-exists'] = one_bitmap(lambda s: b'', name='existing')
    c['fail-duplicate-start'] = bytes([0]) + Sender().start(
        'drive0', 'd', 65536, 0) + Sender().start('drive0', 'd', 65536, 0) \
        + bytes([EOS])
    c['fail-reserved-start-flags'] = one_bitmap(lambda s: b'', bflags=0x09)
    c['fail-unknown-flags-byte0'] = bytes([0, 0x81, EOS])
    c['fail-unknown-flags-byte2'] = bytes([0, 0x80, 0x80, 0x01, EOS])
    c['fail-unknown-flags-last-0x80'] = bytes([0, 0x80, 0x80, 0x00, 0x81])
    c['fail-huge-buffer'] = one_bitmap(
        lambda s: s.header(BITS, 'drive0', 'bm0') +
        struct.pack('>QIQ', 0, 8192, 1 << 63))
    c['fail-buffer-10k-plus-1'] = one_bitmap(
        lambda s: s.header(BITS, 'drive0', 'bm0') +
        struct.pack('>QIQ', 0, 8192, 10241) + bytes(10241))
    c['fail-truncated-buffer'] = one_bitmap(
        lambda s: s.header(BITS, 'drive0', 'bm0') +
        struct.pack('>QIQ', 0, 8192, 1024) + bytes(100))[:-1]
    c['fail-truncated-start'] = bytes([0, START | DEVICE_NAME |
                                       BITMAP_NAME]) + cstr('drive0') + \
        cstr('t') + b'\x00\x01'
    c['fail-no-eos'] = precopy()[:-1]
    c['fail-empty-node-name'] = bytes([0, START | DEVICE_NAME |
                                       BITMAP_NAME, 0]) + cstr('x')
    c['fail-empty-bitmap-name'] = bytes([0, START | DEVICE_NAME |
                                         BITMAP_NAME]) + cstr('drive0') + \
        bytes([0])
    c['fail-nul-in-name'] = bytes([0, START | DEVICE_NAME |
                                   BITMAP_NAME]) + cstr('drive0') + \
        cstr(b'a\x00b') + struct.pack('>IB', 65536, 0) + bytes([EOS])
    c['fail-short-name'] = bytes([0, COMPLETE | DEVICE_NAME, 10]) + b'drive0'
    return c


def payloads_of(stream):
    """The dirty-bitmap section payloads of a QEMU 7.2 stream, in order."""
    out, ids = [], set()
    pos = 8

    def chunk_end(p):
        # Walk one dirty-bitmap payload; returns the offset after its EOS.
        while True:
            flags = stream[p]
            p += 1
            if flags & DEVICE_NAME:
                p += 1 + stream[p]
            if flags & BITMAP_NAME:
                p += 1 + stream[p]
            if flags & START:
                p += 5
            elif flags & COMPLETE:
                pass
            elif flags & BITS:
                p += 12
                if not flags & ZEROES:
                    size = struct.unpack_from('>Q', stream, p)[0]
                    p += 8 + size
            if flags & EOS:
                return p

    def walk(p, end):
        while p < end:
            t = stream[p]
            p += 1
            if t == 0x00:
                return
            if t == 0x07:
                p += 4 + struct.unpack_from('>I', stream, p)[0]
                while stream[p] == 0x05:
                    return          # configuration subsections: give up
            elif t == 0x08:
                cmd, ln = struct.unpack_from('>HH', stream, p)
                p += 4
                if cmd == 7:
                    n = struct.unpack_from('>I', stream, p)[0]
                    walk(p + 4, p + 4 + n)
                    p += 4 + n
                else:
                    p += ln
            elif t in (0x01, 0x04):
                sid = struct.unpack_from('>I', stream, p)[0]
                p += 4
                name = stream[p + 1:p + 1 + stream[p]]
                p += 1 + stream[p] + 8
                p = section(name, sid, p)
            elif t in (0x02, 0x03):
                sid = struct.unpack_from('>I', stream, p)[0]
                p += 4
                p = section(b'dirty-bitmap' if sid in ids else b'ram',
                            sid, p)
            else:
                raise ValueError('element 0x%x at %d' % (t, p - 1))

    def section(name, sid, p):
        if name == b'dirty-bitmap':
            ids.add(sid)
            e = chunk_end(p)
            out.append(stream[p:e])
            p = e
        elif name == b'ram':
            while True:
                w = struct.unpack_from('>Q', stream, p)[0]
                p += 8
                if w & 0x10:
                    break
        elif name == b'timer':
            p += 24
        elif name == b'globalstate':
            p += 104
        else:
            raise ValueError('section %r' % name)
        assert stream[p] == 0x7e
        return p + 5

    walk(pos, len(stream))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(here, 'corpus-dirty-bitmap')
    streams = sys.argv[2] if len(sys.argv) > 2 else None
    os.makedirs(outdir, exist_ok=True)

    corpus = generated()
    if streams:
        for fname, opts, size in (('precopy_2bitmaps.bin', 0, 'drive0'),
                                  ('precopy_odd_size.bin', 0, None),
                                  ('precopy_nobitmaps.bin', 0, None),
                                  ('postcopy.s2d.bin', OPT_VM_START, None)):
            with open(os.path.join(streams, fname), 'rb') as f:
                data = f.read()
            body = b''.join(payloads_of(data))
            if fname == 'precopy_odd_size.bin':
                # Captured on a drive0 of 104858112 bytes: that is node1.
                body = body.replace(cstr('drive0'), cstr('node1'))
            name = 'ok-capture-' + fname.replace('.bin', '').replace('_', '-')
            corpus[name] = bytes([opts]) + body

    for name, data in sorted(corpus.items()):
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
