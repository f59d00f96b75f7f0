/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The qtest socket (-qtest): protocol replies and the stderr log. */
#include "qemu/osdep.h"

#include "libqtest.h"

#define HARNESS_ARGS "-accel tcg -nodefaults -display none -accel tcg"

/*
 * What migrate-bitmaps-test does with the log: strip the OPENED line at
 * the start and the CLOSED line at the end; the rest must be empty.
 */
static char *strip_open_close(const char *log)
{
    g_autoptr(GRegex) open_re = g_regex_new("^\\[I \\d+\\.\\d+\\] OPENED\\n",
                                            0, 0, NULL);
    g_autoptr(GRegex) close_re = g_regex_new(
        "\\[I \\+\\d+\\.\\d+\\] CLOSED\\n?$", 0, 0, NULL);
    g_autofree char *a = g_regex_replace(open_re, log, -1, 0, "", 0, NULL);

    return g_regex_replace(close_re, a, -1, 0, "", 0, NULL);
}

static void test_protocol_and_log(void)
{
    QTestOptions opts = { .qmp_handshake = true, .with_qtest = true };
    QTestState *qts = qtest_init_with_opts(&opts, HARNESS_ARGS);
    QTestConn *q = qtest_qtest_conn(qts);
    g_autofree char *r1 = qtest_conn_qtest_cmd(q, "clock_step 1000");
    g_autofree char *r2 = qtest_conn_qtest_cmd(q, "readb 0x1000");
    g_autofree char *r3 = qtest_conn_qtest_cmd(q, "");
    g_autofree char *log = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GRegex) re = g_regex_new(
        "^\\[I \\d+\\.\\d{6}\\] OPENED\\n"
        "\\[R \\+\\d+\\.\\d{6}\\] clock_step 1000\\n"
        "\\[S \\+\\d+\\.\\d{6}\\] FAIL Unknown command 'clock_step'\\n"
        "\\[R \\+\\d+\\.\\d{6}\\] readb 0x1000\\n"
        "\\[S \\+\\d+\\.\\d{6}\\] OK 0x0000000000000000\\n"
        "\\[R \\+\\d+\\.\\d{6}\\] \\n"
        "\\[S \\+\\d+\\.\\d{6}\\] FAIL Unknown command ''\\n$", 0, 0, NULL);

    g_assert_cmpstr(r1, ==, "FAIL Unknown command 'clock_step'");
    g_assert_cmpstr(r2, ==, "OK 0x0000000000000000");
    g_assert_cmpstr(r3, ==, "FAIL Unknown command ''");
    /* QMP is unaffected by the qtest traffic */
    qtest_qmp_assert_success(qts, "{\"execute\": \"query-status\"}");
    log = qtest_get_log(qts);
    g_assert_true(g_regex_match(re, log, 0, NULL));
    qtest_quit(qts);
}

static void test_quiet_log(void)
{
    QTestOptions opts = { .qmp_handshake = true, .with_qtest = true };
    QTestState *qts = qtest_init_with_opts(&opts, HARNESS_ARGS);
    g_autofree char *log = NULL;
    g_autofree char *rest = NULL;

    qtest_qmp_assert_success(qts, "{\"execute\": \"stop\"}");
    qtest_qmp_assert_success(qts, "{\"execute\": \"cont\"}");
    log = qtest_get_log(qts);
    rest = strip_open_close(log);
    g_assert_true(g_str_has_prefix(log, "[I "));
    g_assert_cmpstr(rest, ==, "");
    qtest_quit(qts);
}

static void test_log_file(void)
{
    QTestOptions opts = { .qmp_handshake = true, .with_qtest = true };
    QTestState *qts = qtest_init_with_opts(&opts, HARNESS_ARGS
                                           " -qtest-log /dev/null");
    g_autofree char *r = qtest_conn_qtest_cmd(qtest_qtest_conn(qts),
                                              "outb 0x80 0");
    g_autofree char *log = NULL;

    g_assert_cmpstr(r, ==, "FAIL Unknown command 'outb'");
    log = qtest_get_log(qts);
    g_assert_cmpstr(log, ==, "");
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/protocol-and-log", test_protocol_and_log);
    g_test_add_func("/qtest/quiet-log", test_quiet_log);
    g_test_add_func("/qtest/log-file", test_log_file);
    return g_test_run();
}
