/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a visitor implementation provides: its kind and its operations. */
#ifndef QAPI_VISITOR_IMPL_H
#define QAPI_VISITOR_IMPL_H

#include "qapi/visitor.h"

/* The four kinds of visitor; bits, so that checks can test sets. */
typedef enum VisitorType {
    VISITOR_INPUT = 1 << 0,     /* JSON (or keyval) value -> C object */
    VISITOR_OUTPUT = 1 << 1,    /* C object -> JSON value */
    VISITOR_CLONE = 1 << 2,     /* C object -> deep copy of it */
    VISITOR_DEALLOC = 1 << 3,   /* C object -> freed */
} VisitorType;

/*
 * One constant table per visitor implementation.  qapi-visit-core.c
 * calls through it and checks the visit_*() contracts around the calls,
 * so an implementation only does its own work.  Entries marked
 * "optional" may be NULL; the core then does what the comment says.
 * The arguments are those of the visit_*() function of the same name.
 */
typedef struct VisitorOps {
    VisitorType kind;

    /* Objects */
    bool (*start_struct)(Visitor *, const char *, void **, size_t,
                         Error **);
    bool (*check_struct)(Visitor *, Error **);  /* optional: succeeds */
    void (*end_struct)(Visitor *, void **);

    /* Lists */
    bool (*start_list)(Visitor *, const char *, GenericList **, size_t,
                       Error **);
    GenericList *(*next_list)(Visitor *, GenericList *, size_t);
    bool (*check_list)(Visitor *, Error **);    /* optional: succeeds */
    void (*end_list)(Visitor *, void **);

    /* Alternates; optional for output and dealloc visitors: no-ops */
    bool (*start_alternate)(Visitor *, const char *, GenericAlternate **,
                            size_t, Error **);
    void (*end_alternate)(Visitor *, void **);

    /* Scalars */
    bool (*type_bool)(Visitor *, const char *, bool *, Error **);
    bool (*type_int64)(Visitor *, const char *, int64_t *, Error **);
    bool (*type_uint64)(Visitor *, const char *, uint64_t *, Error **);
    bool (*type_size)(Visitor *, const char *, uint64_t *,
                      Error **);        /* optional: type_uint64 */
    bool (*type_number)(Visitor *, const char *, double *, Error **);
    bool (*type_str)(Visitor *, const char *, char **, Error **);
    bool (*type_null)(Visitor *, const char *, QNull **, Error **);
    bool (*type_any)(Visitor *, const char *, json_t **, Error **);

    /* Input visitors: is member @name there?  Optional: as given. */
    void (*optional)(Visitor *, const char *, bool *);

    /* Output and clone visitors: hand over the result.  Optional. */
    void (*complete)(Visitor *, void *);
    void (*free)(Visitor *);
} VisitorOps;

/* Embedded in each implementation's state (found with container_of). */
struct Visitor {
    const VisitorOps *ops;
};

#endif /* QAPI_VISITOR_IMPL_H */
