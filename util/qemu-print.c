/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu_printf() and friends: output for the user, to HMP or stdout. */
#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "qemu/qemu-print.h"

/* Set once by the monitor when it starts; NULL without one. */
static const QemuPrintMonitorOps *monitor_ops;

void qemu_print_set_monitor_ops(const QemuPrintMonitorOps *ops)
{
    monitor_ops = ops;
}

Monitor *qemu_print_cur_monitor(bool hmp_only)
{
    Monitor *mon = monitor_ops ? monitor_ops->cur() : NULL;

    if (mon && hmp_only && monitor_ops->is_qmp(mon)) {
        return NULL;
    }
    return mon;
}

static int monitor_print_fmt(Monitor *mon, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static int monitor_print_fmt(Monitor *mon, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = monitor_ops->vprintf(mon, fmt, ap);
    va_end(ap);
    return ret;
}

int qemu_print_monitor_puts(Monitor *mon, const char *text)
{
    return monitor_print_fmt(mon, "%s", text);
}

/*
 * All four entry points format first and then hand the finished text
 * here: an explicit @stream wins; without one the text goes to the
 * monitor whose command is running, if any (the monitor itself drops it
 * for QMP), else to stdout.
 */
static int print_text(FILE *stream, const char *text)
{
    Monitor *mon = stream ? NULL : qemu_print_cur_monitor(false);

    if (mon) {
        return qemu_print_monitor_puts(mon, text);
    }
    if (fputs(text, stream ? stream : stdout) == EOF) {
        return -1;
    }
    return strlen(text);
}

int qemu_vfprintf(FILE *stream, const char *fmt, va_list ap)
{
    g_autofree char *text = g_strdup_vprintf(fmt, ap);

    return print_text(stream, text);
}

int qemu_vprintf(const char *fmt, va_list ap)
{
    g_autofree char *text = g_strdup_vprintf(fmt, ap);

    return print_text(NULL, text);
}

int qemu_fprintf(FILE *stream, const char *fmt, ...)
{
    g_autofree char *text = qemu_va_format(fmt);

    return print_text(stream, text);
}

int qemu_printf(const char *fmt, ...)
{
    g_autofree char *text = qemu_va_format(fmt);

    return print_text(NULL, text);
}
