/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the Error API and error_report()'s output format. */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"

static void test_setg(void)
{
    Error *err = NULL;

    error_setg(&err, "bad value %d", 42);
    g_assert_nonnull(err);
    g_assert_cmpstr(error_get_pretty(err), ==, "bad value 42");
    g_assert_cmpint(error_get_class(err), ==, ERROR_CLASS_GENERIC_ERROR);
    error_free_or_abort(&err);
    g_assert_null(err);

    /* NULL errp: ignored. */
    error_setg((Error **)NULL, "ignored");
}

static void test_setg_errno(void)
{
    Error *err = NULL;

    errno = EBADF;
    error_setg_errno(&err, ENOENT, "Failed to connect to '%s'", "/x.sock");
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Failed to connect to '/x.sock': "
                    "No such file or directory");
    /* errno is preserved. */
    g_assert_cmpint(errno, ==, EBADF);
    error_free(err);
    err = NULL;

    /* os_error 0: no suffix. */
    error_setg_errno(&err, 0, "plain");
    g_assert_cmpstr(error_get_pretty(err), ==, "plain");
    error_free(err);
    err = NULL;

    error_setg_file_open(&err, ENOENT, "/nonexist");
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "Could not open '/nonexist': No such file or directory");
    error_free(err);
}

static void test_set_class(void)
{
    Error *err = NULL;
    Error *copy;

    error_set(&err, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found",
              "x");
    g_assert_cmpint(error_get_class(err), ==, ERROR_CLASS_DEVICE_NOT_FOUND);
    copy = error_copy(err);
    g_assert_cmpstr(error_get_pretty(copy), ==, "Device 'x' not found");
    g_assert_cmpint(error_get_class(copy), ==, ERROR_CLASS_DEVICE_NOT_FOUND);
    error_free(err);
    error_free(copy);

    g_assert_cmpstr(error_class_name(ERROR_CLASS_GENERIC_ERROR), ==,
                    "GenericError");
    g_assert_cmpstr(error_class_name(ERROR_CLASS_COMMAND_NOT_FOUND), ==,
                    "CommandNotFound");
    g_assert_cmpstr(error_class_name(ERROR_CLASS_DEVICE_NOT_ACTIVE), ==,
                    "DeviceNotActive");
    g_assert_cmpstr(error_class_name(ERROR_CLASS_DEVICE_NOT_FOUND), ==,
                    "DeviceNotFound");
    g_assert_cmpstr(error_class_name(ERROR_CLASS_KVM_MISSING_CAP), ==,
                    "KVMMissingCap");
}

static void test_propagate(void)
{
    Error *dst = NULL;
    Error *local = NULL;
    Error *second = NULL;

    error_propagate(&dst, NULL);
    g_assert_null(dst);

    error_setg(&local, "first");
    error_propagate(&dst, local);
    g_assert_cmpstr(error_get_pretty(dst), ==, "first");

    /* First error wins; the second is freed. */
    error_setg(&second, "second");
    error_propagate(&dst, second);
    g_assert_cmpstr(error_get_pretty(dst), ==, "first");
    error_free(dst);

    /* NULL destination frees. */
    local = NULL;
    error_setg(&local, "dropped");
    error_propagate(NULL, local);
}

static void test_prepend_and_hint(void)
{
    Error *err = NULL;
    Error *dst = NULL;

    error_setg(&err, "inner");
    error_prepend(&err, "outer %d: ", 1);
    g_assert_cmpstr(error_get_pretty(err), ==, "outer 1: inner");
    error_propagate_prepend(&dst, err, "top: ");
    g_assert_cmpstr(error_get_pretty(dst), ==, "top: outer 1: inner");

    error_append_hint(&dst, "hint %s\n", "one");
    error_append_hint(&dst, "hint two\n");
    error_free(dst);

    /* Prepend/hint on NULL errp do nothing. */
    error_prepend(NULL, "x");
    error_append_hint(NULL, "x");
    /* Propagating NULL with a prefix is harmless. */
    dst = NULL;
    error_propagate_prepend(&dst, NULL, "prefix: ");
    g_assert_null(dst);
}

/* A function in QEMU style: ERRP_GUARD, then look at *errp. */
static bool fails_inner(Error **errp)
{
    error_setg(errp, "inner failure");
    return false;
}

static bool guarded(Error **errp, bool *saw_error)
{
    ERRP_GUARD();

    fails_inner(errp);
    *saw_error = *errp != NULL;
    if (*errp) {
        error_prepend(errp, "guarded: ");
        error_append_hint(errp, "a hint\n");
        return false;
    }
    return true;
}

static void test_errp_guard(void)
{
    Error *err = NULL;
    bool saw = false;

    /* NULL errp: the guard still lets us see the error. */
    g_assert_false(guarded(NULL, &saw));
    g_assert_true(saw);

    saw = false;
    g_assert_false(guarded(&err, &saw));
    g_assert_true(saw);
    g_assert_cmpstr(error_get_pretty(err), ==, "guarded: inner failure");
    error_free(err);
}

static void test_autoptr(void)
{
    g_autoptr(Error) err = NULL;

    error_setg(&err, "freed automatically");
    g_assert_nonnull(err);
}

/*
 * The tests below run their body in a subprocess (g_test_subprocess() is
 * true there) and check its exit status and stderr.
 */

static void run_self_in_subprocess(void)
{
    g_test_trap_subprocess(NULL, 0, 0);
}

static void test_error_abort(void)
{
    if (g_test_subprocess()) {
        error_setg(&error_abort, "boom %d", 7);
        return;
    }
    run_self_in_subprocess();
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("Unexpected error in test_error_abort() at "
                              "*test-error.c:*:\n*boom 7\n");
}

static void test_propagate_abort(void)
{
    if (g_test_subprocess()) {
        Error *local = NULL;

        error_setg(&local, "late abort");
        error_propagate(&error_abort, local);
        return;
    }
    run_self_in_subprocess();
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*late abort*");
}

static void test_error_fatal(void)
{
    if (g_test_subprocess()) {
        error_init("/usr/bin/qemu-system-x86_64");
        error_setg(&error_fatal, "fatal thing");
        return;
    }
    run_self_in_subprocess();
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("qemu-system-x86_64: fatal thing\n");
}

static void test_report_cmdline(void)
{
    if (g_test_subprocess()) {
        char *argv[] = {
            (char *)"minivmm", (char *)"-drive",
            (char *)"if=bogus,id=x", NULL
        };
        Location loc;

        error_init("/some/where/minivmm");
        loc_push_none(&loc);
        loc_set_cmdline(argv, 1, 2);
        error_report("unsupported bus type '%s'", "bogus");
        loc_set_cmdline(argv, 1, 1);
        warn_report("just %s", "the option");
        loc_pop(&loc);
        error_report("no location");
        info_report("fyi");
        return;
    }
    run_self_in_subprocess();
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr(
        "minivmm: -drive if=bogus,id=x: unsupported bus type 'bogus'\n"
        "minivmm: -drive: warning: just the option\n"
        "minivmm: no location\n"
        "minivmm: info: fyi\n");
}

static void test_report_err_hint(void)
{
    if (g_test_subprocess()) {
        Error *err = NULL;

        error_init("minivmm");
        error_setg(&err, "Parameter 'x' is missing");
        error_append_hint(&err, "Try 'help'\n");
        error_reportf_err(err, "prefix: ");
        err = NULL;
        error_setg(&err, "soft");
        warn_report_err(err);
        return;
    }
    run_self_in_subprocess();
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr(
        "minivmm: prefix: Parameter 'x' is missing\n"
        "Try 'help'\n"
        "minivmm: warning: soft\n");
}

static void test_report_file(void)
{
    if (g_test_subprocess()) {
        Location loc;

        error_init("prog");
        loc_push_none(&loc);
        loc_set_file("cfg.ini", 12);
        error_report("bad line");
        loc_set_file(NULL, 0);
        error_report("whole file");
        loc_pop(&loc);
        return;
    }
    run_self_in_subprocess();
    g_test_trap_assert_passed();
    /* As QEMU: no space between the program name and a file location. */
    g_test_trap_assert_stderr("prog:cfg.ini:12: bad line\n"
                              "prog:cfg.ini: whole file\n");
}

static void test_error_warn(void)
{
    if (g_test_subprocess()) {
        Error *local = NULL;

        error_init("minivmm");
        error_setg(&error_warn, "direct %d", 1);
        error_setg(&local, "propagated");
        error_propagate(&error_warn, local);
        g_assert_null(error_warn);
        return;
    }
    run_self_in_subprocess();
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("minivmm: warning: direct 1\n"
                              "minivmm: warning: propagated\n");
}

/* A deliberate mismatch: the stderr check must be able to fail. */
static void test_report_check_is_strict(void)
{
    if (g_test_subprocess()) {
        error_init("minivmm");
        error_report("one thing");
        return;
    }
    run_self_in_subprocess();
    g_test_trap_assert_passed();
    g_assert_false(g_pattern_match_simple("minivmm: another thing\n",
                                          "minivmm: one thing\n"));
    g_test_trap_assert_stderr("minivmm: one thing\n");
}
/* Hints survive error_copy(); the "f" warning variant; errno is kept. */
static void test_report_more(void)
{
    if (g_test_subprocess()) {
        Error *err = NULL;
        Error *copy;

        error_init("minivmm");
        error_setg(&err, "original");
        error_append_hint(&err, "first hint\n");
        errno = EPIPE;
        error_append_hint(&err, "second hint\n");
        g_assert_cmpint(errno, ==, EPIPE);
        copy = error_copy(err);
        error_free(err);
        warn_reportf_err(copy, "copied %d: ", 1);
        error_setg((Error **)NULL, "nowhere");
        g_assert_cmpint(errno, ==, EPIPE);
        g_message("from glib");
        return;
    }
    run_self_in_subprocess();
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("minivmm: warning: copied 1: original\n"
                              "first hint\nsecond hint\n"
                              "minivmm: info: from glib\n");
}

/* -msg timestamp=on: an ISO 8601 UTC time with microseconds first. */
static void test_report_timestamp(void)
{
    if (g_test_subprocess()) {
        error_init("minivmm");
        message_with_timestamp = true;
        error_report("stamped");
        return;
    }
    run_self_in_subprocess();
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("20*-*-*T*:*:*.*Z "
                              "minivmm: stamped\n");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/error/setg", test_setg);
    g_test_add_func("/error/setg-errno", test_setg_errno);
    g_test_add_func("/error/set-class", test_set_class);
    g_test_add_func("/error/propagate", test_propagate);
    g_test_add_func("/error/prepend-hint", test_prepend_and_hint);
    g_test_add_func("/error/errp-guard", test_errp_guard);
    g_test_add_func("/error/autoptr", test_autoptr);
    g_test_add_func("/error/abort", test_error_abort);
    g_test_add_func("/error/propagate-abort", test_propagate_abort);
    g_test_add_func("/error/fatal", test_error_fatal);
    g_test_add_func("/error/warn", test_error_warn);
    g_test_add_func("/error/report/cmdline", test_report_cmdline);
    g_test_add_func("/error/report/err-hint", test_report_err_hint);
    g_test_add_func("/error/report/file", test_report_file);
    g_test_add_func("/error/report/strict", test_report_check_is_strict);
    g_test_add_func("/error/report/more", test_report_more);
    g_test_add_func("/error/report/timestamp", test_report_timestamp);

    return g_test_run();
}
