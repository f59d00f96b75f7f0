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
    # the result's visit, as a VisitValueFunc
    return ('static bool output_%s(Visitor *v, void *value, Error **errp)\n'
            '{\n    return %s(v, "unused", value, errp);\n}\n\n'
            % (t.c_name(), visit_fn(t)))


def gen_marshal(c):
    n = c_name(c.name)
    members = 'NULL'
    out = ''
    if c.arg_type is not None:
        members = 'input_%s' % n
        out += ('static bool input_%s(Visitor *v, void *arg, Error **errp)\n'
                '{\n    return visit_type_%s_members(v, arg, errp);\n}\n\n'
                % (n, c.arg_type.c_name()))
    out += ('void qmp_marshal_%s(json_t *args, json_t **ret, Error **errp)\n'
            '{\n' % n)
    if c.arg_type is not None:
        out += '    %s arg = {0};\n' % c.arg_type.c_name()
    call = 'qmp_%s(%s' % (n, _args(c))
    if c.ret_type is None:
        out += ('\n' if c.arg_type is not None else '')
        out += ('    if (qmp_marshal_input(args, %s, %s, errp)) {\n'
                '        %serrp);\n    }\n'
                % ('&arg' if c.arg_type else 'NULL', members, call))
    else:
        ct = c.ret_type.c_type()
        out += ('    %s%sretval;\n    Error *err = NULL;\n\n'
                '    if (qmp_marshal_input(args, %s, %s, errp)) {\n'
                '        retval = %s&err);\n'
                '        if (err) {\n'
                '            error_propagate(errp, err);\n'
                '        } else {\n'
                '            qmp_marshal_output(&retval, output_%s, ret, '
                'errp);\n'
                '        }\n    }\n'
                % (ct, '' if ct.endswith('*') else ' ',
                   '&arg' if c.arg_type else 'NULL', members, call,
                   c.ret_type.c_name()))
    if c.arg_type is not None:
        out += '    qmp_marshal_free_input(&arg, %s);\n' % members
    out += '}\n\n'
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
                  '#include "qapi/qmp-marshal.h"\n'
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
