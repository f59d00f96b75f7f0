# SPDX-License-Identifier: GPL-2.0-or-later
# QAPI event generator: qapi_event_send_FOO() and the QAPIEvent enum.

from .common import c_name, camel_to_upper
from .gen import GenPair, module_fname


def _enum_name(prefix):
    return c_name(prefix + 'QAPIEvent', False)


def _const(prefix, name):
    return camel_to_upper(_enum_name(prefix)) + '_' + c_name(name,
                                                             False).upper()


def _params(e):
    if e.arg_type is None:
        return 'void'
    if e.boxed:
        return '%s *arg' % e.arg_type.c_name()
    out = []
    for m in e.arg_type.members:
        if m.optional:
            out.append('bool has_%s' % m.c_name())
        ptype = m.type.c_param_type()
        out.append('%s%s%s' % (ptype, '' if ptype.endswith('*') else ' ',
                               m.c_name()))
    return ', '.join(out)


def gen_event(e, prefix):
    n = c_name(e.name.lower())
    emit = c_name(prefix + 'qapi_event_emit', False)
    decl = 'void qapi_event_send_%s(%s)' % (n, _params(e))
    out = ''
    data = 'NULL, NULL'
    if e.arg_type is not None:
        data = '%s, data_%s' % ('arg' if e.boxed else '&param', n)
        out += ('static bool data_%s(Visitor *v, void *param, Error **errp)\n'
                '{\n    return visit_type_%s_members(v, param, errp);\n}\n\n'
                % (n, e.arg_type.c_name()))
    out += decl + '\n{\n'
    if e.arg_type is not None and not e.boxed:
        out += '    %s param = {\n' % e.arg_type.c_name()
        for m in e.arg_type.members:
            if m.optional:
                out += '        .has_%s = has_%s,\n' % (m.c_name(), m.c_name())
            cast = ''
            if m.type.c_param_type() != m.type.c_type():
                cast = '(%s)' % m.type.c_type()
            out += '        .%s = %s%s,\n' % (m.c_name(), cast, m.c_name())
        out += '    };\n'
    out += ('    json_t *qmp = qmp_event_build("%s", %s);\n\n'
            '    %s(%s, qmp);\n    json_decref(qmp);\n}\n\n'
            % (e.name, data, emit, _const(prefix, e.name)))
    return decl + ';\n', out


def gen_events(schema, prefix, module):
    base = module_fname(prefix, 'events', module, schema)
    pair = GenPair(base, 'QAPI events for %s' % module)
    h, c = pair.h, pair.c
    h.preamble = ('#include "qapi/util.h"\n#include "%s.h"\n'
                  % module_fname(prefix, 'types', module, schema))
    for inc in schema.module_includes.get(module, []):
        h.preamble += '#include "%s.h"\n' \
            % module_fname(prefix, 'events', inc, schema)
    c.preamble = ('#include "qemu/osdep.h"\n'
                  '#include "qapi/qmp-event.h"\n'
                  '#include "%semit-events.h"\n#include "%s.h"\n#include '
                  '"%s.h"\n' % (prefix + 'qapi-', base,
                                module_fname(prefix, 'visit', module,
                                             schema)))
    for e in schema.events:
        if e.module != module:
            continue
        decl, body = gen_event(e, prefix)
        h.add(decl)
        c.add(body)
    return pair


def gen_emit_events(schema, prefix):
    base = '%sqapi-emit-events' % prefix
    pair = GenPair(base, 'QAPI event enumeration')
    en = _enum_name(prefix)
    pair.h.preamble = '#include <jansson.h>\n#include "qapi/util.h"\n'
    h = 'typedef enum %s {\n' % en
    lookup = ('const QEnumLookup %s_lookup = {\n'
              '    .array = (const char *const[]) {\n' % en)
    for e in schema.events:
        h += '    %s,\n' % _const(prefix, e.name)
        lookup += '        [%s] = "%s",\n' % (_const(prefix, e.name), e.name)
    h += '    %s,\n} %s;\n\n' % (_const(prefix, '_MAX'), en)
    h += ('#define %s_str(val) \\\n    qapi_enum_lookup(&%s_lookup, (val))'
          '\n\nextern const QEnumLookup %s_lookup;\n\n' % (en, en, en))
    h += ('void %s(%s event, json_t *qdict);\n'
          % (c_name(prefix + 'qapi_event_emit', False), en))
    lookup += '    },\n    .size = %s\n};\n' % _const(prefix, '_MAX')
    pair.h.add(h)
    pair.c.preamble = '#include "qemu/osdep.h"\n#include "%s.h"\n' % base
    pair.c.add(lookup)
    return pair


def gen_events_all(schema, prefix):
    out = [gen_events(schema, prefix, m) for m in schema.modules]
    out.append(gen_emit_events(schema, prefix))
    return out
