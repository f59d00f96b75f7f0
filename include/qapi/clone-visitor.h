/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clone visitor: deep copies of QAPI C objects (QAPI_CLONE). */
#ifndef QAPI_CLONE_VISITOR_H
#define QAPI_CLONE_VISITOR_H

#include "qapi/visitor.h"

typedef bool (*QAPICloneVisitorFunc)(Visitor *v, const char *name,
                                     void **obj, Error **errp);
typedef bool (*QAPICloneMembersVisitorFunc)(Visitor *v, void *obj,
                                            Error **errp);

/* Deep-copy @src with @visit_type; NULL for NULL. */
void *qapi_clone(const void *src, QAPICloneVisitorFunc visit_type);

/* Deep-copy the members of @src into @dst (both @sz bytes). */
void qapi_clone_members(void *dst, const void *src, size_t sz,
                        QAPICloneMembersVisitorFunc visit_type_members);

/*
 * QAPI_CLONE: a deep copy of @src, a pointer to the QAPI object type
 * @type (a struct, union, alternate or list type), or NULL for NULL.
 * Free it with qapi_free_@type().  Members of type 'any' are shared
 * with @src, not copied.
 */
#define QAPI_CLONE(type, src) \
    ((type *)qapi_clone((src), (QAPICloneVisitorFunc)visit_type_##type))

/*
 * QAPI_CLONE_MEMBERS: fill the @type object at @dst with a deep copy of
 * the members of the one at @src; @dst's old contents are overwritten,
 * not freed.
 */
#define QAPI_CLONE_MEMBERS(type, dst, src)                          \
    qapi_clone_members((dst), (src), sizeof(type),                  \
                       (QAPICloneMembersVisitorFunc)                \
                       visit_type_##type##_members)

#endif /* QAPI_CLONE_VISITOR_H */
