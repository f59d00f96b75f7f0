/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command line: informational options and every start-up error text. */
#include "qemu/osdep.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include "libqtest.h"

static char *progname(void)
{
    return g_path_get_basename(qtest_binary());
}

/* Run with @args; expect exit 1 and exactly @expect (progname-less). */
static void assert_fails(const char *args, const char *expect)
{
    g_autofree char *out = NULL;
    g_autofree char *prog = progname();
    g_autofree char *want = NULL;
    g_auto(GStrv) lines = g_strsplit(expect, "\n", -1);
    g_autoptr(GString) w = g_string_new(NULL);
    char **l;

    /* Each line of @expect gets the "<progname>: " prefix */
    for (l = lines; *l && **l; l++) {
        g_string_append_printf(w, "%s: %s\n", prog, *l);
    }
    want = g_string_free(g_steal_pointer(&w), false);
    g_assert_cmpint(qtest_run(args, &out), ==, 1);
    g_assert_cmpstr(out, ==, want);
}

static void test_invalid(void)
{
    assert_fails("-bogus", "-bogus: invalid option");
    assert_fails("--bogus", "--bogus: invalid option");
    assert_fails("-M none -nodefaults -m", "-m: requires an argument");
    assert_fails("-accel bogus", "-accel bogus: invalid accelerator bogus");
    assert_fails("-display bogus",
                 "-display bogus: Parameter 'type' does not accept value "
                 "'bogus'");
    assert_fails("-M none -device bogus",
                 "-device bogus: 'bogus' is not a valid device model name");
    assert_fails("-M none -daemonize",
                 "-daemonize: option not supported");
}

static void test_machine(void)
{
    g_autofree char *out = NULL;
    g_autofree char *prog = progname();
    g_autofree char *want = g_strdup_printf(
        "%s: unsupported machine type\n"
        "Use -machine help to list supported machines\n", prog);

    g_assert_cmpint(qtest_run("-M bogus", &out), ==, 1);
    g_assert_cmpstr(out, ==, want);
}

#define QEMU_BINARY "/usr/bin/qemu-system-x86_64"

/* @binary -help's output */
static char *help_of(const char *binary)
{
    g_autofree char *saved = g_strdup(qtest_binary());
    char *out = NULL;

    g_setenv("MINIVMM_BINARY", binary, true);
    g_assert_cmpint(qtest_run("-help", &out), ==, 0);
    g_setenv("MINIVMM_BINARY", saved, true);
    return out;
}

/*
 * -help shows -blockdev, -incoming and -qmp-pretty; every option it
 * names is one of QEMU 7.2's, and where it shows QEMU's synopsis it
 * shows QEMU's lines (white space aside for -qmp-pretty's columns).
 */
static void test_help(void)
{
    static const char *const qemu_lines[] = {
        "-blockdev [driver=]driver[,node-name=N][,discard=ignore|unmap]\n",
        "          [,cache.direct=on|off][,cache.no-flush=on|off]\n",
        "          [,read-only=on|off][,auto-read-only=on|off]\n",
        "          [,force-share=on|off][,detect-zeroes=on|off|unmap]\n",
        "          [,driver specific parameters...]\n",
        "-incoming unix:socketpath\n",
        "-incoming exec:cmdline",
        "-incoming defer",
    };
    /* options QEMU has but leaves out of its -help */
    static const char *const hidden[] = { "-qtest", "-qtest-log", NULL };
    g_autofree char *ours = help_of(qtest_binary());
    g_autofree char *qemu = NULL;
    g_auto(GStrv) lines = g_strsplit(ours, "\n", -1);
    g_autoptr(GRegex) space = g_regex_new(" +", 0, 0, NULL);
    g_autofree char *pretty = NULL;
    char **l;
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(qemu_lines); i++) {
        g_autofree char *nl = g_strconcat("\n", qemu_lines[i], NULL);

        g_assert_nonnull(strstr(ours, nl));
    }
    pretty = g_regex_replace_literal(space, ours, -1, 0, " ", 0, NULL);
    g_assert_nonnull(strstr(pretty, "\n-qmp-pretty dev like -qmp but uses "
                            "pretty JSON formatting\n"));
    if (access(QEMU_BINARY, X_OK) != 0) {
        g_test_message("QEMU 7.2 is not installed: not compared");
        return;
    }
    qemu = help_of(QEMU_BINARY);
    for (i = 0; i < G_N_ELEMENTS(qemu_lines); i++) {
        g_autofree char *nl = g_strconcat("\n", qemu_lines[i], NULL);

        g_assert_nonnull(strstr(qemu, nl));
    }
    g_assert_nonnull(strstr(qemu, "\n-qmp-pretty dev like -qmp but uses "
                            "pretty JSON formatting\n"));
    for (l = lines; *l; l++) {
        g_autofree char *opt = NULL;
        g_autofree char *at_start = NULL;

        if (**l != '-') {
            continue;
        }
        opt = g_strndup(*l, strcspn(*l, " |["));
        at_start = g_strdup_printf("\n%s ", opt);
        if (!strstr(qemu, at_start) &&
            !g_strv_contains(hidden, opt)) {
            g_error("-help lists %s, which QEMU 7.2's -help does not", opt);
        }
    }
}

static void test_machine_help(void)
{
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    char **l;
    bool have_default = false;

    g_assert_cmpint(qtest_run("-machine help", &out), ==, 0);
    lines = g_strsplit(out, "\n", -1);
    g_assert_cmpstr(lines[0], ==, "Supported machines are:");
    for (l = lines + 1; *l && **l; l++) {
        /* name left-justified in 20 columns, a space, a description */
        g_assert_cmpint(strlen(*l), >, 21);
        g_assert_cmpint((*l)[20], ==, ' ');
        if (g_str_has_suffix(*l, " (default)")) {
            g_assert_true(g_str_has_prefix(*l, "pc-i440fx-7.2 "));
            have_default = true;
        }
    }
    g_assert_true(have_default);
    g_assert_nonnull(strstr(out, "\npc                   "));
    g_assert_nonnull(strstr(out, "(alias of pc-i440fx-7.2)\n"));
    g_assert_nonnull(strstr(out, "\nnone                 empty machine\n"));
    g_assert_nonnull(strstr(out, "\nq35 "));

    g_free(out);
    g_assert_cmpint(qtest_run("-M help", &out), ==, 0);
    g_assert_true(g_str_has_prefix(out, "Supported machines are:\n"));
}

static void test_info_options(void)
{
    g_autofree char *out = NULL;

    g_assert_cmpint(qtest_run("-version", &out), ==, 0);
    g_assert_true(g_str_has_prefix(out, "QEMU emulator version 7.2."));
    g_free(out);
    g_assert_cmpint(qtest_run("--version", &out), ==, 0);
    g_assert_true(g_str_has_prefix(out, "QEMU emulator version 7.2."));
    g_free(out);
    g_assert_cmpint(qtest_run("-h", &out), ==, 0);
    g_assert_nonnull(strstr(out, "-machine"));
    g_free(out);
    g_assert_cmpint(qtest_run("-nodefaults -display none -accel tcg "
                              "-M none -device help", &out), ==, 0);
    g_assert_nonnull(strstr(out, "name \"virtio-blk-pci\", bus PCI, "
                            "alias \"virtio-blk\""));
}

/* interface-contract 2.2: the runner splits these two lines */
static void test_drive_format_help(void)
{
    g_autofree char *out = NULL;
    g_auto(GStrv) lines = NULL;
    g_auto(GStrv) names = NULL;
    const char *fmts[] = { "file", "null-co", "null-aio", "raw" };
    size_t i;

    g_assert_cmpint(qtest_run("-nodefaults -display none -accel tcg "
                              "-drive format=help", &out), ==, 0);
    lines = g_strsplit(out, "\n", -1);
    g_assert_true(g_str_has_prefix(lines[0], "Supported formats:"));
    g_assert_nonnull(lines[1]);
    g_assert_true(g_str_has_prefix(lines[1],
                                   "Supported formats (read-only):"));
    names = g_strsplit(lines[0] + strlen("Supported formats:"), " ", -1);
    for (i = 0; i < G_N_ELEMENTS(fmts); i++) {
        g_assert_true(g_strv_contains((const char * const *)names,
                                      fmts[i]));
    }
}

static void test_chardev_errors(void)
{
    assert_fails("-M none -chardev socket,id=mon,path=/nonexistent/x.sock "
                 "-mon chardev=mon,mode=control",
                 "-chardev socket,id=mon,path=/nonexistent/x.sock: Failed to "
                 "connect to '/nonexistent/x.sock': No such file or "
                 "directory");
    assert_fails("-M none -qmp unix:/nonexistent/dir/x,server=on,wait=off",
                 "-qmp unix:/nonexistent/dir/x,server=on,wait=off: Failed "
                 "to bind socket to /nonexistent/dir/x: No such file or "
                 "directory");
    assert_fails("-M none -qmp bogus:x",
                 "-qmp bogus:x: 'bogus:x' is not a valid char driver\n"
                 "-qmp bogus:x: parse error: bogus:x");
    assert_fails("-M none -chardev bogus,id=c",
                 "-chardev bogus,id=c: 'bogus' is not a valid char driver "
                 "name");
    assert_fails("-M none -chardev socket,path=/x",
                 "-chardev socket,path=/x: chardev: no id specified");
    assert_fails("-M none -mon chardev=nosuch",
                 "-mon chardev=nosuch: chardev \"nosuch\" not found");
    assert_fails("-M none -chardev null,id=x -mon chardev=x,mode=bogus",
                 "-mon chardev=x,mode=bogus: Parameter 'mode' does not "
                 "accept value 'bogus'");
}

/*
 * -chardev socket,fd=N: QEMU's Python harness hands the monitor over as
 * one end of a socketpair.  Bad numbers get QEMU's messages.
 */
static void test_chardev_fd(void)
{
    int sv[2];
    pid_t pid;
    int status;
    QTestConn *c;
    json_t *r;

    assert_fails("-M none -chardev socket,id=m,fd=99",
                 "-chardev socket,id=m,fd=99: File descriptor '99' is not "
                 "a socket");
    assert_fails("-M none -chardev socket,id=m,fd=abc",
                 "-chardev socket,id=m,fd=abc: Unable to parse FD number abc");
    assert_fails("-M none -chardev socket,id=m,fd=3,path=/x",
                 "-chardev socket,id=m,fd=3,path=/x: None or one of 'path', "
                 "'fd' or 'host' option required.");

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        dup2(sv[1], 3);
        execl(qtest_binary(), qtest_binary(), "-M", "none", "-nodefaults",
              "-display", "none", "-chardev", "socket,id=mon,fd=3",
              "-mon", "chardev=mon,mode=control", NULL);
        _exit(127);
    }
    close(sv[1]);
    c = qtest_conn_fd(sv[0], qtest_get_default_timeout());
    json_decref(qtest_conn_handshake(c, true));
    r = qtest_conn_qmp(c, "{\"execute\": \"query-status\"}");
    g_assert_nonnull(json_object_get(r, "return"));
    json_decref(r);
    json_decref(qtest_conn_qmp(c, "{\"execute\": \"quit\"}"));
    qtest_conn_free(c);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_qtest_connect_error(void)
{
    assert_fails("-M none -qtest unix:path=/nonexistent/x.sock",
                 "Failed to connect to '/nonexistent/x.sock': No such file "
                 "or directory\n"
                 "Failed to initialize device for qtest: "
                 "\"unix:path=/nonexistent/x.sock\"");
}

/* Run through a symlink: messages carry that name, as QEMU's do. */
static void test_progname(void)
{
    g_autofree char *dir = g_dir_make_tmp("minivmm-prog-XXXXXX", NULL);
    g_autofree char *link = g_build_filename(dir, "qemu-system-x86_64",
                                             NULL);
    g_autofree char *target = NULL;
    g_autofree char *out = NULL;
    g_autofree char *saved = g_strdup(g_getenv("MINIVMM_BINARY"));

    g_assert_nonnull(dir);
    if (g_path_is_absolute(qtest_binary())) {
        target = g_strdup(qtest_binary());
    } else {
        target = g_find_program_in_path(qtest_binary());
    }
    g_assert_cmpint(symlink(target, link), ==, 0);
    g_setenv("MINIVMM_BINARY", link, true);
    g_assert_cmpint(qtest_run("-bogus", &out), ==, 1);
    g_assert_cmpstr(out, ==, "qemu-system-x86_64: -bogus: invalid option\n");
    if (saved) {
        g_setenv("MINIVMM_BINARY", saved, true);
    } else {
        g_unsetenv("MINIVMM_BINARY");
    }
    unlink(link);
    rmdir(dir);
}

/* The harness's own command line (interface-contract 1.1) works. */
static void test_harness_args(void)
{
    QTestOptions opts = { .qmp_handshake = true, .with_qtest = true };
    QTestState *qts = qtest_init_with_opts(
        &opts, "-accel tcg -nodefaults -display none -accel tcg "
        "-qtest-log /dev/null -S -S -m 256 -name guest=t,debug-threads=on "
        "-serial null -monitor null");

    qtest_qmp_assert_success(qts, "{\"execute\": \"query-status\"}");
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cmdline/invalid", test_invalid);
    g_test_add_func("/cmdline/machine", test_machine);
    g_test_add_func("/cmdline/help", test_help);
    g_test_add_func("/cmdline/machine-help", test_machine_help);
    g_test_add_func("/cmdline/info-options", test_info_options);
    g_test_add_func("/cmdline/drive-format-help", test_drive_format_help);
    g_test_add_func("/cmdline/chardev-errors", test_chardev_errors);
    g_test_add_func("/cmdline/chardev-fd", test_chardev_fd);
    g_test_add_func("/cmdline/qtest-connect-error", test_qtest_connect_error);
    g_test_add_func("/cmdline/progname", test_progname);
    g_test_add_func("/cmdline/harness-args", test_harness_args);
    return g_test_run();
}
