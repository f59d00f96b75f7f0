/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the generated QMP marshallers share: arguments in, result out. */

#include "qemu/osdep.h"
#include "qapi/dealloc-visitor.h"
#include "qapi/error.h"
#include "qapi/qmp-marshal.h"
#include "qapi/qobject-input-visitor.h"
#include "qapi/qobject-output-visitor.h"

/*
 * The arguments are the members of an anonymous object: visited with
 * a NULL struct pointer into the caller's argument struct.
 */
static bool visit_arguments(Visitor *v, void *arg, VisitMembersFunc *members,
                            Error **errp)
{
    bool ok;

    if (!visit_start_struct(v, NULL, NULL, 0, errp)) {
        return false;
    }
    ok = (!members || members(v, arg, errp)) && visit_check_struct(v, errp);
    visit_end_struct(v, NULL);
    return ok;
}

bool qmp_marshal_input(json_t *args, void *arg, VisitMembersFunc *members,
                       Error **errp)
{
    Visitor *v = qobject_input_visitor_new(args);
    bool ok = visit_arguments(v, arg, members, errp);

    visit_free(v);
    return ok;
}

void qmp_marshal_free_input(void *arg, VisitMembersFunc *members)
{
    Visitor *v = qapi_dealloc_visitor_new();

    visit_arguments(v, arg, members, NULL);
    visit_free(v);
}

void qmp_marshal_output(void *value, VisitValueFunc *visit, json_t **ret,
                        Error **errp)
{
    Visitor *out = qobject_output_visitor_new(ret);
    Visitor *dealloc;

    if (visit(out, value, errp)) {
        visit_complete(out, ret);
    }
    visit_free(out);
    /* the result belongs to us once converted */
    dealloc = qapi_dealloc_visitor_new();
    visit(dealloc, value, NULL);
    visit_free(dealloc);
}
