/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu_printf() and error_printf(): to a stream, a monitor or stdout/stderr. */
#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/qemu-print.h"

/*
 * A stand-in for the monitor: util/ never looks inside a Monitor, so any
 * two distinct addresses serve as an HMP and a QMP monitor.
 */
static char hmp_mon, qmp_mon;
static Monitor *current;            /* what the "monitor" says is running */
static GString *hmp_out;            /* what reached the HMP monitor */

static Monitor *fake_cur(void)
{
    return current;
}

static bool fake_is_qmp(const Monitor *mon)
{
    return mon == (Monitor *)&qmp_mon;
}

static int fake_vprintf(Monitor *mon, const char *fmt, va_list ap)
{
    size_t before = hmp_out->len;

    if (fake_is_qmp(mon)) {
        return -1;
    }
    g_string_append_vprintf(hmp_out, fmt, ap);
    return hmp_out->len - before;
}

static const QemuPrintMonitorOps fake_ops = {
    .cur = fake_cur,
    .is_qmp = fake_is_qmp,
    .vprintf = fake_vprintf,
};

/* Which va_list entry point call_v() goes through. */
typedef enum VaEntry {
    VIA_VPRINTF,        /* qemu_vprintf() */
    VIA_VFPRINTF,       /* qemu_vfprintf(@stream) */
    VIA_ERROR_VPRINTF,  /* error_vprintf() */
} VaEntry;

/* The va_list variants, called as the printf-like ones are. */
static int call_v(VaEntry entry, FILE *stream, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static int call_v(VaEntry entry, FILE *stream, const char *fmt, ...)
{
    int printed = -1;
    va_list args;

    va_start(args, fmt);
    switch (entry) {
    case VIA_VPRINTF:
        printed = qemu_vprintf(fmt, args);
        break;
    case VIA_VFPRINTF:
        printed = qemu_vfprintf(stream, fmt, args);
        break;
    case VIA_ERROR_VPRINTF:
        printed = error_vprintf(fmt, args);
        break;
    }
    va_end(args);
    return printed;
}

/* What is written to @fd (1 or 2) between capture_start() and _end(). */
typedef struct Capture {
    int fd;
    int saved;
    FILE *file;
} Capture;

static void capture_start(Capture *c, int fd)
{
    c->fd = fd;
    c->file = tmpfile();
    g_assert_nonnull(c->file);
    fflush(fd == 1 ? stdout : stderr);
    c->saved = dup(fd);
    g_assert_cmpint(dup2(fileno(c->file), fd), ==, fd);
}

static char *capture_end(Capture *c)
{
    char *text;
    gsize len;

    fflush(c->fd == 1 ? stdout : stderr);
    g_assert_cmpint(dup2(c->saved, c->fd), ==, c->fd);
    close(c->saved);
    len = ftell(c->file);
    text = g_malloc0(len + 1);
    rewind(c->file);
    g_assert_cmpuint(fread(text, 1, len, c->file), ==, len);
    fclose(c->file);
    return text;
}

static void setup(void)
{
    g_string_truncate(hmp_out, 0);
    current = NULL;
    qemu_print_set_monitor_ops(&fake_ops);
}

/* An explicit stream wins over any monitor. */
static void test_stream(void)
{
    FILE *f = tmpfile();
    char buf[32] = "";

    setup();
    current = (Monitor *)&hmp_mon;
    g_assert_cmpint(qemu_fprintf(f, "a%d", 1), ==, 2);
    g_assert_cmpint(call_v(VIA_VFPRINTF, f, "b%s", "cd"), ==, 3);
    rewind(f);
    g_assert_nonnull(fgets(buf, sizeof(buf), f));
    g_assert_cmpstr(buf, ==, "a1bcd");
    g_assert_cmpstr(hmp_out->str, ==, "");
    fclose(f);
}

/* While an HMP command runs, all of it goes to that monitor. */
static void test_hmp(void)
{
    setup();
    current = (Monitor *)&hmp_mon;
    g_assert_cmpint(qemu_printf("x=%d\n", 7), ==, 4);
    g_assert_cmpint(call_v(VIA_VPRINTF, NULL, "%s\n", "v"), ==, 2);
    g_assert_cmpint(qemu_fprintf(NULL, "f\n"), ==, 2);
    g_assert_cmpint(call_v(VIA_VFPRINTF, NULL, "vf\n"), ==, 3);
    g_assert_cmpint(error_printf("e%d\n", 1), ==, 3);
    g_assert_cmpint(call_v(VIA_ERROR_VPRINTF, NULL, "ev\n"), ==, 3);
    /* No program name inside a monitor. */
    error_report("bad %s", "thing");
    g_assert_cmpstr(hmp_out->str, ==,
                    "x=7\nv\nf\nvf\ne1\nev\nbad thing\n");
}

/*
 * While a QMP command runs, printed text goes nowhere (-1, as QEMU) and
 * errors go to stderr, without the program name (a monitor runs).
 */
static void test_qmp(void)
{
    Capture c;
    g_autofree char *err = NULL;

    setup();
    current = (Monitor *)&qmp_mon;
    g_assert_cmpint(qemu_printf("dropped\n"), ==, -1);
    g_assert_cmpint(call_v(VIA_VPRINTF, NULL, "dropped\n"), ==, -1);
    capture_start(&c, 2);
    g_assert_cmpint(call_v(VIA_ERROR_VPRINTF, NULL, "ev\n"), ==, 3);
    error_report("no");
    err = capture_end(&c);
    g_assert_cmpstr(err, ==, "ev\nno\n");
    g_assert_cmpstr(hmp_out->str, ==, "");
}

/* Without a monitor (or before one starts): stdout and stderr. */
static void test_no_monitor(void)
{
    Capture c;
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *want = NULL;

    setup();
    capture_start(&c, 1);
    g_assert_cmpint(qemu_printf("o%d\n", 1), ==, 3);
    g_assert_cmpint(call_v(VIA_VPRINTF, NULL, "o2\n"), ==, 3);
    out = capture_end(&c);
    g_assert_cmpstr(out, ==, "o1\no2\n");

    qemu_print_set_monitor_ops(NULL);
    capture_start(&c, 2);
    g_assert_cmpint(call_v(VIA_ERROR_VPRINTF, NULL, "e%s\n", "1"), ==, 3);
    error_report("no");
    err = capture_end(&c);
    want = g_strdup_printf("e1\n%s: no\n", g_get_prgname());
    g_assert_cmpstr(err, ==, want);
    g_assert_cmpstr(hmp_out->str, ==, "");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    hmp_out = g_string_new(NULL);
    g_test_add_func("/qemu-print/stream", test_stream);
    g_test_add_func("/qemu-print/hmp", test_hmp);
    g_test_add_func("/qemu-print/qmp", test_qmp);
    g_test_add_func("/qemu-print/no-monitor", test_no_monitor);
    return g_test_run();
}
