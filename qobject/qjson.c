/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON text to and from json_t: qobject_from_json(), qobject_to_json(). */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp/json-parser.h"
#include "qapi/qmp/qjson.h"

typedef struct JSONParsingState {
    JSONMessageParser parser;
    json_t *result;           /* the one value seen so far */
    Error *err;               /* first error */
} JSONParsingState;

static void consume_json(void *opaque, json_t *json, Error *err)
{
    JSONParsingState *s = opaque;

    assert(!json != !err);
    if (s->result) {
        json_decref(s->result);
        s->result = NULL;
        error_setg(&s->err, "Expecting at most one JSON value");
    }
    if (s->err) {
        json_decref(json);
        error_free(err);
        return;
    }
    s->result = json;
    s->err = err;
}

json_t *qobject_from_json(const char *string, Error **errp)
{
    JSONParsingState state = {};

    json_message_parser_init(&state.parser, consume_json, &state);
    json_message_parser_feed(&state.parser, string, strlen(string));
    json_message_parser_flush(&state.parser);
    json_message_parser_destroy(&state.parser);
    if (!state.result && !state.err) {
        /* Empty input: no value, no error (as QEMU) */
        return NULL;
    }
    error_propagate(errp, state.err);
    return state.result;
}

#define JSON_SCALAR_FLAGS \
    (JSON_ENCODE_ANY | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | \
     JSON_REAL_PRECISION(17))

static void append_scalar(GString *out, const json_t *v)
{
    char *text = json_dumps(v, JSON_SCALAR_FLAGS);

    g_string_append(out, text ? text : "null");
    free(text);
}

static void append_indent(GString *out, int depth)
{
    g_string_append_c(out, '\n');
    g_string_append_printf(out, "%*s", depth * 4, "");
}

/*
 * QEMU's pretty form: each member or element on its own line, four
 * spaces deeper than its container, whose closing bracket stands on a
 * line of its own even when it is empty ("{" newline "}").
 */
static void append_pretty(GString *out, const json_t *v, int depth)
{
    bool is_object = json_is_object(v);
    const char *key;
    json_t *member;
    size_t i;

    if (!is_object && !json_is_array(v)) {
        append_scalar(out, v);
        return;
    }
    g_string_append_c(out, is_object ? '{' : '[');
    if (is_object) {
        i = 0;
        json_object_foreach((json_t *)v, key, member) {
            json_t *name = json_string(key);

            g_string_append(out, i++ ? "," : "");
            append_indent(out, depth + 1);
            append_scalar(out, name);
            g_string_append(out, ": ");
            append_pretty(out, member, depth + 1);
            json_decref(name);
        }
    } else {
        json_array_foreach(v, i, member) {
            g_string_append(out, i ? "," : "");
            append_indent(out, depth + 1);
            append_pretty(out, member, depth + 1);
        }
    }
    append_indent(out, depth);
    g_string_append_c(out, is_object ? '}' : ']');
}

GString *qobject_to_json_pretty(const json_t *obj, bool pretty)
{
    GString *out = g_string_new(NULL);

    if (pretty) {
        append_pretty(out, obj, 0);
    } else {
        append_scalar(out, obj);
    }
    return out;
}

GString *qobject_to_json(const json_t *obj)
{
    return qobject_to_json_pretty(obj, false);
}
