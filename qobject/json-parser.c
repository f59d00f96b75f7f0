/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON parser: one value's tokens to a jansson value. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "json-parser-int.h"

typedef struct JSONParserContext {
    Error *err;               /* first error, if any */
    GQueue *buf;              /* tokens not consumed yet */
    JSONToken *current;       /* the token last popped (we free it) */
} JSONParserContext;

static json_t *parse_value(JSONParserContext *ctxt);

static void G_GNUC_PRINTF(3, 4) parse_error(JSONParserContext *ctxt,
                                            JSONToken *token,
                                            const char *msg, ...)
{
    va_list ap;
    g_autofree char *message = NULL;

    if (ctxt->err) {
        return;
    }
    va_start(ap, msg);
    message = g_strdup_vprintf(msg, ap);
    va_end(ap);
    error_setg(&ctxt->err, "JSON parse error, %s", message);
}

static JSONToken *pop_token(JSONParserContext *ctxt)
{
    g_free(ctxt->current);
    ctxt->current = g_queue_pop_head(ctxt->buf);
    return ctxt->current;
}

static JSONToken *peek_token(JSONParserContext *ctxt)
{
    return g_queue_peek_head(ctxt->buf);
}

static int hex4(const char *p)
{
    int i, cp = 0;

    for (i = 0; i < 4; i++) {
        cp = cp * 16 + g_ascii_xdigit_value(p[i]);
    }
    return cp;
}

/* Unescape string token @token ("..." or '...') into a json string. */
static json_t *parse_string(JSONParserContext *ctxt, JSONToken *token)
{
    const char *ptr = token->str;
    char quote = *ptr++;
    g_autoptr(GString) str = g_string_new(NULL);
    json_t *ret;

    while (*ptr != quote) {
        assert(*ptr);
        if (*ptr != '\\') {
            g_string_append_c(str, *ptr++);
            continue;
        }
        ptr++;
        switch (*ptr++) {
        case '"':
            g_string_append_c(str, '"');
            break;
        case '\'':
            g_string_append_c(str, '\'');
            break;
        case '\\':
            g_string_append_c(str, '\\');
            break;
        case '/':
            g_string_append_c(str, '/');
            break;
        case 'b':
            g_string_append_c(str, '\b');
            break;
        case 'f':
            g_string_append_c(str, '\f');
            break;
        case 'n':
            g_string_append_c(str, '\n');
            break;
        case 'r':
            g_string_append_c(str, '\r');
            break;
        case 't':
            g_string_append_c(str, '\t');
            break;
        case 'u': {
            const char *beg = ptr - 2;
            int cp = hex4(ptr);

            ptr += 4;
            if (cp >= 0xd800 && cp <= 0xdbff && ptr[0] == '\\'
                && ptr[1] == 'u') {
                int trailing = hex4(ptr + 2);

                if (trailing >= 0xdc00 && trailing <= 0xdfff) {
                    cp = 0x10000 + ((cp & 0x3ff) << 10) + (trailing & 0x3ff);
                    ptr += 6;
                }
            }
            if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
                parse_error(ctxt, token,
                            "%.*s is not a valid Unicode character",
                            (int)(ptr - beg), beg);
                return NULL;
            }
            g_string_append_unichar(str, cp);
            break;
        }
        default:
            /* the lexer admits only the escapes above */
            abort();
        }
    }
    if (!g_utf8_validate(str->str, str->len, NULL)) {
        parse_error(ctxt, token, "invalid UTF-8 sequence in string");
        return NULL;
    }
    ret = json_stringn(str->str, str->len);
    if (!ret) {
        parse_error(ctxt, token, "invalid UTF-8 sequence in string");
    }
    return ret;
}

static bool parse_pair(JSONParserContext *ctxt, json_t *dict)
{
    json_t *key, *value;
    JSONToken *peek, *token;

    peek = peek_token(ctxt);
    if (!peek) {
        parse_error(ctxt, NULL, "premature EOI");
        return false;
    }
    if (peek->type != JSON_TOK_STRING) {
        parse_error(ctxt, peek, "key is not a string in object");
        return false;
    }
    key = parse_string(ctxt, pop_token(ctxt));
    if (!key) {
        return false;
    }
    token = pop_token(ctxt);
    if (!token) {
        parse_error(ctxt, NULL, "premature EOI");
        goto fail;
    }
    if (token->type != JSON_COLON) {
        parse_error(ctxt, token, "missing : in object pair");
        goto fail;
    }
    value = parse_value(ctxt);
    if (!value) {
        parse_error(ctxt, token, "Missing value in dict");
        goto fail;
    }
    if (json_object_get(dict, json_string_value(key))) {
        parse_error(ctxt, token, "duplicate key");
        json_decref(value);
        goto fail;
    }
    /* keys may hold "\u0000"-free UTF-8 only, checked above */
    json_object_set_new(dict, json_string_value(key), value);
    json_decref(key);
    return true;

fail:
    json_decref(key);
    return false;
}

static json_t *parse_object(JSONParserContext *ctxt)
{
    json_t *dict = json_object();
    JSONToken *token, *peek;

    token = pop_token(ctxt);
    assert(token && token->type == JSON_LCURLY);
    peek = peek_token(ctxt);
    if (!peek) {
        parse_error(ctxt, NULL, "premature EOI");
        goto fail;
    }
    if (peek->type == JSON_RCURLY) {
        pop_token(ctxt);
        return dict;
    }
    for (;;) {
        if (!parse_pair(ctxt, dict)) {
            goto fail;
        }
        token = pop_token(ctxt);
        if (!token) {
            parse_error(ctxt, NULL, "premature EOI");
            goto fail;
        }
        if (token->type == JSON_RCURLY) {
            return dict;
        }
        if (token->type != JSON_COMMA) {
            parse_error(ctxt, token, "expected separator in dict");
            goto fail;
        }
    }

fail:
    json_decref(dict);
    return NULL;
}

static json_t *parse_array(JSONParserContext *ctxt)
{
    json_t *list = json_array();
    JSONToken *token, *peek;
    json_t *obj;

    token = pop_token(ctxt);
    assert(token && token->type == JSON_LSQUARE);
    peek = peek_token(ctxt);
    if (!peek) {
        parse_error(ctxt, NULL, "premature EOI");
        goto fail;
    }
    if (peek->type == JSON_RSQUARE) {
        pop_token(ctxt);
        return list;
    }
    for (;;) {
        obj = parse_value(ctxt);
        if (!obj) {
            parse_error(ctxt, token, "expecting value");
            goto fail;
        }
        json_array_append_new(list, obj);
        token = pop_token(ctxt);
        if (!token) {
            parse_error(ctxt, NULL, "premature EOI");
            goto fail;
        }
        if (token->type == JSON_RSQUARE) {
            return list;
        }
        if (token->type != JSON_COMMA) {
            parse_error(ctxt, token, "expected separator in list");
            goto fail;
        }
    }

fail:
    json_decref(list);
    return NULL;
}

static json_t *parse_keyword(JSONParserContext *ctxt)
{
    JSONToken *token = pop_token(ctxt);

    assert(token && token->type == JSON_KEYWORD);
    if (!strcmp(token->str, "true")) {
        return json_true();
    } else if (!strcmp(token->str, "false")) {
        return json_false();
    } else if (!strcmp(token->str, "null")) {
        return json_null();
    }
    parse_error(ctxt, token, "invalid keyword '%s'", token->str);
    return NULL;
}

/*
 * Integers in int64 range become json_integer; larger ones up to
 * UINT64_MAX are kept bit-exact as a wrapped json_integer (QEMU keeps
 * them as unsigned QNum; see qapi/qmp/qobject.h); anything else is a
 * json_real, as in QEMU.
 */
static json_t *parse_number(JSONParserContext *ctxt)
{
    JSONToken *token = pop_token(ctxt);
    json_t *ret;
    char *end;
    double d;
    gint64 v;
    guint64 u;

    if (token->type == JSON_TOK_INTEGER) {
        errno = 0;
        v = g_ascii_strtoll(token->str, &end, 10);
        if (!errno && !*end) {
            return json_integer(v);
        }
        if (token->str[0] != '-') {
            errno = 0;
            u = g_ascii_strtoull(token->str, &end, 10);
            if (!errno && !*end) {
                return json_integer((json_int_t)u);
            }
        }
    }
    d = g_ascii_strtod(token->str, &end);
    ret = json_real(d);
    if (!ret) {
        parse_error(ctxt, token, "number '%s' is out of range", token->str);
    }
    return ret;
}

static json_t *parse_value(JSONParserContext *ctxt)
{
    JSONToken *token = peek_token(ctxt);

    if (!token) {
        parse_error(ctxt, NULL, "premature EOI");
        return NULL;
    }
    switch (token->type) {
    case JSON_LCURLY:
        return parse_object(ctxt);
    case JSON_LSQUARE:
        return parse_array(ctxt);
    case JSON_TOK_STRING:
        return parse_string(ctxt, pop_token(ctxt));
    case JSON_TOK_INTEGER:
    case JSON_FLOAT:
        return parse_number(ctxt);
    case JSON_KEYWORD:
        return parse_keyword(ctxt);
    default:
        parse_error(ctxt, token, "expecting value");
        return NULL;
    }
}

JSONToken *json_token(JSONTokenType type, int x, int y, GString *tokstr)
{
    JSONToken *token = g_malloc(sizeof(JSONToken) + tokstr->len + 1);

    token->type = type;
    memcpy(token->str, tokstr->str, tokstr->len);
    token->str[tokstr->len] = 0;
    token->x = x;
    token->y = y;
    return token;
}

json_t *json_parser_parse(GQueue *tokens, va_list *ap, Error **errp)
{
    JSONParserContext ctxt = { .buf = tokens };
    json_t *result;

    result = parse_value(&ctxt);
    if (!ctxt.err && !g_queue_is_empty(tokens)) {
        parse_error(&ctxt, peek_token(&ctxt), "expecting end of input");
    }
    if (ctxt.err) {
        json_decref(result);
        result = NULL;
    }
    error_propagate(errp, ctxt.err);
    g_free(ctxt.current);
    return result;
}
