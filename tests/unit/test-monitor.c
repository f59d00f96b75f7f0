/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The monitor core without a client: current monitor, output, HMP args. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/qemu-print.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "monitor/monitor-internal.h"

/* A monitor without a chardev: its output stays in outbuf (skip_flush). */
static void monitor_open(Monitor *mon, bool is_qmp)
{
    monitor_data_init(mon, is_qmp, true);
}

static void monitor_close(Monitor *mon)
{
    g_string_free(mon->outbuf, true);
    qemu_mutex_destroy(&mon->mon_lock);
}

/* The HMP argument dictionary: a value of the wrong type is absent. */
static void test_hmp_args(void)
{
    json_t *args = json_pack("{s:s, s:b, s:I}", "device", "disk0",
                             "qdev", 1, "count", (json_int_t)-42);

    g_assert_cmpstr(hmp_arg_str(args, "device"), ==, "disk0");
    g_assert_null(hmp_arg_str(args, "missing"));
    g_assert_null(hmp_arg_str(args, "count"));
    g_assert_true(hmp_arg_bool(args, "qdev", false));
    g_assert_true(hmp_arg_bool(args, "missing", true));
    g_assert_false(hmp_arg_bool(args, "device", false));
    g_assert_cmpint(hmp_arg_int(args, "count", 7), ==, -42);
    g_assert_cmpint(hmp_arg_int(args, "missing", 7), ==, 7);
    g_assert_cmpint(hmp_arg_int(args, "device", 7), ==, 7);
    json_decref(args);
}

/*
 * The current monitor is per thread and says whether it is QMP; once the
 * monitor has started, util's qemu_printf() and error_printf() reach the
 * current HMP monitor through the hook it installed.
 */
static void test_current_monitor(void)
{
    Monitor hmp, qmp;

    monitor_open(&hmp, false);
    monitor_open(&qmp, true);
    g_assert_null(monitor_cur());
    g_assert_false(monitor_cur_is_qmp());

    g_assert_null(monitor_set_cur(&hmp));
    g_assert_false(monitor_cur_is_qmp());
    g_assert_cmpint(qemu_printf("p%d ", 1), ==, 3);
    g_assert_cmpint(error_printf("e%d", 2), ==, 2);
    g_assert_cmpint(monitor_printf(&hmp, "!"), ==, 1);
    g_assert_cmpstr(hmp.outbuf->str, ==, "p1 e2!");

    g_assert(monitor_set_cur(&qmp) == &hmp);
    g_assert_true(monitor_cur_is_qmp());
    g_assert_cmpint(qemu_printf("dropped"), ==, -1);
    g_assert_cmpint(monitor_printf(&qmp, "dropped"), ==, -1);
    g_assert_cmpstr(qmp.outbuf->str, ==, "");

    g_assert(monitor_set_cur(NULL) == &qmp);
    g_assert_false(monitor_cur_is_qmp());
    monitor_close(&qmp);
    monitor_close(&hmp);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    qemu_init_main_loop(&error_abort);
    qemu_mutex_lock_iothread();
    monitor_init_globals();
    g_test_add_func("/monitor/hmp-args", test_hmp_args);
    g_test_add_func("/monitor/current", test_current_monitor);
    ret = g_test_run();
    monitor_cleanup();
    qemu_mutex_unlock_iothread();
    return ret;
}
