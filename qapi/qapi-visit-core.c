/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Visitor core: call the implementation, check the contract around it. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp/qerror.h"
#include "qapi/visitor-impl.h"

/*
 * Every visit_*() below is the one entry point generated code and
 * hand-written visits use.  What the implementations may rely on, and
 * what they promise in return, is asserted here once instead of in each
 * of them: the asserts catch programming errors, never bad input.
 */

static inline VisitorType kind_of(const Visitor *v)
{
    return v->ops->kind;
}

/*
 * An input visitor that succeeded has stored a new object or string at
 * @result, one that failed has stored NULL.  Returns @ok.
 */
static bool input_contract(const Visitor *v, bool ok, const void *result)
{
    if (kind_of(v) == VISITOR_INPUT) {
        assert(ok == (result != NULL));
    }
    return ok;
}

void visit_free(Visitor *v)
{
    if (v) {
        v->ops->free(v);
    }
}

void visit_complete(Visitor *v, void *opaque)
{
    assert(kind_of(v) & (VISITOR_OUTPUT | VISITOR_CLONE));
    if (v->ops->complete) {
        v->ops->complete(v, opaque);
    }
}

bool visit_is_input(Visitor *v)
{
    return kind_of(v) == VISITOR_INPUT;
}

bool visit_is_dealloc(Visitor *v)
{
    return kind_of(v) == VISITOR_DEALLOC;
}

bool visit_optional(Visitor *v, const char *name, bool *present)
{
    if (v->ops->optional) {
        v->ops->optional(v, name, present);
    }
    return *present;
}

/* Objects */

bool visit_start_struct(Visitor *v, const char *name, void **obj,
                        size_t size, Error **errp)
{
    bool ok;

    /* Output visitors read an existing object; NULL @obj: no storage */
    assert(!obj || (size && (*obj || kind_of(v) != VISITOR_OUTPUT)));
    ok = v->ops->start_struct(v, name, obj, size, errp);
    return obj ? input_contract(v, ok, *obj) : ok;
}

bool visit_check_struct(Visitor *v, Error **errp)
{
    return !v->ops->check_struct || v->ops->check_struct(v, errp);
}

void visit_end_struct(Visitor *v, void **obj)
{
    v->ops->end_struct(v, obj);
}

/* Lists */

bool visit_start_list(Visitor *v, const char *name, GenericList **list,
                      size_t size, Error **errp)
{
    bool ok;

    assert(!list || size >= sizeof(GenericList));
    ok = v->ops->start_list(v, name, list, size, errp);
    /* An input list may be empty (NULL) on success, never set on failure */
    assert(ok || !list || kind_of(v) != VISITOR_INPUT || !*list);
    return ok;
}

GenericList *visit_next_list(Visitor *v, GenericList *tail, size_t size)
{
    assert(tail);
    assert(size >= sizeof(GenericList));
    return v->ops->next_list(v, tail, size);
}

bool visit_check_list(Visitor *v, Error **errp)
{
    return !v->ops->check_list || v->ops->check_list(v, errp);
}

void visit_end_list(Visitor *v, void **obj)
{
    v->ops->end_list(v, obj);
}

/* Alternates */

bool visit_start_alternate(Visitor *v, const char *name,
                           GenericAlternate **obj, size_t size,
                           Error **errp)
{
    bool ok;

    assert(obj && size >= sizeof(GenericAlternate));
    if (kind_of(v) == VISITOR_OUTPUT) {
        assert(*obj);
    }
    if (!v->ops->start_alternate) {
        /* Only visitors that read an existing alternate may skip this */
        assert(kind_of(v) & (VISITOR_OUTPUT | VISITOR_DEALLOC));
        return true;
    }
    ok = v->ops->start_alternate(v, name, obj, size, errp);
    return input_contract(v, ok, *obj);
}

void visit_end_alternate(Visitor *v, void **obj)
{
    if (v->ops->end_alternate) {
        v->ops->end_alternate(v, obj);
    }
}

/* Integers: everything travels as int64_t or uint64_t */

/*
 * Visit *@value as a uint64_t that must not exceed @max, the largest
 * value of the C type @ctype.  Input visitors may read a larger value
 * (an error); all others are handed values within range.
 */
static bool visit_uint_within(Visitor *v, const char *name, uint64_t *value,
                              uint64_t max, const char *ctype, Error **errp)
{
    uint64_t wide = *value;

    assert(kind_of(v) == VISITOR_INPUT || wide <= max);
    if (!v->ops->type_uint64(v, name, &wide, errp)) {
        return false;
    }
    if (wide > max) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE,
                   name ? name : "null", ctype);
        return false;
    }
    *value = wide;
    return true;
}

/* The same for signed types, within [@min, @max]. */
static bool visit_int_within(Visitor *v, const char *name, int64_t *value,
                             int64_t min, int64_t max, const char *ctype,
                             Error **errp)
{
    int64_t wide = *value;

    assert(kind_of(v) == VISITOR_INPUT || (wide >= min && wide <= max));
    if (!v->ops->type_int64(v, name, &wide, errp)) {
        return false;
    }
    if (wide < min || wide > max) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE,
                   name ? name : "null", ctype);
        return false;
    }
    *value = wide;
    return true;
}

/*
 * visit_type_uint8() and friends: widen *@obj, visit it, narrow it back
 * on success.  On failure *@obj is left as it was.
 */
#define VISIT_NARROW_UINT(bits)                                             \
bool visit_type_uint##bits(Visitor *v, const char *name,                    \
                           uint##bits##_t *obj, Error **errp)               \
{                                                                           \
    uint64_t wide = *obj;                                                   \
                                                                            \
    if (!visit_uint_within(v, name, &wide, UINT##bits##_MAX,                \
                           "uint" #bits "_t", errp)) {                      \
        return false;                                                       \
    }                                                                       \
    *obj = wide;                                                            \
    return true;                                                            \
}

#define VISIT_NARROW_INT(bits)                                              \
bool visit_type_int##bits(Visitor *v, const char *name,                     \
                          int##bits##_t *obj, Error **errp)                 \
{                                                                           \
    int64_t wide = *obj;                                                    \
                                                                            \
    if (!visit_int_within(v, name, &wide, INT##bits##_MIN, INT##bits##_MAX, \
                          "int" #bits "_t", errp)) {                        \
        return false;                                                       \
    }                                                                       \
    *obj = wide;                                                            \
    return true;                                                            \
}

VISIT_NARROW_UINT(8)
VISIT_NARROW_UINT(16)
VISIT_NARROW_UINT(32)
VISIT_NARROW_INT(8)
VISIT_NARROW_INT(16)
VISIT_NARROW_INT(32)

bool visit_type_int(Visitor *v, const char *name, int64_t *obj,
                    Error **errp)
{
    return visit_type_int64(v, name, obj, errp);
}

bool visit_type_int64(Visitor *v, const char *name, int64_t *obj,
                      Error **errp)
{
    return v->ops->type_int64(v, name, obj, errp);
}

bool visit_type_uint64(Visitor *v, const char *name, uint64_t *obj,
                       Error **errp)
{
    return v->ops->type_uint64(v, name, obj, errp);
}

bool visit_type_size(Visitor *v, const char *name, uint64_t *obj,
                     Error **errp)
{
    /* Only keyval input knows size suffixes; the others read a uint64 */
    if (!v->ops->type_size) {
        return visit_type_uint64(v, name, obj, errp);
    }
    return v->ops->type_size(v, name, obj, errp);
}

/* Other scalars */

bool visit_type_bool(Visitor *v, const char *name, bool *obj, Error **errp)
{
    return v->ops->type_bool(v, name, obj, errp);
}

bool visit_type_number(Visitor *v, const char *name, double *obj,
                       Error **errp)
{
    return v->ops->type_number(v, name, obj, errp);
}

bool visit_type_null(Visitor *v, const char *name, QNull **obj,
                     Error **errp)
{
    return v->ops->type_null(v, name, obj, errp);
}

bool visit_type_str(Visitor *v, const char *name, char **obj, Error **errp)
{
    bool ok;

    assert(obj);
    ok = v->ops->type_str(v, name, obj, errp);
    return input_contract(v, ok, *obj);
}

bool visit_type_any(Visitor *v, const char *name, json_t **obj,
                    Error **errp)
{
    bool ok;

    assert(obj);
    assert(*obj || kind_of(v) != VISITOR_OUTPUT);
    ok = v->ops->type_any(v, name, obj, errp);
    return input_contract(v, ok, *obj);
}

/* Enums travel as their names */

bool visit_type_enum(Visitor *v, const char *name, int *obj,
                     const QEnumLookup *lookup, Error **errp)
{
    g_autofree char *text = NULL;
    char *shown;
    int value;

    assert(obj && lookup);
    switch (kind_of(v)) {
    case VISITOR_OUTPUT:
        shown = (char *)qapi_enum_lookup(lookup, *obj);
        return visit_type_str(v, name, &shown, errp);
    case VISITOR_INPUT:
        if (!visit_type_str(v, name, &text, errp)) {
            return false;
        }
        value = qapi_enum_parse(lookup, text, -1, NULL);
        if (value < 0) {
            error_setg(errp, "Parameter '%s' does not accept value '%s'",
                       name ? name : "null", text);
            return false;
        }
        *obj = value;
        return true;
    case VISITOR_CLONE:
    case VISITOR_DEALLOC:
        /* a plain int in the C object: copied with it, nothing to free */
        return true;
    }
    g_assert_not_reached();
}
