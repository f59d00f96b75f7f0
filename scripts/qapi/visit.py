# SPDX-License-Identifier: GPL-2.0-or-later
# QAPI visitor generator: visit_type_FOO() and visit_type_FOO_members().

from .common import c_name
from .gen import GenPair, module_fname
from .schema import AlternateType, EnumType, ObjectType
from .types import list_types


def visit_fn(t):
    if isinstance(t, (EnumType, ObjectType, AlternateType)):
        return 'visit_type_' + t.c_name()
    if hasattr(t, 'element'):
        return 'visit_type_' + t.c_name()
    return 'visit_type_' + t.name


def gen_members_decl(t):
    return ('bool visit_type_%s_members(Visitor *v, %s *obj, Error **errp);'
            '\n' % (t.c_name(), t.c_name()))


def gen_visit_decl(name, ctype):
    return ('bool visit_type_%s(Visitor *v, const char *name,\n'
            '                 %s obj, Error **errp);\n' % (name, ctype))


def _visit_member(m, indent='    '):
    call = '%s(v, "%s", &obj->%s, errp)' % (visit_fn(m.type), m.name,
                                            m.c_name())
    body = ('%sif (!%s) {\n%s    return false;\n%s}\n'
            % (indent, call, indent, indent))
    if not m.optional:
        return body
    return ('%sif (visit_optional(v, "%s", &obj->has_%s)) {\n%s%s}\n'
            % (indent, m.name, m.c_name(),
               ''.join('    ' + ln for ln in body.splitlines(True)),
               indent))


def gen_members_def(t):
    out = ('bool visit_type_%s_members(Visitor *v, %s *obj, Error **errp)\n'
           '{\n' % (t.c_name(), t.c_name()))
    if t.base is not None:
        out += ('    if (!visit_type_%s_members(v, (%s *)obj, errp)) {\n'
                '        return false;\n    }\n'
                % (t.base.c_name(), t.base.c_name()))
    for m in t.local_members:
        out += _visit_member(m)
    if t.variants:
        tag = t.variants.tag_member
        out += '    switch (obj->%s) {\n' % tag.c_name()
        for v in t.variants.variants:
            out += ('    case %s:\n        return visit_type_%s_members(v, '
                    '&obj->u.%s, errp);\n'
                    % (tag.type.const(v.name), v.type.c_name(), v.c_name()))
        out += '    default:\n        break;\n    }\n'
    out += '    return true;\n}\n\n'
    return out


def _gen_free_wrapper(n):
    # qapi_free_FOO() as a QapiFreeFunc
    return ('static void free_%s(void *obj)\n{\n'
            '    qapi_free_%s(obj);\n}\n\n' % (n, n))


def gen_object_def(t):
    n = t.c_name()
    return (_gen_free_wrapper(n)
            + 'static bool members_%s(Visitor *v, void *obj, Error **errp)\n'
            '{\n    return visit_type_%s_members(v, obj, errp);\n}\n\n'
            'bool visit_type_%s(Visitor *v, const char *name,\n'
            '                 %s **obj, Error **errp)\n{\n'
            '    return visit_object(v, name, (void **)obj, sizeof(%s),\n'
            '                        members_%s, free_%s, errp);\n}\n\n'
            % (n, n, n, n, n, n, n))


def gen_enum_def(t):
    n = t.c_name()
    return ('bool visit_type_%s(Visitor *v, const char *name,\n'
            '                 %s *obj, Error **errp)\n{\n'
            '    int value = *obj;\n\n'
            '    if (!visit_type_enum(v, name, &value, &%s_lookup, errp)) {\n'
            '        return false;\n    }\n'
            '    *obj = value;\n    return true;\n}\n\n' % (n, n, n))


def gen_list_def(elem):
    n = elem.c_name() + 'List'
    return (_gen_free_wrapper(n)
            + 'static bool element_%s(Visitor *v, GenericList *node, '
            'Error **errp)\n'
            '{\n    return %s(v, NULL, &((%s *)node)->value, errp);\n}\n\n'
            'bool visit_type_%s(Visitor *v, const char *name,\n'
            '                 %s **obj, Error **errp)\n{\n'
            '    return visit_list(v, name, (GenericList **)obj, '
            'sizeof(**obj),\n'
            '                      element_%s, free_%s, errp);\n}\n\n'
            % (n, visit_fn(elem), n, n, n, n, n))


def _gen_branch_case(v):
    out = '    case %s:\n' % v.type.qtype()
    if not isinstance(v.type, ObjectType):
        return out + ('        return %s(v, name, &alt->u.%s, errp);\n'
                      % (visit_fn(v.type), v.c_name()))
    # the branch's members sit in the alternate, their object in the input
    return out + ('        if (!visit_start_struct(v, name, NULL, 0, errp)) {\n'
                  '            return false;\n        }\n'
                  '        ok = visit_type_%s_members(v, &alt->u.%s, errp) &&\n'
                  '             visit_check_struct(v, errp);\n'
                  '        visit_end_struct(v, NULL);\n'
                  '        return ok;\n' % (v.type.c_name(), v.c_name()))


def gen_alternate_def(t):
    n = t.c_name()
    out = _gen_free_wrapper(n)
    out += ('static bool branch_%s(Visitor *v, const char *name,\n'
            '                 GenericAlternate **obj, Error **errp)\n{\n'
            '    %s *alt = (%s *)*obj;\n' % (n, n, n))
    if any(isinstance(v.type, ObjectType) for v in t.variants.variants):
        out += '    bool ok;\n'
    out += '\n    switch (alt->type) {\n'
    for v in t.variants.variants:
        out += _gen_branch_case(v)
    out += ('    default:\n'
            '        return visit_alternate_mismatch(v, name, obj, "%s", '
            'errp);\n    }\n}\n\n' % t.name)
    out += ('bool visit_type_%s(Visitor *v, const char *name,\n'
            '                 %s **obj, Error **errp)\n{\n'
            '    return visit_alternate(v, name, (GenericAlternate **)obj,\n'
            '                           sizeof(**obj), branch_%s, free_%s, '
            'errp);\n}\n\n' % (n, n, n, n))
    return out


def gen_visit(schema, prefix, module):
    base = module_fname(prefix, 'visit', module, schema)
    types_h = module_fname(prefix, 'types', module, schema) + '.h'
    pair = GenPair(base, 'QAPI visitors for %s'
                   % (module or 'built-in types'))
    h, c = pair.h, pair.c
    h.preamble = '#include "qapi/qapi-builtin-visit.h"\n'
    if module is None:
        h.preamble = ('#include "qapi/visitor.h"\n'
                      '#include "qapi/qapi-builtin-types.h"\n')
        ents = [schema.qtype_enum]
    else:
        h.preamble += '#include "%s"\n' % types_h
        for inc in schema.module_includes.get(module, []):
            h.preamble += '#include "%s.h"\n' \
                % module_fname(prefix, 'visit', inc, schema)
        ents = schema.module_entities(module)
    c.preamble = ('#include "qemu/osdep.h"\n#include "qapi/error.h"\n'
                  '#include "qapi/qmp/qerror.h"\n#include "%s.h"\n' % base)
    for t in ents:
        if isinstance(t, EnumType):
            h.add(gen_visit_decl(t.c_name(), t.c_name() + ' *'))
            c.add(gen_enum_def(t))
        elif isinstance(t, ObjectType):
            h.add(gen_members_decl(t))
            c.add(gen_members_def(t))
            if not t.is_implicit():
                h.add(gen_visit_decl(t.c_name(), t.c_name() + ' **'))
                c.add(gen_object_def(t))
        elif isinstance(t, AlternateType):
            h.add(gen_visit_decl(t.c_name(), t.c_name() + ' **'))
            c.add(gen_alternate_def(t))
    for t in list_types(schema, module):
        n = t.c_name() + 'List'
        h.add(gen_visit_decl(n, n + ' **'))
        c.add(gen_list_def(t))
    return pair


def gen_visit_all(schema, prefix, builtins):
    out = []
    if builtins:
        out.append(gen_visit(schema, prefix, None))
    for mod in schema.modules:
        out.append(gen_visit(schema, prefix, mod))
    return out
