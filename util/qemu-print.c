/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu_printf() and friends: output for the user, to HMP or stdout. */
#include "qemu/osdep.h"
#include "monitor/monitor.h"
#include "qemu/cutils.h"
#include "qemu/qemu-print.h"

/* The monitor is optional here too: see util/error-report.c. */
#pragma weak monitor_cur
#pragma weak monitor_printf

/*
 * All four entry points format first and then hand the finished text
 * here: an explicit @stream wins; without one the text goes to the
 * monitor whose command is running, if any (the monitor itself drops it
 * for QMP), else to stdout.
 */
static int print_text(FILE *stream, const char *text)
{
    Monitor *mon = NULL;

    if (!stream && monitor_cur) {
        mon = monitor_cur();
    }
    if (mon) {
        return monitor_printf(mon, "%s", text);
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
