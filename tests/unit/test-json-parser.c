/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON message parser and qjson: splitting, errors, recovery, bounds. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp/json-parser.h"
#include "qapi/qmp/qjson.h"

/* Collects what the parser emits, as JSON text or "ERR: message". */
typedef struct Collector {
    JSONMessageParser parser;
    GPtrArray *out;
} Collector;

static void collect(void *opaque, json_t *json, Error *err)
{
    Collector *c = opaque;

    g_assert(!json != !err);
    if (json) {
        GString *s = qobject_to_json(json);

        g_ptr_array_add(c->out, g_string_free(s, FALSE));
        json_decref(json);
    } else {
        g_ptr_array_add(c->out, g_strdup_printf("ERR: %s",
                                                error_get_pretty(err)));
        error_free(err);
    }
}

static void collector_init(Collector *c)
{
    c->out = g_ptr_array_new_with_free_func(g_free);
    json_message_parser_init(&c->parser, collect, c);
}

static void collector_destroy(Collector *c)
{
    json_message_parser_destroy(&c->parser);
    g_ptr_array_free(c->out, TRUE);
}

static void feed(Collector *c, const char *s)
{
    json_message_parser_feed(&c->parser, s, strlen(s));
}

/* Check the emitted values, then forget them. */
static void expect(Collector *c, const char *const *exp)
{
    guint i;

    for (i = 0; exp[i]; i++) {
        g_assert_cmpuint(i, <, c->out->len);
        g_assert_cmpstr(g_ptr_array_index(c->out, i), ==, exp[i]);
    }
    g_assert_cmpuint(c->out->len, ==, i);
    g_ptr_array_set_size(c->out, 0);
}

static void test_split_and_merge(void)
{
    static const char msg[] =
        "{\"execute\": \"x\", \"arguments\": {\"s\": \"}{][\\\"\"}}";
    Collector c;
    size_t i;

    collector_init(&c);
    /* one value, one byte at a time */
    for (i = 0; msg[i]; i++) {
        json_message_parser_feed(&c.parser, msg + i, 1);
        if (msg[i + 1]) {
            g_assert_cmpuint(c.out->len, ==, 0);
        }
    }
    expect(&c, (const char *const[]) {
        "{\"execute\": \"x\", \"arguments\": {\"s\": \"}{][\\\"\"}}",
        NULL });

    /* several values in one feed, no separators needed between objects */
    feed(&c, "{\"a\": 1}{\"b\": [2, 3]}\r\n[true, false, null] \"str\" ");
    expect(&c, (const char *const[]) {
        "{\"a\": 1}", "{\"b\": [2, 3]}", "[true, false, null]",
        "\"str\"", NULL });

    /* a number is complete only when something follows it */
    feed(&c, "12");
    g_assert_cmpuint(c.out->len, ==, 0);
    feed(&c, "3\n");
    expect(&c, (const char *const[]) { "123", NULL });
    feed(&c, "-0.5e3");
    json_message_parser_flush(&c.parser);
    expect(&c, (const char *const[]) { "-500.0", NULL });

    /* single-quoted strings and escapes */
    feed(&c, "{'k': 'it\\'s', \"u\": \"\\u00E9\\uD83D\\uDE00\\n\"}");
    expect(&c, (const char *const[]) {
        "{\"k\": \"it's\", \"u\": \"\\u00E9\\uD83D\\uDE00\\n\"}", NULL });
    collector_destroy(&c);
}

static void test_errors_and_recovery(void)
{
    Collector c;

    collector_init(&c);
    feed(&c, "garbage\n{\"execute\": \"x\"}");
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, invalid keyword 'garbage'",
        "{\"execute\": \"x\"}", NULL });

    /* a stray byte: skipped up to the next structural character */
    feed(&c, "@#$ junk {\"a\": 1}");
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, stray '@'", "{\"a\": 1}", NULL });

    /* a bad token inside a value drops that value only */
    feed(&c, "{\"a\": @}\n{\"b\": 2}");
    g_assert_cmpuint(c.out->len, >=, 2);
    g_assert_cmpstr(g_ptr_array_index(c.out, 0), ==,
                    "ERR: JSON parse error, stray '@'");
    g_assert_cmpstr(g_ptr_array_index(c.out, c.out->len - 1), ==,
                    "{\"b\": 2}");
    g_ptr_array_set_size(c.out, 0);

    feed(&c, "{\"a\" 1}");
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, missing : in object pair", NULL });
    feed(&c, "[1 2]");
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, expected separator in list", NULL });
    feed(&c, "{\"a\": 1 \"b\": 2}");
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, expected separator in dict", NULL });
    feed(&c, "{1: 2}");
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, key is not a string in object", NULL });
    feed(&c, "{\"a\": 1, \"a\": 2}");
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, duplicate key", NULL });
    feed(&c, "]");
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, expecting value", NULL });
    feed(&c, "\"\\x\"\n");
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, stray '\"\\x'", NULL });
    feed(&c, "\"\\u0000\"");
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, \\u0000 is not a valid Unicode character",
        NULL });
    feed(&c, "\"\xff\"\n");
    g_assert_cmpuint(c.out->len, ==, 1);
    g_assert_true(g_str_has_prefix(g_ptr_array_index(c.out, 0), "ERR: "));
    g_ptr_array_set_size(c.out, 0);
    feed(&c, "\"\xc3(\"");
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, invalid UTF-8 sequence in string", NULL });

    /* unterminated value at end of input */
    feed(&c, "{\"a\": [1, 2");
    json_message_parser_flush(&c.parser);
    expect(&c, (const char *const[]) {
        "ERR: JSON parse error, premature EOI", NULL });

    /* and the parser still works */
    feed(&c, "{}");
    expect(&c, (const char *const[]) { "{}", NULL });
    collector_destroy(&c);
}

static void test_nesting_bound(void)
{
    Collector c;
    g_autofree char *deep = g_strnfill(MAX_NESTING, '[');
    g_autofree char *close = g_strnfill(MAX_NESTING, ']');

    collector_init(&c);
    /* MAX_NESTING levels are fine */
    feed(&c, deep);
    feed(&c, close);
    g_assert_cmpuint(c.out->len, ==, 1);
    g_ptr_array_set_size(c.out, 0);

    /* one more is an error, and the parser recovers afterwards */
    feed(&c, deep);
    feed(&c, "[");
    g_assert_cmpuint(c.out->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(c.out, 0), ==,
                    "ERR: JSON nesting depth limit exceeded");
    g_ptr_array_set_size(c.out, 0);
    feed(&c, "\n{\"ok\": true}");
    g_assert_cmpuint(c.out->len, >=, 1);
    g_assert_cmpstr(g_ptr_array_index(c.out, c.out->len - 1), ==,
                    "{\"ok\": true}");
    collector_destroy(&c);
}

static void test_size_bound(void)
{
    Collector c;
    size_t chunk = 1 << 20;
    g_autofree char *buf = g_malloc(chunk);
    size_t fed = 0;

    memset(buf, 'a', chunk);
    collector_init(&c);
    /* one string token that never ends: must fail, not grow forever */
    feed(&c, "\"");
    while (fed <= MAX_TOKEN_SIZE + chunk && c.out->len == 0) {
        json_message_parser_feed(&c.parser, buf, chunk);
        fed += chunk;
    }
    g_assert_cmpuint(c.out->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(c.out, 0), ==,
                    "ERR: JSON token size limit exceeded");
    g_assert_cmpuint(c.parser.lexer.token->len, <=, MAX_TOKEN_SIZE + 1);
    g_ptr_array_set_size(c.out, 0);
    feed(&c, "\n[1]");
    expect(&c, (const char *const[]) { "[1]", NULL });
    collector_destroy(&c);
}

static void test_qobject_from_json(void)
{
    Error *err = NULL;
    json_t *obj;
    g_autoptr(GString) s = NULL;

    obj = qobject_from_json("{\"big\": 18446744073709551615, "
                            "\"neg\": -9223372036854775808, "
                            "\"huge\": 18446744073709551616, \"f\": 0.25}",
                            &error_abort);
    g_assert_cmpuint((uint64_t)json_integer_value(
                         json_object_get(obj, "big")), ==, UINT64_MAX);
    g_assert_cmpint(json_integer_value(json_object_get(obj, "neg")), ==,
                    INT64_MIN);
    g_assert_true(json_is_real(json_object_get(obj, "huge")));
    g_assert_cmpfloat(json_real_value(json_object_get(obj, "f")), ==, 0.25);
    json_decref(obj);

    g_assert_null(qobject_from_json("", &error_abort));
    g_assert_null(qobject_from_json("   ", &error_abort));
    g_assert_null(qobject_from_json("1 2", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Expecting at most one JSON value");
    error_free(err);
    err = NULL;
    g_assert_null(qobject_from_json("{", &err));
    g_assert_nonnull(err);
    error_free(err);

    obj = qobject_from_json("{\"return\": {}, \"s\": \"\\u00e9\\u0001/\", "
                            "\"l\": [1, 2.5, true, null]}", &error_abort);
    s = qobject_to_json(obj);
    g_assert_cmpstr(s->str, ==, "{\"return\": {}, \"s\": \"\\u00E9\\u0001/\","
                    " \"l\": [1, 2.5, true, null]}");
    json_decref(obj);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json/parser/split-and-merge", test_split_and_merge);
    g_test_add_func("/json/parser/errors-and-recovery",
                    test_errors_and_recovery);
    g_test_add_func("/json/parser/nesting-bound", test_nesting_bound);
    g_test_add_func("/json/parser/size-bound", test_size_bound);
    g_test_add_func("/json/qjson/from-to", test_qobject_from_json);
    return g_test_run();
}
