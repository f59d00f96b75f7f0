/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Visitor callback table, for implementers of visitors only. */
#ifndef QAPI_VISITOR_IMPL_H
#define QAPI_VISITOR_IMPL_H

#include "qapi/visitor.h"

typedef enum VisitorType {
    VISITOR_INPUT = 1 << 0,
    VISITOR_OUTPUT = 1 << 1,
    VISITOR_CLONE = 1 << 2,
    VISITOR_DEALLOC = 1 << 3,
} VisitorType;

struct Visitor {
    /* Must be set */
    bool (*start_struct)(Visitor *v, const char *name, void **obj,
                         size_t size, Error **errp);
    /* Optional; input visitors only */
    bool (*check_struct)(Visitor *v, Error **errp);
    /* Must be set */
    void (*end_struct)(Visitor *v, void **obj);
    /* Must be set */
    bool (*start_list)(Visitor *v, const char *name, GenericList **list,
                       size_t size, Error **errp);
    /* Must be set */
    GenericList *(*next_list)(Visitor *v, GenericList *tail, size_t size);
    /* Optional; input visitors only */
    bool (*check_list)(Visitor *v, Error **errp);
    /* Must be set */
    void (*end_list)(Visitor *v, void **list);
    /* Must be set by input and clone visitors */
    bool (*start_alternate)(Visitor *v, const char *name,
                            GenericAlternate **obj, size_t size,
                            Error **errp);
    /* Optional */
    void (*end_alternate)(Visitor *v, void **obj);
    /* Must be set */
    bool (*type_int64)(Visitor *v, const char *name, int64_t *obj,
                       Error **errp);
    /* Must be set */
    bool (*type_uint64)(Visitor *v, const char *name, uint64_t *obj,
                        Error **errp);
    /* Optional; fallback is type_uint64() */
    bool (*type_size)(Visitor *v, const char *name, uint64_t *obj,
                      Error **errp);
    /* Must be set */
    bool (*type_bool)(Visitor *v, const char *name, bool *obj,
                      Error **errp);
    /* Must be set */
    bool (*type_str)(Visitor *v, const char *name, char **obj,
                     Error **errp);
    /* Must be set */
    bool (*type_number)(Visitor *v, const char *name, double *obj,
                        Error **errp);
    /* Must be set */
    bool (*type_any)(Visitor *v, const char *name, json_t **obj,
                     Error **errp);
    /* Must be set */
    bool (*type_null)(Visitor *v, const char *name, QNull **obj,
                      Error **errp);
    /* Optional; input visitors set *present */
    void (*optional)(Visitor *v, const char *name, bool *present);
    /* Must be set */
    VisitorType type;
    /* Must be set for output and clone visitors */
    void (*complete)(Visitor *v, void *opaque);
    /* Must be set */
    void (*free)(Visitor *v);
};

#endif /* QAPI_VISITOR_IMPL_H */
