/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Run states over QMP: -S, stop/cont with their events, quit, signals. */
#include "qemu/osdep.h"

#include <sys/wait.h>

#include "libqtest.h"

static void assert_status(QTestState *qts, const char *status, bool running)
{
    json_t *ret = qtest_qmp_assert_success_ref(
        qts, "{\"execute\": \"query-status\"}");

    g_assert_cmpstr(json_string_value(json_object_get(ret, "status")), ==,
                    status);
    g_assert_true(json_is_boolean(json_object_get(ret, "running")));
    g_assert_cmpint(json_is_true(json_object_get(ret, "running")), ==,
                    running);
    g_assert_true(json_is_false(json_object_get(ret, "singlestep")));
    json_decref(ret);
}

/*
 * Send @cmd and return the messages up to and including its reply, as
 * a "|"-separated list of event names and "return".
 */
static char *exchange(QTestState *qts, const char *cmd)
{
    QTestConn *c = qtest_qmp_conn(qts);
    g_autoptr(GString) seq = g_string_new(NULL);

    qtest_conn_sendf(c, "%s", cmd);
    for (;;) {
        json_t *msg = qtest_conn_recv_json(c);
        const char *ev;

        g_assert_nonnull(msg);
        ev = json_string_value(json_object_get(msg, "event"));
        g_string_append_printf(seq, "%s%s", seq->len ? "|" : "",
                               ev ? ev : json_object_get(msg, "return")
                                         ? "return" : "error");
        json_decref(msg);
        if (!ev) {
            break;
        }
    }
    return g_string_free(g_steal_pointer(&seq), false);
}

static void test_prelaunch(void)
{
    QTestState *qts = qtest_init("-M none -nodefaults -S");
    g_autofree char *seq = NULL;

    assert_status(qts, "prelaunch", false);
    seq = exchange(qts, "{\"execute\": \"cont\"}");
    g_assert_cmpstr(seq, ==, "RESUME|return");
    assert_status(qts, "running", true);
    qtest_quit(qts);
}

static void test_autostart(void)
{
    QTestState *qts = qtest_init("-M none -nodefaults");

    assert_status(qts, "running", true);
    /* Nothing was queued: the start-up RESUME precedes negotiation */
    g_assert_cmpuint(qtest_conn_events_pending(qtest_qmp_conn(qts)), ==, 0);
    qtest_quit(qts);
}

static void test_stop_cont(void)
{
    QTestState *qts = qtest_init("-nodefaults");
    char *seq;

    /* The event comes before the reply, as in QEMU */
    seq = exchange(qts, "{\"execute\": \"stop\"}");
    g_assert_cmpstr(seq, ==, "STOP|return");
    g_free(seq);
    assert_status(qts, "paused", false);

    /* Stopping a stopped VM succeeds silently */
    seq = exchange(qts, "{\"execute\": \"stop\"}");
    g_assert_cmpstr(seq, ==, "return");
    g_free(seq);

    seq = exchange(qts, "{\"execute\": \"cont\"}");
    g_assert_cmpstr(seq, ==, "RESUME|return");
    g_free(seq);

    /* Continuing a running VM changes nothing */
    seq = exchange(qts, "{\"execute\": \"cont\"}");
    g_assert_cmpstr(seq, ==, "return");
    g_free(seq);
    assert_status(qts, "running", true);

    /* The same through HMP */
    seq = exchange(qts, "{\"execute\": \"human-monitor-command\", "
                   "\"arguments\": {\"command-line\": \"stop\"}}");
    g_assert_cmpstr(seq, ==, "STOP|return");
    g_free(seq);
    seq = exchange(qts, "{\"execute\": \"human-monitor-command\", "
                   "\"arguments\": {\"command-line\": \"c\"}}");
    g_assert_cmpstr(seq, ==, "RESUME|return");
    g_free(seq);
    qtest_quit(qts);
}

static void test_quit(void)
{
    QTestState *qts = qtest_init("-M none -nodefaults");
    QTestConn *c = qtest_qmp_conn(qts);
    g_autofree char *log = NULL;
    json_t *ev, *rsp;
    int status;

    qtest_conn_sendf(c, "{\"execute\": \"quit\", \"id\": \"q\"}");
    ev = qtest_conn_recv_json(c);
    g_assert_cmpstr(json_string_value(json_object_get(ev, "event")), ==,
                    "SHUTDOWN");
    g_assert_true(json_is_false(json_object_get(json_object_get(ev, "data"),
                                                "guest")));
    g_assert_cmpstr(json_string_value(json_object_get(
                        json_object_get(ev, "data"), "reason")), ==,
                    "host-qmp-quit");
    json_decref(ev);
    rsp = qtest_conn_recv_json(c);
    g_assert_nonnull(json_object_get(rsp, "return"));
    json_decref(rsp);
    g_assert_true(qtest_conn_wait_eof(c));
    g_assert_true(qtest_wait_exit(qts, &status));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    /* A healthy run prints nothing */
    log = qtest_get_log(qts);
    g_assert_cmpstr(log, ==, "");
    qtest_quit(qts);
}

static void test_hmp_quit(void)
{
    QTestState *qts = qtest_init("-M none -nodefaults -S");
    json_t *ev;
    int status;

    qtest_qmp_send(qts, "{\"execute\": \"human-monitor-command\", "
                   "\"arguments\": {\"command-line\": \"quit\"}}");
    ev = qtest_qmp_eventwait_ref(qts, "SHUTDOWN");
    g_assert_cmpstr(json_string_value(json_object_get(
                        json_object_get(ev, "data"), "reason")), ==,
                    "host-qmp-quit");
    json_decref(ev);
    g_assert_true(qtest_wait_exit(qts, &status));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    qtest_quit(qts);
}

/* The name QEMU prints for the sender of a signal: its argv[0]. */
static char *self_cmdline(void)
{
    char *text = NULL;

    g_assert_true(g_file_get_contents("/proc/self/cmdline", &text, NULL,
                                      NULL));
    return text;
}

static void test_sigterm(void)
{
    QTestState *qts = qtest_init("-M none -nodefaults");
    g_autofree char *log = NULL;
    g_autofree char *expect = NULL;
    g_autofree char *self = self_cmdline();
    g_autofree char *prog = g_path_get_basename(qtest_binary());
    json_t *ev;
    int status;

    qtest_kill(qts, SIGTERM);
    ev = qtest_qmp_eventwait_ref(qts, "SHUTDOWN");
    g_assert_true(json_is_false(json_object_get(json_object_get(ev, "data"),
                                                "guest")));
    g_assert_cmpstr(json_string_value(json_object_get(
                        json_object_get(ev, "data"), "reason")), ==,
                    "host-signal");
    json_decref(ev);
    g_assert_true(qtest_wait_exit(qts, &status));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    log = qtest_get_log(qts);
    expect = g_strdup_printf("%s: terminating on signal 15 from pid %d "
                             "(%s)\n", prog, (int)getpid(), self);
    g_assert_cmpstr(log, ==, expect);
    qtest_quit(qts);
}

/* With a qtest driver attached QEMU does not print the signal line. */
static void test_sigterm_qtest(void)
{
    QTestOptions opts = { .qmp_handshake = true, .with_qtest = true };
    QTestState *qts = qtest_init_with_opts(&opts, "-M none -accel tcg "
                                           "-qtest-log /dev/null");
    g_autofree char *log = NULL;
    int status;

    qtest_kill(qts, SIGTERM);
    qtest_qmp_eventwait(qts, "SHUTDOWN");
    g_assert_true(qtest_wait_exit(qts, &status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    log = qtest_get_log(qts);
    g_assert_cmpstr(log, ==, "");
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/runstate/prelaunch", test_prelaunch);
    g_test_add_func("/runstate/autostart", test_autostart);
    g_test_add_func("/runstate/stop-cont", test_stop_cont);
    g_test_add_func("/runstate/quit", test_quit);
    g_test_add_func("/runstate/hmp-quit", test_hmp_quit);
    g_test_add_func("/runstate/sigterm", test_sigterm);
    g_test_add_func("/runstate/sigterm-qtest", test_sigterm_qtest);
    return g_test_run();
}
