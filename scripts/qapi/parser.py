# SPDX-License-Identifier: GPL-2.0-or-later
# QAPI schema parser: schema files to a list of (expression, SourceInfo).

import os

from .common import QAPIError, SourceInfo


class SchemaParser:
    """Parse one schema file and, recursively, the files it includes.

    The syntax is QEMU's: JSON objects and arrays, strings in single
    quotes, 'true'/'false', '#' comments to the end of the line.
    """

    def __init__(self, fname, included=None, parent=None):
        self.fname = fname
        self.included = included if included is not None else set()
        self.included.add(os.path.abspath(fname))
        try:
            with open(fname, encoding='utf-8') as f:
                self.src = f.read()
        except OSError as e:
            raise QAPIError(parent, "can't read schema file '%s': %s"
                            % (fname, e.strerror))
        self.parent = parent
        self.pos = 0
        self.line = 1
        self.exprs = []
        self._parse_file()

    def _err(self, msg):
        return QAPIError(SourceInfo(self.fname, self.line, self.parent), msg)

    def _skip_ws(self):
        src = self.src
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == '\n':
                self.line += 1
                self.pos += 1
            elif ch in ' \t\r':
                self.pos += 1
            elif ch == '#':
                end = src.find('\n', self.pos)
                self.pos = len(src) if end < 0 else end
            else:
                return

    def _value(self, depth=0):
        if depth > 64:
            raise self._err('expression nested too deeply')
        self._skip_ws()
        if self.pos >= len(self.src):
            raise self._err('expected value, got end of file')
        ch = self.src[self.pos]
        if ch == '{':
            return self._object(depth)
        if ch == '[':
            return self._array(depth)
        if ch == "'":
            return self._string()
        for word, val in (('true', True), ('false', False)):
            if self.src.startswith(word, self.pos):
                self.pos += len(word)
                return val
        raise self._err("stray '%s'" % ch)

    def _string(self):
        self.pos += 1
        out = ''
        while True:
            if self.pos >= len(self.src) or self.src[self.pos] == '\n':
                raise self._err('missing terminating "\'"')
            ch = self.src[self.pos]
            self.pos += 1
            if ch == "'":
                return out
            if ch == '\\':
                if self.pos >= len(self.src):
                    raise self._err('missing terminating "\'"')
                esc = self.src[self.pos]
                self.pos += 1
                if esc not in "\\/'\"":
                    raise self._err("unknown escape \\%s" % esc)
                ch = esc
            out += ch

    def _expect(self, ch):
        self._skip_ws()
        if self.pos >= len(self.src) or self.src[self.pos] != ch:
            got = self.src[self.pos] if self.pos < len(self.src) else 'EOF'
            raise self._err("expected '%s', got '%s'" % (ch, got))
        self.pos += 1

    def _peek(self):
        self._skip_ws()
        return self.src[self.pos] if self.pos < len(self.src) else ''

    def _object(self, depth):
        self.pos += 1
        obj = {}
        if self._peek() == '}':
            self.pos += 1
            return obj
        while True:
            if self._peek() != "'":
                raise self._err('expected string key')
            key = self._string()
            if key in obj:
                raise self._err("duplicate key '%s'" % key)
            self._expect(':')
            obj[key] = self._value(depth + 1)
            nxt = self._peek()
            self.pos += 1
            if nxt == '}':
                return obj
            if nxt != ',':
                self.pos -= 1
                raise self._err("expected ',' or '}'")

    def _array(self, depth):
        self.pos += 1
        arr = []
        if self._peek() == ']':
            self.pos += 1
            return arr
        while True:
            arr.append(self._value(depth + 1))
            nxt = self._peek()
            self.pos += 1
            if nxt == ']':
                return arr
            if nxt != ',':
                self.pos -= 1
                raise self._err("expected ',' or ']'")

    def _parse_file(self):
        while True:
            self._skip_ws()
            if self.pos >= len(self.src):
                return
            info = SourceInfo(self.fname, self.line, self.parent)
            if self.src[self.pos] != '{':
                raise self._err('expected an object at top level')
            expr = self._value()
            if 'include' in expr:
                if len(expr) != 1:
                    raise QAPIError(info, "invalid 'include' directive")
                inc = expr['include']
                if not isinstance(inc, str):
                    raise QAPIError(info,
                                    "value of 'include' must be a string")
                path = os.path.join(os.path.dirname(self.fname), inc)
                self.exprs.append(({'include': path}, info))
                if os.path.abspath(path) in self.included:
                    continue
                sub = SchemaParser(path, self.included, info)
                self.exprs.extend(sub.exprs)
            elif 'pragma' in expr:
                if len(expr) != 1:
                    raise QAPIError(info, "invalid 'pragma' directive")
                if not isinstance(expr['pragma'], dict):
                    raise QAPIError(info,
                                    "value of 'pragma' must be an object")
            else:
                self.exprs.append((expr, info))
