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

/*
 * Two flavours share everything but the scalars: plain JSON input (QMP
 * arguments) and keyval input (-blockdev and friends), where every
 * scalar arrives as a string and is parsed here.
 */

/* An object or array the visit has entered. */
typedef struct InputLevel {
    const char *name;         /* its member name in the parent, or NULL */
    json_t *value;            /* the object or array (borrowed) */
    GHashTable *unvisited;    /* object: names of members not visited */
    size_t index;             /* array: the element being visited */
    struct InputLevel *up;    /* the enclosing level, NULL at the root */
} InputLevel;

typedef struct InputVisitor {
    Visitor visitor;
    json_t *root;             /* our reference to the whole input */
    bool keyval;              /* keyval flavour */
    InputLevel *level;        /* innermost level, NULL before the root */
} InputVisitor;

/* Bit for jansson type @t in a set of acceptable types */
#define KIND(t) (1u << (t))

static InputVisitor *input_visitor(Visitor *v)
{
    return container_of(v, InputVisitor, visitor);
}

/*
 * Spell the way from the root down to @lvl, then to its member @child:
 * "a.b[2].c" ("a.b.2.c" in keyval flavour, which numbers elements as
 * keyval keys do).  Recursion depth is bounded by the input's nesting.
 */
static void append_path(GString *out, const InputLevel *lvl,
                        const char *child, bool keyval)
{
    if (lvl->up) {
        append_path(out, lvl->up, lvl->name, keyval);
    } else if (lvl->name) {
        g_string_append(out, lvl->name);
    }
    if (json_is_array(lvl->value)) {
        g_string_append_printf(out, keyval ? ".%zu" : "[%zu]", lvl->index);
    } else {
        g_string_append_printf(out, ".%s", child ?: "<anonymous>");
    }
}

/*
 * The path of member @name of the level @outward levels up from the
 * innermost one, for error messages (g_free it).
 */
static char *input_path(InputVisitor *iv, const char *name, int outward)
{
    const InputLevel *lvl = iv->level;
    GString *out;

    for (; outward; outward--) {
        assert(lvl);
        name = lvl->name;
        lvl = lvl->up;
    }
    if (!lvl) {
        return g_strdup(name ?: "<anonymous>");
    }
    out = g_string_new(NULL);
    append_path(out, lvl, name, iv->keyval);
    /* an unnamed root object leaves a leading '.' */
    if (out->str[0] == '.') {
        g_string_erase(out, 0, 1);
    }
    return g_string_free(out, false);
}

/* Error helpers, all returning false */

static bool fail_type(InputVisitor *iv, const char *name,
                      const char *expected, Error **errp)
{
    g_autofree char *path = input_path(iv, name, 0);

    error_setg(errp, QERR_INVALID_PARAMETER_TYPE, path, expected);
    return false;
}

static bool fail_value(InputVisitor *iv, const char *name,
                       const char *expected, Error **errp)
{
    g_autofree char *path = input_path(iv, name, 0);

    error_setg(errp, QERR_INVALID_PARAMETER_VALUE, path, expected);
    return false;
}

/* What is visited as @name now, without marking it visited; or NULL. */
static json_t *input_peek(InputVisitor *iv, const char *name)
{
    InputLevel *lvl = iv->level;

    if (!lvl) {
        /* the root itself: @name serves error messages only */
        return iv->root;
    }
    if (json_is_array(lvl->value)) {
        assert(!name);
        return json_array_get(lvl->value, lvl->index);
    }
    assert(name);
    return json_object_get(lvl->value, name);
}

/* Like input_peek(), but an absent member is an error. */
static json_t *input_need(InputVisitor *iv, const char *name, Error **errp)
{
    json_t *val = input_peek(iv, name);

    if (!val) {
        g_autofree char *path = input_path(iv, name, 0);

        error_setg(errp, QERR_MISSING_PARAMETER, path);
    }
    return val;
}

/* input_need(), marking the member visited. */
static json_t *input_take(InputVisitor *iv, const char *name, Error **errp)
{
    json_t *val = input_need(iv, name, errp);

    if (val && iv->level && iv->level->unvisited) {
        g_hash_table_remove(iv->level->unvisited, name);
    }
    return val;
}

/* input_take() of a value whose jansson type is in @kinds. */
static json_t *input_take_kind(InputVisitor *iv, const char *name,
                               unsigned kinds, const char *expected,
                               Error **errp)
{
    json_t *val = input_take(iv, name, errp);

    if (val && !(kinds & KIND(json_typeof(val)))) {
        fail_type(iv, name, expected, errp);
        return NULL;
    }
    return val;
}

static void input_enter(InputVisitor *iv, const char *name, json_t *value)
{
    InputLevel *lvl = g_new0(InputLevel, 1);

    lvl->name = name;
    lvl->value = value;
    lvl->up = iv->level;
    if (json_is_object(value)) {
        const char *key;
        json_t *member;

        lvl->unvisited = g_hash_table_new(g_str_hash, g_str_equal);
        json_object_foreach(value, key, member) {
            g_hash_table_add(lvl->unvisited, (gpointer)key);
        }
    }
    iv->level = lvl;
}

static void input_leave(InputVisitor *iv)
{
    InputLevel *lvl = iv->level;

    iv->level = lvl->up;
    if (lvl->unvisited) {
        g_hash_table_destroy(lvl->unvisited);
    }
    g_free(lvl);
}

/* Containers */

static bool input_start_struct(Visitor *v, const char *name, void **obj,
                               size_t size, Error **errp)
{
    InputVisitor *iv = input_visitor(v);
    json_t *val = input_take_kind(iv, name, KIND(JSON_OBJECT), "object",
                                  errp);

    if (val) {
        input_enter(iv, name, val);
    }
    if (obj) {
        *obj = val ? g_malloc0(size) : NULL;
    }
    return val != NULL;
}

static bool input_check_struct(Visitor *v, Error **errp)
{
    InputVisitor *iv = input_visitor(v);
    const char *key;
    json_t *member;

    assert(iv->level && iv->level->unvisited);
    /* the first left-over member, in the order the client sent them */
    json_object_foreach(iv->level->value, key, member) {
        if (g_hash_table_contains(iv->level->unvisited, key)) {
            g_autofree char *path = input_path(iv, key, 0);

            error_setg(errp, "Parameter '%s' is unexpected", path);
            return false;
        }
    }
    return true;
}

static void input_end_container(Visitor *v, void **obj)
{
    InputVisitor *iv = input_visitor(v);

    assert(iv->level);
    input_leave(iv);
}

static bool input_start_list(Visitor *v, const char *name,
                             GenericList **list, size_t size, Error **errp)
{
    InputVisitor *iv = input_visitor(v);
    json_t *val = input_take_kind(iv, name, KIND(JSON_ARRAY), "array", errp);

    if (val) {
        input_enter(iv, name, val);
    }
    if (list) {
        /* an empty list is NULL */
        *list = val && json_array_size(val) ? g_malloc0(size) : NULL;
    }
    return val != NULL;
}

static GenericList *input_next_list(Visitor *v, GenericList *tail,
                                    size_t size)
{
    InputLevel *lvl = input_visitor(v)->level;

    assert(lvl && json_is_array(lvl->value));
    if (lvl->index + 1 >= json_array_size(lvl->value)) {
        return NULL;
    }
    lvl->index++;
    tail->next = g_malloc0(size);
    return tail->next;
}

static bool input_check_list(Visitor *v, Error **errp)
{
    InputVisitor *iv = input_visitor(v);
    InputLevel *lvl = iv->level;
    size_t visited, total;

    assert(lvl && json_is_array(lvl->value));
    total = json_array_size(lvl->value);
    visited = lvl->index + 1;
    if (total && visited < total) {
        g_autofree char *path = input_path(iv, NULL, 1);

        error_setg(errp, "Only %zu list elements expected in %s", visited,
                   path);
        return false;
    }
    return true;
}

static bool input_start_alternate(Visitor *v, const char *name,
                                  GenericAlternate **obj, size_t size,
                                  Error **errp)
{
    /* The branch's own visit takes the member; here we only look. */
    json_t *val = input_need(input_visitor(v), name, errp);

    *obj = NULL;
    if (val) {
        *obj = g_malloc0(size);
        (*obj)->type = qobject_type(val);
    }
    return val != NULL;
}

static void input_optional(Visitor *v, const char *name, bool *present)
{
    *present = input_peek(input_visitor(v), name) != NULL;
}

/* Scalars of either flavour */

static bool input_str(Visitor *v, const char *name, char **obj,
                      Error **errp)
{
    json_t *val = input_take_kind(input_visitor(v), name, KIND(JSON_STRING),
                                  "string", errp);

    *obj = val ? g_strdup(json_string_value(val)) : NULL;
    return val != NULL;
}

static bool input_any(Visitor *v, const char *name, json_t **obj,
                      Error **errp)
{
    json_t *val = input_take(input_visitor(v), name, errp);

    *obj = json_incref(val);
    return val != NULL;
}

/* Scalars of the JSON flavour */

/*
 * The JSON visit of a scalar: a value of a jansson type in @kinds, else
 * "Invalid parameter type for 'PATH', expected: @expected"; converted to
 * C with @get.
 */
#define JSON_SCALAR(fn, ctype, kinds, expected, get)                    \
static bool fn(Visitor *v, const char *name, ctype *obj, Error **errp) \
{                                                                       \
    json_t *val = input_take_kind(input_visitor(v), name, kinds,        \
                                  expected, errp);                      \
                                                                        \
    if (val) {                                                          \
        *obj = get(val);                                                \
    }                                                                   \
    return val != NULL;                                                 \
}

JSON_SCALAR(json_int64, int64_t, KIND(JSON_INTEGER), "integer",
            json_integer_value)
JSON_SCALAR(json_bool, bool, KIND(JSON_TRUE) | KIND(JSON_FALSE), "boolean",
            json_is_true)
JSON_SCALAR(json_number, double, KIND(JSON_INTEGER) | KIND(JSON_REAL),
            "number", json_number_value)

static bool json_uint64(Visitor *v, const char *name, uint64_t *obj,
                        Error **errp)
{
    InputVisitor *iv = input_visitor(v);
    json_t *val = input_take(iv, name, errp);

    if (!val) {
        return false;
    }
    if (!json_is_integer(val)) {
        return fail_value(iv, name, "uint64", errp);
    }
    /*
     * The parser stores integers above INT64_MAX wrapped, and QEMU lets
     * negative numbers wrap too: both come back as their uint64 bits.
     */
    *obj = (uint64_t)json_integer_value(val);
    return true;
}

static bool json_null_member(Visitor *v, const char *name, QNull **obj,
                             Error **errp)
{
    json_t *val = input_take_kind(input_visitor(v), name, KIND(JSON_NULL),
                                  "null", errp);

    *obj = val ? qnull() : NULL;
    return val != NULL;
}

/* Scalars of the keyval flavour: strings to parse */

/* The text of scalar @name, or NULL with @errp set. */
static const char *keyval_text(InputVisitor *iv, const char *name,
                               Error **errp)
{
    json_t *val = input_take(iv, name, errp);

    if (!val) {
        return NULL;
    }
    if (json_is_object(val) || json_is_array(val)) {
        /* "a=1,a.b=2": a used both as a scalar and as a container */
        g_autofree char *path = input_path(iv, name, 0);

        error_setg(errp, "Parameters '%s.*' used inconsistently", path);
        return NULL;
    }
    if (!json_is_string(val)) {
        /* keyval_parse() makes strings only; a caller's value might not */
        fail_type(iv, name, "string", errp);
        return NULL;
    }
    return json_string_value(val);
}

/* Number parsers for keyval text: true if all of @text is the number */

static bool keyval_number_start(const char *text)
{
    return *text && !g_ascii_isspace(*text);
}

/* Decimal, 0x hex or 0 octal, signed. */
static bool parse_i64(const char *text, int64_t *out)
{
    char *end;

    errno = 0;
    *out = g_ascii_strtoll(text, &end, 0);
    return keyval_number_start(text) && !errno && !*end;
}

/* The same, unsigned: a '-' is refused, not wrapped. */
static bool parse_u64(const char *text, uint64_t *out)
{
    char *end;

    if (!keyval_number_start(text) || *text == '-') {
        return false;
    }
    errno = 0;
    *out = g_ascii_strtoull(text, &end, 0);
    return !errno && !*end;
}

/* A plain number of bytes, or a number with a B/K/M/G/T/P/E suffix. */
static bool parse_size(const char *text, uint64_t *out)
{
    static const char units[] = "BKMGTPE";
    const char *unit;
    char *end;
    double d;

    if (parse_u64(text, out)) {
        return true;
    }
    errno = 0;
    d = g_ascii_strtod(text, &end);
    if (end == text || errno || d < 0 || !*end || end[1]) {
        return false;
    }
    unit = strchr(units, g_ascii_toupper(*end));
    if (!unit) {
        return false;
    }
    d = ldexp(d, 10 * (unit - units));
    if (d >= 0x1p64) {
        return false;
    }
    *out = (uint64_t)d;
    return true;
}

static bool parse_double(const char *text, double *out)
{
    char *end;

    errno = 0;
    *out = g_ascii_strtod(text, &end);
    return *text && !errno && !*end && isfinite(*out);
}

/*
 * The keyval visit of a number: its text through @parse; on failure
 * "Parameter 'PATH' expects @expected" and *@obj unchanged.
 */
#define KEYVAL_NUMBER(fn, ctype, parse, expected)                       \
static bool fn(Visitor *v, const char *name, ctype *obj, Error **errp) \
{                                                                       \
    InputVisitor *iv = input_visitor(v);                                \
    const char *text = keyval_text(iv, name, errp);                     \
    ctype val;                                                          \
                                                                        \
    if (!text) {                                                        \
        return false;                                                   \
    }                                                                   \
    if (!parse(text, &val)) {                                           \
        return fail_value(iv, name, expected, errp);                    \
    }                                                                   \
    *obj = val;                                                         \
    return true;                                                        \
}

KEYVAL_NUMBER(keyval_int64, int64_t, parse_i64, "int")
KEYVAL_NUMBER(keyval_uint64, uint64_t, parse_u64, "uint64")
KEYVAL_NUMBER(keyval_size, uint64_t, parse_size, "size")
KEYVAL_NUMBER(keyval_number, double, parse_double, "number")

static bool keyval_bool(Visitor *v, const char *name, bool *obj,
                        Error **errp)
{
    InputVisitor *iv = input_visitor(v);
    const char *text = keyval_text(iv, name, errp);
    g_autofree char *path = NULL;

    if (!text) {
        return false;
    }
    path = input_path(iv, name, 0);
    return qapi_bool_parse(path, text, obj, errp);
}

static bool keyval_null(Visitor *v, const char *name, QNull **obj,
                        Error **errp)
{
    InputVisitor *iv = input_visitor(v);
    const char *text = keyval_text(iv, name, errp);

    *obj = NULL;
    if (!text) {
        return false;
    }
    /* null is spelt as the empty string */
    if (*text) {
        return fail_type(iv, name, "null", errp);
    }
    *obj = qnull();
    return true;
}

static void input_free(Visitor *v)
{
    InputVisitor *iv = input_visitor(v);

    while (iv->level) {
        input_leave(iv);
    }
    json_decref(iv->root);
    g_free(iv);
}

/* What both flavours do alike: containers, strings, any, optional */
#define INPUT_COMMON_OPS                                \
    .kind = VISITOR_INPUT,                              \
    .start_struct = input_start_struct,                 \
    .check_struct = input_check_struct,                 \
    .end_struct = input_end_container,                  \
    .start_list = input_start_list,                     \
    .next_list = input_next_list,                       \
    .check_list = input_check_list,                     \
    .end_list = input_end_container,                    \
    .start_alternate = input_start_alternate,           \
    .type_str = input_str,                              \
    .type_any = input_any,                              \
    .optional = input_optional,                         \
    .free = input_free

static const VisitorOps json_input_ops = {
    INPUT_COMMON_OPS,
    .type_bool = json_bool,
    .type_int64 = json_int64,
    .type_uint64 = json_uint64,
    .type_number = json_number,
    .type_null = json_null_member,
};

static const VisitorOps keyval_input_ops = {
    INPUT_COMMON_OPS,
    .type_bool = keyval_bool,
    .type_int64 = keyval_int64,
    .type_uint64 = keyval_uint64,
    .type_size = keyval_size,
    .type_number = keyval_number,
    .type_null = keyval_null,
};

static Visitor *input_visitor_new(json_t *obj, bool keyval)
{
    InputVisitor *iv = g_new0(InputVisitor, 1);

    assert(obj);
    iv->visitor.ops = keyval ? &keyval_input_ops : &json_input_ops;
    iv->keyval = keyval;
    iv->root = json_incref(obj);
    return &iv->visitor;
}

Visitor *qobject_input_visitor_new(json_t *obj)
{
    return input_visitor_new(obj, false);
}

Visitor *qobject_input_visitor_new_keyval(json_t *obj)
{
    return input_visitor_new(obj, true);
}

/* @str as JSON text that must hold an object. */
static json_t *json_object_from_text(const char *str, Error **errp)
{
    json_t *val = qobject_from_json(str, errp);

    if (val && !json_is_object(val)) {
        error_setg(errp, "JSON object expected");
        json_decref(val);
        return NULL;
    }
    return val;
}

Visitor *qobject_input_visitor_new_str(const char *str,
                                       const char *implied_key,
                                       Error **errp)
{
    /* what starts like a JSON object is one; anything else is keyval */
    bool keyval = str[0] != '{';
    json_t *args = keyval ? keyval_parse(str, implied_key, NULL, errp)
                          : json_object_from_text(str, errp);
    Visitor *v = NULL;

    if (args) {
        v = input_visitor_new(args, keyval);
        json_decref(args);
    }
    return v;
}
