# SPDX-License-Identifier: GPL-2.0-or-later
# qapi-gen entry point: parse arguments, generate all outputs.

import argparse
import os
import sys

from .common import QAPIError
from .commands import gen_commands_all
from .events import gen_events_all
from .parser import SchemaParser
from .schema import Schema
from .types import gen_types_all
from .visit import gen_visit_all

# 'if' conditions that are true, as in QEMU 7.2's Debian build for Linux
# hosts, so enums list the same values (e.g. BlockdevDriver).  Everything
# else is false: definitions and members under a false condition are left
# out of the generated code (QEMU wraps them in #if instead).
DEFAULT_ENABLED = ['CONFIG_POSIX', 'CONFIG_LINUX', 'CONFIG_LINUX_IO_URING',
                   'CONFIG_REPLICATION', 'CONFIG_ZSTD',
                   'HAVE_HOST_BLOCK_DEVICE']


def generate(schema_file, outdir, prefix, builtins, enabled):
    parser = SchemaParser(schema_file)
    schema = Schema(parser.exprs, schema_file, enabled)
    pairs = gen_types_all(schema, prefix, builtins)
    pairs += gen_visit_all(schema, prefix, builtins)
    pairs += gen_commands_all(schema, prefix)
    pairs += gen_events_all(schema, prefix)
    os.makedirs(outdir, exist_ok=True)
    for pair in pairs:
        for f in pair.files():
            f.write(outdir)
    return [f.fname for p in pairs for f in p.files()]


def main(argv=None):
    ap = argparse.ArgumentParser(
        description='Generate C code from a QAPI schema.')
    ap.add_argument('-b', '--builtins', action='store_true',
                    help='generate code for built-in types')
    ap.add_argument('-o', '--output-dir', default='',
                    help='write output to directory OUTPUT_DIR')
    ap.add_argument('-p', '--prefix', default='',
                    help='prefix for symbols and file names')
    ap.add_argument('-D', '--enable', action='append', default=[],
                    metavar='CONFIG_X',
                    help="treat 'if' condition CONFIG_X as true")
    ap.add_argument('--list', action='store_true',
                    help='print the names of the generated files')
    ap.add_argument('schema')
    args = ap.parse_args(argv)
    try:
        files = generate(args.schema, args.output_dir or '.', args.prefix,
                         args.builtins, DEFAULT_ENABLED + args.enable)
    except QAPIError as e:
        print(str(e), file=sys.stderr)
        return 1
    if args.list:
        print('\n'.join(files))
    return 0
