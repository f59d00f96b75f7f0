/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for tracetool's generated code and trace event control. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "trace/control.h"
#include "test-trace.h"

/* Route the log to a temporary file; return its name. */
static char *log_to_tmpfile(void)
{
    g_autoptr(GError) gerr = NULL;
    char *name = NULL;
    int fd = g_file_open_tmp("test-trace-XXXXXX.log", &name, &gerr);

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    qemu_set_log_filename(name, &error_abort);
    return name;
}

static char *read_and_reset_log(const char *name)
{
    char *contents = NULL;

    qemu_set_log_filename(NULL, &error_abort);
    g_assert_true(g_file_get_contents(name, &contents, NULL, NULL));
    unlink(name);
    return contents;
}

static void disable_all(void)
{
    trace_enable_events("-*");
}

static void test_registry(void)
{
    TraceEventIter iter;
    TraceEvent *ev;
    int n = 0;

    g_assert_nonnull(trace_event_name("test_trace_void"));
    g_assert_null(trace_event_name("no_such_event"));
    g_assert_false(trace_event_get_state_static(
                       trace_event_name("test_trace_disabled")));
    g_assert_true(trace_event_get_state_static(
                      trace_event_name("test_trace_ints")));

    trace_event_iter_init_pattern(&iter, "test_trace_*");
    while ((ev = trace_event_iter_next(&iter)) != NULL) {
        g_assert_true(g_str_has_prefix(ev->name, "test_trace_"));
        n++;
    }
    g_assert_cmpint(n, ==, 4);
    g_assert_cmpint(TRACE_TEST_TRACE_DISABLED_ENABLED, ==, 0);
    g_assert_cmpint(TRACE_TEST_TRACE_VOID_ENABLED, ==, 1);
}

static void test_enable_pattern(void)
{
    disable_all();
    g_assert_false(trace_event_get_state(TRACE_TEST_TRACE_VOID));

    trace_enable_events("test_trace_*");
    g_assert_true(trace_event_get_state(TRACE_TEST_TRACE_VOID));
    g_assert_true(trace_event_get_state(TRACE_TEST_TRACE_INTS));
    g_assert_false(trace_event_get_state(TRACE_TEST_OTHER_EVENT));
    /* Statically disabled events stay off. */
    g_assert_false(trace_event_get_state(TRACE_TEST_TRACE_DISABLED));

    trace_enable_events("-test_trace_in?s");
    g_assert_false(trace_event_get_state(TRACE_TEST_TRACE_INTS));
    g_assert_true(trace_event_get_state(TRACE_TEST_TRACE_STR));
    disable_all();
}

static void test_output_format(void)
{
    g_autofree char *name = log_to_tmpfile();
    g_autofree char *log = NULL;
    g_autofree char *expect = NULL;
    g_auto(GStrv) lines = NULL;

    disable_all();
    trace_test_trace_ints(1, 2, 3);             /* disabled: no output */
    trace_enable_events("test_trace_ints");
    trace_enable_events("test_trace_str");
    trace_enable_events("test_trace_void");
    trace_test_trace_ints(-5, 42, 0xabcdef);
    trace_test_trace_str("bitmap0", NULL);
    trace_test_trace_void();
    trace_test_trace_disabled(1);
    disable_all();
    trace_test_trace_void();

    log = read_and_reset_log(name);
    lines = g_strsplit(log, "\n", -1);
    g_assert_cmpint(g_strv_length(lines), ==, 4);
    expect = g_strdup_printf("^%d@[0-9]+\\.[0-9]{6}:test_trace_ints "
                             "a -5 b 42 c 0xabcdef$", qemu_get_thread_id());
    g_assert_true(g_regex_match_simple(expect, lines[0], 0, 0));
    g_assert_true(g_regex_match_simple(
                      "^[0-9]+@[0-9]+\\.[0-9]{6}:test_trace_str "
                      "name bitmap0 ptr \\(nil\\)$", lines[1], 0, 0));
    g_assert_true(g_regex_match_simple(
                      "^[0-9]+@[0-9]+\\.[0-9]{6}:test_trace_void $",
                      lines[2], 0, 0));
    g_assert_cmpstr(lines[3], ==, "");
}

/* The log goes to the -D file while one is set; categories filter it. */
static void test_log_file_and_level(void)
{
    g_autofree char *name = NULL;
    g_autofree char *log = NULL;

    g_assert_false(qemu_log_enabled());
    name = log_to_tmpfile();
    g_assert_true(qemu_log_enabled());
    qemu_log_mask(LOG_TRACE, "one\n");
    g_assert_true(qemu_set_log(0, &error_abort));
    g_assert_false(qemu_loglevel_mask(LOG_TRACE));
    qemu_log_mask(LOG_TRACE, "two\n");
    g_assert_true(qemu_set_log(LOG_TRACE, &error_abort));
    qemu_log("three\n");
    log = read_and_reset_log(name);
    g_assert_false(qemu_log_enabled());
    g_assert_cmpstr(log, ==, "one\nthree\n");
}

static void test_opt_parse(void)
{
    g_autofree char *events_file = NULL;
    g_autofree char *log_name = NULL;
    g_autofree char *log = NULL;
    g_autofree char *opt = NULL;
    Error *err = NULL;
    int fd;

    disable_all();
    g_assert_true(trace_opt_parse("test_other_*", &error_abort));
    g_assert_true(trace_event_get_state(TRACE_TEST_OTHER_EVENT));
    disable_all();
    g_assert_true(trace_opt_parse("enable=test_trace_void", &error_abort));
    g_assert_true(trace_event_get_state(TRACE_TEST_TRACE_VOID));
    disable_all();

    /* events=FILE: one pattern per line, comments ignored. */
    fd = g_file_open_tmp("test-trace-XXXXXX.events", &events_file, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, "# comment\n\n  test_trace_str \n", 29), ==,
                    29);
    close(fd);
    fd = g_file_open_tmp("test-trace-XXXXXX.log", &log_name, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    opt = g_strdup_printf("events=%s,file=%s", events_file, log_name);
    g_assert_true(trace_opt_parse(opt, &error_abort));
    g_assert_true(trace_event_get_state(TRACE_TEST_TRACE_STR));
    g_assert_false(trace_event_get_state(TRACE_TEST_TRACE_VOID));
    trace_test_trace_str("via-file", NULL);
    log = read_and_reset_log(log_name);
    g_assert_nonnull(strstr(log, ":test_trace_str name via-file ptr (nil)\n"));
    unlink(events_file);
    disable_all();

    g_assert_false(trace_opt_parse("bogus=1", &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "Invalid parameter 'bogus'");
    error_free(err);
    err = NULL;
    g_assert_false(trace_opt_parse("events=/nonexistent/file", &err));
    g_assert_true(g_str_has_prefix(error_get_pretty(err),
                                   "could not open trace events file "
                                   "'/nonexistent/file'"));
    error_free(err);
}

static uint16_t late_dstate;
static TraceEvent late_event = {
    .name = "late_registered_event",
    .sstate = true,
    .dstate = &late_dstate,
};
static TraceEvent *late_group[] = { &late_event, NULL };

static void test_late_registration(void)
{
    /* A pattern enabled before a group registers applies to it. */
    trace_enable_events("late_*");
    g_assert_cmpint(late_dstate, ==, 0);
    trace_event_register_group(late_group);
    g_assert_cmpint(late_dstate, !=, 0);
    trace_event_register_group(late_group);     /* twice: no-op */
    trace_enable_events("-late_*");
    g_assert_cmpint(late_dstate, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    trace_test_trace_register_events();

    g_test_add_func("/trace/registry", test_registry);
    g_test_add_func("/trace/enable-pattern", test_enable_pattern);
    g_test_add_func("/trace/output-format", test_output_format);
    g_test_add_func("/trace/opt-parse", test_opt_parse);
    g_test_add_func("/log/file-and-level", test_log_file_and_level);
    g_test_add_func("/trace/late-registration", test_late_registration);

    return g_test_run();
}
