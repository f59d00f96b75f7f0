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


def gen_object_def(t):
    n = t.c_name()
    return ('bool visit_type_%s(Visitor *v, const char *name,\n'
            '                 %s **obj, Error **errp)\n{\n'
            '    bool ok = false;\n\n'
            '    if (!visit_start_struct(v, name, (void **)obj, '
            'sizeof(%s), errp)) {\n        return false;\n    }\n'
            '    if (!*obj) {\n        /* incomplete */\n'
            '        assert(visit_is_dealloc(v));\n        ok = true;\n'
            '        goto out_obj;\n    }\n'
            '    if (!visit_type_%s_members(v, *obj, errp)) {\n'
            '        goto out_obj;\n    }\n'
            '    ok = visit_check_struct(v, errp);\nout_obj:\n'
            '    visit_end_struct(v, (void **)obj);\n'
            '    if (!ok && visit_is_input(v)) {\n'
            '        qapi_free_%s(*obj);\n        *obj = NULL;\n    }\n'
            '    return ok;\n}\n\n' % (n, n, n, n, n))


def gen_enum_def(t):
    n = t.c_name()
    return ('bool visit_type_%s(Visitor *v, const char *name,\n'
            '                 %s *obj, Error **errp)\n{\n'
            '    int value = *obj;\n'
            '    bool ok = visit_type_enum(v, name, &value, &%s_lookup, errp);'
            '\n    *obj = value;\n    return ok;\n}\n\n' % (n, n, n))


def gen_list_def(elem):
    n = elem.c_name() + 'List'
    return ('bool visit_type_%s(Visitor *v, const char *name,\n'
            '                 %s **obj, Error **errp)\n{\n'
            '    bool ok = false;\n    %s *tail;\n'
            '    size_t size = sizeof(**obj);\n\n'
            '    if (!visit_start_list(v, name, (GenericList **)obj, size, '
            'errp)) {\n        return false;\n    }\n\n'
            '    for (tail = *obj; tail;\n'
            '         tail = (%s *)visit_next_list(v, (GenericList *)tail, '
            'size)) {\n'
            '        if (!%s(v, NULL, &tail->value, errp)) {\n'
            '            goto out_obj;\n        }\n    }\n\n'
            '    ok = visit_check_list(v, errp);\nout_obj:\n'
            '    visit_end_list(v, (void **)obj);\n'
            '    if (!ok && visit_is_input(v)) {\n'
            '        qapi_free_%s(*obj);\n        *obj = NULL;\n    }\n'
            '    return ok;\n}\n\n' % (n, n, n, n, visit_fn(elem), n))


def gen_alternate_def(t):
    n = t.c_name()
    out = ('bool visit_type_%s(Visitor *v, const char *name,\n'
           '                 %s **obj, Error **errp)\n{\n'
           '    bool ok = false;\n\n'
           '    if (!visit_start_alternate(v, name, (GenericAlternate **)obj,'
           '\n                               sizeof(**obj), errp)) {\n'
           '        return false;\n    }\n'
           '    if (!*obj) {\n        /* incomplete */\n'
           '        assert(visit_is_dealloc(v));\n        ok = true;\n'
           '        goto out_obj;\n    }\n'
           '    switch ((*obj)->type) {\n' % (n, n))
    for v in t.variants.variants:
        out += '    case %s:\n' % v.type.qtype()
        if isinstance(v.type, ObjectType):
            out += ('        if (!visit_start_struct(v, name, NULL, 0, errp))'
                    ' {\n            break;\n        }\n'
                    '        if (visit_type_%s_members(v, &(*obj)->u.%s, '
                    'errp)) {\n'
                    '            ok = visit_check_struct(v, errp);\n'
                    '        }\n        visit_end_struct(v, NULL);\n'
                    % (v.type.c_name(), v.c_name()))
        else:
            out += ('        ok = %s(v, name, &(*obj)->u.%s, errp);\n'
                    % (visit_fn(v.type), v.c_name()))
        out += '        break;\n'
    out += ('    case QTYPE_NONE:\n        abort();\n'
            '    default:\n        assert(visit_is_input(v));\n'
            '        error_setg(errp, QERR_INVALID_PARAMETER_TYPE,\n'
            '                   name ? name : "null", "%s");\n'
            '        /* Avoid passing invalid *obj to qapi_free_%s() */\n'
            '        g_free(*obj);\n        *obj = NULL;\n    }\n'
            'out_obj:\n    visit_end_alternate(v, (void **)obj);\n'
            '    if (!ok && visit_is_input(v)) {\n'
            '        qapi_free_%s(*obj);\n        *obj = NULL;\n    }\n'
            '    return ok;\n}\n\n' % (t.name, n, n))
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
