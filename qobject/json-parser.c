/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON parser: one value's tokens to a jansson value. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "json-parser-int.h"

/*
 * A recursive descent over the tokens the streamer collected.  The
 * streamer bounds the nesting depth (MAX_NESTING), so recursion is
 * bounded too.  Error texts are QEMU's ("JSON parse error, ..."); only
 * the first error of a value is kept.
 */
typedef struct TokenCursor {
    GPtrArray *tokens;        /* JSONToken *, owned by the streamer */
    guint next;               /* index of the first unread token */
    Error *err;               /* first error, if any */
} TokenCursor;

static json_t *read_value(TokenCursor *cur);

static void G_GNUC_PRINTF(2, 3) syntax_error(TokenCursor *cur,
                                             const char *fmt, ...)
{
    g_autofree char *what = NULL;
    va_list ap;

    if (cur->err) {
        return;
    }
    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_setg(&cur->err, "JSON parse error, %s", what);
}

/* The next token, left in place; NULL at the end. */
static JSONToken *look(TokenCursor *cur)
{
    if (cur->next >= cur->tokens->len) {
        return NULL;
    }
    return g_ptr_array_index(cur->tokens, cur->next);
}

/* The next token, consumed; NULL (and an error) at the end. */
static JSONToken *take(TokenCursor *cur)
{
    JSONToken *tok = look(cur);

    if (!tok) {
        syntax_error(cur, "premature EOI");
        return NULL;
    }
    cur->next++;
    return tok;
}

/*
 * Decode the escape \uXXXX at *@pos (pointing at the 'u'), pairing a
 * high surrogate with a \u low surrogate right after it.  Returns the
 * code point, or 0 for one JSON text may not carry in QEMU (U+0000 and
 * unpaired surrogates).  *@pos moves past what was decoded.
 */
static gunichar decode_utf16_escape(const char **pos)
{
    const char *p = *pos + 1;
    gunichar hi = 0, lo = 0;
    int i;

    for (i = 0; i < 4; i++) {
        hi = hi << 4 | g_ascii_xdigit_value(*p++);
    }
    if (hi >= 0xd800 && hi < 0xdc00 && p[0] == '\\' && p[1] == 'u') {
        for (i = 0; i < 4; i++) {
            lo = lo << 4 | g_ascii_xdigit_value(p[2 + i]);
        }
        if (lo >= 0xdc00 && lo < 0xe000) {
            p += 6;
            hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
        }
    }
    *pos = p;
    return hi >= 0xd800 && hi < 0xe000 ? 0 : hi;
}

/* The token text of a quoted string to its value. */
static json_t *read_string(TokenCursor *cur, const JSONToken *tok)
{
    /* escape letters and what they stand for; others stand for themselves */
    static const char named[] = "bfnrt";
    static const char meant[] = "\b\f\n\r\t";
    g_autoptr(GString) out = g_string_sized_new(strlen(tok->str));
    const char *p = tok->str + 1;
    const char *end = tok->str + strlen(tok->str) - 1;
    json_t *str;

    /* The lexer vouches for the quotes and that escapes are well-formed */
    while (p < end) {
        const char *esc = p;
        const char *letter;

        if (*p != '\\') {
            g_string_append_c(out, *p++);
            continue;
        }
        p++;
        if (*p == 'u') {
            gunichar c = decode_utf16_escape(&p);

            if (!c) {
                syntax_error(cur, "%.*s is not a valid Unicode character",
                             (int)(p - esc), esc);
                return NULL;
            }
            g_string_append_unichar(out, c);
            continue;
        }
        letter = strchr(named, *p);
        g_string_append_c(out, letter ? meant[letter - named] : *p);
        p++;
    }

    str = g_utf8_validate(out->str, out->len, NULL) ?
          json_stringn(out->str, out->len) : NULL;
    if (!str) {
        syntax_error(cur, "invalid UTF-8 sequence in string");
    }
    return str;
}

/*
 * Integers within int64 range become JSON integers; larger ones up to
 * UINT64_MAX are stored bit for bit, wrapped into a json_integer, as
 * QEMU keeps them as an unsigned QNum (see qapi/qmp/qobject.h).  The
 * rest, fractions and exponents included, become reals.
 */
static json_t *read_number(TokenCursor *cur, const JSONToken *tok)
{
    const char *text = tok->str;
    json_t *num;
    guint64 u;
    gint64 i;

    if (tok->type == JSON_TOK_INTEGER) {
        if (text[0] == '-') {
            if (g_ascii_string_to_signed(text, 10, G_MININT64, 0, &i,
                                         NULL)) {
                return json_integer(i);
            }
        } else if (g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &u,
                                              NULL)) {
            return json_integer((json_int_t)u);
        }
    }
    num = json_real(g_ascii_strtod(text, NULL));
    if (!num) {
        syntax_error(cur, "number '%s' is out of range", text);
    }
    return num;
}

static json_t *read_keyword(TokenCursor *cur, const JSONToken *tok)
{
    if (g_str_equal(tok->str, "null")) {
        return json_null();
    }
    if (g_str_equal(tok->str, "true") || g_str_equal(tok->str, "false")) {
        return json_boolean(tok->str[0] == 't');
    }
    syntax_error(cur, "invalid keyword '%s'", tok->str);
    return NULL;
}

/*
 * After an element of an object or array: true if another follows (a
 * comma), false at @closer or on error (cur->err tells which).
 */
static bool more_elements(TokenCursor *cur, JSONTokenType closer,
                          const char *container)
{
    JSONToken *tok = take(cur);

    if (!tok || tok->type == closer) {
        return false;
    }
    if (tok->type != JSON_COMMA) {
        syntax_error(cur, "expected separator in %s", container);
        return false;
    }
    return true;
}

/* "KEY": VALUE into @obj */
static bool read_member(TokenCursor *cur, json_t *obj)
{
    JSONToken *tok = look(cur);
    json_t *key, *value;
    bool ok = false;

    if (tok && tok->type != JSON_TOK_STRING) {
        syntax_error(cur, "key is not a string in object");
        return false;
    }
    tok = take(cur);
    key = tok ? read_string(cur, tok) : NULL;
    if (!key) {
        return false;
    }
    tok = take(cur);
    if (tok && tok->type != JSON_COLON) {
        syntax_error(cur, "missing : in object pair");
    } else if (tok) {
        value = read_value(cur);
        if (!value) {
            syntax_error(cur, "Missing value in dict");
        } else if (json_object_get(obj, json_string_value(key))) {
            syntax_error(cur, "duplicate key");
            json_decref(value);
        } else {
            /* read_string() refused "\u0000", so the key is a C string */
            json_object_set_new(obj, json_string_value(key), value);
            ok = true;
        }
    }
    json_decref(key);
    return ok;
}

/* After '{' or '[': the container's members up to its closer. */
static json_t *read_container(TokenCursor *cur, bool is_object)
{
    JSONTokenType closer = is_object ? JSON_RCURLY : JSON_RSQUARE;
    json_t *c = is_object ? json_object() : json_array();
    JSONToken *tok = look(cur);

    if (tok && tok->type == closer) {
        cur->next++;
        return c;
    }
    if (!tok) {
        take(cur);              /* reports the premature end */
        goto fail;
    }
    do {
        if (is_object) {
            if (!read_member(cur, c)) {
                goto fail;
            }
        } else {
            json_t *elem = read_value(cur);

            if (!elem) {
                syntax_error(cur, "expecting value");
                goto fail;
            }
            json_array_append_new(c, elem);
        }
    } while (more_elements(cur, closer, is_object ? "dict" : "list"));
    if (!cur->err) {
        return c;
    }

fail:
    json_decref(c);
    return NULL;
}

static json_t *read_value(TokenCursor *cur)
{
    JSONToken *tok = take(cur);

    if (!tok) {
        return NULL;
    }
    switch (tok->type) {
    case JSON_LCURLY:
    case JSON_LSQUARE:
        return read_container(cur, tok->type == JSON_LCURLY);
    case JSON_TOK_STRING:
        return read_string(cur, tok);
    case JSON_TOK_INTEGER:
    case JSON_FLOAT:
        return read_number(cur, tok);
    case JSON_KEYWORD:
        return read_keyword(cur, tok);
    default:
        syntax_error(cur, "expecting value");
        return NULL;
    }
}

json_t *json_tokens_to_value(GPtrArray *tokens, Error **errp)
{
    TokenCursor cur = { .tokens = tokens };
    json_t *value = read_value(&cur);

    if (value && look(&cur)) {
        syntax_error(&cur, "expecting end of input");
    }
    if (cur.err) {
        json_decref(value);
        error_propagate(errp, cur.err);
        return NULL;
    }
    return value;
}
