/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Clone visitor: deep copies of QAPI C objects (QAPI_CLONE). */

#include "qemu/osdep.h"
#include "qapi/clone-visitor.h"
#include "qapi/error.h"
#include "qapi/visitor-impl.h"

/*
 * How a copy is made: the visit starts on the original.  Each object,
 * list element and alternate is copied byte for byte as it is entered,
 * and the pointer to it (in the copy of its parent) is redirected to
 * that copy.  Scalars thus come along with their container; strings get
 * a fresh copy and JSON values one more reference, so that in the end
 * nothing in the copy points into the original.
 */
typedef struct CloneVisitor {
    Visitor visitor;
    unsigned depth;           /* containers entered and not yet left */
} CloneVisitor;

static CloneVisitor *clone_visitor(Visitor *v)
{
    return container_of(v, CloneVisitor, visitor);
}

/* Point *@slot at a private copy of the @size bytes it points to. */
static void clone_unshare(void **slot, size_t size)
{
    if (*slot) {
        void *copy = g_malloc(size);

        memcpy(copy, *slot, size);
        *slot = copy;
    }
}

/* Objects, lists and alternates are all entered the same way. */
static void enter(Visitor *v, void **slot, size_t size)
{
    CloneVisitor *cv = clone_visitor(v);

    /* No storage (an alternate's branch) happens only inside a copy */
    assert(slot || cv->depth);
    if (slot) {
        clone_unshare(slot, size);
    }
    cv->depth++;
}

static void leave(Visitor *v, void **slot)
{
    CloneVisitor *cv = clone_visitor(v);

    assert(cv->depth);
    cv->depth--;
}

static bool clone_start_struct(Visitor *v, const char *name, void **obj,
                               size_t size, Error **errp)
{
    enter(v, obj, size);
    return true;
}

static bool clone_start_list(Visitor *v, const char *name,
                             GenericList **list, size_t size, Error **errp)
{
    enter(v, (void **)list, size);
    return true;
}

static GenericList *clone_next_list(Visitor *v, GenericList *tail,
                                    size_t size)
{
    /* @tail is our copy already; its successor is still the original's */
    clone_unshare((void **)&tail->next, size);
    return tail->next;
}

static bool clone_start_alternate(Visitor *v, const char *name,
                                  GenericAlternate **obj, size_t size,
                                  Error **errp)
{
    enter(v, (void **)obj, size);
    return true;
}

/* Scalars that the byte copy of their container copied already */
#define CLONE_WITH_CONTAINER(fn, ctype)                                 \
static bool fn(Visitor *v, const char *name, ctype *obj, Error **errp) \
{                                                                       \
    return true;                                                        \
}

CLONE_WITH_CONTAINER(clone_bool, bool)
CLONE_WITH_CONTAINER(clone_int64, int64_t)
CLONE_WITH_CONTAINER(clone_uint64, uint64_t)
CLONE_WITH_CONTAINER(clone_number, double)

static bool clone_str(Visitor *v, const char *name, char **obj,
                      Error **errp)
{
    assert(clone_visitor(v)->depth);
    /* the output visitor shows NULL as "", so the copy may as well be "" */
    *obj = g_strdup(*obj ?: "");
    return true;
}

/* JSON values are never changed once built: the copy shares them. */
static bool clone_any(Visitor *v, const char *name, json_t **obj,
                      Error **errp)
{
    json_incref(*obj);
    return true;
}

static bool clone_null(Visitor *v, const char *name, QNull **obj,
                       Error **errp)
{
    json_incref(*obj);
    return true;
}

static void clone_free(Visitor *v)
{
    g_free(clone_visitor(v));
}

static const VisitorOps clone_ops = {
    .kind = VISITOR_CLONE,
    .start_struct = clone_start_struct,
    .end_struct = leave,
    .start_list = clone_start_list,
    .next_list = clone_next_list,
    .end_list = leave,
    .start_alternate = clone_start_alternate,
    .end_alternate = leave,
    .type_bool = clone_bool,
    .type_int64 = clone_int64,
    .type_uint64 = clone_uint64,
    .type_number = clone_number,
    .type_str = clone_str,
    .type_null = clone_null,
    .type_any = clone_any,
    .free = clone_free,
};

/* A clone visitor that starts @depth containers deep. */
static Visitor *clone_visitor_new(unsigned depth)
{
    CloneVisitor *cv = g_new0(CloneVisitor, 1);

    cv->visitor.ops = &clone_ops;
    cv->depth = depth;
    return &cv->visitor;
}

void *qapi_clone(const void *src, QAPICloneVisitorFunc visit_type)
{
    /* The visit swaps the original in @copy for the copy it makes */
    void *copy = (void *)src;
    Visitor *v;

    if (copy) {
        v = clone_visitor_new(0);
        visit_type(v, NULL, &copy, &error_abort);
        visit_free(v);
    }
    return copy;
}

void qapi_clone_members(void *dst, const void *src, size_t sz,
                        QAPICloneMembersVisitorFunc visit_type_members)
{
    /* @dst is the container here: the visit starts inside it */
    Visitor *v = clone_visitor_new(1);

    memcpy(dst, src, sz);
    visit_type_members(v, dst, &error_abort);
    visit_free(v);
}
