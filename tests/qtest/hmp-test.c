/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMP through human-monitor-command and on -monitor stdio. */
#include "qemu/osdep.h"

#include "libqtest.h"

static void assert_hmp(QTestState *qts, const char *cmd, const char *expect)
{
    g_autofree char *out = qtest_hmp(qts, "%s", cmd);

    g_assert_cmpstr(out, ==, expect);
}

static void test_info(void)
{
    QTestState *qts = qtest_init("-M none -nodefaults -S -name vm0");

    assert_hmp(qts, "info status", "VM status: paused (prelaunch)\r\n");
    assert_hmp(qts, "info version", "7.2.0\r\n");
    assert_hmp(qts, "info name", "vm0\r\n");
    assert_hmp(qts, "cont", "");
    assert_hmp(qts, "info status", "VM status: running\r\n");
    assert_hmp(qts, "s", "");
    assert_hmp(qts, "info status", "VM status: paused\r\n");
    assert_hmp(qts, "", "");
    qtest_quit(qts);
}

static void test_errors(void)
{
    QTestState *qts = qtest_init("-M none -nodefaults -S");

    /* Unknown commands are a successful reply with this text */
    assert_hmp(qts, "nosuchcmd", "unknown command: 'nosuchcmd'\r\n");
    assert_hmp(qts, "info nosuch", "unknown command: 'info nosuch'\r\n");
    assert_hmp(qts, "stop x",
               "stop|s: extraneous characters at the end of line\r\n"
               "Try \"help stop\" for more information\r\n");
    assert_hmp(qts, "info status extra",
               "status: extraneous characters at the end of line\r\n"
               "Try \"help info status\" for more information\r\n");
    assert_hmp(qts, "help nosuch", "unknown command: 'nosuch'\r\n");
    qtest_quit(qts);
}

/*
 * How argument words are read: bare and "quoted" words, escapes, flags,
 * what is left over.  The expected texts are QEMU 7.2's output for the
 * same lines (qemu-io: "qdev:-d,device:B,command:s").
 */
static void test_arguments(void)
{
    static const char *const cases[][2] = {
        { "qemu-io", "qemu-io: block device name expected\r\n"
          "Try \"help qemu-io\" for more information\r\n" },
        { "qemu-io null0", "qemu-io: string expected\r\n"
          "Try \"help qemu-io\" for more information\r\n" },
        { "qemu-io null0 \"read 0 512\"", "" },
        { "qemu-io \"null0\" \"read 0 512\"", "" },
        { "qemu-io null0 \"read\\n0\"", "" },
        { "qemu-io \"nu\\\"ll0\" \"read 0 512\"",
          "Error: Cannot find device='' nor node-name='nu\"ll0'\r\n" },
        { "qemu-io \"\" \"read 0 512\"",
          "Error: Cannot find device='' nor node-name=''\r\n" },
        { "qemu-io \"bad\\x\" \"read\"",
          "qemu-io: block device name expected\r\n"
          "Try \"help qemu-io\" for more information\r\n" },
        { "qemu-io null0 \"unterminated",
          "qemu-io: string expected\r\n"
          "Try \"help qemu-io\" for more information\r\n" },
        { "qemu-io -x null0 \"read 0 512\"",
          "qemu-io: unsupported option -x\r\n"
          "Try \"help qemu-io\" for more information\r\n" },
        { "qemu-io -d null0 \"read 0 512\"",
          "Error: Device 'null0' not found\r\n" },
        /* only the character after a dash counts */
        { "qemu-io -dx \"read 0 512\"",
          "Error: Device 'x' not found\r\n" },
        { "qemu-io -ab null0 \"read 0 512\"",
          "qemu-io: unsupported option -a\r\n"
          "Try \"help qemu-io\" for more information\r\n" },
        { "qemu-io -- null0 \"read 0 512\"",
          "qemu-io: unsupported option --\r\n"
          "Try \"help qemu-io\" for more information\r\n" },
        { "qemu-io - null0 \"read 0 512\"",
          "qemu-io: unsupported option - \r\n"
          "Try \"help qemu-io\" for more information\r\n" },
        /* QEMU prints the NUL after the dash: its line stays open */
        { "qemu-io -",
          "qemu-io: unsupported option -"
          "Try \"help qemu-io\" for more information\r\n" },
        { "qemu-io -d -d \"read 0 512\"",
          "Error: Device '-d' not found\r\n" },
        { "qemu-io null0 \"read 0 512\" extra",
          "qemu-io: extraneous characters at the end of line\r\n"
          "Try \"help qemu-io\" for more information\r\n" },
        { "qemu-io null0 'read 0 512'",
          "qemu-io: extraneous characters at the end of line\r\n"
          "Try \"help qemu-io\" for more information\r\n" },
    };
    QTestState *qts = qtest_init("-M none -nodefaults -S "
                                 "-blockdev null-co,node-name=null0");
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        assert_hmp(qts, cases[i][0], cases[i][1]);
    }
    qtest_quit(qts);
}

static void test_help(void)
{
    QTestState *qts = qtest_init("-M none -nodefaults -S");
    g_autofree char *help = qtest_hmp(qts, "help");
    g_autofree char *info = qtest_hmp(qts, "info");
    g_autofree char *help_info = qtest_hmp(qts, "help info");
    g_auto(GStrv) lines = g_strsplit(help, "\r\n", -1);
    char **l;

    g_assert_nonnull(strstr(help, "cont|c  -- resume emulation\r\n"));
    g_assert_nonnull(strstr(help, "stop|s  -- stop emulation\r\n"));
    g_assert_nonnull(strstr(help, "quit|q  -- quit the emulator\r\n"));
    g_assert_nonnull(strstr(help, "info [subcommand] -- "));
    /* "name params -- text" lines (help may continue on tab lines) */
    g_assert_true(g_str_has_suffix(help, "\r\n"));
    for (l = lines; *l && **l; l++) {
        if (**l == '\t') {
            continue;
        }
        g_assert_nonnull(strstr(*l, " -- "));
        g_assert_null(strchr(*l, '\n'));
    }
    g_assert_nonnull(strstr(info, "info status  -- show the current VM "
                            "status (running|paused)\r\n"));
    g_assert_nonnull(strstr(info, "info version  -- "));
    g_assert_cmpstr(info, ==, help_info);
    assert_hmp(qts, "help stop", "stop|s  -- stop emulation\r\n");
    assert_hmp(qts, "help info status",
               "info status  -- show the current VM status "
               "(running|paused)\r\n");
    qtest_quit(qts);
}

static void test_monitor_stdio(void)
{
    g_autofree char *out = NULL;
    int status = qtest_run_stdin("-M none -nodefaults -display none -S "
                                 "-monitor stdio",
                                 "info status\r\nnosuch\ninfo version\n"
                                 "quit\n", &out);

    g_assert_cmpstr(out, ==,
                    "QEMU 7.2.0 monitor - type 'help' for more "
                    "information\r\n"
                    "(qemu) VM status: paused (prelaunch)\r\n"
                    "(qemu) unknown command: 'nosuch'\r\n"
                    "(qemu) 7.2.0\r\n"
                    "(qemu) ");
    g_assert_cmpint(status, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hmp/info", test_info);
    g_test_add_func("/hmp/errors", test_errors);
    g_test_add_func("/hmp/arguments", test_arguments);
    g_test_add_func("/hmp/help", test_help);
    g_test_add_func("/hmp/monitor-stdio", test_monitor_stdio);
    return g_test_run();
}
