/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The QAPI Visitor API: walk QAPI-generated C types (QEMU 7.2 semantics). */
#ifndef QAPI_VISITOR_H
#define QAPI_VISITOR_H

#include "qapi/qapi-builtin-types.h"
#include "qapi/qmp/qnull.h"

/*
 * A visitor walks a C object of a QAPI type member by member; the
 * generated visit_type_FOO() functions drive it.  There are four kinds:
 * input visitors build C objects (from JSON values), output visitors
 * build JSON values from C objects, the clone visitor deep-copies and
 * the dealloc visitor frees.  Each visit_type_FOO() returns true on
 * success; on failure it sets @errp and, for input visitors, leaves
 * *obj NULL (or unchanged for scalars).  See QEMU's
 * include/qapi/visitor.h for the full contract; we follow it.
 */

/* Any list: the generated FooList types all start with @next. */
typedef struct GenericList {
    struct GenericList *next;
    char padding[];
} GenericList;

/* Any alternate: the generated alternates all start with @type. */
typedef struct GenericAlternate {
    QType type;
    char padding[];
} GenericAlternate;

/**
 * visit_free: Free @v and anything it still holds (NULL is fine).
 */
void visit_free(Visitor *v);

/**
 * visit_complete: Finish an output or clone visit, storing the result
 * in @opaque (json_t ** for output visitors).  Call once, after the
 * outermost visit succeeded.
 */
void visit_complete(Visitor *v, void *opaque);

/**
 * visit_start_struct: Start visiting an object @name.
 * @obj: for input visitors, where to store a new g_malloc0(@size)
 * object, or NULL to visit without storing; for others, the object.
 * Must be paired with visit_end_struct() even on failure... except that
 * when it returns false nothing was started.
 */
bool visit_start_struct(Visitor *v, const char *name, void **obj,
                        size_t size, Error **errp);

/* Check that an input object has no members that were not visited. */
bool visit_check_struct(Visitor *v, Error **errp);

/* End the visit started by visit_start_struct() (same @obj). */
void visit_end_struct(Visitor *v, void **obj);

/**
 * visit_start_list: Start visiting a list @name; elements are visited
 * with name NULL, advancing with visit_next_list().  For input
 * visitors *@list is set to the first (zeroed, @size bytes) element or
 * NULL for an empty list.
 */
bool visit_start_list(Visitor *v, const char *name, GenericList **list,
                      size_t size, Error **errp);

/* Advance to the element after @tail; NULL at the end. */
GenericList *visit_next_list(Visitor *v, GenericList *tail, size_t size);

/* Check that an input list has no unvisited elements left. */
bool visit_check_list(Visitor *v, Error **errp);

/* End the visit started by visit_start_list(). */
void visit_end_list(Visitor *v, void **list);

/**
 * visit_start_alternate: Start visiting an alternate @name: input
 * visitors allocate *@obj (@size bytes) and set its type from the JSON
 * value's QType.
 */
bool visit_start_alternate(Visitor *v, const char *name,
                           GenericAlternate **obj, size_t size,
                           Error **errp);

/* End the visit started by visit_start_alternate(). */
void visit_end_alternate(Visitor *v, void **obj);

/**
 * visit_optional: Whether optional member @name is present.  Input
 * visitors set *@present; the others just return it.
 */
bool visit_optional(Visitor *v, const char *name, bool *present);

/* True for input visitors (which allocate), false for the others. */
bool visit_is_input(Visitor *v);

/* True for the dealloc visitor. */
bool visit_is_dealloc(Visitor *v);

/* Visit an enum value as its name from @lookup. */
bool visit_type_enum(Visitor *v, const char *name, int *obj,
                     const QEnumLookup *lookup, Error **errp);

bool visit_type_int(Visitor *v, const char *name, int64_t *obj,
                    Error **errp);
bool visit_type_uint8(Visitor *v, const char *name, uint8_t *obj,
                      Error **errp);
bool visit_type_uint16(Visitor *v, const char *name, uint16_t *obj,
                       Error **errp);
bool visit_type_uint32(Visitor *v, const char *name, uint32_t *obj,
                       Error **errp);
bool visit_type_uint64(Visitor *v, const char *name, uint64_t *obj,
                       Error **errp);
bool visit_type_int8(Visitor *v, const char *name, int8_t *obj,
                     Error **errp);
bool visit_type_int16(Visitor *v, const char *name, int16_t *obj,
                      Error **errp);
bool visit_type_int32(Visitor *v, const char *name, int32_t *obj,
                      Error **errp);
bool visit_type_int64(Visitor *v, const char *name, int64_t *obj,
                      Error **errp);
bool visit_type_size(Visitor *v, const char *name, uint64_t *obj,
                     Error **errp);
bool visit_type_bool(Visitor *v, const char *name, bool *obj,
                     Error **errp);
/* Input: *@obj becomes a new string; output: NULL is visited as "". */
bool visit_type_str(Visitor *v, const char *name, char **obj,
                    Error **errp);
bool visit_type_number(Visitor *v, const char *name, double *obj,
                       Error **errp);
/* Any JSON value; *@obj holds a reference. */
bool visit_type_any(Visitor *v, const char *name, json_t **obj,
                    Error **errp);
bool visit_type_null(Visitor *v, const char *name, QNull **obj,
                     Error **errp);

/*
 * For generated code (scripts/qapi/visit.py, types.py): the bodies that
 * the visitors of all objects, lists and alternates share.  Generated
 * code passes small typed wrappers for what differs per type.
 */

/* Visit the members of the object at @obj. */
typedef bool VisitMembersFunc(Visitor *v, void *obj, Error **errp);
/* Visit the value of list node @node. */
typedef bool VisitElementFunc(Visitor *v, GenericList *node, Error **errp);
/* Visit the branch of *@obj that its @type selects. */
typedef bool VisitBranchFunc(Visitor *v, const char *name,
                             GenericAlternate **obj, Error **errp);
/* Free a value of one QAPI type (its qapi_free_FOO()). */
typedef void QapiFreeFunc(void *obj);

/*
 * visit_object: The whole visit of object *@obj (@size bytes): start,
 * members, check, end.  On input failure *@obj is freed with @free_obj
 * and set to NULL.
 */
bool visit_object(Visitor *v, const char *name, void **obj, size_t size,
                  VisitMembersFunc *members, QapiFreeFunc *free_obj,
                  Error **errp);

/* visit_list: The same for list *@list, each node (@size bytes) by @elem. */
bool visit_list(Visitor *v, const char *name, GenericList **list,
                size_t size, VisitElementFunc *elem, QapiFreeFunc *free_list,
                Error **errp);

/* visit_alternate: The same for alternate *@obj, its branch by @branch. */
bool visit_alternate(Visitor *v, const char *name, GenericAlternate **obj,
                     size_t size, VisitBranchFunc *branch,
                     QapiFreeFunc *free_obj, Error **errp);

/*
 * visit_alternate_mismatch: For @branch functions: the input's JSON type
 * fits no branch of alternate type @type_name.  Frees *@obj (no branch
 * of it is valid) and fails.
 */
bool visit_alternate_mismatch(Visitor *v, const char *name,
                              GenericAlternate **obj, const char *type_name,
                              Error **errp);

/*
 * qapi_dealloc_with: Free @obj by visiting it with @visit and a dealloc
 * visitor; nothing for NULL.
 */
void qapi_dealloc_with(void *obj, void (*visit)(Visitor *v, void *obj));

#endif /* QAPI_VISITOR_H */
