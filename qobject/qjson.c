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

GString *qobject_to_json_pretty(const json_t *obj, bool pretty)
{
    size_t flags = JSON_ENCODE_ANY | JSON_ENSURE_ASCII |
                   JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
    char *text;
    GString *out;

    if (pretty) {
        flags |= JSON_INDENT(4);
    }
    text = json_dumps(obj, flags);
    out = g_string_new(text ? text : "null");
    free(text);
    return out;
}

GString *qobject_to_json(const json_t *obj)
{
    return qobject_to_json_pretty(obj, false);
}
