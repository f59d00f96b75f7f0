/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Output visitor: QAPI C objects to jansson values, in visit order. */

#include "qemu/osdep.h"
#include "qapi/qobject-output-visitor.h"
#include "qapi/visitor-impl.h"

typedef struct QStackEntry {
    json_t *value;                /* object or array being filled */
    void *qapi;                   /* the C object, for sanity checks */
    struct QStackEntry *next;     /* the enclosing container */
} QStackEntry;

typedef struct QObjectOutputVisitor {
    Visitor visitor;
    QStackEntry *stack;           /* innermost container first */
    json_t *root;                 /* the value built, once started */
    json_t **result;              /* where visit_complete() stores it */
} QObjectOutputVisitor;

static QObjectOutputVisitor *to_qov(Visitor *v)
{
    return container_of(v, QObjectOutputVisitor, visitor);
}

static void qov_push(QObjectOutputVisitor *qov, json_t *value, void *qapi)
{
    QStackEntry *e = g_new0(QStackEntry, 1);

    e->value = value;
    e->qapi = qapi;
    e->next = qov->stack;
    qov->stack = e;
}

static json_t *qov_pop(QObjectOutputVisitor *qov, void *qapi)
{
    QStackEntry *e = qov->stack;
    json_t *value;

    assert(e && e->qapi == qapi);
    qov->stack = e->next;
    value = e->value;
    g_free(e);
    return value;
}

/* Add @value (stealing the reference) as member @name of the current
 * container, or make it the root. */
static void qov_add(QObjectOutputVisitor *qov, const char *name,
                    json_t *value)
{
    QStackEntry *e = qov->stack;

    assert(value);
    if (!e) {
        assert(!qov->root);
        qov->root = value;
        return;
    }
    if (json_is_object(e->value)) {
        assert(name);
        json_object_set_new(e->value, name, value);
    } else {
        assert(json_is_array(e->value));
        json_array_append_new(e->value, value);
    }
}

static bool qov_start_struct(Visitor *v, const char *name, void **obj,
                             size_t unused, Error **errp)
{
    QObjectOutputVisitor *qov = to_qov(v);
    json_t *dict = json_object();

    qov_add(qov, name, dict);
    qov_push(qov, dict, obj);
    return true;
}

static void qov_end_struct(Visitor *v, void **obj)
{
    QObjectOutputVisitor *qov = to_qov(v);
    json_t *value = qov_pop(qov, obj);

    assert(json_is_object(value));
}

static bool qov_start_list(Visitor *v, const char *name, GenericList **list,
                           size_t size, Error **errp)
{
    QObjectOutputVisitor *qov = to_qov(v);
    json_t *arr = json_array();

    qov_add(qov, name, arr);
    qov_push(qov, arr, list);
    return true;
}

static GenericList *qov_next_list(Visitor *v, GenericList *tail,
                                  size_t size)
{
    return tail->next;
}

static void qov_end_list(Visitor *v, void **obj)
{
    QObjectOutputVisitor *qov = to_qov(v);
    json_t *value = qov_pop(qov, obj);

    assert(json_is_array(value));
}

static bool qov_type_int64(Visitor *v, const char *name, int64_t *obj,
                           Error **errp)
{
    qov_add(to_qov(v), name, json_integer(*obj));
    return true;
}

static bool qov_type_uint64(Visitor *v, const char *name, uint64_t *obj,
                            Error **errp)
{
    /* Values above INT64_MAX wrap; see qapi/qmp/qobject.h */
    qov_add(to_qov(v), name, json_integer((json_int_t)*obj));
    return true;
}

static bool qov_type_bool(Visitor *v, const char *name, bool *obj,
                          Error **errp)
{
    qov_add(to_qov(v), name, json_boolean(*obj));
    return true;
}

static bool qov_type_str(Visitor *v, const char *name, char **obj,
                         Error **errp)
{
    json_t *s = json_string(*obj ? *obj : "");

    /* jansson refuses invalid UTF-8: keep what is valid */
    if (!s) {
        g_autofree char *valid = g_utf8_make_valid(*obj, -1);

        s = json_string(valid);
    }
    qov_add(to_qov(v), name, s ? s : json_string(""));
    return true;
}

static bool qov_type_number(Visitor *v, const char *name, double *obj,
                            Error **errp)
{
    json_t *r = json_real(*obj);

    /* JSON has no NaN or infinities */
    qov_add(to_qov(v), name, r ? r : json_null());
    return true;
}

static bool qov_type_any(Visitor *v, const char *name, json_t **obj,
                         Error **errp)
{
    qov_add(to_qov(v), name, json_incref(*obj));
    return true;
}

static bool qov_type_null(Visitor *v, const char *name, QNull **obj,
                          Error **errp)
{
    qov_add(to_qov(v), name, json_null());
    return true;
}

static void qov_complete(Visitor *v, void *opaque)
{
    QObjectOutputVisitor *qov = to_qov(v);

    assert(opaque == qov->result);
    assert(qov->root && !qov->stack);
    *qov->result = json_incref(qov->root);
}

static void qov_free(Visitor *v)
{
    QObjectOutputVisitor *qov = to_qov(v);

    while (qov->stack) {
        QStackEntry *e = qov->stack;

        qov->stack = e->next;
        g_free(e);
    }
    json_decref(qov->root);
    g_free(qov);
}

static const VisitorOps qov_ops = {
    .kind = VISITOR_OUTPUT,
    .start_struct = qov_start_struct,
    .end_struct = qov_end_struct,
    .start_list = qov_start_list,
    .next_list = qov_next_list,
    .end_list = qov_end_list,
    .type_bool = qov_type_bool,
    .type_int64 = qov_type_int64,
    .type_uint64 = qov_type_uint64,
    .type_number = qov_type_number,
    .type_str = qov_type_str,
    .type_null = qov_type_null,
    .type_any = qov_type_any,
    .complete = qov_complete,
    .free = qov_free,
};

Visitor *qobject_output_visitor_new(json_t **result)
{
    QObjectOutputVisitor *v = g_new0(QObjectOutputVisitor, 1);

    v->visitor.ops = &qov_ops;
    *result = NULL;
    v->result = result;
    return &v->visitor;
}
