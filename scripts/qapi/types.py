# SPDX-License-Identifier: GPL-2.0-or-later
# QAPI types generator: C enums, structs, lists and their free functions.

from .common import c_name
from .gen import GenPair, module_fname
from .schema import (AlternateType, ArrayType, BuiltinType, EnumType,
                     ObjectType)


def gen_enum(t):
    out = 'typedef enum %s {\n' % t.c_name()
    for v in t.members:
        out += '    %s,\n' % t.const(v)
    out += '    %s,\n} %s;\n\n' % (t.const('_MAX'), t.c_name())
    out += ('#define %s_str(val) \\\n    qapi_enum_lookup(&%s_lookup, (val))'
            '\n\nextern const QEnumLookup %s_lookup;\n\n'
            % (t.c_name(), t.c_name(), t.c_name()))
    return out


def gen_enum_lookup(t):
    out = 'const QEnumLookup %s_lookup = {\n' % t.c_name()
    out += '    .array = (const char *const[]) {\n'
    for v in t.members:
        out += '        [%s] = "%s",\n' % (t.const(v), v)
    out += '    },\n    .size = %s\n};\n\n' % t.const('_MAX')
    return out


def member_decls(members):
    out = ''
    for m in members:
        if m.optional:
            out += '    bool has_%s;\n' % m.c_name()
        out += '    %s%s;\n' % (_decl_type(m.type.c_type()), m.c_name())
    return out


def _decl_type(ctype):
    return ctype if ctype.endswith('*') else ctype + ' '


def _unboxed(t):
    if isinstance(t, ObjectType):
        return t.c_name() + ' '
    return _decl_type(t.c_type())


def gen_struct(t):
    out = 'struct %s {\n' % t.c_name()
    if isinstance(t, AlternateType):
        out += '    QType type;\n'
        out += '    union { /* union tag is @type */\n'
        for v in t.variants.variants:
            out += '        %s%s;\n' % (_unboxed(v.type), v.c_name())
        out += '    } u;\n};\n\n'
        return out
    body = member_decls(t.members)
    if t.variants:
        body += '    union { /* union tag is @%s */\n' \
            % t.variants.tag_member.c_name()
        for v in t.variants.variants:
            body += '        %s%s;\n' % (_unboxed(v.type), v.c_name())
        body += '    } u;\n'
    if not body:
        body = '    char qapi_dummy_for_empty_struct;\n'
    out += body + '};\n\n'
    if t.base is not None and not t.base.is_implicit():
        out += ('static inline %s *qapi_%s_base(const %s *obj)\n'
                '{\n    return (%s *)obj;\n}\n\n'
                % (t.base.c_name(), t.c_name(), t.c_name(),
                   t.base.c_name()))
    return out


def gen_free_decl(name):
    return ('void qapi_free_%s(%s *obj);\n'
            'G_DEFINE_AUTOPTR_CLEANUP_FUNC(%s, qapi_free_%s)\n\n'
            % (name, name, name, name))


def gen_free_def(name):
    # the dealloc visit of one value, for qapi_dealloc_with()
    return ('static void dealloc_%s(Visitor *v, void *obj)\n{\n'
            '    %s *value = obj;\n\n'
            '    visit_type_%s(v, NULL, &value, NULL);\n}\n\n'
            'void qapi_free_%s(%s *obj)\n{\n'
            '    qapi_dealloc_with(obj, dealloc_%s);\n}\n\n'
            % (name, name, name, name, name, name))


def gen_list_struct(elem):
    name = elem.c_name() + 'List'
    return ('struct %s {\n    %s *next;\n    %svalue;\n};\n\n'
            % (name, name, _decl_type(elem.c_type())))


def list_types(schema, module):
    """Element types whose list types live in @module."""
    if module is None:
        return [t for t in schema.builtins] + [schema.qtype_enum]
    return [t for t in schema.module_entities(module)
            if not t.is_implicit()]


def gen_types(schema, prefix, module):
    base = module_fname(prefix, 'types', module, schema)
    visit_h = module_fname(prefix, 'visit', module, schema) + '.h'
    pair = GenPair(base, 'QAPI types for %s'
                   % (module or 'built-in types'))
    h, c = pair.h, pair.c
    if module is None:
        h.preamble = ('#include <jansson.h>\n#include "qapi/util.h"\n'
                      '#include "qapi/qmp/qnull.h"\n')
        c.preamble = ('#include "qemu/osdep.h"\n'
                      '#include "qapi/qapi-builtin-types.h"\n'
                      '#include "qapi/qapi-builtin-visit.h"\n')
        ents = [schema.qtype_enum]
    else:
        h.preamble = '#include "qapi/qapi-builtin-types.h"\n'
        for inc in schema.module_includes.get(module, []):
            h.preamble += '#include "%s.h"\n' \
                % module_fname(prefix, 'types', inc, schema)
        c.preamble = ('#include "qemu/osdep.h"\n'
                      '#include "%s.h"\n#include "%s"\n' % (base, visit_h))
        ents = schema.module_entities(module)
    lists = list_types(schema, module)

    for t in ents:
        if isinstance(t, EnumType):
            h.add(gen_enum(t))
            c.add(gen_enum_lookup(t))
    for t in ents:
        if isinstance(t, (ObjectType, AlternateType)):
            h.add('typedef struct %s %s;\n' % (t.c_name(), t.c_name()))
    for t in lists:
        name = t.c_name() + 'List'
        h.add('typedef struct %s %s;\n' % (name, name))
    h.add('\n')

    done = set()

    def emit(t):
        if t.name in done or t.module != module:
            return
        done.add(t.name)
        if t.base is not None if isinstance(t, ObjectType) else False:
            emit(t.base)
        if getattr(t, 'variants', None):
            for v in t.variants.variants:
                if isinstance(v.type, ObjectType):
                    emit(v.type)
        h.add(gen_struct(t))
        if not t.is_implicit():
            h.add(gen_free_decl(t.c_name()))
            c.add(gen_free_def(t.c_name()))

    for t in ents:
        if isinstance(t, (ObjectType, AlternateType)):
            emit(t)
    for t in lists:
        name = t.c_name() + 'List'
        h.add(gen_list_struct(t))
        h.add(gen_free_decl(name))
        c.add(gen_free_def(name))
    return pair


def gen_types_all(schema, prefix, builtins):
    out = []
    if builtins:
        out.append(gen_types(schema, prefix, None))
    for mod in schema.modules:
        out.append(gen_types(schema, prefix, mod))
    return out


__all__ = ['gen_types_all', 'ArrayType', 'BuiltinType']
