/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the generated visitors of objects, lists and alternates share. */

#include "qemu/osdep.h"
#include "qapi/dealloc-visitor.h"
#include "qapi/error.h"
#include "qapi/qmp/qerror.h"
#include "qapi/visitor.h"

/*
 * A dealloc visit may find a compound value only half built by an input
 * visit that failed (a NULL where the value should be): nothing to do.
 * Any other visitor finds a value there.
 */
static bool visit_missing_value(Visitor *v)
{
    assert(visit_is_dealloc(v));
    return true;
}

/* An input visit that failed leaves nothing behind. */
static bool input_cleanup(Visitor *v, bool ok, void **obj,
                          QapiFreeFunc *free_obj)
{
    if (!ok && visit_is_input(v)) {
        free_obj(*obj);
        *obj = NULL;
    }
    return ok;
}

bool visit_object(Visitor *v, const char *name, void **obj, size_t size,
                  VisitMembersFunc *members, QapiFreeFunc *free_obj,
                  Error **errp)
{
    bool ok;

    if (!visit_start_struct(v, name, obj, size, errp)) {
        return false;
    }
    if (*obj) {
        ok = members(v, *obj, errp) && visit_check_struct(v, errp);
    } else {
        ok = visit_missing_value(v);
    }
    visit_end_struct(v, obj);
    return input_cleanup(v, ok, obj, free_obj);
}

bool visit_list(Visitor *v, const char *name, GenericList **list,
                size_t size, VisitElementFunc *elem, QapiFreeFunc *free_list,
                Error **errp)
{
    GenericList *node;
    bool ok = true;

    if (!visit_start_list(v, name, list, size, errp)) {
        return false;
    }
    for (node = *list; node && ok; ) {
        ok = elem(v, node, errp);
        if (ok) {
            node = visit_next_list(v, node, size);
        }
    }
    ok = ok && visit_check_list(v, errp);
    visit_end_list(v, (void **)list);
    return input_cleanup(v, ok, (void **)list, free_list);
}

bool visit_alternate(Visitor *v, const char *name, GenericAlternate **obj,
                     size_t size, VisitBranchFunc *branch,
                     QapiFreeFunc *free_obj, Error **errp)
{
    bool ok;

    if (!visit_start_alternate(v, name, obj, size, errp)) {
        return false;
    }
    ok = *obj ? branch(v, name, obj, errp) : visit_missing_value(v);
    visit_end_alternate(v, (void **)obj);
    return input_cleanup(v, ok, (void **)obj, free_obj);
}

bool visit_alternate_mismatch(Visitor *v, const char *name,
                              GenericAlternate **obj, const char *type_name,
                              Error **errp)
{
    /* only input meets a JSON type that no branch takes */
    assert(visit_is_input(v) && (*obj)->type != QTYPE_NONE);
    error_setg(errp, QERR_INVALID_PARAMETER_TYPE, name ? name : "null",
               type_name);
    /* the type's free function would look into a branch never filled */
    g_free(*obj);
    *obj = NULL;
    return false;
}

void qapi_dealloc_with(void *obj, void (*visit)(Visitor *v, void *obj))
{
    Visitor *v;

    if (obj) {
        v = qapi_dealloc_visitor_new();
        visit(v, obj);
        visit_free(v);
    }
}
