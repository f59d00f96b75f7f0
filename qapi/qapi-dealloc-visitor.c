/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dealloc visitor: frees whatever QAPI C object it is walked over. */

#include "qemu/osdep.h"
#include "qapi/dealloc-visitor.h"
#include "qapi/visitor-impl.h"

static bool qdv_start_struct(Visitor *v, const char *name, void **obj,
                             size_t unused, Error **errp)
{
    return true;
}

static void qdv_end_struct(Visitor *v, void **obj)
{
    if (obj) {
        g_free(*obj);
    }
}

static void qdv_end_alternate(Visitor *v, void **obj)
{
    if (obj) {
        g_free(*obj);
    }
}

static bool qdv_start_list(Visitor *v, const char *name, GenericList **list,
                           size_t size, Error **errp)
{
    return true;
}

static GenericList *qdv_next_list(Visitor *v, GenericList *tail,
                                  size_t size)
{
    GenericList *next = tail->next;

    g_free(tail);
    return next;
}

static void qdv_end_list(Visitor *v, void **obj)
{
}

static bool qdv_type_str(Visitor *v, const char *name, char **obj,
                         Error **errp)
{
    g_free(*obj);
    return true;
}

static bool qdv_type_int64(Visitor *v, const char *name, int64_t *obj,
                           Error **errp)
{
    return true;
}

static bool qdv_type_uint64(Visitor *v, const char *name, uint64_t *obj,
                            Error **errp)
{
    return true;
}

static bool qdv_type_bool(Visitor *v, const char *name, bool *obj,
                          Error **errp)
{
    return true;
}

static bool qdv_type_number(Visitor *v, const char *name, double *obj,
                            Error **errp)
{
    return true;
}

static bool qdv_type_anything(Visitor *v, const char *name, json_t **obj,
                              Error **errp)
{
    if (obj) {
        json_decref(*obj);
    }
    return true;
}

static bool qdv_type_null(Visitor *v, const char *name, QNull **obj,
                          Error **errp)
{
    if (obj) {
        json_decref(*obj);
    }
    return true;
}

static void qdv_free(Visitor *v)
{
    g_free(v);
}

static const VisitorOps qdv_ops = {
    .kind = VISITOR_DEALLOC,
    .start_struct = qdv_start_struct,
    .end_struct = qdv_end_struct,
    .start_list = qdv_start_list,
    .next_list = qdv_next_list,
    .end_list = qdv_end_list,
    .end_alternate = qdv_end_alternate,
    .type_bool = qdv_type_bool,
    .type_int64 = qdv_type_int64,
    .type_uint64 = qdv_type_uint64,
    .type_number = qdv_type_number,
    .type_str = qdv_type_str,
    .type_null = qdv_type_null,
    .type_any = qdv_type_anything,
    .free = qdv_free,
};

Visitor *qapi_dealloc_visitor_new(void)
{
    Visitor *v = g_new0(Visitor, 1);

    v->ops = &qdv_ops;
    return v;
}
