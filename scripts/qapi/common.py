# SPDX-License-Identifier: GPL-2.0-or-later
# QAPI generator helpers: errors, C name mangling, code-text helpers.

import re


class QAPIError(Exception):
    """An error in the schema, reported as 'file:line: message'."""

    def __init__(self, info, msg):
        super().__init__(msg)
        self.info = info
        self.msg = msg

    def __str__(self):
        if self.info is None:
            return 'qapi-gen: ' + self.msg
        return '%s: %s' % (self.info, self.msg)


class SourceInfo:
    """Where a definition comes from: file, line, including file."""

    def __init__(self, fname, line, parent=None):
        self.fname = fname
        self.line = line
        self.parent = parent

    def __str__(self):
        return '%s:%d' % (self.fname, self.line)


_C_WORDS = set('''
auto break case char const continue default do double else enum extern
float for goto if int long register return short signed sizeof static
struct switch typedef union unsigned void volatile while
inline restrict _Bool _Complex _Imaginary
_Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert _Thread_local
asm typeof
bool catch class const_cast delete dynamic_cast explicit false friend
mutable namespace new operator private protected public reinterpret_cast
static_cast template this throw true try typeid typename using virtual
wchar_t and and_eq bitand bitor compl not not_eq or or_eq xor xor_eq
unix errno mips sparc i386 linux
'''.split())


def c_name(name, protect=True):
    """Map a QAPI name to a C identifier, as QEMU does."""
    name = re.sub(r'[^A-Za-z0-9_]', '_', name)
    if protect and (name in _C_WORDS or name[0].isdigit()):
        return 'q_' + name
    return name


def camel_to_upper(value):
    """'BlockdevDriver' -> 'BLOCKDEV_DRIVER' (QEMU's enum prefix rule)."""
    cname = c_name(value, False)
    if value.isupper():
        return cname
    out = ''
    for i, ch in enumerate(cname):
        if ch.isupper() and i > 0 and cname[i - 1] != '_':
            if i < len(cname) - 1 and cname[i + 1].islower():
                out += '_'
            elif cname[i - 1].isdigit():
                out += '_'
        out += ch
    return out.lstrip('_').upper()


def c_enum_const(type_name, const_name, prefix=None):
    if prefix is not None:
        return prefix + '_' + c_name(const_name, False).upper()
    return camel_to_upper(type_name) + '_' + c_name(const_name, False).upper()


def guardname(filename):
    return re.sub(r'[^A-Za-z0-9_]', '_', filename).upper()


def indent(text, n=4):
    pad = ' ' * n
    return ''.join(pad + line if line.strip() else line
                   for line in text.splitlines(True))
