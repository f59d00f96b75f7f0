/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libqtest itself: teardown of dead processes, cleanup when a test dies. */

/*
 * The cleanup tests run a test body in a g_test_trap_subprocess() child
 * that starts a VM, writes "<pid> <tmpdir>" to the file named by
 * $LIBQTEST_TEST_INFO and then dies in some way without qtest_quit().
 * This process is a child subreaper, so a VM orphaned by the child's
 * death becomes our child and we can reap it: afterwards kill(pid, 0)
 * must fail with ESRCH.
 */

#include "qemu/osdep.h"
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "libqtest.h"

#define VM_ARGS "-M none -nodefaults"
#define INFO_ENV "LIBQTEST_TEST_INFO"
/* Bound for every wait in this file. */
#define WAIT_SECONDS 30

/* Wait until @pid no longer exists; fail after WAIT_SECONDS. */
static void assert_pid_gone(pid_t pid)
{
    gint64 deadline = g_get_monotonic_time() +
                      WAIT_SECONDS * G_USEC_PER_SEC;
    int pidfd = -1;

#ifdef SYS_pidfd_open
    pidfd = syscall(SYS_pidfd_open, pid, 0);
#endif
    for (;;) {
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
        gint64 left;
        int st;

        /* If it was orphaned to us, it is our zombie now: reap it. */
        waitpid(pid, &st, WNOHANG);
        if (kill(pid, 0) < 0 && errno == ESRCH) {
            break;
        }
        left = deadline - g_get_monotonic_time();
        if (left <= 0) {
            g_error("pid %d still exists after %d s", (int)pid,
                    WAIT_SECONDS);
        }
        /* Until it exits (pidfd readable), or 100 ms at most. */
        poll(&pfd, pidfd >= 0 ? 1 : 0, MIN(left / 1000 + 1, 100));
    }
    if (pidfd >= 0) {
        close(pidfd);
    }
}

static bool dir_exists(const char *dir)
{
    return g_file_test(dir, G_FILE_TEST_IS_DIR);
}

/* Remove a temporary directory that a dead test left behind. */
static void remove_leftover(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;

    if (!d) {
        return;
    }
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        unlink(path);
    }
    g_dir_close(d);
    rmdir(dir);
}

/* In the child: start a VM and tell the parent about it. */
static QTestState *child_start_vm(void)
{
    QTestState *s = qtest_init(VM_ARGS);
    g_autofree char *info = g_strdup_printf("%d %s", (int)qtest_pid(s),
                                            qtest_tmpdir(s));

    g_assert_true(g_file_set_contents(g_getenv(INFO_ENV), info, -1, NULL));
    return s;
}

/*
 * In the parent: run the current test in a child that must fail, then
 * check that its VM is gone, and that its tmpdir was removed if
 * @tmpdir_removed (else remove it).
 */
static void run_dying_child(bool tmpdir_removed)
{
    g_autofree char *info_path = g_strdup_printf("%s/libqtest-test-%d.info",
                                                 g_get_tmp_dir(),
                                                 (int)getpid());
    g_autofree char *info = NULL;
    g_auto(GStrv) fields = NULL;
    pid_t pid;

    unlink(info_path);
    g_setenv(INFO_ENV, info_path, true);
    g_test_trap_subprocess(NULL, WAIT_SECONDS * G_USEC_PER_SEC, 0);
    g_test_trap_assert_failed();
    g_assert_true(g_file_get_contents(info_path, &info, NULL, NULL));
    unlink(info_path);
    fields = g_strsplit(info, " ", 2);
    g_assert_cmpuint(g_strv_length(fields), ==, 2);
    pid = atoi(fields[0]);
    g_assert_cmpint(pid, >, 0);

    assert_pid_gone(pid);
    if (tmpdir_removed) {
        g_assert_false(dir_exists(fields[1]));
    } else {
        remove_leftover(fields[1]);
    }
}

/* abort(): the SIGABRT handler kills the VM and removes its tmpdir. */
static void test_cleanup_abort(void)
{
    if (g_test_subprocess()) {
        child_start_vm();
        abort();
    }
    run_dying_child(true);
}

/* exit() without qtest_quit(): the atexit handler cleans up. */
static void test_cleanup_exit(void)
{
    if (g_test_subprocess()) {
        child_start_vm();
        exit(1);
    }
    run_dying_child(true);
    g_test_trap_assert_stderr("*libqtest: killing pid * at exit*");
}

/*
 * A failed g_assert() (which GLib turns into _exit(1) in a subprocess),
 * and a SIGKILL of the test process: no handler runs, PR_SET_PDEATHSIG
 * kills the VM.
 */
static void test_cleanup_assert(void)
{
    if (g_test_subprocess()) {
        QTestState *s = child_start_vm();

        g_assert_cmpint(qtest_pid(s), ==, 0);
    }
    run_dying_child(false);
}

static void test_cleanup_sigkill(void)
{
    if (g_test_subprocess()) {
        child_start_vm();
        raise(SIGKILL);
    }
    run_dying_child(false);
}

/* Start a VM, assert it ends as @sig dictates, and quit it. */
static void kill_and_quit(int sig, bool wait_first)
{
    QTestState *s = qtest_init(VM_ARGS);
    g_autofree char *dir = g_strdup(qtest_tmpdir(s));
    pid_t pid = qtest_pid(s);
    int status;

    qtest_kill(s, sig);
    if (wait_first) {
        g_assert_true(qtest_wait_exit(s, &status));
        if (sig == SIGTERM) {
            /* minivmm shuts down cleanly on SIGTERM */
            g_assert_true(WIFEXITED(status));
            g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        } else {
            g_assert_true(WIFSIGNALED(status));
            g_assert_cmpint(WTERMSIG(status), ==, sig);
        }
    }
    qtest_quit(s);
    /* Reaped and cleaned up by qtest_quit(). */
    g_assert_cmpint(kill(pid, 0), ==, -1);
    g_assert_cmpint(errno, ==, ESRCH);
    g_assert_false(dir_exists(dir));
}

static void test_quit_after_sigkill(void)
{
    kill_and_quit(SIGKILL, false);
}

static void test_quit_after_sigkill_wait(void)
{
    kill_and_quit(SIGKILL, true);
}

static void test_quit_after_sigterm(void)
{
    kill_and_quit(SIGTERM, true);
}

/* The process quit through QMP and was reaped: qtest_quit() frees it. */
static void test_quit_after_exit(void)
{
    QTestState *s = qtest_init(VM_ARGS);
    json_t *rsp = qtest_qmp(s, "{\"execute\": \"quit\"}");
    int status;

    g_assert_nonnull(json_object_get(rsp, "return"));
    json_decref(rsp);
    g_assert_true(qtest_wait_exit(s, &status));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    qtest_quit(s);
}

/*
 * A process killed behind the harness's back is still an error, both
 * in the middle of a command and at qtest_quit().
 */
static void test_death_during_qmp(void)
{
    if (g_test_subprocess()) {
        QTestState *s = child_start_vm();
        int status;

        g_assert_cmpint(kill(qtest_pid(s), SIGKILL), ==, 0);
        /* Wait for it, so that the command meets a dead process. */
        g_assert_true(qtest_wait_exit(s, &status));
        json_decref(qtest_qmp(s, "{\"execute\": \"query-status\"}"));
        return;
    }
    /* The child fails in g_error(), i.e. _exit(): no cleanup. */
    run_dying_child(false);
    g_test_trap_assert_stderr("*libqtest: * (pid *) was killed by signal 9 "
                              "(*) while *query-status*");
}

static void test_unexpected_signal_at_quit(void)
{
    if (g_test_subprocess()) {
        QTestState *s = child_start_vm();

        g_assert_cmpint(kill(qtest_pid(s), SIGKILL), ==, 0);
        qtest_quit(s);
        return;
    }
    run_dying_child(false);
    g_test_trap_assert_stderr("*libqtest: * (pid *) was killed by signal 9 "
                              "(*), not sent by qtest_kill()*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* These tests check that temporary directories go away. */
    g_unsetenv("QTEST_KEEP_TMPDIR");
    /* Orphaned grandchildren come to us (see the top of the file). */
    g_assert_cmpint(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), ==, 0);

    g_test_add_func("/libqtest/quit/after-sigkill", test_quit_after_sigkill);
    g_test_add_func("/libqtest/quit/after-sigkill-wait",
                    test_quit_after_sigkill_wait);
    g_test_add_func("/libqtest/quit/after-sigterm", test_quit_after_sigterm);
    g_test_add_func("/libqtest/quit/after-exit", test_quit_after_exit);
    g_test_add_func("/libqtest/quit/unexpected-signal",
                    test_unexpected_signal_at_quit);
    g_test_add_func("/libqtest/qmp/unexpected-death",
                    test_death_during_qmp);
    g_test_add_func("/libqtest/cleanup/abort", test_cleanup_abort);
    g_test_add_func("/libqtest/cleanup/exit", test_cleanup_exit);
    g_test_add_func("/libqtest/cleanup/assert", test_cleanup_assert);
    g_test_add_func("/libqtest/cleanup/sigkill", test_cleanup_sigkill);
    return g_test_run();
}
