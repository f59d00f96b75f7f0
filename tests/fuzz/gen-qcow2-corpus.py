#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Generate tests/fuzz/corpus-qcow2/: qcow2 images made by qemu-img.
"""Write the seed corpus of fuzz-qcow2-open.

Valid images come from qemu-img and qemu-io of QEMU 7.2 (small cluster
sizes keep the files small); damaged ones patch a field of a valid image
with bitmaps. The prefix of a file's name says whether the open must
succeed ("ok-") or fail ("fail-"). Files named "*-found-*" are inputs the
fuzzer found and are kept as they are (this script does not remake them).

Usage: gen-qcow2-corpus.py [OUTDIR]
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile

EXT_BITMAPS = 0x23852875


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def make(tmp, name, size='1M', opts='', bitmaps=(), io=(), snapshot=False,
         disable=()):
    """A qcow2 image in @tmp; returns its path."""
    path = os.path.join(tmp, name)
    cmd = ['qemu-img', 'create', '-f', 'qcow2']
    if opts:
        cmd += ['-o', opts]
    run(*cmd, path, size)
    for b in bitmaps:
        gran = []
        if ':' in b:
            b, g = b.split(':')
            gran = ['-g', g]
        run('qemu-img', 'bitmap', '--add', *gran, path, b)
    if io:
        args = []
        for c in io:
            args += ['-c', c]
        run('qemu-io', '-f', 'qcow2', *args, path)
    for b in disable:
        run('qemu-img', 'bitmap', '--disable', path, b)
    if snapshot:
        run('qemu-img', 'snapshot', '-c', 's1', path)
    return path


def bitmaps_ext(img):
    """Offset of the bitmaps extension's data in @img."""
    pos = struct.unpack_from('>I', img, 100)[0]
    while True:
        typ, length = struct.unpack_from('>II', img, pos)
        if typ == EXT_BITMAPS:
            return pos + 8
        if typ == 0:
            raise ValueError('no bitmaps extension')
        pos += 8 + (length + 7) // 8 * 8


def patched(img, edits):
    """@img with (where, format, value) edits; where is an offset or a
    (base, offset) pair with base 'exts' (the first extension), 'ext'
    (the bitmaps extension's data), 'dir' or 'table'."""
    out = bytearray(img)
    ext = bitmaps_ext(img)
    dir_off = struct.unpack_from('>Q', img, ext + 16)[0]
    table = struct.unpack_from('>Q', img, dir_off)[0]
    bases = {'ext': ext, 'dir': dir_off, 'table': table,
             'exts': struct.unpack_from('>I', img, 100)[0]}
    for where, fmt, value in edits:
        if isinstance(where, tuple):
            where = bases[where[0]] + where[1]
        struct.pack_into('>' + fmt, out, where, value)
    return bytes(out)


IO = ('write -P 0x11 0 8k', 'write -z 64k 16k', 'write 300k 1',
      'discard 4k 4k')

HOSTILE = {
    'magic': [(0, 'I', 0)],
    'version': [(4, 'I', 4)],
    'cluster-bits': [(20, 'I', 30)],
    'header-length': [(100, 'I', 0x10000)],
    'incompatible': [(72, 'Q', 1 << 40)],
    'refcount-order': [(96, 'I', 9)],
    'reftable-size': [(56, 'I', 0x10000)],
    'reftable-offset': [(48, 'Q', 0x1001)],
    'l1-size': [(36, 'I', 0)],
    'l1-offset': [(40, 'Q', 0x1003)],
    'size': [(24, 'Q', 1 << 62)],
    'snapshots': [(60, 'I', 1 << 20)],
    'ext-length': [(('exts', 4), 'I', 0xffff)],
    'bitmaps-count': [(('ext', 0), 'I', 0)],
    'bitmaps-dir-size': [(('ext', 8), 'Q', 1 << 40)],
    'bitmaps-dir-offset': [(('ext', 16), 'Q', 0x123)],
    'bitmap-granularity': [(('dir', 17), 'B', 60)],
    'bitmap-name-size': [(('dir', 18), 'H', 0)],
    'bitmap-table-size': [(('dir', 8), 'I', 99)],
    'bitmap-table-entry': [(('table', 0), 'Q', 0x1234)],
    # found by the fuzzer: the header was rewritten before the failure
    'autoclear-then-bad-bitmap': [(88, 'Q', (1 << 5) | 1),
                                  (('dir', 17), 'B', 60)],
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'corpus-qcow2')
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        images = {
            'ok-v3-512': make(tmp, 'a', opts='cluster_size=512', io=IO),
            'ok-v2-1k': make(tmp, 'b', opts='cluster_size=1024,compat=0.10',
                             io=IO),
            'ok-refcount-1': make(tmp, 'c', opts='cluster_size=512,'
                                  'refcount_bits=1', io=IO),
            'ok-refcount-64': make(tmp, 'd', opts='cluster_size=512,'
                                   'refcount_bits=64', io=IO),
            'ok-lazy': make(tmp, 'e', opts='cluster_size=2048,'
                            'lazy_refcounts=on', io=IO),
            'ok-snapshot': make(tmp, 'f', opts='cluster_size=1024',
                                io=IO, snapshot=True),
            'ok-bitmaps': make(tmp, 'g', size='4M', opts='cluster_size=4096',
                               bitmaps=('b0', 'b1:512', 'b2:1M'), io=IO,
                               disable=('b2',)),
            'ok-bitmaps-512': make(tmp, 'h', opts='cluster_size=512',
                                   bitmaps=('x', 'y:4096'), io=IO),
        }
        raw = os.path.join(tmp, 'raw')
        run('qemu-img', 'create', '-f', 'raw', raw, '256k')
        run('qemu-io', '-f', 'raw', '-c', 'write -P 0x41 0 100k', raw)
        images['ok-compressed'] = os.path.join(tmp, 'i')
        run('qemu-img', 'convert', '-c', '-f', 'raw', '-O', 'qcow2', '-o',
            'cluster_size=1024', raw, images['ok-compressed'])
        # lazy refcounts and a crash (qemu-io's abort): dirty, repaired
        images['ok-dirty'] = make(tmp, 'j', opts='cluster_size=1024,'
                                  'lazy_refcounts=on', bitmaps=('d',),
                                  io=IO)
        subprocess.run(['qemu-io', '-f', 'qcow2', '-c', 'write 20k 5k',
                        '-c', 'abort', images['ok-dirty']],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name, path in sorted(images.items()):
            shutil.copy(path, os.path.join(out, name))
        with open(images['ok-bitmaps-512'], 'rb') as f:
            base = f.read()
        in_use = patched(base, [(('dir', 12), 'I', 3)])
        with open(os.path.join(out, 'ok-bitmap-in-use'), 'wb') as f:
            f.write(in_use)
        # found by the fuzzer: an empty extension (memcpy from NULL)
        with_empty = bytearray(base)
        end = bitmaps_ext(base) + 24
        with_empty[end:end + 16] = struct.pack('>II', 0x1234, 0) + bytes(8)
        with open(os.path.join(out, 'ok-empty-extension'), 'wb') as f:
            f.write(bytes(with_empty))
        for name, edits in sorted(HOSTILE.items()):
            with open(os.path.join(out, 'fail-' + name), 'wb') as f:
                f.write(patched(base, edits))


if __name__ == '__main__':
    main()
