# SPDX-License-Identifier: GPL-2.0-or-later
# QAPI command generator: qmp_FOO() prototypes, marshallers, registration.

from .common import c_name
from .gen import GenFile, GenPair, module_fname
from .visit import visit_fn


def _params(c):
    if c.arg_type is None:
        return ''
    if c.boxed:
        return '%s *arg, ' % c.arg_type.c_name()
    out = ''
    for m in c.arg_type.members:
        if m.optional:
            out += 'bool has_%s, ' % m.c_name()
        ptype = m.type.c_param_type()
        sep = '' if ptype.endswith('*') else ' '
        out += '%s%s%s, ' % (ptype, sep, m.c_name())
    return out


def _args(c):
    if c.arg_type is None:
        return ''
    if c.boxed:
        return '&arg, '
    out = ''
    for m in c.arg_type.members:
        if m.optional:
            out += 'arg.has_%s, ' % m.c_name()
        out += 'arg.%s, ' % m.c_name()
    return out


def _ret_ctype(c):
    return c.ret_type.c_type() if c.ret_type else 'void'


def gen_cmd_decl(c):
    rt = _ret_ctype(c)
    sep = '' if rt.endswith('*') else ' '
    return ('%s%sqmp_%s(%sError **errp);\n'
            'void qmp_marshal_%s(json_t *args, json_t **ret, '
            'Error **errp);\n'
            % (rt, sep, c_name(c.name), _params(c), c_name(c.name)))


def gen_marshal_output(t):
    ct = t.c_type()
    sep = '' if ct.endswith('*') else ' '
    return ('static void qmp_marshal_output_%s(%s%sret_in,\n'
            '                                  json_t **ret_out, '
            'Error **errp)\n{\n    Visitor *v;\n\n'
            '    v = qobject_output_visitor_new(ret_out);\n'
            '    if (%s(v, "unused", &ret_in, errp)) {\n'
            '        visit_complete(v, ret_out);\n    }\n'
            '    visit_free(v);\n    v = qapi_dealloc_visitor_new();\n'
            '    %s(v, "unused", &ret_in, NULL);\n    visit_free(v);\n}\n\n'
            % (t.c_name(), ct, sep, visit_fn(t), visit_fn(t)))


def gen_marshal(c):
    n = c_name(c.name)
    out = ('void qmp_marshal_%s(json_t *args, json_t **ret, Error **errp)\n'
           '{\n    Error *err = NULL;\n    bool ok = false;\n'
           '    Visitor *v;\n' % n)
    if c.arg_type is not None:
        out += '    %s arg = {0};\n' % c.arg_type.c_name()
    if c.ret_type is not None:
        ct = c.ret_type.c_type()
        out += '    %s%sretval;\n' % (ct, '' if ct.endswith('*') else ' ')
    out += ('\n    v = qobject_input_visitor_new(args);\n'
            '    if (!visit_start_struct(v, NULL, NULL, 0, errp)) {\n'
            '        goto out;\n    }\n')
    if c.arg_type is not None:
        out += ('    if (visit_type_%s_members(v, &arg, errp)) {\n'
                '        ok = visit_check_struct(v, errp);\n    }\n'
                % c.arg_type.c_name())
    else:
        out += '    ok = visit_check_struct(v, errp);\n'
    out += ('    visit_end_struct(v, NULL);\n    if (!ok) {\n'
            '        goto out;\n    }\n\n')
    call = 'qmp_%s(%s&err);\n' % (n, _args(c))
    out += ('    retval = ' if c.ret_type else '    ') + call
    out += ('    error_propagate(errp, err);\n    if (err) {\n'
            '        goto out;\n    }\n')
    if c.ret_type is not None:
        out += ('\n    qmp_marshal_output_%s(retval, ret, errp);\n'
                % c.ret_type.c_name())
    out += ('\nout:\n    visit_free(v);\n'
            '    v = qapi_dealloc_visitor_new();\n'
            '    visit_start_struct(v, NULL, NULL, 0, NULL);\n')
    if c.arg_type is not None:
        out += ('    visit_type_%s_members(v, &arg, NULL);\n'
                % c.arg_type.c_name())
    out += '    visit_end_struct(v, NULL);\n    visit_free(v);\n}\n\n'
    return out


def gen_commands(schema, prefix, module):
    base = module_fname(prefix, 'commands', module, schema)
    pair = GenPair(base, 'QAPI commands for %s' % module)
    h, c = pair.h, pair.c
    h.preamble = ('#include "%s.h"\n'
                  % module_fname(prefix, 'types', module, schema))
    for inc in schema.module_includes.get(module, []):
        h.preamble += '#include "%s.h"\n' \
            % module_fname(prefix, 'commands', inc, schema)
    c.preamble = ('#include "qemu/osdep.h"\n#include "qapi/error.h"\n'
                  '#include "qapi/visitor.h"\n'
                  '#include "qapi/qobject-input-visitor.h"\n'
                  '#include "qapi/qobject-output-visitor.h"\n'
                  '#include "qapi/dealloc-visitor.h"\n'
                  '#include "%s.h"\n#include "%s.h"\n'
                  % (module_fname(prefix, 'visit', module, schema), base))
    outputs = set()
    for cmd in schema.commands:
        if cmd.module != module or not cmd.gen:
            continue
        h.add(gen_cmd_decl(cmd))
        rt = cmd.ret_type
        if rt is not None and rt.c_name() not in outputs:
            outputs.add(rt.c_name())
            c.add(gen_marshal_output(rt))
        c.add(gen_marshal(cmd))
    return pair


def gen_init_commands(schema, prefix):
    base = '%sqapi-init-commands' % prefix
    pair = GenPair(base, 'QAPI command registration')
    fn = c_name(prefix + 'qmp_init_marshal', False)
    pair.h.preamble = '#include "qapi/qmp/dispatch.h"\n'
    pair.h.add('void %s(QmpCommandList *cmds);\n' % fn)
    pair.c.preamble = ('#include "qemu/osdep.h"\n#include "%s.h"\n'
                       '#include "%s.h"\n'
                       % (module_fname(prefix, 'commands',
                                       schema.main_module, schema), base))
    body = 'void %s(QmpCommandList *cmds)\n{\n' % fn
    body += '    qmp_command_list_init(cmds);\n'
    for cmd in schema.commands:
        if not cmd.gen:
            continue
        opts = []
        if not cmd.success_response:
            opts.append('QCO_NO_SUCCESS_RESP')
        if cmd.allow_oob:
            opts.append('QCO_ALLOW_OOB')
        if cmd.allow_preconfig:
            opts.append('QCO_ALLOW_PRECONFIG')
        if cmd.coroutine:
            opts.append('QCO_COROUTINE')
        special = ['1u << QAPI_%s' % f.upper() for f in cmd.features
                   if f in ('deprecated', 'unstable')]
        body += ('    qmp_register_command(cmds, "%s",\n'
                 '                         qmp_marshal_%s, %s, %s);\n'
                 % (cmd.name, c_name(cmd.name),
                    ' | '.join(opts) or 'QCO_NO_OPTIONS',
                    ' | '.join(special) or '0'))
    body += '}\n'
    pair.c.add(body)
    return pair


def gen_commands_all(schema, prefix):
    out = [gen_commands(schema, prefix, m) for m in schema.modules]
    out.append(gen_init_commands(schema, prefix))
    return out


__all__ = ['gen_commands_all', 'GenFile']
