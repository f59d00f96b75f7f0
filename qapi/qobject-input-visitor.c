/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Input visitor over jansson values, with QEMU's error texts. */

#include "qemu/osdep.h"
#include <math.h>
#include "qapi/error.h"
#include "qapi/qmp/qerror.h"
#include "qapi/qmp/qjson.h"
#include "qapi/qmp/qobject.h"
#include "qapi/qobject-input-visitor.h"
#include "qapi/visitor-impl.h"
#include "qemu/option.h"

/* One object or array being visited. */
typedef struct StackObject {
    const char *name;         /* its member name, NULL for the root/elements */
    json_t *obj;              /* the object or array (borrowed) */
    GHashTable *h;            /* object: member names not visited yet */
    size_t index;             /* array: index of the current element */
    struct StackObject *next; /* the enclosing container */
} StackObject;

typedef struct QObjectInputVisitor {
    Visitor visitor;
    json_t *root;             /* our reference to the visited value */
    bool keyval;              /* scalars are strings (keyval_parse) */
    StackObject *stack;       /* innermost container first */
    GString *errname;         /* scratch for full_name() */
} QObjectInputVisitor;

static QObjectInputVisitor *to_qiv(Visitor *v)
{
    return container_of(v, QObjectInputVisitor, visitor);
}

/*
 * The path of member @name of the container @n levels up the stack, for
 * error messages: "a.b[2].c" ("a.b.2.c" for keyval).
 */
static const char *full_name_nth(QObjectInputVisitor *qiv, const char *name,
                                 int n)
{
    StackObject *so;
    char buf[32];

    if (qiv->errname) {
        g_string_truncate(qiv->errname, 0);
    } else {
        qiv->errname = g_string_new("");
    }
    for (so = qiv->stack; so; so = so->next) {
        if (n) {
            n--;
        } else if (json_is_object(so->obj)) {
            g_string_prepend(qiv->errname, name ? name : "<anonymous>");
            g_string_prepend_c(qiv->errname, '.');
        } else {
            snprintf(buf, sizeof(buf), qiv->keyval ? ".%zu" : "[%zu]",
                     so->index);
            g_string_prepend(qiv->errname, buf);
        }
        name = so->name;
    }
    assert(!n);
    if (name) {
        g_string_prepend(qiv->errname, name);
    } else if (qiv->errname->str[0] == '.') {
        g_string_erase(qiv->errname, 0, 1);
    } else if (!qiv->errname->str[0]) {
        return "<anonymous>";
    }
    return qiv->errname->str;
}

static const char *full_name(QObjectInputVisitor *qiv, const char *name)
{
    return full_name_nth(qiv, name, 0);
}

static json_t *try_get_object(QObjectInputVisitor *qiv, const char *name,
                              bool consume)
{
    StackObject *tos = qiv->stack;
    json_t *ret;

    if (!tos) {
        /* Starting at the root; @name is only for error messages. */
        return qiv->root;
    }
    if (json_is_object(tos->obj)) {
        assert(name);
        ret = json_object_get(tos->obj, name);
        if (ret && consume) {
            g_hash_table_remove(tos->h, name);
        }
        return ret;
    }
    assert(json_is_array(tos->obj) && !name);
    return json_array_get(tos->obj, tos->index);
}

static json_t *get_object(QObjectInputVisitor *qiv, const char *name,
                          bool consume, Error **errp)
{
    json_t *obj = try_get_object(qiv, name, consume);

    if (!obj) {
        error_setg(errp, QERR_MISSING_PARAMETER, full_name(qiv, name));
    }
    return obj;
}

/* Keyval: the string form of scalar @name. */
static const char *get_keyval(QObjectInputVisitor *qiv, const char *name,
                              Error **errp)
{
    json_t *obj = get_object(qiv, name, true, errp);

    if (!obj) {
        return NULL;
    }
    if (json_is_object(obj) || json_is_array(obj)) {
        error_setg(errp, "Parameters '%s.*' used inconsistently",
                   full_name(qiv, name));
        return NULL;
    }
    if (!json_is_string(obj)) {
        /* Non-string scalar: keyval_parse() never makes one */
        error_setg(errp, QERR_INVALID_PARAMETER_TYPE, full_name(qiv, name),
                   "string");
        return NULL;
    }
    return json_string_value(obj);
}

static void push(QObjectInputVisitor *qiv, const char *name, json_t *obj)
{
    StackObject *so = g_new0(StackObject, 1);
    const char *key;
    json_t *val;

    so->name = name;
    so->obj = obj;
    if (json_is_object(obj)) {
        so->h = g_hash_table_new(g_str_hash, g_str_equal);
        json_object_foreach(obj, key, val) {
            g_hash_table_add(so->h, (gpointer)key);
        }
    }
    so->next = qiv->stack;
    qiv->stack = so;
}

static void pop(QObjectInputVisitor *qiv)
{
    StackObject *so = qiv->stack;

    assert(so);
    qiv->stack = so->next;
    if (so->h) {
        g_hash_table_destroy(so->h);
    }
    g_free(so);
}

static bool qiv_start_struct(Visitor *v, const char *name, void **obj,
                             size_t size, Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    json_t *qobj = get_object(qiv, name, true, errp);

    if (obj) {
        *obj = NULL;
    }
    if (!qobj) {
        return false;
    }
    if (!json_is_object(qobj)) {
        error_setg(errp, QERR_INVALID_PARAMETER_TYPE, full_name(qiv, name),
                   "object");
        return false;
    }
    push(qiv, name, qobj);
    if (obj) {
        *obj = g_malloc0(size);
    }
    return true;
}

static bool qiv_check_struct(Visitor *v, Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    StackObject *tos = qiv->stack;
    const char *key;
    json_t *val;

    assert(tos && tos->h);
    /* Report the first unexpected member in input order. */
    json_object_foreach(tos->obj, key, val) {
        if (g_hash_table_contains(tos->h, key)) {
            error_setg(errp, "Parameter '%s' is unexpected",
                       full_name(qiv, key));
            return false;
        }
    }
    return true;
}

static void qiv_end_struct(Visitor *v, void **obj)
{
    QObjectInputVisitor *qiv = to_qiv(v);

    assert(qiv->stack && json_is_object(qiv->stack->obj));
    pop(qiv);
}

static bool qiv_start_list(Visitor *v, const char *name, GenericList **list,
                           size_t size, Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    json_t *qobj = get_object(qiv, name, true, errp);

    if (list) {
        *list = NULL;
    }
    if (!qobj) {
        return false;
    }
    if (!json_is_array(qobj)) {
        error_setg(errp, QERR_INVALID_PARAMETER_TYPE, full_name(qiv, name),
                   "array");
        return false;
    }
    push(qiv, name, qobj);
    if (list && json_array_size(qobj)) {
        *list = g_malloc0(size);
    }
    return true;
}

static GenericList *qiv_next_list(Visitor *v, GenericList *tail,
                                  size_t size)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    StackObject *tos = qiv->stack;

    assert(tos && json_is_array(tos->obj));
    if (tos->index + 1 >= json_array_size(tos->obj)) {
        return NULL;
    }
    tos->index++;
    tail->next = g_malloc0(size);
    return tail->next;
}

static bool qiv_check_list(Visitor *v, Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    StackObject *tos = qiv->stack;
    size_t n = json_array_size(tos->obj);

    assert(tos && json_is_array(tos->obj));
    if (n && tos->index + 1 < n) {
        error_setg(errp, "Only %zu list elements expected in %s",
                   tos->index + 1, full_name_nth(qiv, NULL, 1));
        return false;
    }
    return true;
}

static void qiv_end_list(Visitor *v, void **obj)
{
    QObjectInputVisitor *qiv = to_qiv(v);

    assert(qiv->stack && json_is_array(qiv->stack->obj));
    pop(qiv);
}

static bool qiv_start_alternate(Visitor *v, const char *name,
                                GenericAlternate **obj, size_t size,
                                Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    json_t *qobj = get_object(qiv, name, false, errp);

    if (!qobj) {
        *obj = NULL;
        return false;
    }
    *obj = g_malloc0(size);
    (*obj)->type = qobject_type(qobj);
    return true;
}

static bool qiv_type_int64(Visitor *v, const char *name, int64_t *obj,
                           Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    json_t *qobj = get_object(qiv, name, true, errp);

    if (!qobj) {
        return false;
    }
    if (!json_is_integer(qobj)) {
        error_setg(errp, QERR_INVALID_PARAMETER_TYPE, full_name(qiv, name),
                   "integer");
        return false;
    }
    *obj = json_integer_value(qobj);
    return true;
}

static bool qiv_type_uint64(Visitor *v, const char *name, uint64_t *obj,
                            Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    json_t *qobj = get_object(qiv, name, true, errp);

    if (!qobj) {
        return false;
    }
    if (!json_is_integer(qobj)) {
        /* Not a number, or not an integer in uint64 range (QEMU's text) */
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, full_name(qiv, name),
                   "uint64");
        return false;
    }
    /* Negative values wrap around, for compatibility (as QEMU) */
    *obj = (uint64_t)json_integer_value(qobj);
    return true;
}

static bool qiv_type_bool(Visitor *v, const char *name, bool *obj,
                          Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    json_t *qobj = get_object(qiv, name, true, errp);

    if (!qobj) {
        return false;
    }
    if (!json_is_boolean(qobj)) {
        error_setg(errp, QERR_INVALID_PARAMETER_TYPE, full_name(qiv, name),
                   "boolean");
        return false;
    }
    *obj = json_is_true(qobj);
    return true;
}

static bool qiv_type_str(Visitor *v, const char *name, char **obj,
                         Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    json_t *qobj = get_object(qiv, name, true, errp);

    *obj = NULL;
    if (!qobj) {
        return false;
    }
    if (!json_is_string(qobj)) {
        error_setg(errp, QERR_INVALID_PARAMETER_TYPE, full_name(qiv, name),
                   "string");
        return false;
    }
    *obj = g_strdup(json_string_value(qobj));
    return true;
}

static bool qiv_type_number(Visitor *v, const char *name, double *obj,
                            Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    json_t *qobj = get_object(qiv, name, true, errp);

    if (!qobj) {
        return false;
    }
    if (!json_is_number(qobj)) {
        error_setg(errp, QERR_INVALID_PARAMETER_TYPE, full_name(qiv, name),
                   "number");
        return false;
    }
    *obj = json_number_value(qobj);
    return true;
}

static bool qiv_type_any(Visitor *v, const char *name, json_t **obj,
                         Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    json_t *qobj = get_object(qiv, name, true, errp);

    *obj = NULL;
    if (!qobj) {
        return false;
    }
    *obj = json_incref(qobj);
    return true;
}

static bool qiv_type_null(Visitor *v, const char *name, QNull **obj,
                          Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    json_t *qobj = get_object(qiv, name, true, errp);

    *obj = NULL;
    if (!qobj) {
        return false;
    }
    if (!json_is_null(qobj)) {
        error_setg(errp, QERR_INVALID_PARAMETER_TYPE, full_name(qiv, name),
                   "null");
        return false;
    }
    *obj = qnull();
    return true;
}

/* Keyval variants: scalars arrive as strings. */

static bool parse_u64(const char *str, uint64_t *val)
{
    char *end;

    if (!*str || *str == '-' || g_ascii_isspace(*str)) {
        return false;
    }
    errno = 0;
    *val = g_ascii_strtoull(str, &end, 0);
    return !errno && !*end;
}

static bool qiv_type_int64_keyval(Visitor *v, const char *name,
                                  int64_t *obj, Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    const char *str = get_keyval(qiv, name, errp);
    char *end;

    if (!str) {
        return false;
    }
    errno = 0;
    *obj = g_ascii_strtoll(str, &end, 0);
    if (!*str || errno || *end || g_ascii_isspace(*str)) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, full_name(qiv, name),
                   "int");
        return false;
    }
    return true;
}

static bool qiv_type_uint64_keyval(Visitor *v, const char *name,
                                   uint64_t *obj, Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    const char *str = get_keyval(qiv, name, errp);

    if (!str) {
        return false;
    }
    if (!parse_u64(str, obj)) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, full_name(qiv, name),
                   "uint64");
        return false;
    }
    return true;
}

static bool qiv_type_size_keyval(Visitor *v, const char *name,
                                 uint64_t *obj, Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    const char *str = get_keyval(qiv, name, errp);
    static const char suffixes[] = "BKMGTPE";
    const char *p;
    char *end;
    double d;
    int shift = 0;

    if (!str) {
        return false;
    }
    if (parse_u64(str, obj)) {
        return true;
    }
    /* A number with a size suffix: 64k, 1.5M, 1G (binary units) */
    errno = 0;
    d = g_ascii_strtod(str, &end);
    if (end != str && !errno && d >= 0 && *end && !end[1] &&
        (p = strchr(suffixes, g_ascii_toupper(*end)))) {
        shift = (p - suffixes) * 10;
        d = d * (double)(1ULL << shift);
        if (d < 0x1p64) {
            *obj = (uint64_t)d;
            return true;
        }
    }
    error_setg(errp, QERR_INVALID_PARAMETER_VALUE, full_name(qiv, name),
               "size");
    return false;
}

static bool qiv_type_bool_keyval(Visitor *v, const char *name, bool *obj,
                                 Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    const char *str = get_keyval(qiv, name, errp);

    if (!str) {
        return false;
    }
    return qapi_bool_parse(full_name(qiv, name), str, obj, errp);
}

static bool qiv_type_number_keyval(Visitor *v, const char *name,
                                   double *obj, Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    const char *str = get_keyval(qiv, name, errp);
    char *end;

    if (!str) {
        return false;
    }
    errno = 0;
    *obj = g_ascii_strtod(str, &end);
    if (!*str || errno || *end || !isfinite(*obj)) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, full_name(qiv, name),
                   "number");
        return false;
    }
    return true;
}

static bool qiv_type_null_keyval(Visitor *v, const char *name, QNull **obj,
                                 Error **errp)
{
    QObjectInputVisitor *qiv = to_qiv(v);
    const char *str = get_keyval(qiv, name, errp);

    *obj = NULL;
    if (!str) {
        return false;
    }
    if (str[0]) {
        error_setg(errp, QERR_INVALID_PARAMETER_TYPE, full_name(qiv, name),
                   "null");
        return false;
    }
    *obj = qnull();
    return true;
}

static void qiv_optional(Visitor *v, const char *name, bool *present)
{
    QObjectInputVisitor *qiv = to_qiv(v);

    *present = try_get_object(qiv, name, false) != NULL;
}

static void qiv_free(Visitor *v)
{
    QObjectInputVisitor *qiv = to_qiv(v);

    while (qiv->stack) {
        pop(qiv);
    }
    json_decref(qiv->root);
    if (qiv->errname) {
        g_string_free(qiv->errname, TRUE);
    }
    g_free(qiv);
}

static QObjectInputVisitor *qiv_new(json_t *obj)
{
    QObjectInputVisitor *qiv = g_new0(QObjectInputVisitor, 1);

    assert(obj);
    qiv->visitor.type = VISITOR_INPUT;
    qiv->visitor.start_struct = qiv_start_struct;
    qiv->visitor.check_struct = qiv_check_struct;
    qiv->visitor.end_struct = qiv_end_struct;
    qiv->visitor.start_list = qiv_start_list;
    qiv->visitor.next_list = qiv_next_list;
    qiv->visitor.check_list = qiv_check_list;
    qiv->visitor.end_list = qiv_end_list;
    qiv->visitor.start_alternate = qiv_start_alternate;
    qiv->visitor.optional = qiv_optional;
    qiv->visitor.free = qiv_free;
    qiv->visitor.type_str = qiv_type_str;
    qiv->visitor.type_any = qiv_type_any;
    qiv->root = json_incref(obj);
    return qiv;
}

Visitor *qobject_input_visitor_new(json_t *obj)
{
    QObjectInputVisitor *qiv = qiv_new(obj);

    qiv->visitor.type_int64 = qiv_type_int64;
    qiv->visitor.type_uint64 = qiv_type_uint64;
    qiv->visitor.type_bool = qiv_type_bool;
    qiv->visitor.type_number = qiv_type_number;
    qiv->visitor.type_null = qiv_type_null;
    return &qiv->visitor;
}

Visitor *qobject_input_visitor_new_keyval(json_t *obj)
{
    QObjectInputVisitor *qiv = qiv_new(obj);

    qiv->keyval = true;
    qiv->visitor.type_int64 = qiv_type_int64_keyval;
    qiv->visitor.type_uint64 = qiv_type_uint64_keyval;
    qiv->visitor.type_size = qiv_type_size_keyval;
    qiv->visitor.type_bool = qiv_type_bool_keyval;
    qiv->visitor.type_number = qiv_type_number_keyval;
    qiv->visitor.type_null = qiv_type_null_keyval;
    return &qiv->visitor;
}

Visitor *qobject_input_visitor_new_str(const char *str,
                                       const char *implied_key,
                                       Error **errp)
{
    json_t *args;
    Visitor *v;

    if (str[0] == '{') {
        args = qobject_from_json(str, errp);
        if (!args) {
            return NULL;
        }
        if (!json_is_object(args)) {
            /* e.g. "{}" followed by more input would have failed above */
            error_setg(errp, "JSON object expected");
            json_decref(args);
            return NULL;
        }
        v = qobject_input_visitor_new(args);
    } else {
        args = keyval_parse(str, implied_key, NULL, errp);
        if (!args) {
            return NULL;
        }
        v = qobject_input_visitor_new_keyval(args);
    }
    json_decref(args);
    return v;
}
