/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for keyval_parse(): QEMU's KEY=VALUE,... syntax. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/option.h"

/* Parse and compare the result, as compact JSON, with @expect. */
static void check_ok(const char *params, const char *implied_key,
                     const char *expect)
{
    Error *err = NULL;
    json_t *obj = keyval_parse(params, implied_key, NULL, &err);
    char *dump;

    if (!obj) {
        g_test_message("'%s': %s", params, error_get_pretty(err));
    }
    g_assert_null(err);
    g_assert_nonnull(obj);
    dump = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    g_assert_cmpstr(dump, ==, expect);
    free(dump);
    json_decref(obj);
}

static void check_err(const char *params, const char *implied_key,
                      const char *msg)
{
    Error *err = NULL;
    json_t *obj = keyval_parse(params, implied_key, NULL, &err);

    g_assert_null(obj);
    g_assert_nonnull(err);
    g_assert_cmpstr(error_get_pretty(err), ==, msg);
    error_free(err);
}

static void test_keyval_basic(void)
{
    check_ok("", NULL, "{}");
    check_ok("a=1", NULL, "{\"a\":\"1\"}");
    check_ok("a=1,b=two", NULL, "{\"a\":\"1\",\"b\":\"two\"}");
    check_ok("a=1,", NULL, "{\"a\":\"1\"}");
    check_ok("a=", NULL, "{\"a\":\"\"}");
    check_ok("a=x,a=y", NULL, "{\"a\":\"y\"}");
    check_ok("a=x=y", NULL, "{\"a\":\"x=y\"}");
    check_ok("node-name=n0,driver=null-co", NULL,
             "{\"driver\":\"null-co\",\"node-name\":\"n0\"}");
    check_ok("__org.example_x-y=1", NULL, "{\"__org.example_x-y\":\"1\"}");
}

static void test_keyval_escapes(void)
{
    check_ok("a=x,,y", NULL, "{\"a\":\"x,y\"}");
    check_ok("a=,,,b=2", NULL, "{\"a\":\",\",\"b\":\"2\"}");
    check_ok("file=/tmp/a,,b.qcow2,format=qcow2", NULL,
             "{\"file\":\"/tmp/a,b.qcow2\",\"format\":\"qcow2\"}");
}

static void test_keyval_nested(void)
{
    check_ok("file.driver=file,file.filename=/x,driver=qcow2", NULL,
             "{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\","
             "\"filename\":\"/x\"}}");
    check_ok("a.b.c=1,a.b.d=2", NULL,
             "{\"a\":{\"b\":{\"c\":\"1\",\"d\":\"2\"}}}");
    check_ok("l.1=y,l.0=x", NULL, "{\"l\":[\"x\",\"y\"]}");
    check_ok("l.0.a=1,l.1.a=2", NULL,
             "{\"l\":[{\"a\":\"1\"},{\"a\":\"2\"}]}");
}

static void test_keyval_implied(void)
{
    check_ok("null-co,node-name=n0", "driver",
             "{\"driver\":\"null-co\",\"node-name\":\"n0\"}");
    check_ok("foo*", "enable", "{\"enable\":\"foo*\"}");
    check_ok("a=1", "driver", "{\"a\":\"1\"}");
    /* Only the first key-val may omit the key. */
    check_err("x,y", "driver", "Expected '=' after parameter 'y'");
}

static void test_keyval_errors(void)
{
    check_err("a", NULL, "Expected '=' after parameter 'a'");
    check_err("a,b=1", NULL, "Expected '=' after parameter 'a'");
    check_err("=1", NULL, "Invalid parameter ''");
    check_err("1a=1", NULL, "Invalid parameter '1a'");
    check_err("a..b=1", NULL, "Invalid parameter 'a..b'");
    check_err("a.=1", NULL, "Invalid parameter 'a.'");
    check_err("a b=1", NULL, "Invalid parameter 'a b'");
    check_err("a.b=1,a=2", NULL, "Parameters 'a.*' used inconsistently");
    check_err("a=2,a.b=1", NULL, "Parameters 'a.*' used inconsistently");
    check_err("l.1=x", NULL, "Parameter 'l.0' missing");
    check_err("l.0=x,l.a=y", NULL, "Parameters 'l.*' used inconsistently");
    check_err("help", NULL, "Help is not available for this option");
    check_err("0=x", NULL, "Invalid parameter '0'");
    check_err("a.0x=1", NULL, "Invalid parameter 'a.0x'");
    check_err("a=1,a.b.c=2", NULL, "Parameters 'a.*' used inconsistently");
    check_err("a.b=1,a.b.c=2", NULL,
              "Parameters 'a.b.*' used inconsistently");
    /* The conflict on the way down is found before the missing '='. */
    check_err("a=1,a.b", NULL, "Parameters 'a.*' used inconsistently");
    check_err("a=\xff", NULL, "Parameter 'a' is not valid UTF-8");
    /* A bare value ends at the first ',': no ',,' escape there. */
    check_err("x,,y", "driver", "Invalid parameter ''");
    check_ok("a.0=x", NULL, "{\"a\":[\"x\"]}");
    check_ok("___x=1,__a-b.c_d=2", NULL,
             "{\"___x\":\"1\",\"__a-b.c_d\":\"2\"}");
}

static void test_keyval_depth_limit(void)
{
    g_autoptr(GString) key = g_string_new("a");
    g_autofree char *msg = NULL;
    g_autofree char *params = NULL;
    json_t *obj;
    int i;

    /* 64 fragments are fine, the 65th is one too many. */
    for (i = 1; i < 64; i++) {
        g_string_append(key, ".a");
    }
    params = g_strdup_printf("%s=1", key->str);
    obj = keyval_parse(params, NULL, NULL, &error_abort);
    json_decref(obj);

    g_string_append(key, ".a");
    g_free(params);
    params = g_strdup_printf("%s=1", key->str);
    msg = g_strdup_printf("Parameter '%s' has too many fragments", key->str);
    check_err(params, NULL, msg);
}

static void test_keyval_too_long(void)
{
    g_autofree char *long_key = g_strnfill(128, 'k');
    g_autofree char *ok_key = g_strnfill(127, 'k');
    g_autofree char *params = g_strdup_printf("%s=1", long_key);
    g_autofree char *msg = g_strdup_printf("Parameter '%s' is too long",
                                           long_key);
    g_autofree char *frag = g_strdup_printf("a.%s=1", long_key);
    g_autofree char *frag_msg =
        g_strdup_printf("Parameter fragment '%s' is too long", long_key);
    g_autofree char *ok = g_strdup_printf("%s=1", ok_key);
    Error *err = NULL;
    json_t *obj;

    check_err(params, NULL, msg);
    check_err(frag, NULL, frag_msg);
    obj = keyval_parse(ok, NULL, NULL, &err);
    g_assert_nonnull(obj);
    json_decref(obj);
}

static void test_keyval_deep(void)
{
    GString *s = g_string_new(NULL);
    Error *err = NULL;
    json_t *obj;
    int i;

    /* Deep nesting from untrusted input is refused, not recursed into. */
    for (i = 0; i < 100000; i++) {
        g_string_append(s, "a.");
    }
    g_string_append(s, "b=1");
    obj = keyval_parse(s->str, NULL, NULL, &err);
    g_assert_null(obj);
    g_assert_nonnull(err);
    error_free(err);
    g_string_free(s, true);
}

static void test_keyval_help(void)
{
    Error *err = NULL;
    bool help = true;
    json_t *obj;

    obj = keyval_parse("a=1", NULL, &help, &error_abort);
    g_assert_false(help);
    json_decref(obj);

    obj = keyval_parse("help", NULL, &help, &error_abort);
    g_assert_true(help);
    g_assert_cmpint(json_object_size(obj), ==, 0);
    json_decref(obj);

    help = false;
    obj = keyval_parse("driver=x,?", "driver", &help, &error_abort);
    g_assert_true(help);
    g_assert_cmpstr(json_string_value(json_object_get(obj, "driver")), ==,
                    "x");
    json_decref(obj);

    help = false;
    obj = keyval_parse("help,a=1", "driver", &help, &err);
    g_assert_nonnull(obj);
    g_assert_true(help);
    json_decref(obj);
}

static void test_keyval_merge(void)
{
    json_t *old = keyval_parse("a=1,b.c=2,l.0=x", NULL, NULL, &error_abort);
    json_t *new = keyval_parse("a=3,b.d=4,l.0=y", NULL, NULL, &error_abort);
    json_t *bad = keyval_parse("b=5", NULL, NULL, &error_abort);
    Error *err = NULL;
    char *dump;

    keyval_merge(old, new, &error_abort);
    dump = json_dumps(old, JSON_COMPACT | JSON_SORT_KEYS);
    g_assert_cmpstr(dump, ==, "{\"a\":\"3\",\"b\":{\"c\":\"2\",\"d\":\"4\"},"
                    "\"l\":[\"x\",\"y\"]}");
    free(dump);

    keyval_merge(old, bad, &err);
    g_assert_nonnull(err);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Parameter 'b' used inconsistently");
    error_free(err);

    json_decref(old);
    json_decref(new);
    json_decref(bad);
}

static void test_opt_helpers(void)
{
    char *value = NULL;
    const char *p;

    p = get_opt_value("a,,b,c=d", &value);
    g_assert_cmpstr(value, ==, "a,b");
    g_assert_cmpstr(p, ==, ",c=d");
    g_free(value);

    g_assert_true(has_help_option("a=1,help"));
    g_assert_true(has_help_option("?"));
    g_assert_false(has_help_option("a=help,,x"));
    g_assert_false(has_help_option("help,,x"));
    g_assert_false(has_help_option(""));
    g_assert_true(is_help_option("help"));
    g_assert_false(is_help_option("helpme"));
}

/* Random input from keyval's own alphabet: an object or an error, always. */
static void test_keyval_random(void)
{
    static const char alphabet[] = "ab0129.=,,_-?hlp\xff ";
    GRand *r = g_rand_new_with_seed(1234);
    char buf[48];
    int iter;

    for (iter = 0; iter < 50000; iter++) {
        int len = g_rand_int_range(r, 0, sizeof(buf));
        Error *err = NULL;
        bool help = false;
        json_t *obj;
        int i;

        for (i = 0; i < len; i++) {
            buf[i] = alphabet[g_rand_int_range(r, 0, sizeof(alphabet) - 1)];
        }
        buf[len] = '\0';
        obj = keyval_parse(buf, iter % 2 ? "driver" : NULL,
                           iter % 3 ? &help : NULL, &err);
        g_assert_true(!obj != !err);
        if (obj) {
            g_assert_true(json_is_object(obj));
            json_decref(obj);
        } else {
            g_assert_cmpstr(error_get_pretty(err), !=, "");
            error_free(err);
        }
    }
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/keyval/basic", test_keyval_basic);
    g_test_add_func("/keyval/escapes", test_keyval_escapes);
    g_test_add_func("/keyval/nested", test_keyval_nested);
    g_test_add_func("/keyval/implied", test_keyval_implied);
    g_test_add_func("/keyval/errors", test_keyval_errors);
    g_test_add_func("/keyval/too-long", test_keyval_too_long);
    g_test_add_func("/keyval/deep", test_keyval_deep);
    g_test_add_func("/keyval/depth-limit", test_keyval_depth_limit);
    g_test_add_func("/keyval/help", test_keyval_help);
    g_test_add_func("/keyval/merge", test_keyval_merge);
    g_test_add_func("/keyval/opt-helpers", test_opt_helpers);
    g_test_add_func("/keyval/random", test_keyval_random);

    return g_test_run();
}
