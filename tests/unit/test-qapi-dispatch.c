/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP dispatch of generated marshallers: results, argument errors, events. */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qmp/dispatch.h"
#include "qapi/qmp/qjson.h"
#include "test-qapi-commands.h"
#include "test-qapi-emit-events.h"
#include "test-qapi-events.h"
#include "test-qapi-init-commands.h"

static QmpCommandList test_commands;

/* Last event emitted, as JSON text */
static GString *last_event;

void test_qapi_event_emit(test_QAPIEvent event, json_t *qdict)
{
    GString *s = qobject_to_json(qdict);

    g_assert_cmpint(event, <, TEST_QAPI_EVENT__MAX);
    if (last_event) {
        g_string_free(last_event, TRUE);
    }
    last_event = s;
}

TestNested *qmp_test_cmd(const char *node, bool has_count, int64_t count,
                         TestEnum mode, bool has_max_bandwidth,
                         uint64_t max_bandwidth, bool has_alt, TestAlt *alt,
                         Error **errp)
{
    TestNested *ret = g_new0(TestNested, 1);

    ret->name = g_strdup_printf("%s/%s", node, TestEnum_str(mode));
    ret->has_value = has_count || has_max_bandwidth;
    ret->value = has_count ? count : (int64_t)max_bandwidth;
    if (has_alt && alt->type == QTYPE_QSTRING) {
        g_free(ret->name);
        ret->name = g_strdup(alt->u.s);
    }
    return ret;
}

TestNestedList *qmp_test_list(int64_t n, Error **errp)
{
    TestNestedList *head = NULL;
    int64_t i;

    if (n < 0 || n > 100) {
        error_setg(errp, "bad n");
        return NULL;
    }
    for (i = n; i > 0; i--) {
        TestNested *e = g_new0(TestNested, 1);

        e->name = g_strdup_printf("e%" PRId64, i);
        QAPI_LIST_PREPEND(head, e);
    }
    return head;
}

char *qmp_test_boxed(TestUnion *arg, Error **errp)
{
    switch (arg->kind) {
    case TEST_KIND_A:
        return g_strdup(arg->u.a.a_str);
    case TEST_KIND_B:
        return g_strdup_printf("b:%s", arg->u.b.b_list ?
                               arg->u.b.b_list->value : "");
    default:
        return g_strdup(arg->has_name ? arg->name : "c");
    }
}

void qmp_test_void(Error **errp)
{
}

void qmp_test_fail(Error **errp)
{
    error_setg(errp, "test-fail failed");
}

void qmp_test_oob(Error **errp)
{
}

static int no_resp_calls;

void qmp_test_no_resp(Error **errp)
{
    no_resp_calls++;
}

int64_t qmp_test_struct_arg(const char *name, bool has_value, int64_t value,
                            Error **errp)
{
    return has_value ? value + (int64_t)strlen(name) : -1;
}

/* Dispatch @request (JSON text), return the response as JSON text. */
static char *dispatch(const char *request, bool allow_oob)
{
    json_t *req = qobject_from_json(request, &error_abort);
    json_t *rsp = qmp_dispatch(&test_commands, req, allow_oob, NULL);
    GString *s;

    json_decref(req);
    if (!rsp) {
        return NULL;
    }
    s = qobject_to_json(rsp);
    json_decref(rsp);
    return g_string_free(s, FALSE);
}

static void check(const char *request, const char *response)
{
    g_autofree char *got = dispatch(request, false);

    g_assert_cmpstr(got, ==, response);
}

static void test_dispatch_success(void)
{
    check("{\"execute\": \"test-void\"}", "{\"return\": {}}");
    check("{\"execute\": \"test-void\", \"arguments\": {}, \"id\": 1}",
          "{\"return\": {}, \"id\": 1}");
    check("{\"id\": {\"a\": [1]}, \"execute\": \"test-cmd\", \"arguments\": "
          "{\"node\": \"n0\", \"mode\": \"one\", \"count\": 3}}",
          "{\"return\": {\"name\": \"n0/one\", \"value\": 3}, "
          "\"id\": {\"a\": [1]}}");
    check("{\"execute\": \"test-cmd\", \"arguments\": {\"node\": \"n\", "
          "\"mode\": \"int\", \"max-bandwidth\": 18446744073709551615}}",
          "{\"return\": {\"name\": \"n/int\", \"value\": -1}}");
    check("{\"execute\": \"test-cmd\", \"arguments\": {\"node\": \"n\", "
          "\"mode\": \"int\", \"alt\": \"alt-name\"}}",
          "{\"return\": {\"name\": \"alt-name\"}}");
    check("{\"execute\": \"test-list\", \"arguments\": {\"n\": 2}, "
          "\"id\": \"__qmp#00001\"}",
          "{\"return\": [{\"name\": \"e1\"}, {\"name\": \"e2\"}], "
          "\"id\": \"__qmp#00001\"}");
    check("{\"execute\": \"test-list\", \"arguments\": {\"n\": 0}}",
          "{\"return\": []}");
    check("{\"execute\": \"test-boxed\", \"arguments\": {\"kind\": \"a\", "
          "\"a-str\": \"boxed\"}}", "{\"return\": \"boxed\"}");
    check("{\"execute\": \"test-boxed\", \"arguments\": {\"kind\": \"c\"}}",
          "{\"return\": \"c\"}");
    check("{\"execute\": \"test-struct-arg\", \"arguments\": "
          "{\"name\": \"abc\", \"value\": 10}}", "{\"return\": 13}");
}

static void test_dispatch_oob(void)
{
    g_autofree char *a = dispatch("{\"exec-oob\": \"test-oob\", \"id\": 5}",
                                  true);
    g_autofree char *b = dispatch("{\"exec-oob\": \"test-void\", "
                                  "\"id\": \"x\"}", true);
    g_autofree char *c = dispatch("{\"exec-oob\": \"test-oob\"}", false);
    g_autofree char *d = dispatch("{\"exec-oob\": \"test-oob\", "
                                  "\"execute\": \"test-oob\"}", true);
    json_t *req = qobject_from_json("{\"exec-oob\": \"x\"}", &error_abort);

    g_assert_cmpstr(a, ==, "{\"return\": {}, \"id\": 5}");
    g_assert_cmpstr(b, ==, "{\"error\": {\"class\": \"GenericError\", "
                    "\"desc\": \"The command test-void does not support "
                    "OOB\"}, \"id\": \"x\"}");
    g_assert_cmpstr(c, ==, "{\"error\": {\"class\": \"GenericError\", "
                    "\"desc\": \"QMP input member 'exec-oob' is "
                    "unexpected\"}}");
    g_assert_nonnull(strstr(d, "clashes"));
    g_assert_true(qmp_is_oob(req));
    json_decref(req);
}

static void test_dispatch_errors(void)
{
    static const struct {
        const char *req;
        const char *cls;
        const char *desc;
    } cases[] = {
        { "{\"execute\": \"nosuch\"}", "CommandNotFound",
          "The command nosuch has not been found" },
        { "{\"execute\": \"test-void\", \"arguments\": {\"x\": 1}}",
          "GenericError", "Parameter 'x' is unexpected" },
        { "{\"execute\": \"test-cmd\", \"arguments\": {\"mode\": \"one\"}}",
          "GenericError", "Parameter 'node' is missing" },
        { "{\"execute\": \"test-cmd\", \"arguments\": {\"node\": 1, "
          "\"mode\": \"one\"}}", "GenericError",
          "Invalid parameter type for 'node', expected: string" },
        { "{\"execute\": \"test-cmd\", \"arguments\": {\"node\": \"n\", "
          "\"mode\": \"nosuch\"}}", "GenericError",
          "Parameter 'mode' does not accept value 'nosuch'" },
        { "{\"execute\": \"test-cmd\", \"arguments\": {\"node\": \"n\", "
          "\"mode\": \"one\", \"max-bandwidth\": 18446744073709551616}}",
          "GenericError", "Parameter 'max-bandwidth' expects uint64" },
        { "{\"execute\": \"test-void\", \"foo\": 1}", "GenericError",
          "QMP input member 'foo' is unexpected" },
        { "[]", "GenericError", "QMP input must be a JSON object" },
        { "\"execute\"", "GenericError", "QMP input must be a JSON object" },
        { "{\"execute\": 1}", "GenericError",
          "QMP input member 'execute' must be a string" },
        { "{\"arguments\": {}}", "GenericError",
          "QMP input lacks member 'execute'" },
        { "{\"execute\": \"test-void\", \"arguments\": []}", "GenericError",
          "QMP input member 'arguments' must be an object" },
        { "{\"execute\": \"test-fail\"}", "GenericError",
          "test-fail failed" },
        { "{\"execute\": \"test-list\", \"arguments\": {\"n\": -1}}",
          "GenericError", "bad n" },
        { "{\"execute\": \"test-boxed\", \"arguments\": {\"kind\": \"a\"}}",
          "GenericError", "Parameter 'a-str' is missing" },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *exp = g_strdup_printf(
            "{\"error\": {\"class\": \"%s\", \"desc\": \"%s\"}}",
            cases[i].cls, cases[i].desc);
        g_autofree char *exp_id = g_strdup_printf(
            "{\"error\": {\"class\": \"%s\", \"desc\": \"%s\"}, "
            "\"id\": \"i\"}", cases[i].cls, cases[i].desc);

        check(cases[i].req, exp);
        if (cases[i].req[0] == '{' && cases[i].req[1] != '}') {
            /* the same request with an id echoes it last */
            g_autofree char *req = g_strdup_printf("{\"id\": \"i\", %s",
                                                   cases[i].req + 1);

            check(req, exp_id);
        }
    }
}

static void test_dispatch_no_resp_and_disable(void)
{
    g_autofree char *r = NULL;

    no_resp_calls = 0;
    g_assert_null(dispatch("{\"execute\": \"test-no-resp\"}", false));
    g_assert_cmpint(no_resp_calls, ==, 1);

    qmp_disable_command(&test_commands, "test-void", "for testing");
    r = dispatch("{\"execute\": \"test-void\"}", false);
    g_assert_cmpstr(r, ==, "{\"error\": {\"class\": \"CommandNotFound\", "
                    "\"desc\": \"Command test-void has been disabled: "
                    "for testing\"}}");
    qmp_enable_command(&test_commands, "test-void");
    check("{\"execute\": \"test-void\"}", "{\"return\": {}}");
}

static void count_cmd(const QmpCommand *cmd, void *opaque)
{
    GString *names = opaque;

    g_string_append_printf(names, "%s%s", names->len ? "," : "",
                           qmp_command_name(cmd));
}

static void test_registry(void)
{
    g_autoptr(GString) names = g_string_new("");
    const QmpCommand *cmd = qmp_find_command(&test_commands, "test-oob");

    g_assert_nonnull(cmd);
    g_assert_true(cmd->options & QCO_ALLOW_OOB);
    g_assert_true(qmp_has_success_response(cmd));
    g_assert_false(qmp_has_success_response(
                       qmp_find_command(&test_commands, "test-no-resp")));
    g_assert_null(qmp_find_command(&test_commands, "nosuch"));
    qmp_for_each_command(&test_commands, count_cmd, names);
    g_assert_cmpstr(names->str, ==, "test-cmd,test-list,test-boxed,"
                    "test-void,test-fail,test-oob,test-no-resp,"
                    "test-struct-arg");
}

static void test_events(void)
{
    json_t *ev;
    TestSub sub = { .sub_int = 3 };
    int64_t now = g_get_real_time() / G_USEC_PER_SEC;

    qapi_event_send_test_event(1, true, "bee", TEST_ENUM_TWO_THREE);
    ev = qobject_from_json(last_event->str, &error_abort);
    g_assert_cmpstr(json_string_value(json_object_get(ev, "event")), ==,
                    "TEST_EVENT");
    g_assert_cmpint(json_integer_value(json_object_get(
                        json_object_get(ev, "timestamp"), "seconds")), >=,
                    now);
    g_assert_true(json_integer_value(json_object_get(
                      json_object_get(ev, "timestamp"), "microseconds"))
                  < 1000000);
    json_object_del(ev, "timestamp");
    {
        g_autoptr(GString) s = qobject_to_json(ev);

        g_assert_cmpstr(s->str, ==, "{\"event\": \"TEST_EVENT\", \"data\": "
                        "{\"a\": 1, \"b\": \"bee\", \"e\": \"two-three\"}}");
    }
    json_decref(ev);
    /* timestamp comes first, as in QEMU */
    g_assert_true(g_str_has_prefix(last_event->str,
                                   "{\"timestamp\": {\"seconds\": "));

    qapi_event_send_test_event(2, false, NULL, TEST_ENUM_ONE);
    g_assert_nonnull(strstr(last_event->str, "\"data\": {\"a\": 2, "
                            "\"e\": \"one\"}"));

    qapi_event_send_test_empty();
    g_assert_nonnull(strstr(last_event->str, "\"event\": \"TEST_EMPTY\""));
    g_assert_null(strstr(last_event->str, "data"));

    qapi_event_send_test_sub_event(sub.sub_int, false, NULL);
    g_assert_nonnull(strstr(last_event->str,
                            "\"data\": {\"sub-int\": 3}"));
    g_assert_cmpstr(test_QAPIEvent_str(TEST_QAPI_EVENT_TEST_SUB_EVENT), ==,
                    "TEST_SUB_EVENT");
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    test_qmp_init_marshal(&test_commands);
    g_test_add_func("/qapi/dispatch/success", test_dispatch_success);
    g_test_add_func("/qapi/dispatch/oob", test_dispatch_oob);
    g_test_add_func("/qapi/dispatch/errors", test_dispatch_errors);
    g_test_add_func("/qapi/dispatch/no-resp-and-disable",
                    test_dispatch_no_resp_and_disable);
    g_test_add_func("/qapi/dispatch/registry", test_registry);
    g_test_add_func("/qapi/events/emit", test_events);
    ret = g_test_run();
    if (last_event) {
        g_string_free(last_event, TRUE);
    }
    return ret;
}
