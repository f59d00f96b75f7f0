/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QAPI generated types and visitors: round trips, clone, errors, keyval. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/clone-visitor.h"
#include "qapi/dealloc-visitor.h"
#include "qapi/qobject-input-visitor.h"
#include "qapi/qobject-output-visitor.h"
#include "qapi/qmp/qjson.h"
#include "test-qapi-types.h"
#include "test-qapi-visit.h"

static json_t *from_json(const char *text)
{
    json_t *obj = qobject_from_json(text, &error_abort);

    g_assert(obj);
    return obj;
}

static char *to_json(json_t *obj)
{
    GString *s = qobject_to_json(obj);

    return g_string_free(s, FALSE);
}

/* Visit @json as a TestStruct; returns NULL and sets @errp on error. */
static TestStruct *input_struct(const char *json, Error **errp)
{
    json_t *obj = from_json(json);
    Visitor *v = qobject_input_visitor_new(obj);
    TestStruct *ts = NULL;

    visit_type_TestStruct(v, NULL, &ts, errp);
    visit_free(v);
    json_decref(obj);
    return ts;
}

static char *output_struct(TestStruct *ts)
{
    json_t *out = NULL;
    Visitor *v = qobject_output_visitor_new(&out);
    char *text;

    g_assert(visit_type_TestStruct(v, NULL, &ts, &error_abort));
    visit_complete(v, &out);
    visit_free(v);
    text = to_json(out);
    json_decref(out);
    return text;
}

static const char full_struct[] =
    "{\"base-int\": -5, \"string\": \"hello\", \"opt-str\": \"x\", "
    "\"opt-int\": 7, \"numbers\": [1, 2, 3], \"u8\": 255, \"i16\": -300, "
    "\"u64\": 18446744073709551615, \"sz\": 4096, \"flag\": true, "
    "\"num\": 1.5, \"e\": \"two-three\", \"any\": {\"k\": [null]}, "
    "\"nested\": {\"name\": \"n1\", \"value\": 9}, "
    "\"list\": [{\"name\": \"l1\"}, {\"name\": \"l2\", \"value\": 2}], "
    "\"char\": \"c\", \"sub\": {\"sub-int\": 4294967295, "
    "\"sub-list\": []}}";

static void test_struct_roundtrip(void)
{
    TestStruct *ts = input_struct(full_struct, &error_abort);
    g_autofree char *out = NULL;
    json_t *a, *b;

    g_assert_cmpint(ts->base_int, ==, -5);
    g_assert_cmpint(qapi_TestStruct_base(ts)->base_int, ==, -5);
    g_assert_cmpstr(ts->string, ==, "hello");
    g_assert_true(ts->has_opt_str && ts->has_opt_int);
    g_assert_cmpint(ts->numbers->next->next->value, ==, 3);
    g_assert_null(ts->numbers->next->next->next);
    g_assert_cmpuint(ts->u8, ==, 255);
    g_assert_cmpint(ts->i16, ==, -300);
    g_assert_cmpuint(ts->u64, ==, UINT64_MAX);
    g_assert_true(ts->flag);
    g_assert_true(ts->has_e && ts->e == TEST_ENUM_TWO_THREE);
    g_assert_cmpstr(TestEnum_str(ts->e), ==, "two-three");
    g_assert_true(ts->has_any && json_is_object(ts->any));
    g_assert_true(ts->has_q_char);
    g_assert_cmpstr(ts->q_char, ==, "c");
    g_assert_cmpstr(ts->list->next->value->name, ==, "l2");
    g_assert_false(ts->list->value->has_value);
    g_assert_true(ts->has_sub && ts->sub->has_sub_list);
    g_assert_null(ts->sub->sub_list);
    g_assert_cmpuint(ts->sub->sub_int, ==, UINT32_MAX);

    /* Output gives the same JSON back (modulo the wrapped uint64) */
    out = output_struct(ts);
    a = from_json(out);
    b = from_json(full_struct);
    json_object_set_new(b, "u64", json_integer(-1));
    g_assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    qapi_free_TestStruct(ts);
}

static void test_struct_optional_absent(void)
{
    TestStruct *ts = input_struct(
        "{\"base-int\": 0, \"string\": \"\", \"numbers\": [], \"u8\": 0, "
        "\"i16\": 0, \"u64\": 0, \"sz\": 0, \"flag\": false, \"num\": 0, "
        "\"nested\": {\"name\": \"\"}}", &error_abort);
    g_autofree char *out = NULL;

    g_assert_false(ts->has_opt_str || ts->has_opt_int || ts->has_e ||
                   ts->has_any || ts->has_list || ts->has_sub);
    g_assert_null(ts->numbers);
    out = output_struct(ts);
    /* absent members stay absent, in schema order */
    g_assert_cmpstr(out, ==,
                    "{\"base-int\": 0, \"string\": \"\", \"numbers\": [], "
                    "\"u8\": 0, \"i16\": 0, \"u64\": 0, \"sz\": 0, "
                    "\"flag\": false, \"num\": 0.0, "
                    "\"nested\": {\"name\": \"\"}}");
    qapi_free_TestStruct(ts);
}

static void test_struct_clone(void)
{
    TestStruct *ts = input_struct(full_struct, &error_abort);
    TestStruct *copy = QAPI_CLONE(TestStruct, ts);
    g_autofree char *a = output_struct(ts);
    g_autofree char *b = NULL;
    TestNested n2 = { 0 };

    g_assert_true(copy != ts);
    g_assert_true(copy->string != ts->string);
    g_assert_true(copy->list != ts->list);
    g_assert_true(copy->list->value != ts->list->value);
    qapi_free_TestStruct(ts);
    b = output_struct(copy);
    g_assert_cmpstr(a, ==, b);

    QAPI_CLONE_MEMBERS(TestNested, &n2, copy->nested);
    g_assert_cmpstr(n2.name, ==, "n1");
    g_assert_true(n2.name != copy->nested->name);
    g_free(n2.name);
    qapi_free_TestStruct(copy);
    g_assert_null(QAPI_CLONE(TestStruct, NULL));
}

typedef struct ErrCase {
    const char *json;
    const char *msg;
} ErrCase;

static void test_struct_errors(void)
{
    static const char ok_tail[] =
        "\"numbers\": [], \"u8\": 0, \"i16\": 0, \"u64\": 0, \"sz\": 0, "
        "\"flag\": false, \"num\": 0, \"nested\": {\"name\": \"\"}";
    static const ErrCase cases[] = {
        { "{\"string\": \"\", %s}", "Parameter 'base-int' is missing" },
        { "{\"base-int\": 1, %s}", "Parameter 'string' is missing" },
        { "{\"base-int\": \"1\", \"string\": \"\", %s}",
          "Invalid parameter type for 'base-int', expected: integer" },
        { "{\"base-int\": 1, \"string\": 2, %s}",
          "Invalid parameter type for 'string', expected: string" },
        { "{\"base-int\": 1, \"string\": \"\", \"x\": 1, %s}",
          "Parameter 'x' is unexpected" },
        { "{\"base-int\": 1, \"string\": \"\", \"e\": \"nosuch\", %s}",
          "Parameter 'e' does not accept value 'nosuch'" },
        { "{\"base-int\": 1, \"string\": \"\", \"e\": \"gone\", %s}",
          "Parameter 'e' does not accept value 'gone'" },
        { "{\"base-int\": 1, \"string\": \"\", \"opt-int\": 1.5, %s}",
          "Invalid parameter type for 'opt-int', expected: integer" },
        { "{\"base-int\": 1, \"string\": \"\", \"list\": {}, %s}",
          "Invalid parameter type for 'list', expected: array" },
        { "{\"base-int\": 1, \"string\": \"\", "
          "\"list\": [{\"name\": \"a\"}, {\"value\": 1}], %s}",
          "Parameter 'list[1].name' is missing" },
        { "{\"base-int\": 1, \"string\": \"\", "
          "\"sub\": {\"sub-int\": 1, \"bad\": 0}, %s}",
          "Parameter 'sub.bad' is unexpected" },
        { "{\"base-int\": 1, \"string\": \"\", "
          "\"sub\": {\"sub-int\": 4294967296}, %s}",
          "Parameter 'sub-int' expects uint32_t" },
        { "{\"base-int\": 1, \"string\": \"\", \"opt-str\": null, %s}",
          "Invalid parameter type for 'opt-str', expected: string" },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *json = g_strdup_printf(cases[i].json, ok_tail);
        Error *err = NULL;
        TestStruct *ts = input_struct(json, &err);

        g_assert_null(ts);
        g_assert_nonnull(err);
        g_assert_cmpstr(error_get_pretty(err), ==, cases[i].msg);
        error_free(err);
    }
}

static void test_range_errors(void)
{
    static const struct {
        const char *member;
        const char *value;
        const char *msg;
    } cases[] = {
        { "u8", "256", "Parameter 'u8' expects uint8_t" },
        { "u8", "-1", "Parameter 'u8' expects uint8_t" },
        { "i16", "32768", "Parameter 'i16' expects int16_t" },
        { "u64", "18446744073709551616", "Parameter 'u64' expects uint64" },
        { "u64", "1.0", "Parameter 'u64' expects uint64" },
        { "u64", "\"1\"", "Parameter 'u64' expects uint64" },
        { "sz", "1e30", "Parameter 'sz' expects uint64" },
        { "flag", "1", "Invalid parameter type for 'flag', expected: "
          "boolean" },
        { "num", "\"x\"", "Invalid parameter type for 'num', expected: "
          "number" },
        { "nested", "[]", "Invalid parameter type for 'nested', expected: "
          "object" },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *obj = from_json(
            "{\"base-int\": 0, \"string\": \"\", \"numbers\": [], "
            "\"u8\": 0, \"i16\": 0, \"u64\": 0, \"sz\": 0, \"flag\": false,"
            " \"num\": 0, \"nested\": {\"name\": \"\"}}");
        json_t *val = from_json(cases[i].value);
        Visitor *v;
        TestStruct *ts = NULL;
        Error *err = NULL;

        json_object_set_new(obj, cases[i].member, val);
        v = qobject_input_visitor_new(obj);
        g_assert_false(visit_type_TestStruct(v, NULL, &ts, &err));
        g_assert_null(ts);
        g_assert_cmpstr(error_get_pretty(err), ==, cases[i].msg);
        error_free(err);
        visit_free(v);
        json_decref(obj);
    }
}

static TestUnion *input_union(const char *json, Error **errp)
{
    json_t *obj = from_json(json);
    Visitor *v = qobject_input_visitor_new(obj);
    TestUnion *u = NULL;

    visit_type_TestUnion(v, NULL, &u, errp);
    visit_free(v);
    json_decref(obj);
    return u;
}

static void test_flat_union(void)
{
    TestUnion *u;
    TestUnion *copy;
    json_t *out = NULL;
    Visitor *v;
    g_autofree char *text = NULL;
    Error *err = NULL;

    u = input_union("{\"kind\": \"b\", \"b-list\": [\"x\", \"y\"], "
                    "\"name\": \"nm\"}", &error_abort);
    g_assert_cmpint(u->kind, ==, TEST_KIND_B);
    g_assert_true(u->has_name);
    g_assert_false(u->u.b.has_b_int);
    g_assert_cmpstr(u->u.b.b_list->next->value, ==, "y");

    copy = QAPI_CLONE(TestUnion, u);
    qapi_free_TestUnion(u);
    v = qobject_output_visitor_new(&out);
    g_assert_true(visit_type_TestUnion(v, NULL, &copy, &error_abort));
    visit_complete(v, &out);
    visit_free(v);
    text = to_json(out);
    g_assert_cmpstr(text, ==, "{\"kind\": \"b\", \"name\": \"nm\", "
                    "\"b-list\": [\"x\", \"y\"]}");
    json_decref(out);
    qapi_free_TestUnion(copy);

    /* A branch without members */
    u = input_union("{\"kind\": \"c\"}", &error_abort);
    g_assert_cmpint(u->kind, ==, TEST_KIND_C);
    qapi_free_TestUnion(u);

    /* Members of another branch are unexpected */
    g_assert_null(input_union("{\"kind\": \"a\", \"a-str\": \"s\", "
                              "\"b-list\": []}", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Parameter 'b-list' is unexpected");
    error_free(err);
    err = NULL;
    g_assert_null(input_union("{\"a-str\": \"s\"}", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Parameter 'kind' is missing");
    error_free(err);
    err = NULL;
    g_assert_null(input_union("{\"kind\": \"d\"}", &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Parameter 'kind' does not accept value 'd'");
    error_free(err);
}

static void test_alternate(void)
{
    json_t *obj = from_json(
        "{\"alts\": [\"str\", 42, true, {\"name\": \"d\"}, null], "
        "\"one\": 7}");
    Visitor *v = qobject_input_visitor_new(obj);
    TestAltHolder *h = NULL;
    TestAltHolder *copy;
    TestAltList *l;
    json_t *out = NULL;
    Error *err = NULL;

    g_assert_true(visit_type_TestAltHolder(v, NULL, &h, &error_abort));
    visit_free(v);
    l = h->alts;
    g_assert_cmpint(l->value->type, ==, QTYPE_QSTRING);
    g_assert_cmpstr(l->value->u.s, ==, "str");
    l = l->next;
    g_assert_cmpint(l->value->type, ==, QTYPE_QNUM);
    g_assert_cmpint(l->value->u.i, ==, 42);
    l = l->next;
    g_assert_cmpint(l->value->type, ==, QTYPE_QBOOL);
    g_assert_true(l->value->u.b);
    l = l->next;
    g_assert_cmpint(l->value->type, ==, QTYPE_QDICT);
    g_assert_cmpstr(l->value->u.d.name, ==, "d");
    l = l->next;
    g_assert_cmpint(l->value->type, ==, QTYPE_QNULL);
    g_assert_true(h->has_one && h->one->u.i == 7);

    copy = QAPI_CLONE(TestAltHolder, h);
    qapi_free_TestAltHolder(h);
    v = qobject_output_visitor_new(&out);
    g_assert_true(visit_type_TestAltHolder(v, NULL, &copy, &error_abort));
    visit_complete(v, &out);
    visit_free(v);
    g_assert_true(json_equal(out, obj));
    json_decref(out);
    json_decref(obj);
    qapi_free_TestAltHolder(copy);

    /* No branch for arrays or floats */
    obj = from_json("{\"alts\": [[1]]}");
    v = qobject_input_visitor_new(obj);
    h = NULL;
    g_assert_false(visit_type_TestAltHolder(v, NULL, &h, &err));
    g_assert_null(h);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Invalid parameter type for 'null', expected: TestAlt");
    error_free(err);
    visit_free(v);
    json_decref(obj);
}

static void test_keyval(void)
{
    json_t *obj = from_json(
        "{\"base-int\": \"-3\", \"string\": \"s\", \"numbers\": [\"1\"], "
        "\"u8\": \"0x10\", \"i16\": \"7\", \"u64\": \"18446744073709551615\","
        " \"sz\": \"64k\", \"flag\": \"on\", \"num\": \"2.5\", "
        "\"nested\": {\"name\": \"n\", \"value\": \"5\"}}");
    Visitor *v = qobject_input_visitor_new_keyval(obj);
    TestStruct *ts = NULL;
    Error *err = NULL;

    g_assert_true(visit_type_TestStruct(v, NULL, &ts, &error_abort));
    visit_free(v);
    g_assert_cmpint(ts->base_int, ==, -3);
    g_assert_cmpint(ts->numbers->value, ==, 1);
    g_assert_cmpuint(ts->u8, ==, 16);
    g_assert_cmpuint(ts->u64, ==, UINT64_MAX);
    g_assert_cmpuint(ts->sz, ==, 65536);
    g_assert_true(ts->flag);
    g_assert_cmpfloat(ts->num, ==, 2.5);
    g_assert_cmpint(ts->nested->value, ==, 5);
    qapi_free_TestStruct(ts);

    json_object_set_new(obj, "flag", json_string("maybe"));
    v = qobject_input_visitor_new_keyval(obj);
    ts = NULL;
    g_assert_false(visit_type_TestStruct(v, NULL, &ts, &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Parameter 'flag' expects 'on' or 'off'");
    error_free(err);
    err = NULL;
    visit_free(v);

    json_object_set_new(obj, "flag", json_string("off"));
    json_object_set_new(obj, "numbers", from_json("[\"1\", \"x\"]"));
    v = qobject_input_visitor_new_keyval(obj);
    g_assert_false(visit_type_TestStruct(v, NULL, &ts, &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Parameter 'numbers.1' expects int");
    error_free(err);
    visit_free(v);
    json_decref(obj);
}

static void test_new_str(void)
{
    static const char *const inputs[] = {
        "string=s,base-int=-1,numbers.0=5,numbers.1=6,u8=2,i16=3,u64=4,"
        "sz=1M,flag=off,num=1,nested.name=x",
        "{\"string\": \"s\", \"base-int\": -1, \"numbers\": [5, 6], "
        "\"u8\": 2, \"i16\": 3, \"u64\": 4, \"sz\": 1048576, "
        "\"flag\": false, \"num\": 1, \"nested\": {\"name\": \"x\"}}",
    };
    size_t i;
    Error *err = NULL;

    for (i = 0; i < ARRAY_SIZE(inputs); i++) {
        Visitor *v = qobject_input_visitor_new_str(inputs[i], "string",
                                                   &error_abort);
        TestStruct *ts = NULL;

        g_assert_true(visit_type_TestStruct(v, NULL, &ts, &error_abort));
        g_assert_cmpstr(ts->string, ==, "s");
        g_assert_cmpint(ts->numbers->next->value, ==, 6);
        g_assert_cmpuint(ts->sz, ==, 1048576);
        g_assert_cmpstr(ts->nested->name, ==, "x");
        qapi_free_TestStruct(ts);
        visit_free(v);
    }
    g_assert_null(qobject_input_visitor_new_str("{\"a\": ", NULL, &err));
    g_assert_nonnull(err);
    error_free(err);
}

static void test_enum_lookup(void)
{
    Error *err = NULL;

    g_assert_cmpint(TEST_ENUM__MAX, ==, 4);
    g_assert_cmpstr(TestEnum_str(TEST_ENUM_INT), ==, "int");
    g_assert_cmpstr(TestEnum_str(TEST_ENUM_LINUX_ONLY), ==, "linux-only");
    g_assert_cmpint(TP_BETA, ==, 1);
    g_assert_cmpstr(TestPrefixed_str(TP_ALPHA), ==, "alpha");
    g_assert_cmpint(qapi_enum_parse(&TestEnum_lookup, "two-three", -1,
                                    &error_abort), ==, TEST_ENUM_TWO_THREE);
    g_assert_cmpint(qapi_enum_parse(&TestEnum_lookup, NULL, 3,
                                    &error_abort), ==, 3);
    g_assert_cmpint(qapi_enum_parse(&TestEnum_lookup, "x", -1, &err), ==,
                    -1);
    g_assert_cmpstr(error_get_pretty(err), ==, "invalid parameter value: x");
    error_free(err);
    g_assert_cmpstr(QType_str(QTYPE_QDICT), ==, "qdict");
}

static void test_list_macros(void)
{
    strList *head = NULL;
    strList **tail = &head;
    intList *ints = NULL;

    QAPI_LIST_APPEND(tail, g_strdup("a"));
    QAPI_LIST_APPEND(tail, g_strdup("b"));
    QAPI_LIST_PREPEND(ints, 2);
    QAPI_LIST_PREPEND(ints, 1);
    g_assert_cmpstr(head->value, ==, "a");
    g_assert_cmpstr(head->next->value, ==, "b");
    g_assert_null(head->next->next);
    g_assert_cmpint(ints->value, ==, 1);
    g_assert_cmpint(ints->next->value, ==, 2);
    qapi_free_strList(head);
    qapi_free_intList(ints);
}

static void test_dealloc_partial(void)
{
    /* Input that fails midway leaves nothing behind (run under valgrind) */
    Error *err = NULL;
    TestStruct *ts = input_struct(
        "{\"base-int\": 1, \"string\": \"s\", \"numbers\": [1, 2], "
        "\"list\": [{\"name\": \"a\"}, {\"name\": 5}], \"u8\": 0, "
        "\"i16\": 0, \"u64\": 0, \"sz\": 0, \"flag\": false, \"num\": 0, "
        "\"nested\": {\"name\": \"\"}}", &err);

    g_assert_null(ts);
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Invalid parameter type for 'list[1].name', expected: "
                    "string");
    error_free(err);
    qapi_free_TestStruct(NULL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qapi/visit/struct/roundtrip", test_struct_roundtrip);
    g_test_add_func("/qapi/visit/struct/optional-absent",
                    test_struct_optional_absent);
    g_test_add_func("/qapi/visit/struct/clone", test_struct_clone);
    g_test_add_func("/qapi/visit/struct/errors", test_struct_errors);
    g_test_add_func("/qapi/visit/struct/range-errors", test_range_errors);
    g_test_add_func("/qapi/visit/struct/dealloc-partial",
                    test_dealloc_partial);
    g_test_add_func("/qapi/visit/union/flat", test_flat_union);
    g_test_add_func("/qapi/visit/alternate", test_alternate);
    g_test_add_func("/qapi/visit/keyval", test_keyval);
    g_test_add_func("/qapi/visit/new-str", test_new_str);
    g_test_add_func("/qapi/visit/enum/lookup", test_enum_lookup);
    g_test_add_func("/qapi/visit/list/macros", test_list_macros);
    return g_test_run();
}
