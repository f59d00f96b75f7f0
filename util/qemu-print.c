/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qemu_printf() and friends: output for the user, to HMP or stdout. */
#include "qemu/osdep.h"
#include "monitor/monitor.h"
#include "qemu/qemu-print.h"

/* The monitor is optional here too: see util/error-report.c. */
#pragma weak monitor_cur
#pragma weak monitor_vprintf

int qemu_vprintf(const char *fmt, va_list ap)
{
    Monitor *cur_mon = monitor_cur ? monitor_cur() : NULL;

    if (cur_mon) {
        return monitor_vprintf(cur_mon, fmt, ap);
    }
    return vprintf(fmt, ap);
}

int qemu_printf(const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = qemu_vprintf(fmt, ap);
    va_end(ap);
    return ret;
}

int qemu_vfprintf(FILE *stream, const char *fmt, va_list ap)
{
    if (!stream) {
        return qemu_vprintf(fmt, ap);
    }
    return vfprintf(stream, fmt, ap);
}

int qemu_fprintf(FILE *stream, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = qemu_vfprintf(stream, fmt, ap);
    va_end(ap);
    return ret;
}
