# SPDX-License-Identifier: GPL-2.0-or-later
# QAPI schema model: definitions checked, resolved and ready to generate.

import os
import re

from .common import QAPIError, c_name, c_enum_const

NAME_RE = re.compile(r'^(\*?)([A-Za-z_][A-Za-z0-9_.+-]*)$')

# name -> (C type, JSON type name used for alternates)
BUILTINS = {
    'str': ('char *', 'QTYPE_QSTRING'),
    'number': ('double', 'QTYPE_QNUM'),
    'int': ('int64_t', 'QTYPE_QNUM'),
    'int8': ('int8_t', 'QTYPE_QNUM'),
    'int16': ('int16_t', 'QTYPE_QNUM'),
    'int32': ('int32_t', 'QTYPE_QNUM'),
    'int64': ('int64_t', 'QTYPE_QNUM'),
    'uint8': ('uint8_t', 'QTYPE_QNUM'),
    'uint16': ('uint16_t', 'QTYPE_QNUM'),
    'uint32': ('uint32_t', 'QTYPE_QNUM'),
    'uint64': ('uint64_t', 'QTYPE_QNUM'),
    'size': ('uint64_t', 'QTYPE_QNUM'),
    'bool': ('bool', 'QTYPE_QBOOL'),
    'null': ('QNull *', 'QTYPE_QNULL'),
    'any': ('json_t *', None),
}

QTYPE_VALUES = ['none', 'qnull', 'qnum', 'qstring', 'qdict', 'qlist', 'qbool']


def ifcond_ok(cond, enabled, info):
    """Evaluate an 'if' condition against the set of enabled CONFIG_s."""
    if cond is None:
        return True
    if isinstance(cond, str):
        return cond in enabled
    if isinstance(cond, dict) and len(cond) == 1:
        (op, arg), = cond.items()
        if op == 'not':
            return not ifcond_ok(arg, enabled, info)
        if op in ('all', 'any') and isinstance(arg, list) and arg:
            vals = [ifcond_ok(c, enabled, info) for c in arg]
            return all(vals) if op == 'all' else any(vals)
    raise QAPIError(info, "'if' condition is not well-formed")


def feature_names(expr, info):
    """Names of the features of @expr (strings or {'name': ...})."""
    feats = expr.get('features', [])
    if not isinstance(feats, list):
        raise QAPIError(info, "'features' must be an array")
    names = []
    for f in feats:
        if isinstance(f, dict):
            f = f.get('name')
        if not isinstance(f, str):
            raise QAPIError(info, "'features' entries need a name")
        names.append(f)
    return names


class Entity:
    meta = None

    def __init__(self, name, info, module):
        self.name = name
        self.info = info
        self.module = module

    def c_name(self):
        return c_name(self.name)

    def is_implicit(self):
        return self.name.startswith('q_')


class Type(Entity):
    def c_type(self):
        return c_name(self.name) + ' *'

    def c_param_type(self):
        return self.c_type()

    def c_unboxed_type(self):
        return c_name(self.name)

    def is_pointer(self):
        return True

    def qtype(self):
        return 'QTYPE_QDICT'


class BuiltinType(Type):
    meta = 'built-in'

    def __init__(self, name):
        super().__init__(name, None, None)
        self._ctype, self._qtype = BUILTINS[name]

    def c_name(self):
        return self.name

    def c_type(self):
        return self._ctype

    def c_param_type(self):
        return 'const char *' if self.name == 'str' else self._ctype

    def is_pointer(self):
        return self._ctype.endswith('*')

    def qtype(self):
        return self._qtype

    def visit_fn(self):
        return 'visit_type_' + self.name


class EnumType(Type):
    meta = 'enum'

    def __init__(self, name, info, module, members, prefix):
        super().__init__(name, info, module)
        self.members = members
        self.prefix = prefix

    def c_type(self):
        return c_name(self.name)

    def c_param_type(self):
        return self.c_type()

    def is_pointer(self):
        return False

    def qtype(self):
        return 'QTYPE_QSTRING'

    def const(self, value):
        return c_enum_const(self.name, value, self.prefix)

    def visit_fn(self):
        return 'visit_type_' + c_name(self.name)


class ArrayType(Type):
    meta = 'array'

    def __init__(self, element):
        super().__init__(element.name + 'List', element.info,
                         element.module)
        self.element = element

    def c_name(self):
        return self.element.c_name() + 'List'

    def c_type(self):
        return self.c_name() + ' *'

    def qtype(self):
        return 'QTYPE_QLIST'

    def visit_fn(self):
        return 'visit_type_' + self.c_name()


class Member:
    def __init__(self, name, type_ref, optional, info):
        self.name = name
        self.type_ref = type_ref
        self.type = None
        self.optional = optional
        self.info = info

    def c_name(self):
        return c_name(self.name)


class Variants:
    def __init__(self, tag_name, variants):
        self.tag_name = tag_name
        self.tag_member = None
        self.variants = variants        # list of Member


class ObjectType(Type):
    meta = 'struct'

    def __init__(self, name, info, module, base_ref, members, variants):
        super().__init__(name, info, module)
        self.base_ref = base_ref
        self.base = None
        self.local_members = members
        self.variants = variants
        self.members = None

    def visit_fn(self):
        return 'visit_type_' + c_name(self.name)


class AlternateType(Type):
    meta = 'alternate'

    def __init__(self, name, info, module, variants):
        super().__init__(name, info, module)
        self.variants = variants

    def visit_fn(self):
        return 'visit_type_' + c_name(self.name)


class Command(Entity):
    meta = 'command'

    def __init__(self, name, info, module, arg_ref, ret_ref, expr):
        super().__init__(name, info, module)
        self.arg_ref = arg_ref
        self.ret_ref = ret_ref
        self.arg_type = None
        self.ret_type = None
        self.boxed = expr.get('boxed', False)
        self.gen = expr.get('gen', True)
        self.success_response = expr.get('success-response', True)
        self.allow_oob = expr.get('allow-oob', False)
        self.allow_preconfig = expr.get('allow-preconfig', False)
        self.coroutine = expr.get('coroutine', False)
        self.features = feature_names(expr, info)


class Event(Entity):
    meta = 'event'

    def __init__(self, name, info, module, arg_ref, expr):
        super().__init__(name, info, module)
        self.arg_ref = arg_ref
        self.arg_type = None
        self.boxed = expr.get('boxed', False)


KEYS = {
    'enum': ({'enum', 'data'}, {'prefix', 'if', 'features'}),
    'struct': ({'struct', 'data'}, {'base', 'if', 'features'}),
    'union': ({'union', 'base', 'discriminator', 'data'},
              {'if', 'features'}),
    'alternate': ({'alternate', 'data'}, {'if', 'features'}),
    'command': ({'command'},
                {'data', 'returns', 'boxed', 'if', 'features', 'gen',
                 'success-response', 'allow-oob', 'allow-preconfig',
                 'coroutine'}),
    'event': ({'event'}, {'data', 'boxed', 'if', 'features'}),
}


class Schema:
    def __init__(self, exprs, main_fname, enabled):
        self.enabled = set(enabled)
        self.main_dir = os.path.dirname(os.path.abspath(main_fname))
        self.main_module = self._module_name(main_fname)
        self.modules = [self.main_module]
        self.module_includes = {self.main_module: []}
        self.types = {}
        self.entities = []          # definition order, excluding builtins
        self.commands = []
        self.events = []
        self.builtins = []
        for name in BUILTINS:
            t = BuiltinType(name)
            self.types[name] = t
            self.builtins.append(t)
        qtype = EnumType('QType', None, None, QTYPE_VALUES, 'QTYPE')
        self.types['QType'] = qtype
        self.qtype_enum = qtype
        for expr, info in exprs:
            self._define(expr, info)
        self._resolve()

    def _module_name(self, fname):
        path = os.path.relpath(os.path.abspath(fname), self.main_dir)
        return re.sub(r'\.json$', '', path)

    def _if(self, obj, info):
        if isinstance(obj, dict):
            return ifcond_ok(obj.get('if'), self.enabled, info)
        return True

    def _add_type(self, t):
        if t.name in self.types:
            raise QAPIError(t.info, "'%s' is already defined" % t.name)
        self.types[t.name] = t
        self.entities.append(t)

    def _check_name(self, name, info, what):
        if not isinstance(name, str) or not NAME_RE.match(name) \
           or name.startswith('*'):
            raise QAPIError(info, "%s has an invalid name '%s'"
                            % (what, name))

    def _type_ref(self, ref, info, what):
        if isinstance(ref, list):
            if len(ref) != 1 or not isinstance(ref[0], str):
                raise QAPIError(info, "%s: array type must contain a "
                                "single type name" % what)
            return ref
        if isinstance(ref, dict):
            return ref
        if not isinstance(ref, str):
            raise QAPIError(info, '%s should be a type name' % what)
        return ref

    def _members(self, data, info, owner):
        if not isinstance(data, dict):
            raise QAPIError(info, "'data' of %s should be an object"
                            % owner)
        members = []
        for key, val in data.items():
            m = NAME_RE.match(key)
            if not m:
                raise QAPIError(info, "%s member has an invalid name '%s'"
                                % (owner, key))
            if isinstance(val, dict):
                extra = set(val) - {'type', 'if', 'features'}
                if 'type' not in val or extra:
                    raise QAPIError(info, "member '%s' of %s: needs exactly"
                                    " 'type' and optionally 'if',"
                                    " 'features'" % (key, owner))
                if not self._if(val, info):
                    continue
                val = val['type']
            ref = self._type_ref(val, info, "member '%s' of %s"
                                 % (m.group(2), owner))
            if isinstance(ref, dict):
                raise QAPIError(info, "member '%s' of %s: anonymous "
                                "objects are not allowed here"
                                % (m.group(2), owner))
            members.append(Member(m.group(2), ref, m.group(1) == '*',
                                  info))
        return members

    def _implicit(self, name, data, info, module, owner):
        t = ObjectType(name, info, module, None,
                       self._members(data, info, owner), None)
        self._add_type(t)
        return name

    def _define(self, expr, info):
        if 'include' in expr:
            mod = self._module_name(expr['include'])
            if mod not in self.modules:
                self.modules.append(mod)
                self.module_includes[mod] = []
            incs = self.module_includes.setdefault(
                self._module_name(info.fname), [])
            if mod not in incs:
                incs.append(mod)
            return
        metas = [k for k in KEYS if k in expr]
        if len(metas) != 1:
            raise QAPIError(info, 'expression must have exactly one of '
                            "'enum', 'struct', 'union', 'alternate', "
                            "'command', 'event'")
        meta = metas[0]
        required, optional = KEYS[meta]
        for k in required:
            if k not in expr:
                raise QAPIError(info, "%s '%s' lacks key '%s'"
                                % (meta, expr[meta], k))
        for k in expr:
            if k not in required and k not in optional:
                raise QAPIError(info, "%s '%s' has unknown key '%s'"
                                % (meta, expr[meta], k))
        name = expr[meta]
        self._check_name(name, info, meta)
        if not self._if(expr, info):
            return
        for key in ('boxed', 'gen', 'success-response', 'allow-oob',
                    'allow-preconfig', 'coroutine'):
            if key in expr and not isinstance(expr[key], bool):
                raise QAPIError(info, "flag '%s' of %s '%s' must be a"
                                " boolean" % (key, meta, name))
        module = self._module_name(info.fname)
        what = "%s '%s'" % (meta, name)
        if meta == 'enum':
            data = expr['data']
            if not isinstance(data, list):
                raise QAPIError(info, "'data' of %s must be an array" % what)
            values = []
            for v in data:
                if isinstance(v, dict):
                    if 'name' not in v:
                        raise QAPIError(info, "%s: member lacks 'name'"
                                        % what)
                    if not self._if(v, info):
                        continue
                    v = v['name']
                self._check_name(v, info, "%s member" % what)
                if v in values:
                    raise QAPIError(info, "%s: value '%s' is duplicated"
                                    % (what, v))
                values.append(v)
            prefix = expr.get('prefix')
            if prefix is not None and not isinstance(prefix, str):
                raise QAPIError(info, "%s: 'prefix' must be a string" % what)
            self._add_type(EnumType(name, info, module, values, prefix))
        elif meta == 'struct':
            base = expr.get('base')
            if base is not None and not isinstance(base, str):
                raise QAPIError(info, "%s: 'base' must be a type name" % what)
            self._add_type(ObjectType(name, info, module, base,
                                      self._members(expr['data'], info,
                                                    what), None))
        elif meta == 'union':
            base = expr['base']
            if isinstance(base, dict):
                base = self._implicit('q_obj_%s-base' % name, base, info,
                                      module, what)
            elif not isinstance(base, str):
                raise QAPIError(info, "%s: 'base' must be a type name or"
                                " an object" % what)
            disc = expr['discriminator']
            if not isinstance(disc, str):
                raise QAPIError(info, "%s: 'discriminator' must be a"
                                " string" % what)
            variants = self._branches(expr['data'], info, what)
            self._add_type(ObjectType(name, info, module, base, [],
                                      Variants(disc, variants)))
        elif meta == 'alternate':
            variants = self._branches(expr['data'], info, what)
            if not variants:
                raise QAPIError(info, "%s has no branches" % what)
            t = AlternateType(name, info, module, Variants(None, variants))
            self._add_type(t)
        elif meta == 'command':
            data = expr.get('data')
            if isinstance(data, dict):
                data = self._implicit('q_obj_%s-arg' % name, data, info,
                                      module, what)
            elif data is not None and not isinstance(data, str):
                raise QAPIError(info, "%s: 'data' must be an object or a"
                                " type name" % what)
            ret = expr.get('returns')
            if ret is not None:
                ret = self._type_ref(ret, info, "%s: 'returns'" % what)
                if isinstance(ret, dict):
                    raise QAPIError(info, "%s: 'returns' must be a type"
                                    " name" % what)
            if name in [c.name for c in self.commands]:
                raise QAPIError(info, "'%s' is already defined" % name)
            self.commands.append(Command(name, info, module, data, ret,
                                         expr))
        elif meta == 'event':
            if not re.match(r'^[A-Z0-9_]+$', name):
                raise QAPIError(info, "name of event '%s' must use"
                                " ALL_CAPS" % name)
            data = expr.get('data')
            if isinstance(data, dict):
                data = self._implicit('q_obj_%s-arg' % name, data, info,
                                      module, what)
            elif data is not None and not isinstance(data, str):
                raise QAPIError(info, "%s: 'data' must be an object or a"
                                " type name" % what)
            if name in [e.name for e in self.events]:
                raise QAPIError(info, "'%s' is already defined" % name)
            self.events.append(Event(name, info, module, data, expr))

    def _branches(self, data, info, what):
        if not isinstance(data, dict):
            raise QAPIError(info, "'data' of %s should be an object" % what)
        out = []
        for key, val in data.items():
            self._check_name(key, info, "%s branch" % what)
            if isinstance(val, dict):
                if 'type' not in val or set(val) - {'type', 'if'}:
                    raise QAPIError(info, "%s branch '%s' needs 'type'"
                                    % (what, key))
                if not self._if(val, info):
                    continue
                val = val['type']
            if not isinstance(val, str):
                raise QAPIError(info, "%s branch '%s' must name a type"
                                % (what, key))
            out.append(Member(key, val, False, info))
        return out

    def lookup(self, ref, info, what):
        if isinstance(ref, list):
            elem = self.lookup(ref[0], info, what)
            name = elem.name + 'List'
            if name not in self.types or \
               not isinstance(self.types[name], ArrayType):
                self.types[name] = ArrayType(elem)
            return self.types[name]
        t = self.types.get(ref)
        if t is None or t.is_implicit() and not ref.startswith('q_obj_'):
            raise QAPIError(info, "%s uses unknown type '%s'" % (what, ref))
        return t

    def _resolve(self):
        for t in self.entities:
            if isinstance(t, ObjectType):
                self._resolve_object(t, [])
            elif isinstance(t, AlternateType):
                self._resolve_alternate(t)
        for c in self.commands:
            what = "command '%s'" % c.name
            if c.arg_ref is not None:
                c.arg_type = self.lookup(c.arg_ref, c.info, what)
                if not isinstance(c.arg_type, ObjectType):
                    raise QAPIError(c.info, "%s: 'data' must name a struct"
                                    % what)
                if c.arg_type.variants and not c.boxed:
                    raise QAPIError(c.info, "%s: a union argument needs"
                                    " 'boxed': true" % what)
            elif c.boxed:
                raise QAPIError(c.info, "%s: 'boxed' needs 'data'" % what)
            if c.ret_ref is not None:
                c.ret_type = self.lookup(c.ret_ref, c.info, what)
        for e in self.events:
            what = "event '%s'" % e.name
            if e.arg_ref is not None:
                e.arg_type = self.lookup(e.arg_ref, e.info, what)
                if not isinstance(e.arg_type, ObjectType):
                    raise QAPIError(e.info, "%s: 'data' must name a struct"
                                    % what)
            elif e.boxed:
                raise QAPIError(e.info, "%s: 'boxed' needs 'data'" % what)

    def _resolve_object(self, t, seen):
        if t.members is not None:
            return
        what = "%s '%s'" % ('union' if t.variants else 'struct', t.name)
        if t.name in seen:
            raise QAPIError(t.info, "object %s contains itself" % t.name)
        members = []
        if t.base_ref is not None:
            base = self.lookup(t.base_ref, t.info, what)
            if not isinstance(base, ObjectType) or base.variants:
                raise QAPIError(t.info, "%s: 'base' must name a struct"
                                % what)
            self._resolve_object(base, seen + [t.name])
            t.base = base
            members = list(base.members)
        for m in t.local_members:
            m.type = self.lookup(m.type_ref, m.info, what)
        members += t.local_members
        cnames = {}
        for m in members:
            for cn in (m.c_name(), 'has_' + m.c_name()):
                if cn in cnames and cnames[cn] is not m:
                    raise QAPIError(t.info, "%s: member '%s' collides with"
                                    " member '%s'"
                                    % (what, m.name, cnames[cn].name))
            cnames[m.c_name()] = m
            if m.optional:
                cnames['has_' + m.c_name()] = m
        t.members = members
        if t.variants:
            tag = [m for m in members if m.name == t.variants.tag_name]
            if not tag:
                raise QAPIError(t.info, "%s: discriminator '%s' is not a"
                                " member of 'base'"
                                % (what, t.variants.tag_name))
            tag = tag[0]
            if not isinstance(tag.type, EnumType) or tag.optional:
                raise QAPIError(t.info, "%s: discriminator member '%s' must"
                                " be a mandatory enum"
                                % (what, tag.name))
            t.variants.tag_member = tag
            for v in t.variants.variants:
                if v.name not in tag.type.members:
                    raise QAPIError(t.info, "%s: branch '%s' is not a value"
                                    " of %s" % (what, v.name, tag.type.name))
                v.type = self.lookup(v.type_ref, v.info, what)
                if not isinstance(v.type, ObjectType) or v.type.variants:
                    raise QAPIError(t.info, "%s: branch '%s' must be a"
                                    " struct" % (what, v.name))
                self._resolve_object(v.type, seen + [t.name])

    def _resolve_alternate(self, t):
        what = "alternate '%s'" % t.name
        seen = {}
        for v in t.variants.variants:
            v.type = self.lookup(v.type_ref, v.info, what)
            qt = v.type.qtype()
            if isinstance(v.type, ArrayType) or qt is None:
                raise QAPIError(t.info, "%s: branch '%s' cannot have type"
                                " '%s'" % (what, v.name, v.type.name))
            if isinstance(v.type, AlternateType):
                raise QAPIError(t.info, "%s: branch '%s' cannot be an"
                                " alternate" % (what, v.name))
            if qt in seen:
                raise QAPIError(t.info, "%s: branch '%s' can't be"
                                " distinguished from '%s'"
                                % (what, v.name, seen[qt]))
            seen[qt] = v.name

    def module_entities(self, module):
        return [t for t in self.entities if t.module == module]
