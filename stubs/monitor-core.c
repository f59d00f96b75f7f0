/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stub monitor core for programs without monitors: there is none current. */
#include "qemu/osdep.h"
#include "monitor/monitor.h"

__attribute__((weak)) Monitor *monitor_cur(void)
{
    return NULL;
}

__attribute__((weak)) bool monitor_cur_is_qmp(void)
{
    return false;
}

__attribute__((weak)) int monitor_vprintf(Monitor *mon, const char *fmt,
                                          va_list ap)
{
    return -1;
}
